//! `no_nodes.no_timezone`: the zone of a node's clock. `cdr_manager` writes a `Cdr` event's
//! times as the node's local wall-clock time (unlike `cdr_csv`, it has no `usegmtime`), and
//! Switchboard stores every time in UTC: this says how to convert. Default `UTC`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("no_nodes")
                    .add_column(string_len("no_timezone", 64).default("UTC"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("no_nodes")
                    .drop_column("no_timezone")
                    .take(),
            )
            .await
    }
}
