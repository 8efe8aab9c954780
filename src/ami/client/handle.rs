//! The [`Client`] handle callers hold and the state it shares with its connection actor.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::actor::run;
use crate::ami::{Action, AmiError, Message, NodeConfig, NodeInfo, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Done at the response (or at `EventList: Complete` for a list).
    Plain,
    /// Done at the `OriginateResponse` event with the same ActionID.
    Originate,
    /// The actor's own keep-alive.
    Ping,
}

pub(super) struct Request {
    pub(super) action: Action,
    pub(super) kind: Kind,
    pub(super) reply: oneshot::Sender<Result<Response, AmiError>>,
}

pub(super) struct Shared {
    pub(super) name: String,
    pub(super) connected: watch::Sender<bool>,
    /// Successful logins so far: a change tells a reconnect, however short the gap.
    pub(super) logins: std::sync::atomic::AtomicU64,
    pub(super) info: Mutex<Option<NodeInfo>>,
    pub(super) events: broadcast::Sender<Arc<Message>>,
    pub(super) cancel: CancellationToken,
    pub(super) action_timeout: Duration,
}

impl Shared {
    pub(super) fn publish(&self, event: Message) {
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
            logins: Default::default(),
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

    /// How many times the client has logged in (each reconnect counts one).
    pub fn logins(&self) -> u64 {
        self.shared.logins.load(std::sync::atomic::Ordering::SeqCst)
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
