//! Who may call a reqtype and whether it writes: one table ([`crate::proxyapi::REQTYPES`]) that
//! dispatch refuses from before any handler runs, and that HELP prints, so they cannot disagree.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::objects;
use crate::proxyapi::params::Params;

/// Who may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Any valid key (admin with or without `tenant=`, tenant keys).
    Any,
    /// The request must be about one tenant: a tenant key, or an admin key with `tenant=`.
    Tenant,
    /// Admin keys only (others get the upstream auth failure).
    Admin,
}

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
}

/// One action of a reqtype whose access depends on it.
#[derive(Debug, Clone, Copy)]
pub struct Act {
    pub name: &'static str,
    pub mode: Mode,
    /// Stricter than the reqtype's own [`Who`] (e.g. BALANCE add: admin).
    pub who: Option<Who>,
}

pub const fn read(name: &'static str) -> Act {
    Act {
        name,
        mode: Mode::Read,
        who: None,
    }
}
pub const fn write(name: &'static str) -> Act {
    Act {
        name,
        mode: Mode::Write,
        who: None,
    }
}
pub const fn admin_write(name: &'static str) -> Act {
    Act {
        name,
        mode: Mode::Write,
        who: Some(Who::Admin),
    }
}
pub const fn tenant_write(name: &'static str) -> Act {
    Act {
        name,
        mode: Mode::Write,
        who: Some(Who::Tenant),
    }
}
pub const fn admin_read(name: &'static str) -> Act {
    Act {
        name,
        mode: Mode::Read,
        who: Some(Who::Admin),
    }
}

/// Whether a reqtype writes.
#[derive(Debug, Clone, Copy)]
pub enum Writes {
    Never,
    Always,
    /// By the action named by the first of `params` that is given (else `default`). An action
    /// not in `acts` is let through to the handler, which answers its own "unknown action"
    /// error: it is never taken for a read.
    ByAction {
        params: &'static [&'static str],
        default: fn(&Params) -> Option<&'static str>,
        acts: &'static [Act],
    },
    /// MANAGEDB: the object's own actions (list/get read, add/update/delete and its special
    /// actions as the registry says) and its `admin_only`.
    Object,
}

#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub who: Who,
    pub writes: Writes,
}

pub const fn reads(who: Who) -> Access {
    Access {
        who,
        writes: Writes::Never,
    }
}
pub const fn writes(who: Who) -> Access {
    Access {
        who,
        writes: Writes::Always,
    }
}

/// No default action: the handler asks for it.
pub fn no_default(_: &Params) -> Option<&'static str> {
    None
}

/// What one request needs, from the table.
struct Need {
    who: Who,
    write: bool,
    /// "DND set", "add on extension": names the reqtype and action in refusals.
    what: String,
    /// What needs the tenant: the reqtype, or its action when only that action needs one.
    tenant_what: String,
}

fn need(reqtype: &str, access: &Access, p: &Params) -> Need {
    let upper = reqtype.to_ascii_uppercase();
    let plain = |write| Need {
        who: access.who,
        write,
        what: upper.clone(),
        tenant_what: upper.clone(),
    };
    match access.writes {
        Writes::Never => plain(false),
        Writes::Always => plain(true),
        Writes::ByAction {
            params,
            default,
            acts,
        } => {
            let given = params.iter().find_map(|n| p.word(n));
            let action = given.or_else(|| default(p).map(String::from));
            match action.and_then(|a| acts.iter().find(|x| x.name == a)) {
                Some(act) => Need {
                    // Tenant then admin: an admin-only action of a tenant's reqtype needs both.
                    who: match (access.who, act.who) {
                        (_, Some(Who::Admin)) => Who::Admin,
                        (w, None) => w,
                        (_, Some(w)) => w,
                    },
                    write: act.mode == Mode::Write,
                    what: format!("{upper} {}", act.name),
                    tenant_what: match act.who {
                        Some(Who::Tenant) => format!("{upper} {}", act.name),
                        _ => upper.clone(),
                    },
                },
                None => plain(false),
            }
        }
        Writes::Object => {
            let obj = p.word("object").and_then(|n| objects::find(&n));
            let action = p.word("action");
            match (obj, action) {
                (Some(obj), Some(action)) => {
                    let write = match obj.action(&action) {
                        Some(special) => special.writes,
                        None => obj.crud && matches!(action.as_str(), "add" | "update" | "delete"),
                    };
                    Need {
                        who: if obj.admin_only {
                            Who::Admin
                        } else {
                            access.who
                        },
                        write,
                        what: format!("{action} on {}", obj.name),
                        tenant_what: upper.clone(),
                    }
                }
                (Some(obj), None) if obj.admin_only => Need {
                    who: Who::Admin,
                    write: false,
                    what: obj.name.to_string(),
                    tenant_what: upper.clone(),
                },
                // Unknown object or no action: the handler names the parameter.
                _ => plain(false),
            }
        }
    }
}

/// Refuse a request the table does not allow the caller, before its handler runs: a tenant
/// that must be named, an admin-only reqtype or action, a write with a read-only key.
pub fn check(reqtype: &str, access: &Access, caller: &Caller, p: &Params) -> ApiResult<()> {
    let need = need(reqtype, access, p);
    match need.who {
        Who::Any => {}
        Who::Tenant => {
            caller.require_tenant(&need.tenant_what)?;
        }
        Who::Admin => {
            if !caller.is_admin() {
                tracing::warn!(what = %need.what, "refused: admin key needed");
                // The upstream literal: clients test for it.
                return Err(ApiError::Auth);
            }
        }
    }
    if need.write {
        caller.require_write(&need.what)?;
    }
    Ok(())
}

fn who_text(who: Who) -> &'static str {
    match who {
        Who::Any => "any key",
        Who::Tenant => "a tenant (tenant key, or admin key with tenant=)",
        Who::Admin => "admin key only",
    }
}

/// The HELP line of one reqtype: who may call it and what each action does.
pub fn help_line(reqtype: &str, access: &Access) -> String {
    let upper = reqtype.to_ascii_uppercase();
    let who = who_text(access.who);
    match access.writes {
        Writes::Never => format!("{upper} - {who}; read"),
        Writes::Always => format!("{upper} - {who}; write (read/write key)"),
        Writes::ByAction { params, acts, .. } => {
            let list = |mode: Mode| {
                acts.iter()
                    .filter(|a| a.mode == mode)
                    .map(|a| match a.who {
                        Some(Who::Admin) if access.who != Who::Admin => {
                            format!("{} (admin)", a.name)
                        }
                        Some(Who::Tenant) if access.who != Who::Tenant => {
                            format!("{} (tenant)", a.name)
                        }
                        _ => a.name.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (r, w) = (list(Mode::Read), list(Mode::Write));
            let mut line = format!("{upper} - {who}; {}", params[0]);
            if !r.is_empty() {
                line.push_str(&format!(" read: {r}"));
            }
            if !w.is_empty() {
                if !r.is_empty() {
                    line.push(';');
                }
                line.push_str(&format!(" write (read/write key): {w}"));
            }
            line
        }
        Writes::Object => format!(
            "{upper} - {who}; list, get and read actions read; add, update, delete and write \
             actions write (read/write key); objects marked admin key need one"
        ),
    }
}
