//! An AMI test server that answers as the recorded Asterisk 22 does (see
//! `shared/spec/ami-transcripts/`): banner, plain and MD5 login (a failed login closes the
//! socket), async Originate with its `OriginateResponse`, list actions, both `Command` output
//! styles and the recorded `Response: Error` texts.
//!
//! It keeps simple state that tests can seed and inspect (channels, queues and members, AstDB,
//! variables, extension and device states, PJSIP endpoints, contacts and outbound
//! registrations), records every action received, in order and with its headers, and has knobs
//! for misbehaviour: slow answers, dropping the link after reading an action, refusing logins,
//! going away and coming back on the same port, answering a given action with an error.
//!
//! Use: `mod ami_server;` in a test file (or `#[path = "../tests/ami_server/mod.rs"]` in a
//! bench), then `let node = AmiServer::start().await;` and `node.node_config("n1")`.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::StreamExt;
use md5::{Digest, Md5};
use switchboard::ami::{AmiCodec, AuthMethod, Frame, Limits, Message, NodeConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_util::codec::FramedRead;

pub const BANNER: &str = "Asterisk Call Manager/11.0.0";
pub const USERNAME: &str = "admin";
pub const SECRET: &str = "amp111";
pub const ASTERISK_VERSION: &str = "22.10.1";

type Headers = Vec<(String, String)>;

macro_rules! hdrs {
    ($($k:expr => $v:expr),* $(,)?) => { vec![$(($k.to_string(), $v.to_string())),*] };
}

/// One action as the server read it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Which TCP connection (1, 2, … in accept order).
    pub conn: u64,
    pub action: String,
    pub headers: Headers,
}

impl Received {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Channel {
    pub channel: String,
    pub context: String,
    pub exten: String,
    pub priority: String,
    pub uniqueid: String,
    pub linkedid: String,
    pub application: String,
    pub application_data: String,
    pub caller_id_num: String,
    pub account_code: String,
    pub bridge_id: String,
    pub state: String,
    pub vars: BTreeMap<String, String>,
}

impl Channel {
    /// A channel up in `Wait` (what seeding tests usually need).
    pub fn new(channel: &str, context: &str, exten: &str) -> Self {
        Channel {
            channel: channel.into(),
            context: context.into(),
            exten: exten.into(),
            priority: "1".into(),
            application: "Wait".into(),
            application_data: "300".into(),
            state: "Up".into(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct QueueMember {
    pub interface: String,
    pub name: String,
    pub state_interface: String,
    pub penalty: i32,
    pub paused: bool,
    pub paused_reason: String,
    /// 1 idle (not in use), 2 in use, 5 unavailable, …
    pub status: i32,
    pub in_call: bool,
    pub calls_taken: u32,
    pub login_time: u64,
    pub last_pause: u64,
    /// When its last call ended (epoch seconds; 0: none yet).
    pub last_call: u64,
}

/// A caller waiting in a queue (app_queue's `QueueEntry`, in the order of its position).
#[derive(Debug, Clone, Default)]
pub struct QueueCaller {
    pub channel: String,
    pub uniqueid: String,
    pub caller_id_num: String,
    pub caller_id_name: String,
    pub connected_num: String,
    pub connected_name: String,
    /// When the caller entered the queue (unix seconds): `Wait` is counted from it.
    pub since: u64,
    pub priority: i32,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub strategy: String,
    pub members: Vec<QueueMember>,
    /// Callers counted without details (QueueSummary, QueueParams `Calls`), beyond `entries`.
    pub callers: u32,
    /// `servicelevel` of queues.conf (seconds; 0 when unset, as Asterisk reports it).
    pub service_level: u32,
    /// The longest wait of a caller now in the queue (QueueSummary `LongestHoldTime`).
    pub longest_hold_time: u64,
    /// Waiting callers, first in line first.
    pub entries: Vec<QueueCaller>,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            strategy: "ringall".into(),
            members: Vec::new(),
            callers: 0,
            service_level: 0,
            longest_hold_time: 0,
            entries: Vec::new(),
        }
    }
}

impl Queue {
    /// The callers app_queue counts (`Calls` / `Callers`).
    fn calls(&self) -> usize {
        self.callers as usize + self.entries.len()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    pub name: String,
    pub transport: String,
    pub aor: String,
    pub auths: String,
    pub contacts: String,
    /// `Unavailable`, `Not in use`, `In use`, …
    pub device_state: String,
    pub active_channels: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub aor: String,
    pub endpoint: String,
    pub uri: String,
    pub user_agent: String,
    pub status: String,
    pub reg_expire: u64,
}

#[derive(Debug, Clone, Default)]
pub struct ExtensionState {
    pub hint: String,
    /// -1 unknown, 0 idle, 1 in use, 2 busy, 4 unavailable, 8 ringing, 16 on hold.
    pub status: i32,
}

/// Everything the server knows; seed and inspect it through [`AmiServer::state`].
#[derive(Debug, Default)]
pub struct State {
    pub channels: Vec<Channel>,
    pub queues: BTreeMap<String, Queue>,
    /// AstDB: (family, key) → value.
    pub astdb: BTreeMap<(String, String), String>,
    pub globals: BTreeMap<String, String>,
    /// `exten@context` → state.
    pub extension_states: BTreeMap<String, ExtensionState>,
    /// device (`PJSIP/100`) → state text.
    pub device_states: BTreeMap<String, String>,
    pub endpoints: Vec<Endpoint>,
    pub contacts: Vec<Contact>,
    /// Outbound registrations (`PJSIPUnregister` names one of these).
    pub registrations: Vec<String>,
    /// Sorcery memory caches (`pjsip_endpoint`, `pjsip_auth`, `pjsip_aor`, as the deploy files
    /// name them): (cache, object id) of what the node has cached. Asterisk caches an object when
    /// it first loads it (a registration, a call); seed it here.
    pub cached: BTreeSet<(String, String)>,
    /// `Command` text → output lines (beyond the built-in `core show channels [concise]`).
    pub commands: BTreeMap<String, Vec<String>>,
    next_uid: u64,
}

/// Misbehaviour and wire style.
#[derive(Debug, Default)]
struct Knobs {
    delay: Duration,
    /// Drop the link after reading the next action of this name, without answering.
    drop_next: Option<String>,
    refuse_logins: bool,
    /// Action (lower case) → `Response: Error` message.
    errors: HashMap<String, String>,
    /// Action (lower case) → success headers to answer with (after `Response`/`ActionID`).
    answers: HashMap<String, Headers>,
    /// Actions `ListCommands` leaves out (the user "lacks the privilege"); they answer
    /// `Permission denied`.
    denied: Vec<String>,
    old_command_style: bool,
    bare_lf: bool,
    /// Do not send `OriginateResponse` events.
    silent_originate: bool,
}

struct Inner {
    addr: Mutex<SocketAddr>,
    state: Mutex<State>,
    knobs: Mutex<Knobs>,
    received: Mutex<Vec<Received>>,
    /// Logged-in sessions that want events: conn id → outgoing bytes.
    subscribers: Mutex<HashMap<u64, mpsc::UnboundedSender<Vec<u8>>>>,
    tasks: Mutex<Vec<AbortHandle>>,
    next_conn: AtomicU64,
    logins: AtomicU64,
    up: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running test server. Dropping it does not stop it; call [`AmiServer::go_away`].
#[derive(Clone)]
pub struct AmiServer {
    inner: Arc<Inner>,
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

fn render(headers: &Headers, bare_lf: bool) -> String {
    let eol = if bare_lf { "\n" } else { "\r\n" };
    let mut s = String::new();
    for (k, v) in headers {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push_str(eol);
    }
    s.push_str(eol);
    s
}

/// Per-connection session state.
struct Session {
    conn: u64,
    logged_in: bool,
    challenge: Option<String>,
    events: bool,
}

/// What one action produces.
#[derive(Default)]
struct Reply {
    /// Rendered frames, in order.
    out: String,
    /// Close the connection after writing.
    close: bool,
    /// Start (`Some(true)`) or stop (`Some(false)`) streaming events to this session.
    subscribe: Option<bool>,
}

async fn serve(inner: Arc<Inner>, conn: u64, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut frames = FramedRead::new(read, AmiCodec::server(Limits::default()));
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    if write
        .write_all(format!("{BANNER}\r\n").as_bytes())
        .await
        .is_err()
    {
        return;
    }
    let mut session = Session {
        conn,
        logged_in: false,
        challenge: None,
        events: true,
    };
    loop {
        tokio::select! {
            frame = frames.next() => {
                let Some(Ok(Frame::Message(m))) = frame else { break };
                let Some(reply) = handle(&inner, &mut session, &m).await else { break };
                match reply.subscribe {
                    Some(true) => { lock(&inner.subscribers).insert(conn, tx.clone()); }
                    Some(false) => { lock(&inner.subscribers).remove(&conn); }
                    None => {}
                }
                if write.write_all(reply.out.as_bytes()).await.is_err() || reply.close {
                    break;
                }
            }
            Some(bytes) = rx.recv() => {
                if write.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        }
    }
    lock(&inner.subscribers).remove(&conn);
    let _ = write.shutdown().await;
}

/// Handle one action; `None` drops the link without an answer.
async fn handle(inner: &Inner, session: &mut Session, m: &Message) -> Option<Reply> {
    let action = m.action().unwrap_or("").to_string();
    let lower = action.to_ascii_lowercase();
    lock(&inner.received).push(Received {
        conn: session.conn,
        action: action.clone(),
        headers: m
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    });
    let (delay, drop, bare_lf) = {
        let mut k = lock(&inner.knobs);
        let drop = k.drop_next.as_deref() == Some(lower.as_str());
        if drop {
            k.drop_next = None;
        }
        (k.delay, drop, k.bare_lf)
    };
    if drop {
        return None;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut w = Writer {
        id: m.action_id().map(str::to_string),
        bare_lf,
        reply: Reply::default(),
    };
    answer(inner, session, m, &lower, &mut w);
    Some(w.reply)
}

/// Builds the answer frames of one action.
struct Writer {
    id: Option<String>,
    bare_lf: bool,
    reply: Reply,
}

impl Writer {
    fn frame(&mut self, headers: Headers) {
        self.reply.out.push_str(&render(&headers, self.bare_lf));
    }

    /// `Response: <kind>`, the ActionID if the action had one, then `extra`.
    fn response(&mut self, kind: &str, extra: Headers) {
        let mut h = hdrs!["Response" => kind];
        if let Some(id) = &self.id {
            h.push(("ActionID".into(), id.clone()));
        }
        h.extend(extra);
        self.frame(h);
    }

    fn success(&mut self, message: &str) {
        self.response("Success", hdrs!["Message" => message]);
    }

    fn error(&mut self, message: &str) {
        self.response("Error", hdrs!["Message" => message]);
    }

    /// An event with the ActionID right after `Event:` (CoreShowChannel, EndpointList style).
    fn event_id_first(&mut self, event: &str, fields: Headers) {
        let mut h = hdrs!["Event" => event];
        if let Some(id) = &self.id {
            h.push(("ActionID".into(), id.clone()));
        }
        h.extend(fields);
        self.frame(h);
    }

    /// An event with the ActionID last (QueueMember, DBGetResponse style).
    fn event_id_last(&mut self, event: &str, fields: Headers) {
        let mut h = hdrs!["Event" => event];
        h.extend(fields);
        if let Some(id) = &self.id {
            h.push(("ActionID".into(), id.clone()));
        }
        self.frame(h);
    }

    fn list_start(&mut self, message: &str) {
        self.response(
            "Success",
            hdrs!["EventList" => "start", "Message" => message],
        );
    }

    fn list_complete(&mut self, event: &str, items: usize) {
        self.event_id_first(
            event,
            hdrs!["EventList" => "Complete", "ListItems" => items],
        );
    }

    /// A whole list: start, items (ActionID first or last), complete.
    fn list(
        &mut self,
        message: &str,
        item: &str,
        id_last: bool,
        items: Vec<Headers>,
        complete: &str,
    ) {
        self.list_start(message);
        let n = items.len();
        for fields in items {
            if id_last {
                self.event_id_last(item, fields);
            } else {
                self.event_id_first(item, fields);
            }
        }
        self.list_complete(complete, n);
    }
}

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()).as_slice())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The sorcery memory caches of the deploy files' `sorcery.conf`.
pub const CACHES: &[&str] = &["pjsip_endpoint", "pjsip_auth", "pjsip_aor"];

/// Actions this server knows (ListCommands lists them, minus the denied ones).
const ACTIONS: &[(&str, &str)] = &[
    ("Login", "Login Manager."),
    ("Logoff", "Logoff Manager."),
    ("Challenge", "Generate Challenge for MD5 Auth."),
    ("Ping", "Keepalive command."),
    ("Events", "Control Event Flow."),
    ("ListCommands", "List available manager commands."),
    ("Originate", "Originate a call."),
    ("Hangup", "Hangup channel."),
    ("Redirect", "Redirect (transfer) a call."),
    ("Atxfer", "Attended transfer."),
    ("CoreShowChannels", "List currently active channels."),
    ("Status", "List channel status."),
    ("CoreSettings", "Show PBX core settings (version etc)."),
    ("CoreStatus", "Show PBX core status variables."),
    ("Command", "Execute Asterisk CLI Command."),
    ("Reload", "Send a reload event."),
    ("QueueAdd", "Add interface to queue."),
    ("QueueRemove", "Remove interface from queue."),
    (
        "QueuePause",
        "Makes a queue member temporarily unavailable.",
    ),
    ("QueueStatus", "Show queue status."),
    ("QueueSummary", "Show queue summary."),
    ("DBPut", "Put DB entry."),
    ("DBGet", "Get DB Entry."),
    (
        "DBGetTree",
        "Get DB entries, optionally at a particular family/key",
    ),
    ("DBDel", "Delete DB entry."),
    ("DBDelTree", "Delete DB Tree."),
    ("ExtensionState", "Check Extension Status."),
    (
        "ExtensionStateList",
        "List the current known extension states.",
    ),
    ("DeviceStateList", "List the current known device states."),
    ("Getvar", "Gets a channel variable or function value."),
    ("Setvar", "Sets a channel variable or function value."),
    ("PJSIPShowEndpoints", "Lists PJSIP endpoints."),
    ("PJSIPShowContacts", "Lists PJSIP Contacts."),
    ("PJSIPUnregister", "Unregister an outbound registration."),
    (
        "PJSIPNotify",
        "Send NOTIFY to either an endpoint, an arbitrary URI, or inside a SIP dialog.",
    ),
    ("MessageSend", "Send an out of call message to an endpoint."),
    ("QueueReset", "Reset queue statistics."),
    (
        "SorceryMemoryCacheExpireObject",
        "Expire (remove) an object from a sorcery memory cache.",
    ),
];

fn answer(inner: &Inner, session: &mut Session, m: &Message, action: &str, w: &mut Writer) {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    let (error, canned, denied, old_style, silent) = {
        let k = lock(&inner.knobs);
        (
            k.errors.get(action).cloned(),
            k.answers.get(action).cloned(),
            k.denied.iter().any(|d| d == action),
            k.old_command_style,
            k.silent_originate,
        )
    };
    // Before login only these work; everything else is "Permission denied" (as recorded).
    match action {
        "login" => return login(inner, session, m, w),
        "challenge" => {
            if !get("AuthType").eq_ignore_ascii_case("md5") {
                return w.error("Must specify AuthType");
            }
            let nonce = format!("{}", rand::random::<u32>() % 1_000_000_000);
            session.challenge = Some(nonce.clone());
            return w.response("Success", hdrs!["Challenge" => nonce]);
        }
        "logoff" => {
            w.response("Goodbye", hdrs!["Message" => "Thanks for all the fish."]);
            w.reply.close = true;
            return;
        }
        _ if !session.logged_in => return w.error("Permission denied"),
        _ => {}
    }
    if denied {
        return w.error("Permission denied");
    }
    if let Some(message) = error {
        return w.error(&message);
    }
    if let Some(headers) = canned {
        return w.response("Success", headers);
    }
    let mut st = lock(&inner.state);
    if device_actions(&mut st, m, action, w) {
        return;
    }
    match action {
        "ping" => w.response(
            "Success",
            hdrs!["Ping" => "Pong", "Timestamp" => format!("{}.000000", now_secs())],
        ),
        "events" => {
            let on = !get("EventMask").eq_ignore_ascii_case("off");
            session.events = on;
            w.reply.subscribe = Some(on);
            w.response("Success", hdrs!["Events" => if on { "On" } else { "Off" }]);
        }
        "listcommands" => {
            let denied = lock(&inner.knobs).denied.clone();
            let listed = ACTIONS
                .iter()
                .filter(|(a, _)| !denied.iter().any(|d| a.eq_ignore_ascii_case(d)))
                .map(|(a, syn)| (a.to_string(), format!("{syn}  (Priv: <none>)")))
                .collect();
            w.response("Success", listed);
        }
        "coresettings" => w.response(
            "Success",
            hdrs![
                "AMIversion" => "11.0.0", "AsteriskVersion" => ASTERISK_VERSION, "SystemName" => "",
                "CoreMaxCalls" => 0, "CoreMaxLoadAvg" => "0.000000", "CoreRunUser" => "",
                "CoreRunGroup" => "", "CoreMaxFilehandles" => 0, "CoreRealTimeEnabled" => "No",
                "CoreCDRenabled" => "Yes", "CoreHTTPenabled" => "Yes", "SoundsSearchCustomDir" => "No",
            ],
        ),
        "corestatus" => {
            let calls = st.channels.len();
            w.response(
                "Success",
                hdrs![
                    "CoreStartupDate" => "2026-11-22", "CoreStartupTime" => "03:59:18",
                    "CoreReloadDate" => "2026-11-22", "CoreReloadTime" => "03:59:35",
                    "CoreCurrentCalls" => calls, "CoreProcessedCalls" => st.next_uid,
                ],
            )
        }
        "originate" => originate(&mut st, m, w, silent),
        "coreshowchannels" => {
            let items = st.channels.iter().map(core_show_channel).collect();
            w.list("Channels will follow", "CoreShowChannel", false, items, "CoreShowChannelsComplete");
        }
        "status" => {
            let items: Vec<Headers> = st
                .channels
                .iter()
                .map(|c| {
                    hdrs![
                        "Channel" => c.channel, "ChannelStateDesc" => c.state, "CallerIDNum" => c.caller_id_num,
                        "AccountCode" => c.account_code, "Context" => c.context, "Exten" => c.exten,
                        "Priority" => c.priority, "Uniqueid" => c.uniqueid, "Linkedid" => c.linkedid,
                        "Application" => c.application, "Data" => c.application_data, "BridgeID" => c.bridge_id,
                    ]
                })
                .collect();
            let n = items.len();
            w.list_start("Channel status will follow");
            for fields in items {
                w.event_id_first("Status", fields);
            }
            w.event_id_first("StatusComplete", hdrs!["EventList" => "Complete", "ListItems" => n, "Items" => n]);
        }
        "hangup" => {
            let name = get("Channel");
            match st.channels.iter().position(|c| c.channel == name) {
                Some(i) => {
                    let c = st.channels.remove(i);
                    w.success("Channel Hungup");
                    w.frame(hdrs![
                        "Event" => "Hangup", "Channel" => c.channel, "Context" => c.context, "Exten" => "h",
                        "Priority" => 2, "Uniqueid" => c.uniqueid, "Cause" => 16, "Cause-txt" => "Normal Clearing",
                    ]);
                }
                None => w.error("No such channel"),
            }
        }
        "redirect" => {
            let name = get("Channel");
            match st.channels.iter_mut().find(|c| c.channel == name) {
                Some(c) => {
                    c.context = get("Context");
                    c.exten = get("Exten");
                    c.priority = get("Priority");
                    w.success("Redirect successful");
                }
                None => w.error(&format!("Channel does not exist: {name}")),
            }
        }
        "atxfer" => {
            let name = get("Channel");
            if st.channels.iter().any(|c| c.channel == name) {
                w.success("Atxfer successfully queued");
            } else {
                w.error("No such channel");
            }
        }
        "command" => command(&st, &get("Command"), w, old_style),
        "reload" => {
            let module = get("Module");
            if module.is_empty() || module.ends_with(".so") && module != "nosuchmodule.so" {
                w.success("Module Reloaded");
                w.frame(hdrs!["Event" => "Reload", "Module" => if module.is_empty() { "All".into() } else { module }, "Status" => 0]);
            } else {
                w.error("No such module");
            }
        }
        "queueadd" | "queueremove" | "queuepause" | "queuestatus" | "queuesummary" => {
            queue_action(&mut st, m, action, w)
        }
        "dbput" => {
            let key = (get("Family"), get("Key"));
            if key.0.is_empty() || key.1.is_empty() {
                return w.error(if key.0.is_empty() { "No family specified" } else { "No key specified" });
            }
            st.astdb.insert(key, m.get("Val").unwrap_or("").to_string());
            w.success("Updated database successfully");
        }
        "dbget" => {
            let (family, key) = (get("Family"), get("Key"));
            match st.astdb.get(&(family.clone(), key.clone())) {
                Some(val) => {
                    let val = val.clone();
                    w.list("Result will follow", "DBGetResponse", true,
                        vec![hdrs!["Family" => family, "Key" => key, "Val" => val]], "DBGetComplete");
                }
                None => w.error("Database entry not found"),
            }
        }
        "dbgettree" => {
            let (family, key) = (get("Family"), get("Key"));
            let items: Vec<Headers> = st
                .astdb
                .iter()
                .filter(|((f, k), _)| *f == family && (key.is_empty() || k.starts_with(&key)))
                .map(|((f, k), v)| hdrs!["Key" => format!("/{f}/{k}"), "Val" => v])
                .collect();
            if items.is_empty() {
                return w.error("Database entry not found");
            }
            w.list("Result will follow", "DBGetTreeResponse", true, items, "DBGetTreeComplete");
        }
        "dbdel" => match st.astdb.remove(&(get("Family"), get("Key"))) {
            Some(_) => w.success("Key deleted successfully"),
            None => w.error("Database entry could not be deleted"),
        },
        "dbdeltree" => {
            let (family, key) = (get("Family"), get("Key"));
            let before = st.astdb.len();
            st.astdb.retain(|(f, k), _| !(*f == family && (key.is_empty() || k.starts_with(&key))));
            if st.astdb.len() < before {
                w.success("Key tree deleted successfully");
            } else {
                w.error("Database entry not found");
            }
        }
        "getvar" => {
            let var = get("Variable");
            let chan = get("Channel");
            let value = if chan.is_empty() {
                Some(st.globals.get(&var).cloned().unwrap_or_default())
            } else {
                st.channels.iter().find(|c| c.channel == chan).map(|c| c.vars.get(&var).cloned().unwrap_or_default())
            };
            match value {
                Some(v) => w.response("Success", hdrs!["Variable" => var, "Value" => v]),
                None => w.error("No such channel"),
            }
        }
        "setvar" => {
            let (var, value, chan) = (get("Variable"), m.get("Value").unwrap_or("").to_string(), get("Channel"));
            if var.is_empty() {
                return w.error("No variable specified");
            }
            if chan.is_empty() {
                st.globals.insert(var, value);
            } else if let Some(c) = st.channels.iter_mut().find(|c| c.channel == chan) {
                c.vars.insert(var, value);
            } else {
                return w.error("No such channel");
            }
            w.success("Variable Set");
        }
        "extensionstate" => {
            let (exten, context) = (get("Exten"), get("Context"));
            let s = st.extension_states.get(&format!("{exten}@{context}")).cloned().unwrap_or(ExtensionState {
                hint: String::new(),
                status: -1,
            });
            w.response(
                "Success",
                hdrs![
                    "Message" => "Extension Status", "Exten" => exten, "Context" => context, "Hint" => s.hint,
                    "Status" => s.status, "StatusText" => status_text(s.status),
                ],
            );
        }
        "extensionstatelist" => {
            let items = st
                .extension_states
                .iter()
                .map(|(k, s)| {
                    let (exten, context) = k.split_once('@').unwrap_or((k, ""));
                    hdrs![
                        "Exten" => exten, "Context" => context, "Hint" => s.hint, "Status" => s.status,
                        "StatusText" => status_text(s.status),
                    ]
                })
                .collect();
            w.list("Extension Statuses will follow", "ExtensionStatus", false, items, "ExtensionStateListComplete");
        }
        "devicestatelist" => {
            let items = st.device_states.iter().map(|(d, s)| hdrs!["Device" => d, "State" => s]).collect();
            w.list("Device State Changes will follow", "DeviceStateChange", false, items, "DeviceStateListComplete");
        }
        "pjsipshowendpoints" => {
            let items = st
                .endpoints
                .iter()
                .map(|e| {
                    hdrs![
                        "ObjectType" => "endpoint", "ObjectName" => e.name, "Transport" => e.transport,
                        "Aor" => e.aor, "Auths" => e.auths, "OutboundAuths" => "", "Contacts" => e.contacts,
                        "DeviceState" => e.device_state, "ActiveChannels" => e.active_channels,
                    ]
                })
                .collect();
            w.list(
                "A listing of Endpoints follows, presented as EndpointList events",
                "EndpointList", false, items, "EndpointListComplete",
            );
        }
        // Asterisk answers an empty contact list with an error (the value ends in a bare LF).
        "pjsipshowcontacts" if st.contacts.is_empty() => w.error("No Contacts found\n"),
        "pjsipshowcontacts" => {
            let items = st
                .contacts
                .iter()
                .map(|c| {
                    hdrs![
                        "ObjectType" => "contact", "ObjectName" => format!("{};@{}", c.aor, md5_hex(&c.uri)),
                        "Uri" => c.uri, "Aor" => c.aor, "Endpoint" => c.endpoint, "UserAgent" => c.user_agent,
                        "Status" => c.status, "RegExpire" => c.reg_expire,
                    ]
                })
                .collect();
            w.list(
                "A listing of Contacts follows, presented as ContactList events",
                "ContactList", false, items, "ContactListComplete",
            );
        }
        // res_sorcery_memory_cache's texts (each ends in a bare LF, as Asterisk sends them).
        "sorcerymemorycacheexpireobject" => {
            let (cache, object) = (get("Cache"), get("Object"));
            if cache.is_empty() {
                w.error("SorceryMemoryCacheExpireObject requires that a cache name be provided.\n");
            } else if object.is_empty() {
                w.error("SorceryMemoryCacheExpireObject requires that an object name be provided\n");
            } else if !CACHES.contains(&cache.as_str()) {
                w.error("The provided cache does not exist\n");
            } else if st.cached.remove(&(cache, object)) {
                w.success("The provided object was expired from the cache\n");
            } else {
                w.error("The provided object could not be expired from the cache\n");
            }
        }
        "pjsipunregister" => {
            let name = get("Registration");
            if st.registrations.contains(&name) {
                w.success("Unregistration sent");
            } else {
                w.error(&format!("Unable to retrieve registration entry {name}"));
            }
        }
        "pjsipnotify" => {
            let endpoint = get("Endpoint");
            if endpoint.is_empty() && get("URI").is_empty() {
                w.error("PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.");
            } else if !endpoint.is_empty() && !st.endpoints.iter().any(|e| e.name == endpoint) {
                w.error(&format!("Unable to retrieve endpoint {endpoint}"));
            } else {
                w.success("NOTIFY sent");
            }
        }
        "messagesend" => {
            if get("To").is_empty() {
                w.error("No 'To' address specified.");
            } else {
                w.success("Message successfully sent");
            }
        }
        _ => w.error(&format!(
            "Invalid/unknown command: {action_name}. Use Action: ListCommands to show available commands.",
            action_name = m.action().unwrap_or("")
        )),
    }
}

/// What Asterisk does beyond the generic handling for the device reqtypes (CHANSIPPEERS,
/// REBOOT, UNREGISTER, SETFLOW, QUEUERESET): `true` when the action was answered here.
/// - `Setvar` of `DEVICE_STATE(Custom:…)` sets a custom device state (func_devstate);
/// - `DBDel` in family `registrar/contact` deletes a registered PJSIP contact (res_pjsip keeps
///   them in AstDB under that family, keyed by the contact id `aor;@hash`);
/// - `QueueReset` (app_queue's texts).
fn device_actions(st: &mut State, m: &Message, action: &str, w: &mut Writer) -> bool {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    match action {
        "setvar" => {
            let var = get("Variable");
            let Some(dev) = var
                .strip_prefix("DEVICE_STATE(")
                .and_then(|v| v.strip_suffix(')'))
            else {
                return false;
            };
            if !dev.starts_with("Custom:") {
                w.error("Failed to set variable");
                return true;
            }
            st.device_states.insert(dev.to_string(), get("Value"));
            w.success("Variable Set");
            true
        }
        "dbdel" if get("Family") == "registrar/contact" => {
            let key = get("Key");
            let before = st.contacts.len();
            st.contacts
                .retain(|c| format!("{};@{}", c.aor, md5_hex(&c.uri)) != key);
            if st.contacts.len() < before {
                w.success("Key deleted successfully");
            } else {
                w.error("Database entry could not be deleted");
            }
            true
        }
        "queuereset" => {
            let queue = get("Queue");
            if queue.is_empty() || st.queues.contains_key(&queue) {
                w.success("Queue stats reset successfully");
            } else {
                w.error("Error encountered while resetting queue stats");
            }
            true
        }
        _ => false,
    }
}

fn login(inner: &Inner, session: &mut Session, m: &Message, w: &mut Writer) {
    let refuse = lock(&inner.knobs).refuse_logins;
    let user_ok = m.get("Username") == Some(USERNAME);
    let secret_ok = if m
        .get("AuthType")
        .is_some_and(|a| a.eq_ignore_ascii_case("md5"))
    {
        let expected = session
            .challenge
            .as_ref()
            .map(|c| md5_hex(&format!("{c}{SECRET}")));
        expected.is_some() && m.get("Key").map(str::to_ascii_lowercase) == expected
    } else {
        m.get("Secret") == Some(SECRET)
    };
    if refuse || !user_ok || !secret_ok {
        w.error("Authentication failed");
        w.reply.close = true;
        return;
    }
    session.logged_in = true;
    session.events = !m
        .get("Events")
        .is_some_and(|e| e.eq_ignore_ascii_case("off"));
    inner.logins.fetch_add(1, Ordering::SeqCst);
    w.success("Authentication accepted");
    if session.events {
        w.frame(hdrs!["Event" => "FullyBooted", "Uptime" => 3, "LastReload" => 3, "Status" => "Fully Booted"]);
        w.reply.subscribe = Some(true);
    }
}

fn status_text(status: i32) -> &'static str {
    match status {
        0 => "Idle",
        1 => "InUse",
        2 => "Busy",
        4 => "Unavailable",
        8 => "Ringing",
        9 => "InUse&Ringing",
        16 => "Hold",
        17 => "InUse&Hold",
        _ => "Unknown",
    }
}

fn core_show_channel(c: &Channel) -> Headers {
    hdrs![
        "Channel" => c.channel, "ChannelState" => 6, "ChannelStateDesc" => c.state,
        "CallerIDNum" => c.caller_id_num, "AccountCode" => c.account_code, "Context" => c.context,
        "Exten" => c.exten, "Priority" => c.priority, "Uniqueid" => c.uniqueid, "Linkedid" => c.linkedid,
        "Application" => c.application, "ApplicationData" => c.application_data,
        "Duration" => "00:00:01", "BridgeId" => c.bridge_id,
    ]
}

fn originate(st: &mut State, m: &Message, w: &mut Writer, silent: bool) {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    let channel = get("Channel");
    if channel.is_empty() {
        return w.error("Channel not specified");
    }
    let is_async = ["true", "yes", "1", "on"].contains(&get("Async").to_ascii_lowercase().as_str());
    // An unknown context (as recorded) or an endpoint that is not there fails.
    let fails = channel.contains("@nosuchcontext")
        || channel.strip_prefix("PJSIP/").is_some_and(|ep| {
            !st.endpoints.is_empty() && !st.endpoints.iter().any(|e| e.name == ep)
        });
    if !is_async {
        return if fails {
            w.error("Originate failed")
        } else {
            add_originated(st, &channel, m);
            w.success("Originate successfully queued")
        };
    }
    w.success("Originate successfully queued");
    if fails {
        if !silent {
            w.event_id_first(
                "OriginateResponse",
                hdrs![
                    "Response" => "Failure", "Channel" => channel, "Context" => get("Context"),
                    "Exten" => get("Exten"), "Reason" => 0, "Uniqueid" => "<null>",
                ],
            );
        }
        return;
    }
    let c = add_originated(st, &channel, m);
    w.frame(hdrs![
        "Event" => "Newchannel", "Channel" => c.channel, "Context" => c.context, "Exten" => c.exten,
        "Priority" => 1, "Uniqueid" => c.uniqueid,
    ]);
    if !silent {
        w.event_id_first(
            "OriginateResponse",
            hdrs![
                "Response" => "Success", "Channel" => c.channel, "Context" => get("Context"),
                "Exten" => get("Exten"), "Reason" => 4, "Uniqueid" => c.uniqueid,
            ],
        );
    }
}

/// The channel an originate creates (`Local/…-0000000N;1`, `PJSIP/100-0000000N`).
fn add_originated(st: &mut State, requested: &str, m: &Message) -> Channel {
    let n = st.next_uid;
    st.next_uid += 1;
    let suffix = if requested.starts_with("Local/") {
        ";1"
    } else {
        ""
    };
    let uid = format!("1795319962.{n}");
    let mut c = Channel::new(
        &format!("{requested}-{n:08x}{suffix}"),
        m.get("Context").unwrap_or(""),
        m.get("Exten").unwrap_or(""),
    );
    c.uniqueid = uid.clone();
    c.linkedid = uid;
    c.application = m.get("Application").unwrap_or("AppDial").to_string();
    c.caller_id_num = m.get("CallerID").unwrap_or("").to_string();
    c.account_code = m.get("Account").unwrap_or("").to_string();
    for v in m.get_all("Variable") {
        if let Some((k, val)) = v.split_once('=') {
            c.vars.insert(k.to_string(), val.to_string());
        }
    }
    st.channels.push(c.clone());
    c
}

fn command(st: &State, cmd: &str, w: &mut Writer, old_style: bool) {
    let lines: Option<Vec<String>> = match cmd {
        "core show channels" => {
            let mut l = vec![format!(
                "{:<64} {:<32} {:<7} {:<30}",
                "Channel", "Location", "State", "Application(Data)"
            )];
            for c in &st.channels {
                l.push(format!(
                    "{:<64} {:<32} {:<7} {:<30}",
                    c.channel,
                    format!("{}@{}:{}", c.exten, c.context, c.priority),
                    c.state,
                    format!("{}({})", c.application, c.application_data)
                ));
            }
            let n = st.channels.len();
            l.push(format!("{n} active channels"));
            l.push(format!("{n} active calls"));
            l.push(format!("{} calls processed", st.next_uid));
            Some(l)
        }
        "core show channels concise" => Some(
            st.channels
                .iter()
                .map(|c| {
                    format!(
                        "{}!{}!{}!{}!{}!{}!{}!{}!{}!!3!1!{}!{}",
                        c.channel,
                        c.context,
                        c.exten,
                        c.priority,
                        c.state,
                        c.application,
                        c.application_data,
                        c.caller_id_num,
                        c.account_code,
                        c.bridge_id,
                        c.uniqueid
                    )
                })
                .collect(),
        ),
        other => st.commands.get(other).cloned(),
    };
    let (ok, lines) = match lines {
        Some(l) => (true, l),
        None => {
            let first = cmd.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            (false, vec![format!(
                "No such command '{cmd}' (type 'core show help {first}' for other possible commands)"
            )])
        }
    };
    if old_style {
        // Pre-14: raw lines ended by a bare \n, then --END COMMAND--.
        let mut out = String::from("Response: Follows\r\nPrivilege: Command\r\n");
        if let Some(id) = &w.id {
            out.push_str(&format!("ActionID: {id}\r\n"));
        }
        for l in &lines {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str("--END COMMAND--\r\n\r\n");
        w.reply.out.push_str(&out);
        return;
    }
    let mut h = hdrs!["Message" => "Command output follows"];
    h.extend(lines.into_iter().map(|l| ("Output".to_string(), l)));
    w.response(if ok { "Success" } else { "Error" }, h);
}

fn member_fields(q: &str, m: &QueueMember) -> Headers {
    hdrs![
        "Queue" => q, "MemberName" => m.name, "Interface" => m.interface,
        "StateInterface" => m.state_interface, "Membership" => "dynamic", "Penalty" => m.penalty,
        "CallsTaken" => m.calls_taken, "LastCall" => m.last_call, "LastPause" => m.last_pause,
        "LoginTime" => m.login_time, "InCall" => u8::from(m.in_call), "Status" => m.status,
        "Paused" => u8::from(m.paused), "PausedReason" => m.paused_reason, "Ringinuse" => 0,
        "Wrapuptime" => 0,
    ]
}

fn queue_action(st: &mut State, m: &Message, action: &str, w: &mut Writer) {
    let get = |name: &str| m.get(name).unwrap_or("").trim().to_string();
    let truthy = |v: String| ["true", "yes", "1", "on"].contains(&v.to_ascii_lowercase().as_str());
    let (queue, interface) = (get("Queue"), get("Interface"));
    match action {
        "queueadd" => {
            let Some(q) = st.queues.get_mut(&queue) else {
                return w.error("Unable to add interface to queue: No such queue");
            };
            if q.members.iter().any(|mem| mem.interface == interface) {
                return w.error("Unable to add interface: Already there");
            }
            let name = m
                .get("MemberName")
                .map(str::to_string)
                .unwrap_or_else(|| interface.clone());
            let member = QueueMember {
                interface: interface.clone(),
                name,
                state_interface: m
                    .get("StateInterface")
                    .map(str::to_string)
                    .unwrap_or_else(|| interface.clone()),
                penalty: get("Penalty").parse().unwrap_or(0),
                paused: truthy(get("Paused")),
                status: 1,
                login_time: now_secs(),
                ..Default::default()
            };
            let fields = member_fields(&queue, &member);
            q.members.push(member);
            w.success("Added interface to queue");
            let mut h = hdrs!["Event" => "QueueMemberAdded"];
            h.extend(fields);
            w.frame(h);
        }
        "queueremove" => {
            let Some(q) = st.queues.get_mut(&queue) else {
                return w.error("Unable to remove interface from queue: No such queue");
            };
            match q.members.iter().position(|mem| mem.interface == interface) {
                Some(i) => {
                    let member = q.members.remove(i);
                    w.success("Removed interface from queue");
                    let mut h = hdrs!["Event" => "QueueMemberRemoved"];
                    h.extend(member_fields(&queue, &member));
                    w.frame(h);
                }
                None => w.error("Unable to remove interface: Not there"),
            }
        }
        "queuepause" => {
            let paused = truthy(get("Paused"));
            let reason = get("Reason");
            let mut events = Vec::new();
            for (name, q) in st
                .queues
                .iter_mut()
                .filter(|(n, _)| queue.is_empty() || **n == queue)
            {
                for mem in q
                    .members
                    .iter_mut()
                    .filter(|mem| mem.interface == interface)
                {
                    mem.paused = paused;
                    mem.paused_reason = if paused {
                        reason.clone()
                    } else {
                        String::new()
                    };
                    mem.last_pause = now_secs();
                    let mut h = hdrs!["Event" => "QueueMemberPause"];
                    h.extend(member_fields(name, mem));
                    events.push(h);
                }
            }
            if events.is_empty() {
                return w.error("Interface not found");
            }
            w.success(if paused {
                "Interface paused successfully"
            } else {
                "Interface unpaused successfully"
            });
            for e in events {
                w.frame(e);
            }
        }
        "queuestatus" => {
            let mut items: Vec<(&str, Headers)> = Vec::new();
            for (name, q) in st
                .queues
                .iter()
                .filter(|(n, _)| queue.is_empty() || **n == queue)
            {
                items.push((
                    "QueueParams",
                    hdrs![
                        "Queue" => name, "Max" => 0, "Strategy" => q.strategy, "Calls" => q.calls(),
                        "Holdtime" => 0, "TalkTime" => 0, "Completed" => 0, "Abandoned" => 0,
                        "ServiceLevel" => q.service_level, "ServicelevelPerf" => "0.0", "ServicelevelPerf2" => "0.0",
                        "Weight" => 0,
                    ],
                ));
                for mem in &q.members {
                    items.push((
                        "QueueMember",
                        hdrs![
                            "Queue" => name, "Name" => mem.name, "Location" => mem.interface,
                            "StateInterface" => mem.state_interface, "Membership" => "dynamic",
                            "Penalty" => mem.penalty, "CallsTaken" => mem.calls_taken, "LastCall" => mem.last_call,
                            "LastPause" => mem.last_pause, "LoginTime" => mem.login_time,
                            "InCall" => u8::from(mem.in_call), "Status" => mem.status,
                            "Paused" => u8::from(mem.paused), "PausedReason" => mem.paused_reason,
                            "Wrapuptime" => 0,
                        ],
                    ));
                }
                // app_queue lists the waiting callers after the members, positions from 1.
                let now = now_secs();
                for (i, c) in q.entries.iter().enumerate() {
                    items.push((
                        "QueueEntry",
                        hdrs![
                            "Queue" => name, "Position" => i + 1, "Channel" => c.channel,
                            "Uniqueid" => c.uniqueid, "CallerIDNum" => c.caller_id_num,
                            "CallerIDName" => c.caller_id_name, "ConnectedLineNum" => c.connected_num,
                            "ConnectedLineName" => c.connected_name,
                            "Wait" => now.saturating_sub(c.since), "Priority" => c.priority,
                        ],
                    ));
                }
            }
            w.list_start("Queue status will follow");
            let n = items.len();
            for (event, fields) in items {
                w.event_id_last(event, fields);
            }
            w.list_complete("QueueStatusComplete", n);
        }
        _ => {
            // queuesummary
            let items = st
                .queues
                .iter()
                .filter(|(n, _)| queue.is_empty() || **n == queue)
                .map(|(name, q)| {
                    // As app_queue: unavailable and invalid members are not logged in;
                    // available = not in use or unknown, and not paused.
                    let logged_in: Vec<_> = q.members.iter().filter(|m| !matches!(m.status, 4 | 5)).collect();
                    let available = logged_in.iter().filter(|m| !m.paused && matches!(m.status, 0 | 1)).count();
                    hdrs![
                        "Queue" => name, "LoggedIn" => logged_in.len(), "Available" => available,
                        "Callers" => q.calls(), "HoldTime" => 0, "TalkTime" => 0, "LongestHoldTime" => q.longest_hold_time,
                    ]
                })
                .collect();
            w.list(
                "Queue summary will follow",
                "QueueSummary",
                true,
                items,
                "QueueSummaryComplete",
            );
        }
    }
}

// ----- call records, call outcomes and faxes (tests/cluster_calls.rs) -----

/// One `Cdr` event as cdr_manager sends it when a call leg ends (fields and order as recorded
/// in `asterisk-22-main.txt`; `AccountCode` and `CallerID` are sent when set, and `LinkedID` /
/// `OriginateID` when the node maps them in `cdr_manager.conf`).
#[derive(Debug, Clone, Default)]
pub struct CdrEvent {
    pub account_code: String,
    pub source: String,
    pub destination: String,
    pub destination_context: String,
    pub caller_id: String,
    pub channel: String,
    pub destination_channel: String,
    pub last_application: String,
    pub last_data: String,
    pub start: String,
    pub answer: String,
    pub end: String,
    pub duration: String,
    pub billable: String,
    pub disposition: String,
    pub uniqueid: String,
    pub user_field: String,
    pub linkedid: String,
    pub originate_id: String,
}

impl CdrEvent {
    /// An answered leg of `channel` to `destination` (ten seconds, as Asterisk writes times).
    pub fn answered(
        channel: &str,
        destination_channel: &str,
        source: &str,
        destination: &str,
        uniqueid: &str,
    ) -> CdrEvent {
        CdrEvent {
            source: source.into(),
            destination: destination.into(),
            destination_context: "from-internal".into(),
            channel: channel.into(),
            destination_channel: destination_channel.into(),
            last_application: "Dial".into(),
            last_data: destination_channel.into(),
            start: "2026-11-22 03:59:22".into(),
            answer: "2026-11-22 03:59:24".into(),
            end: "2026-11-22 03:59:34".into(),
            duration: "12".into(),
            billable: "10".into(),
            disposition: "ANSWERED".into(),
            uniqueid: uniqueid.into(),
            ..Default::default()
        }
    }

    fn headers(&self) -> Headers {
        let mut h = hdrs!["Event" => "Cdr"];
        if !self.account_code.is_empty() {
            h.push(("AccountCode".into(), self.account_code.clone()));
        }
        h.extend(hdrs![
            "Source" => self.source, "Destination" => self.destination,
            "DestinationContext" => self.destination_context,
        ]);
        if !self.caller_id.is_empty() {
            h.push(("CallerID".into(), self.caller_id.clone()));
        }
        h.extend(hdrs![
            "Channel" => self.channel, "DestinationChannel" => self.destination_channel,
            "LastApplication" => self.last_application, "LastData" => self.last_data,
            "StartTime" => self.start, "AnswerTime" => self.answer, "EndTime" => self.end,
            "Duration" => self.duration, "BillableSeconds" => self.billable,
            "Disposition" => self.disposition, "AMAFlags" => "DOCUMENTATION",
            "UniqueID" => self.uniqueid, "UserField" => self.user_field,
        ]);
        if !self.linkedid.is_empty() {
            h.push(("LinkedID".into(), self.linkedid.clone()));
        }
        if !self.originate_id.is_empty() {
            h.push(("OriginateID".into(), self.originate_id.clone()));
        }
        h
    }
}

impl AmiServer {
    /// Send a `Cdr` event to every session that takes events.
    pub fn emit_cdr(&self, cdr: &CdrEvent) {
        let bytes = render(&cdr.headers(), lock(&self.inner.knobs).bare_lf).into_bytes();
        self.emit_raw(&bytes);
    }

    /// The `OriginateResponse` of an Originate answered under [`AmiServer::silent_originate`]
    /// (ActionID first, as recorded).
    pub fn emit_originate_response(
        &self,
        action_id: &str,
        success: bool,
        channel: &str,
        uniqueid: &str,
    ) {
        let (response, reason) = if success {
            ("Success", "4")
        } else {
            ("Failure", "0")
        };
        self.emit(&[
            ("Event", "OriginateResponse"),
            ("ActionID", action_id),
            ("Response", response),
            ("Channel", channel),
            ("Context", ""),
            ("Exten", ""),
            ("Reason", reason),
            ("Uniqueid", uniqueid),
        ]);
    }

    /// What the fax dialplan's `h` extension reports (`UserEvent(SwitchboardFax,…)`), with the
    /// channel fields Asterisk puts before a user event's own headers.
    pub fn emit_fax_result(
        &self,
        channel: &Channel,
        fax_id: &str,
        status: &str,
        pages: &str,
        error: &str,
    ) {
        self.emit(&[
            ("Event", "UserEvent"),
            ("Privilege", "user,all"),
            ("Channel", &channel.channel),
            ("Context", "switchboard-fax-out"),
            ("Exten", "h"),
            ("Uniqueid", &channel.uniqueid),
            ("Linkedid", &channel.linkedid),
            ("UserEvent", "SwitchboardFax"),
            ("FaxID", fax_id),
            ("Status", status),
            ("Pages", pages),
            ("Error", error),
        ]);
    }

    /// The channel an Originate created, found by one of its `Variable`s (`FAXID=…`).
    pub fn originated_with(&self, variable: &str, value: &str) -> Option<Channel> {
        self.state()
            .channels
            .iter()
            .find(|c| c.vars.get(variable).map(String::as_str) == Some(value))
            .cloned()
    }
}
