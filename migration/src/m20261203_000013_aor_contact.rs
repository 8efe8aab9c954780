//! `ps_aors.contact` (Asterisk's `varchar(255)`, nullable): Asterisk selects on it whenever it
//! lists contacts (`pjsip show contacts`, AMI `PJSIPShowContacts`), and logs an ERROR each time
//! the column is missing. Switchboard leaves it empty: phones register, they have no static
//! contact.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("ps_aors")
                    .add_column(string_len_null("contact", 255))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("ps_aors")
                    .drop_column("contact")
                    .take(),
            )
            .await
    }
}
