//! The database handle: one pool for SQLite, PostgreSQL or MySQL/MariaDB (the URL scheme picks),
//! plus the write discipline each backend needs.

use crate::error::{internal, ApiResult};
use crate::output::Cell;
pub use crate::sqlite_reader::CellType;
use crate::sqlite_reader::SqliteReader;
use futures_util::stream::{BoxStream, StreamExt};
use migration::MigratorTrait;
use sea_orm::sea_query::{SelectStatement, SqliteQueryBuilder};
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm::{ConnectionTrait, QueryResult, StreamTrait};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// File SQLite databases: reads run inline rather than through sqlx's worker thread.
    reader: Option<Arc<SqliteReader>>,
    /// SQLite allows one writer: writers queue here instead of failing with SQLITE_BUSY when a
    /// deferred transaction tries to upgrade. `None` on servers with row locks.
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// A write transaction; on SQLite it also holds the process-wide writer slot.
pub struct WriteTxn {
    pub txn: DatabaseTransaction,
    _slot: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

impl Db {
    /// Connect to the database a URL names. Switchboard's own settings ride in the URL's query
    /// string (see [`UrlOptions`]) and are taken out before the URL reaches the driver.
    pub async fn connect(url: &str) -> Result<Db, DbErr> {
        let (url, options) = UrlOptions::split(url).map_err(DbErr::Custom)?;
        let url = url.as_str();
        probe_server(url, options.connect_timeout).await?;
        let mut opts = ConnectOptions::new(url.to_string());
        // sea-orm's connect timeout is sqlx's acquire timeout (connecting included): set once.
        opts.sqlx_logging(false)
            .acquire_timeout(options.acquire_timeout);
        let sqlite = url.starts_with("sqlite:");
        if sqlite {
            // An in-memory database exists once per connection: keep exactly one.
            if url.contains(":memory:") || url.contains("mode=memory") {
                opts.max_connections(1).min_connections(1);
            } else {
                opts.max_connections(
                    std::thread::available_parallelism().map_or(4, |n| n.get() * 2) as u32,
                );
            }
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
            });
        } else {
            // Ping a pooled connection only when it has been idle a while (a restart or a
            // proxy may have closed it), not on every checkout: that ping was a second round
            // trip on every request. A hot connection the server closed fails its one query
            // as "unavailable" and is replaced.
            opts.max_connections(20)
                .test_before_acquire_if_idle_for(Duration::from_secs(5));
        }
        if options.pgbouncer {
            // No named statement may outlive a round trip (see vendor/sqlx-postgres/PATCHED.md).
            opts.map_sqlx_postgres_opts(|o| o.statement_cache_capacity(0));
        }
        let conn = Database::connect(opts).await?;
        let write_lock = sqlite.then(|| Arc::new(tokio::sync::Mutex::new(())));
        let reader = SqliteReader::for_url(url).map(Arc::new);
        Ok(Db {
            conn,
            reader,
            write_lock,
        })
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Apply pending migrations, saying which (sea-orm's own narration is filtered out).
    pub async fn migrate(&self) -> Result<(), DbErr> {
        let pending = migration::Migrator::get_pending_migrations(&self.conn).await?;
        if pending.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = pending.iter().map(|m| m.name()).collect();
        tracing::info!(count = names.len(), migrations = %names.join(", "), "applying migrations");
        migration::Migrator::up(&self.conn, None).await
    }

    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        let slot = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = match slot {
            // BEGIN IMMEDIATE: take SQLite's write lock now (waiting out writers that do not
            // queue here, such as the background "last used" update or a CLI process) rather
            // than reading first and failing with SQLITE_BUSY_SNAPSHOT when upgrading later.
            Some(_) => {
                self.conn
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await?
            }
            None => self.conn.begin().await?,
        };
        Ok(WriteTxn { txn, _slot: slot })
    }

    /// The rows of a read-only SELECT, each cell as text by its [`CellType`]. Reads outside a
    /// transaction should come here: on SQLite they skip the thread hop (see `sqlite_reader`).
    pub async fn read_cells(
        &self,
        q: &SelectStatement,
        types: &[CellType],
    ) -> ApiResult<Vec<Vec<Cell>>> {
        if let Some(reader) = &self.reader {
            let (sql, values) = q.build(SqliteQueryBuilder);
            if let Some(result) = reader.query(&sql, &values.0, types) {
                return result.map_err(internal);
            }
        }
        let mut decoder = Decoder::new(types.to_vec());
        self.conn
            .query_all(q)
            .await?
            .iter()
            .map(|r| decoder.cells(r))
            .collect()
    }
}

/// Rows of one result as text cells. Every row of a result has the same column types: on
/// PostgreSQL they are checked once, then rows decode without sqlx's per-cell type checks (a
/// tenth of an export's CPU).
struct Decoder {
    types: Vec<CellType>,
    pg_checked: bool,
}

impl Decoder {
    fn new(types: Vec<CellType>) -> Decoder {
        Decoder {
            types,
            pg_checked: false,
        }
    }

    fn cells(&mut self, r: &QueryResult) -> ApiResult<Vec<Cell>> {
        if let Some(pg) = r.try_as_pg_row() {
            if !self.pg_checked {
                pg_compatible(pg, &self.types)?;
                self.pg_checked = true;
            }
            return pg_cells(pg, &self.types);
        }
        (0..self.types.len())
            .map(|i| cell(r, i, self.types[i]))
            .collect()
    }
}

impl Db {
    /// The rows of a read-only SELECT as a stream of text cells, straight from the cursor
    /// (exports of any size). On SQLite the rows are read on a blocking thread and handed over
    /// in batches (see `sqlite_reader`); elsewhere they come from sea-orm's row stream.
    pub async fn stream_cells(
        &self,
        q: &SelectStatement,
        types: Vec<CellType>,
    ) -> ApiResult<BoxStream<'static, ApiResult<Vec<Cell>>>> {
        if let Some(reader) = &self.reader {
            let (sql, values) = q.build(SqliteQueryBuilder);
            if let Some(rows) = reader.stream(sql, &values.0, types.clone()) {
                return Ok(rows);
            }
        }
        let rows = self.conn.stream(q).await?;
        let mut decoder = Decoder::new(types);
        Ok(rows.map(move |r| decoder.cells(&r?)).boxed())
    }
}

/// Switchboard's settings in a database URL's query string, e.g.
/// `postgres://…/switchboard?pgbouncer=true&acquire_timeout=2`.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlOptions {
    /// `pgbouncer=true`: PostgreSQL is reached through PgBouncer in transaction mode, so no
    /// prepared statement may outlive one round trip (the statement cache is turned off).
    pub pgbouncer: bool,
    /// `acquire_timeout=SECONDS`: the longest a request waits for a database connection
    /// (connecting included) before it fails with "database unavailable".
    pub acquire_timeout: Duration,
    /// `connect_timeout=SECONDS`: the longest the first connection at start may take.
    pub connect_timeout: Duration,
}

impl Default for UrlOptions {
    fn default() -> Self {
        UrlOptions {
            pgbouncer: false,
            // Short: with the database down a request should fail at once, not hang a client.
            acquire_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

type SetOption = fn(&mut UrlOptions, &str) -> Result<(), String>;

/// The URL options, each with how its value is read.
const URL_OPTIONS: [(&str, SetOption); 3] = [
    ("pgbouncer", |o, v| {
        o.pgbouncer = parse_flag(v)?;
        Ok(())
    }),
    ("acquire_timeout", |o, v| {
        o.acquire_timeout = parse_seconds(v)?;
        Ok(())
    }),
    ("connect_timeout", |o, v| {
        o.connect_timeout = parse_seconds(v)?;
        Ok(())
    }),
];

impl UrlOptions {
    /// The URL without Switchboard's options, and the options. A malformed value, or
    /// `pgbouncer` on another database than PostgreSQL, is an error naming the option.
    pub fn split(url: &str) -> Result<(String, UrlOptions), String> {
        let mut options = UrlOptions::default();
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_string(), options));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match URL_OPTIONS.iter().find(|(name, _)| *name == key) {
                Some((name, set)) => set(&mut options, value)
                    .map_err(|e| format!("database URL option {name}: {e}"))?,
                None => kept.push(pair),
            }
        }
        if options.pgbouncer && !url.starts_with("postgres") {
            return Err("database URL option pgbouncer: only for PostgreSQL URLs".into());
        }
        let url = match kept.is_empty() {
            true => base.to_string(),
            false => format!("{base}?{}", kept.join("&")),
        };
        Ok((url, options))
    }
}

fn parse_flag(v: &str) -> Result<bool, String> {
    match v {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(format!("'{other}' is not true or false")),
    }
}

fn parse_seconds(v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("'{v}' is not a number of seconds between 0 and 3600"))
}

/// One direct connection to a database server before the pool is built: the pool retries a
/// refused connection until its acquire timeout and then says only "pool timed out"; this says
/// at once what is wrong (refused, unknown host, bad credentials).
async fn probe_server(url: &str, timeout: Duration) -> Result<(), DbErr> {
    use sea_orm::sqlx::{Connection, MySqlConnection, PgConnection};
    let what = if url.starts_with("postgres") {
        "PostgreSQL"
    } else if url.starts_with("mysql") || url.starts_with("mariadb") {
        "MySQL/MariaDB"
    } else {
        return Ok(());
    };
    let attempt = async {
        if what == "PostgreSQL" {
            PgConnection::connect(url).await?.close().await
        } else {
            MySqlConnection::connect(url).await?.close().await
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(DbErr::Custom(format!("{what} server: {e}"))),
        Err(_) => Err(DbErr::Custom(format!(
            "{what} server: no answer within {:?}",
            timeout
        ))),
    }
}

/// Whether each column of a PostgreSQL result decodes as its [`CellType`] (checked once per
/// result by [`Db::stream_cells`]).
fn pg_compatible(row: &PgRow, types: &[CellType]) -> ApiResult<()> {
    use sea_orm::sqlx::{Column, Postgres, Row, Type};
    for (i, t) in types.iter().enumerate() {
        let info = row
            .columns()
            .get(i)
            .ok_or_else(|| internal(format!("column {i}: missing")))?
            .type_info();
        let ok = match t {
            CellType::Int => <i32 as Type<Postgres>>::compatible(info),
            CellType::Double => <f64 as Type<Postgres>>::compatible(info),
            CellType::DateTime => <chrono::NaiveDateTime as Type<Postgres>>::compatible(info),
            CellType::Text => <String as Type<Postgres>>::compatible(info),
        };
        if !ok {
            return Err(internal(format!("column {i}: {info:?} is not {t:?}")));
        }
    }
    Ok(())
}

/// One PostgreSQL row as text cells, the types already checked by [`pg_compatible`].
fn pg_cells(row: &PgRow, types: &[CellType]) -> ApiResult<Vec<Cell>> {
    use sea_orm::sqlx::Row;
    let err = |i: usize| move |e: sea_orm::sqlx::Error| internal(format!("column {i}: {e}"));
    types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Ok(match t {
                CellType::Int => row
                    .try_get_unchecked::<Option<i32>, _>(i)
                    .map_err(err(i))?
                    .map(|v| v.to_string()),
                CellType::Double => row
                    .try_get_unchecked::<Option<f64>, _>(i)
                    .map_err(err(i))?
                    .map(|v| format!("{v:.4}")),
                CellType::DateTime => row
                    .try_get_unchecked::<Option<chrono::NaiveDateTime>, _>(i)
                    .map_err(err(i))?
                    .map(crate::time::timestamp_text),
                CellType::Text => row
                    .try_get_unchecked::<Option<&str>, _>(i)
                    .map_err(err(i))?
                    .map(str::to_string),
            })
        })
        .collect()
}

/// One cell of a sea-orm result as text: integers plain, doubles with 4 decimals, timestamps
/// `YYYY-MM-DD HH:MM:SS`, text as it is.
pub fn cell(row: &QueryResult, idx: usize, t: CellType) -> ApiResult<Cell> {
    let err = |e: sea_orm::DbErr| internal(format!("column {idx}: {e}"));
    Ok(match t {
        CellType::Int => row
            .try_get_by_index::<Option<i32>>(idx)
            .map_err(err)?
            .map(|v| v.to_string()),
        CellType::Double => row
            .try_get_by_index::<Option<f64>>(idx)
            .map_err(err)?
            .map(|v| format!("{v:.4}")),
        CellType::DateTime => row
            .try_get_by_index::<Option<chrono::NaiveDateTime>>(idx)
            .map_err(err)?
            .map(crate::time::timestamp_text),
        CellType::Text => row.try_get_by_index::<Option<String>>(idx).map_err(err)?,
    })
}

#[cfg(test)]
mod tests {
    /// A closed port is reported at once, with the reason, not as a pool timeout 30 s later.
    #[tokio::test]
    async fn a_closed_server_port_fails_fast_and_says_why() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        for url in [
            format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            format!("mysql://root@127.0.0.1:{port}/test"),
        ] {
            let started = std::time::Instant::now();
            let err = super::Db::connect(&url)
                .await
                .err()
                .expect("connected to a closed port");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(4),
                "{url}: {:?}",
                started.elapsed()
            );
            let text = err.to_string();
            assert!(text.contains("refused"), "{url}: {text}");
            assert!(!text.contains("timed out"), "{url}: {text}");
        }
    }

    #[test]
    fn url_options_are_taken_out_and_checked() {
        use super::UrlOptions;
        use std::time::Duration;
        let (url, o) = UrlOptions::split(
            "postgres://u@h:6432/db?sslmode=disable&pgbouncer=true&acquire_timeout=1.5",
        )
        .unwrap();
        assert_eq!(url, "postgres://u@h:6432/db?sslmode=disable");
        assert!(o.pgbouncer);
        assert_eq!(o.acquire_timeout, Duration::from_millis(1500));
        assert_eq!(o.connect_timeout, UrlOptions::default().connect_timeout);
        let (url, o) = UrlOptions::split("mysql://r@h/test?connect_timeout=2").unwrap();
        assert_eq!(
            (url.as_str(), o.connect_timeout),
            ("mysql://r@h/test", Duration::from_secs(2))
        );
        assert_eq!(
            UrlOptions::split("sqlite://x.db").unwrap().0,
            "sqlite://x.db"
        );
        for (bad, names) in [
            ("postgres://h/db?pgbouncer=maybe", "pgbouncer"),
            ("mysql://h/db?pgbouncer=true", "pgbouncer"),
            ("postgres://h/db?acquire_timeout=0", "acquire_timeout"),
            ("postgres://h/db?connect_timeout=soon", "connect_timeout"),
        ] {
            let e = UrlOptions::split(bad).unwrap_err();
            assert!(e.contains(names), "{bad}: {e}");
        }
    }

    #[test]
    fn timestamps_print_like_chrono() {
        for s in [
            "2026-11-22 06:01:02",
            "0999-01-09 00:00:59",
            "9999-12-31 23:59:59",
        ] {
            let d = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
            assert_eq!(
                crate::time::timestamp_text(d),
                d.format("%Y-%m-%d %H:%M:%S").to_string()
            );
        }
    }
}

/// The value of a `SELECT COUNT(*) …` query.
pub async fn count(conn: &impl ConnectionTrait, q: SelectStatement) -> ApiResult<i64> {
    let row = conn
        .query_one(&q)
        .await?
        .ok_or_else(|| internal("count returned no row"))?;
    row.try_get_by_index::<i64>(0).map_err(internal)
}

/// The tenant with this code (codes are stored upper-case), or none.
pub async fn tenant_by_code(
    conn: &impl ConnectionTrait,
    code: &str,
) -> ApiResult<Option<crate::auth::TenantRef>> {
    use entity::te_tenants;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Ok(te_tenants::Entity::find()
        .filter(te_tenants::Column::TeCode.eq(code.to_ascii_uppercase()))
        .one(conn)
        .await?
        .map(|t| crate::auth::TenantRef {
            id: t.te_id,
            code: t.te_code,
        }))
}

/// The id of the tenant with this code; an unknown code is an error naming it (the CLI's).
pub async fn tenant_id(db: &Db, code: &str) -> ApiResult<i32> {
    match tenant_by_code(&db.conn, code).await? {
        Some(t) => Ok(t.id),
        None => Err(crate::error::ApiError::invalid(format!(
            "no tenant with code '{code}'"
        ))),
    }
}
