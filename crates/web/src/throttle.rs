//! Per-address throttling of the doors an attacker knocks on (logins and
//! sign-ups). Counted per instance, in memory: lockouts of accounts live in
//! the database and hold across instances; this only slows down one source.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tongyu_domain::{Error, ErrorCode};

use crate::AppState;
use crate::error::{ApiError, PageError};
use crate::extract::RequestMeta;

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

/// Limits of the public appeal channel, which anyone may reach without an
/// account. Mobile carriers put many phones behind one address, so the
/// per-address limits leave room for a busy school gate.
#[derive(Clone)]
pub struct PublicLimits {
    /// Appeals and follow-ups sent from one address.
    pub submit_per_ip: Throttle,
    /// Appeals made through one gate code.
    pub submit_per_code: Throttle,
    /// Status pages looked up from one address (tracking codes cannot be
    /// enumerated: 80 random bits, and this limit).
    pub lookup_per_ip: Throttle,
}

impl Default for PublicLimits {
    fn default() -> Self {
        Self {
            submit_per_ip: Throttle::new(60, Duration::from_secs(600)),
            submit_per_code: Throttle::new(300, Duration::from_secs(600)),
            lookup_per_ip: Throttle::new(600, Duration::from_secs(60)),
        }
    }
}

impl PublicLimits {
    /// No limits (for the benchmark, which sends from one address).
    pub fn unlimited() -> Self {
        let none = || Throttle::new(u32::MAX, Duration::from_secs(1));
        Self {
            submit_per_ip: none(),
            submit_per_code: none(),
            lookup_per_ip: none(),
        }
    }
}

/// Middleware for the throttled POST routes.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != axum::http::Method::POST {
        return next.run(req).await;
    }
    let ip = req
        .extensions()
        .get::<RequestMeta>()
        .map(|m| m.ip.clone())
        .unwrap_or_default();
    if state.throttle.allow(&ip) {
        return next.run(req).await;
    }
    let e = Error::new(ErrorCode::RateLimited);
    // Inside a nested router the path has lost its prefix; the original has it.
    let path = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or(req.uri().path(), |u| u.0.path());
    if path.starts_with("/api/") {
        ApiError(e).into_response()
    } else {
        PageError(e).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_address_and_window() {
        let t = Throttle::new(2, Duration::from_secs(60));
        assert!(t.allow("a") && t.allow("a"));
        assert!(!t.allow("a"));
        assert!(t.allow("b"));
        let t = Throttle::new(1, Duration::from_millis(0));
        assert!(t.allow("a") && t.allow("a"), "a new window each time");
    }
}
