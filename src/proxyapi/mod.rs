//! The legacy endpoint: `/pbx/proxyapi.php` and `/mirtapbx/proxyapi.php`.

use crate::output::Output;
use access::{
    admin_read, admin_write, no_default, read, reads, tenant_write, write, writes, Access, Who,
    Writes,
};

pub mod access;
pub mod account;
pub mod bans;
pub mod campaign;
pub mod cdr;
pub mod fax;
pub mod flows;
pub mod fraud;
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
    /// Who may call it and whether it writes: dispatch refuses from this, HELP prints it.
    pub access: Access,
    pub handler: Handler,
}

const fn by_action(
    who: Who,
    params: &'static [&'static str],
    default: fn(&params::Params) -> Option<&'static str>,
    acts: &'static [access::Act],
) -> Access {
    Access {
        who,
        writes: Writes::ByAction {
            params,
            default,
            acts,
        },
    }
}

/// Every INFO type: all reads; a few are the admin's.
const INFO_ACTS: &[access::Act] = &[
    read("extensions"),
    read("dids"),
    admin_read("version"),
    admin_read("tenants"),
    admin_read("nodes"),
    read("balance"),
    read("cdrs"),
    read("simplecdrs"),
    read("queuelogs"),
    read("sms"),
    read("flow"),
    read("variable"),
    read("extstate"),
    read("fax"),
    read("queues"),
    read("agents"),
    read("queue"),
    read("agentsconnected"),
    read("agentsdelay"),
    read("outdialed"),
    read("simpledialed"),
    read("call"),
    read("transcript"),
    read("voicemail"),
    read("voicemailtranscript"),
    read("pincodes"),
    read("regstate"),
    read("config"),
    read("queuecallers"),
    read("recordings"),
    read("recording"),
    read("playrecording"),
    read("inforecording"),
    read("ivrlogs"),
];

/// Every reqtype the endpoint serves (HELP aside, which needs no key). Dispatch reads it; an
/// unknown name is refused before the key is checked.
pub static REQTYPES: &[Reqtype] = &[
    Reqtype {
        name: "managedb",
        access: Access {
            who: Who::Any,
            writes: Writes::Object,
        },
        handler: |r| Box::pin(managedb::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "info",
        access: by_action(Who::Any, &["info"], no_default, INFO_ACTS),
        handler: |r| Box::pin(info::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "setting",
        access: by_action(
            Who::Any,
            &["action"],
            |_| Some("get"),
            &[read("get"), read("list"), write("set"), write("reset")],
        ),
        handler: |r| Box::pin(setting::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "cdr",
        access: by_action(
            Who::Any,
            &["action"],
            no_default,
            &[read("get"), write("update")],
        ),
        handler: |r| Box::pin(cdr::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "mediafile",
        access: by_action(Who::Any, &["action"], no_default, &[read("getaudio")]),
        handler: |r| Box::pin(managedb::mediafile(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "fax",
        access: by_action(
            Who::Any,
            &["action"],
            |_| Some("list"),
            &[read("list"), read("download"), tenant_write("send")],
        ),
        handler: |r| Box::pin(fax::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "campaign",
        access: by_action(
            Who::Tenant,
            &["action"],
            |_| Some("list"),
            &[
                read("list"),
                read("get"),
                read("numbers"),
                write("add"),
                write("delete"),
                write("start"),
                write("stop"),
                write("pause"),
                write("resume"),
                write("addnumbers"),
                write("cleannumbers"),
            ],
        ),
        handler: |r| Box::pin(campaign::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "ban",
        access: by_action(
            Who::Admin,
            &["action"],
            |_| Some("list"),
            &[read("list"), write("add"), write("remove")],
        ),
        handler: |r| Box::pin(bans::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "fraud",
        access: by_action(
            Who::Admin,
            &["action"],
            |_| Some("events"),
            &[read("events")],
        ),
        handler: |r| Box::pin(fraud::handle(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "responsepath",
        access: reads(Who::Any),
        handler: |r| Box::pin(cdr::response_path(r.state, r.caller, r.params)),
    },
    // Account.
    Reqtype {
        name: "balance",
        access: by_action(
            Who::Tenant,
            &["action"],
            |p| {
                Some(if p.get("amount").is_some() {
                    "add"
                } else {
                    "get"
                })
            },
            &[read("get"), read("history"), admin_write("add")],
        ),
        handler: |r| Box::pin(account::balance::balance(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "licensedays",
        access: by_action(
            Who::Any,
            &["action"],
            |_| Some("get"),
            &[read("get"), admin_write("set")],
        ),
        handler: |r| Box::pin(account::balance::licensedays(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "checkauth",
        access: reads(Who::Any),
        handler: |r| {
            Box::pin(account::login::checkauth(
                r.state, r.caller, r.params, r.ip, false,
            ))
        },
    },
    Reqtype {
        name: "getwebrtcauth",
        access: reads(Who::Any),
        handler: |r| {
            Box::pin(account::login::checkauth(
                r.state, r.caller, r.params, r.ip, true,
            ))
        },
    },
    Reqtype {
        name: "authtoken",
        access: by_action(
            Who::Any,
            &["action"],
            no_default,
            &[write("generate"), write("reset")],
        ),
        handler: |r| Box::pin(account::login::authtoken(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "voicemail",
        access: by_action(
            Who::Tenant,
            &["action"],
            |_| Some("list"),
            &[
                read("list"),
                read("messages"),
                read("message"),
                write("delete"),
                write("markread"),
                write("markunread"),
            ],
        ),
        handler: |r| Box::pin(account::voicemail::voicemail(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "phonebooks",
        access: by_action(
            Who::Tenant,
            &["subreqtype"],
            |_| Some("list"),
            &[read("list")],
        ),
        handler: |r| Box::pin(account::phonebook::phonebooks(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "phonebook",
        access: by_action(
            Who::Tenant,
            &["subreqtype", "action"],
            no_default,
            &[
                read("query"),
                read("getall"),
                write("add"),
                write("delete"),
                write("cleanall"),
            ],
        ),
        handler: |r| Box::pin(account::phonebook::phonebook(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "usergroup",
        access: by_action(
            Who::Admin,
            &["action"],
            |_| Some("list"),
            &[
                read("list"),
                read("members"),
                read("get"),
                write("add"),
                write("delete"),
                write("set"),
            ],
        ),
        handler: |r| Box::pin(account::usergroup::usergroup(r.state, r.params)),
    },
    Reqtype {
        name: "virtualext",
        access: by_action(
            Who::Tenant,
            &["action"],
            |_| Some("list"),
            &[read("list"), write("join"), write("leave"), write("setpin")],
        ),
        handler: |r| {
            Box::pin(account::virtualext::virtualext(
                r.state, r.caller, r.params, r.ip,
            ))
        },
    },
    // Live: answered by the nodes.
    Reqtype {
        name: "dial",
        access: writes(Who::Tenant),
        handler: |r| Box::pin(live::dial(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "hangup",
        access: writes(Who::Any),
        handler: |r| Box::pin(live::hangup(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "transfer",
        access: writes(Who::Any),
        handler: |r| Box::pin(live::transfer(r.state, r.caller, r.params, false)),
    },
    Reqtype {
        name: "atxtransfer",
        access: writes(Who::Any),
        handler: |r| Box::pin(live::transfer(r.state, r.caller, r.params, true)),
    },
    Reqtype {
        name: "dnd",
        access: by_action(
            Who::Tenant,
            &["action"],
            no_default,
            &[read("get"), write("set")],
        ),
        handler: |r| Box::pin(live::dnd(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "queue",
        access: by_action(
            Who::Tenant,
            &["action"],
            no_default,
            &[
                read("list"),
                read("fulllist"),
                read("log"),
                write("add"),
                write("del"),
                write("clean"),
            ],
        ),
        handler: |r| Box::pin(live::queue(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "agent",
        access: by_action(
            Who::Tenant,
            &["action"],
            no_default,
            &[
                read("listqueues"),
                write("pause"),
                write("unpause"),
                write("del"),
            ],
        ),
        handler: |r| Box::pin(live::agent(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "countpeers",
        access: reads(Who::Any),
        handler: |r| Box::pin(live::countpeers(r.state, r.caller)),
    },
    Reqtype {
        name: "countchannels",
        access: reads(Who::Any),
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "countcalls",
        access: reads(Who::Any),
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "channels",
        access: reads(Who::Any),
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "channel",
        access: reads(Who::Any),
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "getcurrentcalls",
        access: reads(Who::Any),
        handler: |r| Box::pin(live::channels(r.state, r.caller, r.params, r.reqtype)),
    },
    Reqtype {
        name: "extstate",
        access: reads(Who::Tenant),
        handler: |r| Box::pin(live::extstate(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "chansippeers",
        access: reads(Who::Any),
        handler: |r| Box::pin(peers::chansippeers(r.state, r.caller)),
    },
    Reqtype {
        name: "blfs",
        access: reads(Who::Tenant),
        handler: |r| Box::pin(peers::blfs(r.state, r.caller)),
    },
    Reqtype {
        name: "flows",
        access: reads(Who::Tenant),
        handler: |r| Box::pin(flows::list(r.state, r.caller)),
    },
    Reqtype {
        name: "setflow",
        access: writes(Who::Tenant),
        handler: |r| Box::pin(flows::set(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "queuereset",
        access: writes(Who::Tenant),
        handler: |r| Box::pin(queues::reset(r.state, r.caller, r.params)),
    },
    Reqtype {
        name: "reboot",
        access: writes(Who::Tenant),
        handler: |r| {
            Box::pin(peers::reboot_or_unregister(
                r.state, r.caller, r.params, true,
            ))
        },
    },
    Reqtype {
        name: "unregister",
        access: writes(Who::Tenant),
        handler: |r| {
            Box::pin(peers::reboot_or_unregister(
                r.state, r.caller, r.params, false,
            ))
        },
    },
    Reqtype {
        name: "sms",
        access: writes(Who::Tenant),
        handler: |r| Box::pin(peers::sms(r.state, r.caller, r.params)),
    },
    // The embeddable status page's short-lived tokens.
    Reqtype {
        name: "widgettoken",
        access: writes(Who::Tenant),
        handler: |r| Box::pin(widget::token(r.state, r.caller, r.params)),
    },
];

impl Reqtype {
    /// A refusal of the table in this reqtype's error shape (DIAL's json errors carry `ID`).
    pub fn refused(&self, e: crate::error::ApiError) -> crate::error::ApiResult<Output> {
        match self.name {
            "dial" => live::dial_refused(e),
            _ => Err(e),
        }
    }
}

/// HELP's access lines, one per reqtype, from the table dispatch refuses from.
pub fn access_help() -> Vec<String> {
    REQTYPES
        .iter()
        .map(|r| access::help_line(r.name, &r.access))
        .collect()
}

/// The reqtype named `name` (lower case).
pub fn reqtype(name: &str) -> Option<&'static Reqtype> {
    REQTYPES.iter().find(|r| r.name == name)
}
