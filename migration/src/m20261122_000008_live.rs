//! The live reqtypes' own data: call-flow toggles (SETFLOW / FLOWS / INFO flow), the state each
//! flow should have on every node, kept so that a rebooted or newly added node gets it again;
//! and the text messages sent with SMS (INFO sms).

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
        // One SMS: sender and recipient extension numbers, the node, and what the node said.
        ("sm_sms", vec![
            id("sm_id"), te("sm_te_id"), s("sm_from", 40), s("sm_to", 40), txt("sm_body"),
            s("sm_node", 40), s("sm_state", 20), dt("sm_created"),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("uq_fl_flows_fl_te_id_fl_number", "fl_flows", &["fl_te_id", "fl_number"], true),
    ("idx_sm_sms_sm_te_id_sm_created", "sm_sms", &["sm_te_id", "sm_created"], false),
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
