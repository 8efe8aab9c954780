//! The Asterisk Manager Interface (AMI), our own implementation: a tokio codec ([`AmiCodec`]),
//! ordered-multimap messages ([`Message`], [`Action`]) and one connection actor per node behind
//! a cheap [`Client`] handle.
//!
//! What the client guarantees:
//! - Responses are matched by `ActionID` (the client sets it); list actions (`EventList: start`)
//!   are collected until `EventList: Complete`; both `Command` output styles end up in
//!   [`Response::output`].
//! - An action is written at most once. If the link drops after it was written and before its
//!   answer, the caller gets [`AmiError::OutcomeUnknown`]; nothing is replayed after a reconnect
//!   (an Originate must never ring twice). [`AmiError::NotConnected`] means it was not written.
//! - Header names and values are sanitised when written: a CR/LF inside a value becomes a
//!   space and can never start a second header or action. Secrets never reach a log or `Debug`.
//!   A client's value is refused before that ([`HeaderValue`], and [`Variable`] for an
//!   Originate's channel variables, which Asterisk splits on `,`).
//!
//! Originate is asynchronous in Asterisk: with `Async: true` the node answers
//! `Response: Success` at once and reports the call's fate later in an `OriginateResponse`
//! event carrying the same ActionID. [`Client::send`] returns at the first answer (the event
//! then reaches [`Client::events`] subscribers; match it with [`Response::action_id`]);
//! [`Client::originate`] sets `Async: true` and waits for that event.

mod client;
mod codec;
mod message;
mod value;

use std::fmt;
use std::time::Duration;

pub use client::{check, CheckReport, Client, Originated, REQUIRED_ACTIONS};
pub use codec::{AmiCodec, Frame, Limits};
pub use message::{Action, Message};
pub use value::{BadValue, HeaderValue, Variable, VARIABLE_SEPARATORS};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmiError {
    /// The node is not connected (or the client was shut down); the action was not written.
    #[error("not connected to the AMI node")]
    NotConnected,
    /// The link dropped after the action was written and before its answer. It may or may not
    /// have run, and it is not re-sent.
    #[error("the AMI link dropped after the action was sent; its outcome is unknown")]
    OutcomeUnknown,
    /// No complete answer in time. The action was (probably) written, so its outcome is unknown.
    #[error("no answer from the AMI node in time")]
    Timeout,
    /// `Response: Error` with the node's message.
    #[error("the AMI node refused the action: {0}")]
    Refused(String),
    /// Login refused (wrong user or secret); the text is the node's, never the secret.
    #[error("AMI login failed: {0}")]
    Auth(String),
    #[error("AMI protocol error: {0}")]
    Protocol(String),
    /// A frame, a frame's header count or a list exceeded the configured limits.
    #[error("AMI message exceeds the configured size limits")]
    TooLarge,
    /// Connecting, reading or writing failed.
    #[error("AMI connection error: {0}")]
    Io(String),
}

impl From<std::io::Error> for AmiError {
    fn from(e: std::io::Error) -> Self {
        AmiError::Io(e.to_string())
    }
}

/// How the client logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// `Challenge` + `Key: md5(challenge + secret)`: the secret never crosses the wire.
    #[default]
    Md5,
    /// `Secret:` in clear (for proxies that do not implement `Challenge`).
    Plain,
}

/// One Asterisk node. `Debug` never shows the secret.
#[derive(Clone)]
pub struct NodeConfig {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub secret: String,
    pub auth: AuthMethod,
    /// Ask for events at login (`Events: off` otherwise).
    pub events: bool,
    /// Limit for TCP connect + banner + login.
    pub connect_timeout: Duration,
    /// Default per-action limit of [`Client::send`].
    pub action_timeout: Duration,
    /// Idle keep-alive: a `Ping` this often; no `Pong` by the next one drops the link.
    pub ping_interval: Duration,
    /// Reconnect back-off: doubles from `backoff_min` to `backoff_max`, with jitter.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub limits: Limits,
    /// Most events one list action may collect.
    pub max_list_items: usize,
    /// Capacity of the event broadcast; slower subscribers see `Lagged`.
    pub event_capacity: usize,
}

impl NodeConfig {
    pub fn new(
        name: impl Into<String>,
        host: impl Into<String>,
        port: u16,
        username: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        NodeConfig {
            name: name.into(),
            host: host.into(),
            port,
            username: username.into(),
            secret: secret.into(),
            auth: AuthMethod::default(),
            events: true,
            connect_timeout: Duration::from_secs(5),
            action_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(20),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            limits: Limits::default(),
            max_list_items: 100_000,
            event_capacity: 4096,
        }
    }
}

impl fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeConfig")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .field("auth", &self.auth)
            .field("events", &self.events)
            .field("connect_timeout", &self.connect_timeout)
            .field("action_timeout", &self.action_timeout)
            .field("ping_interval", &self.ping_interval)
            .field("backoff_min", &self.backoff_min)
            .field("backoff_max", &self.backoff_max)
            .finish_non_exhaustive()
    }
}

/// The answer to one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The `Response:` message itself.
    pub message: Message,
    /// List actions: the item events, in order (without the closing event). Originate via
    /// [`Client::originate`]: the `OriginateResponse` event.
    pub events: Vec<Message>,
    /// `Command` output lines, whichever style the node used.
    pub output: Vec<String>,
    /// List actions: the closing event (`EventList: Complete`, `ListItems`).
    pub complete: Option<Message>,
}

impl Response {
    pub(crate) fn new(message: Message, events: Vec<Message>, complete: Option<Message>) -> Self {
        let output = message.get_all("Output").map(str::to_string).collect();
        Response {
            message,
            events,
            output,
            complete,
        }
    }

    /// First value of a header of the response message.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.message.get(name)
    }

    /// The ActionID the client gave the action (to match later events such as OriginateResponse).
    pub fn action_id(&self) -> &str {
        self.message.action_id().unwrap_or("")
    }
}

/// What a node told about itself after login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeInfo {
    /// From the banner (`Asterisk Call Manager/11.0.0` → `11.0.0`).
    pub ami_version: String,
    /// From `CoreSettings` (`AsteriskVersion`), empty when not permitted.
    pub asterisk_version: String,
    /// From `CoreSettings` (`SystemName`), often empty.
    pub system_name: String,
}
