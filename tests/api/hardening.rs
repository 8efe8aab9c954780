//! Stored data and outputs under hostile input (issue 14): CSV cells a spreadsheet would
//! evaluate, control characters in stored text, PINs and read-only keys, one DID number with
//! two owners.

use crate::common::*;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::ConnectionTrait;
use serde_json::json;
use switchboard::cdr::import::{import_cdrs, import_cdrs_in, Layout};

/// One cdr_csv line of a call from ACME's extension 103 (uniqueid `n1-1.1`).
const CALL: &str = "\"\",\"103\",\"0039061111\",\"from-internal\",\"\"\"Alice\"\" <103>\",\"PJSIP/103-ACME-00000001\",\"PJSIP/trunk-00000002\",\"Dial\",\"\",\"2026-01-05 09:00:00\",\"2026-01-05 09:00:00\",\"2026-01-05 09:01:05\",65,60,\"ANSWERED\",\"DOCUMENTATION\",\"n1-1.1\",\"\"\n";

async fn one_call(ctx: &Ctx) {
    ctx.ext(&ctx.a, "103", json!({})).await;
    let summary = import_cdrs(
        &ctx.db,
        CALL.as_bytes(),
        "node1",
        &Layout::cdr_csv(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.imported, 1, "{summary}");
}

/// A cdr_csv line of an answered call from ACME's 103 starting at `start` (node time).
fn call_at(uniqueid: &str, start: &str) -> String {
    CALL.replace("n1-1.1", uniqueid)
        .replace("2026-01-05 09:00:00", start)
        .replace("\"2026-01-05 09:01:05\"", &format!("\"{start}\""))
}

/// The records of a CSV body, header first.
fn csv_records(r: &Resp) -> Vec<Vec<String>> {
    assert_eq!(r.content_type, CSV, "{}", r.text());
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(r.body.as_slice())
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The cell of column `name` in every data record.
fn column(records: &[Vec<String>], name: &str) -> Vec<String> {
    let i = records[0]
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", records[0]));
    records[1..].iter().map(|r| r[i].clone()).collect()
}

/// Every character is one XML 1.0 allows.
#[track_caller]
fn assert_xml_chars(body: &str) {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    assert!(
        body.chars().all(allowed),
        "a character XML 1.0 forbids: {body:?}"
    );
}

/// A well-formed XML 1.0 document: every character allowed by XML 1.0 and the markup parses.
#[track_caller]
fn assert_well_formed(body: &str) {
    assert_xml_chars(body);
    let mut reader = quick_xml::Reader::from_str(body);
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => panic!("not well formed ({e}): {body:?}"),
        }
    }
    assert_eq!(depth, 0, "unbalanced: {body:?}");
}

/// What a tenant might try to smuggle: C0 controls, an escape sequence, a CDATA end, a line
/// break and a forged plain row.
const NASTY: &str = "a\u{1}\u{b}\u{1b}]]><x>\r\nforged|row|1";

backend_tests! {
    /// Cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'` in every CSV
    /// (buffered MANAGEDB and BALANCE tables, streamed INFO cdrs, the admin's all-tenant
    /// export); numbers such as `+390612345` and `-5` stay numbers.
    async fn csv_cells_a_spreadsheet_would_evaluate_are_neutralised(ctx) {
        one_call(ctx).await;
        let ext = ctx.ext(&ctx.a, "104", json!({ "ex_name": "=HYPERLINK(\"http://evil.example\",\"pay\")" })).await;
        ctx.add(&ctx.rw, Some("ACME"), "calleridblacklist", json!({ "bl_number": "+390612345", "bl_description": "@SUM(A1:A9)" })).await;
        for (amount, description) in [("-5", "-2+3"), ("7.5", "+cmd")] {
            let r = ctx.req().p("reqtype", "BALANCE").p("key", &ctx.admin).p("tenant", "ACME")
                .p("amount", amount).p("description", description).get().await;
            assert!(!r.is_any_error(), "{}", r.text());
        }
        let r = ctx.req().p("reqtype", "CDR").p("key", &ctx.rw).p("tenant", "ACME").p("action", "update")
            .p("uniqueid", "n1-1.1").p("field", "accountcode").p("value", "=cmd|' /C calc'!A0").get().await;
        assert!(!r.is_any_error(), "{}", r.text());

        let exts = csv_records(&ctx.mdb(&ctx.rw, Some("ACME"), "extension", "list").fmt("csv").get().await);
        assert!(column(&exts, "ex_name").contains(&"'=HYPERLINK(\"http://evil.example\",\"pay\")".to_string()), "{exts:?}");
        let one = csv_records(&ctx.mdb(&ctx.rw, Some("ACME"), "extension", "get").id(id_of(&ext, "ex_id")).fmt("csv").get().await);
        assert_eq!(column(&one, "ex_name"), ["'=HYPERLINK(\"http://evil.example\",\"pay\")"]);
        let bl = csv_records(&ctx.mdb(&ctx.rw, Some("ACME"), "calleridblacklist", "list").fmt("csv").get().await);
        assert_eq!(column(&bl, "bl_number"), ["+390612345"]);
        assert_eq!(column(&bl, "bl_description"), ["'@SUM(A1:A9)"]);
        let ledger = csv_records(&ctx.req().p("reqtype", "BALANCE").p("key", &ctx.rw).p("tenant", "ACME")
            .p("action", "history").fmt("csv").get().await);
        assert_eq!(column(&ledger, "bt_amount"), ["7.5", "-5"]);
        assert_eq!(column(&ledger, "bt_balance"), ["2.5", "-5"]);
        assert_eq!(column(&ledger, "bt_description"), ["'+cmd", "'-2+3"]);
        for (key, tenant) in [(&ctx.rw, "ACME"), (&ctx.admin, "%")] {
            let cdrs = csv_records(&ctx.info(key, Some(tenant), "cdrs").fmt("csv").get().await);
            assert_eq!(column(&cdrs, "accountcode"), ["'=cmd|' /C calc'!A0"], "{tenant}");
            assert_eq!(column(&cdrs, "src"), ["103"]);
        }
        // Other formats give the value as stored.
        let r = ctx.req().p("reqtype", "CDR").p("key", &ctx.rw).p("tenant", "ACME").p("action", "get")
            .p("uniqueid", "n1-1.1").p("field", "accountcode").get().await;
        r.is_plain("=cmd|' /C calc'!A0");
    }

    /// Control characters are refused on input (one rule for every text field); multi-line
    /// text (templates) may hold newline and tab only.
    async fn control_characters_are_refused_on_input(ctx) {
        one_call(ctx).await;
        let before = ctx.snapshot().await;
        let update = |value: &str| ctx.req().p("reqtype", "CDR").p("key", &ctx.rw).p("tenant", "ACME").p("action", "update")
            .p("uniqueid", "n1-1.1").p("field", "accountcode").p("value", value).get();
        update(NASTY).await.is_error("parameter 'value' must not contain control characters");
        update("a\tb").await.is_error("parameter 'value' must not contain control characters");
        let get = ctx.req().p("reqtype", "CDR").p("key", &ctx.rw).p("tenant", "ACME").p("action", "get")
            .p("uniqueid", "n1-1.1").p("field", "accountcode").get().await;
        get.is_plain("");
        for (object, data, field) in [
            ("extension", json!({ "ex_number": "105", "ex_name": "a\tb" }), "ex_name"),
            ("did", json!({ "di_number": "5550100", "di_comment": "x\u{1b}[2J" }), "di_comment"),
            ("conference", json!({ "cr_number": "800", "cr_name": "a\u{7f}b" }), "cr_name"),
        ] {
            ctx.mdb(&ctx.rw, Some("ACME"), object, "add").json(&data).post().await
                .is_error(&format!("field '{field}' must not contain control characters"));
        }
        ctx.mdb(&ctx.rw, Some("ACME"), "cdrtemplate", "add")
            .json(&json!({ "tp_name": "t", "tp_template": "{row_loop}{$src}\u{b}{/row_loop}" })).post().await
            .is_error("field 'tp_template' must not contain control characters other than newline and tab");
        assert_eq!(ctx.snapshot().await, before);
        // A template may span lines.
        ctx.add(&ctx.rw, Some("ACME"), "cdrtemplate", json!({ "tp_name": "t", "tp_template": "<calls>\n{row_loop}\t<c>{$src}</c>\n{/row_loop}</calls>" })).await;
    }

    /// Whatever reached the database (written here directly, past every check), the XML
    /// answers stay well formed and a plain row stays one line, buffered or streamed.
    async fn outputs_stay_well_formed_with_control_characters_in_the_database(ctx) {
        one_call(ctx).await;
        ctx.add(&ctx.rw, Some("ACME"), "cdrtemplate", json!({ "tp_name": "t", "tp_template": "<calls>{row_loop}<c>{$accountcode}</c>{/row_loop}</calls>" })).await;
        for (table, column) in [("cdr", "accountcode"), ("ex_extensions", "ex_name")] {
            let mut upd = Query::update();
            upd.table(table).value(column, NASTY).and_where(Expr::col(column).ne("never"));
            ctx.db.conn.execute(&upd).await.unwrap();
        }
        for key in [&ctx.rw, &ctx.admin] {
            let tenant = if key == &ctx.rw { "ACME" } else { "%" };
            let xml = ctx.info(key, Some(tenant), "cdrs").fmt("xml").get().await;
            assert_well_formed(&xml.text());
            assert!(xml.text().contains("]]&gt;&lt;x&gt;&#13;\nforged|row|1"), "{}", xml.text());
            let plain = ctx.info(key, Some(tenant), "cdrs").get().await.text();
            assert_eq!(plain.lines().count(), 2, "{plain:?}");
            assert!(!plain.contains('\r'), "{plain:?}");
        }
        // A template prints values as they are (its author decides the markup, as upstream),
        // but never a character XML forbids.
        let t = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("xml").p("template", "t").get().await;
        assert_xml_chars(&t.text());
        assert!(t.text().contains("a\u{FFFD}\u{FFFD}\u{FFFD}]]><x>"), "{}", t.text());
        // Buffered tables and records.
        let plain = ctx.info(&ctx.rw, Some("ACME"), "extensions").get().await.text();
        assert_eq!(plain.lines().count(), 2, "{plain:?}");
        assert!(plain.contains("a   ]]><x>  forged|row|1"), "{plain:?}");
        assert_well_formed(&ctx.info(&ctx.rw, Some("ACME"), "extensions").fmt("xml").get().await.text());
        assert_well_formed(&ctx.mdb(&ctx.rw, Some("ACME"), "extension", "list").fmt("xml").get().await.text());
        let value = ctx.req().p("reqtype", "CDR").p("key", &ctx.rw).p("tenant", "ACME").p("action", "get")
            .p("uniqueid", "n1-1.1").p("field", "accountcode").get().await.text();
        assert_eq!(value.lines().count(), 1, "{value:?}");
        assert!(!value.contains(['\r', '\u{1b}']), "{value:?}");
        // JSON escapes them anyway; CSV quotes the field.
        let json = ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("json").get().await.json();
        assert_eq!(json[0]["accountcode"], NASTY);
        let csv = csv_records(&ctx.info(&ctx.rw, Some("ACME"), "cdrs").fmt("csv").get().await);
        assert_eq!(column(&csv, "accountcode"), [NASTY]);
    }

    /// Voicemail and conference PINs (kept in clear for Asterisk) are masked for read-only keys
    /// like device passwords, in every format, and cannot be guessed through `filter`.
    async fn read_only_keys_see_pins_masked(ctx) {
        let room = ctx.add(&ctx.rw, Some("ACME"), "conference", json!({ "cr_number": "800", "cr_name": "Board", "cr_pin": "1234", "cr_adminpin": "9876" })).await;
        let mbox = ctx.add(&ctx.rw, Some("ACME"), "voicemail", json!({ "mailbox": "103", "password": "4321", "fullname": "Ann" })).await;
        let (room_id, box_id) = (id_of(&room, "cr_id"), id_of(&mbox, "uniqueid"));
        for (key, shown) in [(&ctx.rw, true), (&ctx.admin, true), (&ctx.ro, false)] {
            let pin = |clear: &str| if shown { clear.to_string() } else { "********".to_string() };
            let rooms = ctx.list(key, Some("ACME"), "conference").await;
            assert_eq!(rooms[room_id.to_string()]["cr_pin"], pin("1234"));
            assert_eq!(rooms[room_id.to_string()]["cr_adminpin"], pin("9876"));
            assert_eq!(rooms[room_id.to_string()]["cr_name"], "Board");
            let got = ctx.mdb(key, Some("ACME"), "conference", "get").id(room_id).fmt("json").get().await.json();
            assert_eq!(got["cr_pin"], pin("1234"));
            let boxes = ctx.list(key, Some("ACME"), "voicemail").await;
            assert_eq!(boxes[box_id.to_string()]["password"], pin("4321"));
            assert_eq!(boxes[box_id.to_string()]["fullname"], "Ann");
            let got = ctx.mdb(key, Some("ACME"), "voicemail", "get").id(box_id).fmt("json").get().await.json();
            assert_eq!(got["password"], pin("4321"));
        }
        for f in ["plain", "xml", "csv"] {
            for object in ["conference", "voicemail"] {
                let text = ctx.mdb(&ctx.ro, Some("ACME"), object, "list").fmt(f).get().await.text();
                assert!(!text.contains("1234") && !text.contains("9876") && !text.contains("4321"), "{f}: {text}");
                assert!(text.contains("********"), "{f}: {text}");
            }
        }
        for (object, filter) in [("conference", "cr_pin like '1%'"), ("voicemail", "password = '4321'")] {
            ctx.mdb(&ctx.ro, Some("ACME"), object, "list").p("filter", filter).get().await
                .is_error_starting("filter: unknown column");
            let v = ctx.mdb(&ctx.rw, Some("ACME"), object, "list").p("filter", filter).fmt("json").get().await.json();
            assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
        }
    }

    /// A DID number has one owner whatever the split into country, area and number; the
    /// refusal does not say who holds it.
    async fn one_did_number_has_one_owner_across_splits(ctx) {
        let (_, rw_b) = ctx.mint(KeySpec { tenant_id: Some(ctx.b.id), ..Default::default() }).await;
        ctx.add(&rw_b, Some("BETA"), "did", json!({ "di_number": "390612345" })).await;
        let before = ctx.snapshot().await;
        let msg = "did number '390612345' (di_country, di_area and di_number joined) already exists";
        for data in [
            json!({ "di_country": "39", "di_area": "06", "di_number": "12345" }),
            json!({ "di_country": "39", "di_number": "0612345" }),
            json!({ "di_area": "3906", "di_number": "12345" }),
        ] {
            for key in [&ctx.rw, &ctx.admin] {
                let r = ctx.mdb(key, Some("ACME"), "did", "add").json(&data).post().await;
                r.is_error(msg);
                assert!(!r.text().contains("BETA"), "{}", r.text());
            }
        }
        assert_eq!(ctx.snapshot().await, before);
        // Moving one of ACME's DIDs onto it, by any column, is refused too.
        let own = ctx.add(&ctx.rw, Some("ACME"), "did", json!({ "di_country": "39", "di_area": "06", "di_number": "55555" })).await;
        let before = ctx.snapshot().await;
        ctx.mdb(&ctx.rw, Some("ACME"), "did", "update").id(id_of(&own, "di_id")).json(&json!({ "di_number": "12345" })).post().await
            .is_error(msg);
        assert_eq!(ctx.snapshot().await, before);
        // The joined form is taken in the other direction as well.
        ctx.mdb(&rw_b, Some("BETA"), "did", "add").json(&json!({ "di_number": "390655555" })).post().await
            .is_error("did number '390655555' (di_country, di_area and di_number joined) already exists");
        // Two tenants racing for the two spellings of one new number: one wins.
        let (r1, r2) = futures_util::join!(
            ctx.mdb(&ctx.rw, Some("ACME"), "did", "add").json(&json!({ "di_country": "39", "di_area": "02", "di_number": "777" })).post(),
            ctx.mdb(&rw_b, Some("BETA"), "did", "add").json(&json!({ "di_number": "3902777" })).post()
        );
        let errors: Vec<&Resp> = [&r1, &r2].into_iter().filter(|r| r.is_any_error()).collect();
        assert_eq!(errors.len(), 1, "{} / {}", r1.text(), r2.text());
        errors[0].is_error("did number '3902777' (di_country, di_area and di_number joined) already exists");
        assert_eq!(ctx.count_where("di_dids", "di_fullnumber = '3902777'").await, 1);
        // Deleting frees the number for anyone.
        ctx.mdb(&ctx.rw, Some("ACME"), "did", "delete").id(id_of(&own, "di_id")).post().await;
        ctx.add(&rw_b, Some("BETA"), "did", json!({ "di_number": "390655555" })).await;
    }

    /// Every stored time is UTC; a tenant's reports read `start`/`end` and print times in its
    /// TIMEZONE, across both DST changes of Europe/Rome (29 March and 25 October 2026).
    async fn report_times_follow_the_tenant_zone_across_dst(ctx) {
        ctx.ext(&ctx.a, "103", json!({})).await;
        let set = |value: &str| ctx.req().p("reqtype", "SETTING").p("key", &ctx.rw).p("tenant", "ACME")
            .p("action", "set").p("code", "TIMEZONE").p("value", value).get();
        set("Mars/Olympus").await.is_error_starting("parameter 'value'");
        set("Europe/Rome").await.is_plain("Europe/Rome");
        // A node in Rome writes wall-clock times; 02:30 on 25 October happens twice (the first
        // is taken).
        let text: String = [
            ("r-1", "2026-03-29 01:30:00"), // CET
            ("r-2", "2026-03-29 03:30:00"), // CEST, one hour later
            ("r-3", "2026-10-25 02:30:00"), // CEST, the first 02:30
            ("r-4", "2026-10-25 03:30:00"), // CET
        ].iter().map(|(u, t)| call_at(u, t)).collect();
        let rome = switchboard::time::zone("Europe/Rome").unwrap();
        let s = import_cdrs_in(&ctx.db, text.as_bytes(), "node1", &Layout::cdr_csv(), rome, &|_| {}).await.unwrap();
        assert_eq!(s.imported, 4, "{s}");
        let stored: Vec<String> = {
            let mut q = Query::select();
            q.column("start").from("cdr").order_by("ID", sea_orm::Order::Asc);
            let rows = ctx.db.conn.query_all(&q).await.unwrap();
            rows.iter().map(|r| r.try_get_by_index::<chrono::NaiveDateTime>(0).unwrap().to_string()).collect()
        };
        assert_eq!(stored, ["2026-03-29 00:30:00", "2026-03-29 01:30:00", "2026-10-25 00:30:00", "2026-10-25 02:30:00"]);
        let starts = |key: &String, tenant: &str, range: &[(&str, &str)]| {
            let mut r = ctx.info(key, Some(tenant), "cdrs").fmt("json");
            for (k, v) in range {
                r = r.p(k, v);
            }
            async move {
                let v = r.get().await.json();
                v.as_array().unwrap().iter().map(|c| format!("{} {}", c["uniqueid"].as_str().unwrap(), c["start"].as_str().unwrap())).collect::<Vec<_>>()
            }
        };
        // ACME reads Rome time; the admin's all-tenant view reads the global zone (UTC).
        assert_eq!(starts(&ctx.rw, "ACME", &[]).await, [
            "r-1 2026-03-29 01:30:00", "r-2 2026-03-29 03:30:00", "r-3 2026-10-25 02:30:00", "r-4 2026-10-25 03:30:00",
        ]);
        assert_eq!(starts(&ctx.admin, "%", &[]).await[0], "r-1 2026-03-29 00:30:00");
        // The local day of 23 hours, and of 25.
        assert_eq!(starts(&ctx.rw, "ACME", &[("start", "2026-03-29"), ("end", "2026-03-29")]).await.len(), 2);
        assert_eq!(starts(&ctx.rw, "ACME", &[("start", "2026-10-25"), ("end", "2026-10-25")]).await.len(), 2);
        // 03:00 in Rome on 29 March is 01:00 UTC: r-1 (00:30 UTC) is before it.
        assert_eq!(starts(&ctx.rw, "ACME", &[("start", "2026-03-29 03:00"), ("end", "2026-03-29")]).await, ["r-2 2026-03-29 03:30:00"]);
        // `end` of the minute 01:30 includes r-1 only.
        assert_eq!(starts(&ctx.rw, "ACME", &[("start", "2026-03-29"), ("end", "2026-03-29 01:30")]).await, ["r-1 2026-03-29 01:30:00"]);
        // The admin's UTC view: r-2 starts at 01:30 UTC.
        assert_eq!(starts(&ctx.admin, "%", &[("start", "2026-03-29 01:00"), ("end", "2026-03-29 01:59")]).await, ["r-2 2026-03-29 01:30:00"]);
        // Another report, the same rule.
        let simple = ctx.info(&ctx.rw, Some("ACME"), "simplecdrs").fmt("json").p("start", "2026-10-25 03:00").get().await.json();
        let times: Vec<&str> = simple.as_array().unwrap().iter().map(|c| c["sc_start"].as_str().unwrap()).collect();
        assert_eq!(times, ["2026-10-25 03:30:00"]);
    }

    /// The lists beside the call reports follow the same rule: QUEUE log, INFO sms, INFO fax
    /// and the BALANCE history read `start`/`end` and print their times in the tenant's zone.
    async fn lists_read_and_print_times_in_the_tenant_zone(ctx) {
        use sea_orm::{ActiveModelTrait, Set};
        ctx.req().p("reqtype", "SETTING").p("key", &ctx.rw).p("tenant", "ACME")
            .p("action", "set").p("code", "TIMEZONE").p("value", "Europe/Rome").get().await.is_plain("Europe/Rome");
        let utc = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
        // 10:00 UTC on 1 July is 12:00 in Rome.
        let q = ctx.add(&ctx.admin, Some("ACME"), "queue", json!({"qu_name": "Sales", "qu_number": "600"})).await;
        let qu = id_of(&q, "qu_id");
        entity::queue_log::ActiveModel {
            te_id: Set(ctx.a.id), time: Set(utc("2026-07-01 10:00:00")), callid: Set("1.1".into()),
            queuename: Set(qu.to_string()), qu_id: Set(qu), agent: Set("NONE".into()),
            event: Set("ENTERQUEUE".into()), data1: Set(String::new()), data2: Set(String::new()),
            data3: Set(String::new()), data4: Set(String::new()), data5: Set(String::new()),
            node: Set("n1".into()), linekey: Set("k1".into()), ..Default::default()
        }.insert(&ctx.db.conn).await.unwrap();
        entity::sm_sms::ActiveModel {
            sm_te_id: Set(ctx.a.id), sm_from: Set("100".into()), sm_to: Set("5551234".into()),
            sm_body: Set(Some("hi".into())), sm_node: Set("n1".into()), sm_state: Set("sent".into()),
            sm_created: Set(utc("2026-07-01 10:00:00")), ..Default::default()
        }.insert(&ctx.db.conn).await.unwrap();
        entity::fx_faxes::ActiveModel {
            fx_te_id: Set(ctx.a.id), fx_direction: Set("out".into()), fx_number: Set("5551234".into()),
            fx_callerid: Set(String::new()), fx_stationid: Set(String::new()), fx_status: Set("sent".into()),
            fx_name: Set("a.pdf".into()), fx_file: Set("a.pdf".into()), fx_type: Set("pdf".into()),
            fx_size: Set(1), fx_pages: Set(1), fx_node: Set("n1".into()), fx_originateid: Set(String::new()),
            fx_uniqueid: Set(String::new()), fx_message: Set(String::new()),
            fx_created: Set(utc("2026-07-01 10:00:00")), fx_updated: Set(Some(utc("2026-12-01 10:00:00"))),
            ..Default::default()
        }.insert(&ctx.db.conn).await.unwrap();
        let log = |start: &str, end: &str| ctx.req().p("reqtype", "QUEUE").p("action", "log").p("key", &ctx.rw)
            .p("tenant", "ACME").p("id", qu.to_string()).p("start", start).p("end", end).fmt("json").get();
        let sms = |start: &str, end: &str| ctx.info(&ctx.rw, Some("ACME"), "sms").p("start", start).p("end", end).fmt("json").get();
        for (start, end, found) in [
            ("2026-07-01 12:00", "2026-07-01 12:00", true),
            ("2026-07-01", "2026-07-01", true),
            // 10:00 as a Rome time is 08:00 UTC: the row is two hours later.
            ("2026-07-01 10:00", "2026-07-01 10:59", false),
            ("2026-07-01 12:01", "2026-07-02", false),
        ] {
            let rows = log(start, end).await.json();
            assert_eq!(rows.as_array().unwrap().len(), found as usize, "QUEUE log {start}..{end}: {rows}");
            if found {
                assert_eq!(rows[0]["time"], "2026-07-01 12:00:00");
            }
            let rows = sms(start, end).await.json();
            assert_eq!(rows.as_array().unwrap().len(), found as usize, "INFO sms {start}..{end}: {rows}");
            if found {
                assert_eq!(rows[0]["created"], "2026-07-01 12:00:00");
            }
        }
        // Winter: one hour.
        let fax = ctx.info(&ctx.rw, Some("ACME"), "fax").fmt("json").get().await.json();
        assert_eq!((fax[0]["fx_created"].as_str(), fax[0]["fx_updated"].as_str()), (Some("2026-07-01 12:00:00"), Some("2026-12-01 11:00:00")), "{fax}");
        // The admin's all-tenant view reads UTC.
        let fax = ctx.info(&ctx.admin, None, "fax").fmt("json").get().await.json();
        assert_eq!(fax[0]["fx_created"], "2026-07-01 10:00:00", "{fax}");
        // BALANCE history: the stored UTC time, printed in Rome.
        ctx.req().p("reqtype", "BALANCE").p("action", "add").p("key", &ctx.admin).p("tenant", "ACME").p("amount", "5").get().await;
        let stored: chrono::NaiveDateTime = {
            let mut q = Query::select();
            q.column("bt_created").from("bt_balancetransactions");
            ctx.db.conn.query_one(&q).await.unwrap().unwrap().try_get_by_index(0).unwrap()
        };
        let rome = switchboard::time::zone("Europe/Rome").unwrap();
        let history = ctx.req().p("reqtype", "BALANCE").p("action", "history").p("key", &ctx.rw).p("tenant", "ACME").fmt("json").get().await.json();
        assert_eq!(history[0]["bt_created"].as_str().unwrap(), switchboard::time::from_utc(stored, rome).format("%Y-%m-%d %H:%M:%S").to_string(), "{history}");
    }
}
