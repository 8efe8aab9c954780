//! Call flows (spec §5): SETFLOW, FLOWS and INFO flow. The table `fl_flows` is the truth;
//! every change reaches the tenant's nodes through the outbox in the same transaction (see
//! [`crate::cluster::flows`] for what a flow is on a node).

use crate::ami::HeaderValue;
use crate::auth::{Caller, TenantRef};
use crate::cluster::{flows, outbox};
use crate::error::{internal, ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::{Output, Table};
use entity::fl_flows;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

const COLUMNS: &[&str] = &["number", "state", "value", "device", "updated"];

fn flow_number(v: &str) -> ApiResult<&str> {
    let v = v.trim();
    if v.is_empty() || v.len() > 20 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "parameter 'number' must be a flow number (1 to 20 digits)",
        ));
    }
    Ok(v)
}

fn rows(t: &TenantRef, flows: Vec<fl_flows::Model>) -> Output {
    let mut table = Table::new(COLUMNS.iter().map(|c| c.to_string()).collect());
    table.rows = flows
        .into_iter()
        .map(|f| {
            let device = format!("Custom:{}", flows::flow_name(&t.code, &f.fl_number));
            vec![
                Some(f.fl_number),
                Some(f.fl_state),
                Some(f.fl_value),
                Some(device),
                Some(f.fl_updated.format("%Y-%m-%d %H:%M:%S").to_string()),
            ]
        })
        .collect();
    Output::Table(table)
}

/// FLOWS: every flow of the tenant, by number.
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let t = caller.require_tenant("FLOWS")?;
    let all = fl_flows::Entity::find()
        .filter(fl_flows::Column::FlTeId.eq(t.id))
        .order_by_asc(fl_flows::Column::FlNumber)
        .all(&state.db.conn)
        .await?;
    Ok(rows(t, all))
}

/// INFO flow: one flow by `number`, or by `id` (its `fl_id`: the manual's form).
pub async fn info(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO flow")?;
    if p.get("number").is_none() {
        if let Some(flow) = by_id(state, t, p, "INFO flow").await? {
            return Ok(rows(t, vec![flow]));
        }
    }
    let number = flow_number(p.required("number")?)?;
    let flow = find(&state.db.conn, t, number).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "parameter 'number': no flow {number} in tenant {}",
            t.code
        ))
    })?;
    Ok(rows(t, vec![flow]))
}

/// The tenant's flow named by `id` (`fl_id`), when `id` is given.
async fn by_id(
    state: &AppState,
    t: &TenantRef,
    p: &Params,
    what: &str,
) -> ApiResult<Option<fl_flows::Model>> {
    let Some(id) = p.id("id")? else {
        return Ok(None);
    };
    let flow = fl_flows::Entity::find_by_id(id)
        .filter(fl_flows::Column::FlTeId.eq(t.id))
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "parameter 'id': no flow {id} in tenant {} for {what}",
                t.code
            ))
        })?;
    Ok(Some(flow))
}

/// INFO variable by `id` (the manual's form): the value a flow holds (SETFLOW `value`, read
/// by the dialplan as `${DB(FLOW/<TENANT>-<number>)}`). `None` when no `id` is given.
pub async fn variable_by_id(
    state: &AppState,
    caller: &Caller,
    p: &Params,
) -> ApiResult<Option<Output>> {
    if p.get("id").is_none() {
        return Ok(None);
    }
    let t = caller.require_tenant("INFO variable by id")?;
    Ok(by_id(state, t, p, "INFO variable")
        .await?
        .map(|f| Output::Value {
            name: "value",
            value: Some(f.fl_value),
        }))
}

async fn find(
    conn: &impl ConnectionTrait,
    t: &TenantRef,
    number: &str,
) -> ApiResult<Option<fl_flows::Model>> {
    Ok(fl_flows::Entity::find()
        .filter(fl_flows::Column::FlTeId.eq(t.id))
        .filter(fl_flows::Column::FlNumber.eq(number))
        .one(conn)
        .await?)
}

/// SETFLOW: `number`, `state` (INUSE, NOT_INUSE, UNAVAILABLE, RINGING), optional `value`
/// (kept when absent). Creates the flow on first use.
pub async fn set(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("SETFLOW")?;
    let number = flow_number(p.required("number")?)?;
    let wanted = p.required("state")?.trim().to_ascii_uppercase();
    if !flows::STATES.contains(&wanted.as_str()) {
        return Err(ApiError::invalid(format!(
            "parameter 'state' must be one of {}",
            flows::STATES.join(", ")
        )));
    }
    let value = p
        .get("value")
        .map(|v| HeaderValue::new("value", v, 80))
        .transpose()?;
    let value = value.as_ref().map(HeaderValue::as_str);
    let now = chrono::Utc::now().naive_utc();
    let txn = state.db.begin_write().await?;
    // Insert-or-keep, then update: two first SETFLOWs of one flow at once cannot collide.
    fl_flows::Entity::insert(fl_flows::ActiveModel {
        fl_te_id: Set(t.id),
        fl_number: Set(number.to_string()),
        fl_state: Set(wanted.clone()),
        fl_value: Set(value.unwrap_or("").to_string()),
        fl_updated: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([fl_flows::Column::FlTeId, fl_flows::Column::FlNumber])
    .exec(&*txn)
    .await?;
    let mut update = fl_flows::Entity::update_many()
        .col_expr(fl_flows::Column::FlState, Expr::value(wanted))
        .col_expr(fl_flows::Column::FlUpdated, Expr::value(now));
    if let Some(v) = value {
        update = update.col_expr(fl_flows::Column::FlValue, Expr::value(v));
    }
    update
        .filter(fl_flows::Column::FlTeId.eq(t.id))
        .filter(fl_flows::Column::FlNumber.eq(number))
        .exec(&*txn)
        .await?;
    let flow = find(&*txn, t, number)
        .await?
        .ok_or_else(|| internal("the flow just written is missing"))?;
    outbox::record(&*txn, Some(t.id), &flows::actions(&t.code, &flow)).await?;
    txn.commit().await?;
    Ok(Output::Text("OK".into()))
}
