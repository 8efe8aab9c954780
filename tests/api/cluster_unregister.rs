//! A device that goes leaves no registration behind (issue #12 item 6): an extension delete, a
//! rename and a tenant cascade drop the device's contacts on every node (a node that is down
//! when it happens drops them when it returns), through the outbox action the dispatcher
//! expands at delivery; UNREGISTER reaches any device the tenant owns. Against AMI test servers.

use crate::ami_server::{AmiServer, Contact};
use crate::cluster_harness::*;
use crate::common::*;
use serde_json::json;

fn contact(aor: &str, host: &str) -> Contact {
    Contact {
        aor: aor.into(),
        endpoint: aor.into(),
        uri: format!("sip:{aor}@{host}"),
        status: "Reachable".into(),
        reg_expire: 1_900_000_000,
        ..Default::default()
    }
}

/// The AORs of a node's registered contacts, in order.
fn aors(s: &AmiServer) -> Vec<String> {
    s.state().contacts.iter().map(|c| c.aor.clone()).collect()
}

/// The contact keys a node was sent `DBDel` for in `registrar/contact`.
fn contact_dels(s: &AmiServer) -> Vec<String> {
    s.received_named("DBDel")
        .iter()
        .filter(|r| r.get("Family") == Some("registrar/contact"))
        .map(|r| r.get("Key").unwrap_or("").to_string())
        .collect()
}

/// Wait until every delivery recorded so far is done (none pending, none failed).
async fn all_delivered(ctx: &Ctx) {
    for _ in 0..300 {
        if ctx.count_where("od_deliveries", "od_state <> 'done'").await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("deliveries still not done");
}

fn refused(r: &Resp, what: &str) {
    assert!(r.text().contains("read-only"), "{what}: {}", r.text());
}

backend_tests! {
    async fn an_extension_delete_unregisters_its_device_on_every_node(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        let gone = ctx.ext(&ctx.a, "100", json!({})).await;
        let kept = ctx.ext(&ctx.a, "101", json!({})).await;
        ctx.ext(&ctx.b, "100", json!({})).await;
        for s in &servers {
            let mut st = s.state();
            st.contacts.push(contact("100-ACME", "192.0.2.7"));
            st.contacts.push(contact("100-BETA", "192.0.2.8"));
            st.contacts.push(contact("100-ACME", "192.0.2.17:5070"));
            st.contacts.push(contact("101-ACME", "192.0.2.9"));
        }
        all_delivered(ctx).await;

        // n2 is down at delete time: n1 drops the device's contacts now, n2 when it returns.
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(id_of(&gone, "ex_id")).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        let left = ["100-BETA", "101-ACME"];
        wait_for("100-ACME unregistered on n1", || aors(&servers[0]) == left).await;
        let dels = contact_dels(&servers[0]);
        assert_eq!(dels.len(), 2, "one DBDel per contact: {dels:?}");
        assert!(dels.iter().all(|k| k.starts_with("100-ACME;@")), "{dels:?}");
        assert_eq!(aors(&servers[1]).len(), 4, "n2 was down");
        servers[1].come_back().await;
        wait_for("100-ACME unregistered on n2", || aors(&servers[1]) == left).await;
        assert_eq!(contact_dels(&servers[1]).len(), 2);
        all_delivered(ctx).await;

        // The deleted extension is no longer the tenant's (its delete unregistered it).
        let live = |key: &str, tenant: &str| live(ctx, &sb, key, tenant, "UNREGISTER");
        live(&ctx.rw, "ACME").p("peer", "100").get().await
            .is_error("parameter 'peer': no extension 100 in tenant ACME");
        live(&ctx.rw, "ACME").p("peer", "100-ACME").get().await
            .is_error("parameter 'peer': no extension 100 in tenant ACME");
        // UNREGISTER by number; another tenant's device stays out of reach; read-only refused.
        refused(&live(&ctx.ro, "ACME").p("peer", "101").get().await, "UNREGISTER");
        live(&ctx.rw, "ACME").p("peer", "100-BETA").get().await
            .is_error("parameter 'peer': no extension 100-BETA in tenant ACME");
        assert_eq!(aors(&servers[0]), left, "nothing changed");
        live(&ctx.rw, "ACME").p("peer", "101").get().await.is_plain("OK");
        for s in &servers {
            assert_eq!(aors(s), ["100-BETA"]);
        }
        // By device name, the other tenant's own device.
        let r = live(&ctx.admin, "BETA").p("peer", "100-BETA").fmt("json").get().await;
        assert_eq!(r.text(), "\"OK\"");
        for s in &servers {
            assert!(aors(s).is_empty(), "{:?}", aors(s));
        }

        // A rename leaves the old name's registration nowhere (here none is left: an AOR
        // without contacts is done, with no DBDel).
        for s in &servers {
            s.clear_received();
        }
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id_of(&kept, "ex_id"))
            .json(&json!({ "ex_number": "102" })).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        all_delivered(ctx).await;
        for s in &servers {
            assert!(contact_dels(s).is_empty());
            assert!(!s.received_named("PJSIPShowContacts").is_empty(), "the node was asked");
        }
        sb.stop().await;
    }

    /// UNREGISTER reaches a node that does not answer through the outbox: it drops the
    /// contacts when it is back (a named peer registered on no answering node is then no error).
    async fn unregister_reaches_a_node_that_was_down_when_it_returns(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.a, "101", json!({})).await;
        ctx.ext(&ctx.b, "100", json!({})).await;
        servers[0].state().contacts.push(contact("101-ACME", "192.0.2.9"));
        {
            let mut st = servers[1].state();
            for aor in ["100-ACME", "100-BETA", "101-ACME"] {
                st.contacts.push(contact(aor, "192.0.2.7"));
            }
        }
        all_delivered(ctx).await;
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        let live = |key: &str| live(ctx, &sb, key, "ACME", "UNREGISTER");
        let before = ctx.count("ob_outbox").await;
        refused(&live(&ctx.ro).p("peer", "ALL").get().await, "UNREGISTER");
        assert_eq!(ctx.count("ob_outbox").await, before, "a read-only key records nothing");
        live(&ctx.rw).p("peer", "100").get().await.is_plain("OKNote: no answer from node(s) n2\n");
        servers[1].come_back().await;
        wait_for("100-ACME unregistered on n2", || aors(&servers[1]) == ["100-BETA", "101-ACME"]).await;
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        live(&ctx.rw).p("peer", "ALL").get().await.is_plain("OKNote: no answer from node(s) n2\n");
        assert!(aors(&servers[0]).is_empty());
        servers[1].come_back().await;
        wait_for("ACME unregistered on n2", || aors(&servers[1]) == ["100-BETA"]).await;
        all_delivered(ctx).await;
        sb.stop().await;
    }

    /// A device stored under a name the server did not write (rows from before names were the
    /// server's) is reached by that name too.
    async fn unregister_reaches_a_device_by_its_stored_name(ctx) {
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let server = AmiServer::start().await;
        let sb = Sb::with_node(ctx, &server).await;
        let row = ctx.ext(&ctx.a, "103", json!({})).await;
        let ext = entity::ex_extensions::Entity::find_by_id(id_of(&row, "ex_id"))
            .one(&ctx.db.conn).await.unwrap().unwrap();
        let mut ext: entity::ex_extensions::ActiveModel = ext.into();
        ext.ex_username = Set("acme.front".into());
        ext.update(&ctx.db.conn).await.unwrap();
        server.state().contacts.push(contact("acme.front", "192.0.2.7"));
        server.state().contacts.push(contact("100-BETA", "192.0.2.8"));
        let live = |key: &str, tenant: &str| live(ctx, &sb, key, tenant, "UNREGISTER");
        live(&ctx.admin, "BETA").p("peer", "acme.front").get().await
            .is_error_starting("parameter 'peer'");
        live(&ctx.rw, "ACME").p("peer", "acme.front").get().await.is_plain("OK");
        assert_eq!(aors(&server), ["100-BETA"]);
        sb.stop().await;
    }

    async fn a_tenant_cascade_delete_unregisters_every_device_of_the_tenant(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "100", json!({})).await;
        ctx.ext(&ctx.b, "101", json!({})).await;
        for s in &servers {
            let mut st = s.state();
            for aor in ["100-BETA", "100-ACME", "101-BETA"] {
                st.contacts.push(contact(aor, "192.0.2.7"));
            }
        }
        all_delivered(ctx).await;
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        let r = ctx.mdb(&ctx.admin, None, "tenant", "delete").id(ctx.b.id).p("cascade", "yes").post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        wait_for("BETA unregistered on n1", || aors(&servers[0]) == ["100-ACME"]).await;
        servers[1].come_back().await;
        wait_for("BETA unregistered on n2", || aors(&servers[1]) == ["100-ACME"]).await;
        all_delivered(ctx).await;
        let mut dels = contact_dels(&servers[1]);
        dels.sort();
        assert_eq!(dels.len(), 2);
        assert!(dels[0].starts_with("100-BETA;@") && dels[1].starts_with("101-BETA;@"), "{dels:?}");
        sb.stop().await;
    }

    /// Done means none left: a node that keeps the contact fails the delivery (retried when
    /// it reconnects), it is not marked done.
    async fn an_unregister_the_node_does_not_carry_out_is_not_done(ctx) {
        let server = AmiServer::start().await;
        let sb = Sb::with_node(ctx, &server).await;
        let row = ctx.ext(&ctx.a, "100", json!({})).await;
        all_delivered(ctx).await;
        server.state().contacts.push(contact("100-ACME", "192.0.2.7"));
        server.fail_action("DBDel", "Database entry could not be deleted");
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "delete").id(id_of(&row, "ex_id")).post().await;
        let failed = "od_state = 'failed' AND od_message LIKE '%1 contact(s) of 100-ACME still registered%'";
        for _ in 0..300 {
            if ctx.count_where("od_deliveries", failed).await == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(ctx.count_where("od_deliveries", failed).await, 1);
        assert_eq!(aors(&server), ["100-ACME"]);
        // The node works again and reconnects: the delivery is retried and done.
        server.clear_failures();
        server.go_away().await;
        sb.wait_down("n1").await;
        // Let a dispatcher pass see the node down (a reconnect is what retries).
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        server.come_back().await;
        wait_for("100-ACME unregistered", || aors(&server).is_empty()).await;
        all_delivered(ctx).await;
        sb.stop().await;
    }
}
