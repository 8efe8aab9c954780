//! The decisions: a DID from a provider, a number dialled by a phone, an IVR input, and the next
//! step after one that ended unanswered. Each walks the stored destination lists (MiRTA's
//! ordered fall-through) until it reaches something the node must run.
//!
//! This file holds what every decision shares (the tenant, the walk's context, settings); one
//! file per entry point (`inbound`, `later` for the next step and IVR input, `phones`),
//! `walk` for the destination walk and `outbound` for outside numbers through the routes.

mod inbound;
mod later;
mod outbound;
mod phones;
mod walk;

pub use inbound::inbound;
pub use later::{ivr_input, next};
pub use phones::{device_of_channel, internal};

use super::cont::Cont;
use super::guard::Guarded;
use super::{Decision, RouteResult, Step};
use chrono::{DateTime, Utc};
use entity::{me_mediafiles as me, st_settings as st, te_tenants as te};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// How long an extension rings before its no-answer destinations apply (seconds).
pub const EXT_RING_SECONDS: u32 = 30;
/// A hunt list with no ring time set rings each member (or all) this long.
pub const HUNTLIST_RING_SECONDS: u32 = 20;
/// How long an outbound call may ring.
pub const OUTBOUND_RING_SECONDS: u32 = 90;
/// Most destinations one decision walks before it gives up (a loop in the configuration).
pub const MAX_HOPS: u32 = 40;
/// Most provider routes offered for one outbound call.
pub const MAX_ROUTES: usize = 8;
/// The tenant setting naming the routing profile (`rp_id`) of outbound calls.
pub const ROUTING_PROFILE: &str = "ROUTING_PROFILE";

/// How the previous step ended, as the node reports it (DIALSTATUS, QUEUESTATUS, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Busy,
    NoAnswer,
    Unavailable,
    Other,
}

impl Outcome {
    pub fn parse(status: &str) -> Outcome {
        match status.trim().to_ascii_uppercase().as_str() {
            "BUSY" => Outcome::Busy,
            "NOANSWER" | "TIMEOUT" => Outcome::NoAnswer,
            "CHANUNAVAIL" | "CONGESTION" | "UNAVAILABLE" => Outcome::Unavailable,
            _ => Outcome::Other,
        }
    }
}

struct Tenant {
    id: i32,
    code: String,
    disabled: bool,
    /// `te_maxchannels` (0 = none).
    max_channels: i32,
}

struct Cx<'a, C> {
    conn: &'a C,
    te: Tenant,
    now: DateTime<Utc>,
    hops: u32,
    /// The extension (id, number) whose phone placed the call, if one did.
    caller: Option<(i32, String)>,
    /// What an outbound step's guards found, attached to the decision by [`Cx::decision`]
    /// (a mutex, not a cell: decisions run in `Send` futures).
    guard: std::sync::Mutex<Guarded>,
}

impl<'a, C> Cx<'a, C> {
    fn new(conn: &'a C, te: Tenant, now: DateTime<Utc>) -> Self {
        Cx {
            conn,
            te,
            now,
            hops: 0,
            caller: None,
            guard: Default::default(),
        }
    }

    /// The decision for `step`, with what the guards of an outbound step found.
    fn decision(&self, step: Step, next: Cont) -> Decision {
        let mut d = decision(&self.te, step, next);
        if let Ok(mut g) = self.guard.lock() {
            d.guard = std::mem::take(&mut *g);
        }
        d
    }
}

fn decision(te: &Tenant, step: Step, next: Cont) -> Decision {
    if let Step::Refuse { reason } = &step {
        tracing::warn!(tenant = %te.code, %reason, "call refused");
    }
    Decision {
        tenant: Some(te.code.clone()),
        step,
        next,
        ivr_choice: None,
        guard: Default::default(),
    }
}

fn refuse(reason: impl Into<String>) -> Decision {
    let reason = reason.into();
    tracing::warn!(%reason, "call refused");
    Decision::refuse(reason)
}

async fn tenant(conn: &impl ConnectionTrait, id: i32) -> RouteResult<Option<Tenant>> {
    Ok(te::Entity::find_by_id(id).one(conn).await?.map(|t| Tenant {
        id: t.te_id,
        code: t.te_code,
        disabled: t.te_disabled == "on",
        max_channels: t.te_maxchannels,
    }))
}

/// The effective value of a setting: the tenant's own, else the global one.
async fn setting(
    conn: &impl ConnectionTrait,
    te_id: i32,
    code: &str,
) -> RouteResult<Option<String>> {
    for id in [te_id, 0] {
        let row = st::Entity::find()
            .filter(st::Column::StTeId.eq(id))
            .filter(st::Column::StCode.eq(code))
            .one(conn)
            .await?;
        if let Some(v) = row
            .and_then(|r| r.st_value)
            .filter(|v| !v.trim().is_empty())
        {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// A number a caller may dial or a provider may present: digits, `*`, `#`, a leading `+`.
fn dialable(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 32
        && n.char_indices()
            .all(|(i, c)| c.is_ascii_digit() || c == '*' || c == '#' || (c == '+' && i == 0))
}

/// The name a node plays a media file by: `switchboard/<aa>/<sha256>` (the layout of the media
/// store, so nodes can share it), or `switchboard/id/<me_id>` for a row without a digest.
pub fn media_name(m: &me::Model) -> String {
    match m.me_sha256.get(..2) {
        Some(aa) if m.me_sha256.len() == 64 => format!("switchboard/{aa}/{}", m.me_sha256),
        _ => format!("switchboard/id/{}", m.me_id),
    }
}
