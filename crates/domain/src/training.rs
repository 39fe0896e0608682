//! Training of teachers, instructors and committee chairs (tasks 4, 6 and
//! 21 of the plan): programmes of a kind, run by the city, a district or a
//! school; sessions in person (checked in by QR code) or online (a library
//! lesson played to the end); hours (学时) credited per session attended. A
//! person completes a programme when their hours in it reach its target;
//! the plan's targets are every head teacher through the five-step method,
//! every teacher through home-visit training and every committee chair
//! with the chairs' hours.

use crate::account::Role;
use crate::{Error, Result};

/// What a programme trains for.
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
pub enum ProgrammeKind {
    /// 班主任“五步法”: every head teacher.
    FiveStep,
    /// 家访: every teacher.
    HomeVisit,
    /// 家委会主任培训: every chair, at least the plan's hours.
    Chair,
    /// 家庭教育讲师培训, at city, district or school level.
    Instructor,
    Other,
}

impl ProgrammeKind {
    pub const ALL: [ProgrammeKind; 5] = [
        ProgrammeKind::FiveStep,
        ProgrammeKind::HomeVisit,
        ProgrammeKind::Chair,
        ProgrammeKind::Instructor,
        ProgrammeKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProgrammeKind::FiveStep => "five_step",
            ProgrammeKind::HomeVisit => "home_visit",
            ProgrammeKind::Chair => "chair",
            ProgrammeKind::Instructor => "instructor",
            ProgrammeKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<ProgrammeKind> {
        ProgrammeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::invalid("kind", "请选择培训类型"))
    }

    pub fn label(self) -> &'static str {
        match self {
            ProgrammeKind::FiveStep => "班主任“五步法”培训",
            ProgrammeKind::HomeVisit => "全员家访培训",
            ProgrammeKind::Chair => "家委会主任培训",
            ProgrammeKind::Instructor => "家庭教育讲师培训",
            ProgrammeKind::Other => "其他培训",
        }
    }

    /// Whether the programme is for committee chairs (parents) rather than staff.
    pub fn for_chairs(self) -> bool {
        self == ProgrammeKind::Chair
    }
}

/// The plan's targets: who is counted and what completes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "TrainingTarget")]
pub enum Target {
    /// Head teachers through a five-step programme.
    FiveStep,
    /// Teachers (head teachers, teachers, instructors) through home visits.
    HomeVisit,
    /// Committee chairs through a chairs' programme.
    Chair,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::FiveStep, Target::HomeVisit, Target::Chair];

    pub fn key(self) -> &'static str {
        match self {
            Target::FiveStep => "five_step",
            Target::HomeVisit => "home_visit",
            Target::Chair => "chair",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Target::FiveStep => "班主任完成“五步法”培训",
            Target::HomeVisit => "教师完成家访培训",
            Target::Chair => "家委会主任完成培训",
        }
    }

    /// The programme kind that completes it.
    pub fn kind(self) -> ProgrammeKind {
        match self {
            Target::FiveStep => ProgrammeKind::FiveStep,
            Target::HomeVisit => ProgrammeKind::HomeVisit,
            Target::Chair => ProgrammeKind::Chair,
        }
    }

    /// The staff roles it counts (chairs are counted from committees).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Target::FiveStep => &[Role::HeadTeacher],
            Target::HomeVisit => &[Role::HeadTeacher, Role::Teacher, Role::Instructor],
            Target::Chair => &[],
        }
    }
}

/// Whether a grant of this role is counted by any target.
pub fn counted_role(role: Role) -> bool {
    Target::ALL.iter().any(|t| t.roles().contains(&role))
}

/// How a session is given.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    InPerson,
    /// A library lesson played through the lesson player.
    Online,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::InPerson => "in_person",
            Mode::Online => "online",
        }
    }
    pub fn parse(s: &str) -> Result<Mode> {
        match s {
            "in_person" => Ok(Mode::InPerson),
            "online" => Ok(Mode::Online),
            _ => Err(Error::invalid("mode", "请选择线下或线上")),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Mode::InPerson => "线下",
            Mode::Online => "线上",
        }
    }
}

/// Check-in opens this long before a session starts and stays open this
/// long after it ends.
pub const CHECKIN_MARGIN_S: i64 = 30 * 60;

/// Hours a session credits: 1 to 16.
pub fn checked_hours(field: &'static str, n: i64) -> Result<i64> {
    if !(1..=16).contains(&n) {
        return Err(Error::invalid(field, "学时应在 1 至 16 之间"));
    }
    Ok(n)
}

/// A programme's target hours: 1 to 200; a chairs' programme at least the
/// plan's hours for chairs.
pub fn checked_target(kind: ProgrammeKind, hours: i64, chair_hours: i64) -> Result<i64> {
    if !(1..=200).contains(&hours) {
        return Err(Error::invalid("target_hours", "目标学时应在 1 至 200 之间"));
    }
    if kind == ProgrammeKind::Chair && hours < chair_hours {
        return Err(Error::invalid(
            "target_hours",
            format!("家委会主任培训不少于 {chair_hours} 学时"),
        ));
    }
    Ok(hours)
}

/// A session's times: it ends after it starts, and lasts at most a day.
pub fn checked_times(starts_at: i64, ends_at: i64) -> Result<()> {
    if ends_at <= starts_at {
        return Err(Error::invalid("ends_at", "结束时间须晚于开始时间"));
    }
    if ends_at - starts_at > 24 * 3600 {
        return Err(Error::invalid(
            "ends_at",
            "一次培训不超过 24 小时，多日培训请分多次安排",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_modes_round_trip() {
        for k in ProgrammeKind::ALL {
            assert_eq!(ProgrammeKind::parse(k.as_str()).expect("kind"), k);
        }
        assert_eq!(Mode::parse("online").expect("mode"), Mode::Online);
        assert!(Mode::parse("tv").is_err());
    }

    #[test]
    fn targets_count_the_roles_the_plan_names() {
        assert!(counted_role(Role::HeadTeacher));
        assert!(counted_role(Role::Teacher));
        assert!(!counted_role(Role::Parent));
        assert!(!counted_role(Role::SchoolAdmin));
        assert_eq!(Target::Chair.kind(), ProgrammeKind::Chair);
    }

    #[test]
    fn hours_targets_and_times_are_checked() {
        assert!(checked_hours("hours", 0).is_err());
        assert!(checked_target(ProgrammeKind::Chair, 3, 4).is_err());
        assert_eq!(checked_target(ProgrammeKind::Chair, 4, 4).expect("ok"), 4);
        assert!(checked_times(100, 100).is_err());
        assert!(checked_times(0, 25 * 3600).is_err());
        assert!(checked_times(0, 3600).is_ok());
    }
}
