pub use sea_orm_migration::prelude::*;

mod kit;
mod m20261122_000001_foundation;
mod m20261122_000002_objects;
mod m20261122_000003_account;
mod m20261122_000004_cdr;
mod m20261122_000005_cluster;
mod m20261122_000006_cluster_lease;
mod m20261122_000007_ivrlogs;
mod m20261122_000008_live;
mod m20261122_000009_calls;
mod m20261122_000010_groups_files;
mod m20261203_000011_did_fullnumber;
mod m20261203_000012_outbox_retention;
mod m20261203_000013_aor_contact;
mod m20261207_000014_widget_tokens;
mod m20261207_000016_node_timezone;
mod m20261208_000021_toll_fraud;
mod m20261208_000022_realtime_complete;
mod m20261208_000024_bans;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_objects::Migration),
            Box::new(m20261122_000003_account::Migration),
            Box::new(m20261122_000004_cdr::Migration),
            Box::new(m20261122_000005_cluster::Migration),
            Box::new(m20261122_000006_cluster_lease::Migration),
            Box::new(m20261122_000007_ivrlogs::Migration),
            Box::new(m20261122_000008_live::Migration),
            Box::new(m20261122_000009_calls::Migration),
            Box::new(m20261122_000010_groups_files::Migration),
            Box::new(m20261203_000011_did_fullnumber::Migration),
            Box::new(m20261203_000012_outbox_retention::Migration),
            Box::new(m20261203_000013_aor_contact::Migration),
            Box::new(m20261207_000014_widget_tokens::Migration),
            Box::new(m20261207_000016_node_timezone::Migration),
            Box::new(m20261208_000021_toll_fraud::Migration),
            Box::new(m20261208_000022_realtime_complete::Migration),
            Box::new(m20261208_000024_bans::Migration),
        ]
    }
}

/// The URL of database `name` on the server of `url` (`scheme://user@host:port/db?params`):
/// the test harnesses create a database per run next to the one they were given.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = base[host_start..]
        .find('/')
        .map_or(base, |i| &base[..host_start + i]);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{base}/{name}{query}")
}

/// Drop database `name` through `admin` (a connection to another database of its server), for
/// the test harnesses' per-run databases; PostgreSQL closes the sessions still open on it.
pub async fn drop_database(
    admin: &sea_orm_migration::sea_orm::DatabaseConnection,
    name: &str,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
    let force = match admin.get_database_backend() {
        DatabaseBackend::Postgres => " WITH (FORCE)",
        _ => "",
    };
    admin
        .execute_unprepared(&format!("DROP DATABASE {name}{force}"))
        .await
        .map(|_| ())
}
