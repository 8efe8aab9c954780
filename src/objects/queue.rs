//! Call queues. Every write rebuilds the Asterisk realtime `queues` row, named by `qu_id`, in
//! the same transaction. `strategy` and `timeout` are unprefixed aliases of `qu_strategy` and
//! `qu_timeout` (seconds a member rings); strategies are Asterisk's own list. A queue needs no
//! number (the manual adds one with only `qu_name`, `strategy`, `timeout`).

use super::support::{alias, default_on_add, drop_rows, insert_row, seconds, tenant_values};
use super::Kind::*;
use super::{checks, opt, req, Behavior, Object, WriteCx};
use crate::error::ApiResult;
use async_trait::async_trait;
use sea_orm::{DatabaseTransaction, Value};

/// app_queue's strategies.
pub const STRATEGIES: &[&str] = &[
    "ringall",
    "leastrecent",
    "fewestcalls",
    "random",
    "rrmemory",
    "rrordered",
    "linear",
    "wrandom",
];

pub static QUEUE: Object = Object {
    name: "queue",
    plural: "queues",
    table: "qu_queues",
    pk: "qu_id",
    tenant_col: Some("qu_te_id"),
    admin_only: false,
    crud: true,
    fields: &[
        req("qu_name", Text(100)),
        // Optional: a queue is a destination by its id (`QUEUE-<qu_id>`); the number is for
        // dialling it and for QUEUE `number=` (unique within the tenant when given).
        opt("qu_number", Text(20)).checked(checks::digits),
        opt("qu_timeout", Int).checked(ring_seconds),
        opt("qu_alwaysrecord", Flag),
        opt("qu_strategy", Choice(STRATEGIES)),
    ],
    extras: &[
        opt("strategy", Choice(STRATEGIES)),
        opt("timeout", Int).checked(ring_seconds),
    ],
    unique: &[&["qu_te_id", "qu_number"]],
    limit: None,
    target_tag: Some("QUEUE"),
    source_types: &["QUEUE"],
    children: &[],
    actions: &[],
    behavior: &QueueBehavior,
};

fn ring_seconds(v: &str) -> Result<(), String> {
    seconds(v).and_then(|_| {
        if v.trim() == "0" {
            Err("must be between 1 and 3600".into())
        } else {
            Ok(())
        }
    })
}

struct QueueBehavior;

#[async_trait]
impl Behavior for QueueBehavior {
    async fn before_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        alias(cx, "strategy", "qu_strategy")?;
        alias(cx, "timeout", "qu_timeout")?;
        default_on_add(cx, "qu_strategy", Value::String(Some("ringall".into())));
        default_on_add(cx, "qu_timeout", Value::Int(Some(15)));
        Ok(())
    }

    async fn after_write(&self, cx: &mut WriteCx<'_>) -> ApiResult<()> {
        if let Some(id) = cx.before.as_ref().and_then(|r| r.get("qu_id")) {
            drop_rows(cx.txn, "queues", "name", vec![id.into()]).await?;
        }
        let Some(after) = &cx.after else {
            return Ok(());
        };
        let text = |c: &str| Value::String(Some(after.get(c).unwrap_or_default().to_string()));
        let context = match after.id("qu_te_id") {
            Some(te) => super::extension::tenant_context(cx.txn, te).await?.1,
            None => String::new(),
        };
        insert_row(
            cx.txn,
            "queues",
            vec![
                ("name", text("qu_id")),
                ("strategy", text("qu_strategy")),
                ("timeout", Value::Int(after.id("qu_timeout"))),
                ("context", Value::String(Some(context))),
                ("musiconhold", Value::String(Some("default".into()))),
                ("ringinuse", Value::String(Some("no".into()))),
                ("joinempty", Value::String(Some("yes".into()))),
                ("leavewhenempty", Value::String(Some("no".into()))),
            ],
        )
        .await
    }

    async fn on_tenant_delete(&self, txn: &DatabaseTransaction, te_id: i32) -> ApiResult<()> {
        let names = tenant_values(txn, "qu_queues", "qu_id", "qu_te_id", te_id).await?;
        drop_rows(
            txn,
            "queues",
            "name",
            names.into_iter().map(Value::from).collect(),
        )
        .await
    }
}
