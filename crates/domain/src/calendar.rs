//! Dates and the school year, in Beijing time (UTC+8, no daylight saving),
//! for every module: local days and their civil dates, parsing and showing
//! dates and times, the school year and its terms, the city's calendar of
//! holidays and make-up working days, and spans of business days.

use crate::{Error, ErrorCode, Result};

/// A span of time from configuration: `90s`, `30m`, `4h`, `3d` (calendar
/// days) or `2bd` (business days, by the calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Seconds(i64),
    BusinessDays(i64),
}

impl Span {
    pub fn parse(raw: &str) -> Result<Span> {
        let t = raw.trim();
        let bad = || {
            Error::with_message(
                ErrorCode::ValidationFailed,
                format!("时限“{t}”格式不正确，应为如 90s、30m、4h、3d、2bd"),
            )
        };
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (num, unit) = t.split_at(split);
        let n: i64 = num.parse().map_err(|_| bad())?;
        if n <= 0 || n > 100_000 {
            return Err(bad());
        }
        match unit {
            "s" => Ok(Span::Seconds(n)),
            "m" => Ok(Span::Seconds(n * 60)),
            "h" => Ok(Span::Seconds(n * 3600)),
            "d" => Ok(Span::Seconds(n * 86_400)),
            "bd" => Ok(Span::BusinessDays(n)),
            _ => Err(bad()),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Span::BusinessDays(n) => format!("{n}个工作日"),
            Span::Seconds(s) if s % 86_400 == 0 => format!("{}天", s / 86_400),
            Span::Seconds(s) if s % 3600 == 0 => format!("{}小时", s / 3600),
            Span::Seconds(s) if s % 60 == 0 => format!("{}分钟", s / 60),
            Span::Seconds(s) => format!("{s}秒"),
        }
    }
}

/// Beijing time has no daylight saving: a local day is a fixed 8 hours off UTC.
pub const LOCAL_OFFSET_S: i64 = 8 * 3600;
pub const DAY_S: i64 = 86_400;

/// A local date as days since 1970-01-01 (Beijing time).
pub fn local_day(ts: i64) -> i64 {
    (ts + LOCAL_OFFSET_S).div_euclid(DAY_S)
}

/// The first second of a local day (days since 1970-01-01).
pub fn day_start(day: i64) -> i64 {
    day * DAY_S - LOCAL_OFFSET_S
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `2026-10-01` into a day number.
pub fn parse_date(raw: &str) -> Option<i64> {
    let mut it = raw.trim().split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let day = days_from_civil(y, m, d);
    (civil_from_days(day) == (y, m, d)).then_some(day)
}

pub fn format_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// How a day differs from the usual week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A public holiday on what would be a working day.
    Holiday,
    /// A make-up working day (调休) on what would be a weekend.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Workday => "workday",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "holiday" => Some(Self::Holiday),
            "workday" => Some(Self::Workday),
            _ => None,
        }
    }
}

/// Working days: Monday to Friday, less holidays, plus make-up days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    exceptions: std::collections::HashMap<i64, DayKind>,
}

impl Calendar {
    pub fn new(days: impl IntoIterator<Item = (i64, DayKind)>) -> Self {
        Self {
            exceptions: days.into_iter().collect(),
        }
    }

    pub fn is_business_day(&self, day: i64) -> bool {
        match self.exceptions.get(&day) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            // 1970-01-01 was a Thursday: day 0 → weekday 3 (Monday = 0).
            None => (day + 3).rem_euclid(7) < 5,
        }
    }

    /// When a span that starts at `from` ends. Business days count whole
    /// working days after the day it starts: Friday 15:00 + 1bd is the next
    /// working day at 15:00; a start on a day off counts from the start of
    /// the next working day.
    pub fn add(&self, from: i64, span: Span) -> i64 {
        match span {
            Span::Seconds(s) => from + s,
            Span::BusinessDays(n) => {
                let mut day = local_day(from);
                let mut time_of_day = from + LOCAL_OFFSET_S - day * DAY_S;
                if !self.is_business_day(day) {
                    day += 1;
                    while !self.is_business_day(day) {
                        day += 1;
                    }
                    day -= 1; // counting starts on that working day, at 00:00
                    time_of_day = DAY_S;
                }
                let mut left = n;
                // A year of holidays cannot stop the walk: bound it anyway.
                let mut guard = 0;
                while left > 0 && guard < 3660 {
                    day += 1;
                    guard += 1;
                    if self.is_business_day(day) {
                        left -= 1;
                    }
                }
                day * DAY_S + time_of_day - LOCAL_OFFSET_S
            }
        }
    }
}

/// A Unix time in Beijing time, `2026-10-12 19:30:05`.
pub fn format_local(ts: i64) -> String {
    let Some(local) = ts.checked_add(LOCAL_OFFSET_S) else {
        return ts.to_string();
    };
    let day = local.div_euclid(DAY_S);
    let s = local - day * DAY_S;
    format!(
        "{} {:02}:{:02}:{:02}",
        format_date(day),
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// A Unix time in Beijing time to the minute, `2026-10-12 19:30`.
pub fn format_local_minute(ts: i64) -> String {
    let mut full = format_local(ts);
    if full.len() == 19 {
        full.truncate(16);
    }
    full
}

/// Midnight (Beijing time) of a date written `YYYY-MM-DD`, in Unix seconds.
pub fn parse_local_date(raw: &str) -> Option<i64> {
    parse_date(raw).map(day_start)
}

/// A Beijing time written `YYYY-MM-DDTHH:MM` (as a browser's
/// datetime-local field sends it), `YYYY-MM-DD HH:MM`, or either with
/// seconds, in Unix seconds.
pub fn parse_local_datetime(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let (date, time) = raw.split_once(['T', ' '])?;
    let day = parse_date(date)?;
    let mut parts = time.split(':');
    let mut next = |max: i64| -> Option<Option<i64>> {
        match parts.next() {
            None => Some(None),
            Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                let v: i64 = p.parse().ok()?;
                (v <= max).then_some(Some(v))
            }
            Some(_) => None,
        }
    };
    let h = next(23)??;
    let m = next(59)??;
    let s = next(59)?.unwrap_or(0);
    if next(0)?.is_some() {
        return None;
    }
    Some(day * DAY_S + h * 3600 + m * 60 + s - LOCAL_OFFSET_S)
}

/// The school year a civil date falls in, named by the year it starts: a
/// school year starts on 1 September.
pub fn school_year_of(year: i64, month: u32) -> i64 {
    if month >= 9 { year } else { year - 1 }
}

/// The school year of a Unix time (Beijing time).
pub fn school_year(ts: i64) -> i64 {
    let (y, m, _) = civil_from_days(local_day(ts));
    school_year_of(y, m)
}

/// The two terms of a school year: the first from 1 September, the second
/// from 1 February.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    First,
    Second,
}

impl Term {
    /// The term a Unix time falls in, with its school year.
    pub fn of(ts: i64) -> (i64, Term) {
        let (y, m, _) = civil_from_days(local_day(ts));
        let term = if (2..9).contains(&m) {
            Term::Second
        } else {
            Term::First
        };
        (school_year_of(y, m), term)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Term::First => "first",
            Term::Second => "second",
        }
    }

    pub fn parse(s: &str) -> Option<Term> {
        match s {
            "first" => Some(Term::First),
            "second" => Some(Term::Second),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Term::First => "第一学期",
            Term::Second => "第二学期",
        }
    }

    /// The first local day of this term in a school year.
    pub fn first_day(self, school_year: i64) -> i64 {
        match self {
            Term::First => days_from_civil(school_year, 9, 1),
            Term::Second => days_from_civil(school_year + 1, 2, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> i64 {
        parse_date(s).expect("date")
    }
    /// A local time as a Unix timestamp.
    fn at(date: &str, h: i64, m: i64) -> i64 {
        day(date) * DAY_S + h * 3600 + m * 60 - LOCAL_OFFSET_S
    }
    fn show(ts: i64) -> String {
        let d = local_day(ts);
        let rest = ts + LOCAL_OFFSET_S - d * DAY_S;
        format!(
            "{} {:02}:{:02}",
            format_date(d),
            rest / 3600,
            rest % 3600 / 60
        )
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(format_date(day("2026-10-01")), "2026-10-01");
        assert_eq!(format_date(day("2024-02-29")), "2024-02-29");
        assert_eq!(parse_date("2025-02-29"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("2026/10/01"), None);
        assert_eq!(day("1970-01-01"), 0);
    }

    #[test]
    fn weekends_are_days_off() {
        let c = Calendar::default();
        // 2026-11-27 is a Friday.
        assert!(c.is_business_day(day("2026-11-27")));
        assert!(!c.is_business_day(day("2026-11-28")));
        assert!(!c.is_business_day(day("2026-11-29")));
        assert!(c.is_business_day(day("2026-11-30")));
    }

    #[test]
    fn business_days_skip_weekends() {
        let c = Calendar::default();
        let fri = at("2026-11-27", 15, 0);
        assert_eq!(show(c.add(fri, Span::BusinessDays(1))), "2026-11-30 15:00");
        assert_eq!(show(c.add(fri, Span::BusinessDays(5))), "2026-12-04 15:00");
        let wed = at("2026-11-25", 9, 30);
        assert_eq!(show(c.add(wed, Span::BusinessDays(2))), "2026-11-27 09:30");
        // Sent on Saturday: counting starts Monday morning, due end of Monday.
        let sat = at("2026-11-28", 22, 0);
        assert_eq!(show(c.add(sat, Span::BusinessDays(1))), "2026-12-01 00:00");
        // Late at night in Beijing is still the same local day (UTC is a day behind).
        let late = at("2026-11-26", 23, 59);
        assert_eq!(show(c.add(late, Span::BusinessDays(1))), "2026-11-27 23:59");
    }

    #[test]
    fn holidays_and_make_up_days() {
        // National Day 2026: 1-7 October off; Sunday 27 September and
        // Saturday 10 October are make-up working days.
        let mut days: Vec<(i64, DayKind)> = (1..=7)
            .map(|d| (day(&format!("2026-10-0{d}")), DayKind::Holiday))
            .collect();
        days.push((day("2026-09-27"), DayKind::Workday));
        days.push((day("2026-10-10"), DayKind::Workday));
        let c = Calendar::new(days);
        // Friday 25 September + 1bd → the make-up Sunday.
        let fri = at("2026-09-25", 10, 0);
        assert_eq!(show(c.add(fri, Span::BusinessDays(1))), "2026-09-27 10:00");
        // Wednesday 30 September + 2bd → Thursday 8 and Friday 9 October.
        let wed = at("2026-09-30", 16, 0);
        assert_eq!(show(c.add(wed, Span::BusinessDays(1))), "2026-10-08 16:00");
        assert_eq!(show(c.add(wed, Span::BusinessDays(2))), "2026-10-09 16:00");
        // … and the make-up Saturday counts as the third.
        assert_eq!(show(c.add(wed, Span::BusinessDays(3))), "2026-10-10 16:00");
        // Sent during the holiday: counting starts on 8 October.
        let hol = at("2026-10-03", 11, 0);
        assert_eq!(show(c.add(hol, Span::BusinessDays(1))), "2026-10-09 00:00");
    }

    #[test]
    fn spans_parse_down_to_seconds() {
        assert_eq!(Span::parse("90s"), Ok(Span::Seconds(90)));
        assert_eq!(Span::parse("30m"), Ok(Span::Seconds(1800)));
        assert_eq!(Span::parse("4h"), Ok(Span::Seconds(14_400)));
        assert_eq!(Span::parse("3d"), Ok(Span::Seconds(259_200)));
        assert_eq!(Span::parse("2bd"), Ok(Span::BusinessDays(2)));
        for bad in ["", "bd", "0s", "-1h", "4 hours", "1w", "2.5h"] {
            assert!(Span::parse(bad).is_err(), "{bad}");
        }
        let c = Calendar::default();
        assert_eq!(c.add(1000, Span::parse("90s").expect("span")), 1090);
        assert_eq!(Span::parse("5bd").expect("span").describe(), "5个工作日");
    }

    #[test]
    fn local_times_show_and_parse_in_beijing_time() {
        let t = parse_local_datetime("2026-10-12T19:30").expect("parses");
        assert_eq!(format_local_minute(t), "2026-10-12 19:30");
        assert_eq!(format_local(t + 5), "2026-10-12 19:30:05");
        assert_eq!(parse_local_datetime("2026-10-12 19:30"), Some(t));
        assert_eq!(parse_local_datetime("2026-10-12T19:30:05"), Some(t + 5));
        for bad in [
            "2026-13-12T19:30",
            "明天",
            "2026-10-12T24:00",
            "2026-10-12T19:3",
            "2026-10-12",
        ] {
            assert_eq!(parse_local_datetime(bad), None, "{bad}");
        }
        // Midnight in Beijing is 16:00 the day before in UTC.
        assert_eq!(parse_local_date("1970-01-02"), Some(DAY_S - LOCAL_OFFSET_S));
        assert_eq!(format_local(0), "1970-01-01 08:00:00");
        assert_eq!(format_local(-1), "1970-01-01 07:59:59");
    }

    #[test]
    fn school_years_and_terms_turn_in_september_and_february() {
        let at = |d: &str| parse_local_date(d).expect("date");
        assert_eq!(school_year(at("2026-08-31")), 2025);
        assert_eq!(school_year(at("2026-09-01")), 2026);
        // 31 August 23:59 in Beijing is still the old year, though UTC is on the 31st too.
        assert_eq!(school_year(at("2026-09-01") - 60), 2025);
        assert_eq!(Term::of(at("2026-09-01")), (2026, Term::First));
        assert_eq!(Term::of(at("2027-01-31")), (2026, Term::First));
        assert_eq!(Term::of(at("2027-02-01")), (2026, Term::Second));
        assert_eq!(Term::of(at("2027-08-31")), (2026, Term::Second));
        assert_eq!(format_date(Term::Second.first_day(2026)), "2027-02-01");
    }
}
