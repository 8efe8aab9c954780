//! INFO cdrs, simplecdrs and queuelogs: one descriptor per report (its table, tenant and time
//! columns, output columns, filters), one query builder, and rows streamed from the cursor.

use crate::auth::Caller;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::objects::{engine::cell_type, Kind};
use crate::proxyapi::params::Params;
use crate::render::{Cell, RowStream, RowTemplate};
use crate::time::to_utc;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use futures_util::StreamExt;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement, SimpleExpr};
use std::sync::Arc;

/// Every CDR column in the spec's order, then the stored extras a layout may ask for.
pub const CDR_COLUMNS: &[&str] = &[
    "ID",
    "accountcode",
    "start",
    "answer",
    "end",
    "clid",
    "realsrc",
    "firstdst",
    "lastdst",
    "src",
    "dst",
    "duration",
    "billsec",
    "disposition",
    "dcontext",
    "channel",
    "dstchannel",
    "lastapp",
    "userfield",
    "uniqueid",
    "linkedid",
    "peeraccount",
    "originateid",
    "wherelanded",
    "te_id",
    "direction",
];
/// Stored too, and allowed in layouts and templates.
pub const CDR_EXTRA_COLUMNS: &[&str] = &["lastdata", "amaflags", "node"];

pub fn cdr_kind(col: &str) -> Kind {
    match col {
        "ID" | "te_id" | "duration" | "billsec" => Kind::Int,
        "start" | "answer" | "end" => Kind::DateTime,
        _ => Kind::Text(0),
    }
}

/// Whether `col` is a CDR column a layout or template may name.
pub fn is_cdr_column(col: &str) -> bool {
    CDR_COLUMNS.contains(&col) || CDR_EXTRA_COLUMNS.contains(&col)
}

/// A filter parameter: a comma list of values, any of which may match any of the columns.
pub(crate) struct Filter {
    pub param: &'static str,
    pub columns: &'static [&'static str],
    pub int: bool,
}

pub(crate) const fn text(param: &'static str, columns: &'static [&'static str]) -> Filter {
    Filter {
        param,
        columns,
        int: false,
    }
}

/// One report: where its rows come from and how they are narrowed.
pub(crate) struct Report {
    pub table: &'static str,
    pub tenant_col: &'static str,
    pub time_col: &'static str,
    pub id_col: &'static str,
    pub filters: &'static [Filter],
}

const CDRS: Report = Report {
    table: "cdr",
    tenant_col: "te_id",
    time_col: "start",
    id_col: "ID",
    filters: &[
        Filter {
            param: "id",
            columns: &["ID"],
            int: true,
        },
        text("uniqueid", &["uniqueid"]),
        text("linkedid", &["linkedid"]),
        text("originateid", &["originateid"]),
        text("src", &["src"]),
        text("firstdst", &["firstdst"]),
        text("direction", &["direction"]),
        text("phone", &["src", "realsrc", "dst", "firstdst", "lastdst"]),
    ],
};

const SIMPLECDRS: Report = Report {
    table: "sc_simplecdrs",
    tenant_col: "sc_te_id",
    time_col: "sc_start",
    id_col: "sc_id",
    filters: &[
        Filter {
            param: "id",
            columns: &["sc_id"],
            int: true,
        },
        text("uniqueid", &["sc_uniqueid"]),
        text("calleridnum", &["sc_calleridnum"]),
        text("calleridname", &["sc_calleridname"]),
        text("disposition", &["sc_disposition"]),
        text("direction", &["sc_direction"]),
        text("whoanswered", &["sc_whoanswered"]),
        text(
            "phone",
            &["sc_calleridnum", "sc_dialednum", "sc_whoanswered"],
        ),
    ],
};

const QUEUELOGS: Report = Report {
    table: "queue_log",
    tenant_col: "te_id",
    time_col: "time",
    id_col: "id",
    filters: &[
        text("queue", &["queuename"]),
        text("agent", &["agent"]),
        text("callid", &["callid"]),
    ],
};

/// `start`/`end`: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS`, unpadded numbers
/// allowed (`2025-1-5 9:05`). Returns the instant and how much the end bound extends past it
/// (a day, a minute or a second: an end is inclusive of what it names).
pub fn parse_when(param: &str, text: &str) -> ApiResult<(NaiveDateTime, Duration)> {
    let bad = || {
        ApiError::invalid(format!(
            "parameter '{param}': '{text}' is not a date (YYYY-MM-DD, optionally HH:MM or HH:MM:SS)"
        ))
    };
    let t = text.trim();
    let (date, time) = match t.split_once([' ', 'T']) {
        Some((d, tm)) => (d, Some(tm.trim())),
        None => (t, None),
    };
    let nums = |s: &str, sep: char| -> Option<Vec<u32>> {
        s.split(sep).map(|p| p.trim().parse::<u32>().ok()).collect()
    };
    let d = nums(date, '-').ok_or_else(bad)?;
    let [y, m, day] = d[..] else {
        return Err(bad());
    };
    let date = NaiveDate::from_ymd_opt(y as i32, m, day).ok_or_else(bad)?;
    let (time, span) = match time {
        None => (NaiveTime::MIN, Duration::days(1)),
        Some(tm) => {
            let parts = nums(tm, ':').ok_or_else(bad)?;
            match parts[..] {
                [h, mi] => (
                    NaiveTime::from_hms_opt(h, mi, 0).ok_or_else(bad)?,
                    Duration::minutes(1),
                ),
                [h, mi, s] => (
                    NaiveTime::from_hms_opt(h, mi, s).ok_or_else(bad)?,
                    Duration::seconds(1),
                ),
                _ => return Err(bad()),
            }
        }
    };
    Ok((date.and_time(time), span))
}

/// The zone `start`/`end` are read in and times are printed in: the caller's tenant's
/// `TIMEZONE` (the global value for an admin without a tenant). See [`crate::time`].
pub(crate) async fn zone_of(db: &Db, caller: &Caller) -> ApiResult<Tz> {
    crate::time::tenant_zone(&db.conn, caller.tenant.as_ref().map(|t| t.id)).await
}

/// The tenant, time and filter conditions of a report; `start`/`end` are wall-clock times in
/// `tz`, compared with the stored UTC times.
pub(crate) fn conditions(
    report: &Report,
    caller: &Caller,
    params: &Params,
    tz: Tz,
) -> ApiResult<Cond> {
    let col = |c: &'static str| Expr::col((report.table, c));
    let mut cond = Cond::all();
    if let Some(t) = &caller.tenant {
        cond = cond.add(col(report.tenant_col).eq(t.id));
    }
    if let Some(text) = params.get("start") {
        let (from, _) = parse_when("start", text)?;
        cond = cond.add(col(report.time_col).gte(to_utc(from, tz)));
    }
    if let Some(text) = params.get("end") {
        let (to, span) = parse_when("end", text)?;
        cond = cond.add(col(report.time_col).lt(to_utc(to + span, tz)));
    }
    for f in report.filters {
        let Some(text) = params.get(f.param) else {
            continue;
        };
        let values: Vec<String> = text
            .split(',')
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            continue;
        }
        let mut any = Cond::any();
        for c in f.columns {
            let e: SimpleExpr = if f.int {
                let ids = values
                    .iter()
                    .map(|v| v.parse::<i32>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        ApiError::invalid(format!(
                            "parameter '{}' must be a comma list of integer ids",
                            f.param
                        ))
                    })?;
                col(c).is_in(ids)
            } else {
                Func::lower(col(c)).is_in(values.clone())
            };
            any = any.add(e);
        }
        cond = cond.add(any);
    }
    Ok(cond)
}

pub(crate) fn ordered(report: &Report, q: &mut SelectStatement) {
    q.order_by((report.table, report.time_col), Order::Asc)
        .order_by((report.table, report.id_col), Order::Asc);
}

/// Rows of a query, streamed from the cursor, each cell as text by its kind; times (stored
/// in UTC) printed in `tz`.
pub(crate) async fn stream(
    db: &Db,
    q: SelectStatement,
    columns: Vec<String>,
    kinds: &[Kind],
    template: Option<Arc<dyn RowTemplate>>,
    tz: Tz,
) -> ApiResult<RowStream> {
    let types = kinds.iter().map(|k| cell_type(*k)).collect();
    let mut rows = db.stream_cells(&q, types).await?;
    let times: Vec<usize> = (0..kinds.len())
        .filter(|i| kinds[*i] == Kind::DateTime)
        .collect();
    if tz != Tz::UTC && !times.is_empty() {
        rows = rows
            .map(move |r| {
                r.map(|mut cells| {
                    for &i in &times {
                        if let Some(c) = cells.get_mut(i) {
                            crate::time::localize_cell(c, tz);
                        }
                    }
                    cells
                })
            })
            .boxed();
    }
    Ok(RowStream {
        columns,
        rows,
        template,
        plain_header: None,
    })
}

/// INFO cdrs with the given columns (the caller's layout, or every column for a template).
pub async fn cdrs(
    db: &Db,
    caller: &Caller,
    params: &Params,
    columns: Vec<&'static str>,
    template: Option<Arc<dyn RowTemplate>>,
) -> ApiResult<RowStream> {
    let tz = zone_of(db, caller).await?;
    let mut q = Query::select();
    q.from(CDRS.table)
        .columns(columns.iter().map(|c| (CDRS.table, *c)))
        .cond_where(conditions(&CDRS, caller, params, tz)?);
    ordered(&CDRS, &mut q);
    let kinds: Vec<Kind> = columns.iter().map(|c| cdr_kind(c)).collect();
    let names = columns.iter().map(|c| c.to_string()).collect();
    stream(db, q, names, &kinds, template, tz).await
}

/// A report whose output columns are columns of its own table (recordings, ivrlogs).
pub(crate) async fn own_columns(
    db: &Db,
    caller: &Caller,
    params: &Params,
    report: &Report,
    columns: &'static [(&'static str, Kind)],
) -> ApiResult<RowStream> {
    let tz = zone_of(db, caller).await?;
    let mut q = Query::select();
    q.from(report.table)
        .columns(columns.iter().map(|(c, _)| (report.table, *c)))
        .cond_where(conditions(report, caller, params, tz)?);
    ordered(report, &mut q);
    let kinds: Vec<Kind> = columns.iter().map(|(_, k)| *k).collect();
    let names = columns.iter().map(|(n, _)| n.to_string()).collect();
    stream(db, q, names, &kinds, None, tz).await
}

const SIMPLE_COLUMNS: &[(&str, Kind)] = &[
    ("sc_te_id", Kind::Int),
    ("tenantcode", Kind::Text(0)),
    ("sc_start", Kind::DateTime),
    ("sc_direction", Kind::Text(0)),
    ("sc_calleridnum", Kind::Text(0)),
    ("sc_calleridname", Kind::Text(0)),
    ("sc_dialednum", Kind::Text(0)),
    ("sc_disposition", Kind::Text(0)),
    ("sc_duration", Kind::Int),
    ("sc_uniqueid", Kind::Text(0)),
    ("sc_whoanswered", Kind::Text(0)),
    ("sc_billsec", Kind::Int),
];

pub async fn simplecdrs(db: &Db, caller: &Caller, params: &Params) -> ApiResult<RowStream> {
    let t = SIMPLECDRS.table;
    let tz = zone_of(db, caller).await?;
    let mut q = Query::select();
    q.from(t);
    for (name, _) in SIMPLE_COLUMNS {
        match *name {
            "tenantcode" => q.expr(Func::coalesce([
                Expr::col(("te_tenants", "te_code")),
                Expr::val(""),
            ])),
            other => q.column((t, other)),
        };
    }
    q.left_join(
        "te_tenants",
        Expr::col(("te_tenants", "te_id")).equals((t, "sc_te_id")),
    )
    .cond_where(conditions(&SIMPLECDRS, caller, params, tz)?);
    ordered(&SIMPLECDRS, &mut q);
    let kinds: Vec<Kind> = SIMPLE_COLUMNS.iter().map(|(_, k)| *k).collect();
    let names = SIMPLE_COLUMNS.iter().map(|(n, _)| n.to_string()).collect();
    stream(db, q, names, &kinds, None, tz).await
}

pub const QUEUELOG_COLUMNS: &[&str] = &[
    "time",
    "qu_name",
    "callerid",
    "disposition",
    "agent",
    "holdtime",
    "calltime",
    "origpos",
    "callid",
];

/// queue_log events shown by INFO queuelogs, with the disposition each stands for.
const QUEUE_EVENTS: &[(&str, &str)] = &[
    ("COMPLETEAGENT", "ANSWERED"),
    ("COMPLETECALLER", "ANSWERED"),
    ("ABANDON", "ABANDONED"),
    ("EXITWITHTIMEOUT", "TIMEOUT"),
    ("ADDMEMBER", "LOGIN"),
    ("AGENTLOGIN", "LOGIN"),
    ("REMOVEMEMBER", "LOGOUT"),
    ("AGENTLOGOFF", "LOGOUT"),
];

/// INFO queuelogs: one row per finished call, abandon, timeout, login and logout. The caller id
/// comes from the call's ENTERQUEUE line, the queue name from `qu_queues` (Asterisk knows the
/// queue by its id).
pub async fn queuelogs(db: &Db, caller: &Caller, params: &Params) -> ApiResult<RowStream> {
    let t = QUEUELOGS.table;
    let tz = zone_of(db, caller).await?;
    let mut callerid = Query::select();
    callerid
        .expr(Func::max(Expr::col(("e", "data2"))))
        .from_as(t, "e")
        .and_where(Expr::col(("e", "callid")).equals((t, "callid")))
        .and_where(Expr::col(("e", "node")).equals((t, "node")))
        .and_where(Expr::col(("e", "event")).eq("ENTERQUEUE"));
    let mut q = Query::select();
    q.from(t)
        .column((t, "time"))
        .expr(Func::coalesce([
            Expr::col(("qu_queues", "qu_name")),
            Expr::col((t, "queuename")),
        ]))
        .expr(Func::coalesce([
            SimpleExpr::SubQuery(None, Box::new(callerid.into())),
            Expr::val(""),
        ]))
        .columns([
            (t, "event"),
            (t, "agent"),
            (t, "data1"),
            (t, "data2"),
            (t, "data3"),
            (t, "callid"),
        ])
        .left_join(
            "qu_queues",
            Expr::col(("qu_queues", "qu_id")).equals((t, "qu_id")),
        )
        .and_where(Expr::col((t, "event")).is_in(QUEUE_EVENTS.iter().map(|(e, _)| *e)))
        .cond_where(conditions(&QUEUELOGS, caller, params, tz)?);
    ordered(&QUEUELOGS, &mut q);
    let names = QUEUELOG_COLUMNS.iter().map(|c| c.to_string()).collect();
    let kinds = [
        Kind::DateTime,
        Kind::Text(0),
        Kind::Text(0),
        Kind::Text(0),
        Kind::Text(0),
    ];
    let mut rows = stream(
        db,
        q,
        names,
        &[&kinds[..], &[Kind::Text(0); 4]].concat(),
        None,
        tz,
    )
    .await?;
    rows.rows = rows.rows.map(|r| r.map(queuelog_row)).boxed();
    Ok(rows)
}

/// time, queue, callerid, event, agent, data1..3, callid → the INFO queuelogs columns.
fn queuelog_row(mut raw: Vec<Cell>) -> Vec<Cell> {
    let text = |c: &mut Cell| c.take().unwrap_or_default();
    let callid = text(&mut raw[8]);
    let (d1, d2, d3) = (text(&mut raw[5]), text(&mut raw[6]), text(&mut raw[7]));
    let event = text(&mut raw[3]);
    let disposition = QUEUE_EVENTS
        .iter()
        .find(|(e, _)| *e == event)
        .map_or("", |(_, d)| *d);
    // (holdtime, calltime, origpos) by event (Asterisk's queue_log documentation).
    let (hold, call, pos) = match disposition {
        "ANSWERED" => (d1, d2, d3),
        "ABANDONED" | "TIMEOUT" => (d3, String::new(), d2),
        _ => (String::new(), String::new(), String::new()),
    };
    vec![
        raw[0].take(),
        raw[1].take(),
        raw[2].take(),
        Some(disposition.to_string()),
        raw[4].take(),
        Some(hold),
        Some(call),
        Some(pos),
        Some(callid),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_dates() {
        let at = |s: &str| parse_when("start", s).map(|(t, d)| (t.to_string(), d.num_seconds()));
        assert_eq!(
            at("2025-1-5").unwrap(),
            ("2025-01-05 00:00:00".into(), 86400)
        );
        assert_eq!(
            at("2025-01-05 9:05").unwrap(),
            ("2025-01-05 09:05:00".into(), 60)
        );
        assert_eq!(
            at(" 2025-01-05 09:05:07 ").unwrap(),
            ("2025-01-05 09:05:07".into(), 1)
        );
        for bad in [
            "",
            "2025-13-01",
            "2025-01",
            "yesterday",
            "2025-01-01 25:00",
            "2025-01-01 1:2:3:4",
        ] {
            assert!(at(bad).is_err(), "{bad}");
        }
    }
}
