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
//!
//! Files: `state` (what tests seed and inspect), `server` (the handle, its knobs and listener),
//! `wire` (one connection: reading actions, writing frames), `actions` (the action table,
//! login and the generic actions), `calls` (channels and Originate), `command` (CLI `Command`
//! output), `queues` (app_queue actions) and `events` (Cdr and call-outcome events).
#![allow(dead_code)]

pub const BANNER: &str = "Asterisk Call Manager/11.0.0";
pub const USERNAME: &str = "admin";
pub const SECRET: &str = "amp111";
pub const ASTERISK_VERSION: &str = "22.10.1";

type Headers = Vec<(String, String)>;

macro_rules! hdrs {
    ($($k:expr => $v:expr),* $(,)?) => { vec![$(($k.to_string(), $v.to_string())),*] };
}

mod actions;
mod calls;
mod command;
mod events;
mod queues;
mod server;
mod state;
mod wire;

// The server's public names. Allowed unused: the bench includes this module and uses only
// `AmiServer`, and no test spells out `State` (it comes through `AmiServer::state`).
#[allow(unused_imports)]
pub use self::{
    actions::CACHES,
    events::CdrEvent,
    server::AmiServer,
    state::{
        Channel, Contact, Endpoint, ExtensionState, Queue, QueueCaller, QueueMember, Received,
        State,
    },
};
