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
