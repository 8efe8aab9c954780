//! The state tests seed and inspect: channels, queues, endpoints, contacts, the actions received.

use std::collections::{BTreeMap, BTreeSet};

use super::Headers;

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
    pub(super) fn calls(&self) -> usize {
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
    pub(super) next_uid: u64,
}
