//! Reads on SQLite without a thread hop.
//!
//! sqlx runs every SQLite connection on its own worker thread and hands each query and each row
//! across threads; under load that handoff, not SQLite, was most of the server's CPU (`perf`:
//! ~60% in futex/scheduler). A point read by primary key takes microseconds in SQLite itself, so
//! reads run right here, on the request's thread, on a small pool of read-only connections.
//! The SQL still comes from the query builder with bound values; writes still go through
//! sea-orm (and its single-writer discipline). Anything this reader cannot bind answers `None`
//! and the caller uses sea-orm instead, so results never depend on which path ran.

use crate::error::{internal, ApiResult};
use crate::output::Cell;
use futures_util::stream::{BoxStream, StreamExt};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};
use sea_orm::sea_query::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a column is turned into text: the same rules as the registry engine's `cell`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellType {
    Int,
    Double,
    DateTime,
    Text,
}

/// Idle connections kept per database (one per worker thread is what is ever in use at once).
const IDLE_MAX: usize = 16;

pub struct SqliteReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteReader {
    /// A reader for a file database URL (`sqlite://path?…`, `sqlite:path`); `None` for in-memory
    /// databases and paths this reader would not open exactly as sqlx does.
    pub fn for_url(url: &str) -> Option<SqliteReader> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty()
            || path.contains(":memory:")
            || path.contains('%')
            || query.contains("memory")
        {
            return None;
        }
        Some(SqliteReader {
            path: PathBuf::from(path),
            idle: Mutex::new(Vec::new()),
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn checkout(&self) -> Result<Connection, String> {
        match self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            Some(c) => Ok(c),
            None => self
                .open()
                .map_err(|e| format!("open {}: {e}", self.path.display())),
        }
    }

    fn checkin(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < IDLE_MAX {
                idle.push(conn);
            }
        }
    }

    /// Run one SELECT and read every row as text cells. `None`: a value this reader does not
    /// bind (the caller falls back to sea-orm); `Some(Err)`: the query failed.
    pub fn query(
        &self,
        sql: &str,
        values: &[Value],
        types: &[CellType],
    ) -> Option<Result<Vec<Vec<Cell>>, String>> {
        let params: Vec<SqlValue> = values.iter().map(bind).collect::<Option<_>>()?;
        let conn = match self.checkout() {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        let mut out = Vec::new();
        let result = each_row(&conn, sql, &params, types, |row| {
            out.push(row);
            true
        });
        self.checkin(conn);
        Some(result.map(|()| out).map_err(|e| e.to_string()))
    }

    /// Stream one SELECT's rows: read on a blocking thread and sent in batches through a
    /// bounded channel, so memory stays flat whatever the row count, the async side never waits
    /// on SQLite, and a client that stops reading stops the query (the next send fails).
    /// `None`: a value this reader does not bind.
    pub fn stream(
        self: &Arc<Self>,
        sql: String,
        values: &[Value],
        types: Vec<CellType>,
    ) -> Option<BoxStream<'static, ApiResult<Vec<Cell>>>> {
        let params: Vec<SqlValue> = values.iter().map(bind).collect::<Option<_>>()?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Vec<Cell>>, String>>(BATCHES);
        let reader = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match reader.checkout() {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            let result = each_row(&conn, &sql, &params, &types, |row| {
                batch.push(row);
                batch.len() < BATCH_ROWS
                    || tx
                        .blocking_send(Ok(std::mem::replace(
                            &mut batch,
                            Vec::with_capacity(BATCH_ROWS),
                        )))
                        .is_ok()
            });
            let last = match result {
                Ok(()) => Ok(batch),
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.blocking_send(last);
            reader.checkin(conn);
        });
        let batches = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|batch| (batch, rx))
        });
        Some(
            batches
                .flat_map(|batch| {
                    let rows: Vec<ApiResult<Vec<Cell>>> = match batch {
                        Ok(rows) => rows.into_iter().map(Ok).collect(),
                        Err(e) => vec![Err(internal(e))],
                    };
                    futures_util::stream::iter(rows)
                })
                .boxed(),
        )
    }
}

/// Rows handed over at once by [`SqliteReader::stream`], and batches in flight.
const BATCH_ROWS: usize = 256;
const BATCHES: usize = 4;

/// Run one SELECT and give each row, as text cells, to `each` until it answers false.
fn each_row(
    conn: &Connection,
    sql: &str,
    params: &[SqlValue],
    types: &[CellType],
    mut each: impl FnMut(Vec<Cell>) -> bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(types.len());
        for (i, t) in types.iter().enumerate() {
            cells.push(text(row.get_ref(i)?, *t).map_err(|e| format!("column {i}: {e}"))?);
        }
        if !each(cells) {
            break;
        }
    }
    Ok(())
}

/// A bound value as sqlx would bind it; `None` for the kinds this reader leaves to sqlx.
fn bind(v: &Value) -> Option<SqlValue> {
    fn or_null<T>(v: &Option<T>, f: impl Fn(&T) -> SqlValue) -> SqlValue {
        v.as_ref().map_or(SqlValue::Null, f)
    }
    Some(match v {
        Value::Bool(b) => or_null(b, |b| SqlValue::Integer(*b as i64)),
        Value::TinyInt(i) => or_null(i, |i| SqlValue::Integer(*i as i64)),
        Value::SmallInt(i) => or_null(i, |i| SqlValue::Integer(*i as i64)),
        Value::Int(i) => or_null(i, |i| SqlValue::Integer(*i as i64)),
        Value::BigInt(i) => or_null(i, |i| SqlValue::Integer(*i)),
        Value::TinyUnsigned(i) => or_null(i, |i| SqlValue::Integer(*i as i64)),
        Value::SmallUnsigned(i) => or_null(i, |i| SqlValue::Integer(*i as i64)),
        Value::Unsigned(i) => or_null(i, |i| SqlValue::Integer(*i as i64)),
        Value::Double(d) => or_null(d, |d| SqlValue::Real(*d)),
        Value::Float(d) => or_null(d, |d| SqlValue::Real(*d as f64)),
        Value::String(s) => or_null(s, |s| SqlValue::Text(s.clone())),
        Value::Char(c) => or_null(c, |c| SqlValue::Text(c.to_string())),
        // sqlx's encoding of a NaiveDateTime (so comparisons with stored values agree).
        Value::ChronoDateTime(d) => {
            or_null(d, |d| SqlValue::Text(d.format("%F %T%.f").to_string()))
        }
        _ => return None,
    })
}

/// One cell as text, formatted exactly as the sea-orm path formats it.
fn text(v: ValueRef<'_>, t: CellType) -> Result<Cell, String> {
    let utf8 = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|e| e.to_string());
    Ok(Some(match (v, t) {
        (ValueRef::Null, _) => return Ok(None),
        (ValueRef::Integer(i), CellType::Int | CellType::Text) => i.to_string(),
        (ValueRef::Integer(i), CellType::Double) => format!("{:.4}", i as f64),
        (ValueRef::Real(r), CellType::Double) => format!("{r:.4}"),
        // What sqlx writes for a whole-second timestamp is already the rendered form.
        (ValueRef::Text(s), CellType::DateTime) if is_plain_timestamp(s) => utf8(s)?,
        (ValueRef::Text(s), CellType::DateTime) => {
            let s = std::str::from_utf8(s).map_err(|e| e.to_string())?;
            let parsed = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
                .ok_or_else(|| format!("'{s}' is not a timestamp"))?;
            parsed.format("%Y-%m-%d %H:%M:%S").to_string()
        }
        (ValueRef::Text(s), CellType::Text) => utf8(s)?,
        (other, t) => {
            return Err(format!(
                "{:?} value where {t:?} was expected",
                other.data_type()
            ))
        }
    }))
}

/// `YYYY-MM-DD HH:MM:SS` by shape (the digits were written by sqlx from a valid timestamp).
fn is_plain_timestamp(s: &[u8]) -> bool {
    const SHAPE: &[u8; 19] = b"0000-00-00 00:00:00";
    s.len() == SHAPE.len()
        && s.iter().zip(SHAPE).all(|(c, shape)| match shape {
            b'0' => c.is_ascii_digit(),
            sep => c == sep,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(SqliteReader::for_url("sqlite://switchboard.db?mode=rwc").is_some());
        assert!(SqliteReader::for_url("sqlite:///tmp/x/bench.db").is_some());
        assert!(SqliteReader::for_url("sqlite::memory:").is_none());
        assert!(SqliteReader::for_url("sqlite://x.db?mode=memory").is_none());
        assert!(SqliteReader::for_url("postgres://h/db").is_none());
    }

    #[test]
    fn cells_read_like_sqlx() {
        let t = |v, ty| text(v, ty).unwrap();
        assert_eq!(t(ValueRef::Integer(7), CellType::Int), Some("7".into()));
        assert_eq!(
            t(ValueRef::Real(1.5), CellType::Double),
            Some("1.5000".into())
        );
        assert_eq!(
            t(
                ValueRef::Text(b"2026-11-22 06:01:02.123"),
                CellType::DateTime
            ),
            Some("2026-11-22 06:01:02".into())
        );
        assert_eq!(
            t(ValueRef::Text(b"2026-11-22 06:01:02"), CellType::DateTime),
            Some("2026-11-22 06:01:02".into())
        );
        assert_eq!(
            t(ValueRef::Text(b"2026-11-22T06:01:02"), CellType::DateTime),
            Some("2026-11-22 06:01:02".into())
        );
        assert!(text(ValueRef::Text(b"yesterday"), CellType::DateTime).is_err());
        assert_eq!(t(ValueRef::Null, CellType::Text), None);
        assert!(text(ValueRef::Blob(b"x"), CellType::Text).is_err());
        assert!(bind(&Value::Json(None)).is_none());
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .and_then(|d| d.and_hms_opt(6, 1, 2))
            .unwrap();
        assert_eq!(
            bind(&Value::ChronoDateTime(Some(at))),
            Some(SqlValue::Text("2026-11-22 06:01:02".into()))
        );
    }
}
