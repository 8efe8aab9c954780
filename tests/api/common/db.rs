//! The database backends and a database that exists for one test.

use sea_orm::ConnectionTrait;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use switchboard::db::Db;

use super::with_database;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    fn env(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("SWITCHBOARD_TEST_POSTGRES_URL"),
            Backend::Mysql => Some("SWITCHBOARD_TEST_MYSQL_URL"),
        }
    }
}

pub(super) fn unique_name() -> String {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "sbtest_{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// A database that exists for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    /// Server backends: the administrative URL and the database name to drop.
    server: Option<(String, String)>,
    /// SQLite: the temporary directory holding the database file.
    dir: Option<PathBuf>,
}

impl TestDb {
    /// `None` when the backend's server is not configured (the test is skipped).
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let name = unique_name();
        match backend.env() {
            None => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.join("switchboard.db").display());
                Some(TestDb {
                    backend,
                    url,
                    server: None,
                    dir: Some(dir),
                })
            }
            Some(env) => {
                let Ok(admin_url) = std::env::var(env) else {
                    eprintln!("{env} not set: skipped");
                    return None;
                };
                let admin = Db::connect(&admin_url).await.unwrap().conn;
                let charset = match backend {
                    // Whatever the server's default: the schema is meant for utf8mb4.
                    Backend::Mysql => " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                    _ => "",
                };
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}{charset}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                Some(TestDb {
                    backend,
                    url: with_database(&admin_url, &name),
                    server: Some((admin_url, name)),
                    dir: None,
                })
            }
        }
    }

    pub async fn drop_database(self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin_url, name)) = &self.server {
            let admin = Db::connect(admin_url).await.unwrap().conn;
            migration::drop_database(&admin, name).await.unwrap();
            admin.close().await.unwrap();
        }
    }
}
