//! The FastAGI call-routing service, driven over TCP by a test client that speaks as Asterisk
//! 22.10.1 does (`shared/spec/agi.md`): the environment block in two chunks with LF-only lines,
//! `200 result=1` to every `SET VARIABLE`, a `HANGUP` line after the server's EOF, a hang-up in
//! the middle, and a session whose database is down.

use crate::common::{self, Backend, Ctx, TestFuture};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use switchboard::agi::AgiConfig;
use switchboard::db::Db;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

// ----- the test client ---------------------------------------------------------------------

/// What the service did in one session.
#[derive(Debug, Default)]
struct Session {
    vars: BTreeMap<String, String>,
    commands: Vec<String>,
    /// The server closed its side (rather than the client giving up).
    closed: bool,
    elapsed: Duration,
}

impl Session {
    fn var(&self, name: &str) -> &str {
        self.vars.get(name).map_or("", String::as_str)
    }
    fn action(&self) -> &str {
        self.var("SB_ACTION")
    }
}

/// Asterisk's argument grammar (`parse_args` in res_agi.c): blanks split words outside quotes,
/// `"` groups, a backslash escapes the next character anywhere.
fn agi_words(line: &str) -> Vec<String> {
    let mut words = vec![];
    let mut cur = String::new();
    let (mut quoted, mut escaped, mut started) = (false, false, false);
    for c in line.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            started = true;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
            started = true;
        } else if (c == ' ' || c == '\t') && !quoted {
            if started {
                words.push(std::mem::take(&mut cur));
                started = false;
            }
        } else {
            cur.push(c);
            started = true;
        }
    }
    if started {
        words.push(cur);
    }
    words
}

fn env_block(port: u16, script: &str, channel: &str, args: &[&str]) -> String {
    let mut env = String::from("agi_network: yes\n");
    if !script.is_empty() {
        env.push_str(&format!("agi_network_script: {script}\n"));
    }
    env.push_str(&format!(
        "agi_request: agi://127.0.0.1:{port}/{script}\nagi_channel: {channel}\nagi_language: en\n\
         agi_type: PJSIP\nagi_uniqueid: ast1-1796301406.4\nagi_version: 22.10.1\n\
         agi_callerid: 5551234\nagi_calleridname: Alice Example\nagi_callingpres: 0\n\
         agi_callingani2: 0\nagi_callington: 0\nagi_callingtns: 0\nagi_dnid: unknown\n\
         agi_rdnis: unknown\nagi_context: fromoutside\nagi_extension: s\nagi_priority: 2\n\
         agi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 139869006182080\n"
    ));
    for (i, a) in args.iter().enumerate() {
        env.push_str(&format!("agi_arg_{}: {a}\n", i + 1));
    }
    env.push('\n');
    env
}

#[derive(Clone, Copy, Default)]
struct Behaviour {
    /// Hang up (an unsolicited `HANGUP` line) before answering command N (1-based).
    hangup_before: Option<usize>,
    /// As with AGIEXITONHANGUP=yes: `HANGUP\nHANGUP\n` and close at once.
    exit_on_hangup: bool,
    /// Connect from this loopback address.
    from: Option<[u8; 4]>,
}

async fn agi(addr: SocketAddr, script: &str, channel: &str, args: &[&str]) -> Session {
    agi_as(addr, script, channel, args, Behaviour::default()).await
}

async fn agi_as(
    addr: SocketAddr,
    script: &str,
    channel: &str,
    args: &[&str],
    how: Behaviour,
) -> Session {
    let started = Instant::now();
    let stream = match how.from {
        Some(ip) => {
            let s = TcpSocket::new_v4().unwrap();
            s.bind(SocketAddr::from((ip, 0))).unwrap();
            s.connect(addr).await.unwrap()
        }
        None => TcpStream::connect(addr).await.unwrap(),
    };
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let env = env_block(addr.port(), script, channel, args);
    // Asterisk's block arrives in two chunks.
    let (a, b) = env.split_at(env.len() / 2);
    let mut out = Session::default();
    if w.write_all(a.as_bytes()).await.is_err() {
        out.closed = true;
        return out;
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
    let _ = w.write_all(b.as_bytes()).await;
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(5), r.read_line(&mut line))
            .await
            .expect("the service answers within 5 s")
            .unwrap_or(0);
        if n == 0 {
            out.closed = true;
            // Asterisk's last word after the server's EOF.
            let _ = w.write_all(b"HANGUP\n").await;
            break;
        }
        assert!(line.ends_with('\n'), "a command ends with LF: {line:?}");
        let cmd = line.strip_suffix('\n').unwrap();
        assert!(!cmd.contains('\r'), "no CR in a command: {cmd:?}");
        out.commands.push(cmd.to_string());
        if Some(out.commands.len()) == how.hangup_before {
            if how.exit_on_hangup {
                let _ = w.write_all(b"HANGUP\nHANGUP\n").await;
                break;
            }
            w.write_all(b"HANGUP\n").await.unwrap();
        }
        let words = agi_words(cmd);
        let upper: Vec<String> = words
            .iter()
            .take(2)
            .map(|w| w.to_ascii_uppercase())
            .collect();
        if upper == ["SET", "VARIABLE"] && words.len() == 4 {
            out.vars.insert(words[2].clone(), words[3].clone());
            w.write_all(b"200 result=1\n").await.unwrap();
        } else {
            w.write_all(b"510 Invalid or unknown command\n")
                .await
                .unwrap();
        }
    }
    out.elapsed = started.elapsed();
    out
}

// ----- the service under test ----------------------------------------------------------------

async fn register_node(ctx: &Ctx) {
    switchboard::cluster::nodes::add(
        &ctx.db.conn,
        switchboard::cluster::nodes::NewNode {
            name: "ast1",
            host: "127.0.0.1",
            port: 5038,
            username: "switchboard",
            secret: "x",
            timezone: "UTC",
        },
    )
    .await
    .unwrap();
}

async fn start_with(db: Db, cfg: AgiConfig) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    switchboard::agi::spawn(db, listener, cfg);
    addr
}

/// The functional tests allow slow decisions (a loaded machine, three databases at once); the
/// deadline itself is tested with the default in `database_down_*`.
fn relaxed() -> AgiConfig {
    AgiConfig {
        deadline: Duration::from_secs(4),
        ..AgiConfig::default()
    }
}

async fn start(ctx: &Ctx) -> SocketAddr {
    register_node(ctx).await;
    start_with(ctx.db.clone(), relaxed()).await
}

async fn replace(ctx: &Ctx, tenant: &str, src: &str, id: &str, list: Value) {
    let r = ctx
        .mdb(&ctx.admin, Some(tenant), "destination", "replace")
        .p("typesrc", src)
        .p("typeidsrc", id)
        .json(&list)
        .fmt("json")
        .post()
        .await;
    assert!(r.json().is_array(), "{}", r.text());
}

fn id(row: &Value, pk: &str) -> String {
    row[pk]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| row[pk].to_string())
}

/// A DID of ACME (39 02 <number>) with its destinations.
async fn did_with(ctx: &Ctx, number: &str, list: Value) -> String {
    let did = ctx.did(&ctx.a, number).await;
    let di = id(&did, "di_id");
    replace(ctx, "ACME", "DID", &di, list).await;
    di
}

// ----- tests ---------------------------------------------------------------------------------

backend_tests! {
    /// DID (as the provider presents it) → IVR; key 1 → the queue; the queue gives up → the
    /// DID's next destination (voicemail); then the call ends. Each step is a new session.
    async fn did_ivr_digit_queue(ctx) {
        let addr = start(ctx).await;
        let ivr = ctx.add(&ctx.admin, Some("ACME"), "ivr", json!({"iv_name": "main", "iv_timeout": 4, "iv_maxretries": 1})).await;
        let iv = id(&ivr, "iv_id");
        let queue = ctx.add(&ctx.admin, Some("ACME"), "queue", json!({"qu_name": "sales", "qu_number": "600", "qu_timeout": 25})).await;
        let qu = id(&queue, "qu_id");
        let vm = ctx.add(&ctx.admin, Some("ACME"), "voicemail", json!({"mailbox": "100", "fullname": "Reception"})).await;
        let vmid = id(&vm, "uniqueid");
        did_with(ctx, "5550100", json!([format!("IVR-{iv}"), format!("VOICEMAIL-{vmid}")])).await;
        replace(ctx, "ACME", "IVR_1", &iv, json!([format!("QUEUE-{qu}")])).await;

        for presented in ["+39025550100", "0039025550100", "39025550100", "025550100"] {
            let s = agi(addr, "v1/inbound", "PJSIP/carrier-00000001", &[presented, "5551234"]).await;
            assert!(s.closed);
            assert_eq!(s.action(), "IVR", "{presented}: {s:?}");
            assert_eq!(s.var("SB_CONTRACT"), "1");
            assert_eq!(s.var("SB_IVR"), iv);
            assert_eq!(s.var("SB_TIMEOUT"), "4");
            assert_eq!(s.var("SB_ATTEMPT"), "1");
            assert_eq!(s.var("SB_MEDIA"), "");
            // SB_ACTION comes last: a cut session never leaves a half answer.
            assert!(s.commands.last().unwrap().starts_with("SET VARIABLE SB_ACTION "));
        }
        let first = agi(addr, "v1/inbound", "PJSIP/carrier-00000001", &["+39025550100", "5551234"]).await;
        // The next step is answered by another instance on the same database (the first one
        // could have died in between: the call's progress is in its variables).
        let other = start_with(Db::connect(&ctx.db_url()).await.unwrap(), relaxed()).await;
        let key = agi(other, "v1/ivr", "PJSIP/carrier-00000001", &[&iv, "1", "1", first.var("SB_NEXT")]).await;
        assert_eq!(key.action(), "QUEUE", "{key:?}");
        assert_eq!(key.var("SB_QUEUE"), qu);
        assert_eq!(key.var("SB_TIMEOUT"), "25");
        assert_eq!(key.var("SB_IVR_CHOICE"), format!("QUEUE-{qu}"));
        let after = agi(addr, "v1/next", "PJSIP/carrier-00000001", &[key.var("SB_NEXT"), "TIMEOUT"]).await;
        assert_eq!(after.action(), "VOICEMAIL", "{after:?}");
        assert_eq!(after.var("SB_MAILBOX"), "100@ACME");
        let end = agi(addr, "v1/next", "PJSIP/carrier-00000001", &[after.var("SB_NEXT"), ""]).await;
        assert_eq!(end.action(), "HANGUP");
        // An unknown DID is a clear refusal, not silence.
        let none = agi(addr, "v1/inbound", "PJSIP/carrier-00000001", &["+39029999999", ""]).await;
        assert_eq!(none.action(), "REFUSE");
        assert_eq!(none.var("SB_REASON"), "no DID +39029999999");
    }

    /// IVR timeout (replayed up to the retries, then IVR_TIMEOUT) and invalid input.
    async fn ivr_timeout_and_invalid(ctx) {
        let addr = start(ctx).await;
        let ivr = ctx.add(&ctx.admin, Some("ACME"), "ivr", json!({"iv_name": "main", "iv_timeout": 3, "iv_maxretries": 2})).await;
        let iv = id(&ivr, "iv_id");
        did_with(ctx, "5550101", json!([format!("IVR-{iv}"), "CONGESTION"])).await;
        replace(ctx, "ACME", "IVR_TIMEOUT", &iv, json!(["BUSY"])).await;
        let first = agi(addr, "v1/inbound", "PJSIP/c-1", &["025550101", ""]).await;
        let token = first.var("SB_NEXT").to_string();
        for attempt in 1..=2 {
            let s = agi(addr, "v1/ivr", "PJSIP/c-1", &[&iv, &attempt.to_string(), "t", &token]).await;
            assert_eq!(s.action(), "IVR");
            assert_eq!(s.var("SB_ATTEMPT"), (attempt + 1).to_string());
            assert_eq!(s.var("SB_IVR_CHOICE"), format!("IVR-{iv}"));
        }
        let s = agi(addr, "v1/ivr", "PJSIP/c-1", &[&iv, "3", "t", &token]).await;
        assert_eq!(s.action(), "BUSY");
        assert_eq!(s.var("SB_IVR_CHOICE"), "BUSY");
        // Invalid after the retries, no IVR_INVALID list: the DID's next destination.
        let s = agi(addr, "v1/ivr", "PJSIP/c-1", &[&iv, "3", "5", &token]).await;
        assert_eq!(s.action(), "CONGESTION");
        let s = agi(addr, "v1/ivr", "PJSIP/c-1", &[&iv, "1", "i", &token]).await;
        assert_eq!(s.action(), "IVR");
    }

    /// A change in the database is seen by the very next call.
    async fn change_seen_by_next_call(ctx) {
        let addr = start(ctx).await;
        let di = did_with(ctx, "5550102", json!(["BUSY"])).await;
        assert_eq!(agi(addr, "v1/inbound", "PJSIP/c-1", &["+39025550102", ""]).await.action(), "BUSY");
        replace(ctx, "ACME", "DID", &di, json!(["HANGUP"])).await;
        assert_eq!(agi(addr, "v1/inbound", "PJSIP/c-1", &["+39025550102", ""]).await.action(), "HANGUP");
    }

    /// A phone reaches its own tenant's extensions and never another tenant's.
    async fn internal_dialling_isolation(ctx) {
        let addr = start(ctx).await;
        let a100 = ctx.ext(&ctx.a, "100", json!({})).await;
        let a101 = ctx.ext(&ctx.a, "101", json!({})).await;
        let b200 = ctx.ext(&ctx.b, "200", json!({})).await;
        let chan = |row: &Value| format!("PJSIP/{}-0000002a", row["ex_username"].as_str().unwrap());
        let s = agi(addr, "v1/internal", &chan(&a100), &["101"]).await;
        assert_eq!(s.action(), "DIAL", "{s:?}");
        assert_eq!(s.var("SB_DIALS"), "1");
        assert_eq!(s.var("SB_DIAL_1"), format!("PJSIP/{}", a101["ex_username"].as_str().unwrap()));
        // ACME dialling BETA's number: not an ACME object; no route: refused, never BETA's phone.
        let s = agi(addr, "v1/internal", &chan(&a100), &["200"]).await;
        assert_eq!(s.action(), "REFUSE");
        assert!(!s.vars.values().any(|v| v.contains(b200["ex_username"].as_str().unwrap())));
        // And the other way round.
        let s = agi(addr, "v1/internal", &chan(&b200), &["100"]).await;
        assert_eq!(s.action(), "REFUSE");
        // The caller is the channel's device, whatever the caller ID says.
        let s = agi(addr, "v1/internal", "PJSIP/nobody-ACME-00000001", &["101"]).await;
        assert_eq!(s.action(), "REFUSE");
    }

    /// Conditions a minute before and after a boundary, in two time zones, across the European
    /// DST change, with the service's clock set to each instant.
    async fn condition_boundaries(ctx) {
        // One fake clock for the process: the backends take turns.
        let _clock = CLOCK.lock().await;
        register_node(ctx).await;
        let addr = start_with(ctx.db.clone(), AgiConfig { clock: fake_now, ..relaxed() }).await;
        for (tz, number) in [("Europe/Rome", "5550103"), ("America/New_York", "5550104")] {
            let co = ctx.add(&ctx.admin, Some("ACME"), "condition", json!({"co_name": tz, "co_type": "WEEKTIME", "co_timezone": tz})).await;
            let co_id = id(&co, "co_id");
            let r = ctx.mdb(&ctx.admin, Some("ACME"), "condition", "replaceextendedinfos")
                .id(&co_id)
                .json(&json!([{"param1": "1", "param2": "9:00", "param3": "17:00"}]))
                .fmt("json").post().await;
            assert!(!r.text().contains("Error"), "{}", r.text());
            did_with(ctx, number, json!([format!("CONDITION-{co_id}")])).await;
            replace(ctx, "ACME", "CONDITION", &co_id, json!(["BUSY"])).await;
            replace(ctx, "ACME", "NOTCONDITION", &co_id, json!(["HANGUP"])).await;
        }
        let at = |y, mo, d, h, mi| Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap();
        // (instant, Rome open?, New York open?). Rome: Monday 23 March 2026 is UTC+1, Monday
        // 30 March (after the change) UTC+2. New York is on summer time (UTC-4) on both.
        let cases = [
            (at(2026, 3, 23, 7, 59), false, false),
            (at(2026, 3, 23, 8, 0), true, false),
            (at(2026, 3, 23, 15, 59), true, true),
            (at(2026, 3, 23, 16, 0), false, true),
            (at(2026, 3, 23, 12, 59), true, false),
            (at(2026, 3, 23, 13, 0), true, true),
            (at(2026, 3, 23, 20, 59), false, true),
            (at(2026, 3, 23, 21, 0), false, false),
            (at(2026, 3, 30, 6, 59), false, false),
            (at(2026, 3, 30, 7, 0), true, false),
            (at(2026, 3, 30, 14, 59), true, true),
            (at(2026, 3, 30, 15, 0), false, true),
        ];
        for (when, rome, ny) in cases {
            set_fake_now(when);
            for (number, open) in [("+39025550103", rome), ("+39025550104", ny)] {
                let s = agi(addr, "v1/inbound", "PJSIP/c-1", &[number, ""]).await;
                assert_eq!(s.action(), if open { "BUSY" } else { "HANGUP" }, "{number} at {when}");
            }
        }
    }

    /// A hang-up in the middle: the service stops at once; the next session is served.
    async fn hangup_in_the_middle(ctx) {
        let addr = start(ctx).await;
        did_with(ctx, "5550105", json!(["BUSY"])).await;
        let how = Behaviour { hangup_before: Some(2), ..Default::default() };
        let s = agi_as(addr, "v1/inbound", "PJSIP/c-1", &["025550105", ""], how).await;
        assert!(s.closed);
        assert_eq!(s.commands.len(), 2, "nothing sent after the HANGUP line: {s:?}");
        let how = Behaviour { hangup_before: Some(1), exit_on_hangup: true, ..Default::default() };
        let s = agi_as(addr, "v1/inbound", "PJSIP/c-1", &["025550105", ""], how).await;
        assert_eq!(s.commands.len(), 1);
        assert_eq!(agi(addr, "v1/inbound", "PJSIP/c-1", &["025550105", ""]).await.action(), "BUSY");
    }

    /// Only registered nodes are answered; a shared secret in the path when configured;
    /// unknown contract versions and requests get the fallback; hostile input is contained.
    async fn who_may_ask_and_what(ctx) {
        let addr = start(ctx).await;
        did_with(ctx, "5550106", json!(["BUSY"])).await;
        // 127.0.0.2 is loopback, but no node's address.
        let s = agi_as(addr, "v1/inbound", "PJSIP/c-1", &["025550106", ""], Behaviour { from: Some([127, 0, 0, 2]), ..Default::default() }).await;
        assert!(s.commands.is_empty() && s.closed, "{s:?}");
        let s = agi(addr, "v9/inbound", "PJSIP/c-1", &["025550106", ""]).await;
        assert_eq!(s.action(), "FALLBACK");
        assert_eq!(s.var("SB_REASON"), "contract version 'v9' not supported");
        assert_eq!(agi(addr, "v1/nosuch", "PJSIP/c-1", &[]).await.action(), "FALLBACK");
        assert_eq!(agi(addr, "", "PJSIP/c-1", &["inbound"]).await.action(), "FALLBACK");
        // Quotes and backslashes in what a peer sends come back as text, never as a command.
        let evil = r#"12" ANSWER "\"#;
        let s = agi(addr, "v1/inbound", "PJSIP/c-1", &[evil, ""]).await;
        assert_eq!(s.action(), "REFUSE");
        assert_eq!(s.var("SB_REASON"), format!("'{evil}' is not a DID"));
        assert!(s.commands.iter().all(|c| c.starts_with("SET VARIABLE SB_")));
        let s = agi(addr, "v1/next", "PJSIP/c-1", &["L.DID.1.0/../X.\"", "BUSY"]).await;
        assert_eq!(s.action(), "REFUSE");
        // A line longer than the cap: the session is dropped, the service goes on.
        let mut raw = TcpStream::connect(addr).await.unwrap();
        raw.write_all(&vec![b'a'; 20_000]).await.unwrap();
        let mut buf = vec![];
        let n = tokio::time::timeout(Duration::from_secs(5), tokio::io::AsyncReadExt::read_to_end(&mut raw, &mut buf)).await;
        assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "{n:?}");
        assert_eq!(agi(addr, "v1/inbound", "PJSIP/c-1", &["025550106", ""]).await.action(), "BUSY");

        // With a secret.
        let secret_addr = start_with(ctx.db.clone(), AgiConfig { secret: Some("s3cret".into()), ..relaxed() }).await;
        let s = agi(secret_addr, "v1/inbound", "PJSIP/c-1", &["025550106", ""]).await;
        assert!(s.commands.is_empty(), "{s:?}");
        let s = agi(secret_addr, "wrong/v1/inbound", "PJSIP/c-1", &["025550106", ""]).await;
        assert!(s.commands.is_empty());
        assert_eq!(agi(secret_addr, "s3cret/v1/inbound", "PJSIP/c-1", &["025550106", ""]).await.action(), "BUSY");
    }
}

static FAKE_NOW: AtomicI64 = AtomicI64::new(0);
static CLOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn set_fake_now(t: DateTime<Utc>) {
    FAKE_NOW.store(t.timestamp(), Ordering::SeqCst);
}

fn fake_now() -> DateTime<Utc> {
    Utc.timestamp_opt(FAKE_NOW.load(Ordering::SeqCst), 0)
        .unwrap()
}

#[test]
fn client_grammar_matches_the_transcripts() {
    assert_eq!(
        agi_words(r#"SET VARIABLE QV1 "hello world""#),
        ["SET", "VARIABLE", "QV1", "hello world"]
    );
    assert_eq!(
        agi_words(r#"SET VARIABLE X "say \"hi\" there""#)[3],
        r#"say "hi" there"#
    );
    assert_eq!(
        agi_words(r#"SET VARIABLE X say\ \"hi\"\ unquoted"#)[3],
        r#"say "hi" unquoted"#
    );
    assert_eq!(agi_words(r#"SET VARIABLE X """#)[3], "");
    assert_eq!(agi_words(r#"SET VARIABLE X "a\\b""#)[3], r"a\b");
}

// ----- the database goes away --------------------------------------------------------------

/// A TCP relay in front of the database server: `freeze` stops relaying while keeping every
/// socket open (a database that hangs), `kill` drops every connection and refuses new ones.
struct Relay {
    port: u16,
    state: tokio::sync::watch::Sender<u8>,
}

impl Relay {
    async fn start(upstream: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::watch::channel(0u8);
        tokio::spawn(async move {
            loop {
                let mut rx_l = rx.clone();
                let accepted = tokio::select! {
                    a = listener.accept() => Some(a),
                    _ = rx_l.wait_for(|s| *s == 2) => None,
                };
                let Some(accepted) = accepted else { return };
                let Ok((mut client, _)) = accepted else {
                    continue;
                };
                let upstream = upstream.clone();
                let mut rx = rx.clone();
                tokio::spawn(async move {
                    let frozen = *rx.borrow() != 0;
                    if frozen {
                        // Frozen: hold the connection, say nothing.
                        let _ = rx.wait_for(|s| *s == 2).await;
                        return;
                    }
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let frozen = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => false,
                        r = rx.wait_for(|s| *s != 0) => r.is_ok(),
                    };
                    if frozen {
                        // Keep both sockets open until killed.
                        let _ = rx.wait_for(|s| *s == 2).await;
                    }
                });
            }
        });
        Relay { port, state: tx }
    }
    fn freeze(&self) {
        let _ = self.state.send(1);
    }
    fn kill(&self) {
        let _ = self.state.send(2);
    }
}

/// `scheme://user@host:port/db` with the host:port replaced by the relay.
fn through(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (auth, tail) = rest.split_once('@').map_or(("", rest), |(a, t)| (a, t));
    let (hostport, path) = tail.split_once('/').unwrap_or((tail, ""));
    let at = if auth.is_empty() {
        String::new()
    } else {
        format!("{auth}@")
    };
    (
        format!("{scheme}://{at}127.0.0.1:{port}/{path}"),
        hostport.to_string(),
    )
}

fn database_down<'a>(ctx: &'a Ctx) -> TestFuture<'a> {
    Box::pin(async move {
        register_node(ctx).await;
        let (_, upstream) = through(&ctx.db_url(), 0);
        let relay = Relay::start(upstream).await;
        let (url, _) = through(&ctx.db_url(), relay.port);
        let db = Db::connect(&url).await.unwrap();
        let addr = start_with(db, AgiConfig::default()).await;
        did_with(ctx, "5550107", json!(["BUSY"])).await;
        // Through the relay it works (a few tries: the first decisions open connections, and
        // a loaded machine may take longer than the 200 ms deadline).
        let mut answered = vec![];
        for _ in 0..10 {
            let s = agi(addr, "v1/inbound", "PJSIP/c-1", &["025550107", ""]).await;
            answered.push(s.action().to_string());
            if s.action() == "BUSY" {
                break;
            }
        }
        assert_eq!(
            answered.last().map(String::as_str),
            Some("BUSY"),
            "{answered:?}"
        );
        // The database hangs: every call gets the fallback within the deadline (under 1 s).
        relay.freeze();
        for _ in 0..3 {
            let s = agi(addr, "v1/inbound", "PJSIP/c-1", &["025550107", ""]).await;
            assert_eq!(s.action(), "FALLBACK", "{s:?}");
            assert_eq!(s.var("SB_REASON"), "no decision in time");
            assert!(s.elapsed < Duration::from_secs(1), "{:?}", s.elapsed);
        }
        // The database is gone: the same.
        relay.kill();
        for _ in 0..3 {
            let s = agi(addr, "v1/inbound", "PJSIP/c-1", &["025550107", ""]).await;
            assert_eq!(s.action(), "FALLBACK", "{s:?}");
            assert!(s.elapsed < Duration::from_secs(1), "{:?}", s.elapsed);
        }
        // A service on a working connection is unaffected.
        let other = start_with(ctx.db.clone(), relaxed()).await;
        assert_eq!(
            agi(other, "v1/inbound", "PJSIP/c-1", &["025550107", ""])
                .await
                .action(),
            "BUSY"
        );
    })
}

/// PostgreSQL and MariaDB (a database server the relay can cut); SQLite has no server to stop.
#[actix_rt::test]
#[cfg_attr(
    not(switchboard_test_postgres),
    ignore = "SWITCHBOARD_TEST_POSTGRES_URL is not set"
)]
async fn database_down_postgres() {
    common::run(Backend::Postgres, database_down).await
}

#[actix_rt::test]
#[cfg_attr(
    not(switchboard_test_mysql),
    ignore = "SWITCHBOARD_TEST_MYSQL_URL is not set"
)]
async fn database_down_mysql() {
    common::run(Backend::Mysql, database_down).await
}

// ----- destinations provisioned through the API, each decision asked over FastAGI ----------

/// The device a phone's calls ring (`PJSIP/<ex_username>`).
fn device(row: &Value) -> String {
    format!("PJSIP/{}", row["ex_username"].as_str().unwrap())
}

async fn update(ctx: &Ctx, tenant: Option<&str>, object: &str, id: &str, data: Value) {
    let r = ctx
        .mdb(&ctx.admin, tenant, object, "update")
        .id(id)
        .json(&data)
        .fmt("json")
        .post()
        .await;
    assert!(!r.is_any_error(), "{object} update: {}", r.text());
}

backend_tests! {
    /// An extension as a DID's destination: busy → its EXT-BUSY list; no answer with no
    /// EXT-NOANSWER list → the DID's next destination; with voicemail on → its box with the
    /// unavailable greeting; DND → busy without ringing; an unconditional forward wins.
    async fn extension_busy_noanswer_dnd(ctx) {
        let addr = start(ctx).await;
        let ext = ctx.ext(&ctx.a, "100", json!({})).await;
        let ex = id(&ext, "ex_id");
        ctx.add(&ctx.admin, Some("ACME"), "voicemail", json!({"mailbox": "100", "fullname": "Ann"})).await;
        did_with(ctx, "5550110", json!([format!("EXT-{ex}"), "CONGESTION"])).await;
        replace(ctx, "ACME", "EXT-BUSY", &ex, json!(["HANGUP"])).await;
        let ring = agi(addr, "v1/inbound", "PJSIP/c-1", &["+39025550110", "5551234"]).await;
        assert_eq!(ring.action(), "DIAL", "{ring:?}");
        assert_eq!(ring.var("SB_DIALS"), "1");
        assert_eq!(ring.var("SB_DIAL_1"), device(&ext));
        let token = ring.var("SB_NEXT").to_string();
        let after = |status: &'static str| {
            let token = token.clone();
            async move { agi(addr, "v1/next", "PJSIP/c-1", &[&token, status]).await }
        };
        assert_eq!(after("BUSY").await.action(), "HANGUP");
        assert_eq!(after("NOANSWER").await.action(), "CONGESTION");
        update(ctx, Some("ACME"), "extension", &ex, json!({"ex_voicemail": "on"})).await;
        for status in ["NOANSWER", "CHANUNAVAIL"] {
            let vm = after(status).await;
            assert_eq!(vm.action(), "VOICEMAIL", "{status}: {vm:?}");
            assert_eq!(vm.var("SB_MAILBOX"), "100@ACME");
            assert_eq!(vm.var("SB_VMOPTS"), "u");
        }
        update(ctx, Some("ACME"), "extension", &ex, json!({"ex_dnd": "on"})).await;
        let dnd = agi(addr, "v1/inbound", "PJSIP/c-1", &["+39025550110", "5551234"]).await;
        assert_eq!(dnd.action(), "HANGUP", "DND is busy, without ringing: {dnd:?}");
        replace(ctx, "ACME", "EXT-UNCONDITIONAL", &ex, json!(["BUSY"])).await;
        assert_eq!(agi(addr, "v1/inbound", "PJSIP/c-1", &["+39025550110", ""]).await.action(), "BUSY");
    }

    /// A hunt list rings its members in their stored order, skipping a member in DND; unanswered
    /// it goes on to the DID's next destination; SIMULTANEOUS rings them together; a phone
    /// dialling the hunt list's number gets the same members.
    async fn hunt_list_order(ctx) {
        let addr = start(ctx).await;
        let e1 = ctx.ext(&ctx.a, "101", json!({})).await;
        let e2 = ctx.ext(&ctx.a, "102", json!({})).await;
        let e3 = ctx.ext(&ctx.a, "103", json!({"ex_dnd": "on"})).await;
        let hunt = ctx.add(&ctx.admin, Some("ACME"), "huntlist", json!({"hu_number": "700", "hu_name": "all", "hu_type": "SEQUENTIAL", "hu_ringtime": 15})).await;
        let hu = id(&hunt, "hu_id");
        let members: Vec<String> = [&e2, &e3, &e1].iter().map(|e| format!("EXT-{}", id(e, "ex_id"))).collect();
        let r = ctx.mdb(&ctx.admin, Some("ACME"), "huntlist", "setextensions").id(&hu).json(&json!(members)).fmt("json").post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        did_with(ctx, "5550111", json!([format!("HUNTLIST-{hu}"), "BUSY"])).await;
        let s = agi(addr, "v1/inbound", "PJSIP/c-1", &["025550111", ""]).await;
        assert_eq!(s.action(), "DIAL", "{s:?}");
        assert_eq!(s.var("SB_DIALS"), "2");
        assert_eq!(s.var("SB_DIAL_1"), device(&e2));
        assert_eq!(s.var("SB_DIAL_2"), device(&e1));
        assert_eq!(s.var("SB_TIMEOUT"), "15");
        assert_eq!(s.var("SB_FAILOVER"), "any");
        assert!(!s.vars.values().any(|v| v.contains(e3["ex_username"].as_str().unwrap())));
        let after = agi(addr, "v1/next", "PJSIP/c-1", &[s.var("SB_NEXT"), "NOANSWER"]).await;
        assert_eq!(after.action(), "BUSY");
        let phone = format!("{}-00000031", device(&e1));
        let internal = agi(addr, "v1/internal", &phone, &["700"]).await;
        assert_eq!((internal.var("SB_DIAL_1"), internal.var("SB_DIAL_2")), (device(&e2).as_str(), device(&e1).as_str()));
        update(ctx, Some("ACME"), "huntlist", &hu, json!({"hu_type": "SIMULTANEOUS"})).await;
        let s = agi(addr, "v1/inbound", "PJSIP/c-1", &["025550111", ""]).await;
        assert_eq!(s.var("SB_DIALS"), "1");
        assert_eq!(s.var("SB_DIAL_1"), format!("{}&{}", device(&e2), device(&e1)));
    }

    /// A blacklisted caller ID is hung up before any destination, for its own tenant only; a
    /// disabled tenant's DIDs are refused.
    async fn blacklist_and_disabled_tenant(ctx) {
        let addr = start(ctx).await;
        did_with(ctx, "5550112", json!(["BUSY"])).await;
        let b = ctx.did(&ctx.b, "5550113").await;
        replace(ctx, "BETA", "DID", &id(&b, "di_id"), json!(["BUSY"])).await;
        ctx.add(&ctx.rw, Some("ACME"), "calleridblacklist", json!({"bl_number": "5551234"})).await;
        let call = |did: &'static str, caller: &'static str| async move { agi(addr, "v1/inbound", "PJSIP/c-1", &[did, caller]).await };
        assert_eq!(call("+39025550112", "5551234").await.action(), "HANGUP");
        assert_eq!(call("+39025550112", "5559999").await.action(), "BUSY");
        // BETA's DID does not read ACME's blacklist.
        assert_eq!(call("+39025550113", "5551234").await.action(), "BUSY");
        update(ctx, None, "tenant", &ctx.a.id.to_string(), json!({"te_disabled": "on"})).await;
        let s = call("+39025550112", "5559999").await;
        assert_eq!(s.action(), "REFUSE");
        assert_eq!(s.var("SB_REASON"), "tenant disabled");
        assert_eq!(call("+39025550113", "5559999").await.action(), "BUSY");
    }

    /// Outbound: the tenant's routing profile picks the routes whose pattern matches, in order,
    /// with strip/prepend and each provider's technology; failover between them only on
    /// "this carrier cannot"; no route → a refusal naming the number; another tenant without a
    /// profile gets nothing but the emergency route; an EXTERNAL destination takes the same
    /// routes.
    async fn outbound_choice_and_failover(ctx) {
        let addr = start(ctx).await;
        let a = ctx.ext(&ctx.a, "100", json!({})).await;
        let b = ctx.ext(&ctx.b, "200", json!({})).await;
        let p1 = ctx.add(&ctx.admin, None, "provider", json!({"pr_peername": "carrier1", "pr_tech": "PJSIP"})).await;
        let p2 = ctx.add(&ctx.admin, None, "provider", json!({"pr_peername": "carrier2", "pr_tech": "SIP"})).await;
        let rp = ctx.add(&ctx.admin, None, "routingprofile", json!({"rp_name": "italy"})).await;
        let other = ctx.add(&ctx.admin, None, "routingprofile", json!({"rp_name": "emergency"})).await;
        let route = |rp: &Value, re: &str, pr: &Value, ord: i32, strip: i32, prepend: &str, emergency: &str| json!({
            "dl_rp_id": id(rp, "rp_id"), "dl_regex": re, "dl_pr_id": id(pr, "pr_id"), "dl_ord": ord,
            "dl_strip": strip, "dl_prepend": prepend, "dl_emergencyroute": emergency,
        });
        for r in [
            route(&rp, "^0039", &p2, 2, 4, "+39", "off"),
            route(&rp, "^00", &p1, 1, 0, "", "off"),
            route(&other, "^112$", &p2, 1, 0, "", "on"),
        ] {
            ctx.add(&ctx.admin, None, "route", r).await;
        }
        let r = ctx.req().p("reqtype", "SETTING").p("key", &ctx.admin).p("tenant", "ACME").p("action", "set")
            .p("code", "ROUTING_PROFILE").p("value", id(&rp, "rp_id")).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        // These numbers are international (no numbering plan): allowed for ACME only.
        set(ctx, "ACME", "ALLOW_INTERNATIONAL", "yes", None).await;
        let phone = |row: &Value| format!("{}-0000004a", device(row));
        let s = agi(addr, "v1/internal", &phone(&a), &["0039061234"]).await;
        assert_eq!(s.action(), "DIAL", "{s:?}");
        assert_eq!(s.var("SB_DIALS"), "2");
        assert_eq!(s.var("SB_DIAL_1"), "PJSIP/0039061234@carrier1");
        assert_eq!(s.var("SB_DIAL_2"), "SIP/carrier2/+39061234");
        assert_eq!(s.var("SB_FAILOVER"), "unavailable");
        let s = agi(addr, "v1/internal", &phone(&a), &["0044123"]).await;
        assert_eq!((s.var("SB_DIALS"), s.var("SB_DIAL_1")), ("1", "PJSIP/0044123@carrier1"));
        let s = agi(addr, "v1/internal", &phone(&a), &["555"]).await;
        assert_eq!((s.action(), s.var("SB_REASON")), ("REFUSE", "no route for 555"));
        // BETA has no routing profile: ACME's routes are not its routes; 112 still goes out.
        let s = agi(addr, "v1/internal", &phone(&b), &["0039061234"]).await;
        assert_eq!(s.action(), "REFUSE", "{s:?}");
        let s = agi(addr, "v1/internal", &phone(&b), &["112"]).await;
        assert_eq!((s.action(), s.var("SB_DIAL_1")), ("DIAL", "SIP/carrier2/112"));
        // A DID forwarding to an outside number takes the tenant's routes.
        did_with(ctx, "5550114", json!(["EXTERNAL-0039061234"])).await;
        let s = agi(addr, "v1/inbound", "PJSIP/c-1", &["025550114", ""]).await;
        assert_eq!((s.action(), s.var("SB_DIAL_1"), s.var("SB_FAILOVER")), ("DIAL", "PJSIP/0039061234@carrier1", "unavailable"));
    }
}

// ----- toll fraud: destination classes and limits of outbound calls --------------------------

/// Set a setting as the admin for `tenant` (and one of its extensions).
async fn set(ctx: &Ctx, tenant: &str, code: &str, value: &str, extension: Option<&str>) {
    let mut r = ctx
        .req()
        .p("reqtype", "SETTING")
        .p("key", &ctx.admin)
        .p("tenant", tenant)
        .p("action", "set")
        .p("code", code)
        .p("value", value);
    if let Some(e) = extension {
        r = r.p("extension", e);
    }
    let r = r.post().await;
    assert!(!r.is_any_error(), "{code}={value}: {}", r.text());
}

/// One provider `carrier1` behind a catch-all international route (`00…` → `+…`), the UK
/// emergency number 999 as an ordinary route, and 112 as an emergency route; both tenants on
/// that profile with the UK numbering plan. Returns the provider row.
async fn outbound_uk(ctx: &Ctx) -> Value {
    let p1 = ctx
        .add(
            &ctx.admin,
            None,
            "provider",
            json!({"pr_peername": "carrier1", "pr_tech": "PJSIP"}),
        )
        .await;
    let rp = ctx
        .add(&ctx.admin, None, "routingprofile", json!({"rp_name": "uk"}))
        .await;
    for (re, strip, prepend, emergency) in [
        ("^00", 2, "+", "off"),
        ("^999$", 0, "", "off"),
        ("^112$", 0, "", "on"),
    ] {
        ctx.add(&ctx.admin, None, "route", json!({"dl_rp_id": id(&rp, "rp_id"), "dl_regex": re,
            "dl_pr_id": id(&p1, "pr_id"), "dl_strip": strip, "dl_prepend": prepend, "dl_emergencyroute": emergency})).await;
    }
    for t in ["ACME", "BETA"] {
        set(ctx, t, "ROUTING_PROFILE", &id(&rp, "rp_id"), None).await;
        set(ctx, t, "NUMBER_PLAN", "UK", None).await;
    }
    p1
}

fn phone_of(row: &Value) -> String {
    format!("{}-0000004a", device(row))
}

/// (action, cause) of a session.
fn outcome(s: &Session) -> (&str, &str) {
    (s.action(), s.var("SB_CAUSE"))
}

backend_tests! {
    /// Premium-rate, international and satellite numbers are refused for a new tenant with the
    /// cause for the CDR, whichever form (`+`, `00`, national) is dialled; allowing a class for
    /// a tenant or one extension lets it out; emergency numbers always go out; tenant B's
    /// allowances never open tenant A's calls; the operator reads the refusals.
    async fn blocked_classes_and_emergency(ctx) {
        let addr = start(ctx).await;
        outbound_uk(ctx).await;
        let a100 = phone_of(&ctx.ext(&ctx.a, "100", json!({})).await);
        let a101 = phone_of(&ctx.ext(&ctx.a, "101", json!({})).await);
        let b200 = phone_of(&ctx.ext(&ctx.b, "200", json!({})).await);
        let call = |phone: String, n: &'static str| async move { agi(addr, "v1/internal", &phone, &[n]).await };
        // Classes only here: the extensions' concurrency (default 2) does not get in the way.
        set(ctx, "ACME", "EXT_OUTBOUND_CONCURRENT", "0", None).await;
        set(ctx, "BETA", "EXT_OUTBOUND_CONCURRENT", "0", None).await;
        for n in ["09098790000", "+449098790000", "00449098790000"] {
            let s = call(a100.clone(), n).await;
            assert_eq!(outcome(&s), ("REFUSE", "CLASS_PREMIUM"), "{n}: {s:?}");
            assert!(s.var("SB_REASON").contains("premium-rate"), "{s:?}");
        }
        assert_eq!(outcome(&call(a100.clone(), "+33142685300").await), ("REFUSE", "CLASS_INTERNATIONAL"));
        assert_eq!(outcome(&call(a100.clone(), "0033142685300").await), ("REFUSE", "CLASS_INTERNATIONAL"));
        assert_eq!(outcome(&call(a100.clone(), "+881612345678").await), ("REFUSE", "CLASS_SATELLITE"));
        // +1 876 (Jamaica) shares NANP's country code yet is abroad: international for a UK tenant too.
        assert_eq!(outcome(&call(a100.clone(), "+18765550100").await), ("REFUSE", "CLASS_INTERNATIONAL"));
        // A national number in its three forms is one number, through the same route.
        for n in ["02079460000", "+442079460000", "00442079460000"] {
            let s = call(a100.clone(), n).await;
            assert_eq!((s.action(), s.var("SB_DIAL_1")), ("DIAL", "PJSIP/+442079460000@carrier1"), "{n}: {s:?}");
        }
        // Emergency: the plan's number through an ordinary route, and an emergency route.
        assert_eq!(call(a100.clone(), "999").await.var("SB_DIAL_1"), "PJSIP/999@carrier1");
        assert_eq!(call(a100.clone(), "112").await.var("SB_DIAL_1"), "PJSIP/112@carrier1");
        // BETA allowed abroad: ACME is not.
        set(ctx, "BETA", "ALLOW_INTERNATIONAL", "yes", None).await;
        let s = call(b200.clone(), "+33142685300").await;
        assert_eq!((s.action(), s.var("SB_DIAL_1")), ("DIAL", "PJSIP/+33142685300@carrier1"));
        assert_eq!(outcome(&call(a100.clone(), "+33142685300").await), ("REFUSE", "CLASS_INTERNATIONAL"));
        // One extension allowed: only that one.
        set(ctx, "ACME", "ALLOW_INTERNATIONAL", "yes", Some("101")).await;
        assert_eq!(call(a101.clone(), "+33142685300").await.action(), "DIAL");
        assert_eq!(outcome(&call(a100.clone(), "+33142685300").await), ("REFUSE", "CLASS_INTERNATIONAL"));
        // Allowed abroad is not allowed premium abroad.
        assert_eq!(outcome(&call(b200.clone(), "+449098790000").await), ("REFUSE", "CLASS_PREMIUM"));
        set(ctx, "ACME", "ALLOW_PREMIUM", "yes", None).await;
        assert_eq!(call(a100.clone(), "09098790000").await.action(), "DIAL");
        // Per-extension values: only per-extension settings, only existing extensions.
        for (code, ext, want) in [("ALLOW_PREMIUM", "999", "parameter 'extension'"), ("TIMEZONE", "100", "no per-extension value")] {
            let r = ctx.req().p("reqtype", "SETTING").p("key", &ctx.admin).p("tenant", "ACME").p("action", "set")
                .p("code", code).p("value", "yes").p("extension", ext).post().await;
            assert!(r.is_any_error() && r.text().contains(want), "{code}/{ext}: {}", r.text());
        }
        // The operator's list: every refusal with its cause; per tenant; admin only.
        let events = ctx.req().p("reqtype", "FRAUD").p("key", &ctx.admin).fmt("json").post().await.json();
        let causes: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["cause"].as_str().unwrap()).collect();
        assert!(causes.contains(&"CLASS_SATELLITE") && causes.contains(&"CLASS_PREMIUM"), "{events}");
        let beta = ctx.req().p("reqtype", "FRAUD").p("key", &ctx.admin).p("tenant", "BETA").fmt("json").post().await.json();
        let beta = beta.as_array().unwrap();
        assert_eq!(beta.len(), 1, "{beta:?}");
        assert_eq!(beta[0]["number"], "+449098790000");
        let r = ctx.req().p("reqtype", "FRAUD").p("key", &ctx.rw).get().await;
        assert!(r.is_any_error(), "{}", r.text());
        // The classes are data: an admin's new prefix applies to the next call, a tenant key
        // cannot add one, a bad prefix is refused naming the field.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "destclass", "add").json(&json!({"dk_prefix": "44", "dk_class": "PREMIUM"})).post().await;
        assert!(r.is_any_error(), "{}", r.text());
        let r = ctx.mdb(&ctx.admin, None, "destclass", "add").json(&json!({"dk_prefix": "+44", "dk_class": "PREMIUM"})).post().await;
        assert!(r.is_any_error() && r.text().contains("dk_prefix"), "{}", r.text());
        let row = ctx.add(&ctx.admin, None, "destclass", json!({"dk_prefix": "4420794", "dk_class": "PREMIUM", "dk_plan": "UK"})).await;
        assert_eq!(outcome(&call(b200.clone(), "02079460000").await), ("REFUSE", "CLASS_PREMIUM"));
        ctx.mdb(&ctx.admin, None, "destclass", "delete").id(id(&row, "dk_id")).post().await;
        assert_eq!(call(b200.clone(), "02079460000").await.action(), "DIAL");
    }

    /// Each limit refuses the call over it with its cause, and counts only its own tenant or
    /// extension; a hang-up frees the slot; emergency calls go out at any count.
    async fn limits_refuse_with_cause(ctx) {
        let addr = start(ctx).await;
        let p1 = outbound_uk(ctx).await;
        let a100 = phone_of(&ctx.ext(&ctx.a, "100", json!({})).await);
        let a101 = phone_of(&ctx.ext(&ctx.a, "101", json!({})).await);
        let b200 = phone_of(&ctx.ext(&ctx.b, "200", json!({})).await);
        let call = |phone: String| async move { agi(addr, "v1/internal", &phone, &["02079460000"]).await };
        let hangup = |phone: String, slot: String| async move {
            assert!(!slot.is_empty());
            assert_eq!(agi(addr, "v1/hangup", &phone, &[&slot]).await.action(), "HANGUP");
        };
        // Extension concurrency (default 2 per extension): the third call of 100 is refused.
        let s1 = call(a100.clone()).await;
        let s2 = call(a100.clone()).await;
        assert_eq!((s1.action(), s2.action()), ("DIAL", "DIAL"));
        assert_ne!(s1.var("SB_SLOT"), s2.var("SB_SLOT"));
        assert_eq!(outcome(&call(a100.clone()).await), ("REFUSE", "LIMIT_EXTENSION_CONCURRENT"));
        assert_eq!(call(a101.clone()).await.action(), "DIAL");
        assert_eq!(call(a100.clone()).await.var("SB_CAUSE"), "LIMIT_EXTENSION_CONCURRENT");
        assert_eq!(agi(addr, "v1/internal", &a100, &["999"]).await.action(), "DIAL");
        assert_eq!(agi(addr, "v1/internal", &a100, &["112"]).await.action(), "DIAL");
        hangup(a100.clone(), s1.var("SB_SLOT").to_string()).await;
        let s3 = call(a100.clone()).await;
        assert_eq!(s3.action(), "DIAL");
        // Tenant concurrency: ACME has 3 calls up; at 3 the next is refused, BETA unaffected.
        set(ctx, "ACME", "OUTBOUND_CONCURRENT", "3", None).await;
        assert_eq!(outcome(&call(a101.clone()).await), ("REFUSE", "LIMIT_TENANT_CONCURRENT"));
        assert_eq!(call(b200.clone()).await.action(), "DIAL");
        set(ctx, "ACME", "OUTBOUND_CONCURRENT", "0", None).await;
        // te_maxchannels.
        update(ctx, None, "tenant", &ctx.a.id.to_string(), json!({"te_maxchannels": 3})).await;
        assert_eq!(outcome(&call(a101.clone()).await), ("REFUSE", "LIMIT_TENANT_MAXCHANNELS"));
        update(ctx, None, "tenant", &ctx.a.id.to_string(), json!({"te_maxchannels": 0})).await;
        // Calls per hour: ACME started 4 counted calls this hour (ended ones count too).
        hangup(a100.clone(), s2.var("SB_SLOT").to_string()).await;
        hangup(a100.clone(), s3.var("SB_SLOT").to_string()).await;
        set(ctx, "ACME", "OUTBOUND_CALLS_PER_HOUR", "5", None).await;
        let s5 = call(a100.clone()).await;
        assert_eq!(s5.action(), "DIAL");
        assert_eq!(outcome(&call(a100.clone()).await), ("REFUSE", "LIMIT_TENANT_PER_HOUR"));
        assert_eq!(call(b200.clone()).await.action(), "DIAL");
        set(ctx, "ACME", "OUTBOUND_CALLS_PER_HOUR", "0", None).await;
        set(ctx, "ACME", "OUTBOUND_CALLS_PER_DAY", "5", None).await;
        assert_eq!(outcome(&call(a100.clone()).await), ("REFUSE", "LIMIT_TENANT_PER_DAY"));
        set(ctx, "ACME", "OUTBOUND_CALLS_PER_DAY", "0", None).await;
        // The extension's own per-hour limit (101 has started 1 call).
        set(ctx, "ACME", "EXT_OUTBOUND_CALLS_PER_HOUR", "1", Some("101")).await;
        assert_eq!(outcome(&call(a101.clone()).await), ("REFUSE", "LIMIT_EXTENSION_PER_HOUR"));
        set(ctx, "ACME", "EXT_OUTBOUND_CALLS_PER_DAY", "1", None).await;
        set(ctx, "ACME", "EXT_OUTBOUND_CALLS_PER_HOUR", "0", Some("101")).await;
        assert_eq!(outcome(&call(a101.clone()).await), ("REFUSE", "LIMIT_EXTENSION_PER_DAY"));
        set(ctx, "ACME", "EXT_OUTBOUND_CALLS_PER_DAY", "0", None).await;
        // pr_maxchannels: once s5 ends the provider carries 3 calls (101's first, BETA's two);
        // capped at 3, the next call has no way out.
        hangup(a100.clone(), s5.var("SB_SLOT").to_string()).await;
        update(ctx, None, "provider", &id(&p1, "pr_id"), json!({"pr_maxchannels": 3})).await;
        assert_eq!(outcome(&call(a100.clone()).await), ("REFUSE", "LIMIT_PROVIDER_MAXCHANNELS"));
        // Emergency still goes out, through the same provider.
        assert_eq!(agi(addr, "v1/internal", &a100, &["112"]).await.action(), "DIAL");
        let events = ctx.req().p("reqtype", "FRAUD").p("key", &ctx.admin).p("tenant", "ACME").fmt("json").post().await.json();
        assert!(events.as_array().unwrap().iter().any(|e| e["cause"] == "LIMIT_PROVIDER_MAXCHANNELS"), "{events}");
    }

    /// Two instances on one database, two decisions at once for the last slot of a tenant:
    /// exactly one gets it, round after round.
    async fn racing_for_the_last_slot(ctx) {
        let one = start(ctx).await;
        let two = start_with(Db::connect(&ctx.db_url()).await.unwrap(), relaxed()).await;
        outbound_uk(ctx).await;
        let a100 = phone_of(&ctx.ext(&ctx.a, "100", json!({})).await);
        let a101 = phone_of(&ctx.ext(&ctx.a, "101", json!({})).await);
        set(ctx, "ACME", "OUTBOUND_CONCURRENT", "1", None).await;
        for round in 0..6 {
            let (x, y) = tokio::join!(
                agi(one, "v1/internal", &a100, &["02079460000"]),
                agi(two, "v1/internal", &a101, &["02079460000"])
            );
            let mut actions = [outcome(&x), outcome(&y)];
            actions.sort();
            assert_eq!(actions, [("DIAL", ""), ("REFUSE", "LIMIT_TENANT_CONCURRENT")], "round {round}: {x:?} {y:?}");
            let (phone, slot) = if x.action() == "DIAL" { (&a100, x.var("SB_SLOT")) } else { (&a101, y.var("SB_SLOT")) };
            assert_eq!(agi(one, "v1/hangup", phone, &[slot]).await.action(), "HANGUP");
        }
    }
}
