//! The cluster: nodes, the outbox of node actions (recorded with the write that causes them,
//! per-node deliveries, tenant pinning).

mod common;

use common::*;
use entity::{ob_outbox, od_deliveries};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;
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
            name: "ast1", host: "h", port: 1, username: "u", secret: "x",
        }).await;
        assert!(dup.unwrap_err().to_string().contains("already exists"));
        for (name, host, port, user, secret, field) in [
            ("bad name", "h", 5038, "u", "s", "name"),
            ("n2", "", 5038, "u", "s", "host"),
            ("n2", "h", 0, "u", "s", "port"),
            ("n2", "h", 5038, "u\r\nAction: Originate", "s", "user"),
            ("n2", "h", 5038, "u", "s\r\nAction: Originate", "secret"),
        ] {
            let err = nodes::add(&ctx.db.conn, nodes::NewNode {
                name, host, port, username: user, secret,
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
        // Unpinned again: all nodes.
        nodes::pin(&ctx.db.conn, ctx.a.id, &[]).await.unwrap();
        assert_eq!(nodes::targets(&ctx.db.conn, Some(ctx.a.id)).await.unwrap(), vec![n1, n2]);
        assert!(nodes::pin(&ctx.db.conn, ctx.a.id, &["nope"]).await.is_err());
    }
}
