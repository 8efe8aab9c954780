//! The embeddable status page and what it reads: INFO queuecallers (from the nodes'
//! QueueStatus `QueueEntry` items), widget tokens (WIDGETTOKEN, `key widget`), the
//! `/widget/status` page and its headers, and the page in headless Chromium.

use crate::ami_server::{Queue, QueueCaller};
use crate::cluster_harness::*;
use crate::common::*;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

/// A queue of `te` numbered `number`, named `Q<number>`; returns its id.
async fn queue(ctx: &Ctx, te: i32, number: &str) -> i32 {
    entity::qu_queues::ActiveModel {
        qu_te_id: Set(te),
        qu_name: Set(format!("Q{number}")),
        qu_number: Set(number.into()),
        qu_timeout: Set(0),
        qu_alwaysrecord: Set(String::new()),
        ..Default::default()
    }
    .insert(&ctx.db.conn)
    .await
    .unwrap()
    .qu_id
}

fn waiting(uid: &str, num: &str, name: &str, waited: u64) -> QueueCaller {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    QueueCaller {
        channel: format!("PJSIP/trunk-{uid}"),
        uniqueid: uid.into(),
        caller_id_num: num.into(),
        caller_id_name: name.into(),
        since: now - waited,
        ..Default::default()
    }
}

backend_tests! {
    async fn info_queuecallers_lists_the_tenants_waiting_callers(ctx) {
        let (servers, sb) = two_nodes(ctx).await;
        let qa = queue(ctx, ctx.a.id, "600").await;
        let qa2 = queue(ctx, ctx.a.id, "601").await;
        let qb = queue(ctx, ctx.b.id, "700").await;
        {
            let mut st = servers[0].state();
            let mut q = Queue::default();
            q.entries.push(waiting("n1-1.1", "5551001", "First", 300));
            q.entries.push(waiting("n1-1.2", "5551002", "Second", 30));
            st.queues.insert(qa.to_string(), q);
            let mut q = Queue::default();
            q.entries.push(waiting("n1-1.3", "5553003", "Beta caller", 10));
            st.queues.insert(qb.to_string(), q);
        }
        {
            let mut st = servers[1].state();
            let mut q = Queue::default();
            q.entries.push(waiting("n2-1.1", "5552001", "Other node", 5));
            st.queues.insert(qa2.to_string(), q);
            st.queues.insert(qa.to_string(), Queue::default());
        }
        let info = |key: &str, tenant: &str| ctx.info(key, Some(tenant), "queuecallers").on(&sb.base);
        let rows = info(&ctx.ro, "ACME").fmt("json").get().await.json();
        let rows = rows.as_array().unwrap();
        let seen: Vec<(String, String, String, String)> = rows.iter().map(|r| (
            r["qu_id"].as_str().unwrap().to_string(), r["position"].as_str().unwrap().to_string(),
            r["calleridnum"].as_str().unwrap().to_string(), r["node"].as_str().unwrap().to_string(),
        )).collect();
        assert_eq!(seen, [
            (qa.to_string(), "1".to_string(), "5551001".to_string(), "n1".to_string()),
            (qa.to_string(), "2".to_string(), "5551002".to_string(), "n1".to_string()),
            (qa2.to_string(), "1".to_string(), "5552001".to_string(), "n2".to_string()),
        ]);
        assert_eq!(rows[0]["qu_name"], "Q600");
        assert_eq!(rows[0]["calleridname"], "First");
        assert_eq!(rows[0]["uniqueid"], "n1-1.1");
        assert_eq!(rows[0]["channel"], "PJSIP/trunk-n1-1.1");
        let wait: u64 = rows[0]["wait"].as_str().unwrap().parse().unwrap();
        assert!((300..310).contains(&wait), "wait {wait}");
        assert!(!format!("{rows:?}").contains("Beta caller"));

        // One queue by id; plain has the column line first.
        let plain = info(&ctx.ro, "ACME").p("queue", qa2.to_string()).get().await.text();
        let mut lines = plain.lines();
        assert_eq!(lines.next(), Some("qu_id|qu_name|position|calleridnum|calleridname|wait|channel|uniqueid|node"));
        let row = lines.next().unwrap();
        assert!(row.starts_with(&format!("{qa2}|Q601|1|5552001|Other node|")), "{row}");
        assert!(row.ends_with("|PJSIP/trunk-n2-1.1|n2-1.1|n2"), "{row}");
        assert_eq!(lines.next(), None);
        // Another tenant's queue is not found; the admin sees BETA's caller.
        info(&ctx.ro, "ACME").p("queue", qb.to_string()).get().await
            .is_error_starting("parameter 'queue': no queue");
        let beta = info(&ctx.admin, "BETA").fmt("json").get().await.json();
        assert_eq!(beta.as_array().unwrap().len(), 1);
        assert_eq!(beta[0]["calleridname"], "Beta caller");
        ctx.info(&ctx.admin, None, "queuecallers").on(&sb.base).get().await
            .is_error("parameter 'tenant' is required for INFO queuecallers with an admin key");
        // No one waiting: the column line alone / an empty list.
        assert_eq!(info(&ctx.rw, "ACME").p("queue", qa2.to_string()).fmt("json").get().await.json().as_array().unwrap().len(), 1);
        servers[1].state().queues.get_mut(&qa2.to_string()).unwrap().entries.clear();
        assert_eq!(info(&ctx.rw, "ACME").p("queue", qa2.to_string()).fmt("json").get().await.json(), json!([]));
        // A node down: the answer says which.
        servers[1].go_away().await;
        sb.wait_down("n2").await;
        let text = info(&ctx.ro, "ACME").get().await.text();
        assert!(text.ends_with("Note: no answer from node(s) n2\n"), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
        sb.stop().await;
    }
}

/// Run the `switchboard` command line on the test's database.
fn cli(ctx: &Ctx, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("DATABASE_URL", ctx.db_url())
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// A widget token of ACME minted through the API with the tenant's read/write key.
async fn widget_token(ctx: &Ctx, base: &str) -> String {
    let r = ctx
        .req()
        .on(base)
        .p("reqtype", "WIDGETTOKEN")
        .p("key", &ctx.rw)
        .p("tenant", "ACME")
        .get()
        .await;
    let token = r.text();
    assert!(token.starts_with("sbw_") && token.len() == 52, "{token}");
    token
}

backend_tests! {
    async fn widget_tokens_read_presence_and_queues_of_their_tenant_and_nothing_else(ctx) {
        let server = crate::ami_server::AmiServer::start().await;
        let sb = Sb::with_node(ctx, &server).await;
        ctx.ext(&ctx.a, "100", json!({})).await;
        let qa = queue(ctx, ctx.a.id, "600").await;
        {
            let mut st = server.state();
            st.extension_states.insert("100@from-internal-ACME".into(), crate::ami_server::ExtensionState {
                hint: "PJSIP/100-ACME".into(), status: 0,
            });
            let mut q = Queue::default();
            q.entries.push(waiting("n1-9.1", "5551001", "First", 20));
            st.queues.insert(qa.to_string(), q);
        }
        let mint = |key: &str, tenant: Option<&str>| {
            let r = ctx.req().on(&sb.base).p("reqtype", "WIDGETTOKEN").p("key", key);
            match tenant { Some(t) => r.p("tenant", t), None => r }
        };
        // Minting: json tells the tenant, the expiry and the ttl.
        let j = mint(&ctx.rw, Some("ACME")).p("ttl", "600").fmt("json").get().await.json();
        assert_eq!((j["tenant"].as_str(), j["ttl"].as_str()), (Some("ACME"), Some("600")));
        let expires = chrono::NaiveDateTime::parse_from_str(j["expires"].as_str().unwrap(), "%Y-%m-%d %H:%M:%S").unwrap();
        let left = (expires - chrono::Utc::now().naive_utc()).num_seconds();
        assert!((590..=600).contains(&left), "{left}");
        let token = j["token"].as_str().unwrap().to_string();
        assert!(token.starts_with("sbw_"), "{token}");
        // Stored hashed, flagged, read-only, of ACME.
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let row = entity::ak_apikeys::Entity::find().order_by_desc(entity::ak_apikeys::Column::AkId)
            .one(&ctx.db.conn).await.unwrap().unwrap();
        assert!(row.ak_widget && row.ak_readonly && !row.ak_admin);
        assert_eq!(row.ak_te_id, Some(ctx.a.id));
        assert!(row.ak_hash.starts_with("$argon2id$") && !row.ak_hash.contains(&token[4..]));

        // Who may mint: a read/write tenant key, an admin naming a tenant; ttl in bounds.
        mint(&ctx.ro, Some("ACME")).get().await.is_error("this key is read-only; WIDGETTOKEN needs a read/write key");
        mint(&ctx.admin, None).get().await.is_error("parameter 'tenant' is required for WIDGETTOKEN with an admin key");
        let beta = mint(&ctx.admin, Some("BETA")).get().await.text();
        assert!(beta.starts_with("sbw_"), "{beta}");
        for bad in ["59", "86401", "1h", "-5"] {
            mint(&ctx.rw, Some("ACME")).p("ttl", bad).get().await
                .is_error("parameter 'ttl' must be a number of seconds from 60 to 86400");
        }
        mint(&ctx.rw, Some("BETA")).get().await.is_too_bad();
        mint(&token, Some("ACME")).get().await.is_too_bad();

        // What the token reads: BLFS, INFO queues, INFO queuecallers of ACME.
        let read = |reqtype: &str, tenant: &str| sb.req(ctx, reqtype, &token, tenant);
        let blfs = read("BLFS", "ACME").fmt("json").get().await.json();
        assert_eq!(blfs[0]["st_extension"], "100");
        assert_eq!(blfs[0]["st_state"], "Idle");
        assert_eq!(read("INFO", "ACME").p("info", "queues").fmt("json").get().await.json(), json!({ qa.to_string(): "Q600" }));
        let callers = read("INFO", "ACME").p("info", "QUEUECALLERS").fmt("json").get().await.json();
        assert_eq!(callers[0]["calleridnum"], "5551001");
        // JSONP, as the page asks.
        let r = read("BLFS", "ACME").fmt("json").p("callback", "sbWidget.cb1").get().await;
        assert!(r.text().starts_with("sbWidget.cb1([{"), "{}", r.text());
        assert!(r.content_type.starts_with("application/javascript"), "{}", r.content_type);

        // Nothing else, and never another tenant (the key's failure, as for an unknown key).
        read("BLFS", "BETA").get().await.is_too_bad();
        read("BLFS", "").get().await.is_too_bad();
        read("INFO", "BETA").p("info", "queuecallers").get().await.is_too_bad();
        for info in ["extensions", "dids", "agents", "cdrs", "balance", "extstate", "tenants"] {
            read("INFO", "ACME").p("info", info).get().await.is_too_bad();
        }
        read("INFO", "ACME").get().await.is_too_bad();
        for reqtype in ["CHANSIPPEERS", "COUNTPEERS", "CHANNELS", "EXTSTATE", "FLOWS", "BALANCE"] {
            read(reqtype, "ACME").get().await.is_too_bad();
        }
        let before = ctx.snapshot().await;
        ctx.mdb(&token, Some("ACME"), "extension", "list").get().await.is_too_bad();
        ctx.mdb(&token, Some("ACME"), "extension", "delete").p("objectid", "1").get().await.is_too_bad();
        read("DIAL", "ACME").p("source", "100").p("destination", "200").get().await.is_too_bad();
        read("DND", "ACME").p("action", "on").p("extension", "100").get().await.is_too_bad();
        read("QUEUE", "ACME").p("action", "add").p("number", "600").p("extension", "100").get().await.is_too_bad();
        assert_eq!(ctx.snapshot().await, before);
        assert!(server.received_named("Originate").is_empty());
        assert!(server.received_named("QueueAdd").is_empty());

        // Expiry: a token past its time is refused (this one expired before its first use).
        let old = mint(&ctx.rw, Some("ACME")).p("ttl", "60").get().await.text();
        entity::ak_apikeys::Entity::update_many()
            .col_expr(entity::ak_apikeys::Column::AkExpires,
                sea_orm::sea_query::Expr::value(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)))
            .filter(entity::ak_apikeys::Column::AkPrefix.eq(old[..12].to_string()))
            .exec(&ctx.db.conn).await.unwrap();
        sb.req(ctx, "BLFS", &old, "ACME").get().await.is_too_bad();
        sb.stop().await;
    }

    async fn key_widget_on_the_command_line(ctx) {
        let out = cli(ctx, &["key", "widget", "--tenant", "ACME", "--ttl", "120"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let token = stdout.lines().last().unwrap().to_string();
        assert!(token.starts_with("sbw_"), "{stdout}");
        assert!(stdout.contains("(tenant ACME, expires "), "{stdout}");
        // It reads what a widget reads (INFO queues needs no node), and nothing else.
        ctx.info(&token, Some("ACME"), "queues").get().await.is_plain("");
        ctx.info(&token, Some("ACME"), "extensions").get().await.is_too_bad();
        ctx.info(&token, Some("BETA"), "queues").get().await.is_too_bad();
        let list = String::from_utf8_lossy(&cli(ctx, &["key", "list"]).stdout).to_string();
        assert!(list.contains("tenant ACME widget"), "{list}");
        assert!(!list.contains(&token[..20]), "{list}");
        for (args, message) in [
            (&["key", "widget", "--tenant", "ACME", "--ttl", "10"][..], "error: --ttl must be a number of seconds from 60 to 86400"),
            (&["key", "widget", "--tenant", "NOPE"][..], "error: no tenant with code 'NOPE'"),
        ] {
            let out = cli(ctx, args);
            assert!(!out.status.success(), "{args:?}");
            assert!(String::from_utf8_lossy(&out.stderr).contains(message), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
