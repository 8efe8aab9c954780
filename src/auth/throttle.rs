//! Failed key attempts per client address. Only the expensive path (a key not in the cache)
//! consults it, so a working key is never slowed down by someone else failing from its address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
const MAX_FAILURES: u32 = 20;
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Throttle {
    pub fn blocked(&self, ip: IpAddr) -> bool {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        matches!(map.get(&ip), Some((n, since)) if *n >= MAX_FAILURES && since.elapsed() < WINDOW)
    }

    pub fn fail(&self, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}
