//! SeaORM entities for the Switchboard schema (one module per table, named after it).

pub mod ak_apikeys;
pub mod co_conditions;
pub mod cr_conferencerooms;
pub mod cu_customs;
pub mod dc_dialcalls;
pub mod de_destinations;
pub mod di_dids;
pub mod ex_extensions;
pub mod hu_huntlists;
pub mod iv_ivrs;
pub mod me_mediafiles;
pub mod no_nodes;
pub mod ob_outbox;
pub mod od_deliveries;
pub mod pk_parkinglots;
pub mod ps_aors;
pub mod ps_auths;
pub mod ps_endpoints;
pub mod qu_queues;
pub mod sippeers;
pub mod te_tenants;
pub mod tn_tenantnodes;
pub mod up_userprofiles;
pub mod us_users;
pub mod ut_usertenants;
pub mod voicemail_users;

pub mod prelude {
    pub use super::ak_apikeys::Entity as AkApikeys;
    pub use super::co_conditions::Entity as CoConditions;
    pub use super::cr_conferencerooms::Entity as CrConferencerooms;
    pub use super::cu_customs::Entity as CuCustoms;
    pub use super::de_destinations::Entity as DeDestinations;
    pub use super::di_dids::Entity as DiDids;
    pub use super::ex_extensions::Entity as ExExtensions;
    pub use super::hu_huntlists::Entity as HuHuntlists;
    pub use super::iv_ivrs::Entity as IvIvrs;
    pub use super::me_mediafiles::Entity as MeMediafiles;
    pub use super::pk_parkinglots::Entity as PkParkinglots;
    pub use super::ps_aors::Entity as PsAors;
    pub use super::ps_auths::Entity as PsAuths;
    pub use super::ps_endpoints::Entity as PsEndpoints;
    pub use super::qu_queues::Entity as QuQueues;
    pub use super::sippeers::Entity as Sippeers;
    pub use super::te_tenants::Entity as TeTenants;
    pub use super::up_userprofiles::Entity as UpUserprofiles;
    pub use super::us_users::Entity as UsUsers;
    pub use super::ut_usertenants::Entity as UtUsertenants;
    pub use super::voicemail_users::Entity as VoicemailUsers;
}
