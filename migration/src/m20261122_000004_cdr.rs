//! Call records: CDRs, the simple call history, Asterisk's queue_log, recordings and CDR
//! templates. Column kinds follow the foundation migration.
//!
//! Index choices (one tenant's month among millions of rows stays an index range scan):
//! `cdr (te_id, start)` serves tenant exports, `cdr (start)` the all-tenant ones (`tenant=%`),
//! `cdr (uniqueid, node, start, dstchannel)` is the identity of a call leg (see `src/cdr/mod.rs`)
//! and serves lookups by uniqueid, `cdr (originateid)` the DIAL id lookups.

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        ("cdr", vec![
            id("ID"), int("te_id"), dt("start"), dtn("answer"), dtn("end"), s("clid", 80),
            s("src", 80), s("dst", 80), s("realsrc", 80), s("firstdst", 80), s("lastdst", 80),
            s("dcontext", 80), s("channel", 100), s("dstchannel", 100), s("lastapp", 80),
            s("lastdata", 255), int("duration"), int("billsec"), s("disposition", 45),
            s("amaflags", 20), s("accountcode", 80), s("userfield", 255), s("uniqueid", 64),
            s("linkedid", 64), s("peeraccount", 80), s("originateid", 64), s("wherelanded", 80),
            s("direction", 8), s("node", 40),
        ]),
        ("sc_simplecdrs", vec![
            id("sc_id"), int("sc_te_id"), dt("sc_start"), s("sc_direction", 8),
            s("sc_calleridnum", 80), s("sc_calleridname", 80), s("sc_dialednum", 80),
            s("sc_disposition", 45), int("sc_duration"), int("sc_billsec"), s("sc_uniqueid", 64),
            s("sc_whoanswered", 80), int("sc_cdr_id"),
        ]),
        ("queue_log", vec![
            id("id"), int("te_id"), dt("time"), s("callid", 64), s("queuename", 64), int("qu_id"),
            s("agent", 80), s("event", 32), s("data1", 100), s("data2", 100), s("data3", 100),
            s("data4", 100), s("data5", 100), s("node", 40), s("linekey", 64),
        ]),
        ("re_recordings", vec![
            id("re_id"), int("re_te_id"), s("re_uniqueid", 64), dt("re_date"), s("re_name", 255),
            s("re_format", 10), int("re_size"),
        ]),
        ("tp_cdrtemplates", vec![
            id("tp_id"), int("tp_te_id"), s("tp_name", 80), txt("tp_template"), txt("tp_compiled"),
        ]),
        ("gt_cdrtemplates", vec![
            id("gt_id"), s("gt_name", 80), txt("gt_template"), txt("gt_compiled"),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("idx_cdr_te_id_start", "cdr", &["te_id", "start"], false),
    ("idx_cdr_start", "cdr", &["start"], false),
    ("uq_cdr_leg", "cdr", &["uniqueid", "node", "start", "dstchannel"], true),
    ("idx_cdr_originateid", "cdr", &["originateid"], false),
    ("idx_sc_simplecdrs_sc_te_id_sc_start", "sc_simplecdrs", &["sc_te_id", "sc_start"], false),
    ("idx_sc_simplecdrs_sc_start", "sc_simplecdrs", &["sc_start"], false),
    ("idx_sc_simplecdrs_sc_uniqueid", "sc_simplecdrs", &["sc_uniqueid"], false),
    ("uq_sc_simplecdrs_sc_cdr_id", "sc_simplecdrs", &["sc_cdr_id"], true),
    ("idx_queue_log_te_id_time", "queue_log", &["te_id", "time"], false),
    ("idx_queue_log_time", "queue_log", &["time"], false),
    ("idx_queue_log_callid", "queue_log", &["callid"], false),
    ("uq_queue_log_linekey", "queue_log", &["linekey"], true),
    ("idx_re_recordings_re_te_id_re_date", "re_recordings", &["re_te_id", "re_date"], false),
    ("idx_re_recordings_re_uniqueid", "re_recordings", &["re_uniqueid"], false),
    ("uq_re_recordings_re_name", "re_recordings", &["re_name"], true),
    ("uq_tp_cdrtemplates_tp_te_id_tp_name", "tp_cdrtemplates", &["tp_te_id", "tp_name"], true),
    ("uq_gt_cdrtemplates_gt_name", "gt_cdrtemplates", &["gt_name"], true),
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
