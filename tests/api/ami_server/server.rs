//! The running server: its handle, the misbehaviour knobs and the listener.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use switchboard::ami::{AuthMethod, NodeConfig};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::state::{Received, State};
use super::wire::{render, serve};
use super::{Headers, SECRET, USERNAME};

/// Misbehaviour and wire style.
#[derive(Debug, Default)]
pub(super) struct Knobs {
    pub(super) delay: Duration,
    /// Drop the link after reading the next action of this name, without answering.
    pub(super) drop_next: Option<String>,
    pub(super) refuse_logins: bool,
    /// Action (lower case) → `Response: Error` message.
    pub(super) errors: HashMap<String, String>,
    /// Action (lower case) → success headers to answer with (after `Response`/`ActionID`).
    pub(super) answers: HashMap<String, Headers>,
    /// Actions `ListCommands` leaves out (the user "lacks the privilege"); they answer
    /// `Permission denied`.
    pub(super) denied: Vec<String>,
    pub(super) old_command_style: bool,
    pub(super) bare_lf: bool,
    /// Do not send `OriginateResponse` events.
    pub(super) silent_originate: bool,
}

pub(super) struct Inner {
    pub(super) addr: Mutex<SocketAddr>,
    pub(super) state: Mutex<State>,
    pub(super) knobs: Mutex<Knobs>,
    pub(super) received: Mutex<Vec<Received>>,
    /// Logged-in sessions that want events: conn id → outgoing bytes.
    pub(super) subscribers: Mutex<HashMap<u64, mpsc::UnboundedSender<Vec<u8>>>>,
    pub(super) tasks: Mutex<Vec<AbortHandle>>,
    pub(super) next_conn: AtomicU64,
    pub(super) logins: AtomicU64,
    pub(super) up: AtomicBool,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running test server. Dropping it does not stop it; call [`AmiServer::go_away`].
#[derive(Clone)]
pub struct AmiServer {
    pub(super) inner: Arc<Inner>,
}

impl AmiServer {
    /// Listen on 127.0.0.1, a free port.
    pub async fn start() -> AmiServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = AmiServer {
            inner: Arc::new(Inner {
                addr: Mutex::new(listener.local_addr().expect("addr")),
                state: Mutex::new(State::default()),
                knobs: Mutex::new(Knobs::default()),
                received: Mutex::new(Vec::new()),
                subscribers: Mutex::new(HashMap::new()),
                tasks: Mutex::new(Vec::new()),
                next_conn: AtomicU64::new(0),
                logins: AtomicU64::new(0),
                up: AtomicBool::new(false),
            }),
        };
        server.listen(listener);
        server
    }

    pub async fn start_many(n: usize) -> Vec<AmiServer> {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(AmiServer::start().await);
        }
        v
    }

    pub fn addr(&self) -> SocketAddr {
        *lock(&self.inner.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// A client config for this server with quick timeouts and back-off (MD5 login).
    pub fn node_config(&self, name: &str) -> NodeConfig {
        let mut cfg = NodeConfig::new(name, "127.0.0.1", self.port(), USERNAME, SECRET);
        cfg.auth = AuthMethod::Md5;
        cfg.connect_timeout = Duration::from_secs(2);
        cfg.action_timeout = Duration::from_secs(5);
        cfg.backoff_min = Duration::from_millis(20);
        cfg.backoff_max = Duration::from_millis(200);
        cfg
    }

    fn listen(&self, listener: TcpListener) {
        self.inner.up.store(true, Ordering::SeqCst);
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let id = inner.next_conn.fetch_add(1, Ordering::SeqCst) + 1;
                let session = tokio::spawn(serve(inner.clone(), id, stream));
                lock(&inner.tasks).push(session.abort_handle());
            }
        });
        lock(&self.inner.tasks).push(task.abort_handle());
    }

    /// Stop listening and close every connection (like Asterisk going down).
    pub async fn go_away(&self) {
        self.inner.up.store(false, Ordering::SeqCst);
        for t in lock(&self.inner.tasks).drain(..) {
            t.abort();
        }
        lock(&self.inner.subscribers).clear();
        // Let the aborted tasks drop their sockets.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    /// Listen again on the same port.
    pub async fn come_back(&self) {
        let addr = self.addr();
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("rebinding {addr}: {e}"),
            }
        };
        self.listen(listener);
    }

    pub fn is_up(&self) -> bool {
        self.inner.up.load(Ordering::SeqCst)
    }

    // ----- knobs -----

    /// Wait this long before answering each action.
    pub fn set_delay(&self, d: Duration) {
        lock(&self.inner.knobs).delay = d;
    }

    /// Drop the link right after reading the next action called `action` (no answer).
    pub fn drop_next(&self, action: &str) {
        lock(&self.inner.knobs).drop_next = Some(action.to_ascii_lowercase());
    }

    pub fn refuse_logins(&self, refuse: bool) {
        lock(&self.inner.knobs).refuse_logins = refuse;
    }

    /// Answer every `action` with `Response: Error` / `Message: <message>`.
    pub fn fail_action(&self, action: &str, message: &str) {
        lock(&self.inner.knobs)
            .errors
            .insert(action.to_ascii_lowercase(), message.into());
    }

    pub fn clear_failures(&self) {
        lock(&self.inner.knobs).errors.clear();
    }

    /// Answer `action` with `Response: Success` and these headers (for actions not modelled).
    pub fn set_answer(&self, action: &str, headers: &[(&str, &str)]) {
        lock(&self.inner.knobs).answers.insert(
            action.to_ascii_lowercase(),
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
    }

    /// The AMI user lacks the privilege for these actions.
    pub fn deny_actions(&self, actions: &[&str]) {
        lock(&self.inner.knobs).denied = actions.iter().map(|a| a.to_ascii_lowercase()).collect();
    }

    /// Answer `Command` the pre-14 way (`Response: Follows` … `--END COMMAND--`).
    pub fn old_command_style(&self, on: bool) {
        lock(&self.inner.knobs).old_command_style = on;
    }

    /// End lines with a bare `\n` instead of `\r\n`.
    pub fn bare_lf(&self, on: bool) {
        lock(&self.inner.knobs).bare_lf = on;
    }

    /// Answer async Originates but never send their `OriginateResponse`.
    pub fn silent_originate(&self, on: bool) {
        lock(&self.inner.knobs).silent_originate = on;
    }

    // ----- state and records -----

    /// Seed or inspect the state: `node.state().queues.insert(..)`.
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.inner.received).clone()
    }

    /// The received actions called `action` (case-insensitive).
    pub fn received_named(&self, action: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.action.eq_ignore_ascii_case(action))
            .collect()
    }

    pub fn clear_received(&self) {
        lock(&self.inner.received).clear();
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.inner.next_conn.load(Ordering::SeqCst)
    }

    /// Successful logins so far.
    pub fn logins(&self) -> u64 {
        self.inner.logins.load(Ordering::SeqCst)
    }

    /// Send an event to every logged-in session that takes events.
    pub fn emit(&self, headers: &[(&str, &str)]) {
        let headers: Headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let bytes = render(&headers, lock(&self.inner.knobs).bare_lf).into_bytes();
        self.emit_raw(&bytes);
    }

    /// Send raw bytes to every logged-in session that takes events (codec tests).
    pub fn emit_raw(&self, bytes: &[u8]) {
        for tx in lock(&self.inner.subscribers).values() {
            let _ = tx.send(bytes.to_vec());
        }
    }
}
