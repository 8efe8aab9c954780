//! Toll-fraud guards of outbound calls.
//!
//! - `dk_destclasses`: destination classes as data: a canonical (E.164, no `+`) number prefix
//!   and its class (`PREMIUM`, `SATELLITE`, `INTERNATIONAL` for numbers abroad that share the
//!   caller's country code, e.g. the Caribbean in NANP), or `EMERGENCY` for a plan's emergency
//!   number (matched whole, as dialled). Seeded for the plans the README documents; admins
//!   edit it with MANAGEDB `destclass`.
//! - `cs_callslots`: one row per outbound call allowed, counted for the concurrency and
//!   per-hour/day limits across instances; `cs_ended` is set when the hang-up reaches the
//!   service, `cs_expires` frees the slot of a call whose hang-up was lost.
//! - `cl_slotlocks`: one row per tenant or provider, updated first in a decision's
//!   transaction so decisions of one tenant take turns on every database.
//! - `fe_fraudevents`: refused outbound calls (class or limit), for the operator.

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        (
            "dk_destclasses",
            vec![
                id("dk_id"),
                s("dk_prefix", 32),
                s("dk_class", 16),
                s("dk_plan", 8),
                s("dk_name", 100),
            ],
        ),
        (
            "cs_callslots",
            vec![
                id("cs_id"),
                te("cs_te_id"),
                intn("cs_ex_id"),
                intn("cs_pr_id"),
                s("cs_uniqueid", 64),
                dt("cs_started"),
                dt("cs_expires"),
                dtn("cs_ended"),
            ],
        ),
        ("cl_slotlocks", vec![pks("cl_key", 40), int("cl_seq")]),
        (
            "fe_fraudevents",
            vec![
                id("fe_id"),
                te("fe_te_id"),
                s("fe_extension", 40),
                s("fe_number", 40),
                s("fe_cause", 40),
                s("fe_reason", 255),
                dt("fe_at"),
            ],
        ),
    ]
}

const INDEXES: &[IndexDef] = &[
    (
        "idx_dk_destclasses_prefix",
        "dk_destclasses",
        &["dk_prefix"],
        true,
    ),
    (
        "idx_cs_callslots_te_started",
        "cs_callslots",
        &["cs_te_id", "cs_started"],
        false,
    ),
    (
        "idx_cs_callslots_pr",
        "cs_callslots",
        &["cs_pr_id", "cs_expires"],
        false,
    ),
    (
        "idx_cs_callslots_uniqueid",
        "cs_callslots",
        &["cs_uniqueid"],
        false,
    ),
    (
        "idx_fe_fraudevents_te_at",
        "fe_fraudevents",
        &["fe_te_id", "fe_at"],
        false,
    ),
];

/// (prefix, class, plan, name): the seed. Prefixes are canonical: country code first.
#[rustfmt::skip]
const SEED: &[(&str, &str, &str, &str)] = &[
    // International satellite services (ITU-T E.164 shared codes).
    ("870", "SATELLITE", "INTL", "Inmarsat"),
    ("881", "SATELLITE", "INTL", "Global Mobile Satellite System"),
    ("882", "SATELLITE", "INTL", "International networks"),
    // NANP: premium rate, and the countries abroad that share +1 (classic toll-fraud targets).
    ("1900", "PREMIUM", "NANP", "NANP premium rate"),
    ("1976", "PREMIUM", "NANP", "NANP 976 service"),
    ("1242", "INTERNATIONAL", "NANP", "Bahamas"),
    ("1246", "INTERNATIONAL", "NANP", "Barbados"),
    ("1264", "INTERNATIONAL", "NANP", "Anguilla"),
    ("1268", "INTERNATIONAL", "NANP", "Antigua and Barbuda"),
    ("1284", "INTERNATIONAL", "NANP", "British Virgin Islands"),
    ("1345", "INTERNATIONAL", "NANP", "Cayman Islands"),
    ("1441", "INTERNATIONAL", "NANP", "Bermuda"),
    ("1473", "INTERNATIONAL", "NANP", "Grenada"),
    ("1649", "INTERNATIONAL", "NANP", "Turks and Caicos"),
    ("1664", "INTERNATIONAL", "NANP", "Montserrat"),
    ("1721", "INTERNATIONAL", "NANP", "Sint Maarten"),
    ("1758", "INTERNATIONAL", "NANP", "Saint Lucia"),
    ("1767", "INTERNATIONAL", "NANP", "Dominica"),
    ("1784", "INTERNATIONAL", "NANP", "Saint Vincent and the Grenadines"),
    ("1809", "INTERNATIONAL", "NANP", "Dominican Republic"),
    ("1829", "INTERNATIONAL", "NANP", "Dominican Republic"),
    ("1849", "INTERNATIONAL", "NANP", "Dominican Republic"),
    ("1868", "INTERNATIONAL", "NANP", "Trinidad and Tobago"),
    ("1869", "INTERNATIONAL", "NANP", "Saint Kitts and Nevis"),
    ("1876", "INTERNATIONAL", "NANP", "Jamaica"),
    ("911", "EMERGENCY", "NANP", "Emergency"),
    // UK: premium rate (09), directory enquiries (118), personal numbering (070).
    ("449", "PREMIUM", "UK", "UK premium rate 09"),
    ("44118", "PREMIUM", "UK", "UK directory enquiries 118"),
    ("4470", "PREMIUM", "UK", "UK personal numbering 070"),
    ("999", "EMERGENCY", "UK", "Emergency"),
    // Italy: premium rate (89x), directory and info services (12xx, 4xx).
    ("3989", "PREMIUM", "IT", "IT premium rate 89x"),
    ("39166", "PREMIUM", "IT", "IT premium rate 166"),
    ("39144", "PREMIUM", "IT", "IT premium rate 144"),
    ("3912", "PREMIUM", "IT", "IT directory services 12xx"),
    ("113", "EMERGENCY", "IT", "Polizia"),
    ("115", "EMERGENCY", "IT", "Vigili del Fuoco"),
    ("118", "EMERGENCY", "IT", "Emergenza sanitaria"),
    // Germany: premium rate (0900), mass calling (0137), directory enquiries (118xx).
    ("49900", "PREMIUM", "DE", "DE premium rate 0900"),
    ("49137", "PREMIUM", "DE", "DE mass calling 0137"),
    ("49118", "PREMIUM", "DE", "DE directory enquiries 118"),
    ("110", "EMERGENCY", "DE", "Polizei"),
    // The European emergency number, everywhere.
    ("112", "EMERGENCY", "INTL", "Emergency (112)"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(manager, tables(), INDEXES).await?;
        let mut ins = Query::insert();
        ins.into_table("dk_destclasses")
            .columns(["dk_prefix", "dk_class", "dk_plan", "dk_name"]);
        for &(prefix, class, plan, name) in SEED {
            ins.values_panic([prefix.into(), class.into(), plan.into(), name.into()]);
        }
        manager.exec_stmt(ins).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, tables()).await
    }
}
