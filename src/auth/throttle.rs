//! Failed key attempts per client address. Only the expensive path (a key not in the cache)
//! consults it, so a working key is never slowed down by someone else failing from its address.
//!
//! An attempt counts as a failure from the moment it starts ([`Throttle::attempt`]) until it
//! is settled as a success: concurrent guesses cannot all slip in before the first one fails.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
pub const MAX_FAILURES: u32 = 20;
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// An attempt in progress: a failure unless [`Attempt::succeeded`] is called.
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    ip: IpAddr,
}

impl Attempt<'_> {
    /// The attempt worked: it no longer counts against its address.
    pub fn succeeded(self) {
        let mut map = self.throttle.lock();
        if let Some(entry) = map.get_mut(&self.ip) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }
}

impl Throttle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn blocked(&self, ip: IpAddr) -> bool {
        let map = self.lock();
        matches!(map.get(&ip), Some((n, since)) if *n >= MAX_FAILURES && since.elapsed() < WINDOW)
    }

    /// Start an attempt from `ip`, counted now; `None` if the address is blocked.
    pub fn attempt(&self, ip: IpAddr) -> Option<Attempt<'_>> {
        let mut map = self.lock();
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        if entry.0 >= MAX_FAILURES {
            return None;
        }
        entry.0 += 1;
        Some(Attempt { throttle: self, ip })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_count_before_they_finish() {
        let t = Throttle::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        // All in flight at once: only MAX_FAILURES get to do the work.
        let started: Vec<_> = (0..64).filter_map(|_| t.attempt(ip)).collect();
        assert_eq!(started.len(), MAX_FAILURES as usize);
        assert!(t.blocked(ip));
        // Successes give their slot back; failures keep it.
        let mut started = started.into_iter();
        started.next().unwrap().succeeded();
        assert!(!t.blocked(ip));
        drop(started);
        assert!(t.attempt(ip).is_some());
        assert!(t.attempt(ip).is_none());
        assert!(t.attempt("192.0.2.2".parse().unwrap()).is_some());
    }
}
