//! The MANAGEDB object registry: one declarative [`Object`] per object, served by one generic
//! engine ([`engine`]). What differs between objects (defaults, realtime rows kept in step,
//! special actions) lives in a small [`Behavior`] beside the descriptor.

pub mod calleridblacklist;
pub mod cdrtemplate;
pub mod condition;
pub mod conference;
pub mod custom;
pub mod customtype;
pub mod destclass;
pub mod destination;
pub mod did;
pub mod engine;
pub mod extension;
pub mod filter;
pub mod huntlist;
pub mod input;
mod integrity;
pub mod ivr;
pub mod mediafile;
pub mod musiconhold;
pub mod on_write;
pub mod phone;
pub mod phonebook;
pub mod phonemodel;
pub mod provider;
pub mod queue;
pub mod realtime;
pub mod route;
pub mod routingprofile;
pub mod sipregs;
pub mod support;
pub mod tenant;
pub mod user;
pub mod voicemail;

use crate::auth::{Caller, TenantRef};
use crate::db::Db;
use crate::error::ApiResult;
use crate::output::Output;
use async_trait::async_trait;
use sea_orm::DatabaseTransaction;

pub use engine::Row;
pub use input::Input;

/// How a column is typed, validated and rendered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Integer (i32).
    Int,
    /// Nullable integer.
    OptInt,
    /// Text up to N characters, not null (empty string when not given).
    Text(usize),
    /// Nullable text up to N characters.
    OptText(usize),
    /// Upstream boolean: `'on'` or `''` (true/false/yes/no/1/0 accepted on input).
    Flag,
    /// One of a fixed list of words (matched case-insensitively, stored as listed).
    Choice(&'static [&'static str]),
    /// A password: stored argon2-hashed, never rendered, masked in echoes.
    Secret,
    /// Floating point number.
    Double,
    /// Timestamp, set by the server.
    DateTime,
}

/// Who may set a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Must be given on add; may be updated.
    Required,
    /// May be given on add and update.
    Optional,
    /// Must be given on add, never changed after (identity fields: a tenant code, a mailbox).
    Once,
    /// Set by the server only.
    ReadOnly,
}

/// A field-specific check on the text of a value; `Err` says what is wrong (without the name).
pub type Check = fn(&str) -> Result<(), String>;

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub access: Access,
    pub check: Option<Check>,
    /// The object (by name) whose primary key this column holds: the row must exist, in the
    /// same tenant when that object is tenant-owned; a referenced row cannot be deleted.
    pub refers: Option<&'static str>,
    /// Text that may span lines (templates): `\n` and `\t` are allowed, no other control
    /// character (see [`crate::text`]).
    pub multiline: bool,
    /// A secret kept in clear because Asterisk reads it (PINs): masked for read-only keys,
    /// and not usable in their `filter` (which would let them guess it).
    pub masked: bool,
    /// May be sent as null (or empty) to clear it, whatever its kind (realtime settings).
    pub clearable: bool,
}

impl Field {
    pub const fn new(name: &'static str, kind: Kind, access: Access) -> Field {
        Field {
            name,
            kind,
            access,
            check: None,
            refers: None,
            multiline: false,
            masked: false,
            clearable: false,
        }
    }
    pub const fn masked(mut self) -> Field {
        self.masked = true;
        self
    }
    pub const fn multiline(mut self) -> Field {
        self.multiline = true;
        self
    }
    pub const fn checked(mut self, check: Check) -> Field {
        self.check = Some(check);
        self
    }
    pub const fn refers(mut self, object: &'static str) -> Field {
        self.refers = Some(object);
        self
    }
    pub fn writable_on(&self, op: Op) -> bool {
        match self.access {
            Access::Required | Access::Optional => true,
            Access::Once => op == Op::Add,
            Access::ReadOnly => false,
        }
    }
}

/// Shorthands for descriptors.
pub const fn req(name: &'static str, kind: Kind) -> Field {
    Field::new(name, kind, Access::Required)
}
pub const fn opt(name: &'static str, kind: Kind) -> Field {
    Field::new(name, kind, Access::Optional)
}
pub const fn once(name: &'static str, kind: Kind) -> Field {
    Field::new(name, kind, Access::Once)
}
pub const fn ro(name: &'static str, kind: Kind) -> Field {
    Field::new(name, kind, Access::ReadOnly)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Update,
    Delete,
}

/// A special action on an object (`setextensions`, `listtenants`, …).
#[derive(Debug, Clone, Copy)]
pub struct Action {
    pub name: &'static str,
    /// Whether it changes anything (refused for read-only keys).
    pub writes: bool,
}

pub const fn read_action(name: &'static str) -> Action {
    Action {
        name,
        writes: false,
    }
}
pub const fn write_action(name: &'static str) -> Action {
    Action { name, writes: true }
}

/// One MANAGEDB object.
pub struct Object {
    pub name: &'static str,
    pub plural: &'static str,
    pub table: &'static str,
    pub pk: &'static str,
    /// The column that makes a row tenant-owned (`ex_te_id`); `None` for global objects.
    pub tenant_col: Option<&'static str>,
    /// Global objects and sensitive ones need an admin key.
    pub admin_only: bool,
    /// Whether list/get/add/update/delete are served by the generic engine.
    pub crud: bool,
    /// Columns besides the primary key and the tenant column.
    pub fields: &'static [Field],
    /// Inputs that are not columns of the table (`secret`, `pk_start`, …).
    pub extras: &'static [Field],
    /// Sets of columns that must be unique (a set with the tenant column is unique per tenant).
    pub unique: &'static [&'static [&'static str]],
    /// The `te_tenants` column that caps how many of these a tenant may have (0 = no cap).
    pub limit: Option<&'static str>,
    /// The destination tag that points at this object (`EXT`), if any.
    pub target_tag: Option<&'static str>,
    /// Destination source types owned by this object (`DID`): deleted with it.
    pub source_types: &'static [&'static str],
    /// Rows of other tables that belong to one row of this object: `(table, column)`.
    pub children: &'static [(&'static str, &'static str)],
    pub actions: &'static [Action],
    pub behavior: &'static dyn Behavior,
}

impl Object {
    /// What a descriptor leaves out (`..Object::BASE`): a tenant-less table served by the
    /// generic engine, with no extras, limits, references, children or actions.
    pub const BASE: Object = Object {
        name: "",
        plural: "",
        table: "",
        pk: "",
        tenant_col: None,
        admin_only: false,
        crud: true,
        fields: &[],
        extras: &[],
        unique: &[],
        limit: None,
        target_tag: None,
        source_types: &[],
        children: &[],
        actions: &[],
        behavior: &Plain,
    };

    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    /// A non-column input: an extra, or a realtime setting a client may send.
    pub fn extra(&self, name: &str) -> Option<&'static Field> {
        self.extras.iter().find(|f| f.name == name).or_else(|| {
            realtime::settable(self)
                .find(|o| o.field.name == name)
                .map(|o| &o.field)
        })
    }
    pub fn action(&self, name: &str) -> Option<&'static Action> {
        self.actions.iter().find(|a| a.name == name)
    }
    /// The name with its indefinite article, for messages: "an extension", "a did".
    pub fn a(&self) -> String {
        let an = self.name.starts_with(['a', 'e', 'i', 'o']);
        format!("{} {}", if an { "an" } else { "a" }, self.name)
    }
}

/// A write in progress, as the hooks see it.
pub struct WriteCx<'a> {
    pub txn: &'a DatabaseTransaction,
    pub obj: &'static Object,
    pub op: Op,
    /// Delete: also remove what belongs to the row (a tenant's rows, `cascade=yes`).
    pub cascade: bool,
    /// The tenant that owns the row (tenant-owned objects).
    pub tenant: Option<TenantRef>,
    pub input: Input,
    /// The row before the write (update, delete).
    pub before: Option<Row>,
    /// The row after the write (add, update).
    pub after: Option<Row>,
}

/// A special action in progress.
pub struct ActionCx<'a> {
    pub db: &'a Db,
    pub config: &'a crate::config::Config,
    pub caller: &'a Caller,
    /// The action's own arguments (`objectid`, `jsondata`, …), read and checked by the action.
    pub args: &'a dyn crate::args::Args,
    pub obj: &'static Object,
}

/// What makes an object more than its table.
#[async_trait]
pub trait Behavior: Send + Sync {
    /// Before the row is written: defaults, cross-field rules, refusals.
    async fn before_write(&self, _cx: &mut WriteCx<'_>) -> ApiResult<()> {
        Ok(())
    }
    /// After the row is written, in the same transaction: realtime rows, child rows.
    async fn after_write(&self, _cx: &mut WriteCx<'_>) -> ApiResult<()> {
        Ok(())
    }
    /// A special action listed in [`Object::actions`] (or a replacement for a generic verb of
    /// an object with `crud: false`).
    async fn action(&self, cx: &ActionCx<'_>, name: &str) -> ApiResult<Output> {
        Err(crate::error::ApiError::NotImplemented(format!(
            "action '{name}' on object {}",
            cx.obj.name
        )))
    }
    /// The Asterisk settings kept in this object's realtime rows ([`realtime`]).
    fn options(&self) -> Option<&'static realtime::Options> {
        None
    }
    /// A tenant is being deleted with `cascade=yes`, in this transaction, before its rows go:
    /// remove what the rows do not cover (realtime rows, stored media).
    async fn on_tenant_delete(&self, _txn: &DatabaseTransaction, _te_id: i32) -> ApiResult<()> {
        Ok(())
    }
}

/// The default behaviour: a plain table.
pub struct Plain;
impl Behavior for Plain {}

/// Every object MANAGEDB knows.
pub static REGISTRY: &[&Object] = &[
    &tenant::TENANT,
    &extension::EXTENSION,
    &did::DID,
    &destination::DESTINATION,
    &user::USER,
    // Global objects others refer to come before them (the isolation tests add in this order).
    &customtype::CUSTOMTYPE,
    &provider::PROVIDER,
    &routingprofile::ROUTINGPROFILE,
    &route::ROUTE,
    &destclass::DESTCLASS,
    &phonemodel::PHONEMODEL,
    &mediafile::MEDIAFILE,
    &ivr::IVR,
    &condition::CONDITION,
    &queue::QUEUE,
    &huntlist::HUNTLIST,
    &conference::CONFERENCE,
    &custom::CUSTOM,
    &phone::PHONE,
    &musiconhold::MUSICONHOLD,
    &calleridblacklist::CALLERIDBLACKLIST,
    &sipregs::SIPREGS,
    &voicemail::VOICEMAIL,
    &phonebook::PHONEPHONEBOOK,
    &cdrtemplate::CDR_TEMPLATE,
    &cdrtemplate::GLOBAL_CDR_TEMPLATE,
];

/// Objects of the upstream API that this server does not serve yet (answered with a clear error).
pub const NOT_YET: &[&str] = &[];

/// Find an object by its singular or plural name, case-insensitively.
pub fn find(name: &str) -> Option<&'static Object> {
    let name = name.to_ascii_lowercase();
    REGISTRY
        .iter()
        .copied()
        .find(|o| o.name == name || o.plural == name)
}

/// Tables whose rows belong to a tenant, with the tenant column and a label for messages.
/// Used to refuse (or cascade) deleting a tenant. Objects whose rows a tenant create counts.
pub const TENANT_OWNED: &[(&str, &str, &str)] = &[
    ("ex_extensions", "ex_te_id", "extensions"),
    ("di_dids", "di_te_id", "dids"),
    ("de_destinations", "de_te_id", "destinations"),
    ("iv_ivrs", "iv_te_id", "ivrs"),
    ("co_conditions", "co_te_id", "conditions"),
    ("qu_queues", "qu_te_id", "queues"),
    ("voicemail_users", "te_id", "voicemail boxes"),
    ("hu_huntlists", "hu_te_id", "hunt lists"),
    ("cr_conferencerooms", "cr_te_id", "conference rooms"),
    ("cu_customs", "cu_te_id", "custom destinations"),
    ("me_mediafiles", "me_te_id", "media files"),
    ("ph_phones", "ph_te_id", "phones"),
    ("mu_musiconhold", "mu_te_id", "music-on-hold classes"),
    ("bl_calleridblacklist", "bl_te_id", "blacklisted caller ids"),
    ("pp_phonephonebooks", "pp_te_id", "phone phonebooks"),
    ("tp_cdrtemplates", "tp_te_id", "CDR templates"),
];

/// Rows that go with their tenant without being counted as "owned" (created with it).
pub const TENANT_HOUSEKEEPING: &[(&str, &str)] = &[
    ("pk_parkinglots", "pk_te_id"),
    ("ak_apikeys", "ak_te_id"),
    ("ut_usertenants", "ut_te_id"),
    ("ce_conditionextendedinfos", "ce_te_id"),
    ("hm_huntlistmembers", "hm_te_id"),
    ("voicemail_messages", "te_id"),
    ("pd_phonebookdetails", "pd_te_id"),
    ("pe_phonebookentries", "pe_te_id"),
    ("pb_phonebooks", "pb_te_id"),
    ("st_settings", "st_te_id"),
    ("bt_balancetransactions", "bt_te_id"),
    ("at_authtokens", "at_te_id"),
    ("vx_virtualexts", "vx_te_id"),
    ("vm_virtualmembers", "vm_te_id"),
    ("fl_flows", "fl_te_id"),
    ("sm_sms", "sm_te_id"),
    ("fx_faxes", "fx_te_id"),
    ("cn_campaignnumbers", "cn_te_id"),
    ("cp_campaigns", "cp_te_id"),
];

/// Checks shared by descriptors.
pub mod checks {
    pub fn digits(v: &str) -> Result<(), String> {
        if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
            Ok(())
        } else {
            Err("must be digits only".into())
        }
    }
    pub fn digits_or_empty(v: &str) -> Result<(), String> {
        if v.is_empty() {
            Ok(())
        } else {
            digits(v)
        }
    }
    /// A name usable in Asterisk config (usernames, peers): letters, digits, `_ . -`.
    pub fn identifier(v: &str) -> Result<(), String> {
        if !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            Ok(())
        } else {
            Err("may contain only letters, digits, '_', '.' and '-'".into())
        }
    }
    pub fn email_or_empty(v: &str) -> Result<(), String> {
        let ok = v.is_empty()
            || v.split(',').all(|a| {
                let a = a.trim();
                matches!(a.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !a.contains(char::is_whitespace))
            });
        if ok {
            Ok(())
        } else {
            Err("must be an e-mail address (or a comma-separated list)".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tenant_owned_object_is_counted_for_tenant_delete() {
        for obj in REGISTRY.iter().filter(|o| o.tenant_col.is_some()) {
            assert!(
                TENANT_OWNED
                    .iter()
                    .any(|(t, c, _)| *t == obj.table && Some(*c) == obj.tenant_col),
                "{} missing from TENANT_OWNED",
                obj.name
            );
        }
    }

    #[test]
    fn names_resolve_singular_and_plural_case_insensitively() {
        assert_eq!(find("Extensions").map(|o| o.name), Some("extension"));
        assert_eq!(find("DID").map(|o| o.name), Some("did"));
        assert!(find("nope").is_none());
        for obj in REGISTRY {
            assert!(
                !NOT_YET.contains(&obj.name),
                "{} is both served and not yet",
                obj.name
            );
        }
    }
}
