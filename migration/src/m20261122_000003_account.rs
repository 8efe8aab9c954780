//! Account-level schema: settings, the balance ledger, auth tokens, voicemail messages and
//! phonebooks. Column kinds as in the foundation migration (`s` = varchar NOT NULL DEFAULT '',
//! `int` = integer NOT NULL DEFAULT 0, …).

use crate::kit::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[rustfmt::skip]
fn tables() -> Vec<(C, Vec<ColumnDef>)> {
    vec![
        // SETTING values; st_te_id 0 holds the global value (admin).
        ("st_settings", vec![
            id("st_id"), int("st_te_id"), s("st_code", 64), txt("st_value"), dt("st_updated"),
        ]),
        // Every change of te_tenants.te_balance, written in the same transaction.
        ("bt_balancetransactions", vec![
            id("bt_id"), te("bt_te_id"), dbl("bt_amount"), dbl("bt_balance"),
            s("bt_description", 255), intn("bt_ak_id"), dt("bt_created"),
        ]),
        // AUTHTOKEN: only the SHA-256 of a token is kept. at_kind 'ex' (extension) or 'us' (user).
        ("at_authtokens", vec![
            id("at_id"), te("at_te_id"), s("at_kind", 2), int("at_owner_id"), s("at_hash", 64),
            flag("at_once"), dtn("at_expires"), dtn("at_used"), dt("at_created"),
        ]),
        // Asterisk voicemail messages; the audio is a file under the data directory
        // (`recording` is its path relative to the voicemail spool).
        ("voicemail_messages", vec![
            id("id"), te("te_id"), s("mailboxuser", 80), s("mailboxcontext", 80), s("dir", 20),
            int("msgnum"), s("msg_id", 40), s("callerid", 120), s("origtime", 20), int("duration"),
            s("flag", 20), s("recording", 255), s("format", 10), int("size"),
        ]),
        ("pb_phonebooks", vec![id("pb_id"), te("pb_te_id"), s("pb_name", 100)]),
        ("pi_phonebookitems", vec![id("pi_id"), s("pi_code", 20), s("pi_name", 80)]),
        ("pe_phonebookentries", vec![id("pe_id"), te("pe_te_id"), int("pe_pb_id")]),
        ("pd_phonebookdetails", vec![
            id("pd_id"), te("pd_te_id"), int("pd_pe_id"), int("pd_pi_id"), s("pd_pi_value", 190),
        ]),
        ("pp_phonephonebooks", vec![
            id("pp_id"), te("pp_te_id"), s("pp_name", 100), int("pp_pb_id"), s("pp_description", 255),
        ]),
    ]
}

#[rustfmt::skip]
const INDEXES: &[IndexDef] = &[
    ("uq_st_settings_st_te_id_st_code", "st_settings", &["st_te_id", "st_code"], true),
    ("idx_bt_balancetransactions_bt_te_id", "bt_balancetransactions", &["bt_te_id"], false),
    ("uq_at_authtokens_at_hash", "at_authtokens", &["at_hash"], true),
    ("idx_at_authtokens_at_te_id", "at_authtokens", &["at_te_id"], false),
    ("uq_voicemail_messages_box_msg_id", "voicemail_messages", &["mailboxcontext", "mailboxuser", "msg_id"], true),
    ("idx_voicemail_messages_te_id", "voicemail_messages", &["te_id"], false),
    ("uq_pb_phonebooks_pb_te_id_pb_name", "pb_phonebooks", &["pb_te_id", "pb_name"], true),
    ("uq_pi_phonebookitems_pi_code", "pi_phonebookitems", &["pi_code"], true),
    ("idx_pe_phonebookentries_pe_te_id_pe_pb_id", "pe_phonebookentries", &["pe_te_id", "pe_pb_id"], false),
    ("idx_pd_phonebookdetails_pd_pe_id", "pd_phonebookdetails", &["pd_pe_id"], false),
    ("idx_pd_phonebookdetails_pd_te_id", "pd_phonebookdetails", &["pd_te_id"], false),
    ("idx_pd_phonebookdetails_pd_pi_id_value", "pd_phonebookdetails", &["pd_pi_id", "pd_pi_value"], false),
    ("idx_pp_phonephonebooks_pp_te_id", "pp_phonephonebooks", &["pp_te_id"], false),
];

/// The fields a phonebook entry may carry (PHONEBOOK add keys).
#[rustfmt::skip]
const PHONEBOOK_ITEMS: &[(C, C)] = &[
    ("NAME", "Name"), ("COMPANY", "Company"), ("PHONE1", "Phone 1"), ("PHONE2", "Phone 2"),
    ("PHONE3", "Phone 3"), ("MOBILE", "Mobile"), ("FAX", "Fax"), ("EMAIL", "E-mail"),
    ("ADDRESS", "Address"), ("NOTES", "Notes"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::kit::create(manager, tables(), INDEXES).await?;
        let mut seed = Query::insert();
        seed.into_table("pi_phonebookitems")
            .columns(["pi_code", "pi_name"]);
        for &(code, name) in PHONEBOOK_ITEMS {
            seed.values_panic([code.into(), name.into()]);
        }
        manager.exec_stmt(seed).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::kit::drop(manager, tables()).await?;
        Ok(())
    }
}
