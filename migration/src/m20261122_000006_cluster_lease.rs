//! Node leases of the outbox dispatcher: which Switchboard process drains a node's outbox, and
//! until when (added to `no_nodes` after `m20261122_000005_cluster` was released).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        for col in [
            string_len("no_lease", 64).default("").take(),
            date_time_null("no_lease_until"),
        ] {
            manager
                .alter_table(Table::alter().table("no_nodes").add_column(col).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["no_lease", "no_lease_until"] {
            manager
                .alter_table(Table::alter().table("no_nodes").drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
