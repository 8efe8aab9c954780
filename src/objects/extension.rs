//! Extensions. The server names the device: `ex_username` is always `<ex_number>-<TENANT>`
//! ([`crate::device::DeviceName`]), set on add and kept in step when the number changes (a row
//! from before that rule gets its name at its next update); a client may send only that very
//! value. Add fills the technology; `secret` (SIP) or
//! `password` (PJSIP) goes to the Asterisk realtime rows (`sippeers`, or `ps_endpoints` +
//! `ps_auths` + `ps_aors`), which every write keeps in step in the same transaction.

use super::realtime::{self, Options};
use super::Kind::*;
use super::{checks, opt, req, ro, Behavior, Field, Kind, Object, Op, Row, WriteCx};
use crate::device::DeviceName;
use crate::error::{internal, ApiError, ApiResult};
use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Value};

pub const TECHS: &[&str] = &["PJSIP", "SIP", "CUSTOM", "VIRTUAL"];

pub static EXTENSION: Object = Object {
    name: "extension",
    plural: "extensions",
    table: "ex_extensions",
    pk: "ex_id",
    tenant_col: Some("ex_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("ex_number", Text(20)).checked(checks::digits),
        opt("ex_name", Text(100)),
        opt("ex_tech", Choice(TECHS)),
        opt("ex_username", Text(80)).checked(checks::identifier),
        opt("ex_cidnum", Text(40)),
        opt("ex_cidname", Text(80)),
        opt("ex_callallowed", Text(10)),
        opt("ex_pickupgroup", Text(40)),
        opt("ex_callgroup", Text(40)),
        opt("ex_dnd", Flag),
        opt("ex_voicemail", Flag),
        opt("ex_webpassword", Secret),
        ro("ex_created", DateTime),
    ],
    extras: &[SECRET, PASSWORD],
    unique: &[&["ex_te_id", "ex_number"], &["ex_username"]],
    limit: Some("te_maxextensions"),
    target_tag: Some("EXT"),
    source_types: &[
        "EXT-UNCONDITIONAL",
        "EXT-BUSY",
        "EXT-NOANSWER",
        "EXT-OFFLINE",
    ],
    // A virtual extension's PIN and memberships go with it, as do a real one's memberships.
    children: &[
        ("vx_virtualexts", "vx_ex_id"),
        ("vm_virtualmembers", "vm_vx_ex_id"),
        ("vm_virtualmembers", "vm_ex_id"),
    ],
    actions: &[],
    behavior: &ExtensionBehavior,
};

/// The SIP secret (chan_sip) and the PJSIP password: not columns, they live in realtime rows.
const SECRET: Field = opt("secret", Kind::Secret).checked(device_secret);
const PASSWORD: Field = opt("password", Kind::Secret).checked(device_secret);

fn device_secret(v: &str) -> Result<(), String> {
    if v.len() >= 6 && v.len() <= 80 && v.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("must be 6 to 80 printable ASCII characters without spaces".into())
    }
}

struct ExtensionBehavior;

#[async_trait]
impl Behavior for ExtensionBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        if cx.op == Op::Delete {
            return Ok(());
        }
        let before_tech = cx
            .before
            .as_ref()
            .and_then(|r| r.get("ex_tech"))
            .map(str::to_string);
        let tech = match (cx.input.text("ex_tech"), before_tech) {
            (Some(t), _) => t.to_string(),
            (None, Some(t)) => t,
            (None, None) if cx.input.extra("secret").is_some() => "SIP".to_string(),
            (None, None) => "PJSIP".to_string(),
        };
        let (given, wrong) = match tech.as_str() {
            "PJSIP" => ("password", "secret"),
            "SIP" => ("secret", "password"),
            _ => ("", ""),
        };
        for extra in ["secret", "password"] {
            if cx.input.extra(extra).is_some() && extra != given {
                let hint = if wrong.is_empty() {
                    format!("{tech} extensions have no device secret")
                } else {
                    format!("{tech} extensions take '{given}'")
                };
                return Err(ApiError::invalid(format!(
                    "field '{extra}' does not apply: {hint}"
                )));
            }
        }
        if tech != "PJSIP" {
            if let Some(name) = realtime::any_given(cx.obj, &cx.input) {
                return Err(ApiError::invalid(format!(
                    "field '{name}' applies to PJSIP extensions only (this one is {tech})"
                )));
            }
        }
        if cx.op == Op::Add {
            cx.input.set(cx.obj, "ex_tech", Value::String(Some(tech)));
        }
        // Live calls and CDRs are told apart by device name: no client may choose one.
        let number = match cx.input.text("ex_number") {
            Some(n) => n.to_string(),
            None => cx
                .before
                .as_ref()
                .and_then(|r| r.get("ex_number"))
                .unwrap_or_default()
                .to_string(),
        };
        let code = cx
            .tenant
            .as_ref()
            .map(|t| t.code.clone())
            .ok_or_else(|| internal("extension without tenant"))?;
        let name = DeviceName::of(&number, &code);
        if let Some(given) = cx.input.text("ex_username") {
            if given != name {
                return Err(ApiError::invalid(format!(
                    "field 'ex_username' is set by the server to <ex_number>-<TENANT> \
                     ('{name}'), not '{given}'"
                )));
            }
        }
        // Set only when it changes (add, a new number, a row named before the rule): an update
        // echoes only what it writes.
        let before = cx.before.as_ref().and_then(|r| r.get("ex_username"));
        if before != Some(name.as_str()) {
            cx.input
                .set(cx.obj, "ex_username", Value::String(Some(name)));
        }
        Ok(())
    }

    async fn after_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        let old_secret = match &cx.before {
            Some(before) => {
                let secret =
                    read_secret(cx.txn, before.get("ex_username").unwrap_or_default()).await?;
                drop_realtime(
                    cx.txn,
                    &[before.get("ex_username").unwrap_or_default().to_string()],
                )
                .await?;
                secret
            }
            None => None,
        };
        let Some(after) = &cx.after else {
            return Ok(());
        };
        let secret = cx
            .input
            .extra("secret")
            .or(cx.input.extra("password"))
            .map(str::to_string)
            .or(old_secret)
            .unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::rngs::OsRng, 20));
        let settings = |table| realtime::values(cx.obj, table, &cx.input, cx.before.as_ref());
        let (endpoint, aor) = (settings(realtime::ENDPOINTS), settings(realtime::AORS));
        write_realtime(cx.txn, after, &secret, endpoint, aor).await
    }

    fn options(&self) -> Option<&'static Options> {
        Some(&OPTIONS)
    }
}

/// The device's settings live in its `ps_endpoints` / `ps_aors` rows, keyed by its name.
static OPTIONS: Options = Options {
    key: "ex_username",
    list: realtime::DEVICE,
    except: &[],
};

/// The dialplan context a tenant's devices start in: `te_context`, else `from-internal-<CODE>`.
pub async fn tenant_context(
    conn: &impl ConnectionTrait,
    te_id: i32,
) -> ApiResult<(String, String)> {
    let mut q = Query::select();
    q.columns(["te_code", "te_context"])
        .from("te_tenants")
        .and_where(Expr::col("te_id").eq(te_id));
    let row = conn.query_one(&q).await?.ok_or(ApiError::WrongTenant)?;
    let code: String = row.try_get_by_index(0).map_err(internal)?;
    let context: Option<String> = row.try_get_by_index(1).map_err(internal)?;
    let context = context
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| format!("from-internal-{code}"));
    Ok((code, context))
}

/// The device secret currently in the realtime rows of `username` (PJSIP or SIP).
pub async fn read_secret(conn: &impl ConnectionTrait, username: &str) -> ApiResult<Option<String>> {
    for (table, key, col) in [
        ("ps_auths", "id", "password"),
        ("sippeers", "name", "secret"),
    ] {
        let mut q = Query::select();
        q.column(col)
            .from(table)
            .and_where(Expr::col(key).eq(username));
        if let Some(row) = conn.query_one(&q).await? {
            if let Some(secret) = row
                .try_get_by_index::<Option<String>>(0)
                .map_err(internal)?
            {
                return Ok(Some(secret));
            }
        }
    }
    Ok(None)
}

async fn drop_realtime(conn: &impl ConnectionTrait, usernames: &[String]) -> ApiResult<()> {
    realtime::drop_rows(
        conn,
        &[
            ("ps_endpoints", "id"),
            ("ps_auths", "id"),
            ("ps_aors", "id"),
            ("sippeers", "name"),
        ],
        usernames,
    )
    .await
}

/// Remove the realtime rows of every extension of a tenant (tenant cascade delete).
pub async fn drop_tenant_realtime(conn: &impl ConnectionTrait, te_id: i32) -> ApiResult<()> {
    let mut q = Query::select();
    q.column("ex_username")
        .from("ex_extensions")
        .and_where(Expr::col("ex_te_id").eq(te_id));
    let names = conn
        .query_all(&q)
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).map_err(internal))
        .collect::<ApiResult<Vec<_>>>()?;
    for chunk in names.chunks(500) {
        drop_realtime(conn, chunk).await?;
    }
    Ok(())
}

/// Realtime columns and their values.
type Settings = Vec<(&'static str, Value)>;

/// The caller ID a device presents: `"name" <number>`, the number being `ex_cidnum` when set.
pub fn caller_id(name: &str, cidnum: &str, number: &str) -> String {
    let num = if cidnum.is_empty() { number } else { cidnum };
    format!("\"{}\" <{num}>", name.replace('"', ""))
}

/// Write the realtime rows Asterisk reads for one extension: `endpoint` and `aor` are the
/// device's own settings, over Switchboard's defaults; identity, routing and trust columns
/// (name, context, tenant, caller ID, mailbox) are always Switchboard's.
async fn write_realtime(
    conn: &impl ConnectionTrait,
    ext: &Row,
    secret: &str,
    endpoint: Settings,
    aor: Settings,
) -> ApiResult<()> {
    let te_id = ext
        .id("ex_te_id")
        .ok_or_else(|| internal("extension without tenant"))?;
    let (code, context) = tenant_context(conn, te_id).await?;
    let user = ext.get("ex_username").unwrap_or_default().to_string();
    let number = ext.get("ex_number").unwrap_or_default();
    let name = ext.get("ex_name").unwrap_or_default();
    let callerid = caller_id(name, ext.get("ex_cidnum").unwrap_or_default(), number);
    let mailbox = (ext.get("ex_voicemail") == Some("on")).then(|| format!("{number}@{code}"));
    let (callgroup, pickupgroup) = (
        ext.get("ex_callgroup").unwrap_or_default(),
        ext.get("ex_pickupgroup").unwrap_or_default(),
    );
    let s = |v: &str| Value::String(Some(v.to_string()));
    let inserts: Vec<(&'static str, Vec<(&'static str, Value)>)> = match ext.get("ex_tech") {
        Some("PJSIP") => vec![
            (
                "ps_endpoints",
                realtime::merged(
                    vec![
                        ("transport", s("transport-udp")),
                        ("disallow", s("all")),
                        ("allow", s("ulaw,alaw,g722")),
                        ("direct_media", s("no")),
                        ("dtmf_mode", s("rfc4733")),
                    ],
                    endpoint,
                )
                .into_iter()
                .chain([
                    ("id", s(&user)),
                    ("aors", s(&user)),
                    ("auth", s(&user)),
                    ("context", s(&context)),
                    ("tenantid", s(&code)),
                    ("callerid", s(&callerid)),
                    ("mailboxes", Value::String(mailbox.clone())),
                    ("named_call_group", s(callgroup)),
                    ("named_pickup_group", s(pickupgroup)),
                ])
                .collect(),
            ),
            (
                "ps_auths",
                vec![
                    ("id", s(&user)),
                    ("auth_type", s("userpass")),
                    ("password", s(secret)),
                    ("username", s(&user)),
                ],
            ),
            (
                "ps_aors",
                realtime::merged(
                    vec![
                        ("max_contacts", Value::Int(Some(1))),
                        ("remove_existing", s("yes")),
                        ("qualify_frequency", Value::Int(Some(60))),
                    ],
                    aor,
                )
                .into_iter()
                .chain([("id", s(&user)), ("mailboxes", Value::String(mailbox))])
                .collect(),
            ),
        ],
        Some("SIP") => vec![(
            "sippeers",
            vec![
                ("name", s(&user)),
                ("type", s("friend")),
                ("secret", s(secret)),
                ("host", s("dynamic")),
                ("context", s(&context)),
                ("callerid", s(&callerid)),
                ("mailbox", Value::String(mailbox)),
                ("disallow", s("all")),
                ("allow", s("ulaw,alaw,g722")),
                ("nat", s("force_rport,comedia")),
                ("defaultuser", s(&user)),
                ("callgroup", s(callgroup)),
                ("pickupgroup", s(pickupgroup)),
            ],
        )],
        _ => vec![],
    };
    for (table, cols) in inserts {
        super::support::insert_row(conn, table, cols).await?;
    }
    Ok(())
}
