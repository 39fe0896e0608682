//! Per-instance throttling of what only reads: the public status pages.
//! Everything that writes is counted in the database instead, so that all
//! instances behind a load balancer share one count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most `limit` requests per address in each window.
#[derive(Clone)]
pub struct Throttle {
    limit: u32,
    window: Duration,
    seen: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(60, Duration::from_secs(60))
    }
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            seen: Arc::default(),
        }
    }

    /// Counts a request; false when the address is over its limit.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let Ok(mut m) = self.seen.lock() else {
            return true;
        };
        if m.len() > 100_000 {
            let window = self.window;
            m.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let e = m.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(e.0) >= self.window {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= self.limit
    }
}

/// Limits of the public status pages, which anyone may look up without an
/// account. Writes (appeals, follow-ups, ratings, sign-ins, sign-ups and
/// one-time codes) count against limits held in the database and shared
/// by every instance (`tongyu_service::throttle`); a look-up only reads, so
/// it is counted here, per instance.
#[derive(Clone)]
pub struct PublicLimits {
    /// Status pages looked up from one address (tracking codes cannot be
    /// enumerated: 80 random bits, and this limit).
    pub lookup_per_ip: Throttle,
}

impl Default for PublicLimits {
    fn default() -> Self {
        Self {
            lookup_per_ip: Throttle::new(600, Duration::from_secs(60)),
        }
    }
}

impl PublicLimits {
    /// No limits (for the benchmark, which sends from one address).
    pub fn unlimited() -> Self {
        Self {
            lookup_per_ip: Throttle::new(u32::MAX, Duration::from_secs(1)),
        }
    }
}
