//! Which node actions a MANAGEDB write causes: one table, keyed by object name. Objects not
//! listed cause no action. Config itself reaches Asterisk through the realtime tables; these
//! actions only make nodes drop what they cached (and carry live state such as DND).

use super::{engine, Row, WriteCx};
use crate::cluster::outbox::{self, NodeAction};
use crate::error::ApiResult;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::DatabaseTransaction;

/// What a write of one object asks of the nodes, from the row before and after the write
/// (either may be absent: add has no `before`, delete no `after`).
pub type Mapper = fn(before: Option<&Row>, after: Option<&Row>) -> Vec<NodeAction>;

/// The table. Other objects add a line here.
pub static ON_WRITE: &[(&str, Mapper)] = &[
    ("extension", extension),
    ("provider", provider),
    ("queue", queue),
    ("voicemail", |_, _| {
        vec![command("voicemail", "voicemail reload")]
    }),
    ("musiconhold", |_, _| vec![command("moh", "moh reload")]),
    // The rows are app_meetme's realtime `meetme` family.
    ("conference", |_, _| vec![module_reload("app_meetme.so")]),
];

/// The hook of the generic engine: record the node actions of a write in its transaction.
pub async fn record(cx: &WriteCx<'_>) -> ApiResult<()> {
    let actions = actions(cx);
    outbox::record(cx.txn, cx.tenant.as_ref().map(|t| t.id), &actions).await
}

/// A tenant deleted with `cascade=yes` removes its rows without a write per row; the nodes
/// are told what deleting each row would tell them (its devices unregistered, caches expired,
/// DND cleared, queues reloaded). Call it in the delete's transaction, before the rows go.
pub async fn record_tenant_delete(txn: &DatabaseTransaction, te_id: i32) -> ApiResult<()> {
    let mut out: Vec<NodeAction> = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for (name, map) in ON_WRITE {
        let Some(obj) = super::REGISTRY.iter().find(|o| o.name == *name) else {
            continue;
        };
        let Some(col) = obj.tenant_col else {
            continue;
        };
        let mut q = engine::select(obj, &engine::Scope::All);
        q.and_where(Expr::col(col).eq(te_id));
        for row in engine::fetch_rows(txn, obj, &q).await? {
            for a in map(Some(&row), None) {
                if keys.insert(a.key.clone()) {
                    out.push(a);
                }
            }
        }
    }
    outbox::record(txn, Some(te_id), &out).await
}

/// The node actions of one write, deduplicated (the same refresh asked twice is sent once).
pub fn actions(cx: &WriteCx<'_>) -> Vec<NodeAction> {
    let Some((_, map)) = ON_WRITE.iter().find(|(name, _)| *name == cx.obj.name) else {
        return Vec::new();
    };
    let mut out: Vec<NodeAction> = Vec::new();
    for a in map(cx.before.as_ref(), cx.after.as_ref()) {
        if !out.iter().any(|o| o.key == a.key) {
            out.push(a);
        }
    }
    out
}

/// `Action: Command` with one CLI command; `key` names what it refreshes.
pub fn command(key: &str, cli: &str) -> NodeAction {
    NodeAction::new(format!("cmd:{key}"), "Command", &[("Command", cli)])
}

fn module_reload(module: &str) -> NodeAction {
    NodeAction::new(format!("reload:{module}"), "Reload", &[("Module", module)])
}

/// PJSIP realtime objects cached by sorcery's memory cache: the cache names are the ones the
/// example `sorcery.conf` (deploy/) gives them.
pub const PJSIP_CACHES: &[&str] = &["pjsip_endpoint", "pjsip_auth", "pjsip_aor"];

fn extension(before: Option<&Row>, after: Option<&Row>) -> Vec<NodeAction> {
    let mut out = Vec::new();
    for row in before.into_iter().chain(after) {
        let user = row.get("ex_username").unwrap_or_default();
        if user.is_empty() {
            continue;
        }
        match row.get("ex_tech") {
            Some("PJSIP") => out.extend(expire_pjsip(user)),
            Some("SIP") => out.push(command(
                &format!("sip:{user}"),
                &format!("sip prune realtime peer {user}"),
            )),
            _ => {}
        }
    }
    fn user(r: Option<&Row>) -> &str {
        r.and_then(|r| r.get("ex_username")).unwrap_or_default()
    }
    let renamed = after.is_some() && user(before) != user(after);
    // A PJSIP device that goes (deleted, renamed, made chan_sip) keeps its registration in the
    // nodes' AstDB, which outlives its realtime rows: drop its contacts on every node.
    let pjsip = |r: Option<&Row>| r.and_then(|r| r.get("ex_tech")) == Some("PJSIP");
    if pjsip(before) && !user(before).is_empty() && (!pjsip(after) || renamed) {
        out.push(outbox::unregister_action(user(before)));
    }
    // DND lives in AstDB on every node (family DND, key = device username), so a renamed
    // device (a new number) moves its key.
    let dnd = |r: Option<&Row>| r.and_then(|r| r.get("ex_dnd")) == Some("on");
    if dnd(before) && (after.is_none() || renamed) {
        out.push(outbox::dnd_action(user(before), false));
    }
    if after.is_some() && (dnd(after) != dnd(before) || (renamed && dnd(after))) {
        out.push(outbox::dnd_action(user(after), dnd(after)));
    }
    out
}

/// Drop a PJSIP object (endpoint, auth, aor of one name) from the nodes' sorcery caches.
fn expire_pjsip(name: &str) -> impl Iterator<Item = NodeAction> + '_ {
    PJSIP_CACHES.iter().map(move |cache| {
        NodeAction::new(
            format!("sorcery:{cache}:{name}"),
            "SorceryMemoryCacheExpireObject",
            &[("Cache", cache), ("Object", name)],
        )
    })
}

/// The module that owns outbound registrations: its reload reads `ps_registrations` again,
/// starting new registrations and ending those whose row went.
pub const REGISTRATIONS_MODULE: &str = "res_pjsip_outbound_registration.so";

/// A trunk's rows changed: the nodes drop its cached endpoint, auth and aor (identify rows are
/// not cached), and reload registrations when it registers or did.
fn provider(before: Option<&Row>, after: Option<&Row>) -> Vec<NodeAction> {
    let mut out = Vec::new();
    let trunks = before
        .into_iter()
        .chain(after)
        .filter(|r| super::provider::is_trunk(r));
    let mut registers = false;
    for row in trunks {
        out.extend(expire_pjsip(row.get("pr_peername").unwrap_or_default()));
        registers |= row.get("pr_register") == Some("on");
    }
    if registers {
        out.push(module_reload(REGISTRATIONS_MODULE));
    }
    out
}

/// Queue names on Asterisk are the queue's id.
fn queue(before: Option<&Row>, after: Option<&Row>) -> Vec<NodeAction> {
    before
        .or(after)
        .and_then(|r| r.get("qu_id"))
        .map(|id| {
            vec![NodeAction::new(
                format!("queue:{id}"),
                "QueueReload",
                &[
                    ("Queue", id),
                    ("Members", "yes"),
                    ("Rules", "yes"),
                    ("Parameters", "yes"),
                ],
            )]
        })
        .unwrap_or_default()
}
