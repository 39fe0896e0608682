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

/// A Unix time shown in Beijing time to the minute.
pub fn format_local_minute(ts: i64) -> String {
    let full = format_local(ts);
    full.get(..16).map_or(full.clone(), str::to_owned)
}

/// A Beijing time written `YYYY-MM-DDTHH:MM` (as a browser's
/// datetime-local field sends it) or `YYYY-MM-DD HH:MM`, in Unix seconds.
pub fn parse_local_datetime(s: &str) -> Option<i64> {
    use chrono::{FixedOffset, NaiveDateTime, TimeZone};
    let s = s.trim().replace(' ', "T");
    let t = NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    FixedOffset::east_opt(8 * 3600)?
        .from_local_datetime(&t)
        .single()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_datetimes_round_trip() {
        let t = parse_local_datetime("2026-10-12T19:30").expect("parses");
        assert_eq!(format_local_minute(t), "2026-10-12 19:30");
        assert_eq!(parse_local_datetime("2026-10-12 19:30"), Some(t));
        assert_eq!(parse_local_datetime("2026-13-12T19:30"), None);
        assert_eq!(parse_local_datetime("明天"), None);
    }
}
