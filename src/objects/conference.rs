//! Conference rooms. Every write rebuilds the Asterisk realtime `meetme` row (confno
//! `<cr_number>-<TENANT>`) in the same transaction. `pin`/`adminpin` are unprefixed aliases of
//! `cr_pin`/`cr_adminpin`; pins are digits only.

use super::support::{alias, drop_rows, insert_row, small_count, tenant_values};
use super::Kind::*;
use super::{checks, opt, req, Behavior, Object, Row, WriteCx};
use crate::error::ApiResult;
use async_trait::async_trait;
use sea_orm::{DatabaseTransaction, Value};

pub static CONFERENCE: Object = Object {
    name: "conference",
    plural: "conferences",
    table: "cr_conferencerooms",
    pk: "cr_id",
    tenant_col: Some("cr_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("cr_number", Text(20)).checked(checks::digits),
        opt("cr_name", Text(100)),
        opt("cr_pin", Text(20))
            .checked(checks::digits_or_empty)
            .masked(),
        opt("cr_adminpin", Text(20))
            .checked(checks::digits_or_empty)
            .masked(),
        opt("cr_maxusers", Int).checked(small_count),
    ],
    extras: &[
        opt("pin", Text(20)).checked(checks::digits_or_empty),
        opt("adminpin", Text(20)).checked(checks::digits_or_empty),
    ],
    unique: &[&["cr_te_id", "cr_number"]],
    limit: None,
    target_tag: Some("MEETME"),
    source_types: &[],
    children: &[],
    actions: &[],
    behavior: &ConferenceBehavior,
};

fn confno(row: &Row, code: &str) -> String {
    format!("{}-{code}", row.get("cr_number").unwrap_or_default())
}

struct ConferenceBehavior;

#[async_trait]
impl Behavior for ConferenceBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        alias(cx, "pin", "cr_pin")?;
        alias(cx, "adminpin", "cr_adminpin")
    }

    async fn after_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        let code = cx
            .tenant
            .as_ref()
            .map(|t| t.code.clone())
            .unwrap_or_default();
        if let Some(before) = &cx.before {
            drop_rows(
                cx.txn,
                "meetme",
                "confno",
                vec![confno(before, &code).into()],
            )
            .await?;
        }
        let Some(after) = &cx.after else {
            return Ok(());
        };
        let pin =
            |c: &str| Value::String(after.get(c).filter(|p| !p.is_empty()).map(str::to_string));
        let maxusers = after.id("cr_maxusers").filter(|n| *n > 0);
        insert_row(
            cx.txn,
            "meetme",
            vec![
                ("confno", Value::String(Some(confno(after, &code)))),
                ("pin", pin("cr_pin")),
                ("adminpin", pin("cr_adminpin")),
                ("opts", Value::String(Some(String::new()))),
                ("adminopts", Value::String(Some("aA".into()))),
                ("maxusers", Value::Int(maxusers)),
            ],
        )
        .await
    }

    async fn on_tenant_delete(&self, txn: &DatabaseTransaction, te_id: i32) -> ApiResult<()> {
        let Some(t) = super::engine::tenant_by_id(txn, te_id).await? else {
            return Ok(());
        };
        let rooms =
            tenant_values(txn, "cr_conferencerooms", "cr_number", "cr_te_id", te_id).await?;
        let confnos = rooms
            .iter()
            .map(|n| format!("{n}-{}", t.code).into())
            .collect();
        drop_rows(txn, "meetme", "confno", confnos).await
    }
}
