//! Coverage: what every school is to have under the plan (a coordinator, a
//! work group of six, a plan each term...), counted as the number of
//! schools in a subtree that have it. A board of coverage shows, for a
//! unit and each unit below it, how many of its schools do, the units with
//! the most gaps first.

use crate::calendar::Term;

/// One thing a school has or lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Measure {
    /// A coordinator is named (总协调员).
    Coordinator,
    /// The work group has at least the plan's `work_group_min` members.
    WorkGroup,
    /// A family-education plan is saved for this term.
    Plan { school_year: i64, term: Term },
    /// A school-level parent committee serves this school year.
    Committee { school_year: i64 },
    /// Both parent lecturer groups have at least one lecturer (双团).
    LecturerGroups,
    /// Every grade the school teaches has its family-education instructor.
    GradeInstructors,
}

impl Measure {
    /// The key its counts are kept under.
    pub fn key(self) -> String {
        match self {
            Measure::Coordinator => "coordinator".into(),
            Measure::WorkGroup => "work_group".into(),
            Measure::Plan { school_year, term } => format!(
                "plan:{school_year}:{}",
                match term {
                    Term::First => 1,
                    Term::Second => 2,
                }
            ),
            Measure::Committee { school_year } => format!("committee:{school_year}"),
            Measure::LecturerGroups => "lecturer_groups".into(),
            Measure::GradeInstructors => "grade_instructors".into(),
        }
    }

    /// What a board's column says.
    pub fn label(self) -> String {
        match self {
            Measure::Coordinator => "已明确总协调员".into(),
            Measure::WorkGroup => "工作小组人数达标".into(),
            Measure::Plan { .. } => "本学期工作计划".into(),
            Measure::Committee { .. } => "校级家委会".into(),
            Measure::LecturerGroups => "家长讲师“双团”".into(),
            Measure::GradeInstructors => "每个年级有指导教师".into(),
        }
    }
}

/// A share as a whole percentage, rounded down (0 when there is nothing).
pub fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { part * 100 / whole }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_distinct_per_term() {
        let a = Measure::Plan {
            school_year: 2026,
            term: Term::First,
        };
        let b = Measure::Plan {
            school_year: 2026,
            term: Term::Second,
        };
        assert_eq!(a.key(), "plan:2026:1");
        assert_ne!(a.key(), b.key());
        assert_ne!(Measure::Coordinator.key(), Measure::WorkGroup.key());
    }

    #[test]
    fn percent_rounds_down_and_survives_zero() {
        assert_eq!(percent(2, 3), 66);
        assert_eq!(percent(0, 0), 0);
        assert_eq!(percent(5, 5), 100);
    }
}
