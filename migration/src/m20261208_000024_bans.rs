//! `bn_bans`: source addresses banned on every node (SIP-side brute force). Switchboard counts
//! the nodes' AMI security events per address and writes a row here past the threshold; an
//! operator adds and lifts rows with `switchboard ban` or the admin reqtype BAN. The nodes'
//! firewalls read the active rows (`GET /nodes/bans`).

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        // One banned address (IPv4 or IPv6, canonical text), why, by whom, until when
        // (none: until lifted).
        ("bn_bans", vec![
            id("bn_id"), s("bn_address", 45), s("bn_cause", 255), int("bn_events"),
            s("bn_by", 40), dt("bn_created"), dtn("bn_until"),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("uq_bn_bans_bn_address", "bn_bans", &["bn_address"], true),
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
