//! The cluster: nodes, the outbox of node actions (recorded with the write that causes them,
//! per-node deliveries, tenant pinning, delivery to nodes that come and go, restarts, two
//! instances sharing one database) and the live reqtypes against AMI test servers.

use crate::ami_server::{AmiServer, Channel, Contact, Queue, SECRET};
use crate::cluster_harness::*;
use crate::common::*;
use entity::{ob_outbox, od_deliveries};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde_json::json;
use std::time::Duration;
use switchboard::cluster::{nodes, outbox};

async fn node(ctx: &Ctx, name: &str) -> i32 {
    nodes::add(
        &ctx.db.conn,
        nodes::NewNode {
            name,
            host: "127.0.0.1",
            port: 5038,
            username: "switchboard",
            secret: "s3cret pass",
            timezone: "UTC",
        },
    )
    .await
    .unwrap()
    .id
}

/// (node id, action, headers) of every delivery, in delivery order.
async fn deliveries(ctx: &Ctx) -> Vec<(i32, String, Vec<(String, String)>)> {
    let actions: std::collections::HashMap<i32, ob_outbox::Model> = ob_outbox::Entity::find()
        .all(&ctx.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.ob_id, o))
        .collect();
    od_deliveries::Entity::find()
        .order_by_asc(od_deliveries::Column::OdId)
        .all(&ctx.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            let ob = &actions[&d.od_ob_id];
            (d.od_no_id, ob.ob_action.clone(), outbox::headers_of(ob))
        })
        .collect()
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
    h.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

backend_tests! {
    async fn node_registration_validates_and_never_shows_the_secret(ctx) {
        node(ctx, "ast1").await;
        let dup = nodes::add(&ctx.db.conn, nodes::NewNode {
            name: "ast1", host: "h", port: 1, username: "u", secret: "x", timezone: "UTC",
        }).await;
        assert!(dup.unwrap_err().to_string().contains("already exists"));
        for (name, host, port, user, secret, timezone, field) in [
            ("bad name", "h", 5038, "u", "s", "UTC", "name"),
            ("n2", "", 5038, "u", "s", "UTC", "host"),
            ("n2", "h", 0, "u", "s", "UTC", "port"),
            ("n2", "h", 5038, "u\r\nAction: Originate", "s", "UTC", "user"),
            ("n2", "h", 5038, "u", "s\r\nAction: Originate", "UTC", "secret"),
            ("n2", "h", 5038, "u", "s", "Mars/Olympus", "tz"),
        ] {
            let err = nodes::add(&ctx.db.conn, nodes::NewNode {
                name, host, port, username: user, secret, timezone,
            }).await.unwrap_err().to_string();
            assert!(err.starts_with(field), "{field}: {err}");
        }
        let listed = nodes::list(&ctx.db.conn).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(!format!("{listed:?}").contains("s3cret"));
        let model = nodes::find(&ctx.db.conn, "ast1").await.unwrap().unwrap();
        assert!(!format!("{model:?}").contains("s3cret"), "Debug must hide the secret");
        nodes::remove(&ctx.db.conn, "ast1").await.unwrap();
        assert!(nodes::list(&ctx.db.conn).await.unwrap().is_empty());
        assert!(nodes::remove(&ctx.db.conn, "ast1").await.is_err());
    }

    async fn extension_writes_record_cache_expiry_for_every_node(ctx) {
        // No node yet: nothing to record.
        ctx.ext(&ctx.a, "100", json!({})).await;
        assert_eq!(ctx.count("od_deliveries").await, 0);
        let n1 = node(ctx, "ast1").await;
        let n2 = node(ctx, "ast2").await;
        let row = ctx.ext(&ctx.a, "101", json!({ "password": "secret101" })).await;
        let d = deliveries(ctx).await;
        assert_eq!(d.len(), 6, "{d:?}");
        for (i, cache) in ["pjsip_endpoint", "pjsip_auth", "pjsip_aor"].iter().enumerate() {
            for (j, n) in [n1, n2].iter().enumerate() {
                let (node, action, h) = &d[i * 2 + j];
                assert_eq!((node, action.as_str()), (n, "SorceryMemoryCacheExpireObject"));
                assert_eq!(header(h, "Cache"), *cache);
                assert_eq!(header(h, "Object"), "101-ACME");
            }
        }
        // A chan_sip extension: prune the realtime peer.
        ctx.ext(&ctx.a, "102", json!({ "ex_tech": "SIP", "secret": "secret102" })).await;
        let d = deliveries(ctx).await;
        assert_eq!(d.len(), 8);
        assert_eq!(d[6].1, "Command");
        assert_eq!(header(&d[6].2, "Command"), "sip prune realtime peer 102-ACME");
        // DND turned on by an update goes to AstDB.
        let id = id_of(&row, "ex_id");
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update")
            .id(id)
            .json(&json!({ "ex_dnd": "on" }))
            .post()
            .await;
        let d = deliveries(ctx).await;
        let dnd: Vec<_> = d.iter().filter(|(_, a, _)| a == "DBPut").collect();
        assert_eq!(dnd.len(), 2, "{d:?}");
        assert_eq!(header(&dnd[0].2, "Family"), "DND");
        assert_eq!(header(&dnd[0].2, "Key"), "101-ACME");
        // Deleting expires the caches again and clears DND.
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(id).post().await;
        let d = deliveries(ctx).await;
        assert!(d.iter().any(|(_, a, h)| a == "DBDel" && header(h, "Key") == "101-ACME"));
        let status = outbox::status(&ctx.db.conn).await.unwrap();
        assert_eq!(status.len(), 2);
        assert!(status.iter().all(|(_, b)| b.pending as usize == d.len() / 2));
    }

    async fn a_refused_write_records_no_node_action(ctx) {
        node(ctx, "ast1").await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        let before = ctx.count("ob_outbox").await;
        // Duplicate number: refused, nothing recorded.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "add")
            .json(&json!({ "ex_number": "100" }))
            .post()
            .await;
        assert!(r.is_any_error(), "{}", r.text());
        // Read-only key: refused.
        let r = ctx.mdb(&ctx.ro, Some("ACME"), "extension", "add")
            .json(&json!({ "ex_number": "105" }))
            .post()
            .await;
        assert!(r.is_any_error(), "{}", r.text());
        assert_eq!(ctx.count("ob_outbox").await, before);
        // Objects without node actions (a DID) record nothing.
        ctx.did(&ctx.a, "5550100").await;
        assert_eq!(ctx.count("ob_outbox").await, before);
    }

    async fn pinned_tenants_reach_only_their_nodes(ctx) {
        let n1 = node(ctx, "ast1").await;
        let n2 = node(ctx, "ast2").await;
        nodes::pin(&ctx.db.conn, ctx.a.id, &["ast2"]).await.unwrap();
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "100", json!({})).await;
        let d = deliveries(ctx).await;
        let acme: Vec<i32> = d.iter().filter(|(_, _, h)| header(h, "Object") == "100-ACME").map(|x| x.0).collect();
        let beta: Vec<i32> = d.iter().filter(|(_, _, h)| header(h, "Object") == "100-BETA").map(|x| x.0).collect();
        assert_eq!(acme, vec![n2; 3]);
        assert_eq!(beta.iter().filter(|n| **n == n1).count(), 3);
        assert_eq!(beta.iter().filter(|n| **n == n2).count(), 3);
        // Unpinned again: all nodes; the node that starts serving ACME gets its AstDB state
        // (DND here), the node that served it already gets nothing twice.
        ctx.ext(&ctx.a, "101", json!({ "ex_dnd": "on" })).await;
        let dnd = |d: &[(i32, String, Vec<(String, String)>)]| -> Vec<i32> {
            d.iter().filter(|(_, a, h)| a == "DBPut" && header(h, "Key") == "101-ACME").map(|x| x.0).collect()
        };
        assert_eq!(dnd(&deliveries(ctx).await), vec![n2]);
        nodes::pin(&ctx.db.conn, ctx.a.id, &[]).await.unwrap();
        assert_eq!(nodes::targets(&ctx.db.conn, Some(ctx.a.id)).await.unwrap(), vec![n1, n2]);
        assert_eq!(dnd(&deliveries(ctx).await), vec![n2, n1]);
        assert!(nodes::pin(&ctx.db.conn, ctx.a.id, &["nope"]).await.is_err());
    }
}

/// `Object` headers of the cache expiries a node received, in order.
fn expired(server: &AmiServer) -> Vec<String> {
    server
        .received_named("SorceryMemoryCacheExpireObject")
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r.get("Cache").unwrap_or(""),
                r.get("Object").unwrap_or("")
            )
        })
        .collect()
}

fn expiries_of(users: &[&str]) -> Vec<String> {
    users
        .iter()
        .flat_map(|u| {
            ["pjsip_endpoint", "pjsip_auth", "pjsip_aor"]
                .iter()
                .map(move |c| format!("{c}:{u}"))
        })
        .collect()
}

/// Sets the state and recording time (days ago) of the delivery of action `ob` to `node`.
async fn age_delivery(ctx: &Ctx, ob: i32, node: i32, state: &str, days: i64) {
    use sea_orm::{ColumnTrait, QueryFilter};
    let d = od_deliveries::Entity::find()
        .filter(od_deliveries::Column::OdObId.eq(ob))
        .filter(od_deliveries::Column::OdNoId.eq(node))
        .one(&ctx.db.conn)
        .await
        .unwrap()
        .unwrap();
    let mut am: od_deliveries::ActiveModel = d.into();
    am.od_state = Set(state.to_string());
    am.od_updated = Set(Some(
        chrono::Utc::now().naive_utc() - chrono::Duration::days(days),
    ));
    am.update(&ctx.db.conn).await.unwrap();
}

async fn pending(ctx: &Ctx) -> i64 {
    ctx.count_where("od_deliveries", "od_state <> 'done'").await
}

/// Results are recorded just after the node answered: give that a moment.
async fn wait_pending(ctx: &Ctx, n: i64) {
    for _ in 0..100 {
        if pending(ctx).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(pending(ctx).await, n, "undelivered actions");
}

backend_tests! {
    async fn outbox_reaches_three_nodes_one_down_in_order_once(ctx) {
        let servers = AmiServer::start_many(3).await;
        for (i, s) in servers.iter().enumerate() {
            register(ctx, &format!("n{}", i + 1), s).await;
        }
        servers[2].go_away().await;
        let sb = Sb::start(ctx).await;
        sb.wait_connected(&["n1", "n2"]).await;
        for n in ["100", "101", "102"] {
            ctx.ext(&ctx.a, n, json!({})).await;
        }
        let want = expiries_of(&["100-ACME", "101-ACME", "102-ACME"]);
        wait_for("n1 and n2 served", || expired(&servers[0]) == want && expired(&servers[1]) == want).await;
        assert!(expired(&servers[2]).is_empty());
        wait_pending(ctx, 9).await;
        // The admin view shows the backlog, never the secret.
        let r = ctx.info(&ctx.admin, None, "nodes").on(&sb.base).fmt("json").get().await;
        let rows = r.json();
        assert_eq!(rows.as_array().unwrap().len(), 3, "{}", r.text());
        assert_eq!(rows[2]["pending"], "9");
        assert_eq!(rows[0]["connected"], "yes");
        assert!(!r.text().contains(SECRET));
        ctx.info(&ctx.rw, Some("ACME"), "nodes").on(&sb.base).get().await.is_too_bad();
        // n3 comes back: everything arrives, in order, once; duplicates were not re-sent.
        servers[2].come_back().await;
        wait_for("n3 served", || expired(&servers[2]).len() >= 9).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(expired(&servers[2]), want);
        assert_eq!(expired(&servers[0]), want);
        wait_pending(ctx, 0).await;
        sb.stop().await;
    }

    async fn a_restart_mid_backlog_loses_nothing_and_duplicates_coalesce(ctx) {
        let server = AmiServer::start().await;
        register(ctx, "n1", &server).await;
        server.go_away().await;
        let sb = Sb::start(ctx).await;
        let row = ctx.ext(&ctx.a, "100", json!({})).await;
        let id = id_of(&row, "ex_id");
        for name in ["a", "b", "c"] {
            ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update")
                .id(id)
                .json(&json!({ "ex_name": name }))
                .post()
                .await;
        }
        ctx.ext(&ctx.a, "101", json!({})).await;
        sb.stop().await;
        assert_eq!(pending(ctx).await, 15);
        server.come_back().await;
        let sb = Sb::start(ctx).await;
        wait_for("backlog delivered", || expired(&server).len() >= 6).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Four writes to 100 asked for the same three expiries: each sent once, then 101's.
        assert_eq!(expired(&server), expiries_of(&["100-ACME", "101-ACME"]));
        wait_pending(ctx, 0).await;
        sb.stop().await;
    }

    /// Retention: a running server purges deliveries done longer ago than
    /// OUTBOX_RETENTION_DAYS and the actions they leave without deliveries; pending, failed
    /// and recent ones stay.
    async fn delivered_outbox_rows_are_purged_after_the_retention(ctx) {
        let (n1, n2) = (node(ctx, "n1").await, node(ctx, "n2").await);
        let txn = ctx.db.begin_write().await.unwrap();
        let actions: Vec<outbox::NodeAction> = (0..5)
            .map(|i| outbox::NodeAction::new(format!("k{i}"), "QueueReload", &[]))
            .collect();
        outbox::record(&*txn, Some(ctx.a.id), &actions).await.unwrap();
        txn.commit().await.unwrap();
        let obs: Vec<i32> = ob_outbox::Entity::find().order_by_asc(ob_outbox::Column::ObId)
            .all(&ctx.db.conn).await.unwrap().iter().map(|o| o.ob_id).collect();
        assert_eq!(obs.len(), 5);
        // 0: done on both nodes long ago (goes whole); 1: done on n1 long ago, pending on n2
        // (the n1 delivery goes, the action stays); 2: done yesterday; 3: failed long ago;
        // 4: pending, never tried.
        for n in [n1, n2] {
            age_delivery(ctx, obs[0], n, "done", 10).await;
            age_delivery(ctx, obs[2], n, "done", 1).await;
            age_delivery(ctx, obs[3], n, "failed", 10).await;
        }
        age_delivery(ctx, obs[1], n1, "done", 10).await;
        let r = ctx.req().p("reqtype", "SETTING").p("key", &ctx.admin).p("action", "set")
            .p("code", "OUTBOX_RETENTION_DAYS").p("value", "3").get().await;
        r.is_plain("3");
        assert_eq!(ctx.count("od_deliveries").await, 10);
        let sb = Sb::start(ctx).await;
        for _ in 0..200 {
            if ctx.count("od_deliveries").await == 7 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let left: Vec<(i32, i32, String)> = od_deliveries::Entity::find()
            .order_by_asc(od_deliveries::Column::OdId).all(&ctx.db.conn).await.unwrap()
            .into_iter().map(|d| (d.od_ob_id, d.od_no_id, d.od_state)).collect();
        let want = vec![
            (obs[1], n2, "pending".to_string()),
            (obs[2], n1, "done".into()), (obs[2], n2, "done".into()),
            (obs[3], n1, "failed".into()), (obs[3], n2, "failed".into()),
            (obs[4], n1, "pending".into()), (obs[4], n2, "pending".into()),
        ];
        assert_eq!(left, want);
        let kept: Vec<i32> = ob_outbox::Entity::find().order_by_asc(ob_outbox::Column::ObId)
            .all(&ctx.db.conn).await.unwrap().iter().map(|o| o.ob_id).collect();
        assert_eq!(kept, obs[1..].to_vec());
        sb.stop().await;
    }

    async fn two_instances_share_the_outbox_without_double_delivery(ctx) {
        let servers = AmiServer::start_many(2).await;
        register(ctx, "n1", &servers[0]).await;
        register(ctx, "n2", &servers[1]).await;
        let one = Sb::start(ctx).await;
        let two = Sb::start(ctx).await;
        one.wait_connected(&["n1", "n2"]).await;
        two.wait_connected(&["n1", "n2"]).await;
        let users: Vec<String> = (0..150).map(|i| format!("u{i}-ACME")).collect();
        for chunk in users.chunks(10) {
            let txn = ctx.db.begin_write().await.unwrap();
            let actions: Vec<outbox::NodeAction> = chunk
                .iter()
                .map(|u| outbox::NodeAction::new(format!("t:{u}"), "SorceryMemoryCacheExpireObject", &[("Cache", "pjsip_endpoint"), ("Object", u)]))
                .collect();
            outbox::record(&*txn, Some(ctx.a.id), &actions).await.unwrap();
            txn.commit().await.unwrap();
        }
        let want: Vec<String> = users.iter().map(|u| format!("pjsip_endpoint:{u}")).collect();
        wait_for("both nodes served", || expired(&servers[0]).len() >= 150 && expired(&servers[1]).len() >= 150).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(expired(&servers[0]), want);
        assert_eq!(expired(&servers[1]), want);
        one.stop().await;
        two.stop().await;
    }

    async fn dial_originates_from_the_device_into_the_tenant_context(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "200", json!({})).await;
        let dial = || ctx.req().on(&sb.base).p("reqtype", "DIAL").p("key", &ctx.rw).p("tenant", "ACME");
        let r = dial().p("source", "100").p("dest", "5551234").p("server", "n2")
            .p("var", "crm=42|lead=7").p("account", "402-ACME").get().await;
        let text = r.text();
        let id = text.strip_prefix("Success|Originate successfully queued|").and_then(|s| s.strip_suffix('|'))
            .unwrap_or_else(|| panic!("{text}")).to_string();
        assert!(servers[0].received_named("Originate").is_empty());
        let o = servers[1].received_named("Originate");
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].get("Channel"), Some("PJSIP/100-ACME"));
        assert_eq!(o[0].get("Context"), Some("from-internal-ACME"));
        assert_eq!(o[0].get("Exten"), Some("5551234"));
        assert_eq!(o[0].get("Account"), Some("402-ACME"));
        let vars = o[0].get_all("Variable");
        for v in ["TENANT=ACME", "ACME-crm=42", "ACME-lead=7", &format!("ORIGINATEID={id}")] {
            assert!(vars.contains(&v), "{v} in {vars:?}");
        }
        assert_eq!(ctx.count_where("dc_dialcalls", &format!("dc_originateid = '{id}' AND dc_te_id = {}", ctx.a.id)).await, 1);
        // json shape
        let r = dial().p("source", "100").p("dest", "5551234").fmt("json").get().await;
        let v = r.json();
        assert_eq!(v["Response"], "Success", "{}", r.text());
        assert_eq!(v["Message"], "Originate successfully queued");
        assert!(v["ID"].as_str().is_some_and(|s| !s.is_empty()));
        // The node where the device is registered is preferred.
        servers[0].state().contacts.push(Contact { aor: "100-ACME".into(), endpoint: "100-ACME".into(), uri: "sip:100@10.0.0.5".into(), status: "Reachable".into(), ..Default::default() });
        let before = servers[0].received_named("Originate").len();
        for _ in 0..3 {
            dial().p("source", "100").p("dest", "5551234").get().await;
        }
        assert_eq!(servers[0].received_named("Originate").len(), before + 3);
        // Failures: json error object; nothing originated.
        let before: usize = servers.iter().map(|s| s.received_named("Originate").len()).sum();
        for (name, value, err) in [
            ("account", "402-BETA", "account"),
            ("dest", "555\r\nAction: Hangup", "dest"),
            ("var", "x=1\r\nAction: Hangup", "var"),
            ("var", "bad name=1", "var"),
            ("sourceclid", "a\nb", "sourceclid"),
            ("server", "nope", "server"),
        ] {
            let mut req = dial().p("source", "100").p("dest", "5551234");
            req = req.p(name, value);
            let r = req.fmt("json").get().await;
            let v = r.json();
            assert_eq!(v["Response"], "Error", "{name}: {}", r.text());
            assert!(v["Message"].as_str().unwrap().contains(err), "{}", r.text());
        }
        // Another tenant's extension, a read-only key: refused.
        dial().p("source", "200").p("dest", "5551234").get().await.is_error_starting("parameter 'source'");
        let r = ctx.req().on(&sb.base).p("reqtype", "DIAL").p("key", &ctx.ro).p("tenant", "ACME").p("source", "100").p("dest", "1").get().await;
        assert!(r.text().contains("read-only"), "{}", r.text());
        let after: usize = servers.iter().map(|s| s.received_named("Originate").len()).sum();
        assert_eq!(before, after);
        // The link drops after the Originate was written: outcome unknown, never re-sent.
        servers[1].drop_next("Originate");
        let r = dial().p("source", "100").p("dest", "5551234").p("server", "n2").get().await;
        assert!(r.text().contains("outcome is unknown"), "{}", r.text());
        sb.wait_connected(&["n2"]).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(servers[1].received_named("Originate").len(), 2);
        sb.stop().await;
    }

    async fn channels_hangup_and_transfer_see_only_the_tenants_channels(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "100", json!({})).await;
        let mut a = Channel::new("PJSIP/100-ACME-00000001", "from-internal-ACME", "5551234");
        a.linkedid = "n1-1.1".into();
        servers[0].state().channels.push(a);
        let mut a2 = Channel::new("PJSIP/trunk-00000002", "from-trunk", "5551234");
        a2.linkedid = "n1-1.1".into();
        servers[0].state().channels.push(a2);
        servers[1].state().channels.push(Channel::new("PJSIP/100-BETA-00000003", "from-internal-BETA", "5550000"));
        let live = |key: &str, tenant: &str, reqtype: &str| live(ctx, &sb, key, tenant, reqtype);
        let rows = live(&ctx.rw, "ACME", "CHANNELS").fmt("json").get().await.json();
        assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
        assert_eq!(rows[0]["channel"], "PJSIP/100-ACME-00000001");
        assert_eq!(rows[0]["node"], "n1");
        live(&ctx.rw, "ACME", "COUNTCHANNELS").get().await.is_plain("1");
        live(&ctx.rw, "ACME", "COUNTCALLS").get().await.is_plain("1");
        let all = ctx.req().on(&sb.base).p("reqtype", "CHANNELS").p("key", &ctx.admin).fmt("json").get().await.json();
        assert_eq!(all.as_array().unwrap().len(), 3);
        let calls = live(&ctx.rw, "ACME", "GETCURRENTCALLS").p("phone", "5551234").fmt("json").get().await.json();
        assert_eq!(calls.as_array().unwrap().len(), 1);
        let none = live(&ctx.rw, "ACME", "CHANNEL").p("channel", "PJSIP/100-BETA-00000003").fmt("json").get().await.json();
        assert_eq!(none, json!([]));
        // ACME cannot hang up or transfer BETA's channel, nor can a read-only key act.
        live(&ctx.rw, "ACME", "HANGUP").p("channel", "PJSIP/100-BETA-00000003").get().await.is_error_starting("parameter 'channel'");
        live(&ctx.rw, "ACME", "TRANSFER").p("channel", "PJSIP/100-BETA-00000003").p("dest", "200").get().await.is_error_starting("parameter 'channel'");
        for reqtype in ["HANGUP", "TRANSFER", "ATXTRANSFER"] {
            let r = live(&ctx.ro, "ACME", reqtype).p("channel", "PJSIP/100-ACME-00000001").p("dest", "200").get().await;
            assert!(r.text().contains("read-only"), "{reqtype}: {}", r.text());
        }
        assert!(servers[1].received_named("Hangup").is_empty());
        assert!(servers[0].received_named("Redirect").is_empty());
        live(&ctx.rw, "ACME", "TRANSFER").p("channel", "PJSIP/100-ACME-00000001").p("dest", "200").get().await.is_plain("Success|Redirect successful|");
        let redirect = servers[0].received_named("Redirect");
        assert_eq!(redirect[0].get("Context"), Some("from-internal-ACME"));
        assert_eq!(redirect[0].get("Exten"), Some("200"));
        live(&ctx.rw, "ACME", "ATXTRANSFER").p("channel", "PJSIP/100-ACME-00000001").p("dest", "201").get().await.is_plain("Success|Atxfer successfully queued|");
        live(&ctx.rw, "ACME", "HANGUP").p("extension", "100").get().await.is_plain("Success|Channel Hungup|");
        let h = servers[0].received_named("Hangup");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].get("Channel"), Some("PJSIP/100-ACME-00000001"));
        assert_eq!(servers[1].state().channels.len(), 1, "BETA's call untouched");
        // A node down: reads answer from the others and name it.
        servers[1].go_away().await;
        wait_for("n2 seen down", || !sb.cluster.node("n2").unwrap().is_connected()).await;
        let r = live(&ctx.admin, "BETA", "COUNTCHANNELS").get().await;
        assert_eq!(r.text(), "0Note: no answer from node(s) n2\n");
        let v = live(&ctx.rw, "ACME", "CHANNELS").fmt("json").get().await.json();
        assert_eq!(v["missing_nodes"], json!(["n2"]), "{v}");
        assert!(v["rows"].is_array());
        sb.stop().await;
    }

    async fn a_cache_expire_of_an_object_the_node_never_cached_is_done_and_not_resent(ctx) {
        let server = AmiServer::start().await;
        let sb = Sb::with_node(ctx, &server).await;
        // The node has loaded the endpoint only (a phone registered); auth and aor it never read.
        server.state().cached.insert(("pjsip_endpoint".into(), "100-ACME".into()));
        ctx.ext(&ctx.a, "100", json!({})).await;
        wait_for("three expiries", || server.received_named("SorceryMemoryCacheExpireObject").len() == 3).await;
        wait_pending(ctx, 0).await;
        assert!(server.state().cached.is_empty());
        let states: Vec<String> = od_deliveries::Entity::find().all(&ctx.db.conn).await.unwrap().into_iter().map(|d| d.od_state).collect();
        assert_eq!(states, vec!["done"; 3]);
        let status = outbox::status(&ctx.db.conn).await.unwrap();
        assert_eq!((status[0].1.failed, status[0].1.last_error.as_str()), (0, ""));
        // Asterisk 22.10.1's answer, as the test server gives it.
        let node = sb.cluster.node("n1").unwrap();
        let expire = || switchboard::ami::Action::new("SorceryMemoryCacheExpireObject").header("Cache", "pjsip_aor").header("Object", "100-ACME");
        match node.client.send_with_timeout(expire(), Duration::from_secs(5)).await {
            Err(switchboard::ami::AmiError::Refused(m)) => assert_eq!(m, "The provided object could not be expired from the cache"),
            other => panic!("{other:?}"),
        }
        // A reconnect sends nothing again.
        let sent = server.received_named("SorceryMemoryCacheExpireObject").len();
        server.go_away().await;
        sb.wait_down("n1").await;
        server.come_back().await;
        sb.wait_connected(&["n1"]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(server.received_named("SorceryMemoryCacheExpireObject").len(), sent);
        // Any other refusal is still a failure, shown as the node's last error.
        server.fail_action("SorceryMemoryCacheExpireObject", "The provided cache does not exist");
        ctx.ext(&ctx.a, "101", json!({})).await;
        wait_for("failed", || server.received_named("SorceryMemoryCacheExpireObject").len() == sent + 3).await;
        wait_pending(ctx, 3).await;
        // The node has answered; the dispatcher records the refusals just after: wait for them.
        let mut status = outbox::status(&ctx.db.conn).await.unwrap();
        for _ in 0..100 {
            if status[0].1.failed == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            status = outbox::status(&ctx.db.conn).await.unwrap();
        }
        assert_eq!((status[0].1.failed, status[0].1.last_error.as_str()), (3, "The provided cache does not exist"));
        sb.stop().await;
    }

    /// A reconnect retries failed deliveries even when it happens between two dispatcher
    /// passes (the pass never sees the node down: the client's login count tells).
    async fn a_quick_reconnect_retries_failed_deliveries(ctx) {
        let server = AmiServer::start().await;
        register(ctx, "n1", &server).await;
        let settings = switchboard::cluster::Settings {
            outbox_poll: Duration::from_secs(2),
            backoff_min: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            ..Default::default()
        };
        let cluster = switchboard::cluster::Cluster::with_settings(ctx.db.clone(), settings);
        cluster.start();
        wait_for("n1 connected", || cluster.node("n1").is_some_and(|n| n.is_connected())).await;
        let client = cluster.node("n1").unwrap().client;
        server.fail_action("SorceryMemoryCacheExpireObject", "The provided cache does not exist");
        ctx.ext(&ctx.a, "100", json!({})).await;
        let failed = || async { outbox::status(&ctx.db.conn).await.unwrap()[0].1.failed };
        for _ in 0..100 {
            if failed().await == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(failed().await, 3);
        // The node works again, drops the link and is back within milliseconds.
        server.clear_failures();
        let logins = client.logins();
        server.go_away().await;
        server.come_back().await;
        wait_for("a new login", || client.logins() > logins).await;
        for _ in 0..100 {
            if failed().await == 0 && pending(ctx).await == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!((failed().await, pending(ctx).await), (0, 0));
        cluster.stop();
    }

    async fn countpeers_counts_reachable_contacts_of_existing_devices_and_empty_nodes(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.a, "101", json!({})).await;
        ctx.ext(&ctx.a, "103", json!({})).await;
        let gone = ctx.ext(&ctx.a, "102", json!({})).await;
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(id_of(&gone, "ex_id")).post().await;
        // n1: a reachable phone (two contacts), an unreachable one, one just registered (not
        // qualified yet), and the deleted device's registration still there; n2: no contact at
        // all (Asterisk answers an error).
        for (ep, host, status) in [("100-ACME", "a", "Reachable"), ("100-ACME", "b", "Reachable"), ("101-ACME", "c", "Unreachable"), ("103-ACME", "e", "NonQualified"), ("102-ACME", "d", "Reachable")] {
            servers[0].state().contacts.push(Contact { aor: ep.into(), endpoint: ep.into(), uri: format!("sip:{ep}@{host}"), status: status.into(), ..Default::default() });
        }
        for (key, tenant) in [(&ctx.rw, "ACME"), (&ctx.admin, "")] {
            let v = live(ctx, &sb, key, tenant, "COUNTPEERS").fmt("json").get().await.json();
            assert_eq!(v, json!({"n1": "2", "n2": "0", "total": 2}), "{tenant}");
            live(ctx, &sb, key, tenant, "COUNTPEERS").get().await.is_plain("n1:2|n2:0");
        }
        // A node with no contact at all is empty, not missing.
        servers[0].state().contacts.clear();
        let v = live(ctx, &sb, &ctx.rw, "ACME", "COUNTPEERS").fmt("json").get().await.json();
        assert_eq!(v, json!({"n1": "0", "n2": "0", "total": 0}));
        sb.stop().await;
    }

    async fn dial_presents_the_source_extensions_caller_id_by_default(ctx) {
        let server = AmiServer::start().await;
        let sb = Sb::with_node(ctx, &server).await;
        ctx.ext(&ctx.a, "100", json!({ "ex_name": "Alice", "ex_cidnum": "5550100" })).await;
        ctx.ext(&ctx.a, "101", json!({ "ex_name": "Bob" })).await;
        for (source, want) in [("100", "\"Alice\" <5550100>"), ("101", "\"Bob\" <101>")] {
            live(ctx, &sb, &ctx.rw, "ACME", "DIAL").p("source", source).p("dest", "5551234").get().await.text();
            let o = server.received_named("Originate");
            assert_eq!(o.last().unwrap().get("CallerID"), Some(want));
        }
        sb.stop().await;
    }

    async fn queue_agent_dnd_and_peers(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "100", json!({})).await;
        let q = entity::qu_queues::ActiveModel {
            qu_te_id: Set(ctx.a.id), qu_name: Set("Sales".into()), qu_number: Set("600".into()),
            qu_timeout: Set(0), qu_alwaysrecord: Set(String::new()), ..Default::default()
        }.insert(&ctx.db.conn).await.unwrap();
        let qid = q.qu_id.to_string();
        for s in &servers {
            s.state().queues.insert(qid.clone(), Queue::default());
        }
        let live = |key: &str, tenant: &str, reqtype: &str| live(ctx, &sb, key, tenant, reqtype);
        assert_eq!(live(&ctx.rw, "ACME", "QUEUE").p("action", "list").p("number", "600").fmt("json").get().await.text(), "null");
        live(&ctx.rw, "ACME", "QUEUE").p("action", "add").p("number", "600").p("extension", "100").get().await.is_plain("OK");
        for s in &servers {
            let add = s.received_named("QueueAdd");
            assert_eq!(add.len(), 1);
            assert_eq!(add[0].get("Interface"), Some("PJSIP/100-ACME"));
            assert_eq!(add[0].get("Queue"), Some(qid.as_str()));
        }
        assert_eq!(live(&ctx.rw, "ACME", "QUEUE").p("action", "list").p("id", &qid).fmt("json").get().await.text(), r#"["100-ACME"]"#);
        let full = live(&ctx.rw, "ACME", "QUEUE").p("action", "fulllist").p("number", "600").fmt("json").get().await.json();
        assert_eq!(full.as_array().unwrap().len(), 2);
        live(&ctx.rw, "ACME", "QUEUE").p("action", "add").p("number", "600").p("extension", "100").get().await.is_error_starting("Unable to add interface: Already there");
        // Another tenant cannot see or touch it; a read-only key cannot write.
        live(&ctx.admin, "BETA", "QUEUE").p("action", "list").p("number", "600").get().await.is_error_starting("no such queue");
        for action in ["add", "del", "clean"] {
            let r = live(&ctx.ro, "ACME", "QUEUE").p("action", action).p("number", "600").p("extension", "100").get().await;
            assert!(r.text().contains("read-only"), "{action}: {}", r.text());
        }
        // AGENT
        live(&ctx.rw, "ACME", "AGENT").p("action", "pause").p("extension", "100").p("queue", "ALL").p("pausereason", "lunch").get().await.is_plain("OK");
        let p = servers[0].received_named("QueuePause");
        assert_eq!((p[0].get("Paused"), p[0].get("Reason")), (Some("true"), Some("lunch")));
        assert_eq!(live(&ctx.rw, "ACME", "AGENT").p("action", "listqueues").p("extension", "100").fmt("json").get().await.text(), format!(r#"["{qid}"]"#));
        let r = live(&ctx.ro, "ACME", "AGENT").p("action", "unpause").p("extension", "100").get().await;
        assert!(r.text().contains("read-only"));
        live(&ctx.rw, "ACME", "QUEUE").p("action", "del").p("number", "600").p("extension", "100").get().await.is_plain("OK");
        assert_eq!(live(&ctx.rw, "ACME", "QUEUE").p("action", "list").p("number", "600").fmt("json").get().await.text(), "null");
        // DND: the row and AstDB on every node.
        live(&ctx.rw, "ACME", "DND").p("action", "get").p("number", "100").get().await.is_plain("");
        live(&ctx.rw, "ACME", "DND").p("action", "set").p("number", "100").p("value", "on").get().await.is_plain("OK");
        live(&ctx.rw, "ACME", "DND").p("action", "get").p("number", "100").get().await.is_plain("on");
        let key = ("DND".to_string(), "100-ACME".to_string());
        wait_for("DND on every node", || servers.iter().all(|s| s.state().astdb.contains_key(&key))).await;
        let r = live(&ctx.ro, "ACME", "DND").p("action", "set").p("number", "100").get().await;
        assert!(r.text().contains("read-only"));
        live(&ctx.admin, "BETA", "DND").p("action", "get").p("number", "100").get().await.is_plain("");
        // COUNTPEERS: registered devices per node, the tenant's only.
        for (s, ep) in [(&servers[0], "100-ACME"), (&servers[1], "100-ACME"), (&servers[1], "100-BETA")] {
            s.state().contacts.push(Contact { aor: ep.into(), endpoint: ep.into(), uri: format!("sip:{ep}@h"), status: "Reachable".into(), ..Default::default() });
        }
        let v = live(&ctx.rw, "ACME", "COUNTPEERS").fmt("json").get().await.json();
        assert_eq!(v, json!({"n1": "1", "n2": "1", "total": 2}));
        live(&ctx.rw, "ACME", "COUNTPEERS").get().await.is_plain("n1:1|n2:1");
        sb.stop().await;
    }
}

#[actix_rt::test]
async fn node_check_reports_version_and_missing_privileges() {
    let Some(ctx) = Ctx::start(Backend::Sqlite).await else {
        return;
    };
    let server = AmiServer::start().await;
    register(&ctx, "n1", &server).await;
    let check = |name: &'static str| {
        let db = ctx.db.clone();
        async move {
            switchboard::cluster::cli::run_node(
                &db,
                switchboard::cluster::cli::NodeCmd::Check { name: name.into() },
            )
            .await
        }
    };
    check("n1").await.unwrap();
    let n = nodes::list(&ctx.db.conn).await.unwrap();
    assert_eq!(n[0].version, crate::ami_server::ASTERISK_VERSION);
    server.deny_actions(&["Originate", "QueueAdd"]);
    let err = check("n1").await.unwrap_err().to_string();
    assert!(err.contains("Originate, QueueAdd"), "{err}");
    server.refuse_logins(true);
    let err = check("n1").await.unwrap_err().to_string();
    assert!(err.contains("login"), "{err}");
    assert!(!err.contains(SECRET));
    assert!(check("nope").await.is_err());
}
