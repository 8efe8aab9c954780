//! The queue reqtypes beyond membership (spec §5): QUEUE action=log, AGENT action=del and
//! QUEUERESET. Queues are the tenant's own (`qu_queues`); Asterisk knows a queue by its id.

use super::live::{
    device, extension, members, on_every_node, partial, queue_events, send_to, tenant_queue,
    tenant_queue_by_param,
};
use crate::ami::Action;
use crate::auth::Caller;
use crate::db::CellType;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
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
    let t = caller.require_tenant("QUEUE log")?;
    let queue = tenant_queue(state, t, p).await?;
    let mut q = Query::select();
    q.columns(LOG_COLUMNS.iter().copied())
        .from("queue_log")
        .and_where(Expr::col("te_id").eq(t.id))
        .and_where(Expr::col("qu_id").eq(queue.qu_id));
    let zone = super::report_zone(state, caller).await?;
    let crate::cdr::report::DateRange { from, until } =
        crate::cdr::report::DateRange::parse(p.get("start"), p.get("end"))?.to_utc(zone);
    if let Some(from) = from {
        q.and_where(Expr::col("time").gte(from));
    }
    if let Some(until) = until {
        q.and_where(Expr::col("time").lt(until));
    }
    q.order_by("time", Order::Asc).order_by("id", Order::Asc);
    let mut types = vec![CellType::Text; LOG_COLUMNS.len()];
    types[0] = CellType::DateTime;
    let mut table = Table::new(LOG_COLUMNS.iter().map(|c| c.to_string()).collect());
    table.rows = state.db.read_cells(&q, &types).await?;
    Ok(Output::Table(table.localize(&[LOG_COLUMNS[0]], zone)))
}

/// AGENT action=del: take the extension out of one of the tenant's queues (`queue` = id) or
/// of all of them (`queue` absent or ALL), on every node where it is a member.
pub async fn agent_del(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("AGENT del")?;
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
    let t = caller.require_tenant("QUEUERESET")?;
    let queue = tenant_queue(state, t, p).await?.qu_id.to_string();
    let missing = on_every_node(state, t, || {
        Action::new("QueueReset").header("Queue", queue.clone())
    })
    .await?;
    Ok(partial(Output::Text("OK".into()), missing))
}

/// INFO queues: the tenant's queues, `<qu_id>: <name>|…` in plain, `{"<qu_id>":"<name>",…}` in
/// json (Asterisk knows a queue by its id).
pub async fn info_queues(state: &AppState, caller: &Caller) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO queues")?;
    let mut q = Query::select();
    q.columns(["qu_id", "qu_name"])
        .from("qu_queues")
        .and_where(Expr::col("qu_te_id").eq(t.id))
        .order_by("qu_id", Order::Asc);
    let rows = state
        .db
        .read_cells(&q, &[CellType::Int, CellType::Text])
        .await?;
    let pairs = rows.into_iter().map(|mut r| {
        let name = r.pop().flatten().unwrap_or_default();
        (r.pop().flatten().unwrap_or_default(), name)
    });
    Ok(one_line(pairs, ": "))
}

/// INFO agents: the members of the tenant's queues (`queue` = one queue id) with their state,
/// `<agent>:<State>|…` in plain, `{"<agent>":"<State>",…}` in json. A member of several
/// queues, or seen on several nodes, shows its most telling state; `Paused` tells most.
pub async fn info_agents(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO agents")?;
    let queue = match p.get("queue") {
        Some(_) => Some(tenant_queue_by_param(state, t, p).await?),
        None => None,
    };
    let (events, missing) = members(state, t, queue.as_deref()).await?;
    let mut agents: std::collections::BTreeMap<String, (i32, &str)> = Default::default();
    for (_, e) in &events {
        let Some(name) = e.get("Name").or(e.get("Location")) else {
            continue;
        };
        let status: i32 = e.get("Status").and_then(|s| s.parse().ok()).unwrap_or(0);
        let seen = if e.get("Paused") == Some("1") {
            (i32::MAX, "Paused")
        } else {
            (super::peers::state_rank(status), member_state(status))
        };
        let slot = agents.entry(name.to_string()).or_insert(seen);
        if seen.0 > slot.0 {
            *slot = seen;
        }
    }
    let pairs = agents.into_iter().map(|(a, (_, s))| (a, s.to_string()));
    Ok(partial(one_line(pairs, ":"), missing))
}

const CALLER_COLUMNS: &[&str] = &[
    "qu_id",
    "qu_name",
    "position",
    "calleridnum",
    "calleridname",
    "wait",
    "channel",
    "uniqueid",
    "node",
];

/// INFO queuecallers: the callers waiting in the tenant's queues (`queue` = one queue id) from
/// the nodes' QueueStatus `QueueEntry` items, by queue then position; `wait` in seconds.
pub async fn info_queuecallers(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO queuecallers")?;
    let queue = match p.get("queue") {
        Some(_) => Some(tenant_queue_by_param(state, t, p).await?),
        None => None,
    };
    let (entries, missing) = queue_events(state, t, queue.as_deref(), "QueueEntry").await?;
    let mut q = Query::select();
    q.columns(["qu_id", "qu_name"])
        .from("qu_queues")
        .and_where(Expr::col("qu_te_id").eq(t.id));
    let names: std::collections::HashMap<String, String> = state
        .db
        .read_cells(&q, &[CellType::Int, CellType::Text])
        .await?
        .into_iter()
        .map(|mut r| {
            let name = r.pop().flatten().unwrap_or_default();
            (r.pop().flatten().unwrap_or_default(), name)
        })
        .collect();
    let number = |s: &str| s.trim().parse::<i64>().unwrap_or(i64::MAX);
    let mut rows: Vec<Vec<String>> = entries
        .iter()
        .map(|(node, e)| {
            let get = |h: &str| e.get(h).unwrap_or("").to_string();
            let qu = get("Queue");
            vec![
                qu.clone(),
                names.get(&qu).cloned().unwrap_or_default(),
                get("Position"),
                get("CallerIDNum"),
                get("CallerIDName"),
                get("Wait"),
                get("Channel"),
                get("Uniqueid"),
                node.clone(),
            ]
        })
        .collect();
    rows.sort_by(|a, b| {
        (number(&a[0]), number(&a[2]), &a[8]).cmp(&(number(&b[0]), number(&b[2]), &b[8]))
    });
    let mut table = Table::new(CALLER_COLUMNS.iter().map(|c| c.to_string()).collect());
    table.rows = rows
        .into_iter()
        .map(|r| r.into_iter().map(Some).collect())
        .collect();
    Ok(partial(Output::Table(table), missing))
}

/// A queue member's `Status` (an Asterisk device state) as a word.
pub(crate) fn member_state(status: i32) -> &'static str {
    match status {
        1 => "Idle",
        2 => "InUse",
        3 => "Busy",
        4 => "Invalid",
        5 => "Unavailable",
        6 => "Ringing",
        7 => "RingInUse",
        8 => "OnHold",
        _ => "Unknown",
    }
}

/// Upstream's one-line lists: `key<sep>value|…` in plain, an object in json.
fn one_line(pairs: impl Iterator<Item = (String, String)>, sep: &str) -> Output {
    let mut plain = Vec::new();
    let mut json = serde_json::Map::new();
    for (k, v) in pairs {
        plain.push(format!("{k}{sep}{v}"));
        json.insert(k, serde_json::Value::String(v));
    }
    Output::Reply {
        plain: plain.join("|"),
        json: serde_json::Value::Object(json),
    }
}
