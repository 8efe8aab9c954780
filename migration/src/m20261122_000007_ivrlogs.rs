//! IVR logs: one row per choice a caller made in an IVR, reported by the dialplan as an AMI
//! `UserEvent: SwitchboardIvr` (Asterisk does not log IVR choices itself; see `src/cdr/ivrlog.rs`).
//!
//! `(il_te_id, il_time)` serves INFO ivrlogs for one tenant's range, `(il_time)` the all-tenant
//! ones; `(il_uniqueid, il_time, il_digits)` is the identity of a choice, so an event delivered
//! twice is stored once.

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        ("il_ivrlogs", vec![
            id("il_id"), te("il_te_id"), dt("il_time"), s("il_node", 40), s("il_uniqueid", 64),
            int("il_iv_id"), s("il_ivr_name", 100), s("il_callerid", 80), s("il_digits", 20),
            s("il_destination", 100),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("idx_il_ivrlogs_il_te_id_il_time", "il_ivrlogs", &["il_te_id", "il_time"], false),
    ("idx_il_ivrlogs_il_time", "il_ivrlogs", &["il_time"], false),
    ("uq_il_ivrlogs_choice", "il_ivrlogs", &["il_uniqueid", "il_time", "il_digits"], true),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::kit::create(manager, tables(), INDEXES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::kit::drop(manager, tables()).await
    }
}
