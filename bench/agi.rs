//! FastAGI decisions: N concurrent calls walking DID → IVR → queue (two sessions per call, as
//! the dialplan makes them) against the real service, beside a bare loopback session (the same
//! bytes in lock-step against a server that decides nothing) measured in the same run.
//!
//! `cargo bench --bench agi` (release). SQLite in a temporary directory by default;
//! `AGI_BENCH_DATABASE_URL=postgres://…/db` (an empty database) for another backend.
//! `AGI_BENCH_CONCURRENCY` (500) concurrent calls, `AGI_BENCH_DECISIONS` (20000) in all.

use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard::agi::AgiConfig;
use switchboard::db::Db;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

async fn ins(db: &Db, table: &str, cols: &[(&str, Value)]) -> i32 {
    let mut q = Query::insert();
    q.into_table(Alias::new(table))
        .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(cols.iter().map(|(_, v)| v.clone().into()));
    db.conn.execute(&q).await.unwrap().last_insert_id() as i32
}

fn s(v: &str) -> Value {
    Value::String(Some(v.into()))
}
fn i(v: i32) -> Value {
    Value::Int(Some(v))
}

/// Tenant, DID 39 02 5550100 → IVR; IVR key 1 → queue 600. Returns the IVR id.
async fn seed(db: &Db) -> i32 {
    let now = Value::ChronoDateTime(Some(chrono::Utc::now().naive_utc()));
    let te = ins(
        db,
        "te_tenants",
        &[
            ("te_code", s("ACME")),
            ("te_name", s("Acme")),
            ("te_created", now),
        ],
    )
    .await;
    let di = ins(
        db,
        "di_dids",
        &[
            ("di_te_id", i(te)),
            ("di_country", s("39")),
            ("di_area", s("02")),
            ("di_number", s("5550100")),
        ],
    )
    .await;
    let iv = ins(
        db,
        "iv_ivrs",
        &[
            ("iv_te_id", i(te)),
            ("iv_name", s("main")),
            ("iv_timeout", i(5)),
            ("iv_maxretries", i(1)),
        ],
    )
    .await;
    let qu = ins(
        db,
        "qu_queues",
        &[
            ("qu_te_id", i(te)),
            ("qu_name", s("sales")),
            ("qu_number", s("600")),
            ("qu_timeout", i(30)),
        ],
    )
    .await;
    for (src, id, tag, arg) in [("DID", di, "IVR", iv), ("IVR_1", iv, "QUEUE", qu)] {
        ins(
            db,
            "de_destinations",
            &[
                ("de_te_id", i(te)),
                ("de_type_src", s(src)),
                ("de_type_id_src", i(id)),
                ("de_type_dst", s(tag)),
                ("de_type_id_dst", s(&arg.to_string())),
                ("de_ord", i(1)),
            ],
        )
        .await;
    }
    switchboard::cluster::nodes::add(
        &db.conn,
        switchboard::cluster::nodes::NewNode {
            name: "ast1",
            host: "127.0.0.1",
            port: 5038,
            username: "u",
            secret: "x",
            timezone: "UTC",
        },
    )
    .await
    .unwrap();
    iv
}

fn env_block(script: &str, args: &[&str]) -> String {
    let mut env = format!(
        "agi_network: yes\nagi_network_script: {script}\nagi_request: agi://127.0.0.1/{script}\n\
         agi_channel: PJSIP/carrier-00000001\nagi_language: en\nagi_type: PJSIP\n\
         agi_uniqueid: ast1-1796301406.4\nagi_version: 22.10.1\nagi_callerid: 5551234\n\
         agi_calleridname: Alice Example\nagi_callingpres: 0\nagi_callingani2: 0\n\
         agi_callington: 0\nagi_callingtns: 0\nagi_dnid: unknown\nagi_rdnis: unknown\n\
         agi_context: fromoutside\nagi_extension: s\nagi_priority: 2\nagi_enhanced: 0.0\n\
         agi_accountcode: \nagi_threadid: 139869006182080\n"
    );
    for (n, a) in args.iter().enumerate() {
        env.push_str(&format!("agi_arg_{}: {a}\n", n + 1));
    }
    env.push('\n');
    env
}

/// One session as Asterisk runs it: the variables set, by name.
async fn session(addr: SocketAddr, script: &str, args: &[&str]) -> Vec<(String, String)> {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(env_block(script, args).as_bytes())
        .await
        .unwrap();
    let mut vars = vec![];
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            let _ = w.write_all(b"HANGUP\n").await;
            return vars;
        }
        let rest = line
            .trim_end_matches('\n')
            .strip_prefix("SET VARIABLE ")
            .unwrap_or("");
        if let Some((name, value)) = rest.split_once(' ') {
            vars.push((name.to_string(), value.trim_matches('"').to_string()));
        }
        w.write_all(b"200 result=1\n").await.unwrap();
    }
}

fn var<'a>(vars: &'a [(String, String)], name: &str) -> &'a str {
    vars.iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A server that decides nothing: reads the block, sends `n` commands in lock-step, closes.
async fn bare_server(n: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                stream.set_nodelay(true).unwrap();
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\n" {
                        break;
                    }
                }
                for k in 0..n {
                    w.write_all(format!("SET VARIABLE V{k} \"x\"\n").as_bytes())
                        .await
                        .unwrap();
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                }
                let _ = w.shutdown().await;
                let _ = r.read_line(&mut line).await;
            });
        }
    });
    addr
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

/// Run `total` sessions over `conc` concurrent callers; each caller runs `call` repeatedly.
/// Returns (sessions/s, per-session latencies sorted).
async fn drive<F, Fut>(conc: usize, total: usize, per_call: usize, call: F) -> (f64, Vec<Duration>)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Vec<Duration>> + Send,
{
    let call = Arc::new(call);
    let left = Arc::new(AtomicUsize::new(total / per_call));
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..conc {
        let (call, left) = (call.clone(), left.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            while left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                lat.extend(call().await);
            }
            lat
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let took = started.elapsed().as_secs_f64();
    all.sort();
    (all.len() as f64 / took, all)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let conc: usize = std::env::var("AGI_BENCH_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
        let total: usize = std::env::var("AGI_BENCH_DECISIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(20000);
        let dir = std::env::temp_dir().join(format!("sb-agi-bench-{}", std::process::id()));
        let url = std::env::var("AGI_BENCH_DATABASE_URL").unwrap_or_else(|_| {
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("bench.db").display())
        });
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let iv = seed(&db).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        switchboard::agi::spawn(db.clone(), listener, AgiConfig { deadline: Duration::from_secs(5), ..Default::default() });

        // Check the walk once.
        let first = session(addr, "v1/inbound", &["+39025550100", "5551234"]).await;
        assert_eq!(var(&first, "SB_ACTION"), "IVR", "{first:?}");
        let next = var(&first, "SB_NEXT").to_string();
        let key = session(addr, "v1/ivr", &[&iv.to_string(), "1", "1", &next]).await;
        assert_eq!(var(&key, "SB_ACTION"), "QUEUE", "{key:?}");
        let n_inbound = first.len();

        let bare = bare_server(n_inbound).await;
        let (bare_rate, bare_lat) = drive(conc, total, 1, move || async move {
            let t = Instant::now();
            session(bare, "v1/inbound", &["+39025550100", "5551234"]).await;
            vec![t.elapsed()]
        })
        .await;

        let fallbacks = Arc::new(AtomicUsize::new(0));
        let fb = fallbacks.clone();
        let ivs = iv.to_string();
        let (rate, lat) = drive(conc, total, 2, move || {
            let (fb, ivs) = (fb.clone(), ivs.clone());
            async move {
                let t = Instant::now();
                let a = session(addr, "v1/inbound", &["+39025550100", "5551234"]).await;
                let t1 = t.elapsed();
                let t = Instant::now();
                let b = session(addr, "v1/ivr", &[&ivs, "1", "1", var(&a, "SB_NEXT")]).await;
                let t2 = t.elapsed();
                if var(&a, "SB_ACTION") != "IVR" || var(&b, "SB_ACTION") != "QUEUE" {
                    fb.fetch_add(1, Ordering::Relaxed);
                }
                vec![t1, t2]
            }
        })
        .await;
        let backend = url.split(':').next().unwrap_or("?");
        println!("FastAGI decisions, {backend}, {conc} concurrent calls, DID -> IVR -> queue:");
        println!(
            "  service : {:>8.0} decisions/s   p50 {:.3} ms   p99 {:.3} ms   ({} decisions, {} calls not routed as expected)",
            rate,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat.len(),
            fallbacks.load(Ordering::Relaxed)
        );
        println!(
            "  bare    : {:>8.0} sessions/s    p50 {:.3} ms   p99 {:.3} ms   (same bytes, no decision)",
            bare_rate,
            percentile(&bare_lat, 0.5),
            percentile(&bare_lat, 0.99)
        );
        let _ = std::fs::remove_dir_all(&dir);
    });
}
