//! The INFO types of issue #13 §3: transcript, voicemailtranscript, config, pincodes,
//! voicemail, call, outdialed, simpledialed (database), regstate, queue, agentsconnected,
//! agentsdelay (the nodes, over AMI test servers, and the stored queue_log). Each: its answer
//! for a read-only key, errors naming the parameter, and tenant BETA's key never seeing ACME's
//! rows.

use crate::ami_server::{Contact, Queue, QueueMember};
use crate::cluster_harness::*;
use crate::common::*;
use chrono::NaiveDateTime;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};

const QUEUE_LOG: &str = include_str!("../fixtures/asterisk-22-queue_log");

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

async fn beta_key(ctx: &Ctx) -> String {
    ctx.mint(KeySpec {
        tenant_id: Some(ctx.b.id),
        read_only: true,
        ..Default::default()
    })
    .await
    .1
}

async fn set_zone(ctx: &Ctx, tenant: &str, zone: &str) {
    ctx.req()
        .p("reqtype", "SETTING")
        .p("key", &ctx.admin)
        .p("tenant", tenant)
        .p("action", "set")
        .p("code", "TIMEZONE")
        .p("value", zone)
        .get()
        .await
        .is_plain(zone);
}

async fn message(ctx: &Ctx, te: i32, mailbox: &str, dir: &str, n: i32) -> String {
    let msg_id = format!("1795319000-{te:04}{n:04}");
    entity::voicemail_messages::ActiveModel {
        te_id: Set(te),
        mailboxuser: Set(mailbox.into()),
        mailboxcontext: Set("x".into()),
        dir: Set(dir.into()),
        msgnum: Set(n),
        msg_id: Set(msg_id.clone()),
        callerid: Set("\"Bob\" <555>".into()),
        origtime: Set("1795319000".into()),
        duration: Set(4),
        flag: Set(String::new()),
        recording: Set(String::new()),
        format: Set("wav".into()),
        size: Set(10),
        ..Default::default()
    }
    .insert(&ctx.db.conn)
    .await
    .unwrap();
    msg_id
}

async fn dial(
    ctx: &Ctx,
    te: i32,
    id: &str,
    created: &str,
    source: &str,
    dest: &str,
    st: &str,
    uniqueid: &str,
) {
    entity::dc_dialcalls::ActiveModel {
        dc_originateid: Set(id.into()),
        dc_te_id: Set(te),
        dc_node: Set("n1".into()),
        dc_source: Set(source.into()),
        dc_dest: Set(dest.into()),
        dc_uniqueid: Set(uniqueid.into()),
        dc_state: Set(st.into()),
        dc_created: Set(at(created)),
        dc_reason: Set(if st == "answered" { 4 } else { 0 }),
        dc_channel: Set(String::new()),
        ..Default::default()
    }
    .insert(&ctx.db.conn)
    .await
    .unwrap();
}

fn column<'a>(rows: &'a Value, col: &str) -> Vec<&'a str> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[col].as_str().unwrap())
        .collect()
}

fn member(name: &str, status: i32) -> QueueMember {
    QueueMember {
        interface: format!("PJSIP/{name}"),
        name: name.into(),
        state_interface: format!("PJSIP/{name}"),
        status,
        ..Default::default()
    }
}

fn contact(ep: &str, status: &str) -> Contact {
    Contact {
        aor: ep.into(),
        endpoint: ep.into(),
        uri: format!("sip:{ep}@192.0.2.1"),
        status: status.into(),
        reg_expire: 1_900_000_000,
        ..Default::default()
    }
}

backend_tests! {
    async fn database_info_types_are_the_tenants_own(ctx) {
        let beta = beta_key(ctx).await;
        let info = |key: &str, tenant: &str, what: &str| ctx.info(key, Some(tenant), what);

        // transcript / voicemailtranscript: a clear answer that no engine is configured, for
        // a recording or message of the tenant only.
        for (te, uid) in [(ctx.a.id, "n1-1.1"), (ctx.b.id, "n1-9.9")] {
            entity::re_recordings::ActiveModel {
                re_te_id: Set(te), re_uniqueid: Set(uid.into()), re_date: Set(at("2026-11-20 10:00:00")),
                re_name: Set(format!("{uid}.wav")), re_format: Set("wav".into()), re_size: Set(19), ..Default::default()
            }.insert(&ctx.db.conn).await.unwrap();
        }
        info(&ctx.ro, "ACME", "transcript").p("id", "n1-1.1").get().await.is_error(
            "INFO transcript: recording 'n1-1.1' has no transcript: no transcription is configured on this server (no speech-to-text engine)");
        info(&ctx.ro, "ACME", "transcript").p("id", "n1-9.9").get().await.is_error("parameter 'id': no recording 'n1-9.9'");
        info(&beta, "BETA", "transcript").p("id", "n1-1.1").get().await.is_error("parameter 'id': no recording 'n1-1.1'");
        info(&ctx.ro, "ACME", "transcript").get().await.is_error_starting("parameter 'id'");
        ctx.info(&ctx.admin, None, "transcript").p("id", "n1-1.1").get().await
            .is_error("parameter 'tenant' is required for INFO transcript with an admin key");

        ctx.add(&ctx.rw, Some("ACME"), "voicemail", json!({ "mailbox": "103", "password": "1234", "fullname": "Ann", "email": "ann@example.com" })).await;
        ctx.add(&ctx.rw, Some("ACME"), "voicemail", json!({ "mailbox": "104", "fullname": "Bo" })).await;
        ctx.add(&ctx.admin, Some("BETA"), "voicemail", json!({ "mailbox": "103", "password": "5555", "fullname": "Beta" })).await;
        let m1 = message(ctx, ctx.a.id, "103", "INBOX", 0).await;
        message(ctx, ctx.a.id, "103", "INBOX", 1).await;
        message(ctx, ctx.a.id, "103", "Old", 2).await;
        message(ctx, ctx.a.id, "103", "Work", 3).await;
        let b1 = message(ctx, ctx.b.id, "103", "INBOX", 0).await;
        info(&ctx.ro, "ACME", "voicemailtranscript").p("mailbox", "103").p("msgid", &m1).get().await.is_error(&format!(
            "INFO voicemailtranscript: message {m1} has no transcript: no transcription is configured on this server (no speech-to-text engine)"));
        info(&ctx.ro, "ACME", "voicemailtranscript").p("mailbox", "103").p("msgid", &b1).get().await.is_error_starting("parameter 'msgid'");
        info(&beta, "BETA", "voicemailtranscript").p("mailbox", "103").p("msgid", &m1).get().await.is_error_starting("parameter 'msgid'");
        info(&ctx.ro, "ACME", "voicemailtranscript").p("msgid", &m1).get().await.is_error("parameter 'mailbox' is required");

        // voicemail: the boxes with their counts (new = INBOX, old = Old, other folders).
        let header = "mailbox|fullname|email|new|old|other|total\n";
        info(&ctx.ro, "ACME", "voicemail").get().await.is_plain(&format!("{header}103|Ann|ann@example.com|2|1|1|4\n104|Bo||0|0|0|0\n"));
        info(&ctx.ro, "ACME", "voicemail").p("mailbox", "104").get().await.is_plain(&format!("{header}104|Bo||0|0|0|0\n"));
        info(&ctx.ro, "ACME", "voicemail").p("mailbox", "103@BETA").get().await.is_error_starting("parameter 'mailbox'");
        info(&beta, "BETA", "voicemail").get().await.is_plain(&format!("{header}103|Beta||1|0|0|1\n"));
        let rows = info(&ctx.ro, "ACME", "voicemail").fmt("json").get().await.json();
        assert_eq!(rows[0], json!({ "mailbox": "103", "fullname": "Ann", "email": "ann@example.com", "new": "2", "old": "1", "other": "1", "total": "4" }));

        // pincodes: voicemail, conference and virtual-extension PINs; masked for read-only keys.
        ctx.add(&ctx.rw, Some("ACME"), "conference", json!({ "cr_number": "800", "cr_name": "Board", "cr_pin": "1111", "cr_adminpin": "9876" })).await;
        ctx.add(&ctx.admin, Some("BETA"), "conference", json!({ "cr_number": "800", "cr_name": "Room", "cr_pin": "4321" })).await;
        let virt = ctx.ext(&ctx.a, "150", json!({ "ex_tech": "VIRTUAL" })).await;
        entity::vx_virtualexts::ActiveModel {
            vx_te_id: Set(ctx.a.id), vx_ex_id: Set(id_of(&virt, "ex_id")), vx_pin: Set("2468".into()), ..Default::default()
        }.insert(&ctx.db.conn).await.unwrap();
        let pins = "type|number|name|pin\nVOICEMAIL|103|Ann|1234\nCONFERENCE|800|Board|1111\nCONFERENCEADMIN|800|Board|9876\nVIRTUALEXT|150|Ext 150|2468\n";
        info(&ctx.rw, "ACME", "pincodes").get().await.is_plain(pins);
        info(&ctx.ro, "ACME", "pincodes").get().await.is_plain(
            "type|number|name|pin\nVOICEMAIL|103|Ann|********\nCONFERENCE|800|Board|********\nCONFERENCEADMIN|800|Board|********\nVIRTUALEXT|150|Ext 150|********\n");
        info(&ctx.admin, "BETA", "pincodes").get().await.is_plain("type|number|name|pin\nVOICEMAIL|103|Beta|5555\nCONFERENCE|800|Room|4321\n");
        info(&beta, "BETA", "pincodes").get().await.is_plain("type|number|name|pin\nVOICEMAIL|103|Beta|********\nCONFERENCE|800|Room|********\n");
        ctx.info(&ctx.admin, None, "pincodes").get().await.is_error("parameter 'tenant' is required for INFO pincodes with an admin key");

        // config: the tenant's own fields and settings.
        set_zone(ctx, "ACME", "Europe/Rome").await;
        let conf = info(&ctx.ro, "ACME", "config").fmt("json").get().await.json();
        let value = |rows: &Value, name: &str| rows.as_array().unwrap().iter().find(|r| r["name"] == name).map(|r| r["value"].clone());
        assert_eq!(value(&conf, "te_code"), Some(json!("ACME")));
        assert_eq!(value(&conf, "te_name"), Some(json!("Acme Inc")));
        assert_eq!(value(&conf, "TIMEZONE"), Some(json!("Europe/Rome")));
        assert!(value(&conf, "te_context").is_some(), "{conf}");
        let bconf = info(&beta, "BETA", "config").fmt("json").get().await.json();
        assert_eq!(value(&bconf, "te_code"), Some(json!("BETA")));
        assert_ne!(value(&bconf, "TIMEZONE"), Some(json!("Europe/Rome")));
        assert!(!bconf.to_string().contains("ACME"), "{bconf}");

        // outdialed / simpledialed / call: the tenant's DIAL calls, times in its TIMEZONE.
        dial(ctx, ctx.a.id, "dial-a1", "2026-11-20 10:00:00", "100", "5551234", "answered", "n1-1.1").await;
        dial(ctx, ctx.a.id, "dial-a2", "2026-11-21 09:00:00", "101", "5559999", "failed", "").await;
        dial(ctx, ctx.b.id, "dial-b1", "2026-11-21 08:00:00", "100", "5550000", "answered", "n1-9.9").await;
        // A recording is also found by the DIAL id of its call.
        info(&ctx.ro, "ACME", "transcript").p("id", "dial-a1").get().await.is_error_starting("INFO transcript: recording 'dial-a1' has no transcript");
        info(&beta, "BETA", "transcript").p("id", "dial-a1").get().await.is_error("parameter 'id': no recording 'dial-a1'");
        let rows = info(&ctx.ro, "ACME", "outdialed").fmt("json").get().await.json();
        assert_eq!(column(&rows, "dc_originateid"), ["dial-a1", "dial-a2"]);
        assert_eq!(rows[0], json!({ "dc_originateid": "dial-a1", "dc_created": "2026-11-20 11:00:00", "dc_source": "100",
            "dc_dest": "5551234", "dc_state": "answered", "dc_reason": "4", "dc_uniqueid": "n1-1.1", "dc_channel": "",
            "dc_node": "n1", "dc_updated": null }));
        let later = info(&ctx.ro, "ACME", "outdialed").p("start", "2026-11-21").fmt("json").get().await.json();
        assert_eq!(column(&later, "dc_originateid"), ["dial-a2"]);
        let failed = info(&ctx.ro, "ACME", "outdialed").p("state", "FAILED").fmt("json").get().await.json();
        assert_eq!(column(&failed, "dc_originateid"), ["dial-a2"]);
        info(&ctx.ro, "ACME", "outdialed").p("start", "soon").get().await.is_error_starting("parameter 'start'");
        let bd = info(&beta, "BETA", "outdialed").fmt("json").get().await.json();
        assert_eq!(column(&bd, "dc_originateid"), ["dial-b1"]);
        info(&ctx.ro, "ACME", "simpledialed").p("phone", "5551234").get().await
            .is_plain("dc_created|dc_source|dc_dest|dc_state|dc_originateid\n2026-11-20 11:00:00|100|5551234|answered|dial-a1\n");
        info(&beta, "BETA", "simpledialed").get().await
            .is_plain("dc_created|dc_source|dc_dest|dc_state|dc_originateid\n2026-11-21 08:00:00|100|5550000|answered|dial-b1\n");
        let one = info(&ctx.ro, "ACME", "call").p("id", "dial-a1").fmt("json").get().await.json();
        assert_eq!(one, json!([rows[0].clone()]));
        assert_eq!(info(&ctx.ro, "ACME", "call").p("id", "n1-1.1").fmt("json").get().await.json(), one);
        info(&ctx.ro, "ACME", "call").p("id", "dial-b1").get().await.is_error("parameter 'id': no call 'dial-b1' in tenant ACME");
        info(&beta, "BETA", "call").p("id", "dial-a1").get().await.is_error("parameter 'id': no call 'dial-a1' in tenant BETA");
        info(&ctx.ro, "ACME", "call").get().await.is_error_starting("parameter 'id'");

        // HELP documents every one of them, and the 23 statistics.
        let help = ctx.req().p("reqtype", "HELP").p("key", &ctx.ro).get().await.text();
        for t in ["queue", "agentsconnected", "agentsdelay", "regstate", "pincodes", "voicemail", "call", "config"] {
            assert!(help.lines().any(|l| l.starts_with(&format!("info={t} - "))), "{t} missing from HELP:\n{help}");
        }
        for t in ["outdialed, simpledialed", "transcript (id, a recording), voicemailtranscript"] {
            assert!(help.contains(&format!("info={t}")), "{t} missing from HELP");
        }
        for stat in switchboard::proxyapi::queuestats::QUEUE_STATS {
            assert!(help.contains(stat), "{stat} missing from HELP");
        }

    }

    async fn live_info_types_queue_stats_agents_and_regstate(ctx) {
        let beta = beta_key(ctx).await;
        let (servers, sb) = two_nodes(ctx).await;
        for (t, n) in [(&ctx.a, "100"), (&ctx.a, "101"), (&ctx.b, "100")] {
            ctx.ext(t, n, json!({})).await;
        }
        let info = |key: &str, tenant: &str, what: &str| ctx.info(key, Some(tenant), what).on(&sb.base);

        // regstate: the tenant's devices and their contacts on every node.
        {
            let mut s0 = servers[0].state();
            s0.contacts.push(contact("100-ACME", "Reachable"));
            s0.contacts.push(contact("100-BETA", "NonQualified"));
            let mut s1 = servers[1].state();
            s1.contacts.push(contact("100-ACME", "Reachable"));
            s1.contacts.push(contact("101-ACME", "Unreachable"));
        }
        let header = "ex_number|ex_username|ex_tech|state|contacts|nodes\n";
        info(&ctx.ro, "ACME", "regstate").get().await.is_plain(&format!(
            "{header}100|100-ACME|PJSIP|Registered|2|n1,n2\n101|101-ACME|PJSIP|Unreachable|1|n2\n"));
        info(&ctx.ro, "ACME", "regstate").p("ext", "101").get().await.is_plain(&format!("{header}101|101-ACME|PJSIP|Unreachable|1|n2\n"));
        info(&ctx.ro, "ACME", "regstate").p("ext", "100-BETA").get().await.is_error_starting("parameter 'ext'");
        info(&beta, "BETA", "regstate").get().await.is_plain(&format!("{header}100|100-BETA|PJSIP|Registered|1|n1\n"));
        servers[0].state().contacts.clear();
        info(&beta, "BETA", "regstate").get().await.is_plain(&format!("{header}100|100-BETA|PJSIP|Unregistered|0|\n"));

        // Queues: ACME's 9200 (the id the real queue_log fixture names) and BETA's.
        let queue = |te: i32, id: Option<i32>, number: &str| entity::qu_queues::ActiveModel {
            qu_id: id.map_or(sea_orm::ActiveValue::NotSet, Set),
            qu_te_id: Set(te), qu_name: Set(format!("Q{number}")), qu_number: Set(number.into()),
            qu_timeout: Set(0), qu_alwaysrecord: Set(String::new()), ..Default::default()
        };
        let qa = queue(ctx.a.id, Some(9200), "600").insert(&ctx.db.conn).await.unwrap().qu_id;
        let qb = queue(ctx.b.id, None, "700").insert(&ctx.db.conn).await.unwrap().qu_id;
        let s = switchboard::cdr::import::import_queue_log(&ctx.db, QUEUE_LOG.as_bytes(), "n1", &|_| {}).await.unwrap();
        assert_eq!(s.bad.len(), 0, "{s:?}");
        let when = |t: &str| at(t);
        let mut line = 0;
        for (te, qu, event, data) in [
            (ctx.a.id, qa, "ENTERQUEUE", ["", "5551", "1", "", ""]),
            (ctx.a.id, qa, "ENTERQUEUE", ["", "5552", "2", "", ""]),
            (ctx.a.id, qa, "ENTERQUEUE", ["", "5553", "3", "", ""]),
            (ctx.a.id, qa, "ENTERQUEUE", ["", "5554", "4", "", ""]),
            (ctx.a.id, qa, "ENTERQUEUE", ["", "5555", "5", "", ""]),
            (ctx.a.id, qa, "ENTERQUEUE", ["", "5556", "6", "", ""]),
            (ctx.a.id, qa, "RINGNOANSWER", ["15000", "", "", "", ""]),
            (ctx.a.id, qa, "CONNECT", ["10", "n1-2.1", "3", "", ""]),
            (ctx.a.id, qa, "CONNECT", ["30", "n1-2.2", "3", "", ""]),
            (ctx.a.id, qa, "COMPLETECALLER", ["10", "120", "1", "", ""]),
            (ctx.a.id, qa, "BLINDTRANSFER", ["200", "from-internal", "30", "60", "2"]),
            (ctx.a.id, qa, "ABANDON", ["1", "3", "15", "", ""]),
            (ctx.a.id, qa, "EXITWITHTIMEOUT", ["1", "4", "60", "", ""]),
            (ctx.a.id, qa, "EXITEMPTY", ["1", "5", "2", "", ""]),
            (ctx.a.id, qa, "EXITWITHKEY", ["5", "1", "6", "9", ""]),
            (ctx.b.id, qb, "ENTERQUEUE", ["", "5557", "1", "", ""]),
        ] {
            line += 1;
            entity::queue_log::ActiveModel {
                te_id: Set(te), time: Set(when("2026-11-20 12:00:00")), callid: Set(format!("n1-2.{line}")),
                queuename: Set(qu.to_string()), qu_id: Set(qu), agent: Set("PJSIP/100-ACME".into()),
                event: Set(event.into()), data1: Set(data[0].into()), data2: Set(data[1].into()),
                data3: Set(data[2].into()), data4: Set(data[3].into()), data5: Set(data[4].into()),
                node: Set("n1".into()), linekey: Set(format!("t{line}")), ..Default::default()
            }.insert(&ctx.db.conn).await.unwrap();
        }
        // Live: agents merged across nodes (paused on one node is paused), callers added up.
        let now = chrono::Utc::now().timestamp() as u64;
        {
            let mut s0 = servers[0].state();
            let mut q = Queue { callers: 2, longest_hold_time: 30, ..Default::default() };
            q.members.push(QueueMember { last_call: now - 100, ..member("100-ACME", 1) });
            q.members.push(QueueMember { in_call: true, ..member("101-ACME", 2) });
            q.members.push(member("102-ACME", 5));
            s0.queues.insert(qa.to_string(), q);
            let mut qbq = Queue { callers: 5, ..Default::default() };
            qbq.members.push(member("100-BETA", 1));
            s0.queues.insert(qb.to_string(), qbq);
            let mut s1 = servers[1].state();
            let mut q = Queue { callers: 1, longest_hold_time: 45, ..Default::default() };
            q.members.push(QueueMember { paused: true, last_call: now - 300, ..member("100-ACME", 1) });
            q.members.push(member("101-ACME", 1));
            q.members.push(QueueMember { login_time: now - 500, ..member("103-ACME", 1) });
            s1.queues.insert(qa.to_string(), q);
        }
        let stats = "AGENTSAVAILABLE|AGENTSLOGGEDIN|AGENTSPAUSED|AGENTSBUSY|AGENTSUNAVAILABLE|CALLSWAITING|LONGESTHOLDTIME|\
            CALLSENTERED|CALLSANSWERED|CALLSABANDONED|CALLSTIMEOUT|CALLSEXITEMPTY|CALLSEXITKEY|CALLSTRANSFERRED|CALLSRINGNOANSWER|\
            ANSWERRATE|ABANDONRATE|SERVICELEVEL|MAXHOLDTIME|TOTALTALKTIME|AVERAGETALKTIME|TOTALHOLDTIME|AVERAGEHOLDTIME\n";
        let q = |key: &str, tenant: &str| info(key, tenant, "queue");
        q(&ctx.ro, "ACME").p("queue", qa.to_string()).p("start", "2026-11-20").p("end", "2026-11-20").get().await.is_plain(&format!(
            "{stats}1|3|1|1|1|3|45|6|2|1|1|1|1|1|1|33.33|16.67|50.00|30|180|90|40|20\n"));
        q(&ctx.ro, "ACME").p("number", "600").p("start", "2026-11-20").p("end", "2026-11-20").p("servicelevel", "30").get().await.is_plain(&format!(
            "{stats}1|3|1|1|1|3|45|6|2|1|1|1|1|1|1|33.33|16.67|100.00|30|180|90|40|20\n"));
        // An open side of the period is the day of the other.
        q(&ctx.ro, "ACME").p("number", "600").p("end", "2026-11-20").get().await.is_plain(&format!(
            "{stats}1|3|1|1|1|3|45|6|2|1|1|1|1|1|1|33.33|16.67|50.00|30|180|90|40|20\n"));
        q(&ctx.ro, "ACME").p("number", "600").p("start", "2026-11-20 12:00:01").get().await.is_plain(&format!(
            "{stats}1|3|1|1|1|3|45|0|0|0|0|0|0|0|0|0.00|0.00|0.00|0|0|0|0|0\n"));
        // The real fixture's calls (2026-11-22 03:55 UTC) fall on the 21st in New York.
        set_zone(ctx, "ACME", "America/New_York").await;
        let day = q(&ctx.ro, "ACME").p("id", qa.to_string()).p("start", "2026-11-21").p("end", "2026-11-21").fmt("json").get().await.json();
        let d = &day[0];
        assert_eq!((d["CALLSENTERED"].as_str(), d["CALLSANSWERED"].as_str(), d["CALLSABANDONED"].as_str()), (Some("3"), Some("2"), Some("1")), "{day}");
        assert_eq!((d["TOTALTALKTIME"].as_str(), d["AVERAGETALKTIME"].as_str(), d["ANSWERRATE"].as_str(), d["SERVICELEVEL"].as_str()),
            (Some("126"), Some("63"), Some("66.67"), Some("100.00")), "{day}");
        assert_eq!(day.as_array().unwrap().len(), 1);
        assert_eq!(d.as_object().unwrap().len(), 23);
        q(&ctx.ro, "ACME").p("number", "600").p("start", "2026-11-22").p("end", "2026-11-21").get().await.is_error_starting("parameter 'end'");
        q(&ctx.ro, "ACME").p("number", "600").p("servicelevel", "soon").get().await.is_error("parameter 'servicelevel' must be a number of seconds");
        q(&ctx.ro, "ACME").get().await.is_error("parameter 'number' or 'id' is required");
        // BETA sees its own queue only: none of ACME's agents, callers or calls.
        q(&beta, "BETA").p("queue", qa.to_string()).get().await.is_error_starting("parameter 'queue': no queue");
        q(&beta, "BETA").p("number", "600").get().await.is_error_starting("no such queue");
        q(&beta, "BETA").p("number", "700").p("start", "2026-11-20").get().await.is_plain(&format!(
            "{stats}1|1|0|0|0|5|0|1|0|0|0|0|0|0|0|0.00|0.00|0.00|0|0|0|0|0\n"));

        // agentsconnected: a row per queue, agent and node.
        let rows = info(&ctx.ro, "ACME", "agentsconnected").fmt("json").get().await.json();
        let who: Vec<String> = rows.as_array().unwrap().iter()
            .map(|r| format!("{}@{}:{}", r["agent"].as_str().unwrap(), r["node"].as_str().unwrap(), r["state"].as_str().unwrap())).collect();
        assert_eq!(who, ["100-ACME@n1:Idle", "100-ACME@n2:Idle", "101-ACME@n1:InUse", "101-ACME@n2:Idle", "102-ACME@n1:Unavailable", "103-ACME@n2:Idle"]);
        assert_eq!(rows[1]["paused"], "1");
        assert_eq!(rows[0]["qu_name"], "Q600");
        assert_eq!(rows[0]["queue"], qa.to_string());
        assert_eq!(rows[0]["interface"], "PJSIP/100-ACME");
        assert_eq!(rows[5]["lastcall"], "");
        let b = info(&beta, "BETA", "agentsconnected").fmt("json").get().await.json();
        assert_eq!(column(&b, "agent"), ["100-BETA"]);
        info(&beta, "BETA", "agentsconnected").p("queue", qa.to_string()).get().await.is_error_starting("parameter 'queue': no queue");

        // agentsdelay: the longest wait first; in a call is 0.
        let rows = info(&ctx.ro, "ACME", "agentsdelay").fmt("json").get().await.json();
        assert_eq!(column(&rows, "agent"), ["103-ACME", "100-ACME", "101-ACME", "102-ACME"]);
        let delay = |i: usize| rows[i]["delay"].as_str().unwrap().parse::<u64>().unwrap();
        assert!((500..560).contains(&delay(0)), "{rows}");
        assert!((100..160).contains(&delay(1)), "{rows}");
        assert_eq!((delay(2), delay(3)), (0, 0));
        assert_ne!(rows[1]["lastcall"], "");
        let b = info(&beta, "BETA", "agentsdelay").fmt("json").get().await.json();
        assert_eq!(column(&b, "agent"), ["100-BETA"]);

        // A node down: the answer names it.
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        let r = info(&beta, "BETA", "agentsdelay").get().await.text();
        assert!(r.ends_with("Note: no answer from node(s) n2\n"), "{r}");
        sb.stop().await;
    }
}
