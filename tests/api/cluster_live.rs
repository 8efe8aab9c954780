//! The device, flow and queue live reqtypes against AMI test servers: CHANSIPPEERS, BLFS,
//! FLOWS / SETFLOW / INFO flow, REBOOT, UNREGISTER, SMS, INFO variable / extstate, QUEUE log,
//! AGENT del, QUEUERESET. Each: the answer in plain and json, errors naming the parameter,
//! tenant isolation, read-only keys refused for writes, a node down → a partial answer.

use crate::ami_server::{
    AmiServer, Channel, Contact, Endpoint, ExtensionState, Queue, QueueMember,
};
use crate::cluster_harness::*;
use crate::common::*;
use base64::Engine;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

trait JsonText {
    fn is_json_text(&self, expected: &str);
}

impl JsonText for Resp {
    /// The exact body of a json answer.
    #[track_caller]
    fn is_json_text(&self, expected: &str) {
        assert_eq!(self.text(), expected);
        assert!(
            self.content_type.starts_with("application/json"),
            "{}",
            self.content_type
        );
    }
}

fn read_only_refused(r: &Resp, what: &str) {
    assert!(r.text().contains("read-only"), "{what}: {}", r.text());
}

/// The flow rows and the number of node actions recorded (what a refused SETFLOW must not change).
async fn flows_and_outbox(ctx: &Ctx) -> (Vec<entity::fl_flows::Model>, i64) {
    use sea_orm::EntityTrait;
    let flows = entity::fl_flows::Entity::find()
        .all(&ctx.db.conn)
        .await
        .unwrap();
    (flows, ctx.count("ob_outbox").await)
}

fn endpoint(name: &str) -> Endpoint {
    Endpoint {
        name: name.into(),
        transport: "transport-udp".into(),
        aor: name.into(),
        auths: name.into(),
        device_state: "Not in use".into(),
        ..Default::default()
    }
}

fn contact(ep: &str, host: &str) -> Contact {
    Contact {
        aor: ep.into(),
        endpoint: ep.into(),
        uri: format!("sip:{ep}@{host}"),
        status: "Reachable".into(),
        reg_expire: 1_900_000_000,
        ..Default::default()
    }
}

backend_tests! {
    async fn chansippeers_and_blfs_show_only_the_tenants_devices(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        for (t, n) in [(&ctx.a, "100"), (&ctx.a, "101"), (&ctx.b, "100")] {
            ctx.ext(t, n, json!({})).await;
        }
        {
            let mut s = servers[0].state();
            for ep in ["100-ACME", "101-ACME", "100-BETA", "trunk"] {
                s.endpoints.push(endpoint(ep));
            }
            s.contacts.push(contact("100-ACME", "192.0.2.7:5062;ob"));
            s.contacts.push(contact("100-BETA", "198.51.100.9"));
            let st = |status| ExtensionState { hint: String::new(), status };
            s.extension_states.insert("100@from-internal-ACME".into(), st(0));
            s.extension_states.insert("101@from-internal-ACME".into(), st(1));
            s.extension_states.insert("100@from-internal-BETA".into(), st(2));
        }
        {
            let mut s = servers[1].state();
            s.endpoints.push(endpoint("100-ACME"));
            s.extension_states.insert(
                "100@from-internal-ACME".into(),
                ExtensionState { hint: String::new(), status: 8 },
            );
        }
        let live = |key: &str, tenant: &str, reqtype: &str| live(ctx, &sb, key, tenant, reqtype);

        // CHANSIPPEERS: the tenant's endpoints on every node, chan_sip's columns.
        let rows = live(&ctx.rw, "ACME", "CHANSIPPEERS").fmt("json").get().await.json();
        assert_eq!(rows.as_array().unwrap().len(), 3, "{rows}");
        assert_eq!(rows[0], json!({
            "node": "n1", "Name": "100-ACME", "Host": "192.0.2.7", "Dyn": "D", "Forcerport": "yes",
            "Comedia": "no", "ACL": "no", "Port": "5062", "Status": "OK",
            "Description": "Ext 100", "Realtime": "Cached RT",
        }));
        assert_eq!((&rows[1]["Name"], &rows[1]["Host"], &rows[1]["Port"], &rows[1]["Status"]),
            (&json!("101-ACME"), &json!("(Unspecified)"), &json!("0"), &json!("UNKNOWN")));
        assert_eq!((&rows[2]["node"], &rows[2]["Name"]), (&json!("n2"), &json!("100-ACME")));
        let plain = live(&ctx.ro, "ACME", "CHANSIPPEERS").get().await.text();
        assert!(plain.starts_with(
            "node|Name|Host|Dyn|Forcerport|Comedia|ACL|Port|Status|Description|Realtime\n\
             n1|100-ACME|192.0.2.7|D|yes|no|no|5062|OK|Ext 100|Cached RT\n"), "{plain}");
        assert!(!plain.contains("BETA") && !plain.contains("trunk"), "{plain}");
        let beta = live(&ctx.admin, "BETA", "CHANSIPPEERS").fmt("json").get().await.json();
        assert_eq!(beta.as_array().unwrap().len(), 1);
        assert_eq!(beta[0]["Host"], "198.51.100.9");
        assert_eq!(beta[0]["Port"], "5060");
        // An admin without a tenant sees every endpoint, trunks too (not Switchboard's rows).
        let all = live(&ctx.admin, "", "CHANSIPPEERS").fmt("json").get().await.json();
        assert_eq!(all.as_array().unwrap().len(), 5);
        let trunk = all.as_array().unwrap().iter().find(|r| r["Name"] == "trunk").unwrap();
        assert_eq!((&trunk["Realtime"], &trunk["Forcerport"]), (&json!(""), &json!("")));

        // BLFS: hints of the tenant's context, the most telling state across nodes.
        let blfs = live(&ctx.rw, "ACME", "BLFS").fmt("json").get().await.json();
        let states: Vec<(String, String)> = blfs.as_array().unwrap().iter()
            .map(|r| (r["st_extension"].as_str().unwrap().into(), r["st_state"].as_str().unwrap().into()))
            .collect();
        assert_eq!(states, [("100".to_string(), "Ringing".to_string()), ("101".into(), "InUse".into())]);
        assert!(blfs[0]["st_timestamp"].as_str().unwrap().len() == 19, "{blfs}");
        let plain = live(&ctx.rw, "ACME", "BLFS").get().await.text();
        assert!(plain.starts_with("st_extension|st_state|st_timestamp\n100|Ringing|"), "{plain}");
        let beta = live(&ctx.admin, "BETA", "BLFS").fmt("json").get().await.json();
        assert_eq!(beta.as_array().unwrap().len(), 1);
        assert_eq!(beta[0]["st_state"], "Busy");
        live(&ctx.admin, "", "BLFS").get().await.is_error_starting("parameter 'tenant' is required");

        // A node down: the others answer, the missing node is named.
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        let v = live(&ctx.rw, "ACME", "CHANSIPPEERS").fmt("json").get().await.json();
        assert_eq!(v["missing_nodes"], json!(["n2"]), "{v}");
        assert_eq!(v["rows"].as_array().unwrap().len(), 2);
        let plain = live(&ctx.rw, "ACME", "BLFS").get().await.text();
        assert!(plain.contains("\n100|Idle|"), "{plain}");
        assert!(plain.ends_with("Note: no answer from node(s) n2\n"), "{plain}");
        sb.stop().await;
    }

    async fn flows_persist_and_reach_every_node(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        let live = |key: &str, tenant: &str, reqtype: &str| live(ctx, &sb, key, tenant, reqtype);
        let set = |key: &str, number: &str, state: &str| {
            live(key, "ACME", "SETFLOW").p("number", number).p("state", state)
        };
        live(&ctx.rw, "ACME", "FLOWS").fmt("json").get().await.is_json_text("[]");
        set(&ctx.rw, "1", "inuse").p("value", "night").get().await.is_plain("OK");
        let dev = "Custom:FLOW-ACME-1".to_string();
        let key = ("FLOW".to_string(), "ACME-1".to_string());
        wait_for("the flow on every node", || servers.iter().all(|s| {
            let st = s.state();
            st.device_states.get(&dev).map(String::as_str) == Some("INUSE")
                && st.astdb.get(&key).map(String::as_str) == Some("night")
        })).await;
        let setvar = servers[0].received_named("Setvar");
        assert_eq!(setvar[0].get("Variable"), Some("DEVICE_STATE(Custom:FLOW-ACME-1)"));
        // A new state keeps the value when none is given.
        set(&ctx.rw, "1", "NOT_INUSE").fmt("json").get().await.is_json_text("\"OK\"");
        wait_for("the new state", || servers.iter().all(|s| {
            s.state().device_states.get(&dev).map(String::as_str) == Some("NOT_INUSE")
        })).await;
        let rows = live(&ctx.ro, "ACME", "FLOWS").fmt("json").get().await.json();
        assert_eq!(rows.as_array().unwrap().len(), 1);
        assert_eq!((&rows[0]["number"], &rows[0]["state"], &rows[0]["value"], &rows[0]["device"]),
            (&json!("1"), &json!("NOT_INUSE"), &json!("night"), &json!("Custom:FLOW-ACME-1")));
        let plain = live(&ctx.ro, "ACME", "FLOWS").get().await.text();
        assert!(plain.starts_with("number|state|value|device|updated\n1|NOT_INUSE|night|Custom:FLOW-ACME-1|"), "{plain}");
        let one = ctx.info(&ctx.ro, Some("ACME"), "flow").on(&sb.base).p("number", "1").fmt("json").get().await.json();
        assert_eq!(one[0]["state"], "NOT_INUSE");
        let plain = ctx.info(&ctx.ro, Some("ACME"), "flow").on(&sb.base).p("number", "1").get().await.text();
        assert!(plain.starts_with("number|state|value|device|updated\n1|NOT_INUSE|night|"), "{plain}");
        ctx.info(&ctx.ro, Some("ACME"), "flow").on(&sb.base).p("number", "2").get().await
            .is_error_starting("parameter 'number': no flow 2 in tenant ACME");

        // Bad input names the parameter and changes nothing; read-only keys cannot set.
        let before = flows_and_outbox(ctx).await;
        set(&ctx.rw, "1", "BUSY").get().await.is_error_starting("parameter 'state'");
        set(&ctx.rw, "x1", "INUSE").get().await.is_error_starting("parameter 'number'");
        set(&ctx.rw, "1", "INUSE").p("value", "a\r\nAction: Originate").get().await.is_error_starting("parameter 'value'");
        live(&ctx.rw, "ACME", "SETFLOW").p("number", "1").get().await.is_error("parameter 'state' is required");
        read_only_refused(&set(&ctx.ro, "1", "INUSE").get().await, "SETFLOW");
        assert_eq!(flows_and_outbox(ctx).await, before);
        // Another tenant neither sees nor reads ACME's flow.
        live(&ctx.admin, "BETA", "FLOWS").fmt("json").get().await.is_json_text("[]");
        ctx.info(&ctx.admin, Some("BETA"), "flow").on(&sb.base).p("number", "1").get().await
            .is_error_starting("parameter 'number': no flow 1 in tenant BETA");

        // A node added later gets every flow (and every DND entry); a node that was down gets
        // the change on return.
        ctx.ext(&ctx.a, "105", json!({ "ex_dnd": "on" })).await;
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        set(&ctx.rw, "1", "RINGING").get().await.is_plain("OK");
        let n3 = AmiServer::start().await;
        register(ctx, "n3", &n3).await;
        sb.wait_connected(&["n3"]).await;
        servers[1].come_back().await;
        wait_for("the flow on n2 and n3", || [&servers[1], &n3].iter().all(|s| {
            let st = s.state();
            st.device_states.get(&dev).map(String::as_str) == Some("RINGING")
                && st.astdb.get(&key).map(String::as_str) == Some("night")
        })).await;
        let dnd = ("DND".to_string(), "105-ACME".to_string());
        wait_for("DND on n3", || n3.state().astdb.get(&dnd).map(String::as_str) == Some("YES")).await;
        sb.stop().await;
    }

    async fn reboot_unregister_and_sms_touch_only_the_tenants_devices(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        for (t, n) in [(&ctx.a, "100"), (&ctx.a, "101"), (&ctx.a, "102"), (&ctx.b, "100")] {
            ctx.ext(t, n, json!({})).await;
        }
        {
            let mut s = servers[0].state();
            for ep in ["100-ACME", "101-ACME", "102-ACME", "100-BETA"] {
                s.endpoints.push(endpoint(ep));
            }
            s.contacts.push(contact("100-ACME", "192.0.2.7"));
            s.contacts.push(contact("100-BETA", "192.0.2.8"));
        }
        {
            let mut s = servers[1].state();
            for ep in ["100-ACME", "101-ACME", "102-ACME"] {
                s.endpoints.push(endpoint(ep));
            }
            s.contacts.push(contact("101-ACME", "192.0.2.9"));
        }
        let live = |key: &str, tenant: &str, reqtype: &str| live(ctx, &sb, key, tenant, reqtype);

        // SMS: MessageSend on the node where the recipient is registered, body in base64.
        let body = "Hi 101,\ncall me — ü";
        live(&ctx.rw, "ACME", "SMS").p("from", "101").p("to", "100").p("body", body).get().await.is_plain("OK");
        let sent = servers[0].received_named("MessageSend");
        assert_eq!(sent.len(), 1);
        assert!(servers[1].received_named("MessageSend").is_empty());
        assert_eq!((sent[0].get("To"), sent[0].get("From")), (Some("pjsip:100-ACME"), Some("101-ACME")));
        let b64 = base64::engine::general_purpose::STANDARD.encode(body);
        assert_eq!(sent[0].get("Base64Body"), Some(b64.as_str()));
        live(&ctx.rw, "ACME", "SMS").p("from", "101").p("to", "100").p("body", body).fmt("json").get().await.is_json_text("\"OK\"");
        live(&ctx.rw, "ACME", "SMS").p("from", "101").p("to", "100-BETA").p("body", "x").get().await.is_error_starting("parameter 'to'");
        live(&ctx.rw, "ACME", "SMS").p("from", "100-BETA").p("to", "100").p("body", "x").get().await.is_error_starting("parameter 'from'");
        live(&ctx.rw, "ACME", "SMS").p("from", "101").p("to", "100").get().await.is_error("parameter 'body' is required");
        live(&ctx.rw, "ACME", "SMS").p("from", "101").p("to", "100").p("body", "x".repeat(1001)).get().await.is_error_starting("parameter 'body'");
        live(&ctx.rw, "ACME", "SMS").p("from", "100").p("to", "102").p("body", "x").get().await.is_error_starting("parameter 'to': extension 102 is not registered");
        read_only_refused(&live(&ctx.ro, "ACME", "SMS").p("from", "101").p("to", "100").p("body", "x").get().await, "SMS");
        assert_eq!(servers[0].received_named("MessageSend").len(), 2);
        // A refusal is answered and recorded; INFO sms lists the tenant's messages.
        servers[0].fail_action("MessageSend", "Message failed to send.");
        live(&ctx.rw, "ACME", "SMS").p("from", "100").p("to", "100").p("text", "again").get().await.is_error("Message failed to send.");
        servers[0].clear_failures();
        let sms = |key: &str, tenant: &str| ctx.info(key, Some(tenant), "sms").on(&sb.base);
        let rows = sms(&ctx.ro, "ACME").fmt("json").get().await.json();
        let got: Vec<(&str, &str, &str, &str, &str)> = rows.as_array().unwrap().iter().map(|r| (
            r["from"].as_str().unwrap(), r["to"].as_str().unwrap(), r["body"].as_str().unwrap(),
            r["node"].as_str().unwrap(), r["state"].as_str().unwrap(),
        )).collect();
        assert_eq!(got, [
            ("101", "100", body, "n1", "sent"), ("101", "100", body, "n1", "sent"),
            ("100", "100", "again", "n1", "refused"),
        ]);
        let plain = sms(&ctx.ro, "ACME").p("number", "101").get().await.text();
        assert!(plain.starts_with("id|from|to|body|node|state|created\n"), "{plain}");
        // A plain row stays one line: the body's line break prints as a space (json keeps it).
        assert_eq!(plain.lines().count(), 1 + 2, "two rows of one line each: {plain}");
        assert!(plain.contains("|Hi 101, call me — ü|"), "{plain}");
        sms(&ctx.ro, "ACME").p("number", "999").fmt("json").get().await.is_json_text("[]");
        sms(&ctx.ro, "ACME").p("start", "2999-01-01").fmt("json").get().await.is_json_text("[]");
        sms(&ctx.ro, "ACME").p("end", "soon").get().await.is_error_starting("parameter 'end'");
        sms(&ctx.admin, "BETA").fmt("json").get().await.is_json_text("[]");

        // REBOOT: a check-sync NOTIFY to the device where it is registered.
        live(&ctx.rw, "ACME", "REBOOT").p("peer", "100").get().await.is_plain("OK");
        let n = servers[0].received_named("PJSIPNotify");
        assert_eq!((n[0].get("Endpoint"), n[0].get("Variable")), (Some("100-ACME"), Some("Event=check-sync")));
        assert!(servers[1].received_named("PJSIPNotify").is_empty());
        live(&ctx.rw, "ACME", "REBOOT").p("peer", "100-BETA").get().await.is_error_starting("parameter 'peer'");
        live(&ctx.rw, "ACME", "REBOOT").p("peer", "102").get().await.is_error("parameter 'peer': 102-ACME is not registered on any node");
        live(&ctx.rw, "ACME", "REBOOT").get().await.is_error("parameter 'peer' is required");
        for reqtype in ["REBOOT", "UNREGISTER"] {
            read_only_refused(&live(&ctx.ro, "ACME", reqtype).p("peer", "ALL").get().await, reqtype);
        }
        servers[0].clear_received();
        live(&ctx.rw, "ACME", "REBOOT").p("peer", "ALL").fmt("json").get().await.is_json_text("\"OK\"");
        let eps = |s: &AmiServer| s.received_named("PJSIPNotify").iter().map(|r| r.get("Endpoint").unwrap_or("").to_string()).collect::<Vec<_>>();
        assert_eq!(eps(&servers[0]), ["100-ACME"], "BETA's phone is not rebooted");
        assert_eq!(eps(&servers[1]), ["101-ACME"]);

        // UNREGISTER: the device's registered contacts go.
        live(&ctx.rw, "ACME", "UNREGISTER").p("peer", "101-ACME").fmt("json").get().await.is_json_text("\"OK\"");
        let del = servers[1].received_named("DBDel");
        assert_eq!(del[0].get("Family"), Some("registrar/contact"));
        assert!(servers[1].state().contacts.is_empty());
        live(&ctx.rw, "ACME", "UNREGISTER").p("peer", "101").get().await.is_error("parameter 'peer': 101-ACME is not registered on any node");
        live(&ctx.admin, "BETA", "UNREGISTER").p("peer", "101").get().await.is_error_starting("parameter 'peer': no extension 101 in tenant BETA");
        // A node down: ALL acts on the nodes that answer and names the other.
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        live(&ctx.rw, "ACME", "UNREGISTER").p("peer", "ALL").get().await.is_plain("OKNote: no answer from node(s) n2\n");
        let left: Vec<String> = servers[0].state().contacts.iter().map(|c| c.endpoint.clone()).collect();
        assert_eq!(left, ["100-BETA"], "only ACME's contacts go");
        sb.stop().await;
    }

    async fn info_variable_and_extstate(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        {
            let mut s = servers[0].state();
            s.globals.insert("ACME-color".into(), "blue".into());
            s.globals.insert("BETA-secret".into(), "x".into());
            s.globals.insert("ACME_X-secret".into(), "y".into());
            let mut c = Channel::new("PJSIP/100-ACME-00000001", "from-internal-ACME", "200");
            c.vars.insert("ACME-foo".into(), "bar".into());
            s.channels.push(c);
            let mut b = Channel::new("PJSIP/100-BETA-00000002", "from-internal-BETA", "200");
            b.vars.insert("ACME-foo".into(), "beta".into());
            s.channels.push(b);
            s.extension_states.insert(
                "100@from-internal-ACME".into(),
                ExtensionState { hint: "PJSIP/100-ACME".into(), status: 1 },
            );
        }
        let info = |key: &str, tenant: Option<&str>, var: &str| {
            ctx.info(key, tenant, "variable").on(&sb.base).p("variable", var)
        };
        info(&ctx.ro, Some("ACME"), "ACME-color").get().await.is_plain("blue");
        info(&ctx.ro, Some("ACME"), "ACME-color").fmt("json").get().await.is_json_text(r#"{"value":"blue"}"#);
        info(&ctx.ro, Some("ACME"), "ACME-unset").get().await.is_plain("");
        // Only `<CODE>-…`: `ACME_…` could be tenant ACME_X's.
        info(&ctx.ro, Some("ACME"), "ACME_X-secret").get().await.is_error_starting("parameter 'variable'");
        info(&ctx.ro, Some("ACME"), "ACME_unset").get().await.is_error_starting("parameter 'variable'");
        info(&ctx.ro, Some("ACME"), "BETA-secret").get().await.is_error_starting("parameter 'variable'");
        info(&ctx.ro, Some("ACME"), "ACMEX").get().await.is_error_starting("parameter 'variable'");
        info(&ctx.admin, None, "SHELL(id)").get().await.is_error_starting("parameter 'variable'");
        info(&ctx.admin, None, "BETA-secret").get().await.is_plain("x");
        info(&ctx.ro, Some("ACME"), "ACME-color").p("server", "n9").get().await.is_error_starting("parameter 'server'");
        let g = servers[0].received_named("Getvar");
        assert!(g.iter().all(|r| r.get("Variable") != Some("SHELL(id)")), "never sent");
        // On a channel: the tenant's own channels only, and the same name rule (a channel
        // variable not found is answered with the global of that name).
        info(&ctx.ro, Some("ACME"), "ACME-foo").p("channel", "PJSIP/100-ACME-00000001").get().await.is_plain("bar");
        info(&ctx.ro, Some("ACME"), "ACME-foo").p("channel", "PJSIP/100-BETA-00000002").get().await.is_error_starting("parameter 'channel'");
        info(&ctx.ro, Some("ACME"), "ACME-foo").p("channel", "PJSIP/100-ACME-0000000f").get().await.is_error_starting("parameter 'channel'");
        let getvars = servers[0].received_named("Getvar").len();
        for var in ["BETA-secret", "FOO", "ACME_X-secret"] {
            info(&ctx.ro, Some("ACME"), var).p("channel", "PJSIP/100-ACME-00000001").get().await.is_error_starting("parameter 'variable'");
        }
        assert_eq!(servers[0].received_named("Getvar").len(), getvars, "nothing asked");
        info(&ctx.ro, Some("ACME"), "").get().await.is_error_starting("parameter 'variable'");
        info(&ctx.ro, Some("ACME"), "ACME-foo").p("channel", "PJSIP/100-ACME-00000001\r\nAction: Hangup").get().await.is_error_starting("parameter 'channel'");
        info(&ctx.ro, Some("ACME"), "ACME-foo").p("channel", "PJSIP/100-ACME-00000001").fmt("json").get().await.is_json_text(r#"{"value":"bar"}"#);

        // INFO extstate answers as EXTSTATE does.
        let a = ctx.info(&ctx.ro, Some("ACME"), "extstate").on(&sb.base).p("ext", "100").fmt("json").get().await.json();
        let b = live(ctx, &sb, &ctx.ro, "ACME", "EXTSTATE").p("ext", "100").fmt("json").get().await.json();
        assert_eq!(a, b);
        assert_eq!(a[0]["statustext"], "InUse");
        ctx.info(&ctx.admin, Some("BETA"), "extstate").on(&sb.base).p("ext", "100").get().await.is_error_starting("parameter 'ext'");

        servers[1].go_away().await;
        sb.wait_down("n2").await;
        info(&ctx.ro, Some("ACME"), "ACME-color").get().await.is_plain("blueNote: no answer from node(s) n2\n");
        sb.stop().await;
    }

    async fn queue_log_agent_del_and_queuereset(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "100", json!({})).await;
        let queue = |te: i32, number: &str| entity::qu_queues::ActiveModel {
            qu_te_id: Set(te), qu_name: Set(format!("Q{number}")), qu_number: Set(number.into()),
            qu_timeout: Set(0), qu_alwaysrecord: Set(String::new()), ..Default::default()
        };
        let qa = queue(ctx.a.id, "600").insert(&ctx.db.conn).await.unwrap().qu_id;
        let qb = queue(ctx.b.id, "700").insert(&ctx.db.conn).await.unwrap().qu_id;
        let when = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
        for (te, qu, time, event, line) in [
            (ctx.a.id, qa, "2026-11-20 10:00:00", "ENTERQUEUE", "1"),
            (ctx.a.id, qa, "2026-11-21 10:00:05", "CONNECT", "2"),
            (ctx.b.id, qb, "2026-11-21 11:00:00", "ENTERQUEUE", "3"),
        ] {
            entity::queue_log::ActiveModel {
                te_id: Set(te), time: Set(when(time)), callid: Set(format!("n1-1.{line}")),
                queuename: Set(qu.to_string()), qu_id: Set(qu), agent: Set("PJSIP/100-ACME".into()),
                event: Set(event.into()), data1: Set("5551234".into()), data2: Set(String::new()),
                data3: Set(String::new()), data4: Set(String::new()), data5: Set(String::new()),
                node: Set("n1".into()), linekey: Set(format!("k{line}")), ..Default::default()
            }.insert(&ctx.db.conn).await.unwrap();
        }
        let live = |key: &str, tenant: &str, reqtype: &str| live(ctx, &sb, key, tenant, reqtype);
        let log = |tenant: &str| live(&ctx.ro, tenant, "QUEUE").p("action", "log");

        // QUEUE log: the tenant's queue only, oldest first, start/end like INFO queuelogs.
        let rows = log("ACME").p("number", "600").fmt("json").get().await.json();
        let events: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["ENTERQUEUE", "CONNECT"]);
        assert_eq!(rows[0]["time"], "2026-11-20 10:00:00");
        assert_eq!(rows[0]["queuename"], qa.to_string());
        let plain = log("ACME").p("id", qa.to_string()).p("start", "2026-11-21").get().await.text();
        assert_eq!(plain, format!(
            "time|callid|queuename|agent|event|data1|data2|data3|data4|data5|node\n\
             2026-11-21 10:00:05|n1-1.2|{qa}|PJSIP/100-ACME|CONNECT|5551234|||||n1\n"));
        log("ACME").p("number", "600").p("end", "2026-11-20").get().await.is_plain(&format!(
            "time|callid|queuename|agent|event|data1|data2|data3|data4|data5|node\n\
             2026-11-20 10:00:00|n1-1.1|{qa}|PJSIP/100-ACME|ENTERQUEUE|5551234|||||n1\n"));
        log("ACME").p("number", "600").p("start", "yesterday").get().await.is_error_starting("parameter 'start'");
        log("ACME").get().await.is_error("parameter 'number' or 'id' is required");
        log("ACME").p("number", "700").get().await.is_error_starting("no such queue");

        // AGENT del: out of the queue on every node where it is a member.
        for s in &servers {
            let mut q = Queue::default();
            q.members.push(QueueMember {
                interface: "PJSIP/100-ACME".into(), name: "100-ACME".into(),
                state_interface: "PJSIP/100-ACME".into(), status: 1, ..Default::default()
            });
            s.state().queues.insert(qa.to_string(), q);
            s.state().queues.insert(qb.to_string(), Queue::default());
        }
        // INFO queues: the tenant's own; INFO agents: members with their most telling state
        // across nodes (paused on one node is Paused), never another tenant's.
        let info = |key: &str, tenant: &str, what: &str| ctx.info(key, Some(tenant), what).on(&sb.base);
        info(&ctx.ro, "ACME", "queues").get().await.is_plain(&format!("{qa}: Q600"));
        assert_eq!(info(&ctx.ro, "ACME", "queues").fmt("json").get().await.json(), json!({ qa.to_string(): "Q600" }));
        for (i, s) in servers.iter().enumerate() {
            let mut st = s.state();
            st.queues.get_mut(&qa.to_string()).unwrap().members.push(QueueMember {
                interface: "PJSIP/101-ACME".into(), name: "101-ACME".into(),
                state_interface: "PJSIP/101-ACME".into(), status: 2, paused: i == 1, ..Default::default()
            });
            st.queues.get_mut(&qb.to_string()).unwrap().members.push(QueueMember {
                interface: "PJSIP/100-BETA".into(), name: "100-BETA".into(),
                state_interface: "PJSIP/100-BETA".into(), status: 1, ..Default::default()
            });
        }
        info(&ctx.ro, "ACME", "agents").get().await.is_plain("100-ACME:Idle|101-ACME:Paused");
        assert_eq!(info(&ctx.ro, "ACME", "agents").p("queue", qa.to_string()).fmt("json").get().await.json(),
            json!({ "100-ACME": "Idle", "101-ACME": "Paused" }));
        info(&ctx.admin, "BETA", "agents").get().await.is_plain("100-BETA:Idle");
        info(&ctx.ro, "ACME", "agents").p("queue", qb.to_string()).get().await.is_error_starting("parameter 'queue': no queue");
        for s in &servers {
            let mut st = s.state();
            st.queues.get_mut(&qa.to_string()).unwrap().members.retain(|m| m.name == "100-ACME");
            st.queues.get_mut(&qb.to_string()).unwrap().members.clear();
        }

        let del = |key: &str, queue: &str| live(key, "ACME", "AGENT").p("action", "del").p("extension", "100").p("queue", queue);
        read_only_refused(&del(&ctx.ro, "ALL").get().await, "AGENT del");
        del(&ctx.rw, &qb.to_string()).get().await.is_error_starting("parameter 'queue'");
        live(&ctx.rw, "ACME", "AGENT").p("action", "del").p("extension", "100-BETA").get().await.is_error_starting("parameter 'extension'");
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        del(&ctx.rw, &qa.to_string()).get().await.is_plain("OKNote: no answer from node(s) n2\n");
        servers[1].come_back().await;
        sb.wait_connected(&["n2"]).await;
        del(&ctx.rw, "ALL").fmt("json").get().await.is_json_text("\"OK\"");
        for s in &servers {
            let rm = s.received_named("QueueRemove");
            assert_eq!(rm.len(), 1);
            assert_eq!((rm[0].get("Queue"), rm[0].get("Interface")), (Some(qa.to_string().as_str()), Some("PJSIP/100-ACME")));
            assert!(s.state().queues[&qa.to_string()].members.is_empty());
        }
        del(&ctx.rw, "ALL").get().await.is_error("parameter 'extension': 100 is not a member of any queue");

        // QUEUERESET: the tenant's queue on every node.
        live(&ctx.rw, "ACME", "QUEUERESET").p("number", "600").get().await.is_plain("OK");
        for s in &servers {
            let r = s.received_named("QueueReset");
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].get("Queue"), Some(qa.to_string().as_str()));
        }
        read_only_refused(&live(&ctx.ro, "ACME", "QUEUERESET").p("number", "600").get().await, "QUEUERESET");
        live(&ctx.rw, "ACME", "QUEUERESET").p("number", "700").get().await.is_error_starting("no such queue");
        live(&ctx.rw, "ACME", "QUEUERESET").get().await.is_error("parameter 'number' or 'id' is required");
        servers[0].go_away().await;
        sb.wait_down("n1").await;
        live(&ctx.rw, "ACME", "QUEUERESET").p("id", qa.to_string()).fmt("json").get().await
            .is_json_text(r#"{"rows":"OK","missing_nodes":["n1"]}"#);
        sb.stop().await;
    }
}
