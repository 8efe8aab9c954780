//! Calls and what nodes report about them: AMI `Cdr` events feeding the CDR store, DIAL learning
//! its call's uniqueid from the OriginateResponse, FAX and CAMPAIGN against AMI test servers.

use crate::ami_server::{AmiServer, CdrEvent};
use crate::cluster_harness::*;
use crate::common::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use switchboard::cluster::nodes;

/// Wait until a row count reaches `n` (events are consumed asynchronously).
async fn wait_count(ctx: &Ctx, table: &str, cond: &str, n: i64) {
    for _ in 0..200 {
        if ctx.count_where(table, cond).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        ctx.count_where(table, cond).await,
        n,
        "{table} where {cond}"
    );
}

fn rows(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}"))
}

backend_tests! {
    /// Device names are the server's (`<ex_number>-<CODE>`): no key can claim another tenant's,
    /// and whose a channel or CDR is comes from the stored device, also for a row named before
    /// that rule (`300-BETA`, `acme.front` held by ACME).
    async fn device_names_are_the_servers_and_the_stored_device_tells_whose_a_call_is(ctx) {
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use entity::ex_extensions as ex;
        let (_, beta) = ctx.mint(KeySpec { tenant_id: Some(ctx.b.id), ..Default::default() }).await;
        // Through the API: a name other than the server's is refused, the server's accepted.
        for (key, tenant, number, name) in [
            (&beta, "BETA", "301", "300-ACME"),
            (&beta, "BETA", "301", "acme.front"),
            (&ctx.rw, "ACME", "302", "302-BETA"),
            (&ctx.rw, "ACME", "302", "302-acme"),
        ] {
            ctx.mdb(key, Some(tenant), "extension", "add").json(&json!({ "ex_number": number, "ex_username": name })).post().await
                .is_error_starting("field 'ex_username' is set by the server");
        }
        assert_eq!(ctx.count("ex_extensions").await, 0);
        assert_eq!(ctx.count("ps_endpoints").await, 0);
        let echo = ctx.add(&ctx.rw, Some("ACME"), "extension", json!({ "ex_number": "302", "ex_username": "302-ACME" })).await;
        assert_eq!(echo["ex_username"], "302-ACME");
        let id = echo["ex_id"].as_str().map(|s| s.parse::<i32>().unwrap()).or(echo["ex_id"].as_i64().map(|i| i as i32)).unwrap();
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id).json(&json!({ "ex_username": "acme.front" })).post().await
            .is_error_starting("field 'ex_username' is set by the server");
        // A new number renames the device (and its realtime rows).
        ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(id).json(&json!({ "ex_number": "303" })).post().await;
        assert_eq!(ctx.count_where("ex_extensions", "ex_username = '303-ACME' AND ex_number = '303'").await, 1);
        assert_eq!(ctx.count_where("ps_endpoints", "id = '303-ACME'").await, 1);
        assert_eq!(ctx.count_where("ps_endpoints", "id = '302-ACME'").await, 0);

        // Rows named before the rule: ACME holds `300-BETA` and `acme.front`.
        let legacy = |number: &'static str, name: &'static str| async move {
            let row = ctx.ext(&ctx.a, number, json!({})).await;
            let id = row["ex_id"].as_str().map(|s| s.parse::<i32>().unwrap()).or(row["ex_id"].as_i64().map(|i| i as i32)).unwrap();
            let was = format!("{number}-ACME");
            ex::Entity::update_many().col_expr(ex::Column::ExUsername, Expr::value(name))
                .filter(ex::Column::ExId.eq(id)).exec(&ctx.db.conn).await.unwrap();
            use entity::{ps_aors, ps_auths, ps_endpoints};
            ps_endpoints::Entity::update_many().col_expr(ps_endpoints::Column::Id, Expr::value(name))
                .col_expr(ps_endpoints::Column::Aors, Expr::value(name)).col_expr(ps_endpoints::Column::Auth, Expr::value(name))
                .filter(ps_endpoints::Column::Id.eq(was.as_str())).exec(&ctx.db.conn).await.unwrap();
            ps_auths::Entity::update_many().col_expr(ps_auths::Column::Id, Expr::value(name)).col_expr(ps_auths::Column::Username, Expr::value(name))
                .filter(ps_auths::Column::Id.eq(was.as_str())).exec(&ctx.db.conn).await.unwrap();
            ps_aors::Entity::update_many().col_expr(ps_aors::Column::Id, Expr::value(name))
                .filter(ps_aors::Column::Id.eq(was.as_str())).exec(&ctx.db.conn).await.unwrap();
        };
        legacy("310", "300-BETA").await;
        legacy("311", "acme.front").await;
        let node = AmiServer::start().await;
        {
            let mut s = node.state();
            s.channels.push(crate::ami_server::Channel::new("PJSIP/300-BETA-00000001", "from-internal-ACME", "5551234"));
            s.channels.push(crate::ami_server::Channel::new("PJSIP/acme.front-00000002", "from-internal-ACME", "5551234"));
        }
        let sb = Sb::with_node(ctx, &node).await;
        let channels = |key: &str, tenant: &str| sb.req(ctx, "CHANNELS", key, tenant).fmt("json").get();
        let names = |v: Value| rows(&v).iter().map(|r| r["channel"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(names(channels(&beta, "BETA").await.json()), Vec::<String>::new());
        assert_eq!(names(channels(&ctx.rw, "ACME").await.json()), ["PJSIP/300-BETA-00000001", "PJSIP/acme.front-00000002"]);
        sb.req(ctx, "HANGUP", &beta, "BETA").p("channel", "PJSIP/300-BETA-00000001").get().await.is_error_starting("parameter 'channel'");
        sb.req(ctx, "INFO", &beta, "BETA").p("info", "variable").p("variable", "BETA-x").p("channel", "PJSIP/300-BETA-00000001").get().await
            .is_error_starting("parameter 'channel'");
        assert!(node.received_named("Hangup").is_empty());
        assert!(node.received_named("Getvar").is_empty());
        sb.req(ctx, "HANGUP", &ctx.rw, "ACME").p("channel", "PJSIP/300-BETA-00000001").get().await.is_plain("Success|Channel Hungup|");
        // Their CDRs are ACME's.
        node.emit_cdr(&CdrEvent::answered("PJSIP/300-BETA-00000001", "PJSIP/trunk-00000003", "310", "5551234", "1795319990.1"));
        node.emit_cdr(&CdrEvent::answered("PJSIP/acme.front-00000002", "PJSIP/trunk-00000004", "311", "5551234", "1795319990.2"));
        wait_count(ctx, "cdr", "1 = 1", 2).await;
        assert_eq!(ctx.count_where("cdr", &format!("te_id = {} AND direction = 'OUT'", ctx.a.id)).await, 2);
        assert_eq!(ctx.count_where("cdr", "realsrc = '310' OR realsrc = '311'").await, 2);
        // Such a row gets its server name at its next update.
        let row = ex::Entity::find().filter(ex::Column::ExUsername.eq("300-BETA")).one(&ctx.db.conn).await.unwrap().unwrap();
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "update").id(row.ex_id).json(&json!({ "ex_name": "Renamed" })).post().await;
        assert!(!r.is_any_error(), "{}", r.text());
        assert_eq!(ctx.count_where("ex_extensions", "ex_username = '310-ACME' AND ex_name = 'Renamed'").await, 1);
        assert_eq!(ctx.count_where("ps_endpoints", "id = '310-ACME'").await, 1);
        assert_eq!(ctx.count_where("ps_endpoints", "id = '300-BETA'").await, 0);
        // BETA may now have its own 300.
        let mine = ctx.add(&beta, Some("BETA"), "extension", json!({ "ex_number": "300" })).await;
        assert_eq!(mine["ex_username"], "300-BETA");
        sb.stop().await;
    }

    /// DIAL values that would set further channel variables (`,`/`|`) or headers (CR/LF) are
    /// refused naming the parameter, and nothing reaches the node.
    async fn dial_refuses_values_that_would_forge_channel_variables(ctx) {
        let node = AmiServer::start().await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        let sb = Sb::with_node(ctx, &node).await;
        let dial = || sb.req(ctx, "DIAL", &ctx.rw, "ACME").p("source", "100").p("dest", "5551234");
        for (name, value) in [
            ("var", "x=1,TENANT=BETA,ORIGINATEID=forged"),
            ("var", "x=1\r\nVariable: TENANT=BETA"),
            ("destclid", "Bob,TENANT=BETA"),
            ("destclid", "Bob|TENANT=BETA"),
            ("destclid", "Bob\r\nVariable: TENANT=BETA"),
            ("sourceclid", "Bob\r\nVariable: TENANT=BETA"),
            ("account", "100-ACME\r\nVariable: TENANT=BETA"),
        ] {
            dial().p(name, value).get().await.is_error_starting(&format!("parameter '{name}'"));
        }
        assert!(node.received_named("Originate").is_empty());
        assert_eq!(ctx.count("dc_dialcalls").await, 0);
        // What is allowed still goes: a comma in the caller id name (not a variable).
        dial().p("var", "x=1").p("destclid", "Bob").p("sourceclid", "\"Doe, John\" <100>").get().await;
        let o = node.received_named("Originate");
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].get("CallerID"), Some("\"Doe, John\" <100>"));
        let vars = o[0].get_all("Variable");
        assert!(vars.contains(&"ACME-x=1") && vars.contains(&"DESTCLID=Bob"), "{vars:?}");
        assert!(vars.iter().all(|v| !v.contains(',')), "{vars:?}");
        assert_eq!(vars.iter().filter(|v| v.starts_with("TENANT=")).count(), 1);
        assert_eq!(vars.iter().filter(|v| v.starts_with("ORIGINATEID=")).count(), 1);
        sb.stop().await;
    }

    /// IVR choices the dialplan reports (`UserEvent: SwitchboardIvr`) land in the IVR log once
    /// each; RESPONSEPATH reads a call's path back; another tenant sees nothing of it.
    async fn ivr_events_make_the_response_path(ctx) {
        let node = AmiServer::start().await;
        let ivr = ctx.add(&ctx.rw, Some("ACME"), "ivr", json!({ "iv_name": "Main menu" })).await;
        let iv = ivr["iv_id"].as_str().unwrap().to_string();
        let sb = Sb::with_node(ctx, &node).await;
        let choice = |uid: &str, ts: &str, ivr: &str, digits: &str, dest: &str| {
            node.emit(&[
                ("Event", "UserEvent"), ("Privilege", "user,all"), ("Channel", "PJSIP/trunk-00000001"),
                ("Uniqueid", uid), ("CallerIDNum", "5551234"), ("Timestamp", ts),
                ("UserEvent", "SwitchboardIvr"), ("IvrId", ivr), ("Digits", digits), ("Destination", dest),
            ]);
        };
        choice("1795319980.5", "1795319981.000100", &iv, "1", "IVR-7");
        choice("1795319980.5", "1795319981.000100", &iv, "1", "IVR-7");
        choice("1795319980.5", "1795319990.000200", &iv, "9", "9999");
        choice("1795319980.5", "1795319990.000300", "9999", "2", "QUEUE-3"); // no such IVR: skipped
        choice("1795319980.5", "1795319995.000400", &iv, "2", "QUEUE-3");
        choice("1795319999.9", "1795320000.000500", &iv, "#", "EXT-100");
        wait_count(ctx, "il_ivrlogs", "1 = 1", 4).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(ctx.count("il_ivrlogs").await, 4);

        let path = |key: &str, tenant: &str| sb.req(ctx, "RESPONSEPATH", key, tenant).p("uniqueid", "1795319980.5");
        let step = |value: &str, name: &str| json!({ "uniqueid": "1795319980.5", "type": "IVR", "type_id": iv, "value": value, "type_name": "Main menu", "value_name": name });
        assert_eq!(path(&ctx.ro, "ACME").fmt("json").get().await.json(), json!([step("1", "IVR-7"), step("9", "9999"), step("2", "QUEUE-3")]));
        path(&ctx.ro, "ACME").p("digits", "2").get().await.is_plain(&format!(
            "UniqueID|Type|Type ID|Value|Type Name|Value Name\n1795319980.5|IVR|{iv}|2|Main menu|QUEUE-3\n"
        ));
        // Two calls at once, by a comma list.
        let both = sb.req(ctx, "RESPONSEPATH", &ctx.rw, "ACME").p("uniqueid", "1795319980.5,1795319999.9").fmt("json").get().await.json();
        assert_eq!(both.as_array().unwrap().len(), 4, "{both}");
        // Another tenant: nothing; a tenant key naming another tenant: the auth failure.
        path(&ctx.admin, "BETA").get().await.is_plain("");
        path(&ctx.rw, "BETA").get().await.is_too_bad();
        sb.req(ctx, "RESPONSEPATH", &ctx.rw, "ACME").get().await
            .is_error("parameter 'uniqueid' (or a 'start' date) is required");
        sb.stop().await;
    }

    async fn cdr_events_land_enriched_once_and_malformed_ones_are_skipped(ctx) {
        let node = AmiServer::start().await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        let sb = Sb::with_node(ctx, &node).await;
        let out = CdrEvent::answered("PJSIP/100-ACME-00000001", "PJSIP/trunk-00000002", "100", "5551234", "1795319970.1");
        node.emit_cdr(&out);
        wait_count(ctx, "cdr", "1 = 1", 1).await;
        let acme = format!("te_id = {} AND direction = 'OUT' AND node = 'n1' AND userfield = '[outbound]'", ctx.a.id);
        assert_eq!(ctx.count_where("cdr", &acme).await, 1);
        assert_eq!(ctx.count_where("sc_simplecdrs", &format!("sc_te_id = {} AND sc_direction = 'OUT'", ctx.a.id)).await, 1);
        // The same leg again, a malformed one, then a good one: the good one lands, once each.
        node.emit_cdr(&out);
        node.emit_cdr(&CdrEvent { start: "yesterday".into(), uniqueid: "1795319970.9".into(), ..out.clone() });
        node.emit_cdr(&CdrEvent { uniqueid: String::new(), ..out.clone() });
        let mut inbound = CdrEvent::answered("PJSIP/trunk-00000003", "PJSIP/100-ACME-00000004", "5559876", "0612345", "1795319971.3");
        inbound.caller_id = "\"Bob\" <5559876>".into();
        node.emit_cdr(&inbound);
        wait_count(ctx, "cdr", "1 = 1", 2).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(ctx.count("cdr").await, 2);
        assert_eq!(ctx.count("sc_simplecdrs").await, 2);
        assert_eq!(ctx.count_where("cdr", "uniqueid = '1795319970.9'").await, 0);
        // Through the API: the tenant sees both, enriched; another tenant sees none.
        let v = sb.req(ctx, "INFO", &ctx.rw, "ACME").p("info", "cdrs").fmt("json").get().await.json();
        let list = rows(&v);
        assert_eq!(list.len(), 2, "{v}");
        let inb = list.iter().find(|r| r["uniqueid"] == "1795319971.3").unwrap();
        assert_eq!((inb["direction"].as_str(), inb["lastdst"].as_str(), inb["clid"].as_str()), (Some("IN"), Some("100"), Some("\"Bob\" <5559876>")));
        let v = sb.req(ctx, "INFO", &ctx.admin, "BETA").p("info", "cdrs").fmt("json").get().await.json();
        assert_eq!(rows(&v).len(), 0, "{v}");
        // A leg of no known tenant is kept with te_id 0.
        node.emit_cdr(&CdrEvent::answered("Local/100@from-internal-00000000;1", "", "5551234", "200", "1795319962.0"));
        wait_count(ctx, "cdr", "te_id = 0", 1).await;
        // A tenant added while the consumer runs: its calls are recognised (the tenants the
        // handler knows are loaded again when a call matches none).
        let gamma = switchboard::cli::add_tenant(&ctx.db, "GAMMA", "Gamma", json!({})).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        node.emit_cdr(&CdrEvent::answered("PJSIP/100-GAMMA-00000009", "PJSIP/trunk-0000000a", "100", "5551234", "1795319963.0"));
        wait_count(ctx, "cdr", &format!("te_id = {gamma} AND uniqueid = '1795319963.0'"), 1).await;
        sb.stop().await;
    }

    /// cdr_manager writes a node's local wall-clock time: a node whose clock runs on Rome time
    /// (`node tz n1 Europe/Rome`) has its CDRs stored in UTC, summer and winter.
    async fn cdr_event_times_are_read_in_the_nodes_zone(ctx) {
        let node = AmiServer::start().await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        register(ctx, "n1", &node).await;
        let zone = nodes::set_timezone(&ctx.db.conn, "n1", "Europe/Rome").await.unwrap();
        assert_eq!(zone, "Europe/Rome");
        assert!(nodes::set_timezone(&ctx.db.conn, "n1", "Rome").await.unwrap_err().to_string().starts_with("tz"));
        let sb = Sb::start(ctx).await;
        sb.wait_connected(&["n1"]).await;
        let summer = CdrEvent {
            start: "2026-07-01 12:00:00".into(), answer: "2026-07-01 12:00:02".into(), end: "2026-07-01 12:00:12".into(),
            ..CdrEvent::answered("PJSIP/100-ACME-00000001", "PJSIP/trunk-00000002", "100", "5551234", "1795319970.1")
        };
        let winter = CdrEvent {
            start: "2026-12-01 12:00:00".into(), answer: String::new(), end: "2026-12-01 12:00:09".into(),
            ..CdrEvent::answered("PJSIP/100-ACME-00000003", "PJSIP/trunk-00000004", "100", "5551234", "1795319980.1")
        };
        node.emit_cdr(&summer);
        node.emit_cdr(&winter);
        wait_count(ctx, "cdr", "1 = 1", 2).await;
        let v = sb.req(ctx, "INFO", &ctx.rw, "ACME").p("info", "cdrs").fmt("json").get().await.json();
        let times: Vec<_> = rows(&v).iter().map(|r| (r["start"].as_str().unwrap().to_string(), r["answer"].as_str().unwrap_or("").to_string(), r["end"].as_str().unwrap().to_string())).collect();
        assert_eq!(times, [
            ("2026-07-01 10:00:00".to_string(), "2026-07-01 10:00:02".to_string(), "2026-07-01 10:00:12".to_string()),
            ("2026-12-01 11:00:00".to_string(), String::new(), "2026-12-01 11:00:09".to_string()),
        ], "{v}");
        sb.stop().await;
    }

    async fn dial_learns_the_uniqueid_without_waiting_and_its_cdr_is_found_by_the_dial_id(ctx) {
        let node = AmiServer::start().await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        let sb = Sb::with_node(ctx, &node).await;
        let dial = || sb.req(ctx, "DIAL", &ctx.rw, "ACME").p("source", "100").p("dest", "5551234");
        // The node reports no outcome yet: the answer does not wait for it.
        node.silent_originate(true);
        let text = dial().get().await.text();
        let id = text.strip_prefix("Success|Originate successfully queued|").and_then(|s| s.strip_suffix('|'))
            .unwrap_or_else(|| panic!("{text}")).to_string();
        let row = |cond: &str| format!("dc_originateid = '{id}' AND {cond}");
        assert_eq!(ctx.count_where("dc_dialcalls", &row("dc_state = 'queued' AND dc_uniqueid = ''")).await, 1);
        let o = node.received_named("Originate");
        let action_id = o[0].get("ActionID").unwrap().to_string();
        // Another action's outcome changes nothing; this one's is recorded.
        node.emit_originate_response("other-1", true, "PJSIP/100-ACME-00000009", "1795319999.9");
        node.emit_originate_response(&action_id, true, "PJSIP/100-ACME-00000001", "1795319980.1");
        wait_count(ctx, "dc_dialcalls", &row("dc_state = 'answered' AND dc_uniqueid = '1795319980.1' AND dc_reason = 4 AND dc_channel = 'PJSIP/100-ACME-00000001'"), 1).await;
        // The call's CDR (no OriginateID mapping on the node) carries the DIAL id.
        node.emit_cdr(&CdrEvent::answered("PJSIP/100-ACME-00000001", "PJSIP/trunk-00000002", "100", "5551234", "1795319980.1"));
        wait_count(ctx, "cdr", &format!("originateid = '{id}'"), 1).await;
        let v = sb.req(ctx, "INFO", &ctx.rw, "ACME").p("info", "cdrs").p("originateid", &id).fmt("json").get().await.json();
        assert_eq!(rows(&v).len(), 1, "{v}");
        assert_eq!(rows(&v)[0]["uniqueid"], "1795319980.1");

        // A CDR that arrives before the outcome is linked when the outcome comes.
        let text = dial().get().await.text();
        let id2 = text.split('|').nth(2).unwrap().to_string();
        node.emit_cdr(&CdrEvent::answered("PJSIP/100-ACME-00000005", "PJSIP/trunk-00000006", "100", "5551234", "1795319981.5"));
        wait_count(ctx, "cdr", "uniqueid = '1795319981.5'", 1).await;
        let action_id = node.received_named("Originate")[1].get("ActionID").unwrap().to_string();
        node.emit_originate_response(&action_id, true, "PJSIP/100-ACME-00000005", "1795319981.5");
        wait_count(ctx, "cdr", &format!("uniqueid = '1795319981.5' AND originateid = '{id2}'"), 1).await;

        // A call that fails to connect.
        let text = dial().get().await.text();
        let id3 = text.split('|').nth(2).unwrap().to_string();
        let action_id = node.received_named("Originate")[2].get("ActionID").unwrap().to_string();
        node.emit_originate_response(&action_id, false, "PJSIP/100-ACME", "<null>");
        wait_count(ctx, "dc_dialcalls", &format!("dc_originateid = '{id3}' AND dc_state = 'failed' AND dc_uniqueid = ''"), 1).await;
        // With the outcome sent at once (as Asterisk does), it is recorded too.
        node.silent_originate(false);
        let text = dial().get().await.text();
        let id4 = text.split('|').nth(2).unwrap().to_string();
        wait_count(ctx, "dc_dialcalls", &format!("dc_originateid = '{id4}' AND dc_state = 'answered' AND dc_uniqueid <> ''"), 1).await;
        sb.stop().await;
    }

    async fn fax_send_list_download_and_isolation(ctx) {
        let node = AmiServer::start().await;
        let sb = Sb::with_node(ctx, &node).await;
        let fax = |key: &str, tenant: &str, action: &str| sb.req(ctx, "FAX", key, tenant).p("action", action);
        let pdf: Vec<u8> = [b"%PDF-1.4\n".as_slice(), &[7u8; 3000], b"\n%%EOF\n"].concat();
        let r = fax(&ctx.rw, "ACME", "send").p("number", "5550001").p("callerid", "Acme <5550000>")
            .file("filename", "../../etc/quarterly report.pdf", pdf.clone()).fmt("json").multipart().await;
        let v = r.json();
        let sent = &rows(&v)[0];
        let fx_id = sent["fx_id"].as_str().unwrap().to_string();
        assert_eq!((sent["fx_number"].as_str(), sent["fx_type"].as_str(), sent["fx_name"].as_str()), (Some("5550001"), Some("pdf"), Some("quarterly report.pdf")), "{v}");
        let faxid = sent["fx_originateid"].as_str().unwrap().to_string();
        // The node got the Originate of the dialplan contract.
        let o = node.received_named("Originate");
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].get("Channel"), Some("Local/5550001@from-internal-ACME"));
        assert_eq!((o[0].get("Context"), o[0].get("Exten")), (Some("switchboard-fax-out"), Some("s")));
        let vars = o[0].get_all("Variable");
        assert!(vars.contains(&format!("FAXID={faxid}").as_str()), "{vars:?}");
        assert!(vars.contains(&"FAXTYPE=pdf") && vars.contains(&"TENANT=ACME"), "{vars:?}");
        let file = vars.iter().find_map(|v| v.strip_prefix("FAXFILE=")).unwrap();
        assert_eq!(std::fs::read(file).unwrap(), pdf);
        assert!(std::path::Path::new(file).starts_with(ctx.config.fax_dir().canonicalize().unwrap()));
        assert!(!file.contains("quarterly"), "the client's name is never a path: {file}");
        // Answered, then the dialplan reports the result.
        wait_count(ctx, "fx_faxes", &format!("fx_id = {fx_id} AND fx_status = 'sending'"), 1).await;
        let channel = node.originated_with("FAXID", &faxid).unwrap();
        node.emit_fax_result(&channel, "wrong-id", "SUCCESS", "9", "");
        node.emit_fax_result(&channel, &faxid, "MAYBE", "1", "");
        node.emit_fax_result(&channel, &faxid, "SUCCESS", "3", "");
        wait_count(ctx, "fx_faxes", &format!("fx_id = {fx_id} AND fx_status = 'sent' AND fx_pages = 3"), 1).await;
        // list (FAX and INFO fax), download with Range.
        for r in [
            fax(&ctx.ro, "ACME", "list").fmt("json").get().await,
            sb.req(ctx, "INFO", &ctx.rw, "ACME").p("info", "fax").fmt("json").get().await,
        ] {
            let v = r.json();
            assert_eq!(rows(&v).len(), 1, "{v}");
            assert_eq!(rows(&v)[0]["fx_status"], "sent");
        }
        let r = fax(&ctx.ro, "ACME", "download").p("id", &fx_id).get().await;
        assert_eq!((r.content_type.as_str(), r.body.clone()), ("application/pdf", pdf.clone()));
        assert_eq!(r.disposition.as_deref(), Some(format!("attachment; filename=\"fax-{fx_id}.pdf\"").as_str()));
        let r = fax(&ctx.rw, "ACME", "download").p("id", &fx_id).header("range", "bytes=0-3").get().await;
        assert_eq!((r.status, r.body.as_slice()), (206, b"%PDF".as_slice()));
        // Refusals: nothing stored, nothing originated.
        let tiff_too_big = [b"II*\0".as_slice(), &vec![0u8; 10 << 20]].concat();
        for (req, err) in [
            (fax(&ctx.rw, "ACME", "send").p("number", "5550001").file("filename", "a.wav", wav(1)), "parameter 'filename' must be a PDF or TIFF document"),
            (fax(&ctx.rw, "ACME", "send").p("number", "5550001").file("filename", "big.tif", tiff_too_big), "parameter 'filename': the document is larger than 10 MiB"),
            (fax(&ctx.rw, "ACME", "send").p("number", "555\r\nAction: Hangup").file("filename", "a.pdf", pdf.clone()), "parameter 'number' must be a phone number (digits, '*', '#', a leading '+')"),
            (fax(&ctx.rw, "ACME", "send").p("number", "5550001"), "parameter 'filename' (a PDF or TIFF file) is required"),
            (fax(&ctx.rw, "ACME", "send").p("number", "5550001").p("callerid", "x\ny").file("filename", "a.pdf", pdf.clone()), "parameter 'callerid' must be at most 80 characters without control characters"),
            (fax(&ctx.rw, "ACME", "frobnicate"), "parameter 'action': 'frobnicate' is not one of send, list, download"),
        ] {
            req.multipart().await.is_error(err);
        }
        let r = fax(&ctx.ro, "ACME", "send").p("number", "5550001").file("filename", "a.pdf", pdf.clone()).multipart().await;
        r.is_error("this key is read-only; FAX send needs a read/write key");
        assert_eq!(ctx.count("fx_faxes").await, 1);
        assert_eq!(node.received_named("Originate").len(), 1);
        // Another tenant sees and downloads nothing of ACME's.
        let v = fax(&ctx.admin, "BETA", "list").fmt("json").get().await.json();
        assert_eq!(rows(&v).len(), 0, "{v}");
        fax(&ctx.admin, "BETA", "download").p("id", &fx_id).get().await.is_error(&format!("parameter 'id': no fax {fx_id}"));
        fax(&ctx.rw, "BETA", "list").get().await.is_too_bad();
        // A refused Originate is recorded as refused.
        node.fail_action("Originate", "Originate failed");
        let r = fax(&ctx.rw, "ACME", "send").p("number", "5550002").file("filename", "b.tif", b"MM\0*\0\0\0\x08".to_vec()).multipart().await;
        assert!(r.text().starts_with("Error: fax ") && r.text().contains("refused"), "{}", r.text());
        assert_eq!(ctx.count_where("fx_faxes", "fx_status = 'refused' AND fx_type = 'tiff'").await, 1);
        // The tenant's faxes, rows and files, go with it.
        let fax_dir = ctx.config.fax_dir().join("ACME");
        assert_eq!(std::fs::read_dir(&fax_dir).unwrap().count(), 2);
        ctx.mdb(&ctx.admin, None, "tenant", "delete").id(ctx.a.id).p("cascade", "yes").post().await;
        assert_eq!(ctx.count("fx_faxes").await, 0);
        assert_eq!(std::fs::read_dir(&fax_dir).unwrap().count(), 0);
        sb.stop().await;
    }

    async fn campaign_lifecycle_with_max_concurrency(ctx) {
        let node = AmiServer::start().await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "200", json!({})).await;
        let sb = Sb::with_node(ctx, &node).await;
        let cp = |key: &str, tenant: &str, action: &str| sb.req(ctx, "CAMPAIGN", key, tenant).p("action", action);
        // Bad input names the parameter; nothing is stored.
        for (name, value, err) in [
            ("maxcalls", "0", "parameter 'maxcalls' must be a number from 1 to 100"),
            ("source", "ivr", "parameter 'source': 'ivr' is not one of queue, extension"),
            ("target", "200", "parameter 'target': no extension 200 in tenant ACME"),
            ("callerid", "a\r\nb", "parameter 'callerid' must be at most 80 characters without control characters"),
        ] {
            let mut req = cp(&ctx.rw, "ACME", "add").p("name", "Spring").p("source", "extension").p("target", "100").p("maxcalls", "2");
            req = req.p(name, value);
            req.get().await.is_error(err);
        }
        cp(&ctx.ro, "ACME", "add").p("name", "Spring").p("source", "extension").p("target", "100").get().await
            .is_error("this key is read-only; CAMPAIGN add needs a read/write key");
        assert_eq!(ctx.count("cp_campaigns").await, 0);
        let v = cp(&ctx.rw, "ACME", "add").p("name", "Spring").p("source", "extension").p("target", "100")
            .p("maxcalls", "2").p("callerid", "5550000").fmt("json").get().await.json();
        let id = rows(&v)[0]["cp_id"].as_str().unwrap().to_string();
        assert_eq!((rows(&v)[0]["cp_state"].as_str(), rows(&v)[0]["pending"].as_str()), (Some("stopped"), Some("0")), "{v}");
        cp(&ctx.rw, "ACME", "add").p("name", "Spring").p("source", "extension").p("target", "100").get().await
            .is_error("parameter 'name': campaign 'Spring' already exists");
        cp(&ctx.rw, "ACME", "addnumbers").p("id", &id).p("numbers", "5550001,55x").get().await
            .is_error("parameter 'numbers' must be a phone number (digits, '*', '#', a leading '+')");
        let v = cp(&ctx.rw, "ACME", "addnumbers").p("id", &id).p("numbers", "5550001, 5550002\n5550003;5550004,5550005,5550001").fmt("json").get().await.json();
        assert_eq!(v["added"], "5", "{v}");
        // Other tenants and read-only keys touch nothing.
        cp(&ctx.admin, "BETA", "start").p("id", &id).get().await.is_error(&format!("parameter 'id': no campaign {id}"));
        cp(&ctx.ro, "ACME", "start").p("id", &id).get().await.is_error("this key is read-only; CAMPAIGN start needs a read/write key");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(node.received_named("Originate").is_empty());
        // Running: two calls at once (answered calls hold their slot until their CDR arrives).
        cp(&ctx.rw, "ACME", "start").p("id", &id).get().await.is_plain("OK");
        cp(&ctx.rw, "ACME", "resume").p("id", &id).get().await.is_error(&format!("campaign {id} is running; resume needs it paused"));
        let n = node.clone();
        wait_for("two originates", || n.received_named("Originate").len() == 2).await;
        wait_count(ctx, "cn_campaignnumbers", "cn_state = 'answered'", 2).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let o = node.received_named("Originate");
        assert_eq!(o.len(), 2, "max concurrency");
        assert_eq!(o[0].get("Channel"), Some("Local/5550001@from-internal-ACME"));
        assert_eq!((o[0].get("Context"), o[0].get("Exten"), o[0].get("CallerID")), (Some("from-internal-ACME"), Some("100"), Some("5550000")));
        assert!(o[0].get_all("Variable").contains(&format!("CAMPAIGNID={id}").as_str()));
        // A call ends: its slot dials the next number.
        let uid_of = |number: &str| {
            let number = number.to_string();
            let n = node.clone();
            move || n.state().channels.iter().find(|c| c.channel.starts_with(&format!("Local/{number}@"))).unwrap().uniqueid.clone()
        };
        node.emit_cdr(&CdrEvent::answered("Local/5550001@from-internal-ACME-00000000;1", "PJSIP/100-ACME-00000003", "5550001", "100", &uid_of("5550001")()));
        wait_count(ctx, "cn_campaignnumbers", "cn_state = 'done' AND cn_number = '5550001'", 1).await;
        wait_for("a third originate", || n.received_named("Originate").len() == 3).await;
        // Paused: an ended call frees a slot that is not used until resumed.
        cp(&ctx.rw, "ACME", "pause").p("id", &id).get().await.is_plain("OK");
        node.emit_cdr(&CdrEvent::answered("Local/5550002@from-internal-ACME-00000001;1", "PJSIP/100-ACME-00000004", "5550002", "100", &uid_of("5550002")()));
        wait_count(ctx, "cn_campaignnumbers", "cn_state = 'done'", 2).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(node.received_named("Originate").len(), 3);
        cp(&ctx.rw, "ACME", "resume").p("id", &id).get().await.is_plain("OK");
        wait_for("a fourth originate", || n.received_named("Originate").len() == 4).await;
        // Stopped: nothing more is dialled, whatever ends.
        cp(&ctx.rw, "ACME", "stop").p("id", &id).get().await.is_plain("OK");
        for number in ["5550003", "5550004"] {
            node.emit_cdr(&CdrEvent::answered(&format!("Local/{number}@from-internal-ACME-0000000a;1"), "PJSIP/100-ACME-00000005", number, "100", &uid_of(number)()));
        }
        wait_count(ctx, "cn_campaignnumbers", "cn_state = 'done'", 4).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(node.received_named("Originate").len(), 4);
        let v = cp(&ctx.ro, "ACME", "get").p("id", &id).fmt("json").get().await.json();
        assert_eq!((rows(&v)[0]["cp_state"].as_str(), rows(&v)[0]["done"].as_str(), rows(&v)[0]["pending"].as_str()), (Some("stopped"), Some("4"), Some("1")), "{v}");
        let v = cp(&ctx.ro, "ACME", "numbers").p("id", &id).p("state", "done").fmt("json").get().await.json();
        assert_eq!(rows(&v).len(), 4, "{v}");
        assert!(rows(&v).iter().all(|r| r["cn_attempts"] == "1" && r["cn_node"] == "n1"), "{v}");
        // A refused call fails (one attempt allowed); cleaning removes what is not in a call.
        node.fail_action("Originate", "Originate failed");
        cp(&ctx.rw, "ACME", "start").p("id", &id).get().await.is_plain("OK");
        wait_count(ctx, "cn_campaignnumbers", "cn_state = 'failed' AND cn_number = '5550005'", 1).await;
        cp(&ctx.rw, "ACME", "stop").p("id", &id).get().await.is_plain("OK");
        let v = cp(&ctx.rw, "ACME", "cleannumbers").p("id", &id).p("state", "failed").fmt("json").get().await.json();
        assert_eq!(v["removed"], "1", "{v}");
        let v = cp(&ctx.admin, "BETA", "list").fmt("json").get().await.json();
        assert_eq!(rows(&v).len(), 0, "{v}");
        cp(&ctx.rw, "ACME", "delete").p("id", &id).get().await.is_plain("OK");
        assert_eq!(ctx.count("cp_campaigns").await, 0);
        assert_eq!(ctx.count("cn_campaignnumbers").await, 0);
        // A running campaign of a tenant that is deleted goes with it and dials nothing more.
        node.clear_failures();
        node.silent_originate(true);
        let v = cp(&ctx.admin, "BETA", "add").p("name", "B").p("source", "extension").p("target", "200").fmt("json").get().await.json();
        let beta = rows(&v)[0]["cp_id"].as_str().unwrap().to_string();
        cp(&ctx.admin, "BETA", "addnumbers").p("id", &beta).p("numbers", "5557001").get().await;
        cp(&ctx.admin, "BETA", "start").p("id", &beta).get().await.is_plain("OK");
        wait_count(ctx, "cn_campaignnumbers", "cn_state = 'dialing'", 1).await;
        ctx.mdb(&ctx.admin, None, "tenant", "delete").id(ctx.b.id).p("cascade", "yes").post().await;
        assert_eq!(ctx.count("cp_campaigns").await, 0);
        assert_eq!(ctx.count("cn_campaignnumbers").await, 0);
        let dialled = node.received_named("Originate").len();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(node.received_named("Originate").len(), dialled);
        sb.stop().await;
    }

    async fn nodes_added_later_get_a_consumer_and_handlers_can_be_added(ctx) {
        let sb = Sb::start(ctx).await;
        // A handler another part of the server registers for its own user event.
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        sb.cluster.events.on("UserEvent:Probe", move |e| {
            let counter = counter.clone();
            Box::pin(async move {
                if e.node == "late" && e.message.get("Payload") == Some("42") {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                Ok(())
            })
        });
        let node = AmiServer::start().await;
        register(ctx, "late", &node).await;
        sb.wait_connected(&["late"]).await;
        node.emit(&[("Event", "UserEvent"), ("UserEvent", "Other"), ("Payload", "42")]);
        node.emit(&[("Event", "UserEvent"), ("UserEvent", "Probe"), ("Payload", "42")]);
        node.emit_cdr(&CdrEvent::answered("PJSIP/100-ACME-00000001", "PJSIP/trunk-00000002", "100", "5551234", "1795319990.1"));
        wait_count(ctx, "cdr", "node = 'late'", 1).await;
        assert_eq!(seen.load(Ordering::SeqCst), 1);
        // Removed: its connection and consumer end.
        nodes::remove(&ctx.db.conn, "late").await.unwrap();
        let c = sb.cluster.clone();
        wait_for("node removed", || c.nodes().is_empty()).await;
        let logins = node.logins();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(node.logins(), logins);
        sb.stop().await;
    }

    async fn two_processes_share_a_campaign_without_exceeding_maxcalls(ctx) {
        let node = AmiServer::start().await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        register(ctx, "n1", &node).await;
        let (a, b) = (Sb::start(ctx).await, Sb::start(ctx).await);
        a.wait_connected(&["n1"]).await;
        b.wait_connected(&["n1"]).await;
        let cp = |sb: &Sb, action: &str| sb.req(ctx, "CAMPAIGN", &ctx.rw, "ACME").p("action", action);
        let v = cp(&a, "add").p("name", "Shared").p("source", "extension").p("target", "100").p("maxcalls", "3").fmt("json").get().await.json();
        let id = rows(&v)[0]["cp_id"].as_str().unwrap().to_string();
        let numbers: Vec<String> = (0..10).map(|i| format!("555010{i}")).collect();
        cp(&b, "addnumbers").p("id", &id).p("numbers", numbers.join(",")).get().await;
        cp(&b, "start").p("id", &id).get().await.is_plain("OK");
        let dialled = || -> Vec<String> {
            node.received_named("Originate").iter().map(|o| o.get("Channel").unwrap().to_string()).collect()
        };
        wait_for("three originates", || dialled().len() == 3).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(dialled().len(), 3, "maxcalls across processes");
        // All three end: three more, never a number twice.
        let uids: Vec<String> = node.state().channels.iter().map(|c| c.uniqueid.clone()).collect();
        for uid in &uids {
            node.emit_cdr(&CdrEvent::answered("Local/x@from-internal-ACME-00000000;1", "", "x", "100", uid));
        }
        wait_for("six originates", || dialled().len() == 6).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut d = dialled();
        assert_eq!(d.len(), 6);
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 6, "a number dialled twice: {d:?}");
        assert_eq!(ctx.count_where("cn_campaignnumbers", "cn_state = 'done'").await, 3);
        cp(&a, "stop").p("id", &id).get().await.is_plain("OK");
        a.stop().await;
        b.stop().await;
    }
}
