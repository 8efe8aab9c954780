//! The connection actor of one node and its [`Client`] handle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use rand::Rng;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use super::{
    Action, AmiCodec, AmiError, AuthMethod, Frame, Message, NodeConfig, NodeInfo, Response,
};

/// Actions Switchboard may send to a node; `check` reports the ones the AMI user may not use.
pub const REQUIRED_ACTIONS: &[&str] = &[
    "Ping",
    "Originate",
    "Hangup",
    "Redirect",
    "Atxfer",
    "CoreShowChannels",
    "CoreSettings",
    "CoreStatus",
    "Command",
    "Reload",
    "QueueAdd",
    "QueueRemove",
    "QueuePause",
    "QueueStatus",
    "QueueSummary",
    "DBPut",
    "DBGet",
    "DBDel",
    "DBGetTree",
    "ExtensionState",
    "ExtensionStateList",
    "DeviceStateList",
    "Getvar",
    "Setvar",
    "PJSIPShowEndpoints",
    "PJSIPShowContacts",
    "PJSIPUnregister",
    "PJSIPNotify",
    "MessageSend",
    "QueueReset",
    "SorceryMemoryCacheExpireObject",
];

/// Bytes waiting to be written beyond which no new action is taken from the queue.
const WRITE_HIGH_WATER: usize = 1024 * 1024;
/// How long an abandoned (timed-out) action keeps swallowing its late list events.
const ABANDONED_GRACE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Done at the response (or at `EventList: Complete` for a list).
    Plain,
    /// Done at the `OriginateResponse` event with the same ActionID.
    Originate,
    /// The actor's own keep-alive.
    Ping,
}

struct Request {
    action: Action,
    kind: Kind,
    reply: oneshot::Sender<Result<Response, AmiError>>,
}

struct Shared {
    name: String,
    connected: watch::Sender<bool>,
    info: Mutex<Option<NodeInfo>>,
    events: broadcast::Sender<Arc<Message>>,
    cancel: CancellationToken,
    action_timeout: Duration,
}

impl Shared {
    fn publish(&self, event: Message) {
        // No subscriber is fine: events are a stream, not a queue.
        let _ = self.events.send(Arc::new(event));
    }
}

/// A cheap handle to one node's connection actor. Clones share the connection; the actor stops
/// when [`Client::shutdown`] is called or the last handle is dropped.
#[derive(Clone)]
pub struct Client {
    tx: mpsc::Sender<Request>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("node", &self.shared.name)
            .field("connected", &self.is_connected())
            .finish()
    }
}

/// The outcome of [`Client::originate`]: the first answer and the `OriginateResponse` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originated {
    pub response: Response,
    pub event: Message,
}

impl Originated {
    /// The event says `Response: Success` (the call was answered, `Reason: 4`).
    pub fn is_success(&self) -> bool {
        self.event
            .response()
            .is_some_and(|r| r.eq_ignore_ascii_case("Success"))
    }

    /// Asterisk's reason code (0 failed, 1 hung up, 3 ringing, 4 answered, 5 busy, 8 congested).
    pub fn reason(&self) -> Option<i32> {
        self.event.get("Reason").and_then(|r| r.trim().parse().ok())
    }

    pub fn channel(&self) -> Option<&str> {
        self.event.get("Channel")
    }

    pub fn uniqueid(&self) -> Option<&str> {
        self.event.get("Uniqueid")
    }
}

impl Client {
    /// Start the actor: it connects in the background and reconnects forever (with jittered
    /// exponential back-off) until shut down. Must be called inside a tokio runtime.
    pub fn spawn(cfg: NodeConfig) -> Client {
        let (tx, rx) = mpsc::channel(1024);
        let (events, _) = broadcast::channel(cfg.event_capacity.max(1));
        let shared = Arc::new(Shared {
            name: cfg.name.clone(),
            connected: watch::channel(false).0,
            info: Mutex::new(None),
            events,
            cancel: CancellationToken::new(),
            action_timeout: cfg.action_timeout,
        });
        tokio::spawn(run(cfg, shared.clone(), rx));
        Client { tx, shared }
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Send an action and wait for its answer (a list action: for all its events), up to the
    /// node's `action_timeout`.
    pub async fn send(&self, action: Action) -> Result<Response, AmiError> {
        self.send_with_timeout(action, self.shared.action_timeout)
            .await
    }

    pub async fn send_with_timeout(
        &self,
        action: Action,
        t: Duration,
    ) -> Result<Response, AmiError> {
        self.request(action, Kind::Plain, t).await
    }

    /// Originate and wait up to `t` for the `OriginateResponse` event (the action is sent with
    /// `Async: true`). A refused Originate is `Err(Refused)`; a call that failed to connect is
    /// `Ok` with `is_success() == false` and its `reason()`.
    pub async fn originate(&self, action: Action, t: Duration) -> Result<Originated, AmiError> {
        let mut action = action;
        if action.get("Async").is_none() {
            action.push("Async", "true");
        }
        let mut response = self.request(action, Kind::Originate, t).await?;
        let event = response
            .events
            .pop()
            .ok_or_else(|| AmiError::Protocol("OriginateResponse missing".into()))?;
        Ok(Originated { response, event })
    }

    async fn request(&self, action: Action, kind: Kind, t: Duration) -> Result<Response, AmiError> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            action,
            kind,
            reply,
        };
        let deadline = tokio::time::Instant::now() + t;
        match tokio::time::timeout_at(deadline, self.tx.send(request)).await {
            Err(_) => return Err(AmiError::Timeout),
            Ok(Err(_)) => return Err(AmiError::NotConnected),
            Ok(Ok(())) => {}
        }
        match tokio::time::timeout_at(deadline, answer).await {
            Err(_) => Err(AmiError::Timeout),
            // The actor ended before taking the request: it was never written.
            Ok(Err(_)) => Err(AmiError::NotConnected),
            Ok(Ok(result)) => result,
        }
    }

    /// Every event of the node (except the items of our own list actions). Subscribers that
    /// fall behind by more than `event_capacity` see `RecvError::Lagged`.
    pub fn events(&self) -> broadcast::Receiver<Arc<Message>> {
        self.shared.events.subscribe()
    }

    /// Logged in right now.
    pub fn is_connected(&self) -> bool {
        *self.shared.connected.borrow()
    }

    /// What the node told at the last login.
    pub fn info(&self) -> Option<NodeInfo> {
        self.shared.info.lock().ok().and_then(|i| i.clone())
    }

    /// Wait until logged in, up to `t`; true if connected.
    pub async fn wait_connected(&self, t: Duration) -> bool {
        let mut rx = self.shared.connected.subscribe();
        let connected = tokio::time::timeout(t, rx.wait_for(|c| *c)).await;
        matches!(connected, Ok(Ok(_)))
    }

    /// Log off and stop the actor; actions in flight end with `OutcomeUnknown`, later ones
    /// with `NotConnected`.
    pub fn shutdown(&self) {
        self.shared.cancel.cancel();
    }
}

/// A logged-in (or logging-in) TCP link.
struct Conn {
    reader: FramedRead<OwnedReadHalf, AmiCodec>,
    writer: OwnedWriteHalf,
    banner: String,
    next_id: u64,
    prefix: String,
}

impl Conn {
    async fn open(cfg: &NodeConfig) -> Result<Conn, AmiError> {
        let stream = TcpStream::connect((cfg.host.as_str(), cfg.port)).await?;
        stream.set_nodelay(true)?;
        let (read, writer) = stream.into_split();
        let mut reader = FramedRead::new(read, AmiCodec::client(cfg.limits));
        let banner = match reader.next().await {
            Some(Ok(Frame::Banner(b))) => b,
            Some(Ok(Frame::Message(_))) => return Err(AmiError::Protocol("no banner".into())),
            Some(Err(e)) => return Err(e),
            None => return Err(AmiError::Io("closed before the banner".into())),
        };
        if !banner.starts_with("Asterisk Call Manager/") {
            return Err(AmiError::Protocol(format!("unexpected banner {banner:?}")));
        }
        Ok(Conn {
            reader,
            writer,
            banner,
            next_id: 0,
            prefix: format!("sb{:08x}", rand::thread_rng().gen::<u32>()),
        })
    }

    fn next_id(&mut self) -> String {
        self.next_id += 1;
        format!("{}-{}", self.prefix, self.next_id)
    }

    /// One action, one answer, sequentially (login phase and `check` only); events read
    /// meanwhile go to `publish`.
    async fn call(
        &mut self,
        action: &Action,
        publish: &(dyn Fn(Message) + Sync),
    ) -> Result<Message, AmiError> {
        let id = self.next_id();
        let mut buf = BytesMut::new();
        action.with_action_id(&id).write_wire(&mut buf);
        self.writer.write_all(&buf).await?;
        loop {
            match self.reader.next().await {
                Some(Ok(Frame::Message(m)))
                    if m.response().is_some() && m.action_id() == Some(&id) =>
                {
                    return Ok(m)
                }
                Some(Ok(Frame::Message(m))) if m.event().is_some() => publish(m),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Err(AmiError::Io("connection closed by the node".into())),
            }
        }
    }

    async fn login(
        &mut self,
        cfg: &NodeConfig,
        publish: &(dyn Fn(Message) + Sync),
    ) -> Result<(), AmiError> {
        let mut login = Action::new("Login").header("Username", cfg.username.as_str());
        match cfg.auth {
            AuthMethod::Md5 => {
                let challenge = self
                    .call(&Action::new("Challenge").header("AuthType", "md5"), publish)
                    .await?;
                if challenge.is_error() {
                    return Err(AmiError::Auth(
                        challenge.text().unwrap_or("challenge refused").into(),
                    ));
                }
                let nonce = challenge
                    .get("Challenge")
                    .ok_or_else(|| AmiError::Protocol("Challenge missing".into()))?;
                let key = Md5::digest(format!("{nonce}{}", cfg.secret).as_bytes());
                login = login
                    .header("AuthType", "md5")
                    .header("Key", hex::encode(key.as_slice()));
            }
            AuthMethod::Plain => login = login.header("Secret", cfg.secret.as_str()),
        }
        if !cfg.events {
            login = login.header("Events", "off");
        }
        let answer = self.call(&login, publish).await?;
        if answer.is_error() || answer.response().is_none() {
            return Err(AmiError::Auth(
                answer.text().unwrap_or("login refused").into(),
            ));
        }
        Ok(())
    }

    /// Banner version plus `CoreSettings` when the user may read it.
    async fn node_info(
        &mut self,
        publish: &(dyn Fn(Message) + Sync),
    ) -> Result<NodeInfo, AmiError> {
        let mut info = NodeInfo {
            ami_version: self
                .banner
                .trim_start_matches("Asterisk Call Manager/")
                .trim()
                .to_string(),
            ..NodeInfo::default()
        };
        let settings = self.call(&Action::new("CoreSettings"), publish).await?;
        if !settings.is_error() {
            info.asterisk_version = settings.get("AsteriskVersion").unwrap_or("").trim().into();
            info.system_name = settings.get("SystemName").unwrap_or("").trim().into();
        }
        Ok(info)
    }
}

/// Connect, log in and learn the node info.
async fn connect(cfg: &NodeConfig, shared: &Shared) -> Result<(Conn, NodeInfo), AmiError> {
    let publish = |m: Message| shared.publish(m);
    let work = async {
        let mut conn = Conn::open(cfg).await?;
        conn.login(cfg, &publish).await?;
        let info = conn.node_info(&publish).await?;
        Ok((conn, info))
    };
    tokio::time::timeout(cfg.connect_timeout, work)
        .await
        .unwrap_or(Err(AmiError::Timeout))
}

/// What `check` found on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub info: NodeInfo,
    /// Actions of [`REQUIRED_ACTIONS`] the AMI user may not use (from `ListCommands`).
    pub missing: Vec<String>,
}

/// Log in once, read the version and list which of the actions Switchboard needs the user may
/// not use (Asterisk's `ListCommands` shows only the actions the user is permitted).
pub async fn check(cfg: &NodeConfig) -> Result<CheckReport, AmiError> {
    let publish = |_: Message| {};
    let work = async {
        let mut conn = Conn::open(cfg).await?;
        conn.login(cfg, &publish).await?;
        let info = conn.node_info(&publish).await?;
        let commands = conn.call(&Action::new("ListCommands"), &publish).await?;
        if commands.is_error() {
            return Err(AmiError::Refused(
                commands.text().unwrap_or("ListCommands").into(),
            ));
        }
        let missing = REQUIRED_ACTIONS
            .iter()
            .filter(|a| commands.get(a).is_none())
            .map(|a| a.to_string())
            .collect();
        let _ = conn.call(&Action::new("Logoff"), &publish).await;
        Ok(CheckReport { info, missing })
    };
    tokio::time::timeout(cfg.connect_timeout * 2, work)
        .await
        .unwrap_or(Err(AmiError::Timeout))
}

/// Jittered exponential back-off.
struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            current: min,
        }
    }

    fn reset(&mut self) {
        self.current = self.min;
    }

    /// A delay between half and all of the current step; the step doubles up to `max`.
    fn next(&mut self) -> Duration {
        let step = self.current;
        self.current = (self.current * 2).min(self.max);
        let ms = step.as_millis().max(1) as u64;
        Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms))
    }
}

/// Why a session ended.
enum End {
    /// Shut down or every handle dropped: stop the actor.
    Stop,
    /// The link is gone: reconnect.
    Lost,
}

async fn run(cfg: NodeConfig, shared: Arc<Shared>, mut rx: mpsc::Receiver<Request>) {
    let mut backoff = Backoff::new(cfg.backoff_min, cfg.backoff_max);
    loop {
        // Connecting: requests meanwhile are answered NotConnected at once.
        let attempt = {
            let fut = connect(&cfg, &shared);
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    r = &mut fut => break r,
                    req = rx.recv() => match req {
                        Some(r) => { let _ = r.reply.send(Err(AmiError::NotConnected)); }
                        None => return,
                    },
                    _ = shared.cancel.cancelled() => return,
                }
            }
        };
        match attempt {
            Ok((conn, info)) => {
                tracing::info!(node = %cfg.name, ami = %info.ami_version, asterisk = %info.asterisk_version, "AMI connected");
                if let Ok(mut slot) = shared.info.lock() {
                    *slot = Some(info);
                }
                backoff.reset();
                shared.connected.send_replace(true);
                let end = Session::new(&cfg, &shared, conn).run(&mut rx).await;
                shared.connected.send_replace(false);
                match end {
                    End::Stop => return,
                    End::Lost => tracing::warn!(node = %cfg.name, "AMI link lost; reconnecting"),
                }
            }
            Err(e) => tracing::warn!(node = %cfg.name, error = %e, "AMI connect failed"),
        }
        let pause = tokio::time::sleep(backoff.next());
        tokio::pin!(pause);
        loop {
            tokio::select! {
                _ = &mut pause => break,
                req = rx.recv() => match req {
                    Some(r) => { let _ = r.reply.send(Err(AmiError::NotConnected)); }
                    None => return,
                },
                _ = shared.cancel.cancelled() => return,
            }
        }
    }
}

/// An action written and not yet fully answered.
struct Pending {
    kind: Kind,
    /// `None` once the caller gave up (timeout) or got an early error.
    reply: Option<oneshot::Sender<Result<Response, AmiError>>>,
    response: Option<Message>,
    events: Vec<Message>,
    abandoned_at: Option<Instant>,
}

struct Session<'a> {
    cfg: &'a NodeConfig,
    shared: &'a Shared,
    conn: Conn,
    pending: HashMap<String, Pending>,
    out: BytesMut,
    /// ActionID of the keep-alive ping in flight.
    ping: Option<String>,
    last_ping: Instant,
}

impl<'a> Session<'a> {
    fn new(cfg: &'a NodeConfig, shared: &'a Shared, conn: Conn) -> Self {
        Session {
            cfg,
            shared,
            conn,
            pending: HashMap::new(),
            out: BytesMut::with_capacity(16 * 1024),
            ping: None,
            last_ping: Instant::now(),
        }
    }

    async fn run(mut self, rx: &mut mpsc::Receiver<Request>) -> End {
        let tick_every = self.cfg.ping_interval.min(Duration::from_secs(1));
        let mut tick = tokio::time::interval(tick_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let end = loop {
            tokio::select! {
                frame = self.conn.reader.next() => match frame {
                    Some(Ok(Frame::Message(m))) => self.on_message(m),
                    Some(Ok(Frame::Banner(_))) => {}
                    Some(Err(e)) => {
                        tracing::warn!(node = %self.cfg.name, error = %e, "AMI read failed");
                        break End::Lost;
                    }
                    None => break End::Lost,
                },
                written = self.conn.writer.write_buf(&mut self.out), if !self.out.is_empty() => {
                    if let Err(e) = written {
                        tracing::warn!(node = %self.cfg.name, error = %e, "AMI write failed");
                        break End::Lost;
                    }
                }
                req = rx.recv(), if self.out.len() < WRITE_HIGH_WATER => match req {
                    Some(r) => {
                        self.enqueue(r);
                        // Batch whatever else is queued into the same write.
                        while self.out.len() < WRITE_HIGH_WATER {
                            match rx.try_recv() {
                                Ok(r) => self.enqueue(r),
                                Err(_) => break,
                            }
                        }
                    }
                    None => break End::Stop,
                },
                _ = tick.tick() => {
                    if !self.keep_alive() {
                        tracing::warn!(node = %self.cfg.name, "AMI keep-alive unanswered");
                        break End::Lost;
                    }
                }
                _ = self.shared.cancel.cancelled() => {
                    let mut bye = BytesMut::new();
                    self.out.clear();
                    Action::new("Logoff").with_action_id("logoff").write_wire(&mut bye);
                    let _ = tokio::time::timeout(Duration::from_millis(200), self.conn.writer.write_all(&bye)).await;
                    break End::Stop;
                }
            }
        };
        // Everything written and unanswered: outcome unknown, never re-sent.
        for (_, p) in self.pending.drain() {
            if let Some(reply) = p.reply {
                let _ = reply.send(Err(AmiError::OutcomeUnknown));
            }
        }
        end
    }

    fn enqueue(&mut self, r: Request) {
        if r.reply.is_closed() {
            return; // The caller gave up before it was written.
        }
        let id = self.conn.next_id();
        r.action.with_action_id(&id).write_wire(&mut self.out);
        tracing::trace!(node = %self.cfg.name, action = r.action.name(), action_id = %id, "AMI action queued");
        self.pending.insert(
            id,
            Pending {
                kind: r.kind,
                reply: Some(r.reply),
                response: None,
                events: Vec::new(),
                abandoned_at: None,
            },
        );
    }

    /// Periodic work: send or check the keep-alive ping and forget abandoned actions.
    /// False when the last ping went unanswered for a whole interval.
    fn keep_alive(&mut self) -> bool {
        let now = Instant::now();
        self.pending.retain(|_, p| {
            if p.reply.as_ref().is_some_and(|r| r.is_closed()) {
                p.reply = None;
            }
            if p.reply.is_none() && p.kind != Kind::Ping {
                let since = *p.abandoned_at.get_or_insert(now);
                return now.duration_since(since) < ABANDONED_GRACE;
            }
            true
        });
        if now.duration_since(self.last_ping) < self.cfg.ping_interval {
            return true;
        }
        if self
            .ping
            .as_ref()
            .is_some_and(|id| self.pending.contains_key(id))
        {
            return false;
        }
        self.last_ping = now;
        let id = self.conn.next_id();
        Action::new("Ping")
            .with_action_id(&id)
            .write_wire(&mut self.out);
        self.pending.insert(
            id.clone(),
            Pending {
                kind: Kind::Ping,
                reply: None,
                response: None,
                events: Vec::new(),
                abandoned_at: None,
            },
        );
        self.ping = Some(id);
        true
    }

    fn on_message(&mut self, m: Message) {
        let id = m.action_id().unwrap_or("").to_string();
        let Some(p) = self.pending.get_mut(&id) else {
            if m.event().is_some() {
                self.shared.publish(m);
            } else {
                tracing::trace!(node = %self.cfg.name, "AMI: unmatched response dropped");
            }
            return;
        };
        if let Some(event) = m.event() {
            if p.kind == Kind::Originate && event.eq_ignore_ascii_case("OriginateResponse") {
                p.events.push(m.clone());
                self.shared.publish(m);
                self.finish(&id, None);
            } else if m.event_list().as_deref() == Some("complete") {
                self.finish(&id, Some(m));
            } else if p.events.len() >= self.cfg.max_list_items {
                // Too long: answer now, swallow the rest of the list until its end.
                if let Some(reply) = p.reply.take() {
                    let _ = reply.send(Err(AmiError::TooLarge));
                }
            } else if p.reply.is_some() {
                p.events.push(m);
            }
            return;
        }
        let waits_for_more =
            m.event_list().as_deref() == Some("start") || p.kind == Kind::Originate;
        let done = m.is_error() || !waits_for_more;
        p.response = Some(m);
        if done {
            self.finish(&id, None);
        }
    }

    /// The action `id` is fully answered: hand the result to its caller.
    fn finish(&mut self, id: &str, complete: Option<Message>) {
        let Some(p) = self.pending.remove(id) else {
            return;
        };
        if p.kind == Kind::Ping {
            self.ping = None;
            return;
        }
        let Some(reply) = p.reply else { return };
        let message = p.response.unwrap_or_default();
        let result = if message.is_error() {
            Err(AmiError::Refused(refusal_text(&message)))
        } else {
            Ok(Response::new(message, p.events, complete))
        };
        let _ = reply.send(result);
    }
}

/// The node's reason for `Response: Error`: `Message`, plus the output of a failed `Command`.
fn refusal_text(m: &Message) -> String {
    let text = m.text().unwrap_or("").trim();
    let output: Vec<&str> = m.get_all("Output").collect();
    match (text.is_empty(), output.is_empty()) {
        (_, true) => text.to_string(),
        (true, false) => output.join("\n"),
        (false, false) => format!("{text}: {}", output.join("\n")),
    }
}
