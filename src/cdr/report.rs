//! INFO cdrs, simplecdrs and queuelogs: one descriptor per report (its table, tenant and time
//! columns, output columns, filters), one query builder, and rows streamed from the cursor.

use crate::auth::Caller;
use crate::db::CellType;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::output::{Cell, RowStream, RowTemplate};
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

pub fn cdr_type(col: &str) -> CellType {
    match col {
        "ID" | "te_id" | "duration" | "billsec" => CellType::Int,
        "start" | "answer" | "end" => CellType::DateTime,
        _ => CellType::Text,
    }
}

/// Whether `col` is a CDR column a layout or template may name.
pub fn is_cdr_column(col: &str) -> bool {
    CDR_COLUMNS.contains(&col) || CDR_EXTRA_COLUMNS.contains(&col)
}

/// A filter parameter: a comma list of values, any of which may match any of the columns.
#[derive(Debug)]
pub struct Filter {
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
pub struct Report {
    pub table: &'static str,
    pub tenant_col: &'static str,
    pub time_col: &'static str,
    pub id_col: &'static str,
    pub filters: &'static [Filter],
}

pub const CDRS: Report = Report {
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

pub const SIMPLECDRS: Report = Report {
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

pub const QUEUELOGS: Report = Report {
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

/// A time range: `from` inclusive, `until` exclusive; either may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

impl DateRange {
    /// `start`/`end` as the legacy parameters give them ([`parse_when`]); an end includes the
    /// day, minute or second it names.
    pub fn parse(start: Option<&str>, end: Option<&str>) -> ApiResult<DateRange> {
        let from = start.map(|t| parse_when("start", t)).transpose()?;
        let until = end.map(|t| parse_when("end", t)).transpose()?;
        Ok(DateRange {
            from: from.map(|(at, _)| at),
            until: until.map(|(at, span)| at + span),
        })
    }

    /// The range read as wall-clock times in `tz`, as stored (UTC) times.
    pub fn to_utc(self, tz: Tz) -> DateRange {
        DateRange {
            from: self.from.map(|t| to_utc(t, tz)),
            until: self.until.map(|t| to_utc(t, tz)),
        }
    }
}

/// The values one filter of a report matches (any of them, in any of its columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    Ids(Vec<i32>),
    /// Lower-cased; matched case-insensitively.
    Words(Vec<String>),
}

/// What a report is asked for: a time range and filters, parsed and checked at the edge.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub range: DateRange,
    /// The zone the range is read in and times are printed in: the tenant's `TIMEZONE`
    /// (see [`crate::time`]).
    pub zone: Tz,
    pub filters: Vec<(&'static Filter, Values)>,
}

impl ReportQuery {
    /// The range and the report's filters from named arguments (`get` answers a parameter by
    /// name); errors name the parameter.
    pub fn parse<'a>(
        report: &'static Report,
        zone: Tz,
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> ApiResult<Self> {
        let range = DateRange::parse(get("start"), get("end"))?;
        let mut filters = Vec::new();
        for f in report.filters {
            let Some(text) = get(f.param) else {
                continue;
            };
            let words: Vec<String> = text
                .split(',')
                .map(|v| v.trim().to_lowercase())
                .filter(|v| !v.is_empty())
                .collect();
            if words.is_empty() {
                continue;
            }
            let values = if f.int {
                Values::Ids(
                    words
                        .iter()
                        .map(|v| v.parse::<i32>())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| {
                            ApiError::invalid(format!(
                                "parameter '{}' must be a comma list of integer ids",
                                f.param
                            ))
                        })?,
                )
            } else {
                Values::Words(words)
            };
            filters.push((f, values));
        }
        Ok(ReportQuery {
            range,
            zone,
            filters,
        })
    }
}

/// The tenant, time and filter conditions of a report; the range is wall-clock time in `tz`,
/// compared with the stored UTC times.
pub(crate) fn conditions(report: &Report, caller: &Caller, query: &ReportQuery, tz: Tz) -> Cond {
    let col = |c: &'static str| Expr::col((report.table, c));
    let mut cond = Cond::all();
    if let Some(t) = &caller.tenant {
        cond = cond.add(col(report.tenant_col).eq(t.id));
    }
    if let Some(from) = query.range.from {
        cond = cond.add(col(report.time_col).gte(to_utc(from, tz)));
    }
    if let Some(until) = query.range.until {
        cond = cond.add(col(report.time_col).lt(to_utc(until, tz)));
    }
    for (f, values) in &query.filters {
        let mut any = Cond::any();
        for c in f.columns {
            let e: SimpleExpr = match values {
                Values::Ids(ids) => col(c).is_in(ids.clone()),
                Values::Words(words) => Func::lower(col(c)).is_in(words.clone()),
            };
            any = any.add(e);
        }
        cond = cond.add(any);
    }
    cond
}

pub(crate) fn ordered(report: &Report, q: &mut SelectStatement) {
    q.order_by((report.table, report.time_col), Order::Asc)
        .order_by((report.table, report.id_col), Order::Asc);
}

/// Rows of a query, streamed from the cursor, each cell as text by its type; times (stored
/// in UTC) printed in `tz`.
pub(crate) async fn stream(
    db: &Db,
    q: SelectStatement,
    columns: Vec<String>,
    types: &[CellType],
    template: Option<Arc<dyn RowTemplate>>,
    tz: Tz,
) -> ApiResult<RowStream> {
    let times: Vec<usize> = (0..types.len())
        .filter(|i| types[*i] == CellType::DateTime)
        .collect();
    let mut rows = db.stream_cells(&q, types.to_vec()).await?;
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
    query: &ReportQuery,
    columns: Vec<&'static str>,
    template: Option<Arc<dyn RowTemplate>>,
) -> ApiResult<RowStream> {
    let tz = query.zone;
    let mut q = Query::select();
    q.from(CDRS.table)
        .columns(columns.iter().map(|c| (CDRS.table, *c)))
        .cond_where(conditions(&CDRS, caller, query, tz));
    ordered(&CDRS, &mut q);
    let types: Vec<CellType> = columns.iter().map(|c| cdr_type(c)).collect();
    let names = columns.iter().map(|c| c.to_string()).collect();
    stream(db, q, names, &types, template, tz).await
}

/// A report whose output columns are columns of its own table (recordings, ivrlogs).
pub(crate) async fn own_columns(
    db: &Db,
    caller: &Caller,
    query: &ReportQuery,
    report: &Report,
    columns: &'static [(&'static str, CellType)],
) -> ApiResult<RowStream> {
    let tz = query.zone;
    let mut q = Query::select();
    q.from(report.table)
        .columns(columns.iter().map(|(c, _)| (report.table, *c)))
        .cond_where(conditions(report, caller, query, tz));
    ordered(report, &mut q);
    let types: Vec<CellType> = columns.iter().map(|(_, k)| *k).collect();
    let names = columns.iter().map(|(n, _)| n.to_string()).collect();
    stream(db, q, names, &types, None, tz).await
}

const SIMPLE_COLUMNS: &[(&str, CellType)] = &[
    ("sc_te_id", CellType::Int),
    ("tenantcode", CellType::Text),
    ("sc_start", CellType::DateTime),
    ("sc_direction", CellType::Text),
    ("sc_calleridnum", CellType::Text),
    ("sc_calleridname", CellType::Text),
    ("sc_dialednum", CellType::Text),
    ("sc_disposition", CellType::Text),
    ("sc_duration", CellType::Int),
    ("sc_uniqueid", CellType::Text),
    ("sc_whoanswered", CellType::Text),
    ("sc_billsec", CellType::Int),
];

pub async fn simplecdrs(db: &Db, caller: &Caller, query: &ReportQuery) -> ApiResult<RowStream> {
    let t = SIMPLECDRS.table;
    let tz = query.zone;
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
    .cond_where(conditions(&SIMPLECDRS, caller, query, tz));
    ordered(&SIMPLECDRS, &mut q);
    let types: Vec<CellType> = SIMPLE_COLUMNS.iter().map(|(_, k)| *k).collect();
    let names = SIMPLE_COLUMNS.iter().map(|(n, _)| n.to_string()).collect();
    stream(db, q, names, &types, None, tz).await
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
pub async fn queuelogs(db: &Db, caller: &Caller, query: &ReportQuery) -> ApiResult<RowStream> {
    let t = QUEUELOGS.table;
    let tz = query.zone;
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
        .cond_where(conditions(&QUEUELOGS, caller, query, tz));
    ordered(&QUEUELOGS, &mut q);
    let names = QUEUELOG_COLUMNS.iter().map(|c| c.to_string()).collect();
    let types = [
        CellType::DateTime,
        CellType::Text,
        CellType::Text,
        CellType::Text,
        CellType::Text,
    ];
    let mut rows = stream(
        db,
        q,
        names,
        &[&types[..], &[CellType::Text; 4]].concat(),
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
