//! The outbox: node actions recorded in the same transaction as the write that causes them,
//! one delivery row per target node, drained in order per node by the dispatcher.

use super::nodes;
use crate::error::{internal, ApiResult};
use entity::{ob_outbox, od_deliveries};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// One AMI action for the nodes, as stored: name, headers, and the key of what it refreshes
/// (two actions with the same key do the same thing; the later one suffices).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeAction {
    pub key: String,
    pub action: String,
    pub headers: Vec<(String, String)>,
}

impl NodeAction {
    pub fn new(key: impl Into<String>, action: &str, headers: &[(&str, &str)]) -> NodeAction {
        NodeAction {
            key: key.into(),
            action: action.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// Set or clear DND for a device on a node (AstDB family `DND`, key = device username).
pub fn dnd_action(username: &str, on: bool) -> NodeAction {
    let key = format!("dnd:{username}");
    if on {
        NodeAction::new(
            key,
            "DBPut",
            &[("Family", "DND"), ("Key", username), ("Val", "YES")],
        )
    } else {
        NodeAction::new(key, "DBDel", &[("Family", "DND"), ("Key", username)])
    }
}

/// The stored name of [`unregister_action`]. It is no AMI action (the `:` keeps it from ever
/// naming one): the dispatcher expands it at delivery, because a contact's AstDB key
/// (`<aor>;@<hash>`) is known only to the node.
pub const UNREGISTER_AOR: &str = "sb:UnregisterAor";

/// Drop every registered contact of a PJSIP AOR on a node (a device that no longer exists
/// keeps its registration in AstDB otherwise). Delivered by the dispatcher's expansion table.
pub fn unregister_action(aor: &str) -> NodeAction {
    NodeAction::new(format!("unregister:{aor}"), UNREGISTER_AOR, &[("Aor", aor)])
}

/// Queue, for a node newly serving tenants, the AstDB DND entry of every extension in DND that
/// the node serves, or of `tenant` only (the other nodes got theirs when DND was set).
pub async fn seed_dnd(
    conn: &impl ConnectionTrait,
    node_id: i32,
    tenant: Option<i32>,
) -> ApiResult<()> {
    use entity::ex_extensions;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut serves: std::collections::HashMap<i32, bool> = Default::default();
    let mut in_dnd = ex_extensions::Entity::find().filter(ex_extensions::Column::ExDnd.eq("on"));
    if let Some(te) = tenant {
        in_dnd = in_dnd.filter(ex_extensions::Column::ExTeId.eq(te));
    }
    let in_dnd = in_dnd.all(conn).await?;
    for ext in in_dnd {
        let served = match serves.get(&ext.ex_te_id) {
            Some(s) => *s,
            None => {
                let s = nodes::targets(conn, Some(ext.ex_te_id))
                    .await?
                    .contains(&node_id);
                serves.insert(ext.ex_te_id, s);
                s
            }
        };
        if served {
            let act = dnd_action(&ext.ex_username, true);
            record_to(conn, Some(ext.ex_te_id), &[node_id], &[act]).await?;
        }
    }
    Ok(())
}

/// Store actions with one pending delivery per target node (the tenant's pinned nodes, or all).
/// Call it inside the transaction of the write that causes the actions.
pub async fn record(
    conn: &impl ConnectionTrait,
    te_id: Option<i32>,
    actions: &[NodeAction],
) -> ApiResult<()> {
    if actions.is_empty() {
        return Ok(());
    }
    let targets = nodes::targets(conn, te_id).await?;
    record_to(conn, te_id, &targets, actions).await
}

/// Store actions with one pending delivery for each of `targets` (node ids).
pub async fn record_to(
    conn: &impl ConnectionTrait,
    te_id: Option<i32>,
    targets: &[i32],
    actions: &[NodeAction],
) -> ApiResult<()> {
    if actions.is_empty() || targets.is_empty() {
        return Ok(());
    }
    let now = chrono::Utc::now().naive_utc();
    for a in actions {
        let headers = serde_json::to_string(&a.headers).map_err(internal)?;
        let ob = ob_outbox::ActiveModel {
            ob_te_id: Set(te_id),
            ob_key: Set(a.key.chars().take(190).collect()),
            ob_action: Set(a.action.clone()),
            ob_headers: Set(headers),
            ob_created: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        let mut ins = Query::insert();
        ins.into_table(od_deliveries::Entity).columns([
            od_deliveries::Column::OdObId,
            od_deliveries::Column::OdNoId,
            od_deliveries::Column::OdState,
            od_deliveries::Column::OdAttempts,
            od_deliveries::Column::OdMessage,
        ]);
        for node in targets {
            ins.values_panic([
                ob.ob_id.into(),
                (*node).into(),
                PENDING.into(),
                0.into(),
                "".into(),
            ]);
        }
        conn.execute(&ins).await?;
    }
    Ok(())
}

/// Decode stored headers.
pub fn headers_of(ob: &ob_outbox::Model) -> Vec<(String, String)> {
    serde_json::from_str(&ob.ob_headers).unwrap_or_default()
}

/// Backlog of one node, for `outbox status` and `INFO nodes`.
#[derive(Debug, Clone, Default)]
pub struct Backlog {
    pub pending: i64,
    pub failed: i64,
    pub done: i64,
    /// The message of the most recent failed attempt, if any.
    pub last_error: String,
}

pub async fn backlog(conn: &impl ConnectionTrait, node_id: i32) -> ApiResult<Backlog> {
    let mut out = Backlog::default();
    for (state, slot) in [
        (PENDING, &mut out.pending),
        (FAILED, &mut out.failed),
        (DONE, &mut out.done),
    ] {
        let mut q = Query::select();
        q.expr(Expr::cust("COUNT(*)"))
            .from(od_deliveries::Entity)
            .and_where(Expr::col(od_deliveries::Column::OdNoId).eq(node_id))
            .and_where(Expr::col(od_deliveries::Column::OdState).eq(state));
        *slot = crate::db::count(conn, q).await?;
    }
    out.last_error = od_deliveries::Entity::find()
        .filter(od_deliveries::Column::OdNoId.eq(node_id))
        .filter(od_deliveries::Column::OdMessage.ne(""))
        .filter(od_deliveries::Column::OdState.ne(DONE))
        .order_by_desc(od_deliveries::Column::OdUpdated)
        .order_by_desc(od_deliveries::Column::OdId)
        .one(conn)
        .await?
        .map(|d| d.od_message)
        .unwrap_or_default();
    Ok(out)
}

/// Every node with its backlog.
pub async fn status(conn: &impl ConnectionTrait) -> ApiResult<Vec<(nodes::NodeView, Backlog)>> {
    let mut out = Vec::new();
    for node in nodes::list(conn).await? {
        let b = backlog(conn, node.id).await?;
        out.push((node, b));
    }
    Ok(out)
}

/// Rows deleted per transaction by [`purge`] (short transactions: deliveries go on between
/// them, SQLite's single writer included).
const PURGE_BATCH: u64 = 1000;

/// Delete deliveries that are `done` and were recorded before `cutoff`, then the actions
/// left without any delivery; pending and failed deliveries (and their actions) stay.
/// Works in batches of [`PURGE_BATCH`], pausing between them. Returns the deliveries deleted.
pub async fn purge(db: &crate::db::Db, cutoff: chrono::NaiveDateTime) -> ApiResult<u64> {
    use od_deliveries::Column as D;
    let mut deleted = 0;
    loop {
        let mut q = Query::select();
        q.columns([D::OdId, D::OdObId])
            .from(od_deliveries::Entity)
            .and_where(Expr::col(D::OdState).eq(DONE))
            .and_where(Expr::col(D::OdUpdated).lt(cutoff))
            .order_by(D::OdId, sea_orm::Order::Asc)
            .limit(PURGE_BATCH);
        let txn = db.begin_write().await?;
        let mut ids = Vec::new();
        let mut actions = std::collections::BTreeSet::new();
        for r in txn.query_all(&q).await? {
            ids.push(r.try_get_by_index::<i32>(0).map_err(internal)?);
            actions.insert(r.try_get_by_index::<i32>(1).map_err(internal)?);
        }
        if ids.is_empty() {
            return Ok(deleted);
        }
        let mut del = Query::delete();
        del.from_table(od_deliveries::Entity)
            .and_where(Expr::col(D::OdId).is_in(ids.iter().copied()));
        deleted += txn.execute(&del).await?.rows_affected();
        // Actions some delivery still needs (pending, failed, or done too recently) stay.
        let mut kept = Query::select();
        kept.distinct()
            .column(D::OdObId)
            .from(od_deliveries::Entity)
            .and_where(Expr::col(D::OdObId).is_in(actions.iter().copied()));
        for r in txn.query_all(&kept).await? {
            actions.remove(&r.try_get_by_index::<i32>(0).map_err(internal)?);
        }
        if !actions.is_empty() {
            let mut del = Query::delete();
            del.from_table(ob_outbox::Entity)
                .and_where(Expr::col(ob_outbox::Column::ObId).is_in(actions));
            txn.execute(&del).await?;
        }
        txn.commit().await?;
        if (ids.len() as u64) < PURGE_BATCH {
            return Ok(deleted);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// One retention pass: purge what is older than the `OUTBOX_RETENTION_DAYS` setting.
pub async fn purge_expired(db: &crate::db::Db) -> ApiResult<u64> {
    let days: i64 = crate::settings::value(&db.conn, "OUTBOX_RETENTION_DAYS", None)
        .await?
        .parse()
        .map_err(internal)?;
    purge(
        db,
        chrono::Utc::now().naive_utc() - chrono::Duration::days(days),
    )
    .await
}
