//! Originate dispatch rate through the AMI client to three AMI test nodes.
//!
//! `cargo bench --bench ami` (release). Prints:
//! - the test server's own round trip (a bare socket: write an Originate, read its Response),
//! - the client's round trip for the same action, and the latency it adds (p50/p99),
//! - throughput with many concurrent callers spread over 3 nodes, for `send` (done at the
//!   Response) and `originate` (done at the OriginateResponse event).
//!
//! `AMI_BENCH_N` sets the number of actions of the throughput runs (default 30000).

#[path = "../tests/api/ami_server/mod.rs"]
mod ami_server;

use std::time::{Duration, Instant};

use ami_server::AmiServer;
use futures_util::StreamExt;
use switchboard::ami::{Action, AmiCodec, Client, Frame, Limits};
use tokio::io::AsyncWriteExt;
use tokio_util::codec::FramedRead;

const NODES: usize = 3;
const CALLERS_PER_NODE: usize = 32;
const LATENCY_SAMPLES: usize = 2000;

fn originate(i: usize) -> Action {
    Action::new("Originate")
        .header("Channel", format!("PJSIP/{}-ACME", 100 + i % 50))
        .header("Context", "from-internal")
        .header("Exten", "200")
        .header("Priority", "1")
        .header("Async", "true")
        .header("Variable", format!("SB_OUTBOX_ID={i}"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The server's own round trip: a bare socket, one Originate at a time.
async fn raw_round_trips(server: &AmiServer) -> Vec<Duration> {
    let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (read, mut write) = stream.into_split();
    let mut frames = FramedRead::new(read, AmiCodec::client(Limits::default()));
    assert!(matches!(frames.next().await, Some(Ok(Frame::Banner(_)))));
    let login = format!(
        "Action: Login\r\nUsername: {}\r\nSecret: {}\r\nEvents: off\r\nActionID: l\r\n\r\n",
        ami_server::USERNAME,
        ami_server::SECRET
    );
    write.write_all(login.as_bytes()).await.unwrap();
    next_response(&mut frames, "l").await;
    let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        let id = format!("raw-{i}");
        let mut bytes = Vec::new();
        let mut msg = originate(i).message().clone();
        msg.push("ActionID", id.clone());
        msg.write_wire(&mut bytes);
        let t = Instant::now();
        write.write_all(&bytes).await.unwrap();
        next_response(&mut frames, &id).await;
        samples.push(t.elapsed());
    }
    samples
}

async fn next_response(
    frames: &mut FramedRead<tokio::net::tcp::OwnedReadHalf, AmiCodec>,
    id: &str,
) {
    while let Some(Ok(f)) = frames.next().await {
        if let Frame::Message(m) = f {
            if m.response().is_some() && m.action_id() == Some(id) {
                return;
            }
        }
    }
    panic!("connection closed");
}

async fn client_round_trips(client: &Client) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        let t = Instant::now();
        client.send(originate(i)).await.unwrap();
        samples.push(t.elapsed());
    }
    samples
}

/// `n` actions from `CALLERS_PER_NODE` concurrent callers per node; actions per second.
async fn throughput(clients: &[Client], n: usize, wait_for_event: bool) -> f64 {
    let per_caller = n / (clients.len() * CALLERS_PER_NODE);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in clients {
        for c in 0..CALLERS_PER_NODE {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..per_caller {
                    let action = originate(c * per_caller + i);
                    if wait_for_event {
                        let done = client
                            .originate(action, Duration::from_secs(10))
                            .await
                            .unwrap();
                        assert!(done.is_success());
                    } else {
                        client.send(action).await.unwrap();
                    }
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let done = per_caller * clients.len() * CALLERS_PER_NODE;
    done as f64 / start.elapsed().as_secs_f64()
}

fn report(label: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.5), percentile(&samples, 0.99));
    println!(
        "{label:<34} p50 {:>8.1} µs   p99 {:>8.1} µs",
        micros(p50),
        micros(p99)
    );
    (p50, p99)
}

fn main() {
    let n: usize = std::env::var("AMI_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let servers = AmiServer::start_many(NODES).await;
        let clients: Vec<Client> = servers
            .iter()
            .enumerate()
            .map(|(i, s)| Client::spawn(s.node_config(&format!("bench-{i}"))))
            .collect();
        for c in &clients {
            assert!(c.wait_connected(Duration::from_secs(5)).await);
        }

        println!(
            "AMI originate dispatch, {NODES} test nodes, {LATENCY_SAMPLES} sequential samples"
        );
        let (raw50, raw99) = report(
            "test server alone (bare socket)",
            raw_round_trips(&servers[0]).await,
        );
        let (cl50, cl99) = report(
            "through the client (send)",
            client_round_trips(&clients[0]).await,
        );
        println!(
            "{:<34} p50 {:>8.1} µs   p99 {:>8.1} µs",
            "added by the client",
            micros(cl50.saturating_sub(raw50)),
            micros(cl99.saturating_sub(raw99))
        );

        let rate = throughput(&clients, n, false).await;
        println!(
            "throughput, send (Response)        {rate:>10.0} actions/s ({n} actions, {} callers)",
            NODES * CALLERS_PER_NODE
        );
        let rate = throughput(&clients, n, true).await;
        println!(
            "throughput, originate (event)      {rate:>10.0} actions/s ({n} actions, {} callers)",
            NODES * CALLERS_PER_NODE
        );
        for c in &clients {
            c.shutdown();
        }
    });
}
