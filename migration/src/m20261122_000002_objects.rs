//! The remaining PBX objects: IVRs, conditions and their week-time rows, queues (+ realtime
//! `queues`), providers, routing profiles and routes, custom types, phones and phone models,
//! media files (content-addressed store), hunt-list members, conferences (+ realtime `meetme`),
//! music on hold and the caller-id blacklist.
//!
//! Column kinds as in the foundation migration. Columns added to foundation tables are
//! NOT NULL with a default (or nullable), one ALTER statement each (SQLite takes one at a time).

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// New tables in creation order (dropped in reverse).
#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        ("ce_conditionextendedinfos", vec![
            id("ce_id"), te("ce_te_id"), int("ce_co_id"), int("ce_ord"), s("ce_param1", 255),
            s("ce_param2", 255), s("ce_param3", 255), s("ce_param4", 255),
        ]),
        // Asterisk realtime queue (app_queue), keyed by the qu_id of its qu_queues row.
        ("queues", vec![
            pks("name", 40), sn("musiconhold", 80), sn("context", 80), intn("timeout"),
            sn("strategy", 20), intn("retry"), intn("wrapuptime"), intn("maxlen"),
            sn("joinempty", 80), sn("leavewhenempty", 80), sn("ringinuse", 3),
        ]),
        // Asterisk realtime conference (app_meetme), keyed by `<cr_number>-<TENANT>`.
        ("meetme", vec![
            id("bookid"), s("confno", 80), sn("pin", 20), sn("adminpin", 20), sn("opts", 40),
            sn("adminopts", 40), intn("maxusers"), int("members"),
        ]),
        ("pr_providers", vec![
            id("pr_id"), s("pr_peername", 40), s("pr_name", 100), s("pr_tech", 10),
            s("pr_userealtime", 3), s("pr_host", 255), int("pr_port"), s("pr_allow", 200),
            s("pr_username", 80), s("pr_fromdomain", 255), int("pr_maxchannels"),
        ]),
        ("rp_routingprofiles", vec![
            id("rp_id"), s("rp_name", 100), s("rp_type", 10), s("rp_description", 255),
        ]),
        ("dl_routes", vec![
            id("dl_id"), int("dl_rp_id"), s("dl_name", 100), s("dl_regex", 255), int("dl_pr_id"),
            int("dl_ord"), s("dl_emergencyroute", 3), s("dl_usepin", 3), int("dl_strip"),
            s("dl_prepend", 20),
        ]),
        ("ct_customtypes", vec![id("ct_id"), s("ct_name", 100), s("ct_description", 255)]),
        ("pm_phonemodels", vec![id("pm_id"), s("pm_vendor", 100), s("pm_name", 100)]),
        ("ph_phones", vec![
            id("ph_id"), te("ph_te_id"), s("ph_name", 100), s("ph_mac", 12), intn("ph_pm_id"),
            intn("ph_ex_id"), s("ph_description", 255), s("ph_active", 3),
        ]),
        ("hm_huntlistmembers", vec![
            id("hm_id"), te("hm_te_id"), int("hm_hu_id"), s("hm_type", 32), s("hm_type_id", 64),
            int("hm_ord"),
        ]),
        ("mu_musiconhold", vec![
            id("mu_id"), te("mu_te_id"), s("mu_name", 80), s("mu_mode", 20), s("mu_directory", 255),
            s("mu_random", 3), s("mu_description", 255),
        ]),
        ("bl_calleridblacklist", vec![
            id("bl_id"), te("bl_te_id"), s("bl_number", 40), s("bl_description", 255),
        ]),
        // Stored media whose last row may have gone: checked and removed after the commit.
        ("mg_mediagarbage", vec![id("mg_id"), s("mg_sha256", 64)]),
    ]
}

/// Columns added to foundation tables.
#[rustfmt::skip]
fn added() -> Vec<(C, ColumnDef)> {
    let mut cols = vec![
        ("iv_ivrs", int("iv_maxretries")),
        ("iv_ivrs", s("iv_directdial", 3)),
        ("qu_queues", s("qu_strategy", 20)),
        ("cr_conferencerooms", s("cr_pin", 20)),
        ("cr_conferencerooms", s("cr_adminpin", 20)),
        ("cr_conferencerooms", int("cr_maxusers")),
        ("me_mediafiles", s("me_sha256", 64)),
    ];
    for name in CUSTOM_PARAMS {
        cols.push(("cu_customs", s(name, 255)));
    }
    cols
}

const CUSTOM_PARAMS: [C; 16] = [
    "cu_param5",
    "cu_param6",
    "cu_param7",
    "cu_param8",
    "cu_param9",
    "cu_param10",
    "cu_param11",
    "cu_param12",
    "cu_param13",
    "cu_param14",
    "cu_param15",
    "cu_param16",
    "cu_param17",
    "cu_param18",
    "cu_param19",
    "cu_param20",
];

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("idx_ce_conditionextendedinfos_ce_co_id", "ce_conditionextendedinfos", &["ce_co_id"], false),
    ("idx_ce_conditionextendedinfos_ce_te_id", "ce_conditionextendedinfos", &["ce_te_id"], false),
    ("uq_meetme_confno", "meetme", &["confno"], true),
    ("uq_pr_providers_pr_peername", "pr_providers", &["pr_peername"], true),
    ("uq_rp_routingprofiles_rp_name", "rp_routingprofiles", &["rp_name"], true),
    ("idx_dl_routes_dl_rp_id", "dl_routes", &["dl_rp_id"], false),
    ("idx_dl_routes_dl_pr_id", "dl_routes", &["dl_pr_id"], false),
    ("uq_ct_customtypes_ct_name", "ct_customtypes", &["ct_name"], true),
    ("uq_pm_phonemodels_pm_vendor_pm_name", "pm_phonemodels", &["pm_vendor", "pm_name"], true),
    ("uq_ph_phones_ph_mac", "ph_phones", &["ph_mac"], true),
    ("idx_ph_phones_ph_te_id", "ph_phones", &["ph_te_id"], false),
    ("idx_hm_huntlistmembers_hm_hu_id", "hm_huntlistmembers", &["hm_hu_id"], false),
    ("idx_hm_huntlistmembers_hm_te_id", "hm_huntlistmembers", &["hm_te_id"], false),
    ("idx_hm_huntlistmembers_hm_type_hm_type_id", "hm_huntlistmembers", &["hm_type", "hm_type_id"], false),
    ("uq_mu_musiconhold_mu_te_id_mu_name", "mu_musiconhold", &["mu_te_id", "mu_name"], true),
    ("uq_bl_calleridblacklist_bl_te_id_bl_number", "bl_calleridblacklist", &["bl_te_id", "bl_number"], true),
    ("idx_mg_mediagarbage_mg_sha256", "mg_mediagarbage", &["mg_sha256"], false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Columns on foundation tables first: the new indexes may use them.
        for (table, col) in added() {
            manager
                .alter_table(Table::alter().table(table).add_column(col).take())
                .await?;
        }
        crate::kit::create(manager, tables(), INDEXES).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in added().into_iter().rev() {
            let name = col.get_column_name();
            manager
                .alter_table(Table::alter().table(table).drop_column(name).take())
                .await?;
        }
        crate::kit::drop(manager, tables()).await?;
        Ok(())
    }
}
