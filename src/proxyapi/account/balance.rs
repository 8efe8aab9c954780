//! BALANCE (credit changes, each kept in the `bt_balancetransactions` ledger in the same
//! transaction as `te_tenants.te_balance`), INFO balance, and LICENSEDAYS.

use crate::auth::Caller;
use crate::error::{internal, ApiError, ApiResult};
use crate::objects::engine::cell;
use crate::objects::Kind;
use crate::output::{Output, Table};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::settings;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::ConnectionTrait;

/// The largest change one request may make (a typo guard, not a business rule).
const MAX_AMOUNT: f64 = 1e9;

/// A money amount as text: at most 6 decimals, as short as possible (`12.5`, `-3`).
fn money(v: f64) -> String {
    let s = format!("{:.6}", (v * 1e6).round() / 1e6);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn parse_amount(text: &str) -> ApiResult<f64> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let shape = !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && !frac.is_empty()
        && frac.len() <= 6
        && frac.chars().all(|c| c.is_ascii_digit());
    match t.parse::<f64>() {
        Ok(v) if shape && v != 0.0 && v.abs() <= MAX_AMOUNT => Ok(v),
        _ => Err(ApiError::invalid(format!(
            "parameter 'amount' must be a non-zero number such as 10, -2.5 or +0.125 (at most 6 decimals, at most {MAX_AMOUNT:e} in size)"
        ))),
    }
}

async fn read_balance(conn: &impl ConnectionTrait, te_id: i32) -> ApiResult<f64> {
    let mut q = Query::select();
    q.column("te_balance")
        .from("te_tenants")
        .and_where(Expr::col("te_id").eq(te_id));
    let row = conn.query_one(&q).await?.ok_or(ApiError::WrongTenant)?;
    row.try_get_by_index::<f64>(0).map_err(internal)
}

fn balance_value(v: f64) -> Output {
    Output::Value {
        name: "balance",
        value: Some(money(v)),
    }
}

/// INFO balance: the tenant's balance, a bare number in plain.
pub async fn info_balance(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO balance")?;
    Ok(balance_value(read_balance(&state.db.conn, t.id).await?))
}

/// `reqtype=BALANCE`: without `amount` (or `action=get`) the balance; with `amount` (admin) a
/// credit or debit with its `description`; `action=history` the ledger, newest first.
pub async fn balance(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("BALANCE")?;
    let action = params.word("action").unwrap_or_else(|| {
        if params.get("amount").is_some() {
            "add".into()
        } else {
            "get".into()
        }
    });
    match action.as_str() {
        "get" => Ok(balance_value(read_balance(&state.db.conn, t.id).await?)),
        "history" => history(state, t.id).await,
        "add" => {
            // A tenant must not top up its own credit: the table makes add the admin's.
            let amount = parse_amount(params.required("amount")?)?;
            let description = params.get("description").unwrap_or("").trim();
            if crate::text::check_line(description, 255).is_err() {
                return Err(ApiError::invalid(
                    "parameter 'description' must be at most 255 characters without control characters",
                ));
            }
            let txn = state.db.begin_write().await?;
            let mut upd = Query::update();
            upd.table("te_tenants")
                .value("te_balance", Expr::col("te_balance").add(amount))
                .and_where(Expr::col("te_id").eq(t.id));
            txn.execute(&upd).await?;
            let after = read_balance(&*txn, t.id).await?;
            let mut ins = Query::insert();
            ins.into_table("bt_balancetransactions")
                .columns([
                    "bt_te_id",
                    "bt_amount",
                    "bt_balance",
                    "bt_description",
                    "bt_ak_id",
                    "bt_created",
                ])
                .values_panic([
                    t.id.into(),
                    amount.into(),
                    after.into(),
                    description.into(),
                    caller.principal.key_id.into(),
                    chrono::Utc::now().naive_utc().into(),
                ]);
            txn.execute(&ins).await?;
            txn.commit().await?;
            Ok(balance_value(after))
        }
        other => Err(ApiError::invalid(format!(
            "parameter 'action': '{other}' is not one of get, add, history"
        ))),
    }
}

async fn history(state: &AppState, te_id: i32) -> ApiResult<Output> {
    let cols = [
        ("bt_id", Kind::Int),
        ("bt_amount", Kind::Double),
        ("bt_balance", Kind::Double),
        ("bt_description", Kind::Text(255)),
        ("bt_created", Kind::DateTime),
    ];
    let mut q = Query::select();
    q.columns(cols.map(|(c, _)| c))
        .from("bt_balancetransactions")
        .and_where(Expr::col("bt_te_id").eq(te_id))
        .order_by("bt_id", Order::Desc);
    let mut table = Table::new(cols.map(|(c, _)| c.to_string()).to_vec());
    for r in state.db.conn.query_all(&q).await? {
        let mut row = Vec::with_capacity(cols.len());
        for (i, (_, kind)) in cols.iter().enumerate() {
            row.push(match kind {
                Kind::Double => Some(money(r.try_get_by_index::<f64>(i).map_err(internal)?)),
                k => cell(&r, i, *k)?,
            });
        }
        table.rows.push(row);
    }
    let zone = crate::settings::tenant_zone(&state.db.conn, Some(te_id)).await?;
    Ok(Output::Table(table.localize(&["bt_created"], zone)))
}

/// `reqtype=LICENSEDAYS`: days left until the tenant's `LICENSE_EXPIRES` (negative once past,
/// empty when there is no expiry); `action=set&days=N` (admin) sets it to today + N.
pub async fn licensedays(state: &AppState, caller: &Caller, params: &Params) -> ApiResult<Output> {
    let te = caller.tenant.as_ref().map(|t| t.id);
    let today = chrono::Utc::now().date_naive();
    match params.word("action").as_deref().unwrap_or("get") {
        "get" => {}
        "set" => {
            let days = params
                .required("days")?
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| (0..=36500).contains(d))
                .ok_or_else(|| {
                    ApiError::invalid("parameter 'days' must be a whole number from 0 to 36500")
                })?;
            let date = today + chrono::Duration::days(days);
            settings::store(
                &state.db,
                "LICENSE_EXPIRES",
                te,
                &date.format("%Y-%m-%d").to_string(),
            )
            .await?;
        }
        other => {
            return Err(ApiError::invalid(format!(
                "parameter 'action': '{other}' is not one of get, set"
            )))
        }
    }
    let expires = settings::value(&state.db.conn, "LICENSE_EXPIRES", te).await?;
    let value = match chrono::NaiveDate::parse_from_str(&expires, "%Y-%m-%d") {
        Ok(date) => (date - today).num_days().to_string(),
        Err(_) => String::new(),
    };
    Ok(Output::Value {
        name: "licensedays",
        value: Some(value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_strictly_and_print_short() {
        assert_eq!(parse_amount("10").unwrap(), 10.0);
        assert_eq!(parse_amount("-2.5").unwrap(), -2.5);
        assert_eq!(parse_amount("+0.125").unwrap(), 0.125);
        for bad in [
            "",
            "0",
            "1e3",
            "NaN",
            "inf",
            "1.",
            ".5",
            "1,5",
            "1.1234567",
            "2e9",
            "--1",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert_eq!(money(12.5), "12.5");
        assert_eq!(money(-3.0), "-3");
        assert_eq!(money(0.1 + 0.2), "0.3");
        assert_eq!(money(-0.0000001), "0");
    }
}
