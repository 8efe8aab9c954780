//! Small pieces shared by the descriptors of issue 3: unprefixed aliases of columns (`pin`,
//! `strategy`, `host`, …), realtime rows rebuilt from a row, range checks, and child tables
//! listed per parent.

use super::engine::{self, Scope};
use super::{Kind, Object, Row, WriteCx};
use crate::auth::Caller;
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, Value};

/// Move the unprefixed extra `extra` (already checked) into `column`; giving both is an error.
pub fn alias(cx: &mut WriteCx<'_>, extra: &str, column: &str) -> ApiResult<()> {
    let Some(text) = cx.input.extra(extra).map(str::to_string) else {
        return Ok(());
    };
    if cx.input.has(column) {
        return Err(ApiError::invalid(format!(
            "fields '{extra}' and '{column}' are the same setting: give one of them"
        )));
    }
    let field = cx
        .obj
        .field(column)
        .ok_or_else(|| internal(format!("alias of unknown column {column}")))?;
    let value = match field.kind {
        Kind::Int | Kind::OptInt => {
            Value::Int(Some(text.parse().map_err(|_| {
                ApiError::invalid(format!("field '{extra}' must be an integer"))
            })?))
        }
        _ => Value::String(Some(text)),
    };
    cx.input.set(cx.obj, column, value);
    Ok(())
}

/// Set `column` on add when the client did not.
pub fn default_on_add(cx: &mut WriteCx<'_>, column: &str, value: Value) {
    if cx.op == super::Op::Add && !cx.input.has(column) {
        cx.input.set(cx.obj, column, value);
    }
}

/// Delete the rows of `table` whose `key` is one of `keys`.
pub async fn drop_rows(
    conn: &impl ConnectionTrait,
    table: &'static str,
    key: &'static str,
    keys: Vec<Value>,
) -> ApiResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut del = Query::delete();
    del.from_table(table).and_where(Expr::col(key).is_in(keys));
    conn.execute(&del).await?;
    Ok(())
}

pub async fn insert_row(
    conn: &impl ConnectionTrait,
    table: &'static str,
    cols: Vec<(&'static str, Value)>,
) -> ApiResult<()> {
    let mut ins = Query::insert();
    ins.into_table(table)
        .columns(cols.iter().map(|(c, _)| *c))
        .values(cols.into_iter().map(|(_, v)| Expr::val(v)))
        .map_err(internal)?;
    conn.execute(&ins).await?;
    Ok(())
}

/// The values of `column` (integer or text, as text) over the rows of `table` owned by tenant
/// `te_id`: what a tenant delete needs to find the realtime rows and stored media of its rows.
pub async fn tenant_values(
    conn: &impl ConnectionTrait,
    table: &'static str,
    column: &'static str,
    te_col: &'static str,
    te_id: i32,
) -> ApiResult<Vec<String>> {
    let mut q = Query::select();
    q.column(column)
        .from(table)
        .and_where(Expr::col(te_col).eq(te_id));
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            r.try_get_by_index::<i32>(0)
                .map(|i| i.to_string())
                .or_else(|_| r.try_get_by_index::<String>(0))
                .map_err(internal)
        })
        .collect()
}

/// `jsondata` as a JSON array of at most `max` elements; `example` shows the expected shape.
pub fn json_array(
    args: &dyn crate::args::Args,
    example: &str,
    max: usize,
) -> ApiResult<Vec<serde_json::Value>> {
    match serde_json::from_str(args.required("jsondata")?) {
        Ok(serde_json::Value::Array(items)) if items.len() <= max => Ok(items),
        Ok(serde_json::Value::Array(_)) => Err(ApiError::invalid(format!(
            "jsondata may hold at most {max} elements"
        ))),
        Ok(_) => Err(ApiError::invalid(format!(
            "jsondata must be a JSON array like {example}"
        ))),
        Err(e) => Err(ApiError::invalid(format!(
            "jsondata is not valid JSON: {e}"
        ))),
    }
}

/// The row named by `objectid`, in the caller's scope, or a "no <object> with id N" error.
pub async fn target_row(
    conn: &impl ConnectionTrait,
    caller: &Caller,
    obj: &'static Object,
    args: &dyn crate::args::Args,
) -> ApiResult<Row> {
    let scope = engine::scope(obj, caller)?;
    let id = args.required_id("objectid")?;
    engine::fetch(conn, obj, &scope, id, false)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no {} with id {id}", obj.name)))
}

/// Rows of `obj` whose `column` equals `id`, ordered by `order`, as a list keyed by the
/// primary key (like MANAGEDB list).
pub async fn rows_where(
    conn: &impl ConnectionTrait,
    obj: &'static Object,
    column: &'static str,
    id: i32,
    order: &'static str,
) -> ApiResult<Output> {
    let mut q = engine::select(obj, &Scope::All);
    q.and_where(Expr::col(column).eq(id))
        .order_by(order, Order::Asc)
        .order_by(obj.pk, Order::Asc);
    let rows = engine::fetch_rows(conn, obj, &q).await?;
    let mut table = Table::new(
        engine::readable(obj)
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect(),
    );
    table.rows = rows.into_iter().map(|r| r.cells).collect();
    Ok(Output::Keyed { key: 0, table })
}

/// Range checks for integer fields (descriptors need plain `fn`s).
pub fn int_in(v: &str, lo: i64, hi: i64) -> Result<(), String> {
    match v.trim().parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(()),
        Ok(_) => Err(format!("must be between {lo} and {hi}")),
        Err(_) => Err("must be an integer".into()),
    }
}
pub fn seconds(v: &str) -> Result<(), String> {
    int_in(v, 0, 3600)
}
pub fn port(v: &str) -> Result<(), String> {
    int_in(v, 0, 65535)
}
pub fn small_count(v: &str) -> Result<(), String> {
    int_in(v, 0, 1000)
}

/// A dial string fragment: digits, `+`, `*`, `#`, possibly empty.
pub fn dialable_or_empty(v: &str) -> Result<(), String> {
    if v.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
    {
        Ok(())
    } else {
        Err("may contain only digits, '+', '*' and '#'".into())
    }
}

/// A host name or address (no scheme, no path, no spaces), possibly empty.
pub fn host_or_empty(v: &str) -> Result<(), String> {
    if v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
    {
        Ok(())
    } else {
        Err("must be a host name or IP address".into())
    }
}

/// A codec list like `ulaw,alaw,g722`.
/// Asterisk's `allow` syntax: codec names separated by `,`, each optionally negated (`!all`)
/// and with a packetization in ms (`alaw:20`).
pub fn codecs(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    for (i, c) in v.split(',').map(str::trim).enumerate() {
        let name = c.strip_prefix('!').unwrap_or(c);
        let (name, ms) = match name.split_once(':') {
            Some((n, ms)) => (n, Some(ms)),
            None => (name, None),
        };
        let name_ok = !name.is_empty()
            && name.len() <= 20
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        let ms_ok = ms.is_none_or(|ms| {
            !ms.is_empty() && ms.len() <= 4 && ms.chars().all(|ch| ch.is_ascii_digit())
        });
        if !name_ok || !ms_ok {
            return Err(format!(
                "must be a comma-separated list of codecs (name, optionally :ms, e.g. alaw:20); \
                 item {} is not one",
                i + 1
            ));
        }
    }
    Ok(())
}
