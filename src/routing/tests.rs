//! The decisions on a real SQLite database built by the migrations.

use super::*;
use crate::db::Db;
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::sea_query::{Alias, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};

async fn db() -> DatabaseConnection {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    db.conn
}

async fn ins(conn: &DatabaseConnection, table: &str, cols: &[(&str, Value)]) -> i32 {
    let mut q = Query::insert();
    q.into_table(Alias::new(table))
        .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(cols.iter().map(|(_, v)| v.clone().into()));
    conn.execute(&q).await.unwrap().last_insert_id() as i32
}

fn s(v: &str) -> Value {
    Value::String(Some(v.to_string()))
}
fn i(v: i32) -> Value {
    Value::Int(Some(v))
}
fn now() -> Value {
    Value::ChronoDateTime(Some(Utc::now().naive_utc()))
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

async fn tenant(c: &DatabaseConnection, code: &str) -> i32 {
    ins(
        c,
        "te_tenants",
        &[
            ("te_code", s(code)),
            ("te_name", s(code)),
            ("te_created", now()),
        ],
    )
    .await
}

async fn ext(c: &DatabaseConnection, te: i32, code: &str, number: &str) -> i32 {
    ins(
        c,
        "ex_extensions",
        &[
            ("ex_te_id", i(te)),
            ("ex_number", s(number)),
            ("ex_tech", s("PJSIP")),
            ("ex_username", s(&format!("{number}-{code}"))),
            ("ex_created", now()),
        ],
    )
    .await
}

async fn dests(c: &DatabaseConnection, te: i32, src: &str, id: i32, list: &[(&str, &str)]) {
    for (ord, (tag, arg)) in list.iter().enumerate() {
        ins(
            c,
            "de_destinations",
            &[
                ("de_te_id", i(te)),
                ("de_type_src", s(src)),
                ("de_type_id_src", i(id)),
                ("de_type_dst", s(tag)),
                ("de_type_id_dst", s(arg)),
                ("de_ord", i(ord as i32 + 1)),
            ],
        )
        .await;
    }
}

async fn did(c: &DatabaseConnection, te: i32, country: &str, area: &str, number: &str) -> i32 {
    ins(
        c,
        "di_dids",
        &[
            ("di_te_id", i(te)),
            ("di_country", s(country)),
            ("di_area", s(area)),
            ("di_number", s(number)),
        ],
    )
    .await
}

async fn queue(c: &DatabaseConnection, te: i32, number: &str, timeout: i32) -> i32 {
    ins(
        c,
        "qu_queues",
        &[
            ("qu_te_id", i(te)),
            ("qu_name", s("sales")),
            ("qu_number", s(number)),
            ("qu_timeout", i(timeout)),
        ],
    )
    .await
}

async fn ivr(c: &DatabaseConnection, te: i32, retries: i32) -> i32 {
    let me = ins(
        c,
        "me_mediafiles",
        &[
            ("me_te_id", i(te)),
            ("me_name", s("welcome")),
            ("me_format", s("wav")),
            ("me_sha256", s(&"ab".repeat(32))),
        ],
    )
    .await;
    ins(
        c,
        "iv_ivrs",
        &[
            ("iv_te_id", i(te)),
            ("iv_name", s("main")),
            ("iv_timeout", i(5)),
            ("iv_me_id", i(me)),
            ("iv_maxretries", i(retries)),
        ],
    )
    .await
}

fn dial(d: &Decision) -> Vec<String> {
    match &d.step {
        Step::Dial { targets, .. } => targets.clone(),
        other => panic!("not a dial: {other:?}"),
    }
}

#[tokio::test]
async fn did_as_presented() {
    let c = db().await;
    let te = tenant(&c, "ACME").await;
    let d = did(&c, te, "39", "06", "12345678").await;
    dests(&c, te, "DID", d, &[("BUSY", "")]).await;
    for presented in [
        "+390612345678",
        "00390612345678",
        "390612345678",
        "0612345678",
        "12345678",
    ] {
        let got = inbound(&c, presented, "5551234", at(2026, 1, 5, 10, 0))
            .await
            .unwrap();
        assert_eq!(got.step, Step::Busy, "{presented}");
        assert_eq!(got.tenant.as_deref(), Some("ACME"));
    }
    for presented in ["+0612345678", "390612345679", "", "12ab", "+"] {
        let got = inbound(&c, presented, "5551234", at(2026, 1, 5, 10, 0))
            .await
            .unwrap();
        assert!(
            matches!(got.step, Step::Refuse { .. }),
            "{presented}: {got:?}"
        );
    }
    // Disabled tenant, blacklisted caller.
    ins(
        &c,
        "bl_calleridblacklist",
        &[("bl_te_id", i(te)), ("bl_number", s("5550000"))],
    )
    .await;
    let got = inbound(&c, "390612345678", "5550000", at(2026, 1, 5, 10, 0))
        .await
        .unwrap();
    assert_eq!(got.step, Step::Hangup);
    let mut up = Query::update();
    up.table(Alias::new("te_tenants"))
        .value(Alias::new("te_disabled"), "on");
    c.execute(&up).await.unwrap();
    let got = inbound(&c, "390612345678", "5551234", at(2026, 1, 5, 10, 0))
        .await
        .unwrap();
    assert_eq!(
        got.step,
        Step::Refuse {
            reason: "tenant disabled".into()
        }
    );
}

#[tokio::test]
async fn did_ivr_queue_then_voicemail() {
    let c = db().await;
    let te = tenant(&c, "ACME").await;
    let d = did(&c, te, "39", "06", "1").await;
    let iv = ivr(&c, te, 1).await;
    let q = queue(&c, te, "600", 45).await;
    let vm = ins(
        &c,
        "voicemail_users",
        &[
            ("te_id", i(te)),
            ("context", s("ACME")),
            ("mailbox", s("100")),
        ],
    )
    .await;
    dests(
        &c,
        te,
        "DID",
        d,
        &[("IVR", &iv.to_string()), ("VOICEMAIL", &vm.to_string())],
    )
    .await;
    dests(
        &c,
        te,
        &"IVR_1".to_string(),
        iv,
        &[("QUEUE", &q.to_string())],
    )
    .await;
    dests(&c, te, "IVR_TIMEOUT", iv, &[("HANGUP", "")]).await;
    let t = at(2026, 1, 5, 10, 0);

    let first = inbound(&c, "39061", "", t).await.unwrap();
    assert_eq!(
        first.step,
        Step::Ivr {
            id: iv,
            media: Some(format!("switchboard/ab/{}", "ab".repeat(32))),
            timeout: 5,
            attempt: 1
        }
    );
    let token = first.next.to_string();
    assert_eq!(token, format!("L.DID.{d}.1"));

    let key = ivr_input(&c, iv, 1, "1", &token, t).await.unwrap();
    assert_eq!(
        key.step,
        Step::Queue {
            name: q.to_string(),
            timeout: 45
        }
    );
    assert_eq!(
        key.ivr_choice.as_deref(),
        Some(format!("QUEUE-{q}").as_str())
    );

    // The queue gave up: the queue's own list is empty, the IVR key's list is done, the DID
    // list goes on to the voicemail box.
    let after = next(&c, &key.next.to_string(), Outcome::parse("TIMEOUT"), t)
        .await
        .unwrap();
    assert_eq!(
        after.step,
        Step::Voicemail {
            mailbox: "100@ACME".into(),
            greeting: VoicemailGreeting::None
        }
    );
    // And after that, nothing: hang up.
    let end = next(&c, &after.next.to_string(), Outcome::Other, t)
        .await
        .unwrap();
    assert_eq!(end.step, Step::Hangup);

    // Timeout: replayed once (maxretries 1), then IVR_TIMEOUT.
    let again = ivr_input(&c, iv, 1, "t", &token, t).await.unwrap();
    assert!(matches!(again.step, Step::Ivr { attempt: 2, .. }));
    assert_eq!(again.next.to_string(), token);
    let out = ivr_input(&c, iv, 2, "t", &token, t).await.unwrap();
    assert_eq!(out.step, Step::Hangup);
    assert_eq!(out.ivr_choice.as_deref(), Some("HANGUP"));
    // Invalid (a key with no list) after the retries, with no IVR_INVALID list: the DID list
    // goes on.
    let inv = ivr_input(&c, iv, 2, "7", &token, t).await.unwrap();
    assert!(matches!(inv.step, Step::Voicemail { .. }), "{inv:?}");
}

#[tokio::test]
async fn conditions_in_their_time_zone() {
    let c = db().await;
    let te = tenant(&c, "ACME").await;
    let d = did(&c, te, "", "", "777").await;
    let co = ins(
        &c,
        "co_conditions",
        &[
            ("co_te_id", i(te)),
            ("co_name", s("office")),
            ("co_type", s("WEEKTIME")),
            ("co_timezone", s("America/New_York")),
        ],
    )
    .await;
    ins(
        &c,
        "ce_conditionextendedinfos",
        &[
            ("ce_te_id", i(te)),
            ("ce_co_id", i(co)),
            ("ce_ord", i(1)),
            ("ce_param1", s("1")),
            ("ce_param2", s("9:00")),
            ("ce_param3", s("17:00")),
        ],
    )
    .await;
    dests(
        &c,
        te,
        "DID",
        d,
        &[("CONDITION", &co.to_string()), ("CONGESTION", "")],
    )
    .await;
    dests(&c, te, "CONDITION", co, &[("BUSY", "")]).await;
    dests(&c, te, "NOTCONDITION", co, &[("HANGUP", "")]).await;
    // Monday 2026-03-09 is the first day of US summer time (UTC-4): 9:00 is 13:00 UTC.
    assert_eq!(
        inbound(&c, "777", "", at(2026, 3, 9, 12, 59))
            .await
            .unwrap()
            .step,
        Step::Hangup
    );
    assert_eq!(
        inbound(&c, "777", "", at(2026, 3, 9, 13, 0))
            .await
            .unwrap()
            .step,
        Step::Busy
    );
    // The Monday before (UTC-5): 9:00 was 14:00 UTC.
    assert_eq!(
        inbound(&c, "777", "", at(2026, 3, 2, 13, 59))
            .await
            .unwrap()
            .step,
        Step::Hangup
    );
    assert_eq!(
        inbound(&c, "777", "", at(2026, 3, 2, 14, 0))
            .await
            .unwrap()
            .step,
        Step::Busy
    );
    // An empty NOTCONDITION list falls through to the next destination of the DID.
    let mut del = Query::delete();
    del.from_table(Alias::new("de_destinations"))
        .and_where(sea_orm::sea_query::Expr::col(Alias::new("de_type_src")).eq("NOTCONDITION"));
    c.execute(&del).await.unwrap();
    assert_eq!(
        inbound(&c, "777", "", at(2026, 3, 9, 12, 59))
            .await
            .unwrap()
            .step,
        Step::Congestion
    );
    // The tenant's TIMEZONE applies when the condition names none.
    let mut up = Query::update();
    up.table(Alias::new("co_conditions"))
        .value(Alias::new("co_timezone"), "");
    c.execute(&up).await.unwrap();
    ins(
        &c,
        "st_settings",
        &[
            ("st_te_id", i(te)),
            ("st_code", s("TIMEZONE")),
            ("st_value", s("Asia/Tokyo")),
            ("st_updated", now()),
        ],
    )
    .await;
    // Monday 9:00 in Tokyo (UTC+9) is Monday 00:00 UTC.
    assert_eq!(
        inbound(&c, "777", "", at(2026, 3, 9, 0, 0))
            .await
            .unwrap()
            .step,
        Step::Busy
    );
    assert_eq!(
        inbound(&c, "777", "", at(2026, 3, 8, 23, 59))
            .await
            .unwrap()
            .step,
        Step::Congestion
    );
}

#[tokio::test]
async fn extension_fall_through() {
    let c = db().await;
    let te = tenant(&c, "ACME").await;
    let d = did(&c, te, "", "", "100").await;
    let e = ext(&c, te, "ACME", "100").await;
    ins(
        &c,
        "voicemail_users",
        &[
            ("te_id", i(te)),
            ("context", s("ACME")),
            ("mailbox", s("100")),
        ],
    )
    .await;
    dests(
        &c,
        te,
        "DID",
        d,
        &[("EXT", &e.to_string()), ("CONGESTION", "")],
    )
    .await;
    dests(&c, te, "EXT-BUSY", e, &[("BUSY", "")]).await;
    let t = at(2026, 1, 5, 10, 0);
    let ring = inbound(&c, "100", "", t).await.unwrap();
    assert_eq!(dial(&ring), vec!["PJSIP/100-ACME"]);
    assert_eq!(ring.next.to_string(), format!("L.DID.{d}.1/X.{e}"));
    let token = ring.next.to_string();
    assert_eq!(
        next(&c, &token, Outcome::parse("BUSY"), t)
            .await
            .unwrap()
            .step,
        Step::Busy
    );
    // No answer, no EXT-NOANSWER list, voicemail off: the DID list goes on.
    assert_eq!(
        next(&c, &token, Outcome::parse("NOANSWER"), t)
            .await
            .unwrap()
            .step,
        Step::Congestion
    );
    // Voicemail on: the box with the unavailable greeting.
    let mut up = Query::update();
    up.table(Alias::new("ex_extensions"))
        .value(Alias::new("ex_voicemail"), "on");
    c.execute(&up).await.unwrap();
    assert_eq!(
        next(&c, &token, Outcome::parse("CHANUNAVAIL"), t)
            .await
            .unwrap()
            .step,
        Step::Voicemail {
            mailbox: "100@ACME".into(),
            greeting: VoicemailGreeting::Unavailable
        }
    );
    // DND counts as busy, without ringing.
    let mut up = Query::update();
    up.table(Alias::new("ex_extensions"))
        .value(Alias::new("ex_dnd"), "on");
    c.execute(&up).await.unwrap();
    assert_eq!(inbound(&c, "100", "", t).await.unwrap().step, Step::Busy);
    // Unconditional forward wins over everything.
    dests(&c, te, "EXT-UNCONDITIONAL", e, &[("HANGUP", "")]).await;
    assert_eq!(inbound(&c, "100", "", t).await.unwrap().step, Step::Hangup);
}

#[tokio::test]
async fn internal_dialling_stays_in_the_tenant() {
    let c = db().await;
    let a = tenant(&c, "ACME").await;
    let b = tenant(&c, "BETA").await;
    ext(&c, a, "ACME", "100").await;
    ext(&c, a, "ACME", "101").await;
    let b200 = ext(&c, b, "BETA", "200").await;
    queue(&c, b, "600", 30).await;
    let q = queue(&c, a, "601", 30).await;
    let t = at(2026, 1, 5, 10, 0);
    let call = |dialled: &'static str| internal(&c, "PJSIP/100-ACME-0000001a", dialled, t);
    assert_eq!(dial(&call("101").await.unwrap()), vec!["PJSIP/101-ACME"]);
    assert_eq!(
        call("601").await.unwrap().step,
        Step::Queue {
            name: q.to_string(),
            timeout: 30
        }
    );
    // BETA's extension and queue numbers are outside numbers for ACME (no route: refused).
    for n in ["200", "600"] {
        let got = call(n).await.unwrap();
        assert_eq!(
            got.step,
            Step::Refuse {
                reason: format!("no route for {n}")
            },
            "{n}"
        );
    }
    // A continuation naming BETA's objects cannot be mixed with ACME's.
    let d = did(&c, a, "", "", "5").await;
    let forged = format!("L.DID.{d}.0/X.{b200}");
    assert!(matches!(
        next(&c, &forged, Outcome::Busy, t).await.unwrap().step,
        Step::Refuse { .. }
    ));
    // Unknown devices and non-phone channels are refused.
    for ch in [
        "PJSIP/999-ACME-00000001",
        "Local/100@x-00000001;1",
        "PJSIP/100-ACME",
    ] {
        let got = internal(&c, ch, "101", t).await.unwrap();
        assert!(matches!(got.step, Step::Refuse { .. }), "{ch}");
    }
    assert_eq!(
        flow::device_of_channel("PJSIP/100-ACME-0000001a"),
        Some("100-ACME")
    );
}

#[tokio::test]
async fn outbound_routes_and_emergency() {
    let c = db().await;
    let a = tenant(&c, "ACME").await;
    ext(&c, a, "ACME", "100").await;
    let rp = ins(&c, "rp_routingprofiles", &[("rp_name", s("default"))]).await;
    let other_rp = ins(&c, "rp_routingprofiles", &[("rp_name", s("other"))]).await;
    let p1 = ins(
        &c,
        "pr_providers",
        &[
            ("pr_peername", s("carrier1")),
            ("pr_name", s("c1")),
            ("pr_tech", s("PJSIP")),
        ],
    )
    .await;
    let p2 = ins(
        &c,
        "pr_providers",
        &[
            ("pr_peername", s("carrier2")),
            ("pr_name", s("c2")),
            ("pr_tech", s("SIP")),
        ],
    )
    .await;
    let route =
        |rp: i32, re: &str, pr: i32, ord: i32, strip: i32, prepend: &str, emergency: &str| {
            vec![
                ("dl_rp_id", i(rp)),
                ("dl_regex", s(re)),
                ("dl_pr_id", i(pr)),
                ("dl_ord", i(ord)),
                ("dl_strip", i(strip)),
                ("dl_prepend", s(prepend)),
                ("dl_emergencyroute", s(emergency)),
            ]
        };
    ins(&c, "dl_routes", &route(rp, "^0039", p2, 2, 4, "+39", "")).await;
    ins(&c, "dl_routes", &route(rp, "^00", p1, 1, 0, "", "")).await;
    ins(&c, "dl_routes", &route(rp, "^9", p1, 3, 0, "", "")).await;
    ins(
        &c,
        "dl_routes",
        &route(other_rp, "^112$", p2, 1, 0, "", "on"),
    )
    .await;
    let t = at(2026, 1, 5, 10, 0);
    let call = |dialled: &'static str| internal(&c, "PJSIP/100-ACME-00000001", dialled, t);
    // No routing profile yet: no route, but the emergency number goes out.
    assert!(matches!(
        call("0039061234").await.unwrap().step,
        Step::Refuse { .. }
    ));
    assert_eq!(dial(&call("112").await.unwrap()), vec!["SIP/carrier2/112"]);
    ins(
        &c,
        "st_settings",
        &[
            ("st_te_id", i(a)),
            ("st_code", s("ROUTING_PROFILE")),
            ("st_value", s(&rp.to_string())),
            ("st_updated", now()),
        ],
    )
    .await;
    // Numbers in international form are international (no numbering plan): allowed here.
    setting_row(&c, a, "ALLOW_INTERNATIONAL", "yes").await;
    let got = call("0039061234").await.unwrap();
    assert_eq!(
        dial(&got),
        vec!["PJSIP/0039061234@carrier1", "SIP/carrier2/+39061234"]
    );
    assert!(matches!(
        got.step,
        Step::Dial {
            failover: Failover::Unavailable,
            ..
        }
    ));
    assert_eq!(
        dial(&call("0044123").await.unwrap()),
        vec!["PJSIP/0044123@carrier1"]
    );
    assert!(matches!(
        call("555").await.unwrap().step,
        Step::Refuse { .. }
    ));
    // Disabled tenant: emergency still goes out, nothing else does.
    let mut up = Query::update();
    up.table(Alias::new("te_tenants"))
        .value(Alias::new("te_disabled"), "on");
    c.execute(&up).await.unwrap();
    assert_eq!(dial(&call("112").await.unwrap()), vec!["SIP/carrier2/112"]);
    assert!(matches!(
        call("0044123").await.unwrap().step,
        Step::Refuse { .. }
    ));
}

#[tokio::test]
async fn hunt_lists_and_unexecuted_destinations() {
    let c = db().await;
    let te = tenant(&c, "ACME").await;
    let d = did(&c, te, "", "", "1").await;
    let e1 = ext(&c, te, "ACME", "101").await;
    let e2 = ext(&c, te, "ACME", "102").await;
    let e3 = ext(&c, te, "ACME", "103").await;
    let mut up = Query::update();
    up.table(Alias::new("ex_extensions"))
        .value(Alias::new("ex_dnd"), "on")
        .and_where(sea_orm::sea_query::Expr::col(Alias::new("ex_id")).eq(e3));
    c.execute(&up).await.unwrap();
    let hu = ins(
        &c,
        "hu_huntlists",
        &[
            ("hu_te_id", i(te)),
            ("hu_number", s("700")),
            ("hu_name", s("all")),
            ("hu_type", s("SEQUENTIAL")),
            ("hu_ringtime", i(15)),
        ],
    )
    .await;
    for (ord, e) in [e2, e3, e1].iter().enumerate() {
        ins(
            &c,
            "hm_huntlistmembers",
            &[
                ("hm_te_id", i(te)),
                ("hm_hu_id", i(hu)),
                ("hm_type", s("EXT")),
                ("hm_type_id", s(&e.to_string())),
                ("hm_ord", i(ord as i32)),
            ],
        )
        .await;
    }
    dests(
        &c,
        te,
        "DID",
        d,
        &[("HUNTLIST", &hu.to_string()), ("MEETME", "1")],
    )
    .await;
    dests(&c, te, "HUNTLIST", hu, &[("BUSY", "")]).await;
    let t = at(2026, 1, 5, 10, 0);
    let got = inbound(&c, "1", "", t).await.unwrap();
    assert_eq!(
        got.step,
        Step::Dial {
            targets: vec!["PJSIP/102-ACME".into(), "PJSIP/101-ACME".into()],
            timeout: 15,
            failover: Failover::Any
        }
    );
    // Unanswered: the hunt list's own destinations first.
    let after = next(&c, &got.next.to_string(), Outcome::NoAnswer, t)
        .await
        .unwrap();
    assert_eq!(after.step, Step::Busy);
    // Then the DID's next: MEETME is not executed yet, which is said, not silent.
    let last = next(&c, &after.next.to_string(), Outcome::Other, t)
        .await
        .unwrap();
    assert_eq!(
        last.step,
        Step::Refuse {
            reason: "destination MEETME is not executed by this server yet".into()
        }
    );
    // Simultaneous: one target ringing both.
    let mut up = Query::update();
    up.table(Alias::new("hu_huntlists"))
        .value(Alias::new("hu_type"), "SIMULTANEOUS");
    c.execute(&up).await.unwrap();
    assert_eq!(
        dial(&inbound(&c, "1", "", t).await.unwrap()),
        vec!["PJSIP/102-ACME&PJSIP/101-ACME"]
    );
}

#[tokio::test]
async fn loops_end_in_a_refusal() {
    let c = db().await;
    let te = tenant(&c, "ACME").await;
    let d = did(&c, te, "", "", "1").await;
    let co = ins(
        &c,
        "co_conditions",
        &[
            ("co_te_id", i(te)),
            ("co_name", s("x")),
            ("co_type", s("WEEKTIME")),
        ],
    )
    .await;
    dests(&c, te, "DID", d, &[("CONDITION", &co.to_string())]).await;
    dests(
        &c,
        te,
        "NOTCONDITION",
        co,
        &[("CONDITION", &co.to_string())],
    )
    .await;
    let got = inbound(&c, "1", "", at(2026, 1, 5, 10, 0)).await.unwrap();
    assert!(matches!(got.step, Step::Refuse { .. }), "{got:?}");
}

async fn setting_row(c: &DatabaseConnection, te: i32, code: &str, value: &str) {
    ins(
        c,
        "st_settings",
        &[
            ("st_te_id", i(te)),
            ("st_code", s(code)),
            ("st_value", s(value)),
            ("st_updated", now()),
        ],
    )
    .await;
}

/// A tenant `code` with extension 100 and a catch-all route; its number plan is UK.
async fn outbound_tenant(c: &DatabaseConnection, code: &str) -> i32 {
    let te = tenant(c, code).await;
    ext(c, te, code, "100").await;
    let rp = ins(c, "rp_routingprofiles", &[("rp_name", s(code))]).await;
    let pr = ins(
        c,
        "pr_providers",
        &[
            ("pr_peername", s(&format!("carrier-{code}"))),
            ("pr_name", s(code)),
        ],
    )
    .await;
    ins(
        c,
        "dl_routes",
        &[
            ("dl_rp_id", i(rp)),
            ("dl_regex", s("^00")),
            ("dl_pr_id", i(pr)),
            ("dl_ord", i(1)),
        ],
    )
    .await;
    setting_row(c, te, "ROUTING_PROFILE", &rp.to_string()).await;
    setting_row(c, te, "NUMBER_PLAN", "UK").await;
    te
}

/// A lost hang-up stops counting at its expiry; the per-hour window rolls; tenant B's limits
/// and slots never touch tenant A's calls.
#[tokio::test]
async fn slots_expire_and_the_hour_rolls() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    let c = &db.conn;
    let a = outbound_tenant(c, "ACME").await;
    let b = outbound_tenant(c, "BETA").await;
    setting_row(c, a, "OUTBOUND_CONCURRENT", "1").await;
    setting_row(c, a, "OUTBOUND_CALLS_PER_HOUR", "2").await;
    setting_row(c, 0, "OUTBOUND_SLOT_MINUTES", "5").await;
    setting_row(c, b, "OUTBOUND_CONCURRENT", "1").await;
    let t0 = at(2026, 1, 5, 10, 0);
    let place = |code: &'static str, t: DateTime<Utc>| {
        let db = db.clone();
        async move {
            let mut d = internal(
                &db.conn,
                &format!("PJSIP/100-{code}-00000001"),
                "02079460000",
                t,
            )
            .await
            .unwrap();
            admit(&db, &mut d, "u1", t).await.unwrap();
            d
        }
    };
    let cause = |d: &Decision| d.guard.cause().map(|c| c.code());
    let first = place("ACME", t0).await;
    assert!(first.guard.slot.is_some(), "{first:?}");
    assert_eq!(dial(&first), vec!["PJSIP/00442079460000@carrier-ACME"]);
    assert_eq!(
        cause(&place("ACME", t0).await),
        Some("LIMIT_TENANT_CONCURRENT")
    );
    // BETA's own slot and limit are its own.
    assert!(place("BETA", t0).await.guard.slot.is_some());
    assert_eq!(
        cause(&place("BETA", t0).await),
        Some("LIMIT_TENANT_CONCURRENT")
    );
    // The hang-up never came: after 5 minutes the slot no longer counts.
    let t6 = t0 + chrono::Duration::minutes(6);
    let second = place("ACME", t6).await;
    let slot = second.guard.slot.expect("admitted after the expiry");
    assert!(release(&db, slot, "u1", t6).await.unwrap());
    assert!(
        !release(&db, slot, "u1", t6).await.unwrap(),
        "released once"
    );
    // Two calls started this hour: the third waits for the hour to roll.
    assert_eq!(
        cause(&place("ACME", t6).await),
        Some("LIMIT_TENANT_PER_HOUR")
    );
    let t61 = t0 + chrono::Duration::minutes(61);
    assert!(place("ACME", t61).await.guard.slot.is_some());
    // Only the channel that took a slot frees it.
    let t70 = t0 + chrono::Duration::minutes(70);
    let third = place("BETA", t70).await;
    assert!(
        !release(&db, third.guard.slot.unwrap(), "someone-else", t70)
            .await
            .unwrap()
    );
}
