//! Call-flow toggles (SETFLOW / FLOWS / INFO flow): the state each flow should have on every
//! node, kept here so that a rebooted or newly added node gets it again.

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        // One flow of a tenant: its device state (`Custom:FLOW-<TENANT>-<number>`) and value.
        ("fl_flows", vec![
            id("fl_id"), te("fl_te_id"), s("fl_number", 40), s("fl_state", 20),
            s("fl_value", 80), dt("fl_updated"),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("uq_fl_flows_fl_te_id_fl_number", "fl_flows", &["fl_te_id", "fl_number"], true),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(manager, tables(), INDEXES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, tables()).await
    }
}
