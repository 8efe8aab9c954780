//! The queue reqtypes beyond membership (spec §5): QUEUE action=log, AGENT action=del and
//! QUEUERESET. Queues are the tenant's own (`qu_queues`); Asterisk knows a queue by its id.

use super::live::{
    device, extension, members, on_every_node, partial, send_to, tenant_of, tenant_queue,
    tenant_queue_by_param, writer,
};
use crate::ami::Action;
use crate::app::AppState;
use crate::auth::Caller;
use crate::cdr::report::parse_when;
use crate::db::CellType;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::render::{Output, Table};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};

const LOG_COLUMNS: &[&str] = &[
    "time",
    "callid",
    "queuename",
    "agent",
    "event",
    "data1",
    "data2",
    "data3",
    "data4",
    "data5",
    "node",
];

/// QUEUE action=log: the raw `queue_log` lines of one of the tenant's queues, oldest first,
/// optionally between `start` and `end` (inclusive, as INFO queuelogs).
pub async fn log(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = tenant_of(caller, "QUEUE log")?;
    let queue = tenant_queue(state, t, p).await?;
    let mut q = Query::select();
    q.columns(LOG_COLUMNS.iter().copied())
        .from("queue_log")
        .and_where(Expr::col("te_id").eq(t.id))
        .and_where(Expr::col("qu_id").eq(queue.qu_id));
    if let Some(text) = p.get("start") {
        q.and_where(Expr::col("time").gte(parse_when("start", text)?.0));
    }
    if let Some(text) = p.get("end") {
        let (to, span) = parse_when("end", text)?;
        q.and_where(Expr::col("time").lt(to + span));
    }
    q.order_by("time", Order::Asc).order_by("id", Order::Asc);
    let mut types = vec![CellType::Text; LOG_COLUMNS.len()];
    types[0] = CellType::DateTime;
    let mut table = Table::new(LOG_COLUMNS.iter().map(|c| c.to_string()).collect());
    table.rows = state.db.read_cells(&q, &types).await?;
    Ok(Output::Table(table))
}

/// AGENT action=del: take the extension out of one of the tenant's queues (`queue` = id) or
/// of all of them (`queue` absent or ALL), on every node where it is a member.
pub async fn agent_del(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = writer(caller, "AGENT del")?;
    let ext = extension(state, t, "extension", p.required("extension")?).await?;
    let iface = device(&ext, "extension")?;
    let queue = match p.get("queue").map(str::trim) {
        None | Some("") => None,
        Some(q) if q.eq_ignore_ascii_case("all") => None,
        Some(_) => Some(tenant_queue_by_param(state, t, p).await?),
    };
    let (found, missing) = members(state, t, queue.as_deref()).await?;
    let mine: Vec<_> = found
        .iter()
        .filter(|(_, m)| m.get("Location") == Some(iface.as_str()))
        .collect();
    if mine.is_empty() {
        return Err(ApiError::NotFound(format!(
            "parameter 'extension': {} is not a member of {}",
            ext.ex_number,
            queue.map_or("any queue".to_string(), |q| format!("queue {q}"))
        )));
    }
    for (node, m) in mine {
        send_to(
            state,
            node,
            Action::new("QueueRemove")
                .header("Queue", m.get("Queue").unwrap_or(""))
                .header("Interface", iface.clone()),
        )
        .await?;
    }
    Ok(partial(Output::Text("OK".into()), missing))
}

/// QUEUERESET: reset the statistics of one of the tenant's queues (`number` or `id`) on every
/// node of the tenant.
pub async fn reset(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = writer(caller, "QUEUERESET")?;
    let queue = tenant_queue(state, t, p).await?.qu_id.to_string();
    let missing = on_every_node(state, t, || {
        Action::new("QueueReset").header("Queue", queue.clone())
    })
    .await?;
    Ok(partial(Output::Text("OK".into()), missing))
}
