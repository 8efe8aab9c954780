//! The checks a write must pass against stored rows, with messages naming what is in the way:
//! a tenant's cap, unique values, references to rows that must exist, and rows that still
//! point at a row being deleted.

use super::input::value_text;
use super::{Kind, Object, WriteCx};
use crate::auth::TenantRef;
use crate::db::count;
use crate::error::{internal, ApiError, ApiResult};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, Value};

fn count_query(table: &'static str) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Expr::cust("COUNT(*)")).from(table);
    q
}

/// Refuse an add beyond the tenant's cap. The tenant row is locked first, so concurrent adds
/// for one tenant queue behind each other on servers with row locks (SQLite has one writer).
pub(super) async fn check_limit(
    conn: &impl ConnectionTrait,
    obj: &Object,
    limit_col: &'static str,
    t: &TenantRef,
) -> ApiResult<()> {
    let mut q = Query::select();
    q.column(limit_col)
        .from("te_tenants")
        .and_where(Expr::col("te_id").eq(t.id))
        .lock(LockType::Update);
    let max = match conn.query_one(&q).await? {
        Some(r) => r.try_get_by_index::<i32>(0).map_err(internal)?,
        None => return Err(ApiError::WrongTenant),
    };
    if max <= 0 {
        return Ok(());
    }
    let mut c = count_query(obj.table);
    c.and_where(Expr::col(obj.tenant_col.unwrap_or(obj.pk)).eq(t.id));
    if count(conn, c).await? >= i64::from(max) {
        return Err(ApiError::Conflict(format!(
            "tenant {} has reached its limit of {max} {}s ({limit_col})",
            t.code, obj.name
        )));
    }
    Ok(())
}

/// Duplicate check with a message naming the fields, before the unique index has to refuse.
pub(super) async fn check_unique(
    conn: &impl ConnectionTrait,
    cx: &WriteCx<'_>,
    exclude: Option<i32>,
) -> ApiResult<()> {
    let obj = cx.obj;
    for set in obj.unique {
        let touched = set.iter().any(|c| cx.input.has(c));
        if !touched {
            continue;
        }
        let mut q = count_query(obj.table);
        let mut shown = Vec::new();
        let mut scoped = false;
        for col in set.iter().copied() {
            if Some(col) == obj.tenant_col {
                let Some(t) = &cx.tenant else { continue };
                q.and_where(Expr::col(col).eq(t.id));
                scoped = true;
                continue;
            }
            let value = match cx.input.columns.iter().find(|(f, _)| f.name == col) {
                Some((_, v)) => value_text(v),
                None => cx
                    .before
                    .as_ref()
                    .and_then(|r| r.get(col))
                    .unwrap_or("")
                    .to_string(),
            };
            q.and_where(Expr::col(col).eq(value.clone()));
            shown.push((col, value));
        }
        // An empty value is no value (an optional number left out): it clashes with nothing.
        if shown.iter().any(|(_, v)| v.is_empty()) {
            continue;
        }
        if let Some(id) = exclude {
            q.and_where(Expr::col(obj.pk).ne(id));
        }
        if count(conn, q).await? > 0 {
            let cols: Vec<&str> = shown.iter().map(|(c, _)| *c).collect();
            let vals: Vec<String> = shown.iter().map(|(_, v)| format!("'{v}'")).collect();
            return Err(ApiError::Conflict(match (&cx.tenant, scoped) {
                (Some(t), true) => format!(
                    "{} {} already exists in tenant {}",
                    cols.join("/"),
                    vals.join("/"),
                    t.code
                ),
                // A tenant's row, unique across tenants: the holder may be another tenant,
                // whose values (parts of them come from the stored row) are not repeated.
                _ if obj.tenant_col.is_some() => {
                    format!("{}: the value is already in use", cols.join("/"))
                }
                _ => format!("{} {} already exists", cols.join("/"), vals.join("/")),
            }));
        }
    }
    Ok(())
}

/// Tables whose rows point at objects by destination tag: `(table, tag column, id column,
/// owner column, owner label)`. Destinations are listed by their source type.
const TAGGED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "de_destinations",
        "de_type_dst",
        "de_type_id_dst",
        "de_type_id_src",
        "destinations of",
    ),
    (
        "hm_huntlistmembers",
        "hm_type",
        "hm_type_id",
        "hm_hu_id",
        "hunt lists",
    ),
];

/// A referenced column must name an existing row (of the same tenant when the target is
/// tenant-owned). `0` in a nullable reference means "none".
pub(super) async fn check_references(
    conn: &impl ConnectionTrait,
    cx: &WriteCx<'_>,
) -> ApiResult<()> {
    for (field, value) in &cx.input.columns {
        let Some(target) = field.refers.and_then(super::find) else {
            continue;
        };
        let id = match value {
            Value::Int(Some(0)) if field.kind == Kind::OptInt => continue,
            Value::Int(Some(id)) => *id,
            _ => continue,
        };
        let mut q = count_query(target.table);
        q.and_where(Expr::col(target.pk).eq(id));
        let mut place = String::new();
        if let (Some(col), Some(t)) = (target.tenant_col, &cx.tenant) {
            q.and_where(Expr::col(col).eq(t.id));
            place = format!(" in tenant {}", t.code);
        }
        if count(conn, q).await? == 0 {
            return Err(ApiError::invalid(format!(
                "field '{}': no {} with id {id}{place}",
                field.name, target.name
            )));
        }
    }
    Ok(())
}

/// Deleting an object that others point to would leave them dangling: refuse, listing them.
pub(super) async fn refuse_if_referenced(
    conn: &impl ConnectionTrait,
    obj: &Object,
    id: i32,
) -> ApiResult<()> {
    let mut parts = Vec::new();
    if let Some(tag) = obj.target_tag {
        for (table, tag_col, id_col, owner_col, label) in TAGGED {
            let mut q = Query::select();
            q.columns([*owner_col]);
            if *table == "de_destinations" {
                q.column("de_type_src");
            }
            q.from(*table)
                .and_where(Expr::col(*tag_col).eq(tag))
                .and_where(Expr::col(*id_col).eq(id.to_string()))
                .order_by(*owner_col, Order::Asc);
            let users: Vec<String> = conn
                .query_all(&q)
                .await?
                .iter()
                .map(|r| {
                    let owner = r.try_get_by_index::<i32>(0).unwrap_or_default();
                    match r.try_get_by_index::<String>(1) {
                        Ok(src) => format!("{src} {owner}"),
                        Err(_) => owner.to_string(),
                    }
                })
                .collect();
            if !users.is_empty() {
                parts.push(format!("{label}: {}", users.join(", ")));
            }
        }
    }
    for other in super::REGISTRY {
        for field in other.fields.iter().filter(|f| f.refers == Some(obj.name)) {
            let mut q = Query::select();
            q.column(other.pk)
                .from(other.table)
                .and_where(Expr::col(field.name).eq(id))
                .order_by(other.pk, Order::Asc);
            let users: Vec<String> = conn
                .query_all(&q)
                .await?
                .iter()
                .map(|r| r.try_get_by_index::<i32>(0).unwrap_or_default().to_string())
                .collect();
            if !users.is_empty() {
                parts.push(format!(
                    "{} ({}): {}",
                    other.plural,
                    field.name,
                    users.join(", ")
                ));
            }
        }
    }
    if parts.is_empty() {
        return Ok(());
    }
    Err(ApiError::Conflict(format!(
        "{} {id} is used by {}; change those first",
        obj.name,
        parts.join("; ")
    )))
}
