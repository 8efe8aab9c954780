//! Recordings and IVR logs through HTTP on every database: `switchboard recordings scan`
//! (idempotent, orphans), INFO recording / playrecording / inforecording / recordings by uniqueid
//! and by DIAL id, Range, tenant isolation, path attacks through stored rows, and INFO ivrlogs
//! fed by `record_ivr_event`.

use crate::common::*;
use chrono::NaiveDateTime;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use switchboard::cdr::import::{import_cdrs, Layout};
use switchboard::cdr::ivrlog::{record_ivr_event, IvrLogged};
use switchboard::cdr::recording::scan;

/// ACME's call recorded in a dated folder; the DIAL that made it carried this originate id.
const A_CALL: &str = "srv02-1531779475.48";
const A_DIAL: &str = "srv02-00000000000000ab";
/// ACME's call found through the uniqueid stored with its DIAL (no originateid in the CDR).
const A_CALL2: &str = "srv02-1531779475.60";
const A_DIAL2: &str = "srv02-00000000000000cd";
/// BETA's call.
const B_CALL: &str = "srv02-1531779999.50";

fn root(ctx: &Ctx) -> PathBuf {
    ctx.config.recordings_dir.clone()
}

fn put(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn gsm() -> Vec<u8> {
    (0..330u32).map(|i| (0xd0 + i % 16) as u8).collect()
}

/// The CDRs, the DIAL row and the files on disk (plus an orphan, a text file and a symlink).
async fn setup(ctx: &Ctx) {
    let layout = Layout::parse("start,uniqueid,channel,dst,originateid").unwrap();
    let text = format!(
        "\"2026-01-05 09:00:00\",\"{A_CALL}\",\"PJSIP/103-ACME-00000001\",\"0039061111\",\"{A_DIAL}\"\n\
         \"2026-01-07 10:00:00\",\"{A_CALL2}\",\"PJSIP/104-ACME-00000002\",\"0039062222\",\"\"\n\
         \"2026-01-06 11:00:00\",\"{B_CALL}\",\"PJSIP/201-BETA-00000003\",\"0039063333\",\"\"\n"
    );
    let s = import_cdrs(&ctx.db, text.as_bytes(), "srv02", &layout, &|_| {})
        .await
        .unwrap();
    assert_eq!((s.imported, s.bad.len()), (3, 0), "{s:?}");
    entity::dc_dialcalls::ActiveModel {
        dc_originateid: Set(A_DIAL2.into()),
        dc_te_id: Set(ctx.a.id),
        dc_node: Set("srv02".into()),
        dc_source: Set("104".into()),
        dc_dest: Set("0039062222".into()),
        dc_uniqueid: Set(A_CALL2.into()),
        dc_state: Set("queued".into()),
        dc_created: Set(at("2026-01-07 10:00:00")),
        ..Default::default()
    }
    .insert(&ctx.db.conn)
    .await
    .unwrap();
    let root = root(ctx);
    put(&root.join(format!("2026/01/05/{A_CALL}.wav")), &wav(1));
    put(&root.join(format!("2026/01/07/{A_CALL2}.gsm")), &gsm());
    put(&root.join(format!("{B_CALL}.WAV")), &wav(2));
    put(&root.join("2026/01/05/srv02-1.1.wav"), &wav(3)); // no such call
    put(&root.join("2026/01/05/notes.txt"), b"not audio");
    let outside = ctx.config.data_dir.join("secret.wav");
    put(&outside, b"RIFF-secret-outside");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, root.join(format!("2026/{A_CALL}.ogg"))).unwrap();
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

async fn scanned(ctx: &Ctx) {
    setup(ctx).await;
    let s = scan(&ctx.db, &root(ctx), &root(ctx)).await.unwrap();
    assert_eq!((s.files, s.indexed, s.present), (5, 3, 0), "{s:?}");
}

/// A key of tenant BETA.
async fn beta_key(ctx: &Ctx) -> String {
    ctx.mint(KeySpec {
        tenant_id: Some(ctx.b.id),
        ..Default::default()
    })
    .await
    .1
}

async fn add_row(ctx: &Ctx, te: i32, uniqueid: &str, name: &str) -> bool {
    entity::re_recordings::ActiveModel {
        re_te_id: Set(te),
        re_uniqueid: Set(uniqueid.into()),
        re_date: Set(at("2026-01-08 08:00:00")),
        re_name: Set(name.into()),
        re_format: Set("wav".into()),
        re_size: Set(19),
        ..Default::default()
    }
    .insert(&ctx.db.conn)
    .await
    .is_ok()
}

fn ivr_event(uniqueid: &str, ivr: i32, digits: &str, ts: &str) -> Vec<(String, String)> {
    [
        ("Event", "UserEvent"),
        ("Privilege", "user,all"),
        ("Channel", "PJSIP/trunk-00000009"),
        ("CallerIDNum", "5551234"),
        ("CallerIDName", "Bob"),
        ("Uniqueid", uniqueid),
        ("UserEvent", "SwitchboardIvr"),
        ("IvrId", &ivr.to_string()),
        ("Digits", digits),
        ("Destination", "EXT-103"),
        ("Timestamp", ts),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn with(mut h: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    h.retain(|(k, _)| k != name);
    h.push((name.into(), value.into()));
    h
}

async fn ivrlogs(
    ctx: &Ctx,
    key: &str,
    tenant: Option<&str>,
    filters: &[(&str, &str)],
) -> Vec<Value> {
    let mut r = ctx.info(key, tenant, "ivrlogs").fmt("json");
    for (k, v) in filters {
        r = r.p(k, v);
    }
    let v = r.get().await.json();
    assert_string_scalars(&v);
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .clone()
}

fn digits_of(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["il_digits"].as_str().unwrap())
        .collect()
}

backend_tests! {
    /// The scan indexes the files named after known calls (tenant and date from the CDR,
    /// format from the extension, size from the file), reports the orphan and skips the rest;
    /// a second scan adds nothing; a directory outside the root is refused.
    async fn scan_is_idempotent_and_reports_orphans(ctx) {
        setup(ctx).await;
        let root = root(ctx);
        let s = scan(&ctx.db, &root, &root.join("2026")).await.unwrap();
        assert_eq!((s.files, s.indexed, s.present), (4, 2, 0), "{s:?}");
        assert_eq!(s.orphans, vec!["2026/01/05/srv02-1.1.wav".to_string()]);
        let skipped: Vec<&str> = s.skipped.iter().map(|(n, _)| n.rsplit('/').next().unwrap()).collect();
        assert!(skipped.contains(&"notes.txt") && skipped.contains(&"srv02-1531779475.48.ogg"), "{s:?}");
        let all = scan(&ctx.db, &root, &root).await.unwrap();
        assert_eq!((all.files, all.indexed, all.present, all.orphans.len()), (5, 1, 2, 1), "{all:?}");
        let again = scan(&ctx.db, &root, &root).await.unwrap();
        assert_eq!((again.indexed, again.present), (0, 3), "{again:?}");
        assert_eq!(again.to_string(), "5 files: 0 indexed, 3 already indexed, 1 without a CDR, 2 skipped");
        assert_eq!(ctx.count("re_recordings").await, 3);
        assert_eq!(
            ctx.count_where("re_recordings", &format!(
                "re_uniqueid = '{A_CALL}' AND re_te_id = {} AND re_name = '2026/01/05/{A_CALL}.wav' AND re_format = 'wav' AND re_size = {}",
                ctx.a.id, wav(1).len()
            )).await,
            1
        );
        assert_eq!(
            ctx.count_where("re_recordings", &format!("re_uniqueid = '{B_CALL}' AND re_te_id = {} AND re_format = 'wav'", ctx.b.id)).await,
            1
        );
        let outside = ctx.config.data_dir.clone();
        let e = scan(&ctx.db, &root, &outside).await.unwrap_err();
        assert!(e.to_string().contains("not inside the recordings root"), "{e}");
        assert!(scan(&ctx.db, &root, &root.join("../")).await.is_err());
        assert_eq!(ctx.count("re_recordings").await, 3);
    }

    /// recording and playrecording send the bytes (attachment / inline), by uniqueid and by
    /// either kind of DIAL id, with Range; a miss and a missing id are clear errors.
    async fn recording_bytes_by_uniqueid_and_dial_id(ctx) {
        scanned(ctx).await;
        let get = |info: &'static str, id: &'static str| ctx.info(&ctx.rw, Some("ACME"), info).p("id", id);
        let r = get("recording", A_CALL).get().await;
        assert_eq!((r.status, &r.body), (200, &wav(1)));
        assert_eq!(r.content_type, "audio/wav");
        assert_eq!(r.disposition.as_deref(), Some("attachment; filename=\"srv02-1531779475.48.wav\""));
        let r = get("playrecording", A_CALL).get().await;
        assert_eq!((r.status, &r.body), (200, &wav(1)));
        assert_eq!(r.disposition.as_deref(), Some("inline; filename=\"srv02-1531779475.48.wav\""));
        // By the DIAL id the CDR carries as originateid, and by the uniqueid stored with a DIAL.
        let r = get("recording", A_DIAL).get().await;
        assert_eq!(r.body, wav(1));
        let r = get("playrecording", A_DIAL2).get().await;
        assert_eq!((r.status, &r.body, r.content_type.as_str()), (200, &gsm(), "audio/x-gsm"));
        // A read-only key may listen.
        let r = ctx.info(&ctx.ro, Some("ACME"), "recording").p("id", A_CALL).get().await;
        assert_eq!(r.body, wav(1));

        let len = wav(1).len();
        let r = get("recording", A_CALL).header("Range", "bytes=0-9").get().await;
        assert_eq!((r.status, &r.body[..]), (206, &wav(1)[..10]));
        assert_eq!(r.content_range.as_deref(), Some(format!("bytes 0-9/{len}").as_str()));
        let r = get("playrecording", A_CALL).header("Range", "bytes=-4").get().await;
        assert_eq!((r.status, &r.body[..]), (206, &wav(1)[len - 4..]));
        let r = get("recording", A_CALL).header("Range", &format!("bytes={len}-")).get().await;
        assert_eq!(r.status, 416);
        assert_eq!(r.content_range.as_deref(), Some(format!("bytes */{len}").as_str()));

        get("recording", "srv02-9.9").get().await.is_error("parameter 'id': no recording of 'srv02-9.9'");
        get("recording", "../../etc/passwd").get().await.is_error("parameter 'id': no recording of '../../etc/passwd'");
        ctx.info(&ctx.rw, Some("ACME"), "recording").get().await
            .is_error("No id specified (parameter 'id': a call uniqueid or a DIAL id)");
        ctx.info(&ctx.rw, Some("ACME"), "recording").fmt("json").get().await
            .is_json_error("No id specified (parameter 'id': a call uniqueid or a DIAL id)");
        // The file went away: a clear error, not a 500.
        std::fs::remove_file(root(ctx).join(format!("2026/01/07/{A_CALL2}.gsm"))).unwrap();
        get("recording", A_CALL2).get().await.is_error_starting("file '2026/01/07/srv02-1531779475.60.gsm' not found");
    }

    /// inforecording: one 6-field line as it is in every format (json too: clients split it);
    /// the second field is the id asked. A miss is an empty body in every format.
    async fn inforecording_line(ctx) {
        scanned(ctx).await;
        let size = wav(1).len();
        let line = format!("{A_CALL}|{A_CALL}|{A_CALL}.wav|2026-01-05 09:00:00|wav|{size}");
        let info = |id: &'static str| ctx.info(&ctx.rw, Some("ACME"), "inforecording").p("id", id);
        info(A_CALL).get().await.is_plain(&line);
        for f in ["csv", "json", "xml"] {
            info(A_CALL).fmt(f).get().await.is_plain(&line);
        }
        info(A_CALL).fmt("json").p("callback", "cb").get().await.is_plain(&line);
        info(A_DIAL).get().await.is_plain(&format!("{A_CALL}|{A_DIAL}|{A_CALL}.wav|2026-01-05 09:00:00|wav|{size}"));
        info(A_DIAL2).get().await.is_plain(&format!("{A_CALL2}|{A_DIAL2}|{A_CALL2}.gsm|2026-01-07 10:00:00|gsm|330"));
        // Misses: 0 bytes in every format.
        for f in ["plain", "json", "xml", "csv"] {
            info("srv02-9.9").fmt(f).get().await.is_plain("");
            info(B_CALL).fmt(f).get().await.is_plain("");
        }
    }

    /// INFO recordings: the caller's rows by start/end (lenient dates, end inclusive), filters,
    /// every format; BETA's rows never show for ACME.
    async fn recordings_list(ctx) {
        scanned(ctx).await;
        let list = |key: &str, tenant: Option<&str>, extra: &[(&str, &str)]| {
            let mut r = ctx.info(key, tenant, "recordings").fmt("json");
            for (k, v) in extra {
                r = r.p(k, v);
            }
            r
        };
        let v = list(&ctx.rw, Some("ACME"), &[]).get().await.json();
        assert_string_scalars(&v);
        let ids: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["re_uniqueid"].as_str().unwrap()).collect();
        assert_eq!(ids, [A_CALL, A_CALL2]);
        let row = v[0].as_object().unwrap();
        let cols: Vec<&str> = row.keys().map(String::as_str).collect();
        assert_eq!(cols, ["re_id", "re_te_id", "re_uniqueid", "re_date", "re_name", "re_format", "re_size"]);
        assert_eq!(row["re_name"], format!("2026/01/05/{A_CALL}.wav"));
        assert_eq!(row["re_date"], "2026-01-05 09:00:00");

        let v = list(&ctx.rw, Some("ACME"), &[("start", "2026-1-5"), ("end", "2026-1-6")]).get().await.json();
        assert_eq!(v.as_array().unwrap().len(), 1);
        let v = list(&ctx.rw, Some("ACME"), &[("start", "2026-01-05 09:00:01")]).get().await.json();
        assert_eq!(v[0]["re_uniqueid"], A_CALL2);
        let v = list(&ctx.rw, Some("ACME"), &[("uniqueid", &A_CALL2.to_uppercase())]).get().await.json();
        assert_eq!(v.as_array().unwrap().len(), 1);
        let v = list(&ctx.admin, Some("%"), &[("uniqueid", &format!("{A_CALL},{B_CALL}"))]).get().await.json();
        assert_eq!(v.as_array().unwrap().len(), 2);
        let v = list(&ctx.admin, Some("BETA"), &[]).get().await.json();
        assert_eq!(v.as_array().unwrap().len(), 1);
        list(&ctx.rw, Some("ACME"), &[("end", "2026-13-01")]).fmt("plain").get().await
            .is_error_starting("parameter 'end': '2026-13-01' is not a date");

        let plain = list(&ctx.rw, Some("ACME"), &[]).fmt("plain").get().await.text();
        assert_eq!(plain.lines().next(), Some("re_id|re_te_id|re_uniqueid|re_date|re_name|re_format|re_size"));
        assert_eq!(plain.lines().count(), 3);
        let csv = list(&ctx.rw, Some("ACME"), &[]).fmt("csv").get().await;
        assert_eq!(csv.content_type, CSV);
        assert_eq!(csv.text().lines().count(), 3);
        let xml = list(&ctx.rw, Some("ACME"), &[]).fmt("xml").get().await;
        assert_eq!(xml.content_type, XML);
        assert_eq!(xml.text().matches("<row>").count(), 2);
        assert!(xml.text().contains(&format!("<re_uniqueid>{A_CALL2}</re_uniqueid>")));
    }

    /// Tenant isolation: BETA cannot reach ACME's recording by uniqueid or DIAL id (and the
    /// other way round); an ACME key naming BETA is refused; admins reach both.
    async fn recordings_are_isolated(ctx) {
        scanned(ctx).await;
        let b = beta_key(ctx).await;
        for info in ["recording", "playrecording"] {
            for id in [A_CALL, A_DIAL, A_DIAL2] {
                ctx.info(&b, Some("BETA"), info).p("id", id).get().await
                    .is_error(&format!("parameter 'id': no recording of '{id}'"));
            }
            ctx.info(&ctx.rw, Some("ACME"), info).p("id", B_CALL).get().await
                .is_error(&format!("parameter 'id': no recording of '{B_CALL}'"));
            ctx.info(&ctx.rw, Some("BETA"), info).p("id", B_CALL).get().await.is_too_bad();
        }
        ctx.info(&b, Some("BETA"), "inforecording").p("id", A_CALL).get().await.is_plain("");
        let v = ctx.info(&b, Some("BETA"), "recordings").fmt("json").get().await.json();
        assert_eq!(v.as_array().unwrap().len(), 1);
        assert_eq!(v[0]["re_uniqueid"], B_CALL);
        let r = ctx.info(&b, Some("BETA"), "recording").p("id", B_CALL).get().await;
        assert_eq!(r.body, wav(2));
        // Admins: every tenant, or only the one named.
        let r = ctx.info(&ctx.admin, None, "recording").p("id", A_CALL).get().await;
        assert_eq!(r.body, wav(1));
        ctx.info(&ctx.admin, Some("BETA"), "recording").p("id", A_CALL).get().await
            .is_error(&format!("parameter 'id': no recording of '{A_CALL}'"));
    }

    /// Rows whose name leaves the root are refused, never served: `..`, absolute, a symlink
    /// out, a NUL byte (where the database can store one).
    async fn recording_paths_cannot_leave_the_root(ctx) {
        scanned(ctx).await;
        let root = root(ctx);
        let secret = b"RIFF-secret-outside";
        let outside = ctx.config.data_dir.join("secret.wav");
        std::fs::create_dir_all(root.join("links")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, root.join("links/out.wav")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&ctx.config.data_dir, root.join("links/dir")).unwrap();
        let attacks = [
            ("atk-1.1", "../secret.wav".to_string(), "contains '..'"),
            ("atk-2.2", outside.display().to_string(), "is absolute"),
            ("atk-3.3", "links/out.wav".to_string(), "leaves its directory"),
            ("atk-4.4", "links/dir/secret.wav".to_string(), "leaves its directory"),
            ("atk-5.5", "2026/../../secret.wav".to_string(), "contains '..'"),
            ("atk-6.6", "x.wav\0/../../secret.wav".to_string(), "contains a NUL byte"),
        ];
        for (uniqueid, name, why) in &attacks {
            if !add_row(ctx, ctx.a.id, uniqueid, name).await {
                // PostgreSQL cannot store a NUL byte in text: nothing to serve.
                assert!(name.contains('\0'), "{name:?} not stored");
                continue;
            }
            for info in ["recording", "playrecording"] {
                for range in [None, Some("bytes=0-3")] {
                    let mut r = ctx.info(&ctx.rw, Some("ACME"), info).p("id", uniqueid);
                    if let Some(range) = range {
                        r = r.header("Range", range);
                    }
                    let r = r.get().await;
                    assert_eq!(r.status, 200, "{name:?}");
                    assert!(!r.body.windows(6).any(|w| w == &secret[..6]), "{name:?} served: {}", r.text());
                    assert!(r.text().starts_with("Error: file name") && r.text().contains(why), "{name:?}: {}", r.text());
                }
            }
        }
    }

    /// IVR choices from AMI user events: validated, stored once, tenant from the IVR's owner.
    async fn ivr_events_are_validated_and_idempotent(ctx) {
        let ivr_a = id_of(&ctx.add(&ctx.rw, Some("ACME"), "ivr", json!({"iv_name": "Main"})).await, "iv_id");
        let ok = ivr_event("srv02-1700000000.1", ivr_a, "1", "1700000005.123456");
        assert_eq!(record_ivr_event(&ctx.db, "srv02", &ok).await.unwrap(), IvrLogged::Recorded);
        assert_eq!(record_ivr_event(&ctx.db, "srv02", &ok).await.unwrap(), IvrLogged::AlreadyRecorded);
        // The same key pressed again later in the same call is another choice.
        let later = with(ok.clone(), "Timestamp", "1700000009.5");
        assert_eq!(record_ivr_event(&ctx.db, "srv02", &later).await.unwrap(), IvrLogged::Recorded);
        let bad = [
            (with(ok.clone(), "UserEvent", "Other"), "not a UserEvent SwitchboardIvr"),
            (with(ok.clone(), "Uniqueid", ""), "header 'Uniqueid' is required"),
            (with(ok.clone(), "Uniqueid", &"x".repeat(65)), "header 'Uniqueid': at most 64"),
            (with(ok.clone(), "IvrId", "abc"), "header 'IvrId': 'abc' is not an IVR id"),
            (with(ok.clone(), "IvrId", "999999"), "header 'IvrId': no IVR 999999"),
            (with(ok.clone(), "Digits", "1;DROP"), "header 'Digits': '1;DROP' is not"),
            (with(ok.clone(), "Digits", ""), "header 'Digits' is required"),
            (with(ok.clone(), "Destination", "EXT\u{1}"), "header 'Destination': at most 100 printable"),
            (with(ok.clone(), "Timestamp", "yesterday"), "header 'Timestamp': 'yesterday'"),
        ];
        for (headers, message) in bad {
            let e = record_ivr_event(&ctx.db, "srv02", &headers).await.unwrap_err();
            assert!(e.to_string().contains(message), "{e} / {message}");
        }
        assert_eq!(ctx.count("il_ivrlogs").await, 2);
        let rows = ivrlogs(ctx, &ctx.rw, Some("ACME"), &[]).await;
        assert_eq!(rows[0]["il_time"], "2023-11-14 22:13:25");
        assert_eq!(rows[0]["il_ivr_name"], "Main");
        assert_eq!(rows[0]["il_iv_id"], ivr_a.to_string());
        assert_eq!(rows[0]["il_te_id"], ctx.a.id.to_string());
        assert_eq!(rows[0]["il_callerid"], "5551234");
        assert_eq!(rows[0]["il_destination"], "EXT-103");
    }

    /// INFO ivrlogs: filters, dates, formats and isolation.
    async fn ivrlogs_report(ctx) {
        let main = id_of(&ctx.add(&ctx.rw, Some("ACME"), "ivr", json!({"iv_name": "Main"})).await, "iv_id");
        let night = id_of(&ctx.add(&ctx.rw, Some("ACME"), "ivr", json!({"iv_name": "Night"})).await, "iv_id");
        let beta = id_of(&ctx.add(&ctx.admin, Some("BETA"), "ivr", json!({"iv_name": "Main"})).await, "iv_id");
        // 2026-01-05 09:00:00 UTC = 1767603600
        for (uniqueid, ivr, digits, ts, caller) in [
            ("srv02-1.1", main, "1", 1767603600, "5551111"),
            ("srv02-1.1", night, "2", 1767603610, "5551111"),
            ("srv02-2.2", main, "#", 1767690000, "5552222"),
            ("srv02-3.3", main, "t", 1767776400, "<unknown>"),
            ("srv02-4.4", beta, "9", 1767603600, "5559999"),
        ] {
            let h = with(ivr_event(uniqueid, ivr, digits, &ts.to_string()), "CallerIDNum", caller);
            record_ivr_event(&ctx.db, "srv02", &h).await.unwrap();
        }
        let rw = ctx.rw.clone();
        let acme = |filters: &'static [(&'static str, &'static str)]| {
            let rw = rw.clone();
            async move { digits_of(&ivrlogs(ctx, &rw, Some("ACME"), filters).await).iter().map(|s| s.to_string()).collect::<Vec<_>>() }
        };
        assert_eq!(acme(&[]).await, ["1", "2", "#", "t"]);
        assert_eq!(acme(&[("uniqueid", "SRV02-1.1")]).await, ["1", "2"]);
        assert_eq!(acme(&[("ivrname", "night")]).await, ["2"]);
        assert_eq!(acme(&[("callerid", "5552222,5551111")]).await, ["1", "2", "#"]);
        assert_eq!(acme(&[("digits", "t")]).await, ["t"]);
        assert_eq!(acme(&[("start", "2026-1-6"), ("end", "2026-01-06")]).await, ["#"]);
        assert_eq!(acme(&[("end", "2026-01-05 09:00")]).await, ["1", "2"]);
        assert_eq!(acme(&[("end", "2026-01-05 09:00:05")]).await, ["1"]);
        let rows = ivrlogs(ctx, &ctx.rw, Some("ACME"), &[("ivr", &format!("{night}"))]).await;
        assert_eq!(digits_of(&rows), ["2"]);
        let rows = ivrlogs(ctx, &ctx.rw, Some("ACME"), &[("digits", "t")]).await;
        assert_eq!(rows[0]["il_callerid"], "");
        ctx.info(&ctx.rw, Some("ACME"), "ivrlogs").p("ivr", "main").get().await
            .is_error("parameter 'ivr' must be a comma list of integer ids");
        ctx.info(&ctx.rw, Some("ACME"), "ivrlogs").p("start", "soon").get().await
            .is_error_starting("parameter 'start'");

        // Isolation: BETA's IVR id as a filter finds nothing for ACME; BETA sees only its own.
        let rows = ivrlogs(ctx, &ctx.rw, Some("ACME"), &[("ivr", &beta.to_string())]).await;
        assert!(rows.is_empty());
        let b = beta_key(ctx).await;
        assert_eq!(digits_of(&ivrlogs(ctx, &b, Some("BETA"), &[]).await), ["9"]);
        assert_eq!(ivrlogs(ctx, &ctx.admin, Some("%"), &[]).await.len(), 5);
        ctx.info(&ctx.rw, Some("BETA"), "ivrlogs").get().await.is_too_bad();

        let plain = ctx.info(&ctx.ro, Some("ACME"), "ivrlogs").get().await;
        assert_eq!(
            plain.text().lines().next(),
            Some("il_id|il_te_id|il_time|il_uniqueid|il_iv_id|il_ivr_name|il_callerid|il_digits|il_destination")
        );
        assert_eq!(plain.text().lines().count(), 5);
        let csv = ctx.info(&ctx.rw, Some("ACME"), "ivrlogs").fmt("csv").p("digits", "#").get().await;
        assert_eq!(csv.content_type, CSV);
        assert_eq!(csv.text().lines().count(), 2, "{}", csv.text());
        assert!(csv.text().contains(",srv02-2.2,"), "{}", csv.text());
        let xml = ctx.info(&ctx.rw, Some("ACME"), "ivrlogs").fmt("xml").get().await;
        assert_eq!(xml.text().matches("<row>").count(), 4);
        assert!(xml.text().contains("<il_digits>#</il_digits>"));
    }
}
