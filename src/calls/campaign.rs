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
//! The dialer ([`super::dialer`]: one task per process, started with the cluster) looks at running campaigns every
//! poll. Claiming numbers happens in one transaction that first locks the campaign row (`FOR
//! UPDATE SKIP LOCKED` on PostgreSQL and MySQL; SQLite's single writer serialises it), so
//! processes sharing a database never exceed `maxcalls` nor dial a number twice.
//!
//! Each call is an Originate of `Local/<number>@<tenant context>` (the tenant's outbound
//! routing, caller id `callerid`) which, once answered, runs `Queue(<queue id>)` or the
//! extension in the tenant context, with `TENANT` and `CAMPAIGNID=<campaign id>` set.

use super::PhoneNumber;
use crate::auth::TenantRef;
use crate::db::{CellType, Db};
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use entity::{cn_campaignnumbers as cn, cp_campaigns as cp, ex_extensions, qu_queues};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::time::Duration;

/// An answered call holds its slot until its CDR arrives, or at most this long.
pub(super) const MAX_CALL: Duration = Duration::from_secs(4 * 3600);
/// Numbers one `addnumbers` may add.
pub const MAX_ADD: usize = 10_000;
/// States a number may be in; the first two count against `maxcalls`.
pub(super) const BUSY: [&str; 2] = ["dialing", "answered"];
pub const STATES: &[&str] = &[
    "pending", "dialing", "answered", "done", "failed", "unknown",
];

/// Where a campaign's answered calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `Queue(<id>)`.
    Queue(i32),
    /// An extension of the tenant, by number.
    Extension(String),
}

/// A campaign to add, checked at the edge (`resolve_target` checks the target in the tenant).
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    /// `queue` or `extension`, with the stored target (queue id / extension number).
    pub source: &'static str,
    pub target: String,
    pub callerid: String,
    pub maxcalls: i32,
    pub maxattempts: i32,
    pub dialtimeout: i32,
}

/// The target in the tenant: the stored text, or an error naming parameter `target`.
pub async fn resolve_target(db: &Db, t: &TenantRef, target: &Target) -> ApiResult<String> {
    match target {
        Target::Queue(id) => Ok(qu_queues::Entity::find()
            .filter(qu_queues::Column::QuId.eq(*id))
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
            .to_string()),
        Target::Extension(number) => Ok(ex_extensions::Entity::find()
            .filter(ex_extensions::Column::ExNumber.eq(number.as_str()))
            .filter(ex_extensions::Column::ExTeId.eq(t.id))
            .one(&db.conn)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "parameter 'target': no extension {number} in tenant {}",
                    t.code
                ))
            })?
            .ex_number),
    }
}

/// Add a campaign (stopped); answers its row.
pub async fn add(db: &Db, t: &TenantRef, new: NewCampaign) -> ApiResult<Output> {
    let name = new.name.as_str();
    let row = cp::ActiveModel {
        cp_te_id: Set(t.id),
        cp_name: Set(name.to_string()),
        cp_source: Set(new.source.to_string()),
        cp_target: Set(new.target.clone()),
        cp_callerid: Set(new.callerid.clone()),
        cp_maxcalls: Set(new.maxcalls),
        cp_maxattempts: Set(new.maxattempts),
        cp_dialtimeout: Set(new.dialtimeout),
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
    list(db, t, Some(row.cp_id)).await
}

/// The tenant's campaign named by `id`.
pub async fn campaign(db: &Db, t: &TenantRef, id: i32) -> ApiResult<cp::Model> {
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

/// Campaign rows (all of the tenant, or `only`) with how many numbers are in each state.
pub async fn list(db: &Db, t: &TenantRef, only: Option<i32>) -> ApiResult<Output> {
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

/// Delete a campaign and its numbers.
pub async fn delete(db: &Db, c: &cp::Model) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    cn::Entity::delete_many()
        .filter(cn::Column::CnCpId.eq(c.cp_id))
        .exec(&*txn)
        .await?;
    cp::Entity::delete_by_id(c.cp_id).exec(&*txn).await?;
    txn.commit().await?;
    Ok(())
}

/// `start`, `stop`, `pause` or `resume` a campaign (from the states each needs).
pub async fn set_state(db: &Db, c: &cp::Model, action: &str) -> ApiResult<Output> {
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

/// The numbers of a campaign, optionally only those in `state`.
pub async fn numbers(
    db: &Db,
    t: &TenantRef,
    c: &cp::Model,
    state: Option<&str>,
) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns(NUMBER_COLUMNS.iter().copied())
        .from(cn::Entity)
        .and_where(Expr::col(cn::Column::CnCpId).eq(c.cp_id))
        .and_where(Expr::col(cn::Column::CnTeId).eq(t.id))
        .order_by(cn::Column::CnId, Order::Asc);
    if let Some(s) = state {
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

/// Add the numbers the campaign does not have yet; answers how many were added.
pub async fn add_numbers(
    db: &Db,
    t: &TenantRef,
    c: &cp::Model,
    numbers: &[PhoneNumber],
) -> ApiResult<Output> {
    let mut wanted: Vec<&str> = Vec::with_capacity(numbers.len());
    for n in numbers {
        if !wanted.contains(&n.as_str()) {
            wanted.push(n.as_str());
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

/// Remove numbers not in a call (only those in `state`, if given); answers how many.
pub async fn clean_numbers(db: &Db, c: &cp::Model, state: Option<&str>) -> ApiResult<Output> {
    let mut del = cn::Entity::delete_many()
        .filter(cn::Column::CnCpId.eq(c.cp_id))
        .filter(cn::Column::CnState.is_not_in(BUSY));
    if let Some(s) = state {
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
