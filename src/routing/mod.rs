//! Call routing: what a call does next, decided from the stored objects.
//!
//! Typed values in, a typed [`Decision`] out; no sockets, no channel variables (the FastAGI
//! front door turns a decision into them). A call's progress is a [`Cont`]: a small stack of
//! positions in destination lists, carried by the call itself (a channel variable) and handed
//! back with the next request, so any instance can answer any step.
//!
//! The tenant of a call always comes from stored rows: the DID's owner for a call from a
//! provider, the device's extension row for a phone, the owner of the continuation's first
//! object for a later step. Every lookup after that is filtered by that tenant, so a phone of one
//! tenant can never reach another tenant's objects, whatever it dials.

pub mod cont;
pub mod flow;
pub mod guard;
pub mod number;
pub mod time;

#[cfg(test)]
mod tests;

pub use cont::{Cont, Frame};
pub use flow::{inbound, internal, ivr_input, next, Outcome};
pub use guard::{admit, release};

/// Which unanswered outcomes let a multi-target dial go on to its next target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failover {
    /// Hunt lists ringing one member after another: any unanswered outcome.
    Any,
    /// Outbound routes: only "this carrier cannot" (unavailable, congestion), never busy.
    Unavailable,
}

/// Which greeting a voicemail box plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoicemailGreeting {
    Unavailable,
    Busy,
    None,
}

/// What the node runs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Ring each target in turn (one target may be `A&B`, rung together) for `timeout` seconds.
    Dial {
        targets: Vec<String>,
        timeout: u32,
        failover: Failover,
    },
    /// `Queue(<name>)` with its timeout in seconds.
    Queue {
        name: String,
        timeout: u32,
    },
    /// Play the greeting (a media name, none = silence) and collect one digit for `timeout`
    /// seconds; `attempt` counts from 1.
    Ivr {
        id: i32,
        media: Option<String>,
        timeout: u32,
        attempt: u32,
    },
    Voicemail {
        mailbox: String,
        greeting: VoicemailGreeting,
    },
    Playback {
        media: String,
    },
    Hangup,
    Busy,
    Congestion,
    /// The call cannot be served as configured: the node plays an announcement, then
    /// congestion. `reason` is logged and given to the node (never dead air).
    Refuse {
        reason: String,
    },
}

/// One answer: the step, where the call continues when the step ends unanswered, and what the
/// IVR log records (the chosen destination tag) when the step came from an IVR choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub tenant: Option<String>,
    pub step: Step,
    pub next: Cont,
    pub ivr_choice: Option<String>,
    /// What the toll-fraud guards add: the admission to count, a refusal's cause, the slot.
    pub guard: guard::Guarded,
}

impl Decision {
    pub fn refuse(reason: impl Into<String>) -> Decision {
        Decision {
            tenant: None,
            step: Step::Refuse {
                reason: reason.into(),
            },
            next: Cont::default(),
            ivr_choice: None,
            guard: Default::default(),
        }
    }
}

/// A database failure while deciding (the front door answers its fallback).
pub type RouteResult<T> = Result<T, sea_orm::DbErr>;
