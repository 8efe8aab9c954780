//! `reqtype=VIRTUALEXT`: where the tenant's VIRTUAL extensions send their calls.
//!
//! A VIRTUAL extension has no device. When it is called, the dialplan reads its row of
//! `vx_virtualexts` (func_odbc, see README) and, when `vx_enabled` is `on`, dials
//! `vx_destination` through the tenant's outbound routes for `vx_ringtime` seconds.
//!
//! `action=list` (default) | `get` (`number`) | `set` (`number`, `destination`, `ringtime`,
//! `enabled`) | `delete` (`number`: forget the destination). Only extensions of tech VIRTUAL.

use super::tenant_of;
use crate::app::AppState;
use crate::auth::{Caller, TenantRef};
use crate::db::CellType;
use crate::error::{internal, ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::render::{Output, Table};
use sea_orm::sea_query::{Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sea_orm::ConnectionTrait;

const COLUMNS: [&str; 5] = ["ex_number", "ex_name", "vx_destination", "vx_ringtime", "vx_enabled"];
const TYPES: [CellType; 5] = [
    CellType::Text,
    CellType::Text,
    CellType::Text,
    CellType::Int,
    CellType::Text,
];
const DEFAULT_RINGTIME: i32 = 30;

pub async fn virtualext(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let t = tenant_of(caller, "VIRTUALEXT")?;
    let db = &state.db;
    let action = params.word("action").unwrap_or_else(|| "list".into());
    match action.as_str() {
        "list" => {
            let mut table = Table::new(COLUMNS.map(String::from).to_vec())
                .with_plain_header("Number|Name|Destination|Ringtime|Enabled");
            table.rows = db.read_cells(&select(t), &TYPES).await?;
            Ok(Output::Table(table))
        }
        "get" => {
            let number = number_param(params)?;
            find_virtual(&db.conn, t, number).await?;
            record(db, t, number).await
        }
        "set" | "delete" => {
            caller.require_write(&format!("VIRTUALEXT {action}"))?;
            let number = number_param(params)?;
            let txn = db.begin_write().await?;
            let ex_id = find_virtual(&*txn, t, number).await?;
            let mut existing = Query::select();
            existing
                .columns(["vx_destination", "vx_ringtime", "vx_enabled"])
                .from("vx_virtualexts")
                .and_where(Expr::col("vx_ex_id").eq(ex_id));
            let current = txn.query_one(&existing).await?;
            if action == "delete" {
                if current.is_none() {
                    return Err(ApiError::NotFound(format!(
                        "parameter 'number': extension {number} has no destination"
                    )));
                }
                let mut del = Query::delete();
                del.from_table("vx_virtualexts")
                    .and_where(Expr::col("vx_ex_id").eq(ex_id));
                txn.execute(&del).await?;
                txn.commit().await?;
                return Ok(Output::Text("OK".into()));
            }
            let destination = match (params.get("destination"), &current) {
                (Some(d), _) => destination(d)?,
                (None, Some(row)) => row.try_get_by_index::<String>(0).map_err(internal)?,
                (None, None) => {
                    return Err(ApiError::invalid(
                        "parameter 'destination' is required to set a virtual extension up",
                    ))
                }
            };
            let ringtime = match (params.get("ringtime"), &current) {
                (Some(r), _) => ringtime(r)?,
                (None, Some(row)) => row.try_get_by_index::<i32>(1).map_err(internal)?,
                (None, None) => DEFAULT_RINGTIME,
            };
            let enabled = match (params.get("enabled"), &current) {
                (Some(e), _) => enabled(e)?,
                (None, Some(row)) => row.try_get_by_index::<String>(2).map_err(internal)?,
                (None, None) => "on".into(),
            };
            if current.is_some() {
                let mut up = Query::update();
                up.table("vx_virtualexts")
                    .values([
                        ("vx_destination", destination.into()),
                        ("vx_ringtime", ringtime.into()),
                        ("vx_enabled", enabled.into()),
                    ])
                    .and_where(Expr::col("vx_ex_id").eq(ex_id));
                txn.execute(&up).await?;
            } else {
                let mut ins = Query::insert();
                ins.into_table("vx_virtualexts")
                    .columns(["vx_te_id", "vx_ex_id", "vx_destination", "vx_ringtime", "vx_enabled"])
                    .values_panic([
                        t.id.into(),
                        ex_id.into(),
                        destination.into(),
                        ringtime.into(),
                        enabled.into(),
                    ]);
                txn.execute(&ins).await?;
            }
            txn.commit().await?;
            record(db, t, number).await
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of list, get, set, delete"
        ))),
    }
}

/// The tenant's VIRTUAL extensions with their destinations (none yet: NULLs), by number.
fn select(t: &TenantRef) -> SelectStatement {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("ex_extensions")
        .join(
            JoinType::LeftJoin,
            "vx_virtualexts",
            Expr::col("vx_ex_id").equals("ex_id"),
        )
        .and_where(Expr::col("ex_te_id").eq(t.id))
        .and_where(Expr::col("ex_tech").eq("VIRTUAL"))
        .order_by("ex_number", Order::Asc);
    q
}

async fn record(db: &crate::db::Db, t: &TenantRef, number: &str) -> ApiResult<Output> {
    let mut q = select(t);
    q.and_where(Expr::col("ex_number").eq(number));
    let row = db.read_cells(&q, &TYPES).await?.into_iter().next();
    Ok(Output::Record {
        columns: COLUMNS.map(String::from).to_vec(),
        row,
    })
}

fn number_param(params: &Params) -> ApiResult<&str> {
    let n = params.required("number")?.trim();
    if n.len() > 20 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "parameter 'number' must be an extension number (digits only)",
        ));
    }
    Ok(n)
}

/// The id of extension `number` of the tenant, which must be VIRTUAL.
async fn find_virtual(conn: &impl ConnectionTrait, t: &TenantRef, number: &str) -> ApiResult<i32> {
    let mut q = Query::select();
    q.columns(["ex_id", "ex_tech"])
        .from("ex_extensions")
        .and_where(Expr::col("ex_te_id").eq(t.id))
        .and_where(Expr::col("ex_number").eq(number));
    let row = conn.query_one(&q).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "parameter 'number': no extension {number} in tenant {}",
            t.code
        ))
    })?;
    let tech: String = row.try_get_by_index(1).map_err(internal)?;
    if tech != "VIRTUAL" {
        return Err(ApiError::invalid(format!(
            "parameter 'number': extension {number} is {tech}, not VIRTUAL"
        )));
    }
    row.try_get_by_index(0).map_err(internal)
}

/// A dialable number: an optional `+`, then 1 to 31 digits, `*` or `#`.
fn destination(v: &str) -> ApiResult<String> {
    let v = v.trim();
    let digits = v.strip_prefix('+').unwrap_or(v);
    if digits.is_empty()
        || digits.len() > 31
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
    {
        return Err(ApiError::invalid(
            "parameter 'destination' must be a number: an optional '+', then 1 to 31 digits, '*' or '#'",
        ));
    }
    Ok(v.to_string())
}

fn ringtime(v: &str) -> ApiResult<i32> {
    v.trim()
        .parse::<i32>()
        .ok()
        .filter(|r| (5..=300).contains(r))
        .ok_or_else(|| ApiError::invalid("parameter 'ringtime' must be whole seconds from 5 to 300"))
}

/// Upstream booleans are `on` or empty.
fn enabled(v: &str) -> ApiResult<String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "1" | "true" => Ok("on".into()),
        "off" | "no" | "0" | "false" => Ok(String::new()),
        _ => Err(ApiError::invalid("parameter 'enabled' must be on or off")),
    }
}
