//! Security events absorbed per second and the ban latency: two AMI test nodes stream failure
//! events (a flood of addresses below the threshold, and attackers that reach it), consumed by
//! the real cluster (one consumer per node, the event router, the per-address counter, the ban
//! insert). The ceiling, measured in the same run: the same number of events through the same
//! path to a handler that only counts them.
//!
//! `cargo bench --bench bans` (release). SQLite in a temporary directory by default;
//! `BANS_BENCH_DATABASE_URL=postgres://…/db` (an empty database) for another backend.

#[path = "../tests/api/ami_server/mod.rs"]
mod ami_server;

use ami_server::{AmiServer, SECRET, USERNAME};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard::cluster::bans::{self, Policy};
use switchboard::cluster::{nodes, Cluster};
use switchboard::db::Db;

const FLOOD_ADDRESSES: u32 = 5_000;
const ATTACKERS: u32 = 500;

fn failure(node: &AmiServer, event: &str, addr: &str) {
    let remote = format!("IPV4/UDP/{addr}/5060");
    node.emit(&[
        ("Event", event),
        ("Privilege", "security,all"),
        ("Severity", "Error"),
        ("Service", "PJSIP"),
        ("EventVersion", "1"),
        ("AccountID", "100"),
        ("LocalAddress", "IPV4/UDP/192.0.2.10/5060"),
        ("RemoteAddress", &remote),
    ]);
}

fn addr(i: u32) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn bans_count(db: &Db) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::bn_bans::Entity::find()
        .count(&db.conn)
        .await
        .unwrap()
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sb-bans-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = std::env::var("BANS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.display()));
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let servers = AmiServer::start_many(2).await;
    for (s, name) in servers.iter().zip(["n1", "n2"]) {
        nodes::add(
            &db.conn,
            nodes::NewNode {
                name,
                host: "127.0.0.1",
                port: s.port(),
                username: USERNAME,
                secret: SECRET,
                timezone: "UTC",
            },
        )
        .await
        .unwrap();
    }
    let cluster = Cluster::new(db.clone());
    let counter = bans::subscribe(
        &cluster.events,
        Policy {
            failures: 10,
            ..Policy::default()
        },
    );
    let noop = Arc::new(AtomicU64::new(0));
    {
        let noop = noop.clone();
        cluster.events.on("BenchNoop", move |_| {
            noop.fetch_add(1, Ordering::Relaxed);
            Box::pin(async { Ok(()) })
        });
    }
    cluster.start();
    for name in ["n1", "n2"] {
        let node = loop {
            if let Some(n) = cluster.node(name) {
                break n;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert!(node.client.wait_connected(Duration::from_secs(30)).await);
    }
    println!("backend: {}", url.split(':').next().unwrap_or(""));

    // The flood: 9 failures of each of 5,000 addresses (never banned) and 10 of each of 500
    // attackers (5 per node: banned), interleaved.
    let total = u64::from(FLOOD_ADDRESSES * 9 + ATTACKERS * 10);
    let start = Instant::now();
    for round in 0..10u32 {
        for i in 0..FLOOD_ADDRESSES {
            if round < 9 {
                failure(&servers[(i % 2) as usize], "InvalidAccountID", &addr(i));
            }
        }
        for i in 0..ATTACKERS {
            failure(
                &servers[(round % 2) as usize],
                "ChallengeResponseFailed",
                &addr(100_000 + i),
            );
        }
    }
    wait_until("every event counted", || {
        counter.seen.load(Ordering::Relaxed) >= total
    })
    .await;
    while bans_count(&db).await < u64::from(ATTACKERS) {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let took = start.elapsed();
    assert_eq!(
        bans_count(&db).await,
        u64::from(ATTACKERS),
        "only the attackers"
    );
    let rate = total as f64 / took.as_secs_f64();

    // The ceiling: as many events through the same consumers to a handler that counts.
    let start = Instant::now();
    for i in 0..total {
        servers[(i % 2) as usize].emit(&[("Event", "BenchNoop"), ("Seq", &i.to_string())]);
    }
    wait_until("noop events", || noop.load(Ordering::Relaxed) >= total).await;
    let ceiling = total as f64 / start.elapsed().as_secs_f64();
    println!(
        "{total} security events from {} addresses ({ATTACKERS} banned) on 2 nodes: {:.3} s = {rate:.0} events/s; ceiling (same path, counting handler) {ceiling:.0} events/s; ratio {:.2}",
        FLOOD_ADDRESSES + ATTACKERS,
        took.as_secs_f64(),
        rate / ceiling
    );

    // Ban latency: the threshold-reaching event → the row the nodes' feed serves.
    let mut latencies = vec![];
    for k in 0..20u32 {
        let a = addr(200_000 + k);
        let before = counter.seen.load(Ordering::Relaxed);
        for j in 0..9 {
            failure(&servers[(j % 2) as usize], "InvalidPassword", &a);
        }
        wait_until("nine counted", || {
            counter.seen.load(Ordering::Relaxed) >= before + 9
        })
        .await;
        let have = bans_count(&db).await;
        let t = Instant::now();
        failure(&servers[1], "InvalidPassword", &a);
        while bans_count(&db).await == have {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        latencies.push(t.elapsed());
    }
    latencies.sort();
    println!(
        "ban latency (10th failure → bn_bans row), 20 bans: p50 {:.1} ms, max {:.1} ms; the nodes' agent reads the feed every 1 s, so every node drops the address within {:.2} s",
        latencies[10].as_secs_f64() * 1e3,
        latencies[19].as_secs_f64() * 1e3,
        1.0 + latencies[19].as_secs_f64()
    );
    cluster.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
