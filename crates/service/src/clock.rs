//! Time, in Unix seconds. Tests use a clock they can move.

use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct TestClock(AtomicI64);

impl TestClock {
    pub fn new(start: i64) -> Self {
        Self(AtomicI64::new(start))
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A Unix time shown in Beijing time (UTC+8, no daylight saving).
pub fn format_local(ts: i64) -> String {
    use chrono::{FixedOffset, TimeZone};
    let Some(tz) = FixedOffset::east_opt(8 * 3600) else {
        return ts.to_string();
    };
    match tz.timestamp_opt(ts, 0) {
        chrono::LocalResult::Single(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => ts.to_string(),
    }
}

/// The current school year (starting 1 September, Beijing time).
pub fn current_school_year(ts: i64) -> i64 {
    use chrono::{Datelike, FixedOffset, TimeZone};
    let Some(tz) = FixedOffset::east_opt(8 * 3600) else {
        return 2026;
    };
    match tz.timestamp_opt(ts, 0) {
        chrono::LocalResult::Single(t) => tongyu_domain::org::school_year_of(t.year(), t.month()),
        _ => 2026,
    }
}

/// Midnight (Beijing time) of a date written `YYYY-MM-DD`, in Unix seconds.
pub fn parse_local_date(s: &str) -> Option<i64> {
    use chrono::{FixedOffset, NaiveDate, TimeZone};
    let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let tz = FixedOffset::east_opt(8 * 3600)?;
    tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.timestamp())
}
