//! What a kill -9 may not take away: every write the server acknowledged is in the database,
//! whole (the extension with its realtime rows), after the `serve` process is killed in the
//! middle of a stream of writes, and the server starts again on that database.

use crate::common::*;
use std::cell::RefCell;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `serve` process of the built binary on the test's database, on a free port.
fn spawn_serve(ctx: &Ctx) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--no-agi", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", ctx.db_url())
        .env("SWITCHBOARD_DATA_DIR", &ctx.config.data_dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

async fn wait_healthy(client: &awc::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("serve did not come up on {base}");
}

/// MANAGEDB add of extension `number` for ACME; `Some(true)` acknowledged, `Some(false)`
/// refused, `None` no answer (the server is gone).
async fn add_extension(client: &awc::Client, ctx: &Ctx, base: &str, number: u32) -> Option<bool> {
    let data =
        serde_json::json!({ "ex_number": number.to_string(), "ex_name": format!("Ext {number}") });
    let body = urlencode(&[
        ("reqtype".into(), "MANAGEDB".into()),
        ("object".into(), "extension".into()),
        ("action".into(), "add".into()),
        ("format".into(), "json".into()),
        ("key".into(), ctx.rw.clone()),
        ("tenant".into(), "ACME".into()),
        ("jsondata".into(), data.to_string()),
    ]);
    let mut res = client
        .post(format!("{base}{PATH}"))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .send_body(body)
        .await
        .ok()?;
    let bytes = res.body().await.ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(v.get("ex_number").is_some() && v.get("Response").is_none())
}

backend_tests! {
    async fn kill_9_loses_no_acknowledged_write(ctx) {
        let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
        let (child, base) = spawn_serve(ctx);
        let child = RefCell::new(Some(child));
        wait_healthy(&client, &base).await;
        let acked = RefCell::new(Vec::new());
        // Eight writers; the process is killed once 40 writes are acknowledged, while the
        // others are in flight.
        let writer = |w: u32| {
            let (client, base, acked, child) = (&client, &base, &acked, &child);
            async move {
                for i in 0.. {
                    let number = 2000 + w * 1000 + i;
                    match add_extension(client, ctx, base, number).await {
                        Some(true) => acked.borrow_mut().push(number),
                        Some(false) => panic!("extension {number} refused"),
                        None => break,
                    }
                    if acked.borrow().len() >= 40 {
                        if let Some(mut c) = child.borrow_mut().take() {
                            c.kill().unwrap(); // SIGKILL
                            c.wait().unwrap();
                        }
                    }
                }
            }
        };
        futures_util::future::join_all((0..8).map(writer)).await;
        let acked = acked.into_inner();
        assert!(acked.len() >= 40, "{}", acked.len());
        for number in &acked {
            let device = format!("'{number}-ACME'");
            assert_eq!(ctx.count_where("ex_extensions", &format!("ex_number = '{number}'")).await, 1, "{number}");
            for table in ["ps_endpoints", "ps_auths", "ps_aors"] {
                assert_eq!(ctx.count_where(table, &format!("id = {device}")).await, 1, "{table} {number}");
            }
        }
        // Nothing half-written either: every extension stored has its endpoint.
        let stored = ctx.count_where("ex_extensions", &format!("ex_te_id = {}", ctx.a.id)).await;
        assert!(stored >= acked.len() as i64);
        assert_eq!(ctx.count_where("ps_endpoints", "id LIKE '%-ACME'").await, stored);
        // And the server starts again on the same database and serves what it stored.
        let (mut again, base) = spawn_serve(ctx);
        wait_healthy(&client, &base).await;
        assert_eq!(add_extension(&client, ctx, &base, 1999).await, Some(true));
        again.kill().unwrap();
        again.wait().unwrap();
    }
}
