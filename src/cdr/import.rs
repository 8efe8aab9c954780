//! Reading Asterisk's files: `cdr_csv`'s Master.csv (or a `cdr_custom` layout) and `queue_log`.
//! Both importers are idempotent and tolerant: a bad line is reported with its line number and
//! skipped; the rest goes in, in transactions of [`BATCH`] lines.

use super::{enrich, store, CdrFields, Tenants};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, NaiveDateTime};
use entity::queue_log;
use sea_orm::{ActiveValue::NotSet, EntityTrait, IntoActiveModel};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

const BATCH: usize = 1000;

/// The columns of `cdr_csv` with `loguniqueid=yes` and `loguserfield=yes` (Asterisk's default).
pub const CDR_CSV_LAYOUT: &str = "accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,disposition,amaflags,uniqueid,userfield";

/// The names a `--format` layout may use (`-` skips a column).
pub const FIELDS: &[&str] = &[
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "linkedid",
    "peeraccount",
    "originateid",
    "-",
];

/// A parsed `--format`: the field each CSV column holds.
#[derive(Debug, Clone)]
pub struct Layout(Vec<&'static str>);

impl Layout {
    pub fn parse(text: &str) -> ApiResult<Layout> {
        let mut cols = Vec::new();
        for name in text.split(',').map(|n| n.trim().to_ascii_lowercase()) {
            match FIELDS.iter().find(|f| **f == name) {
                Some(f) => cols.push(*f),
                None => {
                    return Err(ApiError::invalid(format!(
                        "format: unknown CDR field '{name}' (known: {})",
                        FIELDS.join(", ")
                    )))
                }
            }
        }
        for required in ["start", "uniqueid"] {
            if !cols.contains(&required) {
                return Err(ApiError::invalid(format!(
                    "format: the layout must include '{required}'"
                )));
            }
        }
        Ok(Layout(cols))
    }

    pub fn cdr_csv() -> Layout {
        Layout::parse(CDR_CSV_LAYOUT).expect("the built-in layout is valid")
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub lines: usize,
    pub imported: usize,
    pub present: usize,
    /// (line number, what is wrong)
    pub bad: Vec<(u64, String)>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lines: {} imported, {} already present, {} bad",
            self.lines,
            self.imported,
            self.present,
            self.bad.len()
        )
    }
}

/// Asterisk writes `YYYY-MM-DD HH:MM:SS`; an empty answer time means "never answered".
pub(super) fn time(field: &str, v: &str) -> Result<Option<NaiveDateTime>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S")
        .map(Some)
        .map_err(|_| format!("field '{field}': '{v}' is not a YYYY-MM-DD HH:MM:SS time"))
}

pub(super) fn number(field: &str, v: &str) -> Result<i32, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(0);
    }
    v.parse()
        .map_err(|_| format!("field '{field}': '{v}' is not a whole number"))
}

/// One CSV record → the CDR fields, by the layout.
pub fn parse_record(layout: &Layout, record: &csv::StringRecord) -> Result<CdrFields, String> {
    if record.len() != layout.0.len() {
        return Err(format!(
            "expected {} fields, found {}",
            layout.0.len(),
            record.len()
        ));
    }
    let mut f = CdrFields::default();
    let mut start = None;
    for (name, value) in layout.0.iter().zip(record.iter()) {
        let s = value.to_string();
        match *name {
            "accountcode" => f.accountcode = s,
            "src" => f.src = s,
            "dst" => f.dst = s,
            "dcontext" => f.dcontext = s,
            "clid" => f.clid = s,
            "channel" => f.channel = s,
            "dstchannel" => f.dstchannel = s,
            "lastapp" => f.lastapp = s,
            "lastdata" => f.lastdata = s,
            "start" => start = time(name, value)?,
            "answer" => f.answer = time(name, value)?,
            "end" => f.end = time(name, value)?,
            "duration" => f.duration = number(name, value)?,
            "billsec" => f.billsec = number(name, value)?,
            "disposition" => f.disposition = s,
            "amaflags" => f.amaflags = s,
            "uniqueid" => f.uniqueid = s,
            "userfield" => f.userfield = s,
            "linkedid" => f.linkedid = s,
            "peeraccount" => f.peeraccount = s,
            "originateid" => f.originateid = s,
            _ => {}
        }
    }
    f.start = start.ok_or("field 'start' is empty")?;
    if f.uniqueid.trim().is_empty() {
        return Err("field 'uniqueid' is empty".into());
    }
    Ok(f)
}

/// Import CDRs from a Master.csv-style reader written in UTC. `progress` is told how many
/// bytes were read.
pub async fn import_cdrs(
    db: &Db,
    input: impl Read,
    node: &str,
    layout: &Layout,
    progress: &dyn Fn(u64),
) -> ApiResult<Summary> {
    import_cdrs_in(db, input, node, layout, chrono_tz::Tz::UTC, progress).await
}

/// [`import_cdrs`] of a file whose times are wall-clock times in `tz` (the node's zone, as
/// Asterisk writes them without `usegmtime`): they are stored in UTC.
pub async fn import_cdrs_in(
    db: &Db,
    input: impl Read,
    node: &str,
    layout: &Layout,
    tz: chrono_tz::Tz,
    progress: &dyn Fn(u64),
) -> ApiResult<Summary> {
    let tenants = Tenants::load(&db.conn).await?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut summary = Summary::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                summary.lines += 1;
                match parse_record(layout, &record) {
                    Ok(mut fields) => {
                        fields.start = crate::time::to_utc(fields.start, tz);
                        fields.answer = fields.answer.map(|t| crate::time::to_utc(t, tz));
                        fields.end = fields.end.map(|t| crate::time::to_utc(t, tz));
                        batch.push(enrich(&fields, node, &tenants))
                    }
                    Err(e) => summary.bad.push((line, e)),
                }
            }
            Err(e) => {
                summary.lines += 1;
                summary.bad.push((line, format!("not a CSV line: {e}")));
                // A broken quote cannot be resynchronised reliably: stop at an I/O error only.
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
        if batch.len() >= BATCH {
            flush_cdrs(db, &mut batch, &mut summary).await?;
            progress(reader.position().byte());
        }
    }
    flush_cdrs(db, &mut batch, &mut summary).await?;
    progress(reader.position().byte());
    Ok(summary)
}

async fn flush_cdrs(
    db: &Db,
    batch: &mut Vec<super::Enriched>,
    summary: &mut Summary,
) -> ApiResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let txn = db.begin_write().await?;
    for e in batch.drain(..) {
        if store(&*txn, &e).await? {
            summary.imported += 1;
        } else {
            summary.present += 1;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// One queue_log line: `epoch|callid|queue|agent|event|data1|…|data5`.
pub fn parse_queue_line(line: &str) -> Result<queue_log::Model, String> {
    let parts: Vec<&str> = line.split('|').collect();
    if parts.len() < 5 {
        return Err(format!(
            "expected at least 5 '|'-separated fields, found {}",
            parts.len()
        ));
    }
    let epoch: i64 = parts[0]
        .trim()
        .parse()
        .map_err(|_| format!("field 'time': '{}' is not an epoch", parts[0]))?;
    let time = DateTime::from_timestamp(epoch, 0)
        .ok_or_else(|| format!("field 'time': {epoch} is out of range"))?
        .naive_utc();
    let data = |i: usize| parts.get(5 + i).map_or(String::new(), |s| s.to_string());
    // Old Asterisk versions write one `data` field that may itself contain '|'.
    let data5 = if parts.len() > 10 {
        parts[9..].join("|")
    } else {
        data(4)
    };
    Ok(queue_log::Model {
        id: 0,
        te_id: 0,
        time,
        callid: parts[1].to_string(),
        queuename: parts[2].to_string(),
        qu_id: parts[2].trim().parse().unwrap_or(0),
        agent: parts[3].to_string(),
        event: parts[4].to_string(),
        data1: data(0),
        data2: data(1),
        data3: data(2),
        data4: data(3),
        data5,
        node: String::new(),
        linekey: String::new(),
    })
}

/// Import a queue_log. A line's identity is a digest of node and line: the same line twice from
/// one node is one event.
pub async fn import_queue_log(
    db: &Db,
    input: impl Read,
    node: &str,
    progress: &dyn Fn(u64),
) -> ApiResult<Summary> {
    use entity::qu_queues;
    let tenants = Tenants::load(&db.conn).await?;
    let queues: HashMap<i32, i32> = qu_queues::Entity::find()
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|q| (q.qu_id, q.qu_te_id))
        .collect();
    let mut reader = BufReader::new(input);
    let mut summary = Summary::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut line = String::new();
    let mut bytes = 0u64;
    let mut number = 0u64;
    loop {
        line.clear();
        let n = match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                summary.bad.push((number + 1, format!("unreadable: {e}")));
                break;
            }
        };
        bytes += n as u64;
        number += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        summary.lines += 1;
        match parse_queue_line(text) {
            Ok(mut row) => {
                row.te_id = queues
                    .get(&row.qu_id)
                    .copied()
                    .or_else(|| tenants.party(&row.agent).map(|p| p.te_id))
                    .unwrap_or(0);
                row.node = node.to_string();
                row.linekey = hex::encode(Sha256::digest(format!("{node}\n{text}")));
                batch.push(row);
            }
            Err(e) => summary.bad.push((number, e)),
        }
        if batch.len() >= BATCH {
            flush_queue(db, &mut batch, &mut summary).await?;
            progress(bytes);
        }
    }
    flush_queue(db, &mut batch, &mut summary).await?;
    progress(bytes);
    Ok(summary)
}

async fn flush_queue(
    db: &Db,
    batch: &mut Vec<queue_log::Model>,
    summary: &mut Summary,
) -> ApiResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let txn = db.begin_write().await?;
    for row in batch.drain(..) {
        let mut am = row.into_active_model();
        am.id = NotSet;
        let r = queue_log::Entity::insert(am)
            .on_conflict_do_nothing_on([queue_log::Column::Linekey])
            .exec(&*txn)
            .await?;
        match r {
            sea_orm::TryInsertResult::Inserted(_) => summary.imported += 1,
            _ => summary.present += 1,
        }
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        assert!(Layout::parse("start,uniqueid,-,src").is_ok());
        assert!(Layout::parse("start,src").is_err());
        assert!(Layout::parse("start,uniqueid,bogus").is_err());
    }

    #[test]
    fn queue_lines() {
        let r = parse_queue_line("1795319942|1795319819.3|9200|Agent101|COMPLETEAGENT|0|122|1")
            .unwrap();
        assert_eq!(
            (r.qu_id, r.event.as_str(), r.data2.as_str()),
            (9200, "COMPLETEAGENT", "122")
        );
        assert_eq!(r.time.to_string(), "2026-11-22 03:59:02");
        assert!(parse_queue_line("x|a|b|c|d").is_err());
        assert!(parse_queue_line("1|a|b").is_err());
    }
}
