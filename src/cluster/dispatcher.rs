//! Delivers the outbox: for each connected node, its pending actions in order, each once.
//!
//! One process at a time drains a node: it takes a lease on the node's row (claimed with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL; SQLite's single writer serialises the same
//! check), delivers without holding a transaction, records the results, renews the lease per
//! batch. A crash between sending and recording means a redelivery by the next holder: node
//! actions are idempotent refreshes, so "at least once" is acceptable — and for the same
//! reason an action whose outcome is unknown (link dropped, timeout) is retried.

use super::live;
use super::outbox::{self, DONE, FAILED, PENDING};
use super::registry::{Cluster, Node};
use crate::ami::{Action, AmiError};
use crate::error::{internal, ApiResult};
use entity::{no_nodes, ob_outbox, od_deliveries};
use futures_util::future::{join_all, BoxFuture};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, Value};
use std::sync::atomic::Ordering;

/// Actions claimed per round trip to the database.
const BATCH: u64 = 500;
/// Failed deliveries are retried on reconnect until they have failed this often.
pub const MAX_ATTEMPTS: i32 = 5;

/// One pass over every node (called by the cluster's background task).
pub async fn pass(cluster: &Cluster) {
    let nodes = cluster.nodes();
    let results = join_all(nodes.iter().map(|n| drain(cluster, n))).await;
    for (node, r) in nodes.iter().zip(results) {
        if let Err(e) = r {
            tracing::warn!(node = %node.name, error = %e, "outbox delivery pass failed");
        }
    }
}

/// What to send for one or more deliveries (coalesced ones share one send).
struct Item {
    action: Action,
    covers: Vec<i32>,
}

async fn drain(cluster: &Cluster, node: &Node) -> ApiResult<()> {
    let db = &cluster.db;
    if !node.is_connected() {
        return Ok(());
    }
    let logins = node.client.logins();
    if node.seen_logins.swap(logins, Ordering::SeqCst) != logins {
        retry_failed(cluster, node.id).await?;
    }
    if !has_pending(&db.conn, node.id).await? || !take_lease(cluster, node.id).await? {
        return Ok(());
    }
    let outcome = deliver_all(cluster, node).await;
    let released = release_lease(cluster, node.id).await;
    outcome.and(released)
}

async fn deliver_all(cluster: &Cluster, node: &Node) -> ApiResult<()> {
    loop {
        let items = batch(&cluster.db.conn, node.id).await?;
        if items.is_empty() {
            return Ok(());
        }
        let mut done = Vec::new();
        let mut failed = Vec::new();
        let mut undelivered: Option<(Vec<i32>, String)> = None;
        for item in items {
            let name = item.action.name().to_string();
            let sent = match EXPANDED.iter().find(|(n, _)| *n == name) {
                Some((_, expand)) => expand(cluster, node, &item.action).await,
                None => node
                    .client
                    .send_with_timeout(item.action, cluster.settings.action_timeout)
                    .await
                    .map(drop),
            };
            match sent {
                Ok(_) => done.extend(item.covers),
                Err(AmiError::Refused(msg)) if nothing_to_do(&name, &msg) => {
                    done.extend(item.covers)
                }
                Err(AmiError::Refused(msg)) => {
                    failed.extend(item.covers.into_iter().map(|id| (id, msg.clone())))
                }
                // Not written, or written with an unknown outcome: stays pending, in order.
                Err(e) => {
                    undelivered = Some((item.covers, e.to_string()));
                    break;
                }
            }
        }
        let stop = undelivered.is_some();
        record(cluster, done, failed, undelivered).await?;
        if stop || !take_lease(cluster, node.id).await? {
            return Ok(());
        }
    }
}

/// An outbox action the dispatcher carries out as several AMI actions, decided on the node at
/// delivery. `Ok` is done, `Refused` failed (retried on reconnect), any other error leaves it
/// pending: an expansion must be safe to run again from the start.
type Expander =
    for<'a> fn(&'a Cluster, &'a Node, &'a Action) -> BoxFuture<'a, Result<(), AmiError>>;

/// The expanded actions, by stored name. Other expansions add a line here.
static EXPANDED: &[(&str, Expander)] = &[(outbox::UNREGISTER_AOR, |c, n, a| {
    Box::pin(unregister_aor(c, n, a))
})];

/// [`outbox::UNREGISTER_AOR`]: `DBDel` of each contact of the AOR the node lists (Asterisk
/// keeps them in AstDB `registrar/contact/<aor>;@<hash>`; `DBDelTree` cannot match that
/// prefix). Done when the node lists none left; an AOR without contacts is done at once.
async fn unregister_aor(cluster: &Cluster, node: &Node, action: &Action) -> Result<(), AmiError> {
    let aor = action.get("Aor").unwrap_or("").trim();
    if aor.is_empty() {
        return Err(AmiError::Refused(format!(
            "{} without an Aor",
            outbox::UNREGISTER_AOR
        )));
    }
    let ids = live::aor_contacts(cluster, node, aor).await?;
    if ids.is_empty() {
        return Ok(());
    }
    for id in ids {
        let del = Action::new("DBDel")
            .header("Family", "registrar/contact")
            .header("Key", id);
        match node
            .client
            .send_with_timeout(del, cluster.settings.action_timeout)
            .await
        {
            // A refusal is a contact gone meanwhile (expired); the listing below tells.
            Ok(_) | Err(AmiError::Refused(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let left = live::aor_contacts(cluster, node, aor).await?;
    if left.is_empty() {
        Ok(())
    } else {
        Err(AmiError::Refused(format!(
            "{} contact(s) of {aor} still registered",
            left.len()
        )))
    }
}

/// Asterisk 22's refusal of `SorceryMemoryCacheExpireObject` for an object that is not in the
/// cache (the node never loaded it, or it was already expired): the refresh is done.
pub const NOT_CACHED: &str = "The provided object could not be expired from the cache";

/// A refusal that means the node already is as the action wants it.
fn nothing_to_do(action: &str, refusal: &str) -> bool {
    action.eq_ignore_ascii_case("SorceryMemoryCacheExpireObject") && refusal == NOT_CACHED
}

async fn has_pending(conn: &impl ConnectionTrait, node: i32) -> ApiResult<bool> {
    let mut q = Query::select();
    q.column(od_deliveries::Column::OdId)
        .from(od_deliveries::Entity)
        .and_where(Expr::col(od_deliveries::Column::OdNoId).eq(node))
        .and_where(Expr::col(od_deliveries::Column::OdState).eq(PENDING))
        .limit(1);
    Ok(conn.query_one(&q).await?.is_some())
}

/// The next pending deliveries of a node, in order, with duplicate refreshes coalesced: of
/// several pending actions with the same key only the last is sent, and it covers the others.
async fn batch(conn: &impl ConnectionTrait, node: i32) -> ApiResult<Vec<Item>> {
    let d = |c: od_deliveries::Column| (od_deliveries::Entity, c);
    let o = |c: ob_outbox::Column| (ob_outbox::Entity, c);
    let mut q = Query::select();
    q.column(d(od_deliveries::Column::OdId))
        .column(o(ob_outbox::Column::ObKey))
        .column(o(ob_outbox::Column::ObAction))
        .column(o(ob_outbox::Column::ObHeaders))
        .from(od_deliveries::Entity)
        .inner_join(
            ob_outbox::Entity,
            Expr::col(o(ob_outbox::Column::ObId)).equals(d(od_deliveries::Column::OdObId)),
        )
        .and_where(Expr::col(d(od_deliveries::Column::OdNoId)).eq(node))
        .and_where(Expr::col(d(od_deliveries::Column::OdState)).eq(PENDING))
        .order_by(d(od_deliveries::Column::OdId), Order::Asc)
        .limit(BATCH);
    let mut rows: Vec<(i32, String, String, String)> = Vec::new();
    for r in conn.query_all(&q).await? {
        rows.push((
            r.try_get_by_index(0).map_err(internal)?,
            r.try_get_by_index(1).map_err(internal)?,
            r.try_get_by_index(2).map_err(internal)?,
            r.try_get_by_index(3).map_err(internal)?,
        ));
    }
    let last_of: std::collections::HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.1.as_str(), i))
        .collect();
    let mut items: Vec<Item> = Vec::new();
    let mut covered: std::collections::HashMap<&str, Vec<i32>> = Default::default();
    for (i, (id, key, action, headers)) in rows.iter().enumerate() {
        let last = key.is_empty() || last_of.get(key.as_str()) == Some(&i);
        covered.entry(key.as_str()).or_default().push(*id);
        if !last {
            continue;
        }
        let mut a = Action::new(action);
        let pairs: Vec<(String, String)> = serde_json::from_str(headers).unwrap_or_default();
        for (k, v) in pairs {
            a.push(&k, v);
        }
        let covers = if key.is_empty() {
            vec![*id]
        } else {
            covered.remove(key.as_str()).unwrap_or_default()
        };
        items.push(Item { action: a, covers });
    }
    Ok(items)
}

async fn record(
    cluster: &Cluster,
    done: Vec<i32>,
    failed: Vec<(i32, String)>,
    undelivered: Option<(Vec<i32>, String)>,
) -> ApiResult<()> {
    let now = Value::ChronoDateTime(Some(chrono::Utc::now().naive_utc()));
    let txn = cluster.db.begin_write().await?;
    let set = |ids: Vec<i32>, state: Option<&str>, message: &str| {
        let mut u = Query::update();
        u.table(od_deliveries::Entity)
            .value(
                od_deliveries::Column::OdAttempts,
                Expr::col(od_deliveries::Column::OdAttempts).add(1),
            )
            .value(
                od_deliveries::Column::OdMessage,
                message.chars().take(255).collect::<String>(),
            )
            .value(od_deliveries::Column::OdUpdated, now.clone())
            .and_where(Expr::col(od_deliveries::Column::OdId).is_in(ids));
        if let Some(state) = state {
            u.value(od_deliveries::Column::OdState, state);
        }
        u
    };
    for chunk in done.chunks(500) {
        txn.execute(&set(chunk.to_vec(), Some(DONE), "")).await?;
    }
    for (id, msg) in failed {
        txn.execute(&set(vec![id], Some(FAILED), &msg)).await?;
    }
    if let Some((ids, msg)) = undelivered {
        txn.execute(&set(ids, None, &msg)).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// After a reconnect, failed deliveries get another chance (up to [`MAX_ATTEMPTS`]).
async fn retry_failed(cluster: &Cluster, node: i32) -> ApiResult<()> {
    let mut u = Query::update();
    u.table(od_deliveries::Entity)
        .value(od_deliveries::Column::OdState, PENDING)
        .and_where(Expr::col(od_deliveries::Column::OdNoId).eq(node))
        .and_where(Expr::col(od_deliveries::Column::OdState).eq(FAILED))
        .and_where(Expr::col(od_deliveries::Column::OdAttempts).lt(MAX_ATTEMPTS));
    let txn = cluster.db.begin_write().await?;
    txn.execute(&u).await?;
    txn.commit().await?;
    Ok(())
}

/// Take (or renew) this process's lease on draining a node; false if another process holds it.
async fn take_lease(cluster: &Cluster, node: i32) -> ApiResult<bool> {
    let now = chrono::Utc::now().naive_utc();
    let txn = cluster.db.begin_write().await?;
    let mut q = Query::select();
    q.columns([no_nodes::Column::NoLease, no_nodes::Column::NoLeaseUntil])
        .from(no_nodes::Entity)
        .and_where(Expr::col(no_nodes::Column::NoId).eq(node));
    if cluster.db.backend() != DbBackend::Sqlite {
        q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(row) = txn.query_one(&q).await? else {
        return Ok(false);
    };
    let holder: String = row.try_get_by_index(0).map_err(internal)?;
    let until: Option<chrono::NaiveDateTime> = row.try_get_by_index(1).map_err(internal)?;
    let held_by_other =
        holder != cluster.instance && !holder.is_empty() && until.is_some_and(|u| u > now);
    if held_by_other {
        return Ok(false);
    }
    let lease = chrono::Duration::from_std(cluster.settings.lease).map_err(internal)?;
    let mut u = Query::update();
    u.table(no_nodes::Entity)
        .value(no_nodes::Column::NoLease, cluster.instance.as_str())
        .value(no_nodes::Column::NoLeaseUntil, now + lease)
        .and_where(Expr::col(no_nodes::Column::NoId).eq(node));
    txn.execute(&u).await?;
    txn.commit().await?;
    Ok(true)
}

async fn release_lease(cluster: &Cluster, node: i32) -> ApiResult<()> {
    let mut u = Query::update();
    u.table(no_nodes::Entity)
        .value(no_nodes::Column::NoLease, "")
        .value(no_nodes::Column::NoLeaseUntil, Value::ChronoDateTime(None))
        .and_where(Expr::col(no_nodes::Column::NoId).eq(node))
        .and_where(Expr::col(no_nodes::Column::NoLease).eq(cluster.instance.as_str()));
    let txn = cluster.db.begin_write().await?;
    txn.execute(&u).await?;
    txn.commit().await?;
    Ok(())
}
