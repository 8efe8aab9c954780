//! Calls placed by the server: the outcome of DIAL originates (`dc_dialcalls` learns the call's
//! uniqueid and Asterisk's reason code), faxes (`fx_faxes`) and dialer campaigns
//! (`cp_campaigns` with their numbers in `cn_campaignnumbers`).

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        // One fax. `fx_file` is the stored name under the fax directory (never the client's name,
        // which is kept for display in `fx_name`).
        ("fx_faxes", vec![
            id("fx_id"), te("fx_te_id"), s("fx_direction", 3), s("fx_number", 40),
            s("fx_callerid", 80), s("fx_stationid", 40), s("fx_status", 10), s("fx_name", 190),
            s("fx_file", 190), s("fx_type", 10), int("fx_size"), int("fx_pages"), s("fx_node", 40),
            s("fx_originateid", 64), s("fx_uniqueid", 80), s("fx_message", 255), dt("fx_created"),
            dtn("fx_updated"),
        ]),
        // A dialer campaign: what answered calls are connected to, how many at once, its state.
        ("cp_campaigns", vec![
            id("cp_id"), te("cp_te_id"), s("cp_name", 80), s("cp_source", 10), s("cp_target", 40),
            s("cp_callerid", 80), int("cp_maxcalls"), int("cp_maxattempts"), int("cp_dialtimeout"),
            s("cp_state", 10), dt("cp_created"), dtn("cp_updated"),
        ]),
        // One number of a campaign: pending → dialing → answered → done, or failed.
        ("cn_campaignnumbers", vec![
            id("cn_id"), int("cn_cp_id"), te("cn_te_id"), s("cn_number", 40), s("cn_state", 10),
            int("cn_attempts"), s("cn_node", 40), s("cn_originateid", 64), s("cn_uniqueid", 80),
            int("cn_reason"), dtn("cn_claimed"), dtn("cn_updated"),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("idx_fx_faxes_fx_te_id", "fx_faxes", &["fx_te_id"], false),
    ("uq_fx_faxes_fx_originateid", "fx_faxes", &["fx_originateid"], true),
    ("uq_cp_campaigns_cp_te_id_cp_name", "cp_campaigns", &["cp_te_id", "cp_name"], true),
    ("idx_cp_campaigns_cp_state", "cp_campaigns", &["cp_state"], false),
    ("idx_cn_campaignnumbers_cn_cp_id_cn_state", "cn_campaignnumbers", &["cn_cp_id", "cn_state"], false),
    ("idx_cn_campaignnumbers_cn_node_cn_uniqueid", "cn_campaignnumbers", &["cn_node", "cn_uniqueid"], false),
];

/// Columns added to `dc_dialcalls` (released in `m20261122_000005_cluster`).
fn dial_columns() -> Vec<ColumnDef> {
    vec![int("dc_reason"), s("dc_channel", 80), dtn("dc_updated")]
}

const DIAL_INDEX: C = "idx_dc_dialcalls_dc_node_dc_uniqueid";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        for col in dial_columns() {
            manager
                .alter_table(Table::alter().table("dc_dialcalls").add_column(col).take())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(DIAL_INDEX)
                    .table("dc_dialcalls")
                    .col("dc_node")
                    .col("dc_uniqueid")
                    .take(),
            )
            .await?;
        crate::kit::create(manager, tables(), INDEXES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::kit::drop(manager, tables()).await?;
        manager
            .drop_index(
                Index::drop()
                    .name(DIAL_INDEX)
                    .table("dc_dialcalls")
                    .to_owned(),
            )
            .await?;
        for col in ["dc_reason", "dc_channel", "dc_updated"] {
            manager
                .alter_table(Table::alter().table("dc_dialcalls").drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
