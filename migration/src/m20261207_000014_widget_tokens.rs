//! `ak_apikeys.ak_widget`: widget tokens, the short-lived keys a browser-side status page may
//! carry (the manual: never a production key in a browser script). A widget token is bound to
//! one tenant, read-only, and may call only the presence and queue reads the page needs.

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("ak_apikeys")
                    .add_column(flag("ak_widget"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("ak_apikeys")
                    .drop_column("ak_widget")
                    .take(),
            )
            .await
    }
}
