//! `reqtype=VIRTUALEXT`: real extensions joining and leaving the tenant's VIRTUAL extensions.
//!
//! A VIRTUAL extension has no device of its own: it groups the real extensions that joined it
//! (hot desks, a team number), and a call to it rings them all (the dialplan reads
//! `vm_virtualmembers` with func_odbc; see README). It may have a PIN that joining must give.
//!
//! `action=list` (default; optional `number`) | `join` (`number`, `extension`, `pin`) | `leave`
//! (`number`, `extension` or `ALL`) | `setpin` (`number`, `pin`; no `pin` clears it).

use crate::auth::{Caller, TenantRef};
use crate::db::CellType;
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::ConnectionTrait;
use std::net::IpAddr;
use subtle::ConstantTimeEq;

pub async fn virtualext(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    ip: IpAddr,
) -> ApiResult<Output> {
    let t = caller.require_tenant("VIRTUALEXT")?;
    let db = &state.db;
    let action = params.word("action").unwrap_or_else(|| "list".into());
    if action == "list" {
        return list(db, t, params).await;
    }
    if !matches!(action.as_str(), "join" | "leave" | "setpin") {
        return Err(ApiError::invalid(format!(
            "parameter 'action': '{action}' is not one of list, join, leave, setpin"
        )));
    }
    let txn = db.begin_write().await?;
    let virt = find_extension(&*txn, t, params, "number").await?;
    if virt.tech != "VIRTUAL" {
        return Err(ApiError::invalid(format!(
            "parameter 'number': extension {} is {}, not VIRTUAL",
            virt.number, virt.tech
        )));
    }
    let mut pin_q = Query::select();
    pin_q
        .column("vx_pin")
        .from("vx_virtualexts")
        .and_where(Expr::col("vx_ex_id").eq(virt.id));
    let pin: Option<String> = match txn.query_one(&pin_q).await? {
        Some(row) => Some(row.try_get_by_index(0).map_err(internal)?),
        None => None,
    };
    match action.as_str() {
        "setpin" => {
            let new_pin = match params.get("pin").map(str::trim) {
                None => String::new(),
                Some(p) if (4..=12).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) => {
                    p.to_string()
                }
                Some(_) => return Err(ApiError::invalid("parameter 'pin' must be 4 to 12 digits")),
            };
            if pin.is_some() {
                let mut up = Query::update();
                up.table("vx_virtualexts")
                    .value("vx_pin", new_pin)
                    .and_where(Expr::col("vx_ex_id").eq(virt.id));
                txn.execute(&up).await?;
            } else {
                let mut ins = Query::insert();
                ins.into_table("vx_virtualexts")
                    .columns(["vx_te_id", "vx_ex_id", "vx_pin"])
                    .values_panic([t.id.into(), virt.id.into(), new_pin.into()]);
                txn.execute(&ins).await?;
            }
        }
        "join" => {
            let member = find_extension(&*txn, t, params, "extension").await?;
            if member.tech == "VIRTUAL" {
                return Err(ApiError::invalid(format!(
                    "parameter 'extension': extension {} is VIRTUAL; only real extensions join",
                    member.number
                )));
            }
            if let Some(expected) = pin.filter(|p| !p.is_empty()) {
                // Wrong PINs count like failed logins from the same address.
                let Some(attempt) = state.logins.attempt(ip) else {
                    return Err(wrong_pin(&virt.number));
                };
                let given = params.get("pin").unwrap_or("").trim();
                if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
                    return Err(wrong_pin(&virt.number));
                }
                attempt.succeeded();
            }
            let mut already = Query::select();
            already
                .expr(Expr::cust("COUNT(*)"))
                .from("vm_virtualmembers")
                .and_where(Expr::col("vm_vx_ex_id").eq(virt.id))
                .and_where(Expr::col("vm_ex_id").eq(member.id));
            // Joining twice is not an error: the extension is a member either way.
            if crate::db::count(&*txn, already).await? == 0 {
                let mut ins = Query::insert();
                ins.into_table("vm_virtualmembers")
                    .columns(["vm_te_id", "vm_vx_ex_id", "vm_ex_id", "vm_joined"])
                    .values_panic([
                        t.id.into(),
                        virt.id.into(),
                        member.id.into(),
                        chrono::Utc::now().naive_utc().into(),
                    ]);
                txn.execute(&ins).await?;
            }
        }
        _ => {
            let mut del = Query::delete();
            del.from_table("vm_virtualmembers")
                .and_where(Expr::col("vm_vx_ex_id").eq(virt.id));
            if !params
                .get("extension")
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("all"))
            {
                let member = find_extension(&*txn, t, params, "extension").await?;
                del.and_where(Expr::col("vm_ex_id").eq(member.id));
                if txn.execute(&del).await?.rows_affected() == 0 {
                    return Err(ApiError::NotFound(format!(
                        "parameter 'extension': extension {} has not joined virtual extension {}",
                        member.number, virt.number
                    )));
                }
            } else {
                txn.execute(&del).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(Output::Text("OK".into()))
}

fn wrong_pin(number: &str) -> ApiError {
    ApiError::invalid(format!(
        "parameter 'pin': wrong PIN for virtual extension {number}"
    ))
}

/// Who joined which of the tenant's virtual extensions (or the one named by `number`).
async fn list(db: &crate::db::Db, t: &TenantRef, params: &Params) -> ApiResult<Output> {
    let (v, m) = (Alias::new("v"), Alias::new("m"));
    let mut q = Query::select();
    q.expr_as(
        Expr::col((v.clone(), Alias::new("ex_number"))),
        "virtual_number",
    )
    .expr_as(
        Expr::col((v.clone(), Alias::new("ex_name"))),
        "virtual_name",
    )
    .expr_as(Expr::col((m.clone(), Alias::new("ex_number"))), "ex_number")
    .expr_as(Expr::col((m.clone(), Alias::new("ex_name"))), "ex_name")
    .column("vm_joined")
    .from("vm_virtualmembers")
    .join_as(
        JoinType::InnerJoin,
        "ex_extensions",
        v.clone(),
        Expr::col((v.clone(), Alias::new("ex_id"))).equals("vm_vx_ex_id"),
    )
    .join_as(
        JoinType::InnerJoin,
        "ex_extensions",
        m.clone(),
        Expr::col((m.clone(), Alias::new("ex_id"))).equals("vm_ex_id"),
    )
    .and_where(Expr::col("vm_te_id").eq(t.id))
    .order_by((v.clone(), Alias::new("ex_number")), Order::Asc)
    .order_by((m.clone(), Alias::new("ex_number")), Order::Asc);
    if params.get("number").is_some() {
        let virt = find_extension(&db.conn, t, params, "number").await?;
        q.and_where(Expr::col("vm_vx_ex_id").eq(virt.id));
    }
    let mut table = Table::new(
        [
            "virtual_number",
            "virtual_name",
            "ex_number",
            "ex_name",
            "vm_joined",
        ]
        .map(String::from)
        .to_vec(),
    )
    .with_plain_header("Virtual|Name|Extension|Extension name|Joined");
    table.rows = db
        .read_cells(
            &q,
            &[
                CellType::Text,
                CellType::Text,
                CellType::Text,
                CellType::Text,
                CellType::DateTime,
            ],
        )
        .await?;
    Ok(Output::Table(table))
}

struct Extension {
    id: i32,
    number: String,
    tech: String,
}

/// The tenant's extension whose number the parameter `param` gives.
async fn find_extension(
    conn: &impl ConnectionTrait,
    t: &TenantRef,
    params: &Params,
    param: &str,
) -> ApiResult<Extension> {
    let number = params.required(param)?.trim().to_string();
    if number.len() > 20 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(format!(
            "parameter '{param}' must be an extension number (digits only)"
        )));
    }
    let mut q = Query::select();
    q.columns(["ex_id", "ex_tech"])
        .from("ex_extensions")
        .and_where(Expr::col("ex_te_id").eq(t.id))
        .and_where(Expr::col("ex_number").eq(number.clone()));
    let row = conn.query_one(&q).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "parameter '{param}': no extension {number} in tenant {}",
            t.code
        ))
    })?;
    Ok(Extension {
        id: row.try_get_by_index(0).map_err(internal)?,
        tech: row.try_get_by_index(1).map_err(internal)?,
        number,
    })
}
