//! Conditions (office hours and the like). A condition's rows (`ce_conditionextendedinfos`) are
//! replaced as a whole by `replaceextendedinfos` (a JSON array of `{param1..param4}`), validated
//! first: for WEEKTIME each row is weekday 1–7 (1 = Monday), from `H:MM`, to `H:MM`, from < to.
//! Its destinations are the sources `CONDITION` (when true) and `NOTCONDITION`.

use super::ivr::destinations_of;
use super::support::{insert_row, json_array, target_row};
use super::Kind::*;
use super::{opt, read_action, req, write_action, ActionCx, Behavior, Object, Row};
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, Value};

const SOURCES: &[&str] = &["CONDITION", "NOTCONDITION"];
pub const TYPES: &[&str] = &["WEEKTIME", "DATE", "FLOW"];

pub static CONDITION: Object = Object {
    name: "condition",
    plural: "conditions",
    table: "co_conditions",
    pk: "co_id",
    tenant_col: Some("co_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("co_name", Text(100)),
        opt("co_type", Choice(TYPES)),
        opt("co_timezone", Text(60)).checked(timezone),
        opt("co_param1", Text(255)),
        opt("co_param2", Text(255)),
        opt("co_param3", Text(255)),
        opt("co_param4", Text(255)),
    ],
    extras: &[],
    unique: &[],
    limit: None,
    target_tag: Some("CONDITION"),
    source_types: SOURCES,
    children: &[("ce_conditionextendedinfos", "ce_co_id")],
    actions: &[
        read_action("getdestinations"),
        read_action("getextendedinfos"),
        write_action("replaceextendedinfos"),
    ],
    behavior: &ConditionBehavior,
};

/// An IANA zone name like `Europe/Rome` (or empty for the server's zone).
fn timezone(v: &str) -> Result<(), String> {
    if v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
    {
        Ok(())
    } else {
        Err("must be a time zone name like Europe/Rome".into())
    }
}

/// `H:MM` or `HH:MM` (00:00–23:59, and 24:00 as an end) → minutes since midnight.
fn minutes(v: &str) -> Option<u32> {
    let (h, m) = v.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (0..=23, 0..=59) | (24, 0) => Some(h * 60 + m),
        _ => None,
    }
}

/// Check one row for a condition of type `kind`; `Err` names the row and parameter.
fn check_row(kind: &str, index: usize, params: &[String; 4]) -> ApiResult<()> {
    let bad = |p: usize, what: &str| {
        ApiError::invalid(format!(
            "jsondata element {index}: param{p} ('{}') {what}",
            params[p - 1]
        ))
    };
    for (i, p) in params.iter().enumerate() {
        if crate::text::check_line(p, 255).is_err() {
            return Err(bad(
                i + 1,
                "must be at most 255 characters without control characters",
            ));
        }
    }
    if kind != "WEEKTIME" {
        return Ok(());
    }
    if !matches!(params[0].as_str(), "1" | "2" | "3" | "4" | "5" | "6" | "7") {
        return Err(bad(1, "must be a weekday from 1 (Monday) to 7 (Sunday)"));
    }
    let from = minutes(&params[1]).ok_or_else(|| bad(2, "must be a time H:MM"))?;
    let to = minutes(&params[2]).ok_or_else(|| bad(3, "must be a time H:MM"))?;
    if from >= to {
        return Err(bad(3, "must be later than param2"));
    }
    Ok(())
}

const CE_COLUMNS: [&str; 7] = [
    "ce_id",
    "ce_co_id",
    "ce_ord",
    "ce_param1",
    "ce_param2",
    "ce_param3",
    "ce_param4",
];

async fn extended_infos(conn: &impl ConnectionTrait, co_id: i32) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns(CE_COLUMNS)
        .from("ce_conditionextendedinfos")
        .and_where(Expr::col("ce_co_id").eq(co_id))
        .order_by("ce_ord", Order::Asc);
    let mut table = Table::new(CE_COLUMNS.map(String::from).to_vec());
    for r in conn.query_all(&q).await? {
        let mut cells = Vec::with_capacity(CE_COLUMNS.len());
        for i in 0..3 {
            cells.push(Some(
                r.try_get_by_index::<i32>(i).map_err(internal)?.to_string(),
            ));
        }
        for i in 3..7 {
            cells.push(Some(r.try_get_by_index::<String>(i).map_err(internal)?));
        }
        table.rows.push(cells);
    }
    Ok(Output::Table(table))
}

/// jsondata → rows of four parameters (keys `param1`…`param4`, or `ce_param1`…).
fn parse_rows(args: &dyn crate::args::Args) -> ApiResult<Vec<[String; 4]>> {
    let items = json_array(
        args,
        "[{\"param1\":\"1\",\"param2\":\"9:00\",\"param3\":\"17:00\"}]",
        200,
    )?;
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let map = item.as_object().ok_or_else(|| {
            ApiError::invalid(format!(
                "jsondata element {i} must be an object with param1..param4"
            ))
        })?;
        let mut row: [String; 4] = Default::default();
        for (key, value) in map {
            let n = key
                .strip_prefix("ce_")
                .unwrap_or(key)
                .strip_prefix("param")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=4).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "jsondata element {i}: unknown key '{key}' (use param1..param4)"
                    ))
                })?;
            row[n - 1] = match value {
                serde_json::Value::String(s) => s.trim().to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Null => String::new(),
                _ => {
                    return Err(ApiError::invalid(format!(
                        "jsondata element {i}: '{key}' must be a string or a number"
                    )))
                }
            };
        }
        rows.push(row);
    }
    Ok(rows)
}

async fn replace(cx: &ActionCx<'_>, row: &Row) -> ApiResult<Output> {
    let co_id = row.id("co_id").unwrap_or_default();
    let te_id = row.id("co_te_id").unwrap_or_default();
    let kind = row.get("co_type").unwrap_or_default().to_string();
    let rows = parse_rows(cx.args)?;
    for (i, params) in rows.iter().enumerate() {
        check_row(&kind, i, params)?;
    }
    let txn = cx.db.begin_write().await?;
    let mut del = Query::delete();
    del.from_table("ce_conditionextendedinfos")
        .and_where(Expr::col("ce_co_id").eq(co_id));
    txn.execute(&del).await?;
    for (ord, [p1, p2, p3, p4]) in rows.into_iter().enumerate() {
        let s = |v: String| Value::String(Some(v));
        insert_row(
            &*txn,
            "ce_conditionextendedinfos",
            vec![
                ("ce_te_id", te_id.into()),
                ("ce_co_id", co_id.into()),
                ("ce_ord", (ord as i32 + 1).into()),
                ("ce_param1", s(p1)),
                ("ce_param2", s(p2)),
                ("ce_param3", s(p3)),
                ("ce_param4", s(p4)),
            ],
        )
        .await?;
    }
    txn.commit().await?;
    extended_infos(&cx.db.conn, co_id).await
}

struct ConditionBehavior;

#[async_trait]
impl Behavior for ConditionBehavior {
    async fn before_write(&self, cx: &mut super::WriteCx<'_>) -> ApiResult<()> {
        super::support::default_on_add(cx, "co_type", Value::String(Some("WEEKTIME".into())));
        Ok(())
    }

    async fn action(&self, cx: &ActionCx<'_>, name: &str) -> ApiResult<Output> {
        if name == "getdestinations" {
            return destinations_of(cx, SOURCES).await;
        }
        let row = target_row(&cx.db.conn, cx.caller, cx.obj, cx.args).await?;
        match name {
            "getextendedinfos" => {
                extended_infos(&cx.db.conn, row.id("co_id").unwrap_or_default()).await
            }
            _ => replace(cx, &row).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(a: &str, b: &str, c: &str) -> [String; 4] {
        [a.into(), b.into(), c.into(), String::new()]
    }

    #[test]
    fn weektime_rows() {
        assert!(check_row("WEEKTIME", 0, &row("1", "9:00", "17:30")).is_ok());
        assert!(check_row("WEEKTIME", 0, &row("7", "00:00", "24:00")).is_ok());
        for (r, what) in [
            (row("0", "9:00", "17:00"), "param1"),
            (row("8", "9:00", "17:00"), "param1"),
            (row("1-5", "9:00", "17:00"), "param1"),
            (row("1", "9", "17:00"), "param2"),
            (row("1", "9:0", "17:00"), "param2"),
            (row("1", "25:00", "17:00"), "param2"),
            (row("1", "9:00", "9:00"), "param3"),
            (row("1", "18:00", "9:00"), "param3"),
            (row("1", "9:00", "17:60"), "param3"),
        ] {
            let e = check_row("WEEKTIME", 2, &r).unwrap_err().to_string();
            assert!(e.starts_with(&format!("jsondata element 2: {what}")), "{e}");
        }
        assert!(check_row("DATE", 0, &row("x", "y", "z")).is_ok());
    }
}
