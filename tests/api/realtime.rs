//! Issue #12 points 1 and 2: the realtime settings of a device round-trip through MANAGEDB into
//! the row Asterisk reads; the Switchboard-only columns are refused naming them; widths are
//! field errors, never internal errors; providers are trunks whose rows follow every write and
//! whose changes reach the nodes through the outbox (against the AMI test server).

use crate::ami_server::AmiServer;
use crate::cluster_harness::*;
use crate::common::*;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::ConnectionTrait;
use serde_json::{json, Map, Value};
use switchboard::objects::realtime::{Opt, Who, DEVICE};
use switchboard::objects::Kind;

/// A valid value for a setting other than Switchboard's default (table-driven by kind; the
/// text settings with a format get one of that format).
fn sample(o: &Opt) -> String {
    match o.field.kind {
        Kind::Choice(options) => options[options.len() - 1].to_string(),
        Kind::OptInt => "5".into(),
        _ => match o.field.name {
            "allow" => "g722,opus".into(),
            "disallow" => "all".into(),
            "dtls_rekey" => "3600".into(),
            n if n.starts_with("dtls_c") || n == "dtls_private_key" => {
                if n == "dtls_cipher" {
                    "AES128-SHA".into()
                } else {
                    format!("/etc/asterisk/keys/{n}")
                }
            }
            "call_group" | "pickup_group" => "1,3-5".into(),
            "permit" | "deny" | "contact_permit" | "contact_deny" => "192.0.2.0/24".into(),
            "outbound_proxy" => "sip:proxy.example.com;lr".into(),
            "media_address" | "external_media_address" => "192.0.2.1".into(),
            _ => "de".into(),
        },
    }
}

/// The text of one column of a realtime row (None: no row or NULL).
async fn realtime_cell(ctx: &Ctx, table: &str, id: &str, column: &str) -> Option<String> {
    let mut q = Query::select();
    q.column(column.to_string())
        .from(table.to_string())
        .and_where(Expr::col("id").eq(id));
    let row = ctx.db.conn.query_one(&q).await.unwrap()?;
    if let Ok(v) = row.try_get_by_index::<Option<String>>(0) {
        return v;
    }
    row.try_get_by_index::<Option<i32>>(0)
        .unwrap()
        .map(|i| i.to_string())
}

async fn get_ext(ctx: &Ctx, key: &str, tenant: Option<&str>, id: i32) -> Value {
    ctx.mdb(key, tenant, "extension", "get")
        .id(id)
        .fmt("json")
        .get()
        .await
        .json()
}

fn text_of(v: &Value, name: &str) -> String {
    match &v[name] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn of(who: Who) -> impl Iterator<Item = &'static Opt> {
    DEVICE.iter().filter(move |o| o.who == who)
}

fn settings(opts: impl Iterator<Item = &'static Opt>) -> Map<String, Value> {
    opts.map(|o| (o.field.name.to_string(), Value::String(sample(o))))
        .collect()
}

backend_tests! {
    async fn every_device_setting_round_trips_into_its_realtime_row(ctx) {
        let ext = ctx.ext(&ctx.a, "100", json!({})).await;
        let id = id_of(&ext, "ex_id");
        // The tenant's own key sets the tenant's settings, the admin key the provider's.
        let tenant = settings(of(Who::Tenant));
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id).json(&Value::Object(tenant)).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        let admin = settings(of(Who::Admin));
        let r = ctx.mdb(&ctx.admin, Some("ACME"), "extension", "update").id(id).json(&Value::Object(admin)).post().await;
        assert!(!r.is_any_error(), "{}", r.text());

        let got = get_ext(ctx, &ctx.rw, Some("ACME"), id).await;
        for o in DEVICE.iter().filter(|o| o.who != Who::Switchboard) {
            let want = sample(o);
            assert_eq!(text_of(&got, o.field.name), want, "MANAGEDB get: {}", o.field.name);
            let cell = realtime_cell(ctx, o.table, "100-ACME", o.field.name).await;
            assert_eq!(cell.as_deref(), Some(want.as_str()), "{}.{}", o.table, o.field.name);
        }
        // Switchboard's own columns: the tenant, its context, the device's name.
        assert_eq!(realtime_cell(ctx, "ps_endpoints", "100-ACME", "tenantid").await.as_deref(), Some("ACME"));
        assert_eq!(realtime_cell(ctx, "ps_endpoints", "100-ACME", "context").await.as_deref(), Some("from-internal-ACME"));
        assert_eq!(realtime_cell(ctx, "ps_endpoints", "100-ACME", "aors").await.as_deref(), Some("100-ACME"));

        // An unrelated update and a renumbering keep the settings; null clears one back to
        // Switchboard's default.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id).json(&json!({"ex_name": "Renamed", "ex_number": "101"})).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        assert_eq!(realtime_cell(ctx, "ps_endpoints", "100-ACME", "webrtc").await, None);
        assert_eq!(realtime_cell(ctx, "ps_endpoints", "101-ACME", "webrtc").await.as_deref(), Some("no"));
        assert_eq!(realtime_cell(ctx, "ps_aors", "101-ACME", "max_contacts").await.as_deref(), Some("5"));
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id).json(&json!({"max_contacts": null, "dtmf_mode": ""})).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        assert_eq!(realtime_cell(ctx, "ps_aors", "101-ACME", "max_contacts").await.as_deref(), Some("1"));
        assert_eq!(realtime_cell(ctx, "ps_endpoints", "101-ACME", "dtmf_mode").await.as_deref(), Some("rfc4733"));
        assert_eq!(text_of(&get_ext(ctx, &ctx.rw, Some("ACME"), id).await, "max_contacts"), "1");

        // Set on add too, and answered by the add.
        let added = ctx.ext(&ctx.a, "102", json!({"webrtc": "yes", "language": "it"})).await;
        assert_eq!(text_of(&added, "webrtc"), "yes");
        assert_eq!(realtime_cell(ctx, "ps_endpoints", "102-ACME", "language").await.as_deref(), Some("it"));

        // Values Asterisk would not take are field errors naming the setting.
        for (name, bad) in [("dtmf_mode", "rfc2833x"), ("webrtc", "maybe"), ("max_contacts", "-1"), ("call_group", "64"), ("dtls_cert_file", "../etc/passwd"), ("language", "a b"), ("tos_audio", "x".repeat(11).as_str())] {
            let r = ctx.mdb(&ctx.admin, Some("ACME"), "extension", "update").id(id).json(&json!({ name: bad })).post().await;
            assert!(r.text().contains(&format!("'{name}'")), "{name}={bad}: {}", r.text());
        }
        // A SIP extension has no PJSIP settings.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "add").json(&json!({"ex_number": "200", "secret": "abcdef123", "rtp_symmetric": "yes"})).post().await;
        r.is_error("field 'rtp_symmetric' applies to PJSIP extensions only (this one is SIP)");
    }

    async fn a_tenant_key_is_refused_every_switchboard_and_provider_setting(ctx) {
        let ext = ctx.ext(&ctx.a, "100", json!({})).await;
        let id = id_of(&ext, "ex_id");
        let before = ctx.snapshot().await;
        for o in DEVICE.iter().filter(|o| o.who != Who::Tenant) {
            let name = o.field.name;
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id).json(&json!({ name: sample(o), "ex_name": "changed" })).post().await;
            assert!(r.is_any_error() && r.text().contains(&format!("field '{name}'")), "{name}: {}", r.text());
            let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "add").json(&json!({"ex_number": "300", name: sample(o)})).post().await;
            assert!(r.is_any_error() && r.text().contains(&format!("field '{name}'")), "add {name}: {}", r.text());
        }
        // Not even an admin sets the Switchboard ones.
        for o in of(Who::Switchboard) {
            let name = o.field.name;
            let r = ctx.mdb(&ctx.admin, Some("ACME"), "extension", "update").id(id).json(&json!({ name: "x" })).post().await;
            r.is_error(&format!("field '{name}' of extension is set by Switchboard only (it decides routing, identity or trust)"));
        }
        for name in ["context", "tenantid", "set_var", "trust_id_inbound", "subscribe_context", "identify_by", "aors", "auth", "outbound_auth"] {
            assert!(of(Who::Switchboard).any(|o| o.field.name == name), "{name} must be Switchboard's");
        }
        assert_eq!(ctx.snapshot().await, before, "a refused write changed something");
        // BETA's key cannot reach ACME's device settings at all.
        let beta = ctx.mint(KeySpec { tenant_id: Some(ctx.b.id), ..Default::default() }).await.1;
        let r = ctx.mdb(&beta, Some("BETA"), "extension", "update").id(id).json(&json!({"webrtc": "yes"})).post().await;
        assert!(r.is_any_error(), "{}", r.text());
        assert_eq!(ctx.snapshot().await, before);
    }

    async fn long_names_fit_or_are_field_errors(ctx) {
        // The longest device name (20 digits, a 20-character tenant code) is 41 characters:
        // it fits every realtime id.
        let code = "ABCDEFGHIJKLMNOPQRST";
        let r = ctx.mdb(&ctx.admin, None, "tenant", "add").json(&json!({"te_code": code, "te_name": "Long"})).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        let number = "12345678901234567890";
        let r = ctx.mdb(&ctx.admin, Some(code), "extension", "add").json(&json!({"ex_number": number, "password": "abcdef123"})).fmt("json").post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        let name = format!("{number}-{code}");
        assert_eq!(name.len(), 41);
        for (table, col) in [("ps_endpoints", "aors"), ("ps_auths", "username"), ("ps_aors", "id")] {
            assert_eq!(realtime_cell(ctx, table, &name, col).await.as_deref(), Some(name.as_str()), "{table}.{col}");
        }
        let before = ctx.snapshot().await;
        let long = "u".repeat(41);
        let r = ctx.mdb(&ctx.admin, None, "provider", "add").json(&json!({"pr_peername": "carrier1", "pr_username": long})).post().await;
        r.is_error("field 'pr_username' is longer than 40 characters");
        let r = ctx.mdb(&ctx.admin, Some("ACME"), "extension", "add").json(&json!({"ex_number": "100", "ex_username": "u".repeat(81)})).post().await;
        r.is_error("field 'ex_username' is longer than 80 characters");
        let r = ctx.mdb(&ctx.admin, Some("ACME"), "extension", "add").json(&json!({"ex_number": "100", "from_user": "u".repeat(41)})).post().await;
        r.is_error("field 'from_user' is longer than 40 characters");
        assert_eq!(ctx.snapshot().await, before);
    }

    async fn providers_are_trunks_kept_in_step_and_told_to_the_nodes(ctx) {
        let server = AmiServer::start().await;
        let sb = Sb::with_node(ctx, &server).await;
        let reloads = || server.received_named("Reload").iter().filter(|r| r.get("Module") == Some("res_pjsip_outbound_registration.so")).count();
        let expired = |peer: &str| server.received_named("SorceryMemoryCacheExpireObject").iter().filter(|r| r.get("Object") == Some(peer)).count();
        let cell = |table: &'static str, id: &'static str, col: &'static str| realtime_cell(ctx, table, id, col);

        // A registering trunk.
        let r = ctx.mdb(&ctx.admin, None, "provider", "add").json(&json!({"pr_peername": "reg1", "host": "sip.carrier.example", "pr_port": "5060", "pr_username": "acct1", "pr_register": "on"})).post().await;
        r.is_error("field 'pr_register' needs a 'password' for the registration");
        let reg = ctx.add(&ctx.admin, None, "provider", json!({"pr_peername": "reg1", "host": "sip.carrier.example", "pr_port": "5060", "pr_username": "acct1", "password": "s3cret-pass", "pr_register": "on", "pr_fromdomain": "carrier.example", "media_encryption": "sdes"})).await;
        assert_eq!(text_of(&reg, "media_encryption"), "sdes");
        assert!(reg.get("password").is_none(), "the password is never answered: {reg}");
        assert_eq!(cell("ps_endpoints", "reg1", "context").await.as_deref(), Some("fromoutside"));
        assert_eq!(cell("ps_endpoints", "reg1", "outbound_auth").await.as_deref(), Some("reg1"));
        assert_eq!(cell("ps_endpoints", "reg1", "from_domain").await.as_deref(), Some("carrier.example"));
        assert_eq!(cell("ps_endpoints", "reg1", "media_encryption").await.as_deref(), Some("sdes"));
        assert_eq!(cell("ps_endpoints", "reg1", "auth").await, None, "calls from the provider are not challenged");
        assert_eq!(cell("ps_auths", "reg1", "username").await.as_deref(), Some("acct1"));
        assert_eq!(cell("ps_auths", "reg1", "password").await.as_deref(), Some("s3cret-pass"));
        assert_eq!(cell("ps_aors", "reg1", "contact").await.as_deref(), Some("sip:sip.carrier.example:5060"));
        assert_eq!(cell("ps_endpoint_id_ips", "reg1", "match").await.as_deref(), Some("sip.carrier.example"));
        assert_eq!(cell("ps_registrations", "reg1", "server_uri").await.as_deref(), Some("sip:sip.carrier.example:5060"));
        assert_eq!(cell("ps_registrations", "reg1", "client_uri").await.as_deref(), Some("sip:acct1@carrier.example"));
        assert_eq!(cell("ps_registrations", "reg1", "outbound_auth").await.as_deref(), Some("reg1"));
        wait_for("registrations reloaded", || reloads() == 1).await;
        wait_for("reg1 expired from the three caches", || expired("reg1") == 3).await;

        // An IP-authenticated trunk: identified by its addresses, no auth, no registration.
        let ip = ctx.add(&ctx.admin, None, "provider", json!({"pr_peername": "ip1", "host": "192.0.2.10", "pr_match": "192.0.2.10,198.51.100.0/24"})).await;
        let ip_id = id_of(&ip, "pr_id");
        assert_eq!(cell("ps_endpoint_id_ips", "ip1", "match").await.as_deref(), Some("192.0.2.10,198.51.100.0/24"));
        assert_eq!(cell("ps_endpoint_id_ips", "ip1", "endpoint").await.as_deref(), Some("ip1"));
        assert_eq!(cell("ps_endpoints", "ip1", "identify_by").await.as_deref(), Some("ip"));
        assert_eq!(cell("ps_endpoints", "ip1", "outbound_auth").await, None);
        assert_eq!(ctx.count_where("ps_auths", "id = 'ip1'").await, 0);
        assert_eq!(ctx.count_where("ps_registrations", "id = 'ip1'").await, 0);
        wait_for("ip1 expired", || expired("ip1") == 3).await;
        assert_eq!(reloads(), 1, "a trunk that does not register reloads no registrations");

        // Renamed and re-addressed: the old rows go, the new ones follow; both names expire.
        let r = ctx.mdb(&ctx.admin, None, "provider", "update").id(ip_id).json(&json!({"pr_peername": "ip2", "pr_match": "203.0.113.5"})).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        for table in ["ps_endpoints", "ps_aors", "ps_endpoint_id_ips"] {
            assert_eq!(ctx.count_where(table, "id = 'ip1'").await, 0, "{table}");
            assert_eq!(ctx.count_where(table, "id = 'ip2'").await, 1, "{table}");
        }
        assert_eq!(cell("ps_endpoint_id_ips", "ip2", "match").await.as_deref(), Some("203.0.113.5"));
        wait_for("ip1 and ip2 expired", || expired("ip1") == 6 && expired("ip2") == 3).await;

        // The registering trunk stops registering: its registration goes, the password stays.
        let reg_id = id_of(&reg, "pr_id");
        let r = ctx.mdb(&ctx.admin, None, "provider", "update").id(reg_id).json(&json!({"pr_register": ""})).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        assert_eq!(ctx.count_where("ps_registrations", "1=1").await, 0);
        assert_eq!(cell("ps_auths", "reg1", "password").await.as_deref(), Some("s3cret-pass"));
        assert_eq!(cell("ps_endpoints", "reg1", "media_encryption").await.as_deref(), Some("sdes"), "settings kept");
        wait_for("registrations reloaded again", || reloads() == 2).await;
        let r = ctx.mdb(&ctx.admin, None, "provider", "update").id(reg_id).json(&json!({"pr_register": "on"})).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        assert_eq!(ctx.count_where("ps_registrations", "id = 'reg1'").await, 1);
        wait_for("registrations reloaded a third time", || reloads() == 3).await;

        // Deleted: nothing of either trunk is left.
        for id in [reg_id, ip_id] {
            let r = ctx.mdb(&ctx.admin, None, "provider", "delete").id(id).post().await;
            assert!(!r.is_any_error(), "{}", r.text());
        }
        for table in ["ps_endpoints", "ps_auths", "ps_aors", "ps_endpoint_id_ips", "ps_registrations"] {
            assert_eq!(ctx.count(table).await, 0, "{table}");
        }
        wait_for("the deletes reached the node", || reloads() == 4 && expired("reg1") == 12 && expired("ip2") == 6).await;
        sb.stop().await;
    }
}
