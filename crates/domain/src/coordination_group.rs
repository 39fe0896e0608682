//! The coordination group (协同育人工作协调小组, task 1 of the plan) of the
//! city and of each district: its lead and member departments, its joint
//! meetings (联席会议, at least one every `Plan::meeting_every_months`), and
//! the follow-up items each meeting decides, with an owner unit and a due
//! date.

use crate::calendar::{civil_from_days, days_from_civil, format_date, parse_date};
use crate::{Error, Result};

/// A follow-up item's state.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Open,
    Done,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::Done => "done",
        }
    }
    pub fn parse(s: &str) -> Result<ItemStatus> {
        match s {
            "open" => Ok(ItemStatus::Open),
            "done" => Ok(ItemStatus::Done),
            _ => Err(Error::internal()),
        }
    }
}

/// A date as typed (`2026-09-15`), checked and written back the same way.
pub fn checked_date(field: &'static str, raw: &str) -> Result<String> {
    parse_date(raw)
        .map(format_date)
        .ok_or_else(|| Error::invalid(field, "请填写日期，如 2026-09-15"))
}

/// The day `months` months after `day` (the month's last day when shorter).
pub fn add_months(day: i64, months: i64) -> i64 {
    let (y, m, d) = civil_from_days(day);
    let total = y * 12 + i64::from(m) - 1 + months;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let mut nd = d;
    loop {
        let candidate = days_from_civil(ny, nm, nd);
        if civil_from_days(candidate) == (ny, nm, nd) {
            return candidate;
        }
        nd -= 1;
    }
}

/// When the next joint meeting is due: `every` months after the last one;
/// with none held, `every` months after the group was set up.
pub fn next_meeting_due(last_or_start: i64, every_months: i64) -> i64 {
    add_months(last_or_start, every_months)
}

/// An item is overdue when still open after its due day.
pub fn is_overdue(status: ItemStatus, due_on: &str, today: &str) -> bool {
    status == ItemStatus::Open && due_on < today
}

/// An office phone as kept: digits with an optional area code and
/// extension (`0532-85912345`, `85912345`, `12345`), or nothing.
pub fn checked_office_phone(raw: &str) -> Result<String> {
    let s = raw.trim();
    let ok = s.is_empty()
        || (s.len() <= 20
            && s.chars().all(|c| c.is_ascii_digit() || c == '-')
            && s.chars().filter(char::is_ascii_digit).count() >= 5);
    if !ok {
        return Err(Error::invalid("phone", "请填写办公电话，如 0532-85912345"));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_added_as_the_calendar_has_them() {
        let d = |s: &str| parse_date(s).expect("ok");
        assert_eq!(format_date(add_months(d("2026-08-31"), 6)), "2027-02-28");
        assert_eq!(format_date(add_months(d("2026-01-15"), 6)), "2026-07-15");
        assert_eq!(format_date(add_months(d("2026-12-01"), 1)), "2027-01-01");
    }

    #[test]
    fn an_open_item_past_its_day_is_overdue() {
        assert!(is_overdue(ItemStatus::Open, "2026-11-30", "2026-12-01"));
        assert!(!is_overdue(ItemStatus::Open, "2026-12-01", "2026-12-01"));
        assert!(!is_overdue(ItemStatus::Done, "2026-11-30", "2026-12-01"));
    }

    #[test]
    fn office_phones_and_dates_are_checked() {
        assert_eq!(
            checked_office_phone(" 0532-85912345 ").expect("ok"),
            "0532-85912345"
        );
        assert!(checked_office_phone("call me").is_err());
        assert_eq!(
            checked_date("held_on", "2026-9-1").expect("ok"),
            "2026-09-01"
        );
        assert!(checked_date("held_on", "yesterday").is_err());
    }
}
