//! Foundation schema: tenants, users, API keys, PBX objects and the Asterisk realtime tables.
//!
//! Column kinds (the matching Rust types in the `entity` crate are given in brackets):
//! `id` auto-increment integer PK [i32], `int` integer NOT NULL DEFAULT 0 [i32],
//! `te` tenant reference, integer NOT NULL without default [i32], `intn` [Option<i32>],
//! `s` varchar NOT NULL DEFAULT '' [String], `sn` [Option<String>], `txt` nullable text
//! [Option<String>], `dt` datetime NOT NULL [NaiveDateTime], `dtn` [Option<NaiveDateTime>],
//! `flag` boolean NOT NULL DEFAULT false [bool], `dbl` double NOT NULL DEFAULT 0 [f64],
//! `pks` varchar PK, not auto-generated [String].
//!
//! No foreign keys: the application enforces relations. Varchar columns used in unique
//! indexes stay well under 191 characters (MySQL utf8mb4 key length).

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order (dropped in reverse).
#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        ("te_tenants", vec![
            id("te_id"), s("te_code", 20), s("te_name", 100), s("te_disabled", 3),
            int("te_maxchannels"), int("te_maxextensions"), int("te_maxdids"), dbl("te_balance"),
            txt("te_cdr_csv_layout"), sn("te_context", 80), dt("te_created"),
        ]),
        ("pk_parkinglots", vec![
            id("pk_id"), te("pk_te_id"), s("pk_name", 40), s("pk_start", 10), s("pk_end", 10),
        ]),
        ("ex_extensions", vec![
            id("ex_id"), te("ex_te_id"), s("ex_number", 20), s("ex_name", 100), s("ex_tech", 10),
            s("ex_username", 80), s("ex_cidnum", 40), s("ex_cidname", 80), s("ex_callallowed", 10),
            s("ex_pickupgroup", 40), s("ex_callgroup", 40), s("ex_dnd", 3), s("ex_voicemail", 3),
            sn("ex_webpassword", 255), dt("ex_created"),
        ]),
        ("di_dids", vec![
            id("di_id"), te("di_te_id"), s("di_country", 8), s("di_area", 16), s("di_number", 32),
            s("di_comment", 255), s("di_recording", 3), s("di_fax", 3), s("di_faxstationid", 40),
            s("di_fax_email", 255), int("di_maxchannels"), s("di_unconditionalstatus", 20),
            s("di_recording_email", 255), s("di_sms_email", 255),
        ]),
        ("de_destinations", vec![
            id("de_id"), te("de_te_id"), s("de_type_src", 32), int("de_type_id_src"),
            s("de_type_dst", 32), s("de_type_id_dst", 64), int("de_ord"),
        ]),
        ("up_userprofiles", vec![id("up_id"), s("up_name", 80)]),
        ("us_users", vec![
            id("us_id"), s("us_username", 80), s("us_password", 255), s("us_name", 100),
            s("us_email", 255), intn("us_up_id"), dt("us_created"),
        ]),
        ("ut_usertenants", vec![id("ut_id"), int("ut_us_id"), te("ut_te_id")]),
        ("ak_apikeys", vec![
            id("ak_id"), s("ak_prefix", 16), s("ak_lookup", 8), s("ak_hash", 255), flag("ak_admin"),
            intn("ak_te_id"), flag("ak_readonly"), s("ak_allow_ips", 1000), dtn("ak_expires"),
            s("ak_description", 255), dt("ak_created"), dtn("ak_last_used"), dtn("ak_revoked"),
        ]),
        // Asterisk realtime (res_pjsip / chan_sip): column names are fixed by Asterisk.
        ("ps_endpoints", vec![
            pks("id", 40), sn("transport", 40), sn("aors", 200), sn("auth", 40), sn("context", 40),
            sn("disallow", 200), sn("allow", 200), sn("direct_media", 3), sn("callerid", 120),
            sn("mailboxes", 120), sn("dtmf_mode", 20), sn("named_call_group", 40),
            sn("named_pickup_group", 40),
        ]),
        ("ps_auths", vec![
            pks("id", 40), sn("auth_type", 20), sn("password", 80), sn("username", 40), sn("realm", 40),
        ]),
        ("ps_aors", vec![
            pks("id", 40), intn("max_contacts"), sn("remove_existing", 3), intn("qualify_frequency"),
            sn("mailboxes", 120),
        ]),
        ("sippeers", vec![
            id("id"), s("name", 40), sn("type", 10), sn("secret", 80), sn("host", 40),
            sn("context", 40), sn("callerid", 120), sn("mailbox", 120), sn("disallow", 200),
            sn("allow", 200), sn("nat", 40), sn("defaultuser", 40), sn("ipaddr", 45), intn("port"),
            intn("regseconds"), sn("fullcontact", 255), sn("useragent", 255), intn("lastms"),
            sn("regserver", 40), sn("callgroup", 40), sn("pickupgroup", 40),
        ]),
        // Objects a destination may point at.
        ("iv_ivrs", vec![
            id("iv_id"), te("iv_te_id"), s("iv_name", 100), int("iv_timeout"), intn("iv_me_id"),
        ]),
        ("co_conditions", vec![
            id("co_id"), te("co_te_id"), s("co_name", 100), s("co_type", 20), s("co_timezone", 60),
            s("co_param1", 255), s("co_param2", 255), s("co_param3", 255), s("co_param4", 255),
        ]),
        ("qu_queues", vec![
            id("qu_id"), te("qu_te_id"), s("qu_name", 100), s("qu_number", 20), int("qu_timeout"),
            s("qu_alwaysrecord", 3),
        ]),
        ("voicemail_users", vec![
            id("uniqueid"), int("te_id"), s("context", 80), s("mailbox", 80), s("password", 80),
            s("fullname", 150), s("email", 255), s("attach", 3),
        ]),
        ("hu_huntlists", vec![
            id("hu_id"), te("hu_te_id"), s("hu_number", 20), s("hu_name", 100), s("hu_type", 20),
            int("hu_ringtime"),
        ]),
        ("cr_conferencerooms", vec![
            id("cr_id"), te("cr_te_id"), s("cr_number", 20), s("cr_name", 100),
        ]),
        ("cu_customs", vec![
            id("cu_id"), te("cu_te_id"), s("cu_name", 100), intn("cu_ct_id"), s("cu_param1", 255),
            s("cu_param2", 255), s("cu_param3", 255), s("cu_param4", 255),
        ]),
        ("me_mediafiles", vec![
            id("me_id"), te("me_te_id"), s("me_name", 100), s("me_format", 10), int("me_size"),
            s("me_md5", 32), s("me_moh", 3), s("me_description", 255), dtn("me_datetime"),
        ]),
    ]
}

/// (name, table, columns, unique). A tenant column that leads a composite index needs no index of its own.
#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("uq_te_tenants_te_code", "te_tenants", &["te_code"], true),
    ("idx_pk_parkinglots_pk_te_id", "pk_parkinglots", &["pk_te_id"], false),
    ("uq_ex_extensions_ex_te_id_ex_number", "ex_extensions", &["ex_te_id", "ex_number"], true),
    ("uq_ex_extensions_ex_username", "ex_extensions", &["ex_username"], true),
    ("idx_di_dids_di_te_id", "di_dids", &["di_te_id"], false),
    ("uq_di_dids_di_country_di_area_di_number", "di_dids", &["di_country", "di_area", "di_number"], true),
    ("idx_de_destinations_de_te_id_de_type_src_de_type_id_src", "de_destinations", &["de_te_id", "de_type_src", "de_type_id_src"], false),
    ("uq_us_users_us_username", "us_users", &["us_username"], true),
    ("uq_ut_usertenants_ut_us_id_ut_te_id", "ut_usertenants", &["ut_us_id", "ut_te_id"], true),
    ("idx_ut_usertenants_ut_te_id", "ut_usertenants", &["ut_te_id"], false),
    ("idx_ak_apikeys_ak_lookup", "ak_apikeys", &["ak_lookup"], false),
    ("idx_ak_apikeys_ak_te_id", "ak_apikeys", &["ak_te_id"], false),
    ("uq_sippeers_name", "sippeers", &["name"], true),
    ("idx_iv_ivrs_iv_te_id", "iv_ivrs", &["iv_te_id"], false),
    ("idx_co_conditions_co_te_id", "co_conditions", &["co_te_id"], false),
    ("idx_qu_queues_qu_te_id", "qu_queues", &["qu_te_id"], false),
    ("uq_voicemail_users_context_mailbox", "voicemail_users", &["context", "mailbox"], true),
    ("idx_voicemail_users_te_id", "voicemail_users", &["te_id"], false),
    ("idx_hu_huntlists_hu_te_id", "hu_huntlists", &["hu_te_id"], false),
    ("idx_cr_conferencerooms_cr_te_id", "cr_conferencerooms", &["cr_te_id"], false),
    ("idx_cu_customs_cu_te_id", "cu_customs", &["cu_te_id"], false),
    ("idx_me_mediafiles_me_te_id", "me_mediafiles", &["me_te_id"], false),
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
