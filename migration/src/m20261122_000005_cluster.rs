//! The cluster: Asterisk nodes, tenant pinning, the outbox of node actions and its per-node
//! deliveries, and the ids of calls placed with DIAL.
//!
//! `no_secret` is stored as given: AMI's MD5 challenge login needs the plain secret, so it
//! cannot be hashed. It is never returned by any read and never logged.

use crate::kit::*;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    let s = |c: C, n: u32| string_len(c, n).default("").take();
    let int = |c: C| integer(c).default(0).take();
    vec![
        ("no_nodes", vec![
            pk_auto("no_id"), s("no_name", 40), s("no_host", 255), int("no_port"),
            s("no_username", 80), s("no_secret", 255), boolean("no_enabled").default(true).take(),
            s("no_systemname", 80), s("no_version", 80), date_time("no_created"),
        ]),
        // A tenant with rows here is pinned to those nodes; a tenant without rows uses all.
        ("tn_tenantnodes", vec![pk_auto("tn_id"), integer("tn_te_id"), integer("tn_no_id")]),
        // One node action caused by a write; `ob_key` names what it refreshes (for coalescing).
        ("ob_outbox", vec![
            pk_auto("ob_id"), integer_null("ob_te_id"), s("ob_key", 190), s("ob_action", 60),
            text("ob_headers"), date_time("ob_created"),
        ]),
        // The delivery of one action to one node: pending, done or failed.
        ("od_deliveries", vec![
            pk_auto("od_id"), integer("od_ob_id"), integer("od_no_id"), s("od_state", 10),
            int("od_attempts"), s("od_message", 255), date_time_null("od_updated"),
        ]),
        // Calls placed with DIAL: the id returned to the client finds the call later.
        ("dc_dialcalls", vec![
            pk_auto("dc_id"), s("dc_originateid", 64), integer("dc_te_id"), s("dc_node", 40),
            s("dc_source", 80), s("dc_dest", 80), s("dc_uniqueid", 80), s("dc_state", 20),
            date_time("dc_created"),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("uq_no_nodes_no_name", "no_nodes", &["no_name"], true),
    ("uq_tn_tenantnodes_tn_te_id_tn_no_id", "tn_tenantnodes", &["tn_te_id", "tn_no_id"], true),
    ("idx_od_deliveries_od_no_id_od_state_od_id", "od_deliveries", &["od_no_id", "od_state", "od_id"], false),
    ("idx_od_deliveries_od_ob_id", "od_deliveries", &["od_ob_id"], false),
    ("uq_dc_dialcalls_dc_originateid", "dc_dialcalls", &["dc_originateid"], true),
    ("idx_dc_dialcalls_dc_te_id", "dc_dialcalls", &["dc_te_id"], false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::kit::create(manager, tables(), INDEXES).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::kit::drop(manager, tables()).await?;
        Ok(())
    }
}
