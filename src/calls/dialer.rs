//! The campaign dialer: one task per process, started with the cluster, looks at running
//! campaigns every poll and originates up to each one's free slots (see [`super::campaign`]).

use super::campaign::{BUSY, MAX_CALL};
use super::{on_outcome, originate, Outcome};
use crate::ami::Variable;
use crate::cluster::Cluster;
use crate::db::Db;
use crate::error::{internal, ApiError, ApiResult};
use entity::{cn_campaignnumbers as cn, cp_campaigns as cp};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
};
use std::sync::Weak;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// [`call_ended`] as a subscriber of stored CDRs ([`crate::cdr::events::CdrStored`]).
pub fn on_cdr_stored<'a>(
    txn: &'a sea_orm::DatabaseTransaction,
    node: &'a str,
    uniqueids: &'a [String],
) -> futures_util::future::BoxFuture<'a, ApiResult<()>> {
    Box::pin(call_ended(txn, node, uniqueids))
}

/// A call of a campaign ended (its CDR arrived): its slot is free again.
pub async fn call_ended(
    conn: &impl ConnectionTrait,
    node: &str,
    uniqueids: &[String],
) -> ApiResult<()> {
    if uniqueids.is_empty() {
        return Ok(());
    }
    let mut u = Query::update();
    u.table(cn::Entity)
        .value(cn::Column::CnState, "done")
        .value(cn::Column::CnUpdated, chrono::Utc::now().naive_utc())
        .and_where(Expr::col(cn::Column::CnNode).eq(node))
        .and_where(Expr::col(cn::Column::CnUniqueid).is_in(uniqueids.to_vec()))
        .and_where(Expr::col(cn::Column::CnState).eq("answered"));
    conn.execute(&u).await?;
    Ok(())
}

/// Answered calls whose CDR is already stored are over: their Cdr event was handled while
/// their outcome was being recorded (the two run apart). Found with a plain read and closed by
/// id, outside the claim transaction, so no lock is held on `cdr` while `cn` rows are locked.
async fn finish_ended_calls(db: &Db, cp_id: i32, now: chrono::NaiveDateTime) -> ApiResult<()> {
    let mut q = Query::select();
    q.column((cn::Entity, cn::Column::CnId))
        .from(cn::Entity)
        .inner_join(
            entity::cdr::Entity,
            Expr::col((entity::cdr::Entity, entity::cdr::Column::Node))
                .equals((cn::Entity, cn::Column::CnNode))
                .and(
                    Expr::col((entity::cdr::Entity, entity::cdr::Column::Uniqueid))
                        .equals((cn::Entity, cn::Column::CnUniqueid)),
                ),
        )
        .and_where(Expr::col((cn::Entity, cn::Column::CnCpId)).eq(cp_id))
        .and_where(Expr::col((cn::Entity, cn::Column::CnState)).eq("answered"));
    let ids: Vec<i32> = db
        .conn
        .query_all(&q)
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<i32>(0).ok())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut u = Query::update();
    u.table(cn::Entity)
        .value(cn::Column::CnState, "done")
        .value(cn::Column::CnUpdated, now)
        .and_where(Expr::col(cn::Column::CnId).is_in(ids))
        .and_where(Expr::col(cn::Column::CnState).eq("answered"));
    let txn = db.begin_write().await?;
    txn.execute(&u).await?;
    txn.commit().await?;
    Ok(())
}

/// Start the dialer task of this process; it ends with the cluster.
pub fn spawn_dialer(cluster: Weak<Cluster>, cancel: CancellationToken) {
    tokio::spawn(async move {
        loop {
            let Some(c) = cluster.upgrade() else { break };
            if let Err(e) = pass(&c).await {
                tracing::warn!(error = %e, "campaign dialer pass failed");
            }
            let pause = c.settings.outbox_poll.max(Duration::from_millis(100));
            drop(c);
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    });
}

async fn pass(cluster: &Cluster) -> ApiResult<()> {
    let running = cp::Entity::find()
        .filter(cp::Column::CpState.eq("running"))
        .all(&cluster.db.conn)
        .await?;
    for c in running {
        if let Err(e) = dial(cluster, &c).await {
            tracing::warn!(campaign = c.cp_id, error = %e, "campaign dialer failed");
        }
    }
    Ok(())
}

/// A claimed number: what to originate.
struct Claim {
    cn_id: i32,
    number: String,
    node: crate::cluster::Node,
    originateid: String,
}

/// Originate up to the campaign's free slots.
async fn dial(cluster: &Cluster, c: &cp::Model) -> ApiResult<()> {
    let db = &cluster.db;
    // A campaign whose tenant was deleted stops instead of dialling for nobody.
    let (code, context) =
        match crate::objects::extension::tenant_context(&db.conn, c.cp_te_id).await {
            Err(ApiError::WrongTenant) => {
                let mut u = Query::update();
                u.table(cp::Entity)
                    .value(cp::Column::CpState, "stopped")
                    .and_where(Expr::col(cp::Column::CpId).eq(c.cp_id));
                let txn = db.begin_write().await?;
                txn.execute(&u).await?;
                txn.commit().await?;
                return Ok(());
            }
            other => other?,
        };
    let nodes: Vec<_> = crate::cluster::live::nodes_for(cluster, Some(c.cp_te_id))
        .await?
        .into_iter()
        .filter(crate::cluster::Node::is_connected)
        .collect();
    if nodes.is_empty() {
        return Ok(());
    }
    let now = chrono::Utc::now().naive_utc();
    finish_ended_calls(db, c.cp_id, now).await?;
    let txn = db.begin_write().await?;
    // The campaign row is the lock that serialises claims (and maxcalls) across processes.
    let mut lock = Query::select();
    lock.column(cp::Column::CpState)
        .from(cp::Entity)
        .and_where(Expr::col(cp::Column::CpId).eq(c.cp_id));
    if db.backend() != DbBackend::Sqlite {
        lock.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(row) = txn.query_one(&lock).await? else {
        return Ok(());
    };
    let current: String = row.try_get_by_index(0).map_err(internal)?;
    if current != "running" {
        return Ok(());
    }
    // A call whose outcome never came (its process died) stops counting after a while, and so
    // does an answered call whose CDR never came (cdr_manager off, an event lost).
    let no_outcome = now - chrono::Duration::seconds(i64::from(c.cp_dialtimeout) + 120);
    let no_cdr = now - chrono::Duration::from_std(MAX_CALL).map_err(internal)?;
    for (from, to, before) in [
        ("dialing", "unknown", no_outcome),
        ("answered", "done", no_cdr),
    ] {
        let mut expire = Query::update();
        expire
            .table(cn::Entity)
            .value(cn::Column::CnState, to)
            .value(cn::Column::CnUpdated, now)
            .and_where(Expr::col(cn::Column::CnCpId).eq(c.cp_id))
            .and_where(Expr::col(cn::Column::CnState).eq(from))
            .and_where(Expr::col(cn::Column::CnClaimed).lt(before));
        txn.execute(&expire).await?;
    }
    let busy = cn::Entity::find()
        .filter(cn::Column::CnCpId.eq(c.cp_id))
        .filter(cn::Column::CnState.is_in(BUSY))
        .all(&*txn)
        .await?
        .len() as i32;
    let free = c.cp_maxcalls - busy;
    if free <= 0 {
        return Ok(());
    }
    let mut pick = Query::select();
    pick.columns([cn::Column::CnId, cn::Column::CnNumber])
        .from(cn::Entity)
        .and_where(Expr::col(cn::Column::CnCpId).eq(c.cp_id))
        .and_where(Expr::col(cn::Column::CnState).eq("pending"))
        .order_by(cn::Column::CnId, Order::Asc)
        .limit(free as u64);
    let mut claims = Vec::new();
    for r in txn.query_all(&pick).await? {
        let node = cluster.next_of(&nodes);
        claims.push(Claim {
            cn_id: r.try_get_by_index(0).map_err(internal)?,
            number: r.try_get_by_index(1).map_err(internal)?,
            originateid: super::originate_id(&node.name),
            node,
        });
    }
    for claim in &claims {
        let mut u = Query::update();
        u.table(cn::Entity)
            .value(cn::Column::CnState, "dialing")
            .value(
                cn::Column::CnAttempts,
                Expr::col(cn::Column::CnAttempts).add(1),
            )
            .value(cn::Column::CnNode, claim.node.name.as_str())
            .value(cn::Column::CnOriginateid, claim.originateid.as_str())
            .value(cn::Column::CnUniqueid, "")
            .value(cn::Column::CnClaimed, now)
            .value(cn::Column::CnUpdated, now)
            .and_where(Expr::col(cn::Column::CnId).eq(claim.cn_id));
        txn.execute(&u).await?;
    }
    txn.commit().await?;
    if claims.is_empty() {
        return Ok(());
    }
    for claim in claims {
        let mut action = crate::ami::Action::new("Originate")
            .header("Channel", format!("Local/{}@{context}", claim.number))
            .header("CallerID", c.cp_callerid.as_str())
            .header("Timeout", (c.cp_dialtimeout * 1000).to_string());
        action = match c.cp_source.as_str() {
            "queue" => action
                .header("Application", "Queue")
                .header("Data", c.cp_target.as_str()),
            _ => action
                .header("Context", context.as_str())
                .header("Exten", c.cp_target.as_str())
                .header("Priority", "1"),
        };
        // Server values (tenant code, ids of checked node names): these cannot be refused.
        action = action
            .variable(Variable::new("TENANT", "TENANT", &code, 20)?)
            .variable(Variable::new(
                "CAMPAIGNID",
                "CAMPAIGNID",
                &c.cp_id.to_string(),
                20,
            )?)
            .variable(Variable::new(
                "ORIGINATEID",
                "ORIGINATEID",
                &claim.originateid,
                120,
            )?);
        let within = Duration::from_secs(c.cp_dialtimeout as u64 + 60);
        let sent = originate(
            &claim.node.client,
            action,
            cluster.settings.action_timeout,
            within,
        )
        .await;
        let db = db.clone();
        let max = c.cp_maxattempts;
        match sent {
            Ok(pending) => on_outcome("CAMPAIGN", pending, move |o| {
                Box::pin(record(db, claim.cn_id, claim.originateid, max, o))
            }),
            // Not written: back to pending, this attempt does not count.
            Err(crate::ami::AmiError::NotConnected) => {
                undo(&db, claim.cn_id, &claim.originateid).await?
            }
            Err(crate::ami::AmiError::Refused(_)) => {
                let failed = Outcome {
                    success: false,
                    reason: 0,
                    uniqueid: String::new(),
                    channel: String::new(),
                };
                record(db, claim.cn_id, claim.originateid, max, Some(failed)).await?
            }
            Err(_) => record(db, claim.cn_id, claim.originateid, max, None).await?,
        }
    }
    Ok(())
}

async fn undo(db: &Db, cn_id: i32, originateid: &str) -> ApiResult<()> {
    let mut u = Query::update();
    u.table(cn::Entity)
        .value(cn::Column::CnState, "pending")
        .value(
            cn::Column::CnAttempts,
            Expr::col(cn::Column::CnAttempts).sub(1),
        )
        .and_where(Expr::col(cn::Column::CnId).eq(cn_id))
        .and_where(Expr::col(cn::Column::CnOriginateid).eq(originateid))
        .and_where(Expr::col(cn::Column::CnState).eq("dialing"));
    let txn = db.begin_write().await?;
    txn.execute(&u).await?;
    txn.commit().await?;
    Ok(())
}

/// The outcome of one attempt: answered, or pending again while attempts remain, else failed;
/// no outcome at all: unknown (never dialled again).
async fn record(
    db: Db,
    cn_id: i32,
    originateid: String,
    max_attempts: i32,
    o: Option<Outcome>,
) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    let Some(row) = cn::Entity::find_by_id(cn_id).one(&*txn).await? else {
        return Ok(());
    };
    if row.cn_state != "dialing" || row.cn_originateid != originateid {
        return Ok(());
    }
    let mut state = match &o {
        Some(o) if o.success => "answered",
        Some(_) if row.cn_attempts < max_attempts => "pending",
        Some(_) => "failed",
        None => "unknown",
    };
    // The call's CDR may have been handled first (events and outcomes run apart): then the
    // call is over already and must not hold its slot.
    if let (Some(o), "answered") = (&o, state) {
        let ended = entity::cdr::Entity::find()
            .filter(entity::cdr::Column::Node.eq(row.cn_node.as_str()))
            .filter(
                sea_orm::Condition::any()
                    .add(entity::cdr::Column::Uniqueid.eq(o.uniqueid.as_str()))
                    .add(entity::cdr::Column::Linkedid.eq(o.uniqueid.as_str())),
            )
            .one(&*txn)
            .await?;
        if ended.is_some() {
            state = "done";
        }
    }
    let mut am: cn::ActiveModel = row.into();
    am.cn_state = Set(state.into());
    am.cn_updated = Set(Some(chrono::Utc::now().naive_utc()));
    if let Some(o) = o {
        am.cn_reason = Set(o.reason);
        am.cn_uniqueid = Set(o.uniqueid);
    }
    am.update(&*txn).await?;
    txn.commit().await?;
    Ok(())
}
