//! INFO queue (the 23 statistics of a queue), agentsconnected and agentsdelay: the tenant's
//! queues as its nodes report them (QueueStatus, QueueSummary) and as its stored `queue_log`
//! tells over a period. Asterisk knows a queue by its id (`qu_id`).

use super::live::{partial, tenant_queue, tenant_queue_by_param};
use crate::ami::{Action, Message};
use crate::auth::{Caller, TenantRef};
use crate::cdr::report::DateRange;
use crate::cluster::live::{ask_all, nodes_for};
use crate::db::CellType;
use crate::error::{ApiError, ApiResult};
use crate::proxyapi::params::Params;
use crate::proxyapi::AppState;
use crate::render::{Output, Table};
use chrono::NaiveDateTime;
use entity::qu_queues;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;

/// The statistics of INFO queue, in their order.
pub const QUEUE_STATS: [&str; 23] = [
    "AGENTSAVAILABLE",
    "AGENTSLOGGEDIN",
    "AGENTSPAUSED",
    "AGENTSBUSY",
    "AGENTSUNAVAILABLE",
    "CALLSWAITING",
    "LONGESTHOLDTIME",
    "CALLSENTERED",
    "CALLSANSWERED",
    "CALLSABANDONED",
    "CALLSTIMEOUT",
    "CALLSEXITEMPTY",
    "CALLSEXITKEY",
    "CALLSTRANSFERRED",
    "CALLSRINGNOANSWER",
    "ANSWERRATE",
    "ABANDONRATE",
    "SERVICELEVEL",
    "MAXHOLDTIME",
    "TOTALTALKTIME",
    "AVERAGETALKTIME",
    "TOTALHOLDTIME",
    "AVERAGEHOLDTIME",
];

/// The service level (seconds) when neither `servicelevel` nor the queue sets one.
const DEFAULT_SERVICE_LEVEL: u64 = 20;

/// A member's standing, most telling last: an agent seen on several nodes counts once, with
/// its most telling standing (busy on one node is busy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    Unavailable,
    Available,
    Busy,
    Paused,
}

fn standing(m: &Message) -> Standing {
    let status: i32 = m
        .get("Status")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if m.get("Paused") == Some("1") {
        Standing::Paused
    } else if m.get("InCall") == Some("1") || matches!(status, 2 | 3 | 6 | 7 | 8) {
        Standing::Busy
    } else if matches!(status, 0 | 1) {
        // As Asterisk's QueueSummary: not in use or unknown, and not paused.
        Standing::Available
    } else {
        Standing::Unavailable
    }
}

/// The queue a request names: `queue` (an id, as INFO agents), else `id` or `number`.
async fn named_queue(state: &AppState, t: &TenantRef, p: &Params) -> ApiResult<qu_queues::Model> {
    let Some(id) = p.id("queue")? else {
        return tenant_queue(state, t, p).await;
    };
    qu_queues::Entity::find_by_id(id)
        .filter(qu_queues::Column::QuTeId.eq(t.id))
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "parameter 'queue': no queue {id} in tenant {}",
                t.code
            ))
        })
}

/// An action to every node of the tenant: (node name, events) of those that answered, and the
/// names of those that did not.
async fn ask(
    state: &AppState,
    t: &TenantRef,
    action: impl Fn() -> Action,
) -> ApiResult<(Vec<(String, Vec<Message>)>, Vec<String>)> {
    let nodes = nodes_for(&state.cluster, Some(t.id)).await?;
    let answers = ask_all(&state.cluster, &nodes, action).await;
    let ok = answers
        .ok
        .into_iter()
        .map(|(n, r)| (n.name, r.events))
        .collect();
    Ok((ok, answers.missing))
}

fn num(m: &Message, name: &str) -> u64 {
    m.get(name).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0.00".into()
    } else {
        format!("{:.2}", part as f64 * 100.0 / whole as f64)
    }
}

/// The period of INFO queue: `start`/`end` in the tenant's TIMEZONE; an open side is the
/// day of the other, both open the current day there. Returned in UTC, as `queue_log` stores
/// time.
fn period(p: &Params, zone: chrono_tz::Tz) -> ApiResult<(NaiveDateTime, NaiveDateTime)> {
    let day = |t: NaiveDateTime| t.date().and_time(chrono::NaiveTime::MIN);
    let one = chrono::Duration::days(1);
    let (from, until) = match DateRange::parse(p.get("start"), p.get("end"))? {
        DateRange {
            from: Some(f),
            until: Some(u),
        } => (f, u),
        DateRange {
            from: Some(f),
            until: None,
        } => (f, day(f) + one),
        // `end` is exclusive here: the day it names is the second before.
        DateRange {
            from: None,
            until: Some(u),
        } => (day(u - chrono::Duration::seconds(1)), u),
        DateRange {
            from: None,
            until: None,
        } => {
            let today = day(crate::time::from_utc(chrono::Utc::now().naive_utc(), zone));
            (today, today + one)
        }
    };
    if until <= from {
        return Err(ApiError::invalid(
            "parameter 'end' must not be before 'start'",
        ));
    }
    Ok((
        crate::time::to_utc(from, zone),
        crate::time::to_utc(until, zone),
    ))
}

/// INFO queue: the 23 statistics of one of the tenant's queues as a one-row table. The agents,
/// callers waiting and longest wait are live (QueueStatus / QueueSummary of every node: an
/// agent counts once, waiting callers add up); the call counts and times come from the
/// queue's `queue_log` over `start`/`end` (default: today in the tenant's TIMEZONE).
pub async fn queue(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO queue")?;
    let qrow = named_queue(state, t, p).await?;
    let qname = qrow.qu_id.to_string();
    let service_param = match p.get("servicelevel").map(str::trim) {
        None | Some("") => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            ApiError::invalid("parameter 'servicelevel' must be a number of seconds")
        })?),
    };
    let zone = super::report_zone(state, caller).await?;
    let (from, until) = period(p, zone)?;

    let (status, mut missing) = ask(state, t, || {
        Action::new("QueueStatus").header("Queue", qname.clone())
    })
    .await?;
    let (summary, missing2) = ask(state, t, || {
        Action::new("QueueSummary").header("Queue", qname.clone())
    })
    .await?;
    for m in missing2 {
        if !missing.contains(&m) {
            missing.push(m);
        }
    }
    let mut agents: BTreeMap<String, Standing> = BTreeMap::new();
    let mut queue_level = 0u64;
    for (_, events) in &status {
        for e in events
            .iter()
            .filter(|e| e.get("Queue") == Some(qname.as_str()))
        {
            match e.event() {
                Some("QueueMember") => {
                    let who = e
                        .get("Location")
                        .or(e.get("Name"))
                        .unwrap_or("")
                        .to_string();
                    let s = standing(e);
                    let slot = agents.entry(who).or_insert(s);
                    *slot = (*slot).max(s);
                }
                Some("QueueParams") => {
                    queue_level = std::cmp::max(queue_level, num(e, "ServiceLevel"))
                }
                _ => {}
            }
        }
    }
    let (mut waiting, mut longest) = (0u64, 0u64);
    for (_, events) in &summary {
        for e in events
            .iter()
            .filter(|e| e.event() == Some("QueueSummary") && e.get("Queue") == Some(qname.as_str()))
        {
            waiting += num(e, "Callers");
            longest = std::cmp::max(longest, num(e, "LongestHoldTime"));
        }
    }
    let count = |s: Standing| agents.values().filter(|v| **v == s).count() as u64;

    let mut q = Query::select();
    q.columns(["event", "data1", "data2", "data3", "data4", "data5"])
        .from("queue_log")
        .and_where(Expr::col("te_id").eq(t.id))
        .and_where(Expr::col("qu_id").eq(qrow.qu_id))
        .and_where(Expr::col("time").gte(from))
        .and_where(Expr::col("time").lt(until))
        .order_by("id", Order::Asc);
    let mut lines = state.db.stream_cells(&q, vec![CellType::Text; 6]).await?;
    let level = service_param.unwrap_or(if queue_level > 0 {
        queue_level
    } else {
        DEFAULT_SERVICE_LEVEL
    });
    let mut c = Counts::default();
    // Added up as the lines come: a long period is not held in memory.
    while let Some(l) = futures_util::StreamExt::next(&mut lines).await {
        let l = l?;
        let f = |i: usize| l[i].as_deref().unwrap_or("");
        c.add(f(0), [f(1), f(2), f(3), f(4), f(5)], level);
    }
    let values: [String; 23] = [
        count(Standing::Available).to_string(),
        // As QueueSummary's LoggedIn: unavailable members are not counted.
        (agents.len() as u64 - count(Standing::Unavailable)).to_string(),
        count(Standing::Paused).to_string(),
        count(Standing::Busy).to_string(),
        count(Standing::Unavailable).to_string(),
        waiting.to_string(),
        longest.to_string(),
        c.entered.to_string(),
        c.answered.to_string(),
        c.abandoned.to_string(),
        c.timeout.to_string(),
        c.exit_empty.to_string(),
        c.exit_key.to_string(),
        c.transferred.to_string(),
        c.ring_no_answer.to_string(),
        percent(c.answered, c.entered),
        percent(c.abandoned, c.entered),
        percent(c.in_level, c.answered),
        c.max_hold.to_string(),
        c.talk.to_string(),
        average(c.talk, c.talked),
        c.hold.to_string(),
        average(c.hold, c.answered),
    ];
    let mut table = Table::new(QUEUE_STATS.iter().map(|s| s.to_string()).collect());
    table.rows.push(values.into_iter().map(Some).collect());
    Ok(partial(Output::Table(table), missing))
}

fn average(total: u64, n: u64) -> String {
    if n == 0 {
        "0".into()
    } else {
        ((total + n / 2) / n).to_string()
    }
}

/// What a queue's `queue_log` lines add up to (fields as Asterisk 22's app_queue writes them).
#[derive(Debug, Default)]
struct Counts {
    entered: u64,
    answered: u64,
    abandoned: u64,
    timeout: u64,
    exit_empty: u64,
    exit_key: u64,
    transferred: u64,
    ring_no_answer: u64,
    /// Answered within the service level.
    in_level: u64,
    max_hold: u64,
    hold: u64,
    talk: u64,
    /// Calls whose talk time is known (completed or transferred).
    talked: u64,
}

impl Counts {
    fn add(&mut self, event: &str, d: [&str; 5], level: u64) {
        let n = |s: &str| s.trim().parse::<u64>().unwrap_or(0);
        match event {
            "ENTERQUEUE" => self.entered += 1,
            // CONNECT|holdtime|bridged uniqueid|ringtime
            "CONNECT" => {
                let hold = n(d[0]);
                self.answered += 1;
                self.hold += hold;
                self.max_hold = std::cmp::max(self.max_hold, hold);
                if hold <= level {
                    self.in_level += 1;
                }
            }
            // COMPLETEAGENT/COMPLETECALLER|holdtime|calltime|origposition
            "COMPLETEAGENT" | "COMPLETECALLER" => self.talked_for(n(d[1])),
            // TRANSFER/BLINDTRANSFER|exten|context|holdtime|calltime|origposition
            "TRANSFER" | "BLINDTRANSFER" => {
                self.transferred += 1;
                self.talked_for(n(d[3]));
            }
            // ATTENDEDTRANSFER|BRIDGE or APP|x|holdtime|calltime|pos, or LINK|a|b|holdtime|calltime
            "ATTENDEDTRANSFER" => {
                self.transferred += 1;
                self.talked_for(n(if d[0] == "LINK" { d[4] } else { d[3] }));
            }
            "ABANDON" => self.abandoned += 1,
            "EXITWITHTIMEOUT" => self.timeout += 1,
            "EXITEMPTY" => self.exit_empty += 1,
            "EXITWITHKEY" => self.exit_key += 1,
            "RINGNOANSWER" => self.ring_no_answer += 1,
            _ => {}
        }
    }

    fn talked_for(&mut self, secs: u64) {
        self.talk += secs;
        self.talked += 1;
    }
}

/// The QueueMember events of the tenant's queues (`queue` = one id) on every node, with the
/// queue names, and the nodes that did not answer.
async fn members(
    state: &AppState,
    t: &TenantRef,
    p: &Params,
) -> ApiResult<(
    Vec<(String, Message)>,
    BTreeMap<String, String>,
    Vec<String>,
)> {
    let only = match p.get("queue") {
        Some(_) => Some(tenant_queue_by_param(state, t, p).await?),
        None => None,
    };
    let names: BTreeMap<String, String> = qu_queues::Entity::find()
        .filter(qu_queues::Column::QuTeId.eq(t.id))
        .all(&state.db.conn)
        .await?
        .into_iter()
        .map(|q| (q.qu_id.to_string(), q.qu_name))
        .filter(|(id, _)| only.as_ref().is_none_or(|o| o == id))
        .collect();
    let (answers, missing) = ask(state, t, || match &only {
        Some(q) => Action::new("QueueStatus").header("Queue", q.clone()),
        None => Action::new("QueueStatus"),
    })
    .await?;
    let mut out = Vec::new();
    for (node, events) in answers {
        for e in events {
            let mine = e.get("Queue").is_some_and(|q| names.contains_key(q));
            if e.event() == Some("QueueMember") && mine {
                out.push((node.clone(), e));
            }
        }
    }
    Ok((out, names, missing))
}

/// An epoch-seconds header as a time in `zone` (empty when 0: never).
fn epoch_cell(m: &Message, name: &str, zone: chrono_tz::Tz) -> Option<String> {
    let secs = num(m, name);
    if secs == 0 {
        return Some(String::new());
    }
    let utc = chrono::DateTime::from_timestamp(secs as i64, 0)?.naive_utc();
    Some(
        crate::time::from_utc(utc, zone)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    )
}

/// INFO agentsconnected: the agents logged in to the tenant's queues (`queue` = one id), one
/// row per queue, agent and node: `queue|qu_name|agent|interface|state|paused|pausedreason|
/// incall|callstaken|lastcall|logintime|node` (times in the tenant's TIMEZONE).
pub async fn agents_connected(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO agentsconnected")?;
    let zone = super::report_zone(state, caller).await?;
    let (members, names, missing) = members(state, t, p).await?;
    let cols = [
        "queue",
        "qu_name",
        "agent",
        "interface",
        "state",
        "paused",
        "pausedreason",
        "incall",
        "callstaken",
        "lastcall",
        "logintime",
        "node",
    ];
    let mut table = Table::new(cols.map(String::from).to_vec());
    for (node, m) in &members {
        let queue = m.get("Queue").unwrap_or("").to_string();
        let status: i32 = m
            .get("Status")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let text = |name: &str| Some(m.get(name).unwrap_or("").to_string());
        table.rows.push(vec![
            Some(queue.clone()),
            names.get(&queue).cloned(),
            text("Name"),
            text("Location"),
            Some(super::queues::member_state(status).into()),
            text("Paused"),
            text("PausedReason"),
            text("InCall"),
            text("CallsTaken"),
            epoch_cell(m, "LastCall", zone),
            epoch_cell(m, "LoginTime", zone),
            Some(node.clone()),
        ]);
    }
    table
        .rows
        .sort_by(|a, b| (&a[0], &a[2], &a[11]).cmp(&(&b[0], &b[2], &b[11])));
    Ok(partial(Output::Table(table), missing))
}

/// INFO agentsdelay: how long each agent of the tenant's queues (`queue` = one id) has waited
/// for a call: seconds since its last call ended, or since it logged in when it took none
/// yet (0 while in a call), across nodes (its latest call on any node); the longest wait first:
/// `queue|qu_name|agent|delay|lastcall`.
pub async fn agents_delay(state: &AppState, caller: &Caller, p: &Params) -> ApiResult<Output> {
    let t = caller.require_tenant("INFO agentsdelay")?;
    let zone = super::report_zone(state, caller).await?;
    let (members, names, missing) = members(state, t, p).await?;
    // (queue, agent) → (latest call end or login, last call, in a call on some node)
    let mut seen: BTreeMap<(String, String), (u64, u64, bool)> = BTreeMap::new();
    for (_, m) in &members {
        let key = (
            m.get("Queue").unwrap_or("").to_string(),
            m.get("Name")
                .or(m.get("Location"))
                .unwrap_or("")
                .to_string(),
        );
        let last = num(m, "LastCall");
        let since = std::cmp::max(last, num(m, "LoginTime"));
        let busy = m.get("InCall") == Some("1");
        let slot = seen.entry(key).or_insert((since, last, busy));
        slot.0 = std::cmp::max(slot.0, since);
        slot.1 = std::cmp::max(slot.1, last);
        slot.2 |= busy;
    }
    let now = std::cmp::max(chrono::Utc::now().timestamp(), 0) as u64;
    let mut rows: Vec<(u64, Vec<Option<String>>)> = seen
        .into_iter()
        .map(|((queue, agent), (since, last, busy))| {
            let delay = if busy || since == 0 {
                0
            } else {
                now.saturating_sub(since)
            };
            let last_text = if last == 0 {
                String::new()
            } else {
                chrono::DateTime::from_timestamp(last as i64, 0)
                    .map(|d| {
                        crate::time::from_utc(d.naive_utc(), zone)
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string()
                    })
                    .unwrap_or_default()
            };
            let row = vec![
                Some(queue.clone()),
                names.get(&queue).cloned(),
                Some(agent),
                Some(delay.to_string()),
                Some(last_text),
            ];
            (delay, row)
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut table = Table::new(
        ["queue", "qu_name", "agent", "delay", "lastcall"]
            .map(String::from)
            .to_vec(),
    );
    table.rows = rows.into_iter().map(|(_, r)| r).collect();
    Ok(partial(Output::Table(table), missing))
}
