//! Account-level reqtypes: SETTING, BALANCE, LICENSEDAYS, CHECKAUTH / GETWEBRTCAUTH, AUTHTOKEN,
//! VOICEMAIL and PHONEBOOK(S), and the voicemail / phonephonebook objects. Every test runs on
//! SQLite, PostgreSQL and MariaDB.

use crate::common::render::{assert_shape, Shape, FORMATS};
use crate::common::*;
#[allow(unused_imports)]
use serde_json::{json, Value};

/// `reqtype=<R>` with `key`, `tenant` (if any) and `action`.
fn rq<'c>(ctx: &'c Ctx, reqtype: &str, key: &str, tenant: Option<&str>, action: &str) -> Req<'c> {
    let mut r = ctx
        .req()
        .p("reqtype", reqtype)
        .p("key", key)
        .p("action", action);
    if let Some(t) = tenant {
        r = r.p("tenant", t);
    }
    r
}

fn setting<'c>(ctx: &'c Ctx, key: &str, tenant: Option<&str>, action: &str, code: &str) -> Req<'c> {
    rq(ctx, "SETTING", key, tenant, action).p("code", code)
}

backend_tests! {
    /// get / set / reset in every format; per-tenant values; lookup by code or label; the
    /// admin's global default under the tenant's own value.
    async fn setting_get_set_reset(ctx) {
        for f in FORMATS {
            let r = setting(ctx, &ctx.rw, Some("ACME"), "get", "VOICEMAIL_MAXMSG").in_format(f).get().await;
            assert_shape(&r, &Shape::Value("VOICEMAIL_MAXMSG", "100".into()), f);
        }
        for f in FORMATS {
            let r = setting(ctx, &ctx.rw, Some("ACME"), "set", "voicemail_maxmsg").p("value", " 42 ").in_format(f).post().await;
            assert_shape(&r, &Shape::Value("VOICEMAIL_MAXMSG", "42".into()), f);
        }
        let by_name = rq(ctx, "SETTING", &ctx.ro, Some("ACME"), "get").p("name", "messages per voicemail folder").get().await;
        by_name.is_plain("42");
        // BETA keeps the default.
        setting(ctx, &ctx.admin, Some("BETA"), "get", "VOICEMAIL_MAXMSG").get().await.is_plain("100");
        // A global default from the admin reaches BETA, not ACME (which has its own value).
        setting(ctx, &ctx.admin, None, "set", "VOICEMAIL_MAXMSG").p("value", "7").post().await.is_plain("7");
        setting(ctx, &ctx.admin, Some("BETA"), "get", "VOICEMAIL_MAXMSG").get().await.is_plain("7");
        setting(ctx, &ctx.rw, Some("ACME"), "get", "VOICEMAIL_MAXMSG").get().await.is_plain("42");
        // Reset drops ACME's own value: back to the global one.
        setting(ctx, &ctx.rw, Some("ACME"), "reset", "VOICEMAIL_MAXMSG").post().await.is_plain("7");
        assert_eq!(ctx.count_where("st_settings", &format!("st_te_id = {}", ctx.a.id)).await, 0);
        // Choices and flags are normalised.
        setting(ctx, &ctx.rw, Some("ACME"), "set", "LANGUAGE").p("value", "IT").post().await.is_plain("it");
        setting(ctx, &ctx.rw, Some("ACME"), "set", "VOICEMAIL_ATTACH").p("value", "off").post().await.is_plain("no");
        // list: every known setting with the tenant's effective value.
        let list = rq(ctx, "SETTING", &ctx.rw, Some("ACME"), "list").fmt("json").get().await.json();
        let rows = list.as_array().unwrap();
        assert_eq!(rows.len(), switchboard::settings::SETTINGS.len());
        let lang = rows.iter().find(|r| r["code"] == "LANGUAGE").unwrap();
        assert_eq!(lang["value"], "it");
        assert_string_scalars(&list);
    }

    /// Unknown codes, bad values and missing parameters are errors naming them; read-only keys,
    /// tenant keys on admin settings and other tenants change nothing.
    async fn setting_refusals(ctx) {
        setting(ctx, &ctx.rw, Some("ACME"), "get", "NO_SUCH").get().await
            .is_error_starting("parameter 'code': unknown setting 'NO_SUCH' (known: ALLOW_INTERNATIONAL, ");
        rq(ctx, "SETTING", &ctx.rw, Some("ACME"), "get").p("name", "nope").get().await
            .is_error_starting("parameter 'name': unknown setting 'nope'");
        rq(ctx, "SETTING", &ctx.rw, Some("ACME"), "get").get().await
            .is_error("parameter 'code' (or 'name') is required");
        rq(ctx, "SETTING", &ctx.rw, Some("ACME"), "frob").p("code", "LANGUAGE").get().await
            .is_error("parameter 'action': 'frob' is not one of get, set, reset, list");
        setting(ctx, &ctx.rw, Some("ACME"), "set", "LANGUAGE").post().await
            .is_error("parameter 'value' is required");
        for (code, value, why) in [
            ("VOICEMAIL_MAXMSG", "0", "must be a whole number from 1 to 9999"),
            ("VOICEMAIL_MAXMSG", "1e3", "must be a whole number from 1 to 9999"),
            ("LANGUAGE", "klingon", "must be one of en, it, es, fr, de, pt, nl"),
            ("VOICEMAIL_ATTACH", "maybe", "must be yes or no"),
            ("TIMEZONE", "../../etc/passwd", "must be a time zone name such as UTC or Europe/Rome"),
            ("WEBRTC_WSS_URL", "javascript:alert(1)", "must be a ws:// or wss:// URL"),
        ] {
            let r = setting(ctx, &ctx.rw, Some("ACME"), "set", code).p("value", value).post().await;
            r.is_error(&format!("parameter 'value' for {code}: {why}"));
            let j = setting(ctx, &ctx.rw, Some("ACME"), "set", code).p("value", value).fmt("json").post().await;
            j.is_json_error(&format!("parameter 'value' for {code}: {why}"));
        }
        let before = ctx.count("st_settings").await;
        assert_eq!(before, 0);
        // Read-only keys (tenant and admin) change nothing.
        let (_, admin_ro) = ctx.mint(KeySpec { admin: true, read_only: true, ..Default::default() }).await;
        for (key, tenant) in [(&ctx.ro, Some("ACME")), (&admin_ro, Some("ACME")), (&admin_ro, None)] {
            for action in ["set", "reset"] {
                setting(ctx, key, tenant, action, "LANGUAGE").p("value", "it").post().await
                    .is_error(&format!("this key is read-only; SETTING {action} needs a read/write key"));
            }
        }
        // Admin-level settings: a tenant key may read, not write.
        for code in ["LICENSE_EXPIRES", "AUTHTOKEN_MAX_DAYS"] {
            setting(ctx, &ctx.rw, Some("ACME"), "set", code).p("value", "2030-01-01").post().await.is_too_bad();
        }
        setting(ctx, &ctx.rw, Some("ACME"), "get", "AUTHTOKEN_MAX_DAYS").get().await.is_plain("365");
        // A tenant key naming another tenant: the auth failure.
        setting(ctx, &ctx.rw, Some("BETA"), "set", "LANGUAGE").p("value", "it").post().await.is_too_bad();
        setting(ctx, &ctx.rw, Some("BETA"), "get", "LANGUAGE").get().await.is_too_bad();
        assert_eq!(ctx.count("st_settings").await, 0);
        // The admin sets the tenant's licence date; the tenant reads it.
        setting(ctx, &ctx.admin, Some("ACME"), "set", "LICENSE_EXPIRES").p("value", "2030-01-31").post().await.is_plain("2030-01-31");
        setting(ctx, &ctx.rw, Some("ACME"), "get", "LICENSE_EXPIRES").get().await.is_plain("2030-01-31");
        setting(ctx, &ctx.admin, Some("BETA"), "get", "LICENSE_EXPIRES").get().await.is_plain("");
    }
}

fn balance<'c>(ctx: &'c Ctx, key: &str, tenant: Option<&str>) -> Req<'c> {
    ctx.req().p("reqtype", "BALANCE").p("key", key).p(
        if tenant.is_some() { "tenant" } else { "x" },
        tenant.unwrap_or(""),
    )
}

backend_tests! {
    /// Credits and debits by the admin, each in the ledger with the balance after it; INFO
    /// balance and BALANCE get agree in every format; tenants cannot change their own credit.
    async fn balance_and_ledger(ctx) {
        ctx.info(&ctx.rw, Some("ACME"), "balance").get().await.is_plain("0");
        balance(ctx, &ctx.admin, Some("ACME")).p("amount", "10.5").p("description", "top-up").post().await.is_plain("10.5");
        balance(ctx, &ctx.admin, Some("ACME")).p("amount", "-3").p("description", "calls").fmt("json").post().await;
        for f in FORMATS {
            let r = ctx.info(&ctx.ro, Some("ACME"), "balance").in_format(f).get().await;
            assert_shape(&r, &Shape::Value("balance", "7.5".into()), f);
            let r = balance(ctx, &ctx.rw, Some("ACME")).p("action", "get").in_format(f).get().await;
            assert_shape(&r, &Shape::Value("balance", "7.5".into()), f);
        }
        let hist = balance(ctx, &ctx.ro, Some("ACME")).p("action", "history").fmt("json").get().await.json();
        let rows = hist.as_array().unwrap();
        assert_eq!(rows.len(), 2, "{hist}");
        assert_eq!((rows[0]["bt_amount"].as_str(), rows[0]["bt_balance"].as_str(), rows[0]["bt_description"].as_str()), (Some("-3"), Some("7.5"), Some("calls")));
        assert_eq!((rows[1]["bt_amount"].as_str(), rows[1]["bt_balance"].as_str()), (Some("10.5"), Some("10.5")));
        assert_string_scalars(&hist);
        // Concurrent changes all land, and the ledger adds up.
        let adds: Vec<_> = (0..6).map(|_| balance(ctx, &ctx.admin, Some("ACME")).p("amount", "0.25").post()).collect();
        for r in futures_util::future::join_all(adds).await { assert!(!r.is_any_error(), "{}", r.text()); }
        ctx.info(&ctx.rw, Some("ACME"), "balance").get().await.is_plain("9");
        assert_eq!(ctx.count_where("bt_balancetransactions", &format!("bt_te_id = {}", ctx.a.id)).await, 8);

        // Refusals: nothing changes.
        let before = ctx.count("bt_balancetransactions").await;
        balance(ctx, &ctx.rw, Some("ACME")).p("amount", "100").post().await.is_too_bad();
        let (_, admin_ro) = ctx.mint(KeySpec { admin: true, read_only: true, ..Default::default() }).await;
        balance(ctx, &admin_ro, Some("ACME")).p("amount", "100").post().await
            .is_error("this key is read-only; BALANCE add needs a read/write key");
        for bad in ["0", "abc", "1e5", "1.1234567", "NaN", "99999999999"] {
            balance(ctx, &ctx.admin, Some("ACME")).p("amount", bad).post().await
                .is_error_starting("parameter 'amount' must be a non-zero number");
        }
        balance(ctx, &ctx.admin, Some("ACME")).p("amount", "1").p("description", "x\u{1}y").post().await
            .is_error_starting("parameter 'description'");
        balance(ctx, &ctx.admin, None).p("amount", "1").post().await
            .is_error("parameter 'tenant' is required for BALANCE with an admin key");
        ctx.info(&ctx.admin, None, "balance").get().await
            .is_error("parameter 'tenant' is required for INFO balance with an admin key");
        balance(ctx, &ctx.rw, Some("BETA")).get().await.is_too_bad();
        assert_eq!(ctx.count("bt_balancetransactions").await, before);
        ctx.info(&ctx.admin, Some("BETA"), "balance").get().await.is_plain("0");
    }

    /// LICENSEDAYS: empty without an expiry; the admin sets it per tenant; tenants only read.
    async fn licensedays(ctx) {
        let ld = |key: &str, tenant: &str| ctx.req().p("reqtype", "LICENSEDAYS").p("key", key).p("tenant", tenant);
        ld(&ctx.rw, "ACME").get().await.is_plain("");
        ld(&ctx.admin, "ACME").p("action", "set").p("days", "30").post().await.is_plain("30");
        for f in FORMATS {
            assert_shape(&ld(&ctx.ro, "ACME").in_format(f).get().await, &Shape::Value("licensedays", "30".into()), f);
        }
        ld(&ctx.rw, "BETA").get().await.is_too_bad();
        ld(&ctx.admin, "BETA").get().await.is_plain("");
        ld(&ctx.rw, "ACME").p("action", "set").p("days", "3000").post().await.is_too_bad();
        ld(&ctx.admin, "ACME").p("action", "set").p("days", "-1").post().await
            .is_error("parameter 'days' must be a whole number from 0 to 36500");
        ld(&ctx.rw, "ACME").get().await.is_plain("30");
        setting(ctx, &ctx.rw, Some("ACME"), "get", "LICENSE_EXPIRES").get().await
            .is_plain(&(chrono::Utc::now().date_naive() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string());
    }
}

fn auth<'c>(
    ctx: &'c Ctx,
    reqtype: &str,
    key: &str,
    tenant: Option<&str>,
    username: &str,
    password: &str,
) -> Req<'c> {
    let mut r = ctx
        .req()
        .p("reqtype", reqtype)
        .p("key", key)
        .p("username", username)
        .p("password", password);
    if let Some(t) = tenant {
        r = r.p("tenant", t);
    }
    r
}

const LOGIN_FAILED: &str = "authentication failed: wrong username, password or token";

/// An ACME extension 103 and a BETA extension 103 with web passwords; a web user linked to ACME.
async fn logins(ctx: &Ctx) {
    ctx.ext(
        &ctx.a,
        "103",
        json!({ "ex_webpassword": "Web-Pass-A1", "password": "Dev-Secret-A1" }),
    )
    .await;
    ctx.ext(
        &ctx.b,
        "103",
        json!({ "ex_webpassword": "Web-Pass-B1", "password": "Dev-Secret-B1" }),
    )
    .await;
    ctx.ext(&ctx.a, "104", json!({})).await;
    let user = ctx
        .add(
            &ctx.admin,
            None,
            "user",
            json!({ "us_username": "alice", "us_password": "Alice-Pass-1", "us_name": "Alice" }),
        )
        .await;
    ctx.mdb(&ctx.admin, None, "user", "addtenant")
        .id(id_of(&user, "us_id"))
        .p("tenantid", ctx.a.id.to_string())
        .post()
        .await
        .is_plain("OK");
    ctx.add(
        &ctx.admin,
        None,
        "user",
        json!({ "us_username": "bob", "us_password": "Bob-Pass-1" }),
    )
    .await;
}

backend_tests! {
    /// Extensions (by user name or number) and web users log in with their own password, in
    /// every format; wrong passwords, other tenants' logins and unlinked users do not.
    async fn checkauth_and_webrtc(ctx) {
        logins(ctx).await;
        let ok = auth(ctx, "CHECKAUTH", &ctx.rw, Some("ACME"), "103-ACME", "Web-Pass-A1").fmt("json").get().await.json();
        assert_eq!(ok["result"], "OK");
        assert_eq!((ok["type"].as_str(), ok["username"].as_str(), ok["tenant"].as_str(), ok["number"].as_str()), (Some("extension"), Some("103-ACME"), Some("ACME"), Some("103")));
        for f in FORMATS {
            let r = auth(ctx, "CHECKAUTH", &ctx.ro, Some("ACME"), "103", "Web-Pass-A1").in_format(f).post().await;
            assert_shape(&r, &Shape::Record(Some(ok.clone())), f);
        }
        let user = auth(ctx, "CHECKAUTH", &ctx.rw, Some("ACME"), "alice", "Alice-Pass-1").fmt("json").get().await.json();
        assert_eq!((user["type"].as_str(), user["name"].as_str()), (Some("user"), Some("Alice")));
        auth(ctx, "CHECKAUTH", &ctx.admin, None, "bob", "Bob-Pass-1").fmt("json").get().await.json();
        auth(ctx, "CHECKAUTH", &ctx.admin, None, "103-BETA", "Web-Pass-B1").fmt("json").get().await.json();
        for (key, tenant, user, pass) in [
            (&ctx.rw, "ACME", "103-ACME", "web-pass-a1"),
            (&ctx.rw, "ACME", "103-ACME", ""),
            (&ctx.rw, "ACME", "103-BETA", "Web-Pass-B1"),
            (&ctx.rw, "ACME", "103", "Web-Pass-B1"),
            (&ctx.rw, "ACME", "104", ""),
            (&ctx.rw, "ACME", "bob", "Bob-Pass-1"),
            (&ctx.rw, "ACME", "nobody", "x"),
            (&ctx.admin, "BETA", "103-ACME", "Web-Pass-A1"),
            (&ctx.admin, "BETA", "alice", "Alice-Pass-1"),
        ] {
            let r = auth(ctx, "CHECKAUTH", key, Some(tenant), user, pass).post().await;
            if pass.is_empty() {
                r.is_error("parameter 'password' (or 'token') is required");
            } else {
                r.is_error(LOGIN_FAILED);
            }
        }
        auth(ctx, "CHECKAUTH", &ctx.rw, Some("BETA"), "103", "Web-Pass-B1").post().await.is_too_bad();
        ctx.req().p("reqtype", "CHECKAUTH").p("key", &ctx.rw).p("tenant", "ACME").p("password", "x").get().await
            .is_error("parameter 'username' is required");

        // GETWEBRTCAUTH: extensions only, with what a WebRTC phone needs.
        setting(ctx, &ctx.rw, Some("ACME"), "set", "WEBRTC_WSS_URL").p("value", "wss://pbx.example.com/ws").post().await;
        let w = auth(ctx, "GETWEBRTCAUTH", &ctx.rw, Some("ACME"), "103", "Web-Pass-A1").fmt("json").get().await.json();
        assert_eq!(w, json!({ "username": "103-ACME", "password": "Dev-Secret-A1", "domain": "", "wss": "wss://pbx.example.com/ws", "number": "103", "name": "Ext 103", "tenant": "ACME" }));
        auth(ctx, "GETWEBRTCAUTH", &ctx.rw, Some("ACME"), "alice", "Alice-Pass-1").post().await.is_error(LOGIN_FAILED);
        auth(ctx, "GETWEBRTCAUTH", &ctx.rw, Some("ACME"), "103", "Dev-Secret-A1").post().await.is_error(LOGIN_FAILED);
    }

    /// Past the failure limit an address is refused without checking, right password included;
    /// another server (another address table) still answers.
    async fn checkauth_is_throttled(ctx) {
        logins(ctx).await;
        for _ in 0..20 {
            auth(ctx, "CHECKAUTH", &ctx.rw, Some("ACME"), "103", "wrong-guess").post().await.is_error(LOGIN_FAILED);
        }
        auth(ctx, "CHECKAUTH", &ctx.rw, Some("ACME"), "103", "Web-Pass-A1").post().await.is_error(LOGIN_FAILED);
        auth(ctx, "GETWEBRTCAUTH", &ctx.rw, Some("ACME"), "103", "Web-Pass-A1").post().await.is_error(LOGIN_FAILED);
        // API keys are not affected by login failures.
        ctx.info(&ctx.rw, Some("ACME"), "balance").get().await.is_plain("0");
        let other = ctx.extra_server(false).await;
        let r = auth(ctx, "CHECKAUTH", &ctx.rw, Some("ACME"), "103", "Web-Pass-A1").on(&other).fmt("json").get().await.json();
        assert_eq!(r["result"], "OK");
    }

    /// AUTHTOKEN: a ONCE token works exactly once, a dated token until reset; tokens are stored
    /// hashed; read-only keys and other tenants' logins are refused.
    async fn authtokens(ctx) {
        logins(ctx).await;
        let gen = |key: &str, user: &str, validity: &str| {
            rq(ctx, "AUTHTOKEN", key, Some("ACME"), "generate").p("user", user).p("validity", validity)
        };
        let once = gen(&ctx.rw, "103", "ONCE").fmt("json").post().await.json();
        let token = once["token"].as_str().unwrap().to_string();
        assert!(token.starts_with("sbt_") && token.len() == 52, "{once}");
        assert_eq!(once["validity"], "ONCE");
        assert_eq!(ctx.count_where("at_authtokens", &format!("at_hash = '{token}'")).await, 0, "stored in clear");
        let use_token = |token: &str| ctx.req().p("reqtype", "CHECKAUTH").p("key", &ctx.rw).p("tenant", "ACME").p("username", "103-ACME").p("token", token);
        // Two concurrent uses of a ONCE token: exactly one succeeds.
        let (r1, r2) = futures_util::join!(use_token(&token).post(), use_token(&token).post());
        assert_eq!([&r1, &r2].iter().filter(|r| !r.is_any_error()).count(), 1, "{} / {}", r1.text(), r2.text());
        use_token(&token).post().await.is_error(LOGIN_FAILED);

        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
        let dated = gen(&ctx.rw, "alice", &tomorrow).fmt("json").post().await.json();
        let dtoken = dated["token"].as_str().unwrap().to_string();
        assert_eq!(dated["expires"], format!("{tomorrow} 23:59:59"));
        for _ in 0..2 {
            let r = ctx.req().p("reqtype", "CHECKAUTH").p("key", &ctx.rw).p("tenant", "ACME").p("username", "alice").p("token", &dtoken).fmt("json").get().await.json();
            assert_eq!(r["type"], "user");
        }
        // A token of one login does not open another.
        ctx.req().p("reqtype", "CHECKAUTH").p("key", &ctx.rw).p("tenant", "ACME").p("username", "103").p("token", &dtoken).get().await.is_error(LOGIN_FAILED);
        rq(ctx, "AUTHTOKEN", &ctx.rw, Some("ACME"), "reset").p("user", "alice").post().await.is_plain("1");
        ctx.req().p("reqtype", "CHECKAUTH").p("key", &ctx.rw).p("tenant", "ACME").p("username", "alice").p("token", &dtoken).get().await.is_error(LOGIN_FAILED);

        // Refusals change nothing.
        let before = ctx.count("at_authtokens").await;
        gen(&ctx.ro, "103", "ONCE").post().await.is_error("this key is read-only; AUTHTOKEN generate needs a read/write key");
        rq(ctx, "AUTHTOKEN", &ctx.ro, Some("ACME"), "reset").p("user", "103").post().await.is_error("this key is read-only; AUTHTOKEN reset needs a read/write key");
        gen(&ctx.rw, "103-BETA", "ONCE").post().await.is_error("parameter 'user': no extension or user '103-BETA' in tenant ACME");
        gen(&ctx.rw, "bob", "ONCE").post().await.is_error("parameter 'user': no extension or user 'bob' in tenant ACME");
        gen(&ctx.rw, "103", "2001-01-01").post().await.is_error("parameter 'validity' is in the past");
        gen(&ctx.rw, "103", "2999-01-01").post().await.is_error("parameter 'validity' is more than 365 days away (setting AUTHTOKEN_MAX_DAYS)");
        gen(&ctx.rw, "103", "soon").post().await.is_error("parameter 'validity' must be ONCE or a date YYYY-MM-DD [HH:MM[:SS]]");
        rq(ctx, "AUTHTOKEN", &ctx.rw, Some("ACME"), "mint").p("user", "103").post().await.is_error("parameter 'action': 'mint' is not one of generate, reset");
        assert_eq!(ctx.count("at_authtokens").await, before);
    }
}

/// A small valid WAV file (RIFF/WAVE header, 8 kHz mono 16-bit) with `n` bytes of samples.
fn wav(n: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&((36 + n) as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&[
        16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0,
    ]);
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(n as u32).to_le_bytes());
    b.extend((0..n).map(|i| (i * 7 % 251) as u8));
    b
}

/// A multipart POST with text fields and one file part `filename`.
async fn upload(ctx: &Ctx, pairs: &[(&str, &str)], file: Option<(&str, Vec<u8>)>) -> Resp {
    let boundary = "----account-test-boundary-3f9c";
    let mut body = Vec::new();
    for (k, v) in pairs {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    ctx.send_raw(
        "POST",
        PATH,
        "",
        Some(&format!("multipart/form-data; boundary={boundary}")),
        body,
    )
    .await
}

/// Put a message into a box as `key`; returns the new message row.
async fn put_message(ctx: &Ctx, key: &str, tenant: &str, mailbox: &str, bytes: Vec<u8>) -> Value {
    let r = upload(
        ctx,
        &[
            ("reqtype", "MANAGEDB"),
            ("key", key),
            ("tenant", tenant),
            ("object", "voicemail"),
            ("action", "putmessagerecording"),
            ("mailboxuser", mailbox),
            ("callerid", "\"Bob\" <555>"),
            ("duration", "4"),
            ("format", "json"),
        ],
        Some(("msg.wav", bytes)),
    )
    .await;
    let v = r.json();
    assert!(v.get("msg_id").is_some(), "{}", r.text());
    v
}

/// GET with a Range header, outside the harness (whose requests expect 200).
async fn ranged(ctx: &Ctx, params: &[(&str, &str)], range: &str) -> (u16, Option<String>, Vec<u8>) {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = format!("{}{PATH}?{}", ctx.base, urlencode(&pairs));
    let mut res = awc::Client::default()
        .get(&url)
        .insert_header(("range", range))
        .send()
        .await
        .unwrap();
    let cr = res
        .headers()
        .get("content-range")
        .map(|v| v.to_str().unwrap().to_string());
    (
        res.status().as_u16(),
        cr,
        res.body().await.unwrap().to_vec(),
    )
}

/// GET a binary body (audio) outside the harness (which reads bodies as text).
async fn fetch_bytes(ctx: &Ctx, req: Req<'_>) -> (String, Vec<u8>) {
    let url = format!("{}{PATH}?{}", ctx.base, urlencode(req.params()));
    let mut res = awc::Client::default().get(&url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (ct, res.body().limit(64 << 20).await.unwrap().to_vec())
}

fn vm<'c>(ctx: &'c Ctx, key: &str, tenant: &str, action: &str) -> Req<'c> {
    rq(ctx, "VOICEMAIL", key, Some(tenant), action)
}

backend_tests! {
    /// Voicemail boxes through MANAGEDB, VOICEMAIL list in every format, messages stored in the
    /// spool, served with Range, moved between folders, deleted; the box takes its messages along.
    async fn voicemail_boxes_and_messages(ctx) {
        let boxrow = ctx.add(&ctx.rw, Some("ACME"), "voicemail", json!({ "mailbox": "103", "password": "1234", "fullname": "Ann", "email": "ann@example.com" })).await;
        assert_eq!((boxrow["context"].as_str(), boxrow["attach"].as_str(), boxrow["te_id"].as_str()), (Some("ACME"), Some("yes"), Some(ctx.a.id.to_string().as_str())));
        ctx.add(&ctx.rw, Some("ACME"), "voicemail", json!({ "mailbox": "104", "fullname": "Bo, \"B\"" })).await;
        ctx.add(&ctx.admin, Some("BETA"), "voicemail", json!({ "mailbox": "103", "fullname": "Beta" })).await;
        ctx.mdb(&ctx.rw, Some("ACME"), "voicemail", "add").json(&json!({ "mailbox": "103" })).post().await
            .is_error("mailbox '103' already exists in tenant ACME");
        ctx.mdb(&ctx.rw, Some("ACME"), "voicemail", "add").json(&json!({ "mailbox": "10a" })).post().await
            .is_error_starting("field 'mailbox'");
        let rows = vec![
            json!({ "mailbox": "103", "fullname": "Ann", "email": "ann@example.com", "attach": "yes" }),
            json!({ "mailbox": "104", "fullname": "Bo, \"B\"", "email": "", "attach": "yes" }),
        ];
        for f in FORMATS {
            let r = vm(ctx, &ctx.ro, "ACME", "list").in_format(f).get().await;
            assert_shape(&r, &Shape::Table(rows.clone(), "Mailbox|Fullname|Email|Attach|"), f);
        }
        vm(ctx, &ctx.rw, "ACME", "list").p("mailbox", "103").get().await
            .is_plain("Mailbox|Fullname|Email|Attach|\n103|Ann|ann@example.com|yes|\n");

        // Messages: uploaded, listed, served whole and by range.
        let audio = wav(4000);
        let m1 = put_message(ctx, &ctx.rw, "ACME", "103", audio.clone()).await;
        let m2 = put_message(ctx, &ctx.rw, "ACME", "103@acme", wav(10)).await;
        let b1 = put_message(ctx, &ctx.admin, "BETA", "103", wav(20)).await;
        assert_eq!((m1["dir"].as_str(), m1["msgnum"].as_str(), m1["format"].as_str(), m1["callerid"].as_str()), (Some("INBOX"), Some("0"), Some("wav"), Some("\"Bob\" <555>")));
        assert_eq!(m2["msgnum"], "1");
        assert_eq!(m1["size"], audio.len().to_string());
        assert!(m1.get("recording").is_none(), "the spool path is not shown: {m1}");
        let spool = ctx.config.voicemail_dir();
        assert_eq!(std::fs::read(spool.join("ACME/103/INBOX/msg0000.wav")).unwrap(), audio);
        let id1 = m1["msg_id"].as_str().unwrap().to_string();
        let msgs = vm(ctx, &ctx.ro, "ACME", "messages").p("mailbox", "103").fmt("json").get().await.json();
        assert_eq!(msgs.as_array().unwrap().len(), 2, "{msgs}");
        assert_string_scalars(&msgs);
        let listed = ctx.mdb(&ctx.ro, Some("ACME"), "voicemail", "listmessages").p("mailboxuser", "103").p("mailbox", "inbox").fmt("json").get().await.json();
        assert_eq!(listed, msgs);
        let whole = fetch_bytes(ctx, vm(ctx, &ctx.ro, "ACME", "message").p("mailbox", "103").p("msgid", &id1)).await;
        assert_eq!(whole, ("audio/wav".to_string(), audio.clone()));
        let by_id = fetch_bytes(ctx, ctx.mdb(&ctx.ro, Some("ACME"), "voicemail", "getmessagerecording").p("id", m1["id"].as_str().unwrap())).await;
        assert_eq!(by_id.1, audio);
        let q = [("reqtype", "VOICEMAIL"), ("key", ctx.ro.as_str()), ("tenant", "ACME"), ("action", "message"), ("mailbox", "103"), ("msgid", id1.as_str())];
        let (status, range, part) = ranged(ctx, &q, "bytes=4-11").await;
        assert_eq!((status, range.as_deref(), part.as_slice()), (206, Some(format!("bytes 4-11/{}", audio.len()).as_str()), &audio[4..12]));
        let (status, _, tail) = ranged(ctx, &q, "bytes=-5").await;
        assert_eq!((status, tail.as_slice()), (206, &audio[audio.len() - 5..]));
        let (status, _, _) = ranged(ctx, &q, "bytes=999999-").await;
        assert_eq!(status, 416);

        // markread: INBOX → Old with the next number there; markunread back.
        vm(ctx, &ctx.rw, "ACME", "markread").p("mailbox", "103").p("msgid", &id1).post().await.is_plain("OK");
        let old = vm(ctx, &ctx.rw, "ACME", "messages").p("mailbox", "103").p("folder", "old").fmt("json").get().await.json();
        assert_eq!((old[0]["msg_id"].as_str(), old[0]["dir"].as_str(), old[0]["msgnum"].as_str()), (Some(id1.as_str()), Some("Old"), Some("0")));
        assert!(!spool.join("ACME/103/INBOX/msg0000.wav").exists());
        assert_eq!(std::fs::read(spool.join("ACME/103/Old/msg0000.wav")).unwrap(), audio);
        vm(ctx, &ctx.rw, "ACME", "markunread").p("mailbox", "103").p("msgid", &id1).post().await.is_plain("OK");
        let inbox = vm(ctx, &ctx.rw, "ACME", "messages").p("mailbox", "103").p("folder", "INBOX").fmt("json").get().await.json();
        let moved = inbox.as_array().unwrap().iter().find(|m| m["msg_id"] == id1.as_str()).unwrap();
        assert_eq!(moved["msgnum"], "2");
        assert_eq!(fetch_bytes(ctx, vm(ctx, &ctx.ro, "ACME", "message").p("mailbox", "103").p("msgid", &id1)).await.1, audio);

        // delete: the row and the file.
        vm(ctx, &ctx.rw, "ACME", "delete").p("mailbox", "103").p("msgid", &id1).post().await.is_plain("OK");
        assert!(!spool.join("ACME/103/INBOX/msg0002.wav").exists());
        vm(ctx, &ctx.rw, "ACME", "message").p("mailbox", "103").p("msgid", &id1).get().await
            .is_error(&format!("parameter 'msgid': no message {id1} in box 103@ACME"));

        // Deleting the box takes its messages; BETA's stay.
        let vmid = boxrow["uniqueid"].as_str().unwrap();
        ctx.mdb(&ctx.rw, Some("ACME"), "voicemail", "delete").id(vmid).post().await
            .is_plain(&format!("delete from voicemail_users where uniqueid='{vmid}'"));
        assert_eq!(ctx.count_where("voicemail_messages", &format!("te_id = {}", ctx.a.id)).await, 0);
        assert_eq!(ctx.count_where("voicemail_messages", &format!("te_id = {}", ctx.b.id)).await, 1);
        assert_eq!(b1["mailboxcontext"], "BETA");
    }

    /// Hostile ids and names, other tenants' boxes and messages, read-only keys, bad uploads:
    /// errors naming the parameter, nothing changed, no file outside the spool touched.
    async fn voicemail_refusals(ctx) {
        ctx.add(&ctx.rw, Some("ACME"), "voicemail", json!({ "mailbox": "103" })).await;
        ctx.add(&ctx.admin, Some("BETA"), "voicemail", json!({ "mailbox": "103" })).await;
        let m = put_message(ctx, &ctx.rw, "ACME", "103", wav(100)).await;
        let b = put_message(ctx, &ctx.admin, "BETA", "103", wav(100)).await;
        let (aid, bid) = (m["msg_id"].as_str().unwrap().to_string(), b["msg_id"].as_str().unwrap().to_string());
        let before = ctx.snapshot().await + &ctx.count("voicemail_messages").await.to_string();
        for action in ["message", "delete", "markread", "markunread"] {
            for msgid in ["../../../etc/passwd", "1-2/../../x", "..", "1475685709-0000000g", "1475685709-00000004;drop", "%2e%2e%2f", " ", ""] {
                let r = vm(ctx, &ctx.rw, "ACME", action).p("mailbox", "103").p("msgid", msgid).post().await;
                if msgid.is_empty() {
                    r.is_error("parameter 'msgid' is required");
                } else {
                    r.is_error("parameter 'msgid' must be a message id such as 1475685709-00000004");
                }
            }
            for mailbox in ["../103", "103/../../x", "103@../BETA", "abc"] {
                vm(ctx, &ctx.rw, "ACME", action).p("mailbox", mailbox).p("msgid", &aid).post().await
                    .is_error_starting("parameter 'mailbox'");
            }
            // BETA's message, named from ACME: not found.
            vm(ctx, &ctx.rw, "ACME", action).p("mailbox", "103").p("msgid", &bid).post().await
                .is_error(&format!("parameter 'msgid': no message {bid} in box 103@ACME"));
            vm(ctx, &ctx.rw, "ACME", action).p("mailbox", "103@BETA").p("msgid", &bid).post().await
                .is_error("parameter 'mailbox': no voicemail box '103@BETA'");
            vm(ctx, &ctx.rw, "BETA", action).p("mailbox", "103").p("msgid", &bid).post().await.is_too_bad();
        }
        for action in ["delete", "markread", "markunread"] {
            vm(ctx, &ctx.ro, "ACME", action).p("mailbox", "103").p("msgid", &aid).post().await
                .is_error(&format!("this key is read-only; VOICEMAIL {action} needs a read/write key"));
        }
        ctx.mdb(&ctx.rw, Some("ACME"), "voicemail", "getmessagerecording").p("id", b["id"].as_str().unwrap()).get().await
            .is_error(&format!("parameter 'id': no voicemail message with id {}", b["id"].as_str().unwrap()));
        ctx.mdb(&ctx.rw, Some("ACME"), "voicemail", "getmessagerecording").get().await.is_error("No id specified");
        ctx.mdb(&ctx.rw, Some("ACME"), "voicemail", "listmessages").p("mailboxuser", "103").p("mailbox", "../x").get().await
            .is_error("parameter 'mailbox': unknown folder '../x' (use one of INBOX, Old, Work, Family, Friends, Urgent)");
        vm(ctx, &ctx.rw, "ACME", "messages").p("mailbox", "103").p("folder", "Trash").get().await
            .is_error_starting("parameter 'folder': unknown folder 'Trash'");
        vm(ctx, &ctx.admin, "ACME", "frob").get().await.is_error_starting("parameter 'action': 'frob' is not one of list");
        ctx.req().p("reqtype", "VOICEMAIL").p("key", &ctx.admin).p("action", "list").get().await
            .is_error("parameter 'tenant' is required for VOICEMAIL with an admin key");
        // Uploads: wrong content, no file, other tenant's box, read-only key.
        let base = [("reqtype", "MANAGEDB"), ("key", ctx.rw.as_str()), ("tenant", "ACME"), ("object", "voicemail"), ("action", "putmessagerecording"), ("mailboxuser", "103")];
        upload(ctx, &base, Some(("evil.wav", b"<?php system($_GET['c']); ?>".to_vec()))).await
            .is_error("multipart file 'filename': the file is not a supported audio type (WAV, MP3, OGG, raw GSM, raw u-law/a-law)");
        upload(ctx, &base, None).await.is_error("multipart file field 'filename' is required");
        let mut other = base.to_vec();
        other[5] = ("mailboxuser", "103@BETA");
        upload(ctx, &other, Some(("a.wav", wav(10)))).await.is_error("parameter 'mailboxuser': no voicemail box '103@BETA'");
        let mut ro = base.to_vec();
        ro[1] = ("key", ctx.ro.as_str());
        upload(ctx, &ro, Some(("a.wav", wav(10)))).await
            .is_error("this key is read-only; putmessagerecording on voicemail needs a read/write key");
        assert_eq!(ctx.snapshot().await + &ctx.count("voicemail_messages").await.to_string(), before);
        // Still there, unchanged.
        assert_eq!(fetch_bytes(ctx, vm(ctx, &ctx.rw, "ACME", "message").p("mailbox", "103").p("msgid", &aid)).await.1, wav(100));
    }
}

fn pb<'c>(ctx: &'c Ctx, key: &str, tenant: &str, sub: &str, name: &str) -> Req<'c> {
    ctx.req()
        .p("reqtype", "PHONEBOOK")
        .p("key", key)
        .p("tenant", tenant)
        .p("subreqtype", sub)
        .p("phonebook", name)
}

const PB_COLS: &[&str] = &[
    "NAME", "COMPANY", "PHONE1", "PHONE2", "PHONE3", "MOBILE", "FAX", "EMAIL", "ADDRESS", "NOTES",
];

/// An entry row as the API shows it.
fn entry(id: &str, values: &[(&str, &str)]) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("pe_id".into(), json!(id));
    for c in PB_COLS {
        m.insert(
            (*c).into(),
            json!(values
                .iter()
                .find(|(k, _)| k == c)
                .map(|(_, v)| *v)
                .unwrap_or("")),
        );
    }
    Value::Object(m)
}

backend_tests! {
    /// PHONEBOOK add (one object or an array), query with % wildcards, getall, delete by peid,
    /// cleanall; PHONEBOOKS list; the phonephonebook object gets its phonebook.
    async fn phonebooks(ctx) {
        let added = pb(ctx, &ctx.rw, "ACME", "add", "Office").p("values", json!({ "name": "Ann Smith", "PHONE1": "0211", "email": "ann@example.com" }).to_string()).fmt("json").post().await.json();
        let ann = added[0]["pe_id"].as_str().unwrap().to_string();
        assert_eq!(added, json!([entry(&ann, &[("NAME", "Ann Smith"), ("PHONE1", "0211"), ("EMAIL", "ann@example.com")])]));
        let more = pb(ctx, &ctx.rw, "ACME", "add", "Office").p("values", json!([{ "NAME": "Bob_Jones", "PHONE1": 212 }, { "NAME": "Carla", "MOBILE": "333" }]).to_string()).fmt("json").post().await.json();
        let (bob, carla) = (more[0]["pe_id"].as_str().unwrap().to_string(), more[1]["pe_id"].as_str().unwrap().to_string());
        pb(ctx, &ctx.admin, "BETA", "add", "Office").p("values", json!({ "NAME": "Ann Beta", "PHONE1": "0211" }).to_string()).post().await;
        let all = vec![
            entry(&ann, &[("NAME", "Ann Smith"), ("PHONE1", "0211"), ("EMAIL", "ann@example.com")]),
            entry(&bob, &[("NAME", "Bob_Jones"), ("PHONE1", "212")]),
            entry(&carla, &[("NAME", "Carla"), ("MOBILE", "333")]),
        ];
        let header = ["pe_id"].iter().chain(PB_COLS).copied().collect::<Vec<_>>().join("|");
        let header: &'static str = Box::leak(header.into_boxed_str());
        for f in FORMATS {
            let r = pb(ctx, &ctx.ro, "ACME", "getall", "office").in_format(f).get().await;
            // Phonebook names are matched as stored by the database's collation; use the stored one.
            let r = if r.is_any_error() { pb(ctx, &ctx.ro, "ACME", "getall", "Office").in_format(f).get().await } else { r };
            assert_shape(&r, &Shape::Table(all.clone(), header), f);
        }
        let query = |field: Option<&str>, value: &str| {
            let r = pb(ctx, &ctx.ro, "ACME", "query", "Office").p("value", value);
            match field { Some(f) => r.p("field", f), None => r }
        };
        let ids = |v: Value| v.as_array().unwrap().iter().map(|e| e["pe_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(ids(query(Some("NAME"), "ann%").fmt("json").get().await.json()), [ann.as_str()]);
        assert_eq!(ids(query(Some("name"), "%JONES").fmt("json").get().await.json()), [bob.as_str()]);
        assert_eq!(ids(query(Some("PHONE1"), "021%").fmt("json").get().await.json()), [ann.as_str()]);
        assert_eq!(ids(query(None, "%3%").fmt("json").get().await.json()), [carla.as_str()]);
        assert_eq!(ids(query(Some("NAME"), "%").fmt("json").get().await.json()), [ann.clone(), bob.clone(), carla.clone()]);
        // `_` is literal, not a one-character wildcard; no match is an empty answer.
        assert_eq!(ids(query(Some("NAME"), "Bob_%").fmt("json").get().await.json()), [bob.as_str()]);
        assert_eq!(query(Some("NAME"), "Ann_Smith").fmt("json").get().await.text(), "[]");
        query(Some("NAME"), "Ann_Smith").get().await.is_plain("");
        query(Some("NAME"), "Ann Beta").fmt("json").get().await.text().eq("[]").then_some(()).expect("BETA's entry seen from ACME");
        query(Some("SHOE"), "x").get().await.is_error_starting("field 'SHOE' is not a phonebook item (use one of NAME, COMPANY,");

        let list = ctx.req().p("reqtype", "PHONEBOOKS").p("key", &ctx.ro).p("tenant", "ACME").p("subreqtype", "list").fmt("json").get().await.json();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!((list[0]["pb_name"].as_str(), list[0]["entries"].as_str()), (Some("Office"), Some("3")));

        pb(ctx, &ctx.rw, "ACME", "delete", "Office").p("peid", &bob).post().await.is_plain("1");
        pb(ctx, &ctx.rw, "ACME", "delete", "Office").p("peid", &bob).post().await
            .is_error(&format!("parameter 'peid': no entry {bob} in phonebook 'Office'"));
        pb(ctx, &ctx.rw, "ACME", "cleanall", "Office").post().await.is_plain("2");
        pb(ctx, &ctx.rw, "ACME", "getall", "Office").get().await.is_plain("");
        assert_eq!(ctx.count_where("pd_phonebookdetails", &format!("pd_te_id = {}", ctx.a.id)).await, 0);
        assert_eq!(ctx.count_where("pd_phonebookdetails", &format!("pd_te_id = {}", ctx.b.id)).await, 2);

        // The phonephonebook object: a named phonebook for phones, linked to a phonebook.
        let pp = ctx.add(&ctx.rw, Some("ACME"), "phonephonebook", json!({ "pp_name": "Office" })).await;
        let office = list[0]["pb_id"].as_str().unwrap();
        assert_eq!(pp["pp_pb_id"], office);
        let fresh = ctx.add(&ctx.rw, Some("ACME"), "phonephonebook", json!({ "pp_name": "Sales" })).await;
        assert_ne!(fresh["pp_pb_id"], office);
        pb(ctx, &ctx.rw, "ACME", "getall", "Sales").get().await.is_plain("");
        let beta_pb = ctx.req().p("reqtype", "PHONEBOOKS").p("key", &ctx.admin).p("tenant", "BETA").fmt("json").get().await.json()[0]["pb_id"].as_str().unwrap().to_string();
        ctx.mdb(&ctx.rw, Some("ACME"), "phonephonebook", "add").json(&json!({ "pp_name": "X", "pp_pb_id": beta_pb.parse::<i32>().unwrap() })).post().await
            .is_error(&format!("field 'pp_pb_id': no phonebook with id {beta_pb} in tenant ACME"));
    }

    /// Bad `values`, unknown phonebooks, read-only keys and other tenants: errors naming the
    /// parameter, nothing written.
    async fn phonebook_refusals(ctx) {
        pb(ctx, &ctx.admin, "BETA", "add", "Office").p("values", json!({ "NAME": "Beta" }).to_string()).post().await;
        let beta_entry = ctx.req().p("reqtype", "PHONEBOOK").p("key", &ctx.admin).p("tenant", "BETA").p("subreqtype", "getall").p("phonebook", "Office").fmt("json").get().await.json()[0]["pe_id"].as_str().unwrap().to_string();
        pb(ctx, &ctx.rw, "ACME", "add", "Office").p("values", json!({ "NAME": "Ann" }).to_string()).post().await;
        let before = ctx.snapshot().await + &ctx.count("pd_phonebookdetails").await.to_string() + &ctx.count("pe_phonebookentries").await.to_string() + &ctx.count("pb_phonebooks").await.to_string();
        for (values, why) in [
            ("not json", "parameter 'values' is not valid JSON: expected ident at line 1 column 2"),
            ("[]", "parameter 'values' must be a JSON object or an array of 1 to 10000 objects"),
            ("\"x\"", "parameter 'values' must be a JSON object or an array of 1 to 10000 objects"),
            ("[{\"NAME\":\"a\"},3]", "parameter 'values' element 1: must be an object"),
            ("{\"SHOE\":\"x\"}", "parameter 'values' element 0: key 'SHOE' is not a phonebook item (use one of NAME, COMPANY, PHONE1, PHONE2, PHONE3, MOBILE, FAX, EMAIL, ADDRESS, NOTES)"),
            ("{\"NAME\":{\"a\":1}}", "parameter 'values' element 0: 'NAME' must be a string"),
            ("{\"NAME\":\"a\",\"name\":\"b\"}", "parameter 'values' element 0: 'name' is given twice"),
            ("{\"NAME\":\"\"}", "parameter 'values' element 0: has no values"),
        ] {
            pb(ctx, &ctx.rw, "ACME", "add", "New").p("values", values).post().await.is_error(why);
        }
        let long = "x".repeat(191);
        pb(ctx, &ctx.rw, "ACME", "add", "New").p("values", json!({ "NAME": long }).to_string()).post().await
            .is_error("parameter 'values' element 0: 'NAME' must be at most 190 characters without control characters");
        pb(ctx, &ctx.rw, "ACME", "add", "").p("values", "{}").post().await.is_error("parameter 'phonebook' is required");
        pb(ctx, &ctx.rw, "ACME", "frob", "Office").post().await
            .is_error("parameter 'subreqtype': 'frob' is not one of query, add, delete, cleanall, getall");
        for sub in ["getall", "cleanall"] {
            pb(ctx, &ctx.rw, "ACME", sub, "Nope").post().await.is_error("parameter 'phonebook': no phonebook 'Nope'");
        }
        pb(ctx, &ctx.rw, "ACME", "query", "Office").p("field", "NAME").post().await.is_error("parameter 'value' is required");
        pb(ctx, &ctx.rw, "ACME", "delete", "Office").p("peid", &beta_entry).post().await
            .is_error(&format!("parameter 'peid': no entry {beta_entry} in phonebook 'Office'"));
        pb(ctx, &ctx.rw, "ACME", "delete", "Office").p("peid", "x").post().await
            .is_error("parameter 'peid' must be an integer id");
        for (sub, extra) in [("add", ("values", "{\"NAME\":\"x\"}")), ("delete", ("peid", "1")), ("cleanall", ("x", "y"))] {
            pb(ctx, &ctx.ro, "ACME", sub, "Office").p(extra.0, extra.1).post().await
                .is_error(&format!("this key is read-only; PHONEBOOK {sub} needs a read/write key"));
            pb(ctx, &ctx.rw, "BETA", sub, "Office").p(extra.0, extra.1).post().await.is_too_bad();
        }
        ctx.req().p("reqtype", "PHONEBOOKS").p("key", &ctx.rw).p("tenant", "ACME").p("subreqtype", "drop").get().await
            .is_error("parameter 'subreqtype': 'drop' is not one of list");
        ctx.req().p("reqtype", "PHONEBOOK").p("key", &ctx.admin).p("subreqtype", "getall").p("phonebook", "Office").get().await
            .is_error("parameter 'tenant' is required for PHONEBOOK with an admin key");
        assert_eq!(ctx.snapshot().await + &ctx.count("pd_phonebookdetails").await.to_string() + &ctx.count("pe_phonebookentries").await.to_string() + &ctx.count("pb_phonebooks").await.to_string(), before);
    }
}

/// Files under `dir` (recursively); 0 when it does not exist.
fn files_under(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                files_under(&e.path())
            } else {
                1
            }
        })
        .sum()
}

fn vx<'c>(ctx: &'c Ctx, key: &str, tenant: &str, action: &str) -> Req<'c> {
    rq(ctx, "VIRTUALEXT", key, Some(tenant), action)
}

fn ug<'c>(ctx: &'c Ctx, key: &str, action: &str) -> Req<'c> {
    rq(ctx, "USERGROUP", key, None, action)
}

backend_tests! {
    /// Deleting a box removes its message files after the commit; a tenant deleted with
    /// `cascade=yes` takes its voicemail files along; other boxes and tenants keep theirs.
    async fn voicemail_files_follow_their_rows(ctx) {
        let spool = ctx.config.voicemail_dir();
        let b103 = ctx.add(&ctx.rw, Some("ACME"), "voicemail", json!({ "mailbox": "103" })).await;
        ctx.add(&ctx.rw, Some("ACME"), "voicemail", json!({ "mailbox": "104" })).await;
        ctx.add(&ctx.admin, Some("BETA"), "voicemail", json!({ "mailbox": "103" })).await;
        put_message(ctx, &ctx.rw, "ACME", "103", wav(1)).await;
        put_message(ctx, &ctx.rw, "ACME", "103", wav(2)).await;
        put_message(ctx, &ctx.rw, "ACME", "104", wav(3)).await;
        put_message(ctx, &ctx.admin, "BETA", "103", wav(4)).await;
        assert_eq!(files_under(&spool.join("ACME/103")), 2);
        assert_eq!(files_under(&spool.join("ACME/104")), 1);

        ctx.mdb(&ctx.rw, Some("ACME"), "voicemail", "delete").id(id_of(&b103, "uniqueid")).post().await;
        assert_eq!(files_under(&spool.join("ACME/103")), 0);
        assert_eq!(files_under(&spool.join("ACME/104")), 1);
        assert_eq!(files_under(&spool.join("BETA/103")), 1);
        assert_eq!(ctx.count("fg_filegarbage").await, 0);

        ctx.mdb(&ctx.admin, None, "tenant", "delete").id(ctx.a.id).p("cascade", "yes").post().await;
        assert_eq!(ctx.count_where("te_tenants", &format!("te_id = {}", ctx.a.id)).await, 0);
        assert_eq!(files_under(&spool.join("ACME")), 0);
        assert_eq!(files_under(&spool.join("BETA/103")), 1);
        assert_eq!(ctx.count("fg_filegarbage").await, 0);
        assert_eq!(ctx.count("voicemail_messages").await, 1);
    }

    /// VIRTUALEXT: real extensions join and leave virtual ones (with a PIN when one is set);
    /// list in every format; memberships go with either extension.
    async fn virtualext_lifecycle(ctx) {
        ctx.ext(&ctx.a, "200", json!({ "ex_tech": "VIRTUAL", "ex_name": "Team" })).await;
        let ext101 = ctx.ext(&ctx.a, "101", json!({ "ex_name": "Ann" })).await;
        ctx.ext(&ctx.a, "102", json!({ "ex_name": "Bo" })).await;
        ctx.ext(&ctx.b, "200", json!({ "ex_tech": "VIRTUAL" })).await;
        ctx.ext(&ctx.b, "101", json!({})).await;

        vx(ctx, &ctx.rw, "ACME", "join").p("number", "200").p("extension", "102").post().await.is_plain("OK");
        vx(ctx, &ctx.rw, "ACME", "join").p("number", "200").p("extension", "101").post().await.is_plain("OK");
        // Joining twice changes nothing.
        vx(ctx, &ctx.rw, "ACME", "join").p("number", "200").p("extension", "101").post().await.is_plain("OK");
        assert_eq!(ctx.count("vm_virtualmembers").await, 2);

        let listed = vx(ctx, &ctx.ro, "ACME", "list").fmt("json").get().await.json();
        let joined = listed[0]["vm_joined"].as_str().unwrap().to_string();
        assert_eq!(joined.len(), 19, "{listed}");
        let row = |n: &str, name: &str, j: &str| json!({ "virtual_number": "200", "virtual_name": "Team", "ex_number": n, "ex_name": name, "vm_joined": j });
        let rows = vec![row("101", "Ann", listed[0]["vm_joined"].as_str().unwrap()), row("102", "Bo", listed[1]["vm_joined"].as_str().unwrap())];
        for f in FORMATS {
            let r = vx(ctx, &ctx.ro, "ACME", "list").p("number", "200").in_format(f).get().await;
            assert_shape(&r, &Shape::Table(rows.clone(), "Virtual|Name|Extension|Extension name|Joined"), f);
        }

        // A PIN guards joining once it is set; it can be cleared.
        vx(ctx, &ctx.rw, "ACME", "setpin").p("number", "200").p("pin", "4321").post().await.is_plain("OK");
        vx(ctx, &ctx.rw, "ACME", "leave").p("number", "200").p("extension", "101").post().await.is_plain("OK");
        vx(ctx, &ctx.rw, "ACME", "join").p("number", "200").p("extension", "101").post().await
            .is_error("parameter 'pin': wrong PIN for virtual extension 200");
        vx(ctx, &ctx.rw, "ACME", "join").p("number", "200").p("extension", "101").p("pin", "1234").post().await
            .is_error("parameter 'pin': wrong PIN for virtual extension 200");
        vx(ctx, &ctx.rw, "ACME", "join").p("number", "200").p("extension", "101").p("pin", "4321").post().await.is_plain("OK");
        vx(ctx, &ctx.rw, "ACME", "setpin").p("number", "200").post().await.is_plain("OK");
        vx(ctx, &ctx.rw, "ACME", "leave").p("number", "200").p("extension", "101").post().await;
        vx(ctx, &ctx.rw, "ACME", "join").p("number", "200").p("extension", "101").post().await.is_plain("OK");

        // BETA's 200 is its own: ACME's members never show there, ACME's key never reaches it.
        vx(ctx, &ctx.admin, "BETA", "join").p("number", "200").p("extension", "101").post().await.is_plain("OK");
        assert_eq!(vx(ctx, &ctx.admin, "BETA", "list").fmt("json").get().await.json().as_array().unwrap().len(), 1);
        vx(ctx, &ctx.rw, "BETA", "list").get().await.is_too_bad();
        assert_eq!(vx(ctx, &ctx.ro, "ACME", "list").fmt("json").get().await.json().as_array().unwrap().len(), 2);

        // Deleting a member extension ends its memberships; leave ALL empties the virtual one.
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(id_of(&ext101, "ex_id")).post().await;
        assert_eq!(ctx.count_where("vm_virtualmembers", &format!("vm_te_id = {}", ctx.a.id)).await, 1);
        vx(ctx, &ctx.rw, "ACME", "leave").p("number", "200").p("extension", "all").post().await.is_plain("OK");
        assert_eq!(ctx.count_where("vm_virtualmembers", &format!("vm_te_id = {}", ctx.a.id)).await, 0);
        assert_eq!(ctx.count_where("vm_virtualmembers", &format!("vm_te_id = {}", ctx.b.id)).await, 1);
    }

    /// Bad input names the parameter and changes nothing; read-only keys change nothing.
    async fn virtualext_refusals(ctx) {
        ctx.ext(&ctx.a, "200", json!({ "ex_tech": "VIRTUAL" })).await;
        ctx.ext(&ctx.a, "201", json!({ "ex_tech": "VIRTUAL" })).await;
        ctx.ext(&ctx.a, "101", json!({})).await;
        ctx.ext(&ctx.b, "102", json!({})).await;
        let before = ctx.snapshot().await;
        let join = |key: &str| vx(ctx, key, "ACME", "join").p("number", "200").p("extension", "101");
        join(&ctx.ro).post().await.is_error("this key is read-only; VIRTUALEXT join needs a read/write key");
        vx(ctx, &ctx.ro, "ACME", "setpin").p("number", "200").p("pin", "1234").post().await
            .is_error("this key is read-only; VIRTUALEXT setpin needs a read/write key");
        join(&ctx.rw).p("number", "101").post().await
            .is_error("parameter 'number': extension 101 is PJSIP, not VIRTUAL");
        join(&ctx.rw).p("extension", "201").post().await
            .is_error("parameter 'extension': extension 201 is VIRTUAL; only real extensions join");
        join(&ctx.rw).p("extension", "102").post().await
            .is_error("parameter 'extension': no extension 102 in tenant ACME");
        join(&ctx.rw).p("number", "999").post().await
            .is_error("parameter 'number': no extension 999 in tenant ACME");
        join(&ctx.rw).without("extension").post().await.is_error("parameter 'extension' is required");
        join(&ctx.rw).p("number", "2x").post().await
            .is_error("parameter 'number' must be an extension number (digits only)");
        vx(ctx, &ctx.rw, "ACME", "leave").p("number", "200").p("extension", "101").post().await
            .is_error("parameter 'extension': extension 101 has not joined virtual extension 200");
        for bad in ["123", "12345678901234", "12a4"] {
            vx(ctx, &ctx.rw, "ACME", "setpin").p("number", "200").p("pin", bad).post().await
                .is_error("parameter 'pin' must be 4 to 12 digits");
        }
        vx(ctx, &ctx.rw, "ACME", "frob").post().await
            .is_error("parameter 'action': 'frob' is not one of list, join, leave, setpin");
        rq(ctx, "VIRTUALEXT", &ctx.admin, None, "list").get().await
            .is_error("parameter 'tenant' is required for VIRTUALEXT with an admin key");
        assert_eq!(ctx.snapshot().await, before);
    }

    /// USERGROUP: groups of web users, admin keys only.
    async fn usergroup_lifecycle(ctx) {
        let added = ug(ctx, &ctx.admin, "add").p("name", "Support").fmt("json").post().await.json();
        assert_eq!(added["up_name"], "Support");
        let gid = id_of(&added, "up_id");
        ctx.add(&ctx.admin, None, "user", json!({ "us_username": "ann", "us_password": "s3cret-pass" })).await;
        ctx.add(&ctx.admin, None, "user", json!({ "us_username": "bob", "us_password": "s3cret-pass" })).await;

        let set = ug(ctx, &ctx.admin, "set").p("user", "ann").p("group", "support").fmt("json").post().await.json();
        assert_eq!((set["us_username"].as_str(), set["up_name"].as_str()), (Some("ann"), Some("Support")));
        ug(ctx, &ctx.admin, "set").p("user", "bob").p("group", gid.to_string()).post().await;
        let members = ug(ctx, &ctx.admin, "members").p("group", "Support").fmt("json").get().await.json();
        let names: Vec<&str> = members.as_array().unwrap().iter().map(|m| m["us_username"].as_str().unwrap()).collect();
        assert_eq!(names, ["ann", "bob"]);
        for f in FORMATS {
            let r = ug(ctx, &ctx.admin, "list").in_format(f).get().await;
            let rows = vec![json!({ "up_id": gid.to_string(), "up_name": "Support", "users": "2" })];
            assert_shape(&r, &Shape::Table(rows, "up_id|up_name|users"), f);
        }
        ug(ctx, &ctx.admin, "delete").p("group", "Support").post().await
            .is_error("group 'Support' still has 2 user(s); move them to another group first");
        // An empty group takes a user out.
        let out = ug(ctx, &ctx.admin, "set").p("user", "ann").p("group", "").fmt("json").post().await.json();
        assert_eq!(out["up_id"], Value::Null);
        ug(ctx, &ctx.admin, "set").p("user", "bob").post().await;
        assert_eq!(ug(ctx, &ctx.admin, "get").p("user", "bob").fmt("json").get().await.json()["up_name"], Value::Null);
        ug(ctx, &ctx.admin, "delete").p("group", gid.to_string()).post().await.is_plain("OK");
        assert_eq!(ctx.count("up_userprofiles").await, 0);
    }

    /// Tenant keys and read-only admin keys are refused; bad names and unknown users or groups
    /// are errors naming the parameter; nothing changes.
    async fn usergroup_refusals(ctx) {
        ug(ctx, &ctx.admin, "add").p("name", "Support").post().await;
        ctx.add(&ctx.admin, None, "user", json!({ "us_username": "ann", "us_password": "s3cret-pass" })).await;
        let (_, ro_admin) = ctx.mint(KeySpec { admin: true, read_only: true, ..Default::default() }).await;
        let before = ctx.snapshot().await;
        ug(ctx, &ctx.rw, "list").get().await.is_too_bad();
        rq(ctx, "USERGROUP", &ctx.rw, Some("ACME"), "add").p("name", "x").post().await.is_too_bad();
        ug(ctx, &ro_admin, "set").p("user", "ann").p("group", "Support").post().await
            .is_error("this key is read-only; USERGROUP set needs a read/write key");
        ug(ctx, &ctx.admin, "add").p("name", "SUPPORT").post().await
            .is_error("parameter 'name': group 'SUPPORT' already exists");
        for bad in ["123", "a\u{7}b", &"x".repeat(81)] {
            ug(ctx, &ctx.admin, "add").p("name", bad).post().await
                .is_error("parameter 'name' must be 1 to 80 characters without control characters, not only digits");
        }
        ug(ctx, &ctx.admin, "set").p("user", "zed").p("group", "Support").post().await
            .is_error("parameter 'user': no user 'zed'");
        ug(ctx, &ctx.admin, "set").p("user", "ann").p("group", "Nope").post().await
            .is_error("parameter 'group': no group 'Nope'");
        ug(ctx, &ctx.admin, "members").get().await.is_error("parameter 'group' is required");
        ug(ctx, &ctx.admin, "frob").get().await
            .is_error("parameter 'action': 'frob' is not one of list, add, delete, members, get, set");
        assert_eq!(ctx.snapshot().await, before);
        // The read-only admin may still read.
        ug(ctx, &ro_admin, "list").fmt("json").get().await.json().as_array().map(|a| assert_eq!(a.len(), 1)).unwrap();
    }
}
