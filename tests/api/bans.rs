//! Cluster-wide bans: the nodes' AMI security events counted per source address across nodes
//! and Switchboard processes, the ban written once and served to the nodes' firewalls
//! (`/nodes/bans`), and the admin reqtype BAN.

use crate::ami_server::AmiServer;
use crate::cluster_harness::*;
use crate::common::*;
use std::time::{Duration, Instant};
use switchboard::cluster::bans::Policy;

/// A security event as Asterisk 22's res_pjsip writes it.
fn failure(node: &AmiServer, event: &str, service: &str, remote: &str) {
    node.emit(&[
        ("Event", event),
        ("Privilege", "security,all"),
        ("EventTV", "2026-12-07T23:00:00.000+0000"),
        ("Severity", "Error"),
        ("Service", service),
        ("EventVersion", "1"),
        ("AccountID", "100"),
        ("SessionID", "3a9c1e2f-0001"),
        ("LocalAddress", "IPV4/UDP/192.0.2.10/5060"),
        ("RemoteAddress", remote),
    ]);
}

fn policy(ctx: &Ctx, failures: u32) -> switchboard::config::Config {
    let mut config = ctx.config.clone();
    config.bans = Policy {
        failures,
        window: Duration::from_secs(60),
        ban_for: Some(Duration::from_secs(600)),
        ignore: vec!["192.0.2.0/24".parse().unwrap()],
    };
    config
}

async fn feed(base: &str, etag: Option<&str>) -> (u16, String, String) {
    let mut req = awc::Client::default().get(format!("{base}/nodes/bans"));
    if let Some(tag) = etag {
        req = req.insert_header(("If-None-Match", tag));
    }
    let mut res = req.send().await.unwrap();
    let tag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    (res.status().as_u16(), tag, body)
}

async fn banned(ctx: &Ctx) -> Vec<String> {
    use sea_orm::EntityTrait;
    entity::bn_bans::Entity::find()
        .all(&ctx.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.bn_address)
        .collect()
}

backend_tests! {
    /// Failures of one address on two nodes add up; two Switchboard processes consuming the
    /// same events write one ban; the nodes' feed lists it within the window; other addresses
    /// (below the threshold, AMI's own events, ignored and loopback ones) are untouched.
    async fn failures_across_nodes_ban_an_address_once_on_every_node(ctx) {
        let servers = AmiServer::start_many(2).await;
        register(ctx, "n1", &servers[0]).await;
        register(ctx, "n2", &servers[1]).await;
        let one = Sb::start_with(ctx, policy(ctx, 6)).await;
        let two = Sb::start_with(ctx, policy(ctx, 6)).await;
        one.wait_connected(&["n1", "n2"]).await;
        two.wait_connected(&["n1", "n2"]).await;
        // The feed answers the nodes' address (127.0.0.1 here): empty at first.
        let (status, tag, body) = feed(&one.base, None).await;
        assert_eq!((status, body.as_str()), (200, ""));
        assert_eq!(feed(&one.base, Some(&tag)).await.0, 304, "unchanged list");

        let attacker = "IPV4/UDP/203.0.113.5/5060";
        // A phone with a typo (below the threshold), AMI's own events, an ignored office
        // address and loopback: never banned, however many.
        for _ in 0..5 {
            failure(&servers[0], "ChallengeResponseFailed", "PJSIP", "IPV4/UDP/198.51.100.7/5062");
        }
        for _ in 0..20 {
            failure(&servers[0], "InvalidAccountID", "AMI", "IPV4/TCP/203.0.113.9/40000");
            failure(&servers[1], "InvalidAccountID", "PJSIP", "IPV4/UDP/192.0.2.44/5060");
            failure(&servers[1], "InvalidAccountID", "PJSIP", "IPV4/UDP/127.0.0.1/5060");
            failure(&servers[1], "InvalidAccountID", "PJSIP", "garbage");
        }
        for _ in 0..3 {
            failure(&servers[0], "InvalidAccountID", "PJSIP", attacker);
        }
        for _ in 0..2 {
            failure(&servers[1], "ChallengeResponseFailed", "PJSIP", attacker);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(banned(ctx).await.is_empty(), "5 of 6: not yet");
        let sixth = Instant::now();
        failure(&servers[1], "FailedACL", "PJSIP", attacker);
        let mut listed = String::new();
        while sixth.elapsed() < Duration::from_secs(2) {
            listed = feed(&two.base, None).await.2;
            if !listed.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let latency = sixth.elapsed();
        assert!(listed.starts_with("203.0.113.5 "), "listed within 2 s: {listed:?}");
        assert!(latency < Duration::from_secs(2), "{latency:?}");
        let until: i64 = listed.trim().split(' ').nth(1).unwrap().parse().unwrap();
        let left = until - chrono::Utc::now().timestamp();
        assert!((590..=601).contains(&left), "ban for 600 s, {left} left");
        // More failures of the banned address, from both processes: still one ban.
        for _ in 0..12 {
            failure(&servers[0], "InvalidPassword", "PJSIP", attacker);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(banned(ctx).await, vec!["203.0.113.5".to_string()]);
        use sea_orm::EntityTrait;
        let row = entity::bn_bans::Entity::find().one(&ctx.db.conn).await.unwrap().unwrap();
        assert_eq!((row.bn_by.as_str(), row.bn_events), ("auto", 6));
        assert!(row.bn_cause.starts_with("6 failed attempts within 60 s"), "{}", row.bn_cause);
        // The list changed: a new ETag, the old one is not "unchanged".
        let (status, tag2, _) = feed(&one.base, Some(&tag)).await;
        assert_eq!(status, 200);
        assert_ne!(tag, tag2);
        // The admin list shows it; the operator lifts it and the feed is empty again.
        let list = ctx.req().p("reqtype", "BAN").p("key", &ctx.admin).fmt("json").get().await.json();
        assert_eq!(list[0]["address"], "203.0.113.5", "{list}");
        ctx.req().p("reqtype", "BAN").p("key", &ctx.admin).p("action", "remove").p("address", "203.0.113.5").get().await.is_plain("OK");
        assert_eq!(feed(&one.base, None).await.2, "");
        one.stop().await;
        two.stop().await;
    }

    /// The feed is for the nodes only.
    async fn only_a_registered_node_reads_the_feed(ctx) {
        ctx.req().p("reqtype", "BAN").p("key", &ctx.admin).p("action", "add").p("address", "203.0.113.8").get().await.is_plain("OK");
        let (status, _, body) = feed(&ctx.base, None).await;
        assert_eq!(status, 403, "{body}");
        assert!(!body.contains("203.0.113.8"), "{body}");
    }

    /// BAN: admin keys only; every bad parameter is named and changes nothing.
    async fn the_ban_reqtype_is_for_admins_and_checks_its_input(ctx) {
        let ban = |key: &str| ctx.req().p("reqtype", "BAN").p("key", key);
        for key in [&ctx.rw, &ctx.ro] {
            ban(key).get().await.is_too_bad();
            ban(key).p("action", "add").p("address", "203.0.113.9").get().await.is_too_bad();
        }
        ban(&ctx.admin).p("action", "add").get().await.is_error("parameter 'address' is required");
        ban(&ctx.admin).p("action", "add").p("address", "203.0.113.999").get().await
            .is_error("parameter 'address' must be an IPv4 or IPv6 address, not '203.0.113.999'");
        ban(&ctx.admin).p("action", "add").p("address", "203.0.113.9\r\nAction: Command").get().await
            .is_error_starting("parameter 'address' must be an IPv4 or IPv6 address");
        ban(&ctx.admin).p("action", "add").p("address", "203.0.113.9").p("seconds", "soon").get().await
            .is_error_starting("parameter 'seconds' must be 0");
        ban(&ctx.admin).p("action", "add").p("address", "203.0.113.9").p("cause", &"x".repeat(256)).get().await
            .is_error("parameter 'cause' must be at most 255 characters");
        ban(&ctx.admin).p("action", "flood").get().await
            .is_error("parameter 'action' must be list, add or remove, not 'flood'");
        assert_eq!(ctx.count("bn_bans").await, 0);

        ban(&ctx.admin).p("action", "add").p("address", "2001:DB8::1").p("seconds", "0").p("cause", "abuse desk ticket 42").get().await.is_plain("OK");
        ban(&ctx.admin).p("action", "add").p("address", "2001:db8::1").get().await
            .is_error("parameter 'address': 2001:db8::1 is already banned");
        ban(&ctx.admin).p("action", "add").p("address", "203.0.113.9").p("seconds", "1").get().await.is_plain("OK");
        let list = ban(&ctx.admin).fmt("json").get().await.json();
        assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
        assert_eq!(list[0]["address"], "2001:db8::1");
        assert_eq!(list[0]["cause"], "abuse desk ticket 42");
        assert!(list[0]["until"].is_null() || list[0]["until"] == "", "{list}");
        assert!(list[0]["by"].as_str().unwrap().starts_with("api key "), "{list}");
        // The one-second ban ends by itself.
        tokio::time::sleep(Duration::from_millis(1300)).await;
        let list = ban(&ctx.admin).fmt("json").get().await.json();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        ban(&ctx.admin).p("action", "remove").p("address", "203.0.113.9").get().await
            .is_error("parameter 'address': 203.0.113.9 is not banned");
        ban(&ctx.admin).p("action", "remove").p("address", "2001:db8::1").get().await.is_plain("OK");
        assert_eq!(ctx.count("bn_bans").await, 0);
    }
}
