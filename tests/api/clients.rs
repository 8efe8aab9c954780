//! Behaviours real ProxyAPI clients depend on (issue #13 §1): DIAL `source=ACCOUNT` and the
//! shape of every DIAL answer in json, the auth failure as plain text in every format, an
//! admin key acting on live calls without a tenant, csv exports that keep their header line
//! with no rows. (HELP's key: `transport::help_lists_the_parameters`; inforecording's line:
//! `recordings::inforecording_line`.)

use crate::ami_server::{AmiServer, Channel};
use crate::cluster_harness::*;
use crate::common::*;
use serde_json::json;

backend_tests! {
    /// `source=ACCOUNT` is the extension the `account` names; every DIAL answer in json has
    /// `Response`, `Message` and `ID` (empty on failure).
    async fn dial_source_account_and_every_json_answer_has_an_id(ctx) {
        let node = AmiServer::start().await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "100", json!({})).await;
        let sb = Sb::with_node(ctx, &node).await;
        let dial = || sb.req(ctx, "DIAL", &ctx.rw, "ACME");

        let r = dial().p("account", "100-ACME").p("source", "ACCOUNT").p("phone", "5551234")
            .p("sourceclid", "\"Shop\" <0612345>").fmt("json").get().await;
        let v = r.json();
        assert_eq!((&v["Response"], &v["Message"]), (&json!("Success"), &json!("Originate successfully queued")), "{v}");
        assert!(v["ID"].as_str().is_some_and(|id| id.starts_with("n1-")), "{v}");
        let o = node.received_named("Originate");
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].get("Channel"), Some("PJSIP/100-ACME"));
        assert_eq!(o[0].get("Exten"), Some("5551234"));
        assert_eq!(o[0].get("CallerID"), Some("\"Shop\" <0612345>"));
        assert_eq!(o[0].get("Account"), Some("100-ACME"));
        // Lower case too.
        let r = dial().p("account", "100-ACME").p("source", "account").p("dest", "5551234").get().await;
        assert!(r.text().starts_with("Success|Originate successfully queued|n1-"), "{}", r.text());

        // Failures: the json object always has an empty ID; plain keeps the error line.
        let failures = [
            (dial().p("source", "ACCOUNT").p("dest", "5551234"), "parameter 'account' is required with source=ACCOUNT"),
            (dial().p("source", "ACCOUNT").p("account", "100-BETA").p("dest", "5551234"), "parameter 'source': no extension 100-BETA in tenant ACME"),
            (dial().p("source", "999").p("dest", "5551234"), "parameter 'source': no extension 999 in tenant ACME"),
            (dial().p("source", "100"), "parameter 'dest' is required"),
            (sb.req(ctx, "DIAL", &ctx.ro, "ACME").p("source", "100").p("dest", "5551234"), "this key is read-only; DIAL needs a read/write key"),
        ];
        for (req, message) in failures {
            let r = req.clone().fmt("json").get().await;
            assert_eq!(r.content_type, JSON);
            assert_eq!(r.json(), json!({ "Response": "Error", "Message": message, "ID": "" }));
            req.get().await.is_error(message);
        }
        assert_eq!(node.received_named("Originate").len(), 2);
        // The auth failure stays the upstream text.
        sb.req(ctx, "DIAL", "sbk_wrong", "ACME").p("source", "100").p("dest", "1").fmt("json").get().await.is_too_bad();
        sb.stop().await;
    }

    /// The auth failure is the exact plain text with HTTP 200 whatever `format` asks for
    /// (bad key, missing key, a tenant key without or with another tenant, a tenant key asking
    /// for admin data); other errors keep the json object shape.
    async fn auth_failure_is_plain_text_in_every_format(ctx) {
        for f in render::FORMATS {
            for r in [
                ctx.info("sbk_wrong", Some("ACME"), "dids").in_format(f).get().await,
                ctx.req().p("reqtype", "INFO").p("info", "dids").in_format(f).get().await,
                ctx.info(&ctx.rw, None, "dids").in_format(f).get().await,
                ctx.info(&ctx.rw, Some("BETA"), "dids").in_format(f).get().await,
                ctx.mdb(&ctx.ro, Some("ACME"), "tenant", "list").in_format(f).post().await,
                ctx.req().p("reqtype", "COUNTPEERS").p("key", "sbk_wrong").in_format(f).get().await,
            ] {
                r.is_too_bad();
            }
        }
        ctx.info(&ctx.rw, Some("ACME"), "nope").fmt("json").get().await
            .is_json_error("parameter 'info': unknown info type 'nope'");
    }

    /// An admin key acts on live calls without a tenant (as it reads CHANNELS of all): HANGUP
    /// by channel or by `<number>-<TENANT>`, TRANSFER and ATXTRANSFER into the channel's tenant
    /// context. A tenant key still touches only its own channels.
    async fn admin_acts_on_live_calls_without_a_tenant(ctx) {
        let node = AmiServer::start().await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        ctx.ext(&ctx.b, "200", json!({})).await;
        {
            let mut s = node.state();
            s.channels.push(Channel::new("PJSIP/100-ACME-00000001", "from-internal-ACME", "5551234"));
            s.channels.push(Channel::new("PJSIP/200-BETA-00000002", "from-internal-BETA", "5550000"));
            s.channels.push(Channel::new("PJSIP/trunk-00000003", "from-trunk", "5559999"));
        }
        let sb = Sb::with_node(ctx, &node).await;
        let admin = |reqtype: &str| sb.req(ctx, reqtype, &ctx.admin, "");

        let r = admin("TRANSFER").p("channel", "PJSIP/200-BETA-00000002").p("dest", "201").get().await;
        assert!(r.text().starts_with("Success|"), "{}", r.text());
        let redirect = node.received_named("Redirect");
        assert_eq!(redirect[0].get("Context"), Some("from-internal-BETA"));
        let r = admin("ATXTRANSFER").p("channel", "PJSIP/100-ACME-00000001").p("dest", "101").get().await;
        assert!(r.text().starts_with("Success|"), "{}", r.text());
        assert_eq!(node.received_named("Atxfer")[0].get("Context"), Some("from-internal-ACME"));
        // A channel of no tenant has no context to transfer into.
        admin("TRANSFER").p("channel", "PJSIP/trunk-00000003").p("dest", "201").get().await
            .is_error("parameter 'tenant' is required for TRANSFER: channel PJSIP/trunk-00000003 is of no tenant");
        admin("HANGUP").p("channel", "PJSIP/200-BETA-00000002").get().await.is_plain("Success|Channel Hungup|");
        admin("HANGUP").p("channel", "PJSIP/trunk-00000003").fmt("json").get().await;
        admin("HANGUP").p("extension", "100-ACME").get().await.is_plain("Success|Channel Hungup|");
        let hung: Vec<String> = node.received_named("Hangup").iter().map(|a| a.get("Channel").unwrap().to_string()).collect();
        assert_eq!(hung, ["PJSIP/200-BETA-00000002", "PJSIP/trunk-00000003", "PJSIP/100-ACME-00000001"]);
        admin("HANGUP").p("number", "100").get().await.is_error_starting("parameter 'tenant' is required for HANGUP of number 100");
        admin("HANGUP").p("extension", "100-NOPE").get().await.is_error("parameter 'extension': no tenant NOPE for 100-NOPE");
        admin("HANGUP").p("channel", "PJSIP/999-ACME-00000009").get().await.is_error("parameter 'channel': no channel PJSIP/999-ACME-00000009");

        // Tenant keys: still only their own channels; read-only admin keys change nothing.
        sb.req(ctx, "HANGUP", &ctx.rw, "ACME").p("channel", "PJSIP/200-BETA-00000002").get().await
            .is_error("parameter 'channel': no channel PJSIP/200-BETA-00000002 of tenant ACME");
        let (_, admin_ro) = ctx.mint(KeySpec { admin: true, read_only: true, ..Default::default() }).await;
        sb.req(ctx, "HANGUP", &admin_ro, "").p("channel", "PJSIP/200-BETA-00000002").get().await
            .is_error("this key is read-only; HANGUP needs a read/write key");
        assert_eq!(node.received_named("Hangup").len(), 3);
        sb.stop().await;
    }

    /// A csv export with no rows still has its header line; a record miss stays empty.
    async fn csv_exports_with_no_rows_keep_their_header(ctx) {
        let csv = |r: Resp| {
            assert_eq!(r.content_type, CSV, "{}", r.text());
            let t = r.text();
            assert!(t.ends_with('\n') && t.lines().count() == 1, "{t:?}");
            t.lines().next().unwrap().to_string()
        };
        for (key, tenant) in [(&ctx.rw, Some("ACME")), (&ctx.admin, Some("%"))] {
            let h = csv(ctx.info(key, tenant, "cdrs").fmt("csv").p("start", "2017-01-01").p("end", "2017-02-01").get().await);
            assert!(h.contains("uniqueid"), "{h}");
            let h = csv(ctx.info(key, tenant, "simplecdrs").fmt("csv").p("start", "2017-01-01").get().await);
            assert!(h.starts_with("sc_te_id,tenantcode,sc_start,sc_direction"), "{h}");
            let h = csv(ctx.info(key, tenant, "queuelogs").fmt("csv").p("start", "2017-10-01").p("end", "2017-12-01").get().await);
            assert!(h.starts_with("time,qu_name,callerid,disposition"), "{h}");
        }
        let h = csv(ctx.info(&ctx.admin, None, "dids").fmt("csv").get().await);
        assert!(h.starts_with("di_country,"), "{h}");
        let h = csv(ctx.mdb(&ctx.rw, Some("ACME"), "extension", "list").fmt("csv").get().await);
        assert!(h.starts_with("ex_id,"), "{h}");
        // A record miss: 0 bytes.
        let r = ctx.mdb(&ctx.rw, Some("ACME"), "extension", "get").id(4242).fmt("csv").get().await;
        assert_eq!(r.text(), "");
    }
}
