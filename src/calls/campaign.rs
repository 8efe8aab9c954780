//! `reqtype=CAMPAIGN`: outbound dialer campaigns of a tenant, and the dialer that runs them.
//!
//! Actions: `add` (`name`, `source` = `queue`|`extension`, `target` = queue id | extension
//! number, `callerid`, `maxcalls` 1–100, `maxattempts` 1–10, `dialtimeout` 5–120 s), `list`,
//! `get` (`id`), `delete` (`id`), `start`, `stop`, `pause`, `resume` (`id`), `numbers` (`id`,
//! optional `state`), `addnumbers` (`id`, `numbers`: separated by commas, spaces or new lines),
//! `cleannumbers` (`id`, optional `state`; numbers being dialled or in a call stay).
//!
//! A number goes `pending` → `dialing` (originated) → `answered` (in a call) → `done` (its CDR
//! arrived), or back to `pending` when not answered and attempts remain, else `failed`;
//! `unknown` when the node never told the outcome (it is not dialled again). `maxcalls` bounds
//! the numbers `dialing` + `answered` at once; an answered call whose CDR never arrives (no
//! cdr_manager on the node) frees its slot after four hours. A campaign goes with its tenant
//! (its rows are deleted with the tenant); one whose tenant vanished under it stops.
//!
//! The dialer (one task per process, started with the cluster) looks at running campaigns every
//! poll. Claiming numbers happens in one transaction that first locks the campaign row (`FOR
//! UPDATE SKIP LOCKED` on PostgreSQL and MySQL; SQLite's single writer serialises it), so
//! processes sharing a database never exceed `maxcalls` nor dial a number twice.
//!
//! Each call is an Originate of `Local/<number>@<tenant context>` (the tenant's outbound
//! routing, caller id `callerid`) which, once answered, runs `Queue(<queue id>)` or the
//! extension in the tenant context, with `TENANT` and `CAMPAIGNID=<campaign id>` set.

use super::{on_outcome, originate, phone_number, Outcome};
use crate::ami::{HeaderValue, Variable};
use crate::app::AppState;
use crate::auth::{Caller, TenantRef};
use crate::cluster::Cluster;
use crate::db::{CellType, Db};
use crate::error::{internal, ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::render::{Output, Table};
use entity::{cn_campaignnumbers as cn, cp_campaigns as cp, ex_extensions, qu_queues};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::sync::Weak;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// An answered call holds its slot until its CDR arrives, or at most this long.
const MAX_CALL: Duration = Duration::from_secs(4 * 3600);
/// Numbers one `addnumbers` may add.
const MAX_ADD: usize = 10_000;
/// States a number may be in; the first two count against `maxcalls`.
const BUSY: [&str; 2] = ["dialing", "answered"];
const STATES: &[&str] = &[
    "pending", "dialing", "answered", "done", "failed", "unknown",
];

pub async fn handle(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let action = p.word("action").unwrap_or_else(|| "list".into());
    let t = caller
        .tenant
        .as_ref()
        .ok_or_else(|| ApiError::invalid("parameter 'tenant' is required for CAMPAIGN"))?;
    if !matches!(action.as_str(), "list" | "get" | "numbers") {
        caller.require_write(&format!("CAMPAIGN {action}"))?;
    }
    let db = &state.db;
    match action.as_str() {
        "add" => add(state, t, p).await,
        "list" => campaigns(db, t, None).await,
        "get" => {
            let c = campaign(db, t, p).await?;
            campaigns(db, t, Some(c.cp_id)).await
        }
        "delete" => {
            let c = campaign(db, t, p).await?;
            let txn = db.begin_write().await?;
            cn::Entity::delete_many()
                .filter(cn::Column::CnCpId.eq(c.cp_id))
                .exec(&*txn)
                .await?;
            cp::Entity::delete_by_id(c.cp_id).exec(&*txn).await?;
            txn.commit().await?;
            Ok(Output::Text("OK".into()))
        }
        "start" | "stop" | "pause" | "resume" => set_state(db, t, p, &action).await,
        "numbers" => numbers(db, t, p).await,
        "addnumbers" => add_numbers(db, t, p).await,
        "cleannumbers" => clean_numbers(db, t, p).await,
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of add, list, get, delete, start, stop, \
             pause, resume, numbers, addnumbers, cleannumbers"
        ))),
    }
}

/// An integer parameter within bounds, or its default.
fn bounded(p: &Params, name: &str, lo: i32, hi: i32, default: i32) -> ApiResult<i32> {
    match p.get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "parameter '{name}' must be a number from {lo} to {hi}"
                ))
            }),
    }
}

async fn add(state: &AppState, t: &TenantRef, p: &Params) -> ApiResult<Output> {
    let db = &state.db;
    let name = p.required("name")?.trim();
    if name.is_empty() || crate::text::check_line(name, 80).is_err() {
        return Err(ApiError::invalid(
            "parameter 'name' must be 1 to 80 characters without control characters",
        ));
    }
    let source = p.required_word("source")?;
    let target = p.required("target")?.trim();
    let target = match source.as_str() {
        "queue" => {
            let id: i32 = target.parse().map_err(|_| {
                ApiError::invalid("parameter 'target' must be a queue id for source=queue")
            })?;
            qu_queues::Entity::find()
                .filter(qu_queues::Column::QuId.eq(id))
                .filter(qu_queues::Column::QuTeId.eq(t.id))
                .one(&db.conn)
                .await?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "parameter 'target': no queue {id} in tenant {}",
                        t.code
                    ))
                })?
                .qu_id
                .to_string()
        }
        "extension" => {
            let number = phone_number("target", target)?;
            ex_extensions::Entity::find()
                .filter(ex_extensions::Column::ExNumber.eq(number))
                .filter(ex_extensions::Column::ExTeId.eq(t.id))
                .one(&db.conn)
                .await?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "parameter 'target': no extension {number} in tenant {}",
                        t.code
                    ))
                })?
                .ex_number
        }
        other => {
            return Err(ApiError::invalid(format!(
                "parameter 'source': '{other}' is not one of queue, extension"
            )))
        }
    };
    let callerid = HeaderValue::new("callerid", p.get("callerid").unwrap_or(""), 80)?;
    let row = cp::ActiveModel {
        cp_te_id: Set(t.id),
        cp_name: Set(name.to_string()),
        cp_source: Set(source),
        cp_target: Set(target),
        cp_callerid: Set(callerid.to_string()),
        cp_maxcalls: Set(bounded(p, "maxcalls", 1, 100, 1)?),
        cp_maxattempts: Set(bounded(p, "maxattempts", 1, 10, 1)?),
        cp_dialtimeout: Set(bounded(p, "dialtimeout", 5, 120, 30)?),
        cp_state: Set("stopped".into()),
        cp_created: Set(chrono::Utc::now().naive_utc()),
        cp_updated: Set(None),
        ..Default::default()
    };
    let exists = cp::Entity::find()
        .filter(cp::Column::CpTeId.eq(t.id))
        .filter(cp::Column::CpName.eq(name))
        .one(&db.conn)
        .await?
        .is_some();
    if exists {
        return Err(ApiError::Conflict(format!(
            "parameter 'name': campaign '{name}' already exists"
        )));
    }
    let row = row.insert(&db.conn).await?;
    campaigns(db, t, Some(row.cp_id)).await
}

/// The tenant's campaign named by `id`.
async fn campaign(db: &Db, t: &TenantRef, p: &Params) -> ApiResult<cp::Model> {
    let id = p
        .id("id")?
        .ok_or_else(|| ApiError::invalid("parameter 'id' is required"))?;
    cp::Entity::find()
        .filter(cp::Column::CpId.eq(id))
        .filter(cp::Column::CpTeId.eq(t.id))
        .one(&db.conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("parameter 'id': no campaign {id}")))
}

const CAMPAIGN_COLUMNS: &[&str] = &[
    "cp_id",
    "cp_name",
    "cp_source",
    "cp_target",
    "cp_callerid",
    "cp_maxcalls",
    "cp_maxattempts",
    "cp_dialtimeout",
    "cp_state",
    "cp_created",
];

/// Campaign rows with how many numbers are in each state.
async fn campaigns(db: &Db, t: &TenantRef, only: Option<i32>) -> ApiResult<Output> {
    let mut find = cp::Entity::find().filter(cp::Column::CpTeId.eq(t.id));
    if let Some(id) = only {
        find = find.filter(cp::Column::CpId.eq(id));
    }
    let rows = find.order_by_asc(cp::Column::CpId).all(&db.conn).await?;
    let mut q = Query::select();
    q.column(cn::Column::CnCpId)
        .column(cn::Column::CnState)
        .expr(Expr::col(cn::Column::CnId).count())
        .from(cn::Entity)
        .and_where(Expr::col(cn::Column::CnTeId).eq(t.id))
        .group_by_col(cn::Column::CnCpId)
        .group_by_col(cn::Column::CnState);
    // COUNT is a 64-bit integer on every backend.
    let mut counts: Vec<(i32, String, i64)> = Vec::new();
    for r in db.conn.query_all(&q).await? {
        counts.push((
            r.try_get_by_index(0).map_err(internal)?,
            r.try_get_by_index(1).map_err(internal)?,
            r.try_get_by_index(2).map_err(internal)?,
        ));
    }
    let mut columns: Vec<String> = CAMPAIGN_COLUMNS.iter().map(|c| c.to_string()).collect();
    columns.extend(STATES.iter().map(|s| s.to_string()));
    let mut table = Table::new(columns);
    for r in rows {
        let mut cells = vec![
            r.cp_id.to_string(),
            r.cp_name,
            r.cp_source,
            r.cp_target,
            r.cp_callerid,
            r.cp_maxcalls.to_string(),
            r.cp_maxattempts.to_string(),
            r.cp_dialtimeout.to_string(),
            r.cp_state,
            r.cp_created.format("%Y-%m-%d %H:%M:%S").to_string(),
        ];
        for state in STATES {
            let n = counts
                .iter()
                .find(|(id, s, _)| *id == r.cp_id && s == state)
                .map_or(0, |c| c.2);
            cells.push(n.to_string());
        }
        table.rows.push(cells.into_iter().map(Some).collect());
    }
    Ok(Output::Table(table))
}

async fn set_state(db: &Db, t: &TenantRef, p: &Params, action: &str) -> ApiResult<Output> {
    let c = campaign(db, t, p).await?;
    let (allowed_from, to): (&[&str], &str) = match action {
        "start" => (&["stopped"], "running"),
        "resume" => (&["paused"], "running"),
        "pause" => (&["running"], "paused"),
        _ => (&["running", "paused"], "stopped"),
    };
    if !allowed_from.contains(&c.cp_state.as_str()) {
        return Err(ApiError::Conflict(format!(
            "campaign {} is {}; {action} needs it {}",
            c.cp_id,
            c.cp_state,
            allowed_from.join(" or ")
        )));
    }
    let mut u = Query::update();
    u.table(cp::Entity)
        .value(cp::Column::CpState, to)
        .value(cp::Column::CpUpdated, chrono::Utc::now().naive_utc())
        .and_where(Expr::col(cp::Column::CpId).eq(c.cp_id))
        .and_where(Expr::col(cp::Column::CpState).eq(c.cp_state.as_str()));
    let txn = db.begin_write().await?;
    let changed = txn.execute(&u).await?.rows_affected();
    txn.commit().await?;
    if changed == 0 {
        return Err(ApiError::Conflict(format!(
            "campaign {} changed meanwhile; try again",
            c.cp_id
        )));
    }
    Ok(Output::Text("OK".into()))
}

fn state_param(p: &Params) -> ApiResult<Option<String>> {
    match p.word("state") {
        None => Ok(None),
        Some(s) if STATES.contains(&s.as_str()) => Ok(Some(s)),
        Some(s) => Err(ApiError::invalid(format!(
            "parameter 'state': '{s}' is not one of {}",
            STATES.join(", ")
        ))),
    }
}

const NUMBER_COLUMNS: &[&str] = &[
    "cn_id",
    "cn_number",
    "cn_state",
    "cn_attempts",
    "cn_reason",
    "cn_node",
    "cn_originateid",
    "cn_uniqueid",
    "cn_updated",
];

async fn numbers(db: &Db, t: &TenantRef, p: &Params) -> ApiResult<Output> {
    let c = campaign(db, t, p).await?;
    let mut q = Query::select();
    q.columns(NUMBER_COLUMNS.iter().copied())
        .from(cn::Entity)
        .and_where(Expr::col(cn::Column::CnCpId).eq(c.cp_id))
        .and_where(Expr::col(cn::Column::CnTeId).eq(t.id))
        .order_by(cn::Column::CnId, Order::Asc);
    if let Some(s) = state_param(p)? {
        q.and_where(Expr::col(cn::Column::CnState).eq(s));
    }
    let types: Vec<CellType> = NUMBER_COLUMNS
        .iter()
        .map(|c| match *c {
            "cn_id" | "cn_attempts" | "cn_reason" => CellType::Int,
            "cn_updated" => CellType::DateTime,
            _ => CellType::Text,
        })
        .collect();
    let mut table = Table::new(NUMBER_COLUMNS.iter().map(|c| c.to_string()).collect());
    table.rows = db.read_cells(&q, &types).await?;
    Ok(Output::Table(table))
}

async fn add_numbers(db: &Db, t: &TenantRef, p: &Params) -> ApiResult<Output> {
    let c = campaign(db, t, p).await?;
    let given: Vec<&str> = p
        .required("numbers")?
        .split([',', ' ', '\n', '\r', '\t', ';'])
        .filter(|s| !s.is_empty())
        .collect();
    if given.len() > MAX_ADD {
        return Err(ApiError::invalid(format!(
            "parameter 'numbers': at most {MAX_ADD} numbers at a time"
        )));
    }
    let mut wanted: Vec<&str> = Vec::with_capacity(given.len());
    for n in given {
        let n = phone_number("numbers", n)?;
        if !wanted.contains(&n) {
            wanted.push(n);
        }
    }
    let txn = db.begin_write().await?;
    let present: std::collections::HashSet<String> = cn::Entity::find()
        .filter(cn::Column::CnCpId.eq(c.cp_id))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|r| r.cn_number)
        .collect();
    let fresh: Vec<cn::ActiveModel> = wanted
        .into_iter()
        .filter(|n| !present.contains(*n))
        .map(|n| cn::ActiveModel {
            cn_cp_id: Set(c.cp_id),
            cn_te_id: Set(t.id),
            cn_number: Set(n.to_string()),
            cn_state: Set("pending".into()),
            cn_attempts: Set(0),
            cn_node: Set(String::new()),
            cn_originateid: Set(String::new()),
            cn_uniqueid: Set(String::new()),
            cn_reason: Set(0),
            cn_claimed: Set(None),
            cn_updated: Set(None),
            ..Default::default()
        })
        .collect();
    let added = fresh.len();
    for chunk in fresh.chunks(500) {
        cn::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&*txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Output::Value {
        name: "added",
        value: Some(added.to_string()),
    })
}

async fn clean_numbers(db: &Db, t: &TenantRef, p: &Params) -> ApiResult<Output> {
    let c = campaign(db, t, p).await?;
    let mut del = cn::Entity::delete_many()
        .filter(cn::Column::CnCpId.eq(c.cp_id))
        .filter(cn::Column::CnState.is_not_in(BUSY));
    if let Some(s) = state_param(p)? {
        del = del.filter(cn::Column::CnState.eq(s));
    }
    let txn = db.begin_write().await?;
    let removed = del.exec(&*txn).await?.rows_affected;
    txn.commit().await?;
    Ok(Output::Value {
        name: "removed",
        value: Some(removed.to_string()),
    })
}

// ----- the dialer -----

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
