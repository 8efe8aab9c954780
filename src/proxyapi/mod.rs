//! The legacy endpoint: `/pbx/proxyapi.php` and `/mirtapbx/proxyapi.php`.

use crate::output::Output;

pub mod account;
pub mod campaign;
pub mod cdr;
pub mod fax;
pub mod flows;
pub mod help;
pub mod info;
pub mod inforeads;
pub mod live;
pub mod managedb;
pub mod params;
pub mod peers;
pub mod queues;
pub mod queuestats;
pub mod setting;
pub mod widget;

/// What every handler of the endpoint may use (built in `app.rs`).
pub struct AppState {
    pub db: crate::db::Db,
    pub keys: crate::auth::KeyStore,
    pub config: crate::config::Config,
    pub help: String,
    /// Asterisk nodes: connections, outbox dispatcher (started by the `serve` command).
    pub cluster: std::sync::Arc<crate::cluster::Cluster>,
    /// Failed CHECKAUTH / GETWEBRTCAUTH logins per client address.
    pub logins: crate::auth::throttle::Throttle,
    /// Upload bytes in use by all requests, in KiB permits (`BodyLimits::upload_budget_bytes`).
    pub uploads: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The zone a caller's reports use: its tenant's `TIMEZONE` (the global value for an admin
/// without a tenant).
pub(crate) async fn report_zone(
    state: &AppState,
    caller: &crate::auth::Caller,
) -> crate::error::ApiResult<chrono_tz::Tz> {
    crate::settings::tenant_zone(&state.db.conn, caller.tenant.as_ref().map(|t| t.id)).await
}

/// A request on its way to its handler: authenticated, parameters merged.
pub struct Request<'a> {
    pub state: &'a AppState,
    pub caller: &'a crate::auth::Caller,
    pub params: &'a params::Params,
    /// The reqtype, lower case.
    pub reqtype: &'a str,
    pub ip: std::net::IpAddr,
}

pub type Handler =
    for<'a> fn(
        &'a Request<'a>,
    ) -> futures_util::future::BoxFuture<'a, crate::error::ApiResult<Output>>;

/// One reqtype of the endpoint.
pub struct Reqtype {
    /// Lower case.
    pub name: &'static str,
    pub handler: Handler,
}

/// Every reqtype the endpoint serves (HELP aside, which needs no key). Dispatch reads it; an
/// unknown name is refused before the key is checked.
pub static REQTYPES: &[Reqtype] = &[
    Reqtype {
        name: "managedb",
        handler: |r| Box::pin(managedb::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "info",
        handler: |r| Box::pin(info::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "setting",
        handler: |r| Box::pin(setting::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "cdr",
        handler: |r| Box::pin(cdr::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "mediafile",
        handler: |r| Box::pin(managedb::mediafile(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "fax",
        handler: |r| Box::pin(fax::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "campaign",
        handler: |r| Box::pin(campaign::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "responsepath",
        handler: |r| Box::pin(cdr::response_path(r.state, r.caller, r.params)),
    },
    // Account.
    Reqtype {
        name: "balance",
        handler: |r| Box::pin(account::balance::balance(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "licensedays",
        handler: |r| Box::pin(account::balance::licensedays(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "checkauth",
        handler: |r| {
            Box::pin(account::login::checkauth(
                r.state, r.caller, r.params, r.ip, false,
            ))
        },
    },
    Reqtype {
        name: "getwebrtcauth",
        handler: |r| {
            Box::pin(account::login::checkauth(
                r.state, r.caller, r.params, r.ip, true,
            ))
        },
    },
    Reqtype {
        name: "authtoken",
        handler: |r| Box::pin(account::login::authtoken(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "voicemail",
        handler: |r| Box::pin(account::voicemail::voicemail(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "phonebooks",
        handler: |r| Box::pin(account::phonebook::phonebooks(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "phonebook",
        handler: |r| Box::pin(account::phonebook::phonebook(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "usergroup",
        handler: |r| Box::pin(account::usergroup::usergroup(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "virtualext",
        handler: |r| {
            Box::pin(account::virtualext::virtualext(
                r.state, r.caller, r.params, r.ip,
            ))
        },
    },
    // Live: answered by the nodes.
    Reqtype {
        name: "dial",
        handler: |r| Box::pin(live::dial(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "hangup",
        handler: |r| Box::pin(live::hangup(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "transfer",
        handler: |r| Box::pin(live::transfer(r.state, r.caller, r.params, false)),
    },
    Reqtype {
        name: "atxtransfer",
        handler: |r| Box::pin(live::transfer(r.state, r.caller, r.params, true)),
    },
    Reqtype {
        name: "dnd",
        handler: |r| Box::pin(live::dnd(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "queue",
        handler: |r| Box::pin(live::queue(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "agent",
        handler: |r| Box::pin(live::agent(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "countpeers",
        handler: |r| Box::pin(live::countpeers(r.state, r.caller)),
    },
    Reqtype {
        name: "countchannels",
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "countcalls",
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "channels",
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "channel",
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "getcurrentcalls",
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "extstate",
        handler: |r| Box::pin(live::extstate(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "chansippeers",
        handler: |r| Box::pin(peers::chansippeers(r.state, r.caller)),
    },
    Reqtype {
        name: "blfs",
        handler: |r| Box::pin(peers::blfs(r.state, r.caller)),
    },
    Reqtype {
        name: "flows",
        handler: |r| Box::pin(flows::list(r.state, r.caller)),
    },
    Reqtype {
        name: "setflow",
        handler: |r| Box::pin(flows::set(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "queuereset",
        handler: |r| Box::pin(queues::reset(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "reboot",
        handler: |r| {
            Box::pin(peers::reboot_or_unregister(
                r.state, r.caller, r.params, true,
            ))
        },
    },
    Reqtype {
        name: "unregister",
        handler: |r| {
            Box::pin(peers::reboot_or_unregister(
                r.state, r.caller, r.params, false,
            ))
        },
    },
    Reqtype {
        name: "sms",
        handler: |r| Box::pin(peers::sms(r.state, r.caller, r.params)),
    },
    // The embeddable status page's short-lived tokens.
    Reqtype {
        name: "widgettoken",
        handler: |r| Box::pin(widget::token(r.state, r.caller, r.params)),
    },
];

/// The reqtype named `name` (lower case).
pub fn reqtype(name: &str) -> Option<&'static Reqtype> {
    REQTYPES.iter().find(|r| r.name == name)
}
