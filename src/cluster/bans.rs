//! Cluster-wide bans of SIP-side attackers.
//!
//! Every node reports failed attempts as AMI security events (`InvalidAccountID`,
//! `ChallengeResponseFailed`, `FailedACL`, …, each with `RemoteAddress: IPV4/UDP/<ip>/<port>`).
//! Every Switchboard process consumes every node's events, so one in-memory counter per
//! process already sees the whole cluster: no database write per event. Past
//! [`Policy::failures`] failures of one address within [`Policy::window`], the address gets a
//! `bn_bans` row (an insert that two processes racing cannot make twice), which the nodes'
//! firewalls read within a second (`GET /nodes/bans`, see the README's node section). A ban
//! ends at its `bn_until` or when an operator lifts it.

use super::events::Event;
use crate::error::{ApiError, ApiResult};
use chrono::{NaiveDateTime, Utc};
use entity::bn_bans as bn;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Asterisk's security events that mean a failed attempt (the others — `SuccessfulAuth`,
/// `ChallengeSent` — are what a working phone causes).
pub const FAILURE_EVENTS: &[&str] = &[
    "InvalidAccountID",
    "ChallengeResponseFailed",
    "InvalidPassword",
    "FailedACL",
    "RequestNotAllowed",
    "RequestNotSupported",
    "AuthMethodNotAllowed",
    "UnexpectedAddress",
    "InvalidTransport",
    "RequestBadFormat",
];

/// Most addresses counted at once: a flood from spoofed addresses cannot grow the counter
/// without bound (windows that ended are dropped first; past it, new addresses wait).
const MAX_TRACKED: usize = 100_000;

pub use crate::config::BanPolicy as Policy;

struct Window {
    start: Instant,
    count: u32,
}

/// Failures per source address, over the whole cluster (see the module comment).
pub struct Counter {
    pub policy: Policy,
    windows: Mutex<HashMap<IpAddr, Window>>,
    /// Failure events counted so far (the benchmark's absorbed rate).
    pub seen: std::sync::atomic::AtomicU64,
}

impl Counter {
    pub fn new(policy: Policy) -> Counter {
        Counter {
            policy,
            windows: Mutex::new(HashMap::new()),
            seen: Default::default(),
        }
    }

    /// One failure of `addr` at `now`: the number of failures when this one reaches the
    /// threshold (once per window), else None.
    pub fn record(&self, addr: IpAddr, now: Instant) -> Option<u32> {
        self.seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Ok(mut windows) = self.windows.lock() else {
            return None;
        };
        if windows.len() >= MAX_TRACKED && !windows.contains_key(&addr) {
            let window = self.policy.window;
            windows.retain(|_, w| now.duration_since(w.start) < window);
            if windows.len() >= MAX_TRACKED {
                return None;
            }
        }
        let w = windows.entry(addr).or_insert(Window {
            start: now,
            count: 0,
        });
        if now.duration_since(w.start) >= self.policy.window {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        w.count += 1;
        (w.count == self.policy.failures).then_some(w.count)
    }
}

/// The attacker's address of a security event: `RemoteAddress: IPV4/UDP/203.0.113.5/5060`
/// (`IPV6/UDP/2001:db8::1/5060` — the address is everything between the second slash and
/// the last one).
pub fn remote_address(value: &str) -> Option<IpAddr> {
    let mut parts = value.trim().splitn(3, '/');
    let (family, _transport, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let addr = rest.rsplit_once('/').map_or(rest, |(a, _port)| a);
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = addr.parse().ok()?;
    let family_matches = match ip {
        IpAddr::V4(_) => family.eq_ignore_ascii_case("IPV4"),
        IpAddr::V6(_) => family.eq_ignore_ascii_case("IPV6"),
    };
    family_matches.then_some(ip)
}

/// A node's security event: counted, and the address banned when it reaches the threshold.
/// AMI's own events (Switchboard's sessions to the node) are not the SIP side: not counted.
pub async fn on_security_event(counter: &Counter, e: Event) -> ApiResult<()> {
    let m = &e.message;
    if m.get("Service")
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("AMI"))
    {
        return Ok(());
    }
    let Some(addr) = m.get("RemoteAddress").and_then(remote_address) else {
        return Ok(());
    };
    if counter.policy.ignores(addr) {
        return Ok(());
    }
    let Some(events) = counter.record(addr, Instant::now()) else {
        return Ok(());
    };
    let service = m.get("Service").unwrap_or("").trim();
    let cause = format!(
        "{events} failed attempts within {} s (last: {} {} on node {})",
        counter.policy.window.as_secs(),
        clean(service, 16),
        clean(m.event().unwrap_or(""), 32),
        e.node
    );
    ban(
        &e.db.conn,
        addr,
        &cause,
        events,
        "auto",
        counter.policy.ban_for,
    )
    .await?;
    Ok(())
}

/// What a node or a client wrote, fit for a cause: printable ASCII, bounded.
fn clean(s: &str, max: usize) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(max)
        .collect()
}

/// An address as an operator writes it (`203.0.113.5`, `2001:db8::1`): canonical, or an
/// error naming `param`.
pub fn parse_address(param: &str, value: &str) -> ApiResult<IpAddr> {
    value.trim().parse::<IpAddr>().map_err(|_| {
        ApiError::invalid(format!(
            "parameter '{param}' must be an IPv4 or IPv6 address, not '{}'",
            clean(value, 64)
        ))
    })
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Ban `addr` on every node, for `ban_for` (None: until lifted). An address already banned
/// keeps its ban (false); an ended ban is replaced. Logged with its cause.
pub async fn ban<C: ConnectionTrait>(
    conn: &C,
    addr: IpAddr,
    cause: &str,
    events: u32,
    by: &str,
    ban_for: Option<Duration>,
) -> ApiResult<bool> {
    let address = addr.to_string();
    let now = now();
    purge_ended(conn).await?;
    let until = ban_for
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| now + d);
    // A plain insert: of two processes banning at once, the second meets the unique address
    // (an upsert's affected-row count does not tell the two apart on MySQL).
    let inserted = match bn::Entity::insert(bn::ActiveModel {
        bn_address: Set(address.clone()),
        bn_cause: Set(clean(cause, 255)),
        bn_events: Set(i32::try_from(events).unwrap_or(i32::MAX)),
        bn_by: Set(clean(by, 40)),
        bn_created: Set(now),
        bn_until: Set(until),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await
    {
        Ok(_) => true,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => false,
        Err(e) => return Err(e.into()),
    };
    if inserted {
        tracing::warn!(
            address = %address,
            cause = %clean(cause, 255),
            by = %clean(by, 40),
            until = ?until,
            "address banned on every node"
        );
    }
    Ok(inserted)
}

/// Remove the bans that ended: done by the writes (ban, lift), so the reads stay reads.
async fn purge_ended<C: ConnectionTrait>(conn: &C) -> ApiResult<()> {
    bn::Entity::delete_many()
        .filter(bn::Column::BnUntil.lte(now()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Lift the ban of `addr` (false: it had none).
pub async fn lift<C: ConnectionTrait>(conn: &C, addr: IpAddr, by: &str) -> ApiResult<bool> {
    purge_ended(conn).await?;
    let lifted = bn::Entity::delete_many()
        .filter(bn::Column::BnAddress.eq(addr.to_string()))
        .exec(conn)
        .await?
        .rows_affected
        > 0;
    if lifted {
        tracing::warn!(address = %addr, by = %clean(by, 40), "ban lifted");
    }
    Ok(lifted)
}

/// The bans in force, oldest first (a read: the nodes poll it every second).
pub async fn active<C: ConnectionTrait>(conn: &C) -> ApiResult<Vec<bn::Model>> {
    use sea_orm::Condition;
    Ok(bn::Entity::find()
        .filter(
            Condition::any()
                .add(bn::Column::BnUntil.is_null())
                .add(bn::Column::BnUntil.gt(now())),
        )
        .order_by_asc(bn::Column::BnCreated)
        .order_by_asc(bn::Column::BnId)
        .all(conn)
        .await?)
}

/// What a node's firewall reads: one ban per line, `<address> <until, Unix seconds; 0: until
/// lifted>` (absolute, so the list changes only when the bans do), the format
/// `deploy/asterisk/switchboard-bans` feeds to nftables.
pub fn node_list(bans: &[bn::Model]) -> String {
    let mut out = String::new();
    for b in bans {
        let until = b.bn_until.map_or(0, |u| u.and_utc().timestamp());
        out.push_str(&format!("{} {until}\n", b.bn_address));
    }
    out
}

/// Count the nodes' failure events from now on.
pub fn subscribe(router: &super::events::Router, policy: Policy) -> std::sync::Arc<Counter> {
    let counter = std::sync::Arc::new(Counter::new(policy));
    for name in FAILURE_EVENTS {
        let counter = counter.clone();
        router.on(name, move |e| {
            let counter = counter.clone();
            Box::pin(async move { on_security_event(&counter, e).await })
        });
    }
    counter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_addresses_as_asterisk_writes_them() {
        assert_eq!(
            remote_address("IPV4/UDP/203.0.113.5/5060"),
            Some("203.0.113.5".parse().unwrap())
        );
        assert_eq!(
            remote_address("IPV6/UDP/2001:db8::1/5060"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            remote_address("IPV6/TCP/[2001:db8::2]/5061"),
            Some("2001:db8::2".parse().unwrap())
        );
        assert_eq!(remote_address("IPV4/UDP/2001:db8::1/5060"), None);
        assert_eq!(remote_address("garbage"), None);
        assert_eq!(remote_address("IPV4/UDP/999.1.1.1/5060"), None);
    }

    #[test]
    fn the_threshold_is_reached_once_per_window() {
        let c = Counter::new(Policy {
            failures: 3,
            window: Duration::from_secs(10),
            ..Policy::default()
        });
        let a: IpAddr = "203.0.113.5".parse().unwrap();
        let b: IpAddr = "198.51.100.7".parse().unwrap();
        let t = Instant::now();
        assert_eq!(c.record(a, t), None);
        assert_eq!(c.record(b, t), None);
        assert_eq!(c.record(a, t), None);
        assert_eq!(c.record(a, t), Some(3));
        assert_eq!(c.record(a, t), None, "once per window");
        // A new window counts from zero.
        let later = t + Duration::from_secs(11);
        assert_eq!(c.record(a, later), None);
        assert_eq!(c.record(b, later), None, "b's old failure expired");
    }

    #[test]
    fn loopback_and_listed_addresses_are_never_banned() {
        let p = Policy {
            ignore: vec![crate::config::parse_net("192.0.2.0/24").unwrap()],
            ..Policy::default()
        };
        assert!(p.ignores("127.0.0.1".parse().unwrap()));
        assert!(p.ignores("::1".parse().unwrap()));
        assert!(p.ignores("192.0.2.77".parse().unwrap()));
        assert!(!p.ignores("203.0.113.5".parse().unwrap()));
    }
}
