//! The database goes away under load and comes back. While it is away every request fails fast
//! (well under the old 30 s pool hang) with the legacy "database unavailable" error, HTTP 200,
//! never an internal error; once it is back the server recovers by itself within seconds; and
//! every write the server acknowledged is in the database.
//!
//! The database is cut by a TCP forwarder inside the test, between a second server and the
//! database server (stopping the shared server would disturb every other test on the machine).
//! Server databases only: SQLite has no connection to cut.

use crate::common::*;
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};
use switchboard::db::Db;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const UNAVAILABLE: &str = "the database is unavailable; try again in a few seconds";

/// A TCP forwarder to `target` that can be cut (open connections dropped, new ones closed at
/// once, as a server that went away) and restored.
struct CutProxy {
    port: u16,
    up: watch::Sender<bool>,
}

impl CutProxy {
    async fn start(target: String) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, _) = watch::channel(true);
        let state = up.subscribe();
        actix_rt::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*state.borrow() {
                    continue; // dropped: the connection closes at once
                }
                let target = target.clone();
                let mut state = state.clone();
                actix_rt::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        CutProxy { port, up }
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }
}

/// The `host:port` of a database URL.
fn server_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split_once('/').unwrap().0;
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_string()
}

/// `url` through the proxy on `port`, with a short acquire timeout.
fn via(url: &str, port: u16) -> String {
    let url = url.replacen(&server_of(url), &format!("127.0.0.1:{port}"), 1);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}acquire_timeout=1")
}

#[derive(Default)]
struct Tally {
    /// Extension numbers whose add was acknowledged.
    acknowledged: Vec<String>,
    unavailable: usize,
    ok: usize,
    slowest: Duration,
    /// When the first request succeeded after the restore.
    recovered: Option<Instant>,
}

async fn check(ctx: &Ctx) {
    let proxy = CutProxy::start(server_of(&ctx.db_url())).await;
    let db = Db::connect(&via(&ctx.db_url(), proxy.port)).await.unwrap();
    let base = ctx.extra_server_on(db).await;
    let ext = ctx.ext(&ctx.a, "100", json!({})).await;
    let id = id_of(&ext, "ex_id");

    let tally = Rc::new(RefCell::new(Tally::default()));
    let restored: Rc<RefCell<Option<Instant>>> = Rc::default();
    let stop = Rc::new(std::cell::Cell::new(false));
    // Load: readers and writers on the proxied server, all the time.
    let mut workers = Vec::new();
    for w in 0..6 {
        let (tally, restored, stop, base) =
            (tally.clone(), restored.clone(), stop.clone(), base.clone());
        workers.push(async move {
            let mut n = 0;
            while !stop.get() {
                n += 1;
                let number = format!("{}{n:04}", 2 + w);
                let started = Instant::now();
                let r = if w % 2 == 0 {
                    ctx.mdb(&ctx.rw, Some("ACME"), "extension", "get")
                        .id(id)
                        .fmt("json")
                        .on(&base)
                        .get()
                        .await
                } else {
                    ctx.mdb(&ctx.rw, Some("ACME"), "extension", "add")
                        .json(&json!({ "ex_number": number, "ex_name": "Load" }))
                        .fmt("json")
                        .on(&base)
                        .post()
                        .await
                };
                let took = started.elapsed();
                let mut t = tally.borrow_mut();
                t.slowest = t.slowest.max(took);
                let v = r.json();
                if v["Response"] == "Error" {
                    assert_eq!(v["Message"], UNAVAILABLE, "{}", r.text());
                    t.unavailable += 1;
                    drop(t);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                assert!(v["ex_id"].is_string(), "{}", r.text());
                t.ok += 1;
                if w % 2 == 1 {
                    t.acknowledged.push(number);
                }
                if t.recovered.is_none() && restored.borrow().is_some_and(|at| started >= at) {
                    t.recovered = Some(Instant::now());
                }
            }
        });
    }
    let script = async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let before = tally.borrow().ok;
        assert!(before > 0, "no request succeeded before the cut");
        proxy.cut();
        tokio::time::sleep(Duration::from_secs(4)).await;
        {
            let t = tally.borrow();
            assert!(
                t.unavailable > 0,
                "nothing failed while the database was cut"
            );
        }
        *restored.borrow_mut() = Some(Instant::now());
        proxy.restore();
        for _ in 0..100 {
            if tally.borrow().recovered.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.set(true);
    };
    futures_util::future::join(script, futures_util::future::join_all(workers)).await;

    let t = tally.borrow();
    let recovered = t
        .recovered
        .expect("no request succeeded within 10 s of the restore");
    let after = recovered - restored.borrow().unwrap();
    eprintln!(
        "outage: {} ok, {} unavailable, slowest {:?}, recovered {:?} after the restore",
        t.ok, t.unavailable, t.slowest, after
    );
    assert!(
        t.slowest < Duration::from_secs(3),
        "a request took {:?}",
        t.slowest
    );
    assert!(after < Duration::from_secs(5), "recovery took {after:?}");
    // Every acknowledged write is stored (read on the context's own, direct connection).
    let stored = ctx.list(&ctx.admin, Some("ACME"), "extension").await;
    let numbers: std::collections::HashSet<&str> = stored
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["ex_number"].as_str().unwrap())
        .collect();
    for n in &t.acknowledged {
        assert!(
            numbers.contains(n.as_str()),
            "acknowledged extension {n} is missing"
        );
    }
    assert!(!t.acknowledged.is_empty());
}

fn body(ctx: &Ctx) -> TestFuture<'_> {
    Box::pin(check(ctx))
}

#[actix_rt::test]
#[cfg_attr(
    not(switchboard_test_postgres),
    ignore = "SWITCHBOARD_TEST_POSTGRES_URL is not set"
)]
async fn database_cut_and_restored_postgres() {
    run(Backend::Postgres, body).await
}

#[actix_rt::test]
#[cfg_attr(
    not(switchboard_test_mysql),
    ignore = "SWITCHBOARD_TEST_MYSQL_URL is not set"
)]
async fn database_cut_and_restored_mysql() {
    run(Backend::Mysql, body).await
}
