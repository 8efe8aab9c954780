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
        ]
    }
}
