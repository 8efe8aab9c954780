//! One number, one owner: `di_fullnumber` holds the digits of country, area and number joined
//! (`39`/`06`/`12345` and `390612345` are the same number) under a unique index across tenants.
//! Rows already stored are filled in `di_id` order; should two hold the same number already
//! (possible before this migration), the later ones keep NULL (a unique index allows several)
//! until they are written again, which then has to resolve the clash.

use crate::kit::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;
use std::collections::HashSet;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "uq_di_dids_di_fullnumber";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("di_dids")
                    .add_column(sn("di_fullnumber", 64))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        let mut q = Query::select();
        q.columns(["di_id", "di_country", "di_area", "di_number"])
            .from("di_dids")
            .order_by("di_id", Order::Asc);
        let mut seen = HashSet::new();
        for row in db.query_all(&q).await? {
            let id: i32 = row.try_get_by_index(0)?;
            let full: String = (1..4)
                .map(|i| row.try_get_by_index::<String>(i))
                .collect::<Result<_, _>>()?;
            if !seen.insert(full.clone()) {
                continue;
            }
            let mut upd = Query::update();
            upd.table("di_dids")
                .value("di_fullnumber", full)
                .and_where(Expr::col("di_id").eq(id));
            manager.exec_stmt(upd).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table("di_dids")
                    .col("di_fullnumber")
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table("di_dids").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("di_dids")
                    .drop_column("di_fullnumber")
                    .take(),
            )
            .await
    }
}
