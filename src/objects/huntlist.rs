//! Hunt lists: a number that rings an ordered list of members, each `TYPE-ID` like a
//! destination (`EXT-12` an extension of the same tenant, `EXTERNAL-0039…` a phone number).
//! `setextensions` validates the whole array first, then replaces the members in one
//! transaction; deleting an extension that is a member is refused.

use super::engine::tenant_by_id;
use super::support::{insert_row, json_array, small_count, target_row};
use super::Kind::*;
use super::{checks, opt, read_action, req, write_action, ActionCx, Behavior, Object, Row};
use crate::error::{internal, ApiError, ApiResult};
use crate::output::{Output, Table};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, Value};

/// Member types a hunt list can ring.
const MEMBER_TAGS: &[&str] = &["EXT", "EXTERNAL"];

pub static HUNTLIST: Object = Object {
    name: "huntlist",
    plural: "huntlists",
    table: "hu_huntlists",
    pk: "hu_id",
    tenant_col: Some("hu_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("hu_number", Text(20)).checked(checks::digits),
        opt("hu_name", Text(100)),
        opt("hu_type", Choice(&["SIMULTANEOUS", "SEQUENTIAL"])),
        opt("hu_ringtime", Int).checked(small_count),
    ],
    extras: &[],
    unique: &[&["hu_te_id", "hu_number"]],
    limit: None,
    target_tag: Some("HUNTLIST"),
    source_types: &["HUNTLIST"],
    children: &[("hm_huntlistmembers", "hm_hu_id")],
    actions: &[read_action("getextensions"), write_action("setextensions")],
    behavior: &HuntlistBehavior,
};

const COLUMNS: [&str; 5] = ["hm_id", "hm_hu_id", "hm_ord", "hm_type", "hm_type_id"];

async fn members(conn: &impl ConnectionTrait, hu_id: i32) -> ApiResult<Output> {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("hm_huntlistmembers")
        .and_where(Expr::col("hm_hu_id").eq(hu_id))
        .order_by("hm_ord", Order::Asc);
    let mut table = Table::new(COLUMNS.map(String::from).to_vec());
    for r in conn.query_all(&q).await? {
        let int = |i| {
            r.try_get_by_index::<i32>(i)
                .map(|v| v.to_string())
                .map_err(internal)
        };
        let text = |i| r.try_get_by_index::<String>(i).map_err(internal);
        table.rows.push(vec![
            Some(int(0)?),
            Some(int(1)?),
            Some(int(2)?),
            Some(text(3)?),
            Some(text(4)?),
        ]);
    }
    Ok(Output::Table(table))
}

async fn set(cx: &ActionCx<'_>, row: &Row) -> ApiResult<Output> {
    let hu_id = row.id("hu_id").unwrap_or_default();
    let te_id = row.id("hu_te_id").unwrap_or_default();
    let items = json_array(cx.args, "[\"EXT-12\",\"EXT-13\"]", 100)?;
    let txn = cx.db.begin_write().await?;
    let tenant = tenant_by_id(&*txn, te_id)
        .await?
        .ok_or(ApiError::WrongTenant)?;
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let text = item.as_str().ok_or_else(|| {
            ApiError::invalid(format!("jsondata element {i} must be a string \"TYPE-ID\""))
        })?;
        let (tag, arg) = super::destination::element(&*txn, &tenant, i, text).await?;
        if !MEMBER_TAGS.contains(&tag.as_str()) {
            return Err(ApiError::invalid(format!(
                "jsondata element {i} ('{text}'): a hunt list member must be one of {}",
                MEMBER_TAGS.join(", ")
            )));
        }
        parsed.push((tag, arg));
    }
    let mut del = Query::delete();
    del.from_table("hm_huntlistmembers")
        .and_where(Expr::col("hm_hu_id").eq(hu_id));
    txn.execute(&del).await?;
    for (ord, (tag, arg)) in parsed.into_iter().enumerate() {
        insert_row(
            &*txn,
            "hm_huntlistmembers",
            vec![
                ("hm_te_id", te_id.into()),
                ("hm_hu_id", hu_id.into()),
                ("hm_ord", (ord as i32 + 1).into()),
                ("hm_type", Value::String(Some(tag))),
                ("hm_type_id", Value::String(Some(arg))),
            ],
        )
        .await?;
    }
    txn.commit().await?;
    members(&cx.db.conn, hu_id).await
}

struct HuntlistBehavior;

#[async_trait]
impl Behavior for HuntlistBehavior {
    async fn before_write(&self, cx: &mut super::WriteCx<'_>) -> ApiResult<()> {
        super::support::default_on_add(cx, "hu_type", Value::String(Some("SIMULTANEOUS".into())));
        Ok(())
    }

    async fn action(&self, cx: &ActionCx<'_>, name: &str) -> ApiResult<Output> {
        let row = target_row(&cx.db.conn, cx.caller, cx.obj, cx.args).await?;
        match name {
            "getextensions" => members(&cx.db.conn, row.id("hu_id").unwrap_or_default()).await,
            _ => set(cx, &row).await,
        }
    }
}
