//! A school's family-education organisation (task 3 of the plan): its
//! coordinator (总协调员, a school leader), its work group (工作小组: leaders,
//! instructors, the psychology teacher, head teachers and committee members,
//! at least the plan's `work_group_min`, six) and its family-education plan
//! for each term.

use crate::calendar::Term;
use crate::{Error, Result};

/// The longest term plan kept, in characters.
pub const PLAN_MAX_CHARS: usize = 20_000;

/// What a member does in the work group.
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
pub enum Duty {
    /// 总协调员: one per school, a school leader.
    Coordinator,
    /// 校领导.
    Leader,
    /// 家庭教育指导教师 (an instructor).
    Instructor,
    /// 心理健康教师.
    Psychology,
    /// 班主任.
    HeadTeacher,
    /// 家委会代表: a parent of the school.
    Committee,
}

impl Duty {
    pub const ALL: [Duty; 6] = [
        Duty::Coordinator,
        Duty::Leader,
        Duty::Instructor,
        Duty::Psychology,
        Duty::HeadTeacher,
        Duty::Committee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Duty::Coordinator => "coordinator",
            Duty::Leader => "leader",
            Duty::Instructor => "instructor",
            Duty::Psychology => "psychology",
            Duty::HeadTeacher => "head_teacher",
            Duty::Committee => "committee",
        }
    }

    pub fn parse(s: &str) -> Result<Duty> {
        Duty::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| Error::invalid("duty", "请选择成员在工作小组中的职责"))
    }

    pub fn label(self) -> &'static str {
        match self {
            Duty::Coordinator => "总协调员",
            Duty::Leader => "校领导",
            Duty::Instructor => "家庭教育指导教师",
            Duty::Psychology => "心理健康教师",
            Duty::HeadTeacher => "班主任",
            Duty::Committee => "家委会代表",
        }
    }

    /// Whether the member is one of the school's parents rather than its staff.
    pub fn is_parent(self) -> bool {
        self == Duty::Committee
    }
}

/// What a school still lacks, in the order the page names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Standing {
    pub members: i64,
    /// The plan's floor (`Plan::work_group_min`).
    pub min_members: i64,
    pub has_coordinator: bool,
    /// A plan saved for the current term.
    pub has_plan: bool,
}

impl Standing {
    /// The group is as large as the plan asks.
    pub fn full(&self) -> bool {
        self.members >= self.min_members
    }

    /// Each gap as the school's leaders read it.
    pub fn gaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.has_coordinator {
            out.push("尚未明确总协调员".to_owned());
        }
        if !self.full() {
            out.push(format!(
                "工作小组 {} 人，不足 {} 人",
                self.members, self.min_members
            ));
        }
        if !self.has_plan {
            out.push("本学期家庭教育工作计划未填写".to_owned());
        }
        out
    }
}

/// A term's plan as saved: trimmed, not empty, not beyond the limit.
pub fn checked_plan(body: &str) -> Result<String> {
    let body = body.trim();
    let n = body.chars().count();
    if n < 10 {
        return Err(Error::invalid(
            "body",
            "请填写本学期家庭教育工作计划（至少10个字）",
        ));
    }
    if n > PLAN_MAX_CHARS {
        return Err(Error::invalid(
            "body",
            format!("工作计划不能超过 {PLAN_MAX_CHARS} 字"),
        ));
    }
    Ok(body.to_owned())
}

/// A term's name as pages show it: `2026学年第一学期`.
pub fn term_label(school_year: i64, term: Term) -> String {
    format!("{school_year}学年{}", term.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duties_round_trip_and_unknown_ones_are_refused() {
        for d in Duty::ALL {
            assert_eq!(Duty::parse(d.as_str()).expect("ok"), d);
        }
        let e = Duty::parse("janitor").expect_err("an error");
        assert_eq!(e.field, Some("duty"));
        assert!(Duty::Committee.is_parent());
        assert!(!Duty::Coordinator.is_parent());
    }

    #[test]
    fn gaps_name_what_is_missing() {
        let s = Standing {
            members: 4,
            min_members: 6,
            has_coordinator: false,
            has_plan: true,
        };
        assert_eq!(
            s.gaps(),
            vec!["尚未明确总协调员", "工作小组 4 人，不足 6 人"]
        );
        let ok = Standing {
            members: 6,
            min_members: 6,
            has_coordinator: true,
            has_plan: true,
        };
        assert!(ok.gaps().is_empty());
    }

    #[test]
    fn a_plan_must_say_something_and_not_too_much() {
        assert!(checked_plan("  太短  ").is_err());
        assert_eq!(
            checked_plan("  九月召开家长会，十月开展家访。 ").expect("ok"),
            "九月召开家长会，十月开展家访。"
        );
        assert!(checked_plan(&"字".repeat(PLAN_MAX_CHARS + 1)).is_err());
    }
}
