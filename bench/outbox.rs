//! Outbox drain rate: 10,000 pending node actions for a node that was down, delivered when it
//! comes back (and 3 × 10,000 when three nodes come back at once), through the real dispatcher
//! (leases, batches, result recording) against AMI test servers.
//!
//! `cargo bench --bench outbox` (release). SQLite in a temporary directory by default;
//! `OUTBOX_BENCH_DATABASE_URL=postgres://…/db` (an empty database) to measure another backend.
//! `OUTBOX_BENCH_N` sets the number of actions (default 10000).

#[path = "../tests/api/ami_server/mod.rs"]
mod ami_server;

use ami_server::{AmiServer, SECRET, USERNAME};
use std::time::{Duration, Instant};
use switchboard::cluster::outbox::{self, NodeAction};
use switchboard::cluster::{nodes, Cluster};
use switchboard::db::Db;

async fn pending(db: &Db) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    entity::od_deliveries::Entity::find()
        .filter(entity::od_deliveries::Column::OdState.eq("pending"))
        .count(&db.conn)
        .await
        .unwrap() as i64
}

async fn drain(db: &Db, cluster: &Cluster, servers: &[AmiServer], names: &[&str], n: usize) {
    for s in servers {
        s.come_back().await;
    }
    for name in names {
        let node = loop {
            if let Some(node) = cluster.node(name) {
                break node;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert!(node.client.wait_connected(Duration::from_secs(30)).await);
    }
    let start = Instant::now();
    while pending(db).await > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = start.elapsed();
    let total = n * names.len();
    let received: usize = servers
        .iter()
        .map(|s| s.received_named("SorceryMemoryCacheExpireObject").len())
        .sum();
    assert_eq!(received, total, "every action delivered once");
    println!(
        "{} node(s) back, {total} pending actions: drained in {:.3} s = {:.0} actions/s",
        names.len(),
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64()
    );
}

async fn fill(db: &Db, te: i32, n: usize, tag: &str) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let actions: Vec<NodeAction> = chunk
            .iter()
            .map(|i| {
                let object = format!("{tag}{i}-BENCH");
                NodeAction::new(
                    format!("sorcery:pjsip_endpoint:{object}"),
                    "SorceryMemoryCacheExpireObject",
                    &[("Cache", "pjsip_endpoint"), ("Object", &object)],
                )
            })
            .collect();
        let txn = db.begin_write().await.unwrap();
        outbox::record(&*txn, Some(te), &actions).await.unwrap();
        txn.commit().await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("OUTBOX_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("sb-outbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = std::env::var("OUTBOX_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.display()));
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let te = switchboard::cli::add_tenant(&db, "BENCH", "Bench", serde_json::json!({}))
        .await
        .unwrap();
    let servers = AmiServer::start_many(3).await;
    let names = ["n1", "n2", "n3"];
    for (s, name) in servers.iter().zip(names) {
        s.set_answer(
            "SorceryMemoryCacheExpireObject",
            &[("Message", "Object expired from cache")],
        );
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
        s.go_away().await;
    }
    let settings = switchboard::cluster::Settings {
        backoff_max: Duration::from_millis(200),
        ..Default::default()
    };
    let cluster = Cluster::with_settings(db.clone(), settings);
    cluster.start();
    println!("backend: {}", url.split(':').next().unwrap_or(""));

    // One node returns to 10,000 pending actions (the other two stay down).
    fill(&db, te, n, "a").await;
    // Only n1's deliveries count in this run: drop the others' rows.
    {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let n1 = nodes::find(&db.conn, "n1").await.unwrap().unwrap().no_id;
        entity::od_deliveries::Entity::delete_many()
            .filter(entity::od_deliveries::Column::OdNoId.ne(n1))
            .exec(&db.conn)
            .await
            .unwrap();
    }
    drain(&db, &cluster, &servers[..1], &names[..1], n).await;

    // All three down, 10,000 each, all back at once.
    servers[0].go_away().await;
    for s in &servers {
        s.clear_received();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    fill(&db, te, n, "b").await;
    drain(&db, &cluster, &servers, &names, n).await;
    cluster.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
