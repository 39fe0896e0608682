//! Parent committees (家长委员会, tasks 21 and 22 of the plan) at school,
//! grade and class level: members are parents of the unit, one chair
//! (家委会主任), a term of one school year, elections recorded, and the
//! committee's work records.

use crate::calendar::{format_date, parse_date};
use crate::org::UnitKind;
use crate::{Error, Result};

/// A member's place on the committee.
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
pub enum Seat {
    /// 主任: one per committee.
    Chair,
    /// 副主任.
    ViceChair,
    /// 委员.
    Member,
}

impl Seat {
    pub const ALL: [Seat; 3] = [Seat::Chair, Seat::ViceChair, Seat::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Seat::Chair => "chair",
            Seat::ViceChair => "vice_chair",
            Seat::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Result<Seat> {
        Seat::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| Error::invalid("seat", "请选择主任、副主任或委员"))
    }

    pub fn label(self) -> &'static str {
        match self {
            Seat::Chair => "主任",
            Seat::ViceChair => "副主任",
            Seat::Member => "委员",
        }
    }
}

/// What a work record is about.
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
pub enum RecordKind {
    /// 会议.
    Meeting,
    /// 组织活动.
    Activity,
    /// 参与管理与监督 (meals, uniforms, safety...).
    Supervision,
    /// 征集家长意见.
    Opinion,
}

impl RecordKind {
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Meeting,
        RecordKind::Activity,
        RecordKind::Supervision,
        RecordKind::Opinion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Meeting => "meeting",
            RecordKind::Activity => "activity",
            RecordKind::Supervision => "supervision",
            RecordKind::Opinion => "opinion",
        }
    }

    pub fn parse(s: &str) -> Result<RecordKind> {
        RecordKind::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| Error::invalid("kind", "请选择工作记录的类型"))
    }

    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Meeting => "会议",
            RecordKind::Activity => "组织活动",
            RecordKind::Supervision => "参与管理与监督",
            RecordKind::Opinion => "征集家长意见",
        }
    }
}

/// The level a committee serves at, from its unit's kind; none above schools.
pub fn level_label(kind: UnitKind) -> Option<&'static str> {
    match kind {
        UnitKind::School => Some("校级家委会"),
        UnitKind::Grade => Some("年级家委会"),
        UnitKind::Class => Some("班级家委会"),
        _ => None,
    }
}

/// A date as typed (`2026-09-15`), checked and written back the same way;
/// not after `today` (a day number).
pub fn checked_day(field: &'static str, raw: &str, today: i64) -> Result<String> {
    let day = parse_date(raw).ok_or_else(|| Error::invalid(field, "请填写日期，如 2026-09-15"))?;
    if day > today {
        return Err(Error::invalid(field, "日期不能晚于今天"));
    }
    Ok(format_date(day))
}

/// A date that must fall on or after the committee was formed.
pub fn not_before_formed(field: &'static str, day: &str, formed_on: &str) -> Result<()> {
    if day < formed_on {
        return Err(Error::invalid(
            field,
            format!("日期早于家委会成立日期（{formed_on}），请核对"),
        ));
    }
    Ok(())
}

/// A short text: trimmed, between `min` and `max` characters.
pub fn checked_text(
    field: &'static str,
    what: &str,
    raw: &str,
    min: usize,
    max: usize,
) -> Result<String> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min || n > max {
        return Err(Error::invalid(
            field,
            if min > 0 {
                format!("{what}应为 {min} 至 {max} 字")
            } else {
                format!("{what}不能超过 {max} 字")
            },
        ));
    }
    Ok(s.to_owned())
}

/// A count of people: 0 to 100,000.
pub fn checked_count(field: &'static str, what: &str, n: i64) -> Result<i64> {
    if !(0..=100_000).contains(&n) {
        return Err(Error::invalid(
            field,
            format!("{what}应在 0 至 100000 之间"),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_and_kinds_round_trip() {
        for s in Seat::ALL {
            assert_eq!(Seat::parse(s.as_str()).expect("ok"), s);
        }
        for k in RecordKind::ALL {
            assert_eq!(RecordKind::parse(k.as_str()).expect("ok"), k);
        }
        assert!(Seat::parse("king").is_err());
    }

    #[test]
    fn committees_sit_at_schools_grades_and_classes_only() {
        assert_eq!(level_label(UnitKind::Class), Some("班级家委会"));
        assert_eq!(level_label(UnitKind::District), None);
    }

    #[test]
    fn dates_are_checked_and_ordered() {
        let today = parse_date("2026-12-04").expect("ok");
        assert_eq!(
            checked_day("held_on", " 2026-9-5 ", today).expect("ok"),
            "2026-09-05"
        );
        assert!(checked_day("held_on", "2026-12-05", today).is_err());
        assert!(checked_day("held_on", "2026-02-30", today).is_err());
        assert!(not_before_formed("held_on", "2026-09-01", "2026-09-10").is_err());
        assert!(not_before_formed("held_on", "2026-09-10", "2026-09-10").is_ok());
    }

    #[test]
    fn texts_and_counts_have_bounds() {
        assert!(checked_text("title", "标题", " a ", 2, 10).is_err());
        assert_eq!(
            checked_text("title", "标题", " 家长会 ", 2, 10).expect("ok"),
            "家长会"
        );
        assert!(checked_count("voters", "投票人数", -1).is_err());
    }
}
