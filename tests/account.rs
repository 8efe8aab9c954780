//! Account-level reqtypes: SETTING, BALANCE, LICENSEDAYS, CHECKAUTH / GETWEBRTCAUTH, AUTHTOKEN,
//! VOICEMAIL and PHONEBOOK(S), and the voicemail / phonephonebook objects. Every test runs on
//! SQLite, PostgreSQL and MariaDB.

mod common;

use common::render::{assert_shape, Shape, FORMATS};
use common::*;
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
            .is_error_starting("parameter 'code': unknown setting 'NO_SUCH' (known: AUTHTOKEN_MAX_DAYS, ");
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
