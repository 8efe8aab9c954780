//! The dialplan ↔ service contract: which requests the dialplan makes and which channel
//! variables answer them. `deploy/asterisk/extensions.conf` speaks version 1.
//!
//! Request path: `[<secret>/]v<version>/<request>`; arguments by request:
//!
//! | request | arguments |
//! |---|---|
//! | `inbound` | DID as presented (`${EXTEN}` in `fromoutside`), caller number |
//! | `internal` | the number dialled (the caller is the phone of `agi_channel`) |
//! | `next` | `${SB_NEXT}`, how the step ended (`${DIALSTATUS}`, `${QUEUESTATUS}`, …) |
//! | `ivr` | IVR id, attempt, input (a key, `t` or `i`), `${SB_NEXT}` |
//! | `hangup` | `${SB_SLOT}`: the outbound call holding that slot ended (or its dial did) |
//!
//! Every answer sets `SB_CONTRACT` (the version answered), `SB_ACTION` and `SB_NEXT`, plus:
//!
//! | SB_ACTION | variables |
//! |---|---|
//! | `DIAL` | `SB_DIALS` (n), `SB_DIAL_1`…`SB_DIAL_n`, `SB_TIMEOUT`, `SB_FAILOVER` (`any`: try the next target after any unanswered outcome; `unavailable`: only after CHANUNAVAIL/CONGESTION) |
//! | `QUEUE` | `SB_QUEUE`, `SB_TIMEOUT` |
//! | `IVR` | `SB_IVR`, `SB_MEDIA` (may be empty), `SB_TIMEOUT`, `SB_ATTEMPT` |
//! | `VOICEMAIL` | `SB_MAILBOX` (`box@context`), `SB_VMOPTS` (`u`, `b` or empty) |
//! | `PLAYBACK` | `SB_MEDIA` |
//! | `HANGUP`, `BUSY`, `CONGESTION` | – |
//! | `REFUSE` | `SB_REASON`: the call cannot be served as configured (announcement, then congestion); `SB_CAUSE` when a toll-fraud guard refused it (a fixed code such as `CLASS_PREMIUM`, `LIMIT_TENANT_PER_HOUR`, for the CDR) |
//! | `FALLBACK` | `SB_REASON`: the service could not decide in time (database slow or down) |
//!
//! `SB_SLOT` (with a `DIAL` of an outbound call): the call slot it holds; the dialplan hands it
//! back with `hangup` when the dial ends unanswered or the call hangs up.
//!
//! `SB_IVR_CHOICE` (after an `ivr` request) is the destination the input led to, for the
//! `UserEvent(SwitchboardIvr,…)` the dialplan sends.

use crate::routing::{Decision, Failover, Step, VoicemailGreeting};

/// The contract versions this service answers.
pub const SUPPORTED: &[u32] = &[1];
/// The version the shipped dialplan speaks.
pub const CURRENT: u32 = 1;

/// The variables answering `decision`, in the order they are set.
pub fn variables(decision: &Decision, version: u32) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![("SB_CONTRACT".into(), version.to_string())];
    let mut set = |k: &str, val: String| v.push((k.to_string(), val));
    let action = match &decision.step {
        Step::Dial {
            targets,
            timeout,
            failover,
        } => {
            set("SB_DIALS", targets.len().to_string());
            for (i, t) in targets.iter().enumerate() {
                set(&format!("SB_DIAL_{}", i + 1), t.clone());
            }
            set("SB_TIMEOUT", timeout.to_string());
            let f = match failover {
                Failover::Any => "any",
                Failover::Unavailable => "unavailable",
            };
            set("SB_FAILOVER", f.into());
            "DIAL"
        }
        Step::Queue { name, timeout } => {
            set("SB_QUEUE", name.clone());
            set("SB_TIMEOUT", timeout.to_string());
            "QUEUE"
        }
        Step::Ivr {
            id,
            media,
            timeout,
            attempt,
        } => {
            set("SB_IVR", id.to_string());
            set("SB_MEDIA", media.clone().unwrap_or_default());
            set("SB_TIMEOUT", timeout.to_string());
            set("SB_ATTEMPT", attempt.to_string());
            "IVR"
        }
        Step::Voicemail { mailbox, greeting } => {
            set("SB_MAILBOX", mailbox.clone());
            let opts = match greeting {
                VoicemailGreeting::Unavailable => "u",
                VoicemailGreeting::Busy => "b",
                VoicemailGreeting::None => "",
            };
            set("SB_VMOPTS", opts.into());
            "VOICEMAIL"
        }
        Step::Playback { media } => {
            set("SB_MEDIA", media.clone());
            "PLAYBACK"
        }
        Step::Hangup => "HANGUP",
        Step::Busy => "BUSY",
        Step::Congestion => "CONGESTION",
        Step::Refuse { reason } => {
            set("SB_REASON", reason.clone());
            if let Some(cause) = decision.guard.cause() {
                set("SB_CAUSE", cause.code().into());
            }
            "REFUSE"
        }
    };
    if let Some(slot) = decision.guard.slot {
        set("SB_SLOT", slot.to_string());
    }
    if let Some(choice) = &decision.ivr_choice {
        set("SB_IVR_CHOICE", choice.clone());
    }
    set("SB_NEXT", decision.next.to_string());
    set("SB_ACTION", action.into());
    v
}

/// What a node gets when no decision could be made in time.
pub fn fallback(reason: &str, version: u32) -> Vec<(String, String)> {
    vec![
        ("SB_CONTRACT".into(), version.to_string()),
        ("SB_REASON".into(), reason.to_string()),
        ("SB_NEXT".into(), String::new()),
        ("SB_ACTION".into(), "FALLBACK".into()),
    ]
}
