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
        // Widget tokens a day past their expiry go when the next is minted; other keys stay.
        let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::hours(25);
        let (expired_key, _) = ctx.mint(KeySpec { tenant_id: Some(ctx.a.id), expires: Some(long_ago), ..Default::default() }).await;
        entity::ak_apikeys::Entity::update_many()
            .col_expr(entity::ak_apikeys::Column::AkExpires, sea_orm::sea_query::Expr::value(long_ago))
            .filter(entity::ak_apikeys::Column::AkPrefix.eq(old[..12].to_string()))
            .exec(&ctx.db.conn).await.unwrap();
        let count = |prefix: String| {
            let conn = ctx.db.conn.clone();
            async move {
                entity::ak_apikeys::Entity::find().filter(entity::ak_apikeys::Column::AkPrefix.eq(prefix))
                    .all(&conn).await.unwrap().len()
            }
        };
        assert_eq!(count(old[..12].to_string()).await, 1);
        mint(&ctx.rw, Some("ACME")).get().await.text();
        assert_eq!(count(old[..12].to_string()).await, 0);
        assert_eq!(count(token[..12].to_string()).await, 1);
        assert!(entity::ak_apikeys::Entity::find_by_id(expired_key).one(&ctx.db.conn).await.unwrap().is_some());
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

/// GET `url` (answered 200): its headers and body.
async fn fetch(url: &str) -> (awc::http::header::HeaderMap, String) {
    let mut res = awc::Client::default().get(url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{url}");
    let body = res.body().await.unwrap();
    (
        res.headers().clone(),
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn header(h: &awc::http::header::HeaderMap, name: &str) -> String {
    h.get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

backend_tests! {
    async fn the_status_page_and_its_headers(ctx) {
        let (h, page) = fetch(&format!("{}/widget/status", ctx.base)).await;
        assert!(header(&h, "content-type").starts_with("text/html"));
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        assert_eq!(header(&h, "referrer-policy"), "no-referrer");
        let csp = header(&h, "content-security-policy");
        for part in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "base-uri 'none'"] {
            assert!(csp.contains(part), "{csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        // No inline script: the page's only script is its own file.
        assert!(page.contains("<script src=\"status.js\"></script>"), "{page}");
        assert_eq!(page.matches("<script").count(), 1);
        let (h, js) = fetch(&format!("{}/widget/status.js", ctx.base)).await;
        assert!(header(&h, "content-type").starts_with("application/javascript"));
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        assert!(js.contains("textContent") && !js.contains("innerHTML"));
        let (h, _) = fetch(&format!("{}/widget/status.css", ctx.base)).await;
        assert!(header(&h, "content-type").starts_with("text/css"));

        // ProxyAPI answers: never sniffed; a JSONP answer is script, nothing else is.
        let api = |q: &str| format!("{}/pbx/proxyapi.php?{q}", ctx.base);
        let q = format!("reqtype=INFO&info=queues&tenant=ACME&key={}&format=json", ctx.ro);
        let (h, body) = fetch(&api(&format!("{q}&callback=cb_1"))).await;
        assert!(header(&h, "content-type").starts_with("application/javascript"));
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        assert_eq!(body, "cb_1({});");
        let (h, body) = fetch(&api(&q)).await;
        assert!(header(&h, "content-type").starts_with("application/json"));
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        assert_eq!(body, "{}");
        // A hostile callback is refused, in JSON (not script), without echoing it.
        for hostile in ["alert(1);x", "x;alert(1)", "a=b", "x%0Aalert(1)", "x//"] {
            let (h, body) = fetch(&api(&format!("{q}&callback={hostile}"))).await;
            assert!(header(&h, "content-type").starts_with("application/json"), "{hostile}");
            assert!(!body.contains("alert"), "{hostile}: {body}");
            let j: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(j["Response"], "Error", "{hostile}");
            assert!(j["Message"].as_str().unwrap().contains("callback"), "{body}");
        }
        // A plain answer opened as a page runs nothing.
        let (h, body) = fetch(&api("reqtype=%3Cscript%3Ealert(1)%3C/script%3E")).await;
        assert!(header(&h, "content-type").starts_with("text/html"));
        assert!(body.starts_with("Error"), "{body}");
        assert_eq!(header(&h, "content-security-policy"), "default-src 'none'; sandbox");
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    }
}

// ----- the page in headless Chromium (WebDriver through chromedriver) -----

/// The first of `names` on PATH.
fn on_path(names: &[&str]) -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("none of {names:?} on PATH"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when dropped (the test may panic).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A WebDriver session on a chromedriver of the test's own, headless.
struct Browser {
    base: String,
    session: String,
    client: awc::Client,
    _driver: Child,
    profile: std::path::PathBuf,
}

impl Browser {
    async fn start() -> Browser {
        let port = free_port();
        let driver = Child(
            std::process::Command::new(on_path(&["chromedriver"]))
                .arg(format!("--port={port}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        let base = format!("http://127.0.0.1:{port}");
        let client = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .finish();
        let mut up = false;
        for _ in 0..100 {
            if let Ok(mut r) = client.get(format!("{base}/status")).send().await {
                let status: serde_json::Value =
                    serde_json::from_slice(&r.body().await.unwrap()).unwrap();
                if status["value"]["ready"] == true {
                    up = true;
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(up, "chromedriver did not start");
        let profile = std::env::temp_dir().join(format!(
            "switchboard-chromium-{}-{port}",
            std::process::id()
        ));
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": on_path(&["chromium", "chromium-browser", "google-chrome"]),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--user-data-dir={}", profile.display())],
            },
        }}});
        let mut b = Browser {
            base,
            session: String::new(),
            client,
            _driver: driver,
            profile,
        };
        let v = b.call("POST", "/session", caps).await;
        b.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        b
    }

    /// One WebDriver command; its `value` (panics on a WebDriver error).
    async fn call(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "POST" => self.client.post(url),
            "DELETE" => self.client.delete(url),
            _ => self.client.get(url),
        };
        let mut res = req
            .insert_header(("content-type", "application/json"))
            .send_body(body.to_string())
            .await
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&res.body().limit(16 << 20).await.unwrap()).unwrap();
        let value = v["value"].clone();
        assert!(value.get("error").is_none(), "WebDriver {path}: {value}");
        value
    }

    async fn goto(&self, url: &str) {
        self.call(
            "POST",
            &format!("/session/{}/url", self.session),
            json!({ "url": url }),
        )
        .await;
    }

    /// Run `script` (a function body) in the page; its return value.
    async fn eval(&self, script: &str) -> serde_json::Value {
        self.call(
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// Run `script` whose last argument is the callback to call with the result.
    async fn eval_async(&self, script: &str) -> serde_json::Value {
        self.call(
            "POST",
            &format!("/session/{}/execute/async", self.session),
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// Wait until the page has finished more than `n` polling rounds; their number.
    async fn rounds_after(&self, n: u64) -> u64 {
        for _ in 0..200 {
            let r = self
                .eval("return document.body.dataset.rounds || '0';")
                .await;
            let r: u64 = r.as_str().unwrap_or("0").parse().unwrap();
            if r > n {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the page did not poll after round {n}");
    }

    async fn quit(self) {
        self.call("DELETE", &format!("/session/{}", self.session), json!({}))
            .await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `switchboard serve` (the binary) on the test's database, without FastAGI; its base URL.
async fn serve(ctx: &Ctx) -> (Child, String) {
    let port = free_port();
    let child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--no-agi"])
            .env("DATABASE_URL", ctx.db_url())
            .env("SWITCHBOARD_DATA_DIR", ctx.config.data_dir.join("serve"))
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if let Ok(r) = awc::Client::default()
            .get(format!("{base}/healthz"))
            .send()
            .await
        {
            if r.status().is_success() {
                return (child, base);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("serve did not start");
}

/// The page's BLF entries, `ext=state`.
const BLF: &str = "return Array.from(document.querySelectorAll('#blf li')).map(li => li.dataset.ext + '=' + li.dataset.state + '|' + li.textContent);";
/// The page's queues: `name text|waiting|caller;caller`.
const QUEUES: &str = "return Array.from(document.querySelectorAll('#queues .queue')).map(q => q.querySelector('h3').textContent + '|' + q.dataset.waiting + '|' + Array.from(q.querySelectorAll('.caller .who')).map(c => c.textContent).join(';'));";

async fn the_page_in_chromium(ctx: &Ctx) {
    let server = crate::ami_server::AmiServer::start().await;
    register(ctx, "n1", &server).await;
    for n in ["100", "101", "102"] {
        ctx.ext(&ctx.a, n, json!({})).await;
    }
    ctx.ext(&ctx.b, "105", json!({})).await;
    let qa = queue(ctx, ctx.a.id, "600").await;
    let qb = queue(ctx, ctx.b.id, "700").await;
    let hostile_name = "<img src=x onerror=\"window.pwned=1\">";
    {
        let mut st = server.state();
        for (hint, status) in [
            ("100@from-internal-ACME", 0),
            ("101@from-internal-ACME", 1),
            ("102@from-internal-ACME", 8),
            ("105@from-internal-BETA", 2),
        ] {
            st.extension_states.insert(
                hint.into(),
                crate::ami_server::ExtensionState {
                    hint: format!("PJSIP/{hint}"),
                    status,
                },
            );
        }
        let mut q = Queue::default();
        q.entries.push(waiting("n1-5.1", "5551001", "First", 75));
        q.entries
            .push(waiting("n1-5.2", "5551002", hostile_name, 5));
        st.queues.insert(qa.to_string(), q);
        let mut q = Queue::default();
        q.entries
            .push(waiting("n1-5.3", "5559999", "Beta caller", 5));
        st.queues.insert(qb.to_string(), q);
    }
    let (_serve, base) = serve(ctx).await;
    let token = widget_token(ctx, &base).await;
    // Wait until serve has its node: the token reads BLFS like the page.
    let blfs = ctx
        .req()
        .on(&base)
        .p("reqtype", "BLFS")
        .p("key", &token)
        .p("tenant", "ACME");
    for _ in 0..200 {
        if blfs.clone().get().await.text().contains("Idle") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let browser = Browser::start().await;
    browser
        .goto(&format!(
            "{base}/widget/status#tenant=ACME&token={token}&every=2"
        ))
        .await;
    let round = browser.rounds_after(0).await;
    let status = browser
        .eval("return document.getElementById('status').textContent;")
        .await;
    assert!(status.as_str().unwrap().starts_with("Updated"), "{status}");
    assert_eq!(
        browser.eval(BLF).await,
        json!([
            "100=Idle|100Idle",
            "101=InUse|101InUse",
            "102=Ringing|102Ringing"
        ])
    );
    let queues = browser.eval(QUEUES).await;
    assert_eq!(
        queues,
        json!([format!(
            "Q6002 waiting|2|1. 5551001 First;2. 5551002 {hostile_name}"
        )])
    );
    // The caller's name was shown as text: no element made of it, nothing of it ran.
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('#queues img').length;")
            .await,
        json!(0)
    );
    assert_eq!(
        browser.eval("return typeof window.pwned;").await,
        json!("undefined")
    );
    // The page follows the nodes.
    server
        .state()
        .extension_states
        .get_mut("101@from-internal-ACME")
        .unwrap()
        .status = 0;
    server
        .state()
        .queues
        .get_mut(&qa.to_string())
        .unwrap()
        .entries
        .remove(0);
    browser.rounds_after(round).await;
    assert_eq!(
        browser.eval(BLF).await,
        json!([
            "100=Idle|100Idle",
            "101=Idle|101Idle",
            "102=Ringing|102Ringing"
        ])
    );
    assert_eq!(
        browser.eval(QUEUES).await,
        json!([format!("Q6001 waiting|1|1. 5551002 {hostile_name}")])
    );

    // JSONP in this page: a script of the API with our callback runs it (the control) …
    let inject = |callback: &str| {
        format!(
        "const done = arguments[arguments.length - 1];
         const s = document.createElement('script');
         s.onload = () => done('load'); s.onerror = () => done('error');
         s.src = '/pbx/proxyapi.php?reqtype=BLFS&tenant=ACME&format=json&key={token}&callback=' + encodeURIComponent({callback:?});
         document.head.appendChild(s);")
    };
    browser
        .eval("window.sbTest = (d) => { window.got = d.length; };")
        .await;
    assert_eq!(browser.eval_async(&inject("sbTest")).await, json!("load"));
    assert_eq!(browser.eval("return window.got;").await, json!(3));
    // … a hostile callback is refused by the server and not run by the browser.
    for hostile in ["window.pwned=1;x", "alert(1);x", "(window.pwned=1)"] {
        assert_eq!(
            browser.eval_async(&inject(hostile)).await,
            json!("error"),
            "{hostile}"
        );
        assert_eq!(
            browser.eval("return typeof window.pwned;").await,
            json!("undefined"),
            "{hostile}"
        );
    }
    // Another tenant through this token: the auth failure on the page, no BETA data.
    browser
        .goto(&format!(
            "{base}/widget/status#tenant=BETA&token={token}&every=2"
        ))
        .await;
    browser.eval("location.reload();").await;
    browser.rounds_after(0).await;
    let status = browser
        .eval("return document.getElementById('status').textContent;")
        .await;
    // (The auth failure is plain text in every format, so the script tag sees no answer.)
    assert_eq!(
        status,
        json!("no answer: the server is unreachable or refused the token (expired, or another tenant's)")
    );
    assert_eq!(browser.eval(BLF).await, json!([]));
    browser.quit().await;
}

/// Headless Chromium against a running `serve` and the AMI test server: the page shows the
/// states the node reports, a hostile `callback` does not run. Ignored (not passed) when
/// Chromium or chromedriver is not installed (or the database is not configured).
mod status_page_in_headless_chromium {
    use super::*;

    #[actix_rt::test]
    #[cfg_attr(
        not(switchboard_test_chromium),
        ignore = "chromium or chromedriver is not installed"
    )]
    async fn sqlite() {
        run(Backend::Sqlite, |ctx| Box::pin(the_page_in_chromium(ctx))).await;
    }

    #[actix_rt::test]
    #[cfg_attr(
        not(all(switchboard_test_chromium, switchboard_test_postgres)),
        ignore = "chromium, chromedriver or SWITCHBOARD_TEST_POSTGRES_URL is missing"
    )]
    async fn postgres() {
        run(Backend::Postgres, |ctx| Box::pin(the_page_in_chromium(ctx))).await;
    }

    #[actix_rt::test]
    #[cfg_attr(
        not(all(switchboard_test_chromium, switchboard_test_mysql)),
        ignore = "chromium, chromedriver or SWITCHBOARD_TEST_MYSQL_URL is missing"
    )]
    async fn mysql() {
        run(Backend::Mysql, |ctx| Box::pin(the_page_in_chromium(ctx))).await;
    }
}
