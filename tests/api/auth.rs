//! Keys and tenants (spec §2): what each key kind may read, the exact auth failure for every
//! bad key / tenant combination, `Wrong or missing tenant`, revocation within
//! `keys::REFRESH`, expiry, `--allow-ip`, disabled tenants, hashing at rest, the guesser
//! throttle.

use crate::common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use switchboard::auth::keys::REFRESH;
use switchboard::cli::{run_key, KeyCmd};

fn numbers(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|r| r["ex_number"].as_str().unwrap().to_string())
        .collect()
}

/// Poll `probe` every 100 ms until it returns true; panics after `limit`. Returns the time it took.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if probe().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{what}: still not true after {limit:?}"
        );
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
}

backend_tests! {
    /// Admin: every tenant, one tenant, `%`; tenant keys: their own tenant (code in any case);
    /// a read-only key reads but sees device secrets masked.
    async fn every_key_kind_reads_its_scope(ctx) {
        ctx.ext(&ctx.a, "100", json!({ "password": "pw-acme-100" })).await;
        ctx.ext(&ctx.b, "200", json!({ "password": "pw-beta-200" })).await;
        let exts = |key: String, tenant: Option<&'static str>| async move {
            ctx.info(&key, tenant, "extensions").fmt("json").get().await.json()
        };
        assert_eq!(numbers(&exts(ctx.admin.clone(), None).await), ["100", "200"]);
        assert_eq!(numbers(&exts(ctx.admin.clone(), Some("%")).await), ["100", "200"]);
        assert_eq!(numbers(&exts(ctx.admin.clone(), Some("ACME")).await), ["100"]);
        assert_eq!(numbers(&exts(ctx.admin.clone(), Some("beta")).await), ["200"]);

        let rw = exts(ctx.rw.clone(), Some("ACME")).await;
        assert_eq!(numbers(&rw), ["100"]);
        assert_eq!(rw[0]["password"], "pw-acme-100");
        assert_eq!(exts(ctx.rw.clone(), Some("acme")).await, rw);

        let ro = exts(ctx.ro.clone(), Some("ACME")).await;
        assert_eq!(numbers(&ro), ["100"]);
        assert_eq!(ro[0]["password"], "********");

        for key in [&ctx.rw, &ctx.ro] {
            let list = ctx.list(key, Some("ACME"), "extension").await;
            assert_eq!(list.as_object().unwrap().len(), 1, "{list}");
        }
        let r = ctx.info(&ctx.ro, Some("ACME"), "dids").get().await;
        r.is_plain("");
    }

    /// Missing, empty, unknown, altered, over-long keys, and tenant keys with a missing,
    /// empty, other, unknown or `%` tenant: the exact 46-byte failure (or its json form).
    async fn bad_keys_and_tenants_get_the_exact_auth_failure(ctx) {
        // Use the good keys once first: the guesser throttle below only slows uncached keys.
        for key in [&ctx.rw, &ctx.ro] {
            ctx.info(key, Some("ACME"), "dids").get().await.is_plain("");
        }
        let mut upper = ctx.rw.to_uppercase();
        upper.replace_range(..4, "sbk_");
        let cases: Vec<(Option<String>, Option<&str>)> = vec![
            (None, Some("ACME")),
            (Some(String::new()), Some("ACME")),
            (Some("sbk_000000000000000000000000000000000000000000000000".into()), Some("ACME")),
            (Some(format!("{}0", ctx.rw)), Some("ACME")),
            (Some(ctx.rw[..ctx.rw.len() - 1].to_string()), Some("ACME")),
            (Some(upper), Some("ACME")),
            (Some("k".repeat(300)), Some("ACME")),
            (Some(ctx.rw.clone()), None),
            (Some(ctx.rw.clone()), Some("")),
            (Some(ctx.rw.clone()), Some("BETA")),
            (Some(ctx.rw.clone()), Some("NOPE")),
            (Some(ctx.rw.clone()), Some("%")),
            (Some(ctx.ro.clone()), None),
            (Some(ctx.ro.clone()), Some("BETA")),
        ];
        for (key, tenant) in &cases {
            let base = |reqtype: &str| {
                let mut r = ctx.req().p("reqtype", reqtype);
                if let Some(k) = key {
                    r = r.p("key", k);
                }
                if let Some(t) = tenant {
                    r = r.p("tenant", t);
                }
                r
            };
            let info = base("INFO").p("info", "extensions");
            let mdb = base("MANAGEDB").p("object", "extension").p("action", "list");
            // Reqtypes not served yet still authenticate first.
            let dial = base("DIAL").p("source", "100").p("dest", "200");
            for req in [info, mdb, dial] {
                req.clone().get().await.is_too_bad();
                req.fmt("json").post().await.is_too_bad();
            }
        }
        // The keys themselves still work.
        let r = ctx.info(&ctx.rw, Some("ACME"), "extensions").fmt("json").get().await;
        assert_eq!(r.text(), "[]");
    }

    /// An admin key naming a tenant that does not exist: the upstream literal.
    async fn admin_key_with_unknown_tenant(ctx) {
        let r = ctx.info(&ctx.admin, Some("NOPE"), "extensions").get().await;
        r.is_plain("Wrong or missing tenant\n");
        let r = ctx.mdb(&ctx.admin, Some("NOPE"), "did", "list").fmt("json").get().await;
        r.is_json_error("Wrong or missing tenant");
        let r = ctx.mdb(&ctx.admin, Some("NOPE"), "did", "add")
            .json(&json!({ "di_number": "123" }))
            .post()
            .await;
        r.is_plain("Wrong or missing tenant\n");
        assert_eq!(ctx.count("di_dids").await, 0);
    }

    /// Tenant keys (read/write and read-only) asking for admin-only data or objects.
    async fn tenant_keys_cannot_reach_admin_data(ctx) {
        for key in [&ctx.rw, &ctx.ro] {
            ctx.info(key, Some("ACME"), "tenants").get().await.is_too_bad();
            ctx.info(key, Some("ACME"), "version").get().await.is_too_bad();
            for object in ["tenant", "tenants", "user", "users"] {
                for action in ["list", "get", "add", "update", "delete"] {
                    ctx.mdb(key, Some("ACME"), object, action)
                        .id(ctx.a.id)
                        .json(&json!({ "te_name": "x" }))
                        .post()
                        .await
                        .is_too_bad();
                }
            }
            for action in ["listtenants", "addtenant", "deltenant"] {
                ctx.mdb(key, Some("ACME"), "user", action)
                    .id(1)
                    .p("tenantid", ctx.a.id.to_string())
                    .get()
                    .await
                    .is_too_bad();
            }
        }
    }

    /// `switchboard key revoke`: a key in use stops working within `keys::REFRESH`.
    async fn revoked_key_is_refused_within_refresh(ctx) {
        let (id, key) = ctx.mint(KeySpec { tenant_id: Some(ctx.a.id), ..Default::default() }).await;
        let other = ctx.extra_server(false).await;
        for base in [&ctx.base, &other] {
            let r = ctx.info(&key, Some("ACME"), "dids").fmt("json").on(base).get().await;
            assert_eq!(r.text(), "[]");
        }
        run_key(&ctx.db, KeyCmd::Revoke { id }).await.unwrap();
        let revoked = Instant::now();
        // Every server sharing the database stops accepting it (each within REFRESH of its own
        // last check), and keeps refusing it.
        for base in [&ctx.base, &other] {
            eventually(REFRESH + Duration::from_secs(2), "revoked key refused", || async {
                let r = ctx.info(&key, Some("ACME"), "dids").fmt("json").on(base).get().await;
                if r.text() == "[]" {
                    return false;
                }
                r.is_too_bad();
                true
            })
            .await;
        }
        let took = revoked.elapsed();
        assert!(took <= REFRESH + Duration::from_secs(1), "took {took:?}");
        for base in [&ctx.base, &other, &ctx.base, &other] {
            ctx.info(&key, Some("ACME"), "dids").on(base).get().await.is_too_bad();
        }
        // The other keys are unaffected.
        ctx.info(&ctx.rw, Some("ACME"), "dids").get().await.is_plain("");
    }

    /// Expired keys are refused; a key that expires while cached stops at its expiry.
    async fn expired_key_is_refused(ctx) {
        let now = chrono::Utc::now().naive_utc();
        let (_, past) = ctx
            .mint(KeySpec { admin: true, expires: Some(now - chrono::Duration::minutes(1)), ..Default::default() })
            .await;
        ctx.info(&past, None, "tenants").get().await.is_too_bad();

        // Whole seconds: MySQL DATETIME keeps no fractions. Counted from after the first mint
        // and with room for the second one (argon2 is slow on a loaded machine).
        let soon = (chrono::Utc::now().naive_utc() + chrono::Duration::seconds(5))
            .with_nanosecond(0)
            .unwrap();
        let (_, key) = ctx.mint(KeySpec { admin: true, expires: Some(soon), ..Default::default() }).await;
        let r = ctx.info(&key, None, "version").get().await;
        assert!(r.text().starts_with("Switchboard "), "{}", r.text());
        eventually(Duration::from_secs(8), "expired key refused", || async {
            let r = ctx.info(&key, None, "version").get().await;
            r.text() == TOO_BAD
        })
        .await;
        assert!(chrono::Utc::now().naive_utc() >= soon);
        ctx.info(&key, None, "version").get().await.is_too_bad();
    }

    /// `--allow-ip`: only listed addresses; `X-Forwarded-For` counts only when trusted.
    async fn allow_ip_is_enforced(ctx) {
        let net = |s: &str| switchboard::auth::keys::parse_allow_list(s).unwrap();
        let spec = |allow: &str| KeySpec { tenant_id: Some(ctx.a.id), allow: net(allow), ..Default::default() };
        let (_, elsewhere) = ctx.mint(spec("10.9.8.0/24")).await;
        let (_, v6_only) = ctx.mint(spec("::1")).await;
        let (_, local) = ctx.mint(spec("127.0.0.1")).await;
        let (_, listed) = ctx.mint(spec("192.0.2.1, 127.0.0.0/8")).await;

        let dids = |key: &str| ctx.info(key, Some("ACME"), "dids").fmt("json");
        for key in [&elsewhere, &v6_only] {
            dids(key).get().await.is_too_bad();
            // Not behind a trusted proxy: the header is ignored.
            dids(key).header("X-Forwarded-For", "10.9.8.7").get().await.is_too_bad();
        }
        for key in [&local, &listed] {
            assert_eq!(dids(key).get().await.text(), "[]");
            assert_eq!(dids(key).header("X-Forwarded-For", "10.9.8.7").get().await.text(), "[]");
        }
        // Behind a trusted (loopback) proxy the right-most untrusted forwarded address is the client.
        let proxied = ctx.extra_server(true).await;
        assert_eq!(
            dids(&elsewhere).on(&proxied).header("X-Forwarded-For", "10.9.8.7, 127.0.0.1").get().await.text(),
            "[]"
        );
        dids(&local).on(&proxied).header("X-Forwarded-For", "10.9.8.7").get().await.is_too_bad();
    }

    /// A disabled tenant's keys stop working within `keys::REFRESH`, and work again once it
    /// is enabled; the admin keeps access.
    async fn disabled_tenant_keys_stop_working(ctx) {
        ctx.info(&ctx.rw, Some("ACME"), "dids").get().await.is_plain("");
        let set = |flag: &'static str| async move {
            ctx.mdb(&ctx.admin, None, "tenant", "update")
                .id(ctx.a.id)
                .json(&json!({ "te_disabled": flag }))
                .post()
                .await
        };
        set("on").await.is_plain(&format!("update te_tenants set te_disabled='on' where te_id='{}'", ctx.a.id));
        eventually(REFRESH + Duration::from_secs(2), "disabled tenant's key refused", || async {
            ctx.info(&ctx.rw, Some("ACME"), "dids").get().await.text() == TOO_BAD
        })
        .await;
        // A key of the disabled tenant used for the first time.
        ctx.info(&ctx.ro, Some("ACME"), "dids").get().await.is_too_bad();
        ctx.info(&ctx.admin, Some("ACME"), "dids").get().await.is_plain("");
        set("").await;
        ctx.info(&ctx.rw, Some("ACME"), "dids").get().await.is_plain("");
        ctx.info(&ctx.ro, Some("ACME"), "dids").get().await.is_plain("");
    }

    /// Keys are stored as argon2id hashes with a short display prefix; first use is recorded.
    async fn keys_are_stored_hashed(ctx) {
        use entity::ak_apikeys;
        use sea_orm::{EntityTrait, QueryOrder};
        let rows = ak_apikeys::Entity::find()
            .order_by_asc(ak_apikeys::Column::AkId)
            .all(&ctx.db.conn)
            .await
            .unwrap();
        assert_eq!(rows.len(), 3);
        for (row, key) in rows.iter().zip([&ctx.admin, &ctx.rw, &ctx.ro]) {
            assert!(row.ak_hash.starts_with("$argon2id$"), "{}", row.ak_hash);
            assert!(!row.ak_hash.contains(&key[4..]));
            assert_eq!(row.ak_prefix, key[..12]);
            assert_eq!(row.ak_lookup.len(), 4);
            assert!(row.ak_last_used.is_none());
        }
        assert!(rows[0].ak_admin && !rows[0].ak_readonly && rows[0].ak_te_id.is_none());
        assert!(!rows[1].ak_admin && !rows[1].ak_readonly && rows[1].ak_te_id == Some(ctx.a.id));
        assert!(!rows[2].ak_admin && rows[2].ak_readonly && rows[2].ak_te_id == Some(ctx.a.id));

        ctx.info(&ctx.rw, Some("ACME"), "dids").get().await.is_plain("");
        let rw_id = rows[1].ak_id;
        eventually(Duration::from_secs(3), "last use recorded", || async {
            ak_apikeys::Entity::find_by_id(rw_id)
                .one(&ctx.db.conn)
                .await
                .unwrap()
                .unwrap()
                .ak_last_used
                .is_some()
        })
        .await;
    }

    /// After 20 failures from an address, unknown (uncached) keys from it are refused for a
    /// while, even valid ones; keys already in use keep working.
    async fn guessers_are_throttled_but_working_keys_keep_working(ctx) {
        ctx.info(&ctx.rw, Some("ACME"), "dids").get().await.is_plain("");
        let (_, fresh) = ctx.mint(KeySpec { tenant_id: Some(ctx.a.id), ..Default::default() }).await;
        for i in 0..21 {
            let guess = format!("sbk_{i:048}");
            ctx.info(&guess, Some("ACME"), "dids").get().await.is_too_bad();
        }
        ctx.info(&fresh, Some("ACME"), "dids").get().await.is_too_bad();
        ctx.info(&ctx.rw, Some("ACME"), "dids").get().await.is_plain("");
    }

    /// Behind trusted proxies the client is the right-most `X-Forwarded-For` entry that is not a
    /// trusted proxy: what a client writes at the left neither passes an allow-list nor moves
    /// its failures to another address.
    async fn forwarded_for_believes_only_trusted_proxies(ctx) {
        let net = |s: &str| switchboard::auth::keys::parse_allow_list(s).unwrap();
        let (_, office) = ctx.mint(KeySpec { tenant_id: Some(ctx.a.id), allow: net("10.1.2.0/24"), ..Default::default() }).await;
        let dids = |key: &str, base: &str, xff: &str| {
            ctx.info(key, Some("ACME"), "dids").fmt("json").on(base).header("X-Forwarded-For", xff)
        };
        let proxied = ctx.extra_server(true).await;
        dids(&office, &proxied, "10.1.2.3, 203.0.113.9").get().await.is_too_bad();
        assert_eq!(dids(&office, &proxied, "203.0.113.9, 10.1.2.3").get().await.text(), "[]");
        // SWITCHBOARD_TRUSTED_PROXIES: a chain of configured proxies is walked back.
        let config = switchboard::config::Config { trusted_proxies: net("127.0.0.0/8, 192.168.0.0/16"), ..ctx.config.clone() };
        let chain = ctx.extra_server_with(config).await;
        assert_eq!(dids(&office, &chain, "203.0.113.9, 10.1.2.3, 192.168.1.1").get().await.text(), "[]");
        dids(&office, &chain, "10.1.2.3, 203.0.113.9, 192.168.1.1").get().await.is_too_bad();
        // Rotating the left-most entry does not escape the throttle of the real address.
        let (_, fresh) = ctx.mint(KeySpec { tenant_id: Some(ctx.a.id), ..Default::default() }).await;
        for i in 0..21 {
            let guess = format!("sbk_{i:048}");
            dids(&guess, &proxied, &format!("10.0.0.{i}, 198.51.100.1")).get().await.is_too_bad();
        }
        dids(&fresh, &proxied, "10.0.0.99, 198.51.100.1").get().await.is_too_bad();
        assert_eq!(dids(&fresh, &proxied, "198.51.100.2").get().await.text(), "[]");
    }

    /// Concurrent first uses of one key share one verification; concurrent guesses from one
    /// address do at most the throttle's limit of work; a key whose bucket holds no key costs
    /// a verification like any other (bucket occupancy does not show in the timing).
    async fn verifications_are_shared_and_counted_before_the_work(ctx) {
        use futures_util::future::join_all;
        use switchboard::auth::KeyStore;
        use switchboard::error::ApiError;
        let store = KeyStore::new(ctx.db.conn.clone());
        let (_, key) = ctx.mint(KeySpec { tenant_id: Some(ctx.a.id), ..Default::default() }).await;
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let results = join_all((0..32).map(|_| store.authenticate(&key, ip("192.0.2.1")))).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(store.verifications(), 1);

        let guesses: Vec<String> = (0..64).map(|i| format!("sbk_{i:048}")).collect();
        let results = join_all(guesses.iter().map(|g| store.authenticate(g, ip("192.0.2.2")))).await;
        assert!(results.iter().all(|r| matches!(r, Err(ApiError::Auth))));
        let work = store.verifications() - 1;
        assert!((1..=switchboard::auth::throttle::MAX_FAILURES as u64).contains(&work), "{work} verifications");

        // The same wrong key presented 16 times at once: one verification.
        let results = join_all((0..16).map(|_| store.authenticate("sbk_wrong-but-the-same", ip("192.0.2.3")))).await;
        assert!(results.iter().all(|r| matches!(r, Err(ApiError::Auth))));
        assert_eq!(store.verifications() - 1 - work, 1);
        // The key is cached: no more verifications.
        store.authenticate(&key, ip("192.0.2.4")).await.unwrap();
        assert_eq!(store.verifications() - 1 - work, 1);
    }
}

use chrono::Timelike;
