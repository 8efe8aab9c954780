//! Phonebooks. A phonebook (`pb_phonebooks`, named per tenant) holds entries
//! (`pe_phonebookentries`), each a set of details (`pd_phonebookdetails`) keyed by a phonebook
//! item (`pi_phonebookitems`: NAME, PHONE1, …, EMAIL). The MANAGEDB object `phonephonebook`
//! (`pp_phonephonebooks`) is a phonebook as offered to the tenant's phones; added without
//! `pp_pb_id` it gets the phonebook of its own name (created when missing).

use super::Kind::*;
use super::{opt, req, Behavior, Object, Op, WriteCx};
use crate::auth::TenantRef;
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Order, Query};
use sea_orm::{ConnectionTrait, Value};
use std::collections::HashMap;

pub static PHONEPHONEBOOK: Object = Object {
    name: "phonephonebook",
    plural: "phonephonebooks",
    table: "pp_phonephonebooks",
    pk: "pp_id",
    tenant_col: Some("pp_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("pp_name", Text(100)),
        opt("pp_pb_id", Int),
        opt("pp_description", Text(255)),
    ],
    extras: &[],
    unique: &[&["pp_te_id", "pp_name"]],
    limit: None,
    target_tag: None,
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &PhonePhonebookBehavior,
};

struct PhonePhonebookBehavior;

#[async_trait]
impl Behavior for PhonePhonebookBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        let Some(t) = cx.tenant.clone() else {
            return Ok(());
        };
        match cx.input.columns.iter().find(|(f, _)| f.name == "pp_pb_id") {
            Some((_, Value::Int(Some(pb)))) => {
                let pb = *pb;
                if phonebook_name(cx.txn, &t, pb).await?.is_none() {
                    return Err(ApiError::invalid(format!(
                        "field 'pp_pb_id': no phonebook with id {pb} in tenant {}",
                        t.code
                    )));
                }
            }
            _ if cx.op == Op::Add => {
                let name = cx.input.text("pp_name").unwrap_or_default().to_string();
                let pb = ensure_phonebook(cx.txn, &t, &name).await?;
                cx.input.set(cx.obj, "pp_pb_id", Value::Int(Some(pb)));
            }
            _ => {}
        }
        Ok(())
    }
}

async fn phonebook_name(
    conn: &impl ConnectionTrait,
    t: &TenantRef,
    pb: i32,
) -> ApiResult<Option<String>> {
    let mut q = Query::select();
    q.column("pb_name")
        .from("pb_phonebooks")
        .and_where(Expr::col("pb_id").eq(pb))
        .and_where(Expr::col("pb_te_id").eq(t.id));
    match conn.query_one(&q).await? {
        Some(r) => Ok(Some(r.try_get_by_index(0).map_err(internal)?)),
        None => Ok(None),
    }
}

fn check_name(name: &str) -> ApiResult<&str> {
    let name = name.trim();
    if name.is_empty() || crate::text::check_line(name, 100).is_err() {
        return Err(ApiError::invalid(
            "parameter 'phonebook' must be a name of 1 to 100 characters",
        ));
    }
    Ok(name)
}

/// A tenant's phonebook by name, if it exists.
pub async fn find_phonebook(
    conn: &impl ConnectionTrait,
    t: &TenantRef,
    name: &str,
) -> ApiResult<Option<i32>> {
    let name = check_name(name)?;
    let mut q = Query::select();
    q.column("pb_id")
        .from("pb_phonebooks")
        .and_where(Expr::col("pb_te_id").eq(t.id))
        .and_where(Expr::col("pb_name").eq(name));
    match conn.query_one(&q).await? {
        Some(r) => Ok(Some(r.try_get_by_index(0).map_err(internal)?)),
        None => Ok(None),
    }
}

/// A tenant's phonebook by name, created when missing (inside the caller's write transaction).
pub async fn ensure_phonebook(
    conn: &impl ConnectionTrait,
    t: &TenantRef,
    name: &str,
) -> ApiResult<i32> {
    if let Some(id) = find_phonebook(conn, t, name).await? {
        return Ok(id);
    }
    let mut ins = Query::insert();
    ins.into_table("pb_phonebooks")
        .columns(["pb_te_id", "pb_name"])
        .values_panic([t.id.into(), check_name(name)?.into()]);
    conn.execute(&ins).await?;
    find_phonebook(conn, t, name)
        .await?
        .ok_or_else(|| internal("phonebook vanished after insert"))
}

/// The phonebook items (code → id), in their order.
pub async fn items(conn: &impl ConnectionTrait) -> ApiResult<Vec<(String, i32)>> {
    let mut q = Query::select();
    q.columns(["pi_code", "pi_id"])
        .from("pi_phonebookitems")
        .order_by("pi_id", Order::Asc);
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get_by_index::<String>(0).map_err(internal)?,
                r.try_get_by_index::<i32>(1).map_err(internal)?,
            ))
        })
        .collect()
}

/// Which entries of a phonebook to show.
pub enum Select<'a> {
    All,
    /// Entries whose `item` (or any item when `None`) matches `pattern` (`%` = any text).
    Matching {
        item: Option<i32>,
        pattern: &'a str,
    },
    Ids(&'a [i32]),
}

/// Entries of a phonebook as a table: `pe_id` then one column per item code.
pub async fn entries(
    conn: &impl ConnectionTrait,
    t: &TenantRef,
    pb: i32,
    select: Select<'_>,
) -> ApiResult<Output> {
    let items = items(conn).await?;
    let mut q = Query::select();
    q.column("pe_id")
        .from("pe_phonebookentries")
        .and_where(Expr::col("pe_te_id").eq(t.id))
        .and_where(Expr::col("pe_pb_id").eq(pb))
        .order_by("pe_id", Order::Asc);
    match select {
        Select::All => {}
        Select::Ids(ids) => {
            q.and_where(Expr::col("pe_id").is_in(ids.iter().copied()));
        }
        Select::Matching { item, pattern } => {
            // `%` is the only wildcard a client means: `_` and `\` are literal.
            let escaped = pattern
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('_', "\\_");
            let mut sub = Query::select();
            sub.column("pd_pe_id")
                .from("pd_phonebookdetails")
                .and_where(Expr::col("pd_te_id").eq(t.id))
                .and_where(
                    Expr::expr(Func::lower(Expr::col("pd_pi_value")))
                        .like(LikeExpr::new(escaped).escape('\\')),
                );
            if let Some(item) = item {
                sub.and_where(Expr::col("pd_pi_id").eq(item));
            }
            q.and_where(Expr::col("pe_id").in_subquery(sub));
        }
    }
    let ids: Vec<i32> = conn
        .query_all(&q)
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<i32>(0).map_err(internal))
        .collect::<ApiResult<_>>()?;
    let mut columns = vec!["pe_id".to_string()];
    columns.extend(items.iter().map(|(c, _)| c.clone()));
    let mut table = Table::new(columns);
    if ids.is_empty() {
        return Ok(Output::Table(table));
    }
    let mut d = Query::select();
    d.columns(["pd_pe_id", "pd_pi_id", "pd_pi_value"])
        .from("pd_phonebookdetails")
        .and_where(Expr::col("pd_te_id").eq(t.id))
        .and_where(Expr::col("pd_pe_id").is_in(ids.iter().copied()));
    let mut details: HashMap<(i32, i32), String> = HashMap::new();
    for r in conn.query_all(&d).await? {
        details.insert(
            (
                r.try_get_by_index(0).map_err(internal)?,
                r.try_get_by_index(1).map_err(internal)?,
            ),
            r.try_get_by_index(2).map_err(internal)?,
        );
    }
    for id in ids {
        let mut row = vec![Some(id.to_string())];
        row.extend(
            items
                .iter()
                .map(|(_, pi)| Some(details.remove(&(id, *pi)).unwrap_or_default())),
        );
        table.rows.push(row);
    }
    Ok(Output::Table(table))
}

/// Add entries (each a map item id → value) to a phonebook; returns their ids.
pub async fn add_entries(
    conn: &impl ConnectionTrait,
    t: &TenantRef,
    pb: i32,
    new: &[Vec<(i32, String)>],
) -> ApiResult<Vec<i32>> {
    let mut ids = Vec::with_capacity(new.len());
    for details in new {
        let mut ins = Query::insert();
        ins.into_table("pe_phonebookentries")
            .columns(["pe_te_id", "pe_pb_id"])
            .values_panic([t.id.into(), pb.into()]);
        let id = match conn.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                ins.returning_col("pe_id");
                conn.query_one(&ins)
                    .await?
                    .ok_or_else(|| internal("insert returned no id"))?
                    .try_get_by_index::<i32>(0)
                    .map_err(internal)?
            }
            _ => conn.execute(&ins).await?.last_insert_id() as i32,
        };
        if !details.is_empty() {
            let mut ins = Query::insert();
            ins.into_table("pd_phonebookdetails").columns([
                "pd_te_id",
                "pd_pe_id",
                "pd_pi_id",
                "pd_pi_value",
            ]);
            for (item, value) in details {
                ins.values_panic([
                    t.id.into(),
                    id.into(),
                    (*item).into(),
                    value.as_str().into(),
                ]);
            }
            conn.execute(&ins).await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Delete entries of a phonebook (all, or the listed ids); returns how many went.
pub async fn delete_entries(
    conn: &impl ConnectionTrait,
    t: &TenantRef,
    pb: i32,
    only: Option<i32>,
) -> ApiResult<u64> {
    let mut sub = Query::select();
    sub.column("pe_id")
        .from("pe_phonebookentries")
        .and_where(Expr::col("pe_te_id").eq(t.id))
        .and_where(Expr::col("pe_pb_id").eq(pb));
    if let Some(id) = only {
        sub.and_where(Expr::col("pe_id").eq(id));
    }
    let ids: Vec<i32> = conn
        .query_all(&sub)
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<i32>(0).map_err(internal))
        .collect::<ApiResult<_>>()?;
    if ids.is_empty() {
        return Ok(0);
    }
    for chunk in ids.chunks(500) {
        let mut del = Query::delete();
        del.from_table("pd_phonebookdetails")
            .and_where(Expr::col("pd_te_id").eq(t.id))
            .and_where(Expr::col("pd_pe_id").is_in(chunk.iter().copied()));
        conn.execute(&del).await?;
        let mut del = Query::delete();
        del.from_table("pe_phonebookentries")
            .and_where(Expr::col("pe_te_id").eq(t.id))
            .and_where(Expr::col("pe_id").is_in(chunk.iter().copied()));
        conn.execute(&del).await?;
    }
    Ok(ids.len() as u64)
}

/// The phonebooks of a tenant with their entry counts.
pub async fn list_phonebooks(conn: &impl ConnectionTrait, t: &TenantRef) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns([("pb_phonebooks", "pb_id"), ("pb_phonebooks", "pb_name")])
        .expr(Expr::cust("COUNT(pe_phonebookentries.pe_id)"))
        .from("pb_phonebooks")
        .left_join(
            "pe_phonebookentries",
            Expr::col(("pe_phonebookentries", "pe_pb_id")).equals(("pb_phonebooks", "pb_id")),
        )
        .and_where(Expr::col(("pb_phonebooks", "pb_te_id")).eq(t.id))
        .group_by_columns([("pb_phonebooks", "pb_id"), ("pb_phonebooks", "pb_name")])
        .order_by(("pb_phonebooks", "pb_name"), Order::Asc);
    let mut table = Table::new(["pb_id", "pb_name", "entries"].map(String::from).to_vec());
    for r in conn.query_all(&q).await? {
        let id: i32 = r.try_get_by_index(0).map_err(internal)?;
        let name: String = r.try_get_by_index(1).map_err(internal)?;
        let n: i64 = r.try_get_by_index(2).map_err(internal)?;
        table
            .rows
            .push(vec![Some(id.to_string()), Some(name), Some(n.to_string())]);
    }
    Ok(Output::Table(table))
}
