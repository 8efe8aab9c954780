//! The realtime tables carry every column of Asterisk 22's own schema (its alembic scripts in
//! `contrib/ast-db-manage/config/versions/`), so nothing Asterisk selects is missing and an
//! operator can set any option of a phone or a trunk: the missing columns of `ps_endpoints`,
//! `ps_auths`, `ps_aors`, `queues` and `voicemail_users`, and the tables `ps_endpoint_id_ips`
//! (a trunk identified by its address), `ps_registrations` (a trunk's outbound registration) and
//! `queue_members`. All new columns are nullable with Asterisk's widths; Asterisk's ENUM types
//! are varchars as wide as their longest value (the realtime drivers read text). Ids widen to
//! Asterisk's 255 (a generated `<number>-<TENANT>` can pass 40). Columns Switchboard already made
//! wider than Asterisk's (`callerid`, `mailboxes`) stay wider. `ps_contacts` is not created:
//! contacts stay in each node's AstDB (see the README, "Nodes").
//!
//! SQLite has no `ALTER COLUMN` and ignores varchar widths, so the widening is skipped there; it
//! also takes one column per `ALTER TABLE`.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn dbln(c: C) -> ColumnDef {
    double_null(c)
}

/// Columns added to existing tables, in Asterisk's order.
#[rustfmt::skip]
fn added() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        ("ps_endpoints", vec![
            sn("connected_line_method", 8), sn("direct_media_method", 8),
            sn("direct_media_glare_mitigation", 8), sn("disable_direct_media_on_nat", 5),
            sn("external_media_address", 40), sn("force_rport", 5), sn("ice_support", 5),
            sn("identify_by", 80), sn("moh_suggest", 40), sn("outbound_auth", 255),
            sn("outbound_proxy", 255), sn("rewrite_contact", 5), sn("rtp_ipv6", 5),
            sn("rtp_symmetric", 5), sn("send_diversion", 5), sn("send_pai", 5), sn("send_rpid", 5),
            intn("timers_min_se"), sn("timers", 8), intn("timers_sess_expires"),
            sn("callerid_privacy", 23), sn("callerid_tag", 40), sn("100rel", 14),
            sn("aggregate_mwi", 5), sn("trust_id_inbound", 5), sn("trust_id_outbound", 5),
            sn("use_ptime", 5), sn("use_avpf", 5), sn("media_encryption", 4),
            sn("inband_progress", 5), sn("call_group", 40), sn("pickup_group", 40),
            intn("device_state_busy_at"), sn("fax_detect", 5), sn("t38_udptl", 5),
            sn("t38_udptl_ec", 10), intn("t38_udptl_maxdatagram"), sn("t38_udptl_nat", 5),
            sn("t38_udptl_ipv6", 5), sn("tone_zone", 40), sn("language", 40),
            sn("one_touch_recording", 5), sn("record_on_feature", 40), sn("record_off_feature", 40),
            sn("rtp_engine", 40), sn("allow_transfer", 5), sn("allow_subscribe", 5),
            sn("sdp_owner", 40), sn("sdp_session", 40), sn("tos_audio", 10), sn("tos_video", 10),
            intn("sub_min_expiry"), sn("from_domain", 40), sn("from_user", 40),
            sn("dtls_verify", 40), sn("dtls_rekey", 40), sn("dtls_cert_file", 200),
            sn("dtls_private_key", 200), sn("dtls_cipher", 200), sn("dtls_ca_file", 200),
            sn("dtls_ca_path", 200), sn("dtls_setup", 7), sn("srtp_tag_32", 5),
            sn("media_address", 40), sn("redirect_method", 9), txt("set_var"),
            sn("mwi_from_user", 40), intn("cos_audio"), intn("cos_video"),
            sn("message_context", 40), sn("force_avp", 5), sn("media_use_received_transport", 5),
            sn("accountcode", 80), sn("user_eq_phone", 5), sn("moh_passthrough", 5),
            sn("media_encryption_optimistic", 5), sn("rpid_immediate", 5),
            sn("g726_non_standard", 5), intn("rtp_keepalive"), intn("rtp_timeout"),
            intn("rtp_timeout_hold"), sn("bind_rtp_to_media_address", 5),
            sn("voicemail_extension", 40), sn("mwi_subscribe_replaces_unsolicited", 5),
            sn("deny", 95), sn("permit", 95), sn("acl", 40), sn("contact_deny", 95),
            sn("contact_permit", 95), sn("contact_acl", 40), sn("subscribe_context", 40),
            intn("fax_detect_timeout"), sn("contact_user", 80), sn("preferred_codec_only", 5),
            sn("asymmetric_rtp_codec", 5), sn("rtcp_mux", 5), sn("allow_overlap", 5),
            sn("refer_blind_progress", 5), sn("notify_early_inuse_ringing", 5),
            intn("max_audio_streams"), intn("max_video_streams"), sn("webrtc", 5),
            sn("dtls_fingerprint", 7), sn("incoming_mwi_mailbox", 40), sn("bundle", 5),
            sn("dtls_auto_generate_cert", 5), sn("follow_early_media_fork", 5),
            sn("accept_multiple_sdp_answers", 5), sn("suppress_q850_reason_headers", 5),
            sn("trust_connected_line", 5), sn("send_connected_line", 5),
            sn("ignore_183_without_sdp", 5), sn("codec_prefs_incoming_offer", 128),
            sn("codec_prefs_outgoing_offer", 128), sn("codec_prefs_incoming_answer", 128),
            sn("codec_prefs_outgoing_answer", 128), sn("stir_shaken", 5),
            sn("send_history_info", 5), sn("allow_unauthenticated_options", 5),
            sn("t38_bind_udptl_to_media_address", 5), sn("geoloc_incoming_call_profile", 80),
            sn("geoloc_outgoing_call_profile", 80), sn("incoming_call_offer_pref", 12),
            sn("outgoing_call_offer_pref", 12), sn("stir_shaken_profile", 80),
            sn("security_negotiation", 8), sn("security_mechanisms", 512), sn("send_aoc", 5),
            sn("overlap_context", 80), sn("tenantid", 80), sn("suppress_moh_on_sendonly", 5),
            sn("follow_redirect_methods", 95), intn("rtp_port_start"), intn("rtp_port_end"),
        ]),
        ("ps_auths", vec![
            intn("nonce_lifetime"), sn("md5_cred", 40), sn("refresh_token", 255),
            sn("oauth_clientid", 255), sn("oauth_secret", 255), sn("password_digest", 1024),
            sn("supported_algorithms_uas", 1024), sn("supported_algorithms_uac", 1024),
        ]),
        ("ps_aors", vec![
            intn("default_expiration"), intn("minimum_expiration"), sn("authenticate_qualify", 5),
            intn("maximum_expiration"), sn("outbound_proxy", 255), sn("support_path", 5),
            dbln("qualify_timeout"), sn("voicemail_extension", 40), sn("remove_unavailable", 5),
            sn("qualify_2xx_only", 5),
        ]),
        ("queues", vec![
            sn("announce", 128), sn("setinterfacevar", 3), sn("setqueuevar", 3),
            sn("setqueueentryvar", 3), sn("monitor_format", 8), sn("membermacro", 512),
            sn("membergosub", 512), sn("queue_youarenext", 128), sn("queue_thereare", 128),
            sn("queue_callswaiting", 128), sn("queue_quantity1", 128), sn("queue_quantity2", 128),
            sn("queue_holdtime", 128), sn("queue_minutes", 128), sn("queue_minute", 128),
            sn("queue_seconds", 128), sn("queue_thankyou", 128), sn("queue_callerannounce", 128),
            sn("queue_reporthold", 128), intn("announce_frequency"),
            sn("announce_to_first_user", 3), intn("min_announce_frequency"),
            intn("announce_round_seconds"), sn("announce_holdtime", 128),
            sn("announce_position", 128), intn("announce_position_limit"),
            sn("periodic_announce", 50), intn("periodic_announce_frequency"),
            sn("relative_periodic_announce", 3), sn("random_periodic_announce", 3),
            intn("penaltymemberslimit"), sn("autofill", 3), sn("monitor_type", 128),
            sn("autopause", 3), intn("autopausedelay"), sn("autopausebusy", 3),
            sn("autopauseunavail", 3), intn("servicelevel"), sn("reportholdtime", 3),
            intn("memberdelay"), intn("weight"), sn("timeoutrestart", 3), sn("defaultrule", 128),
            sn("timeoutpriority", 128), sn("log_restricted_caller_id", 5),
        ]),
        ("voicemail_users", vec![
            sn("alias", 80), sn("pager", 80), sn("attachfmt", 10), sn("serveremail", 80),
            sn("language", 20), sn("tz", 30), sn("deletevoicemail", 3), sn("saycid", 3),
            sn("sendvoicemail", 3), sn("review", 3), sn("tempgreetwarn", 3), sn("operator", 3),
            sn("envelope", 3), intn("sayduration"), sn("forcename", 3), sn("forcegreetings", 3),
            sn("callback", 80), sn("dialout", 80), sn("exitcontext", 80), intn("maxmsg"),
            dbln("volgain"), sn("imapuser", 80), sn("imappassword", 80), sn("imapserver", 80),
            sn("imapport", 8), sn("imapflags", 80), dtn("stamp"),
        ]),
    ]
}

/// Providers as trunks: whether the trunk registers, and the addresses it is identified by.
fn provider_columns() -> Vec<ColumnDef> {
    vec![s("pr_register", 3), s("pr_match", 255)]
}

/// Tables created.
#[rustfmt::skip]
fn created() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        ("ps_endpoint_id_ips", vec![
            pks("id", 255), sn("endpoint", 255), sn("match", 80), sn("srv_lookups", 5),
            sn("match_header", 255), sn("match_request_uri", 255),
        ]),
        ("ps_registrations", vec![
            pks("id", 255), sn("auth_rejection_permanent", 5), sn("client_uri", 255),
            sn("contact_user", 40), intn("expiration"), intn("max_retries"),
            sn("outbound_auth", 255), sn("outbound_proxy", 255), intn("retry_interval"),
            intn("forbidden_retry_interval"), sn("server_uri", 255), sn("transport", 40),
            sn("support_path", 5), intn("fatal_retry_interval"), sn("line", 5), sn("endpoint", 255),
            sn("support_outbound", 5), sn("contact_header_params", 255),
            intn("max_random_initial_delay"), sn("security_negotiation", 8),
            sn("security_mechanisms", 512), sn("user_agent", 255),
        ]),
        // Asterisk's key is (queue_name, interface), `uniqueid` its auto-increment: here the
        // other way round (entities want one key), with the pair unique.
        ("queue_members", vec![
            s("queue_name", 80), s("interface", 80), sn("membername", 80),
            sn("state_interface", 80), intn("penalty"), intn("paused"), id("uniqueid"),
            intn("wrapuptime"), sn("ringinuse", 5), sn("reason_paused", 80),
        ]),
    ]
}

const INDEXES: &[IndexDef] = &[
    (
        "idx_ps_endpoint_id_ips_endpoint",
        "ps_endpoint_id_ips",
        &["endpoint"],
        false,
    ),
    (
        "idx_ps_registrations_endpoint",
        "ps_registrations",
        &["endpoint"],
        false,
    ),
    (
        "uq_queue_members_queue_interface",
        "queue_members",
        &["queue_name", "interface"],
        true,
    ),
];

/// (table, column, Asterisk's width, the width before, not null): varchars widened.
#[rustfmt::skip]
const WIDENED: &[(C, C, u32, u32, bool)] = &[
    ("ps_endpoints", "id", 255, 40, true),
    ("ps_endpoints", "aors", 2048, 200, false),
    ("ps_endpoints", "auth", 255, 40, false),
    ("ps_endpoints", "direct_media", 5, 3, false),
    ("ps_auths", "id", 255, 40, true),
    ("ps_auths", "realm", 255, 40, false),
    // Asterisk's is 40; a device authenticates with its name, which can reach 41.
    ("ps_auths", "username", 255, 40, false),
    ("ps_aors", "id", 255, 40, true),
    ("ps_aors", "remove_existing", 5, 3, false),
    ("queues", "name", 128, 40, true),
    ("queues", "musiconhold", 128, 80, false),
    ("queues", "context", 128, 80, false),
    ("queues", "joinempty", 128, 80, false),
    ("queues", "leavewhenempty", 128, 80, false),
];

/// Add (or drop) columns: one `ALTER TABLE` per table, per column on SQLite (which takes one
/// change at a time).
async fn alter_each(
    manager: &SchemaManager<'_>,
    table: C,
    cols: Vec<ColumnDef>,
    add: bool,
) -> Result<(), DbErr> {
    let sqlite = manager.get_database_backend() == DatabaseBackend::Sqlite;
    let mut stmt = Table::alter().table(table).take();
    let mut pending = false;
    for mut col in cols {
        if add {
            stmt.add_column(&mut col);
        } else {
            stmt.drop_column(col.get_column_name());
        }
        pending = true;
        if sqlite {
            manager.alter_table(stmt).await?;
            stmt = Table::alter().table(table).take();
            pending = false;
        }
    }
    if pending {
        manager.alter_table(stmt).await?;
    }
    Ok(())
}

async fn widen(manager: &SchemaManager<'_>, up: bool) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::Sqlite {
        return Ok(());
    }
    for &(table, col, wide, narrow, not_null) in WIDENED {
        let mut def = ColumnDef::new(col);
        def.string_len(if up { wide } else { narrow });
        if not_null {
            def.not_null();
        } else {
            def.null();
        }
        manager
            .alter_table(Table::alter().table(table).modify_column(def).take())
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, cols) in added() {
            alter_each(manager, table, cols, true).await?;
        }
        alter_each(manager, "pr_providers", provider_columns(), true).await?;
        widen(manager, true).await?;
        create(manager, created(), INDEXES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, created()).await?;
        widen(manager, false).await?;
        alter_each(manager, "pr_providers", provider_columns(), false).await?;
        for (table, cols) in added() {
            alter_each(manager, table, cols, false).await?;
        }
        Ok(())
    }
}
