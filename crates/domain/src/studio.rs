//! Master-teacher studios (名师工作室, task 5 of the plan): a teacher applies
//! to lead one; the city selects studios against the plan's `studio_goal`
//! (15); a studio has members, a plan each year, outputs linked to what the
//! platform already holds (published courses, published contributions) or
//! lectures given, a yearly review, and a public page.

use crate::{Error, Result};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "StudioStatus")]
pub enum Status {
    /// Waiting for the city's selection.
    Applied,
    Selected,
    /// Not selected.
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Selected => "selected",
            Status::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Result<Status> {
        match s {
            "applied" => Ok(Status::Applied),
            "selected" => Ok(Status::Selected),
            "rejected" => Ok(Status::Rejected),
            _ => Err(Error::internal()),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Applied => "待遴选",
            Status::Selected => "已入选",
            Status::Rejected => "未入选",
        }
    }
}

/// What an output is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A published course of the library.
    Course,
    /// A published micro-course or lesson plan.
    Contribution,
    /// A lecture given (title and date).
    Lecture,
}

impl OutputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Course => "course",
            OutputKind::Contribution => "contribution",
            OutputKind::Lecture => "lecture",
        }
    }
    pub fn parse(s: &str) -> Result<OutputKind> {
        match s {
            "course" => Ok(OutputKind::Course),
            "contribution" => Ok(OutputKind::Contribution),
            "lecture" => Ok(OutputKind::Lecture),
            _ => Err(Error::invalid("kind", "请选择课程、微课教案或讲座")),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            OutputKind::Course => "课程",
            OutputKind::Contribution => "微课/教案",
            OutputKind::Lecture => "讲座",
        }
    }
}

/// A yearly review's grade.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Excellent,
    Good,
    Pass,
    Fail,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Excellent => "excellent",
            Grade::Good => "good",
            Grade::Pass => "pass",
            Grade::Fail => "fail",
        }
    }
    pub fn parse(s: &str) -> Result<Grade> {
        match s {
            "excellent" => Ok(Grade::Excellent),
            "good" => Ok(Grade::Good),
            "pass" => Ok(Grade::Pass),
            "fail" => Ok(Grade::Fail),
            _ => Err(Error::invalid("grade", "请选择考核等次")),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀",
            Grade::Good => "良好",
            Grade::Pass => "合格",
            Grade::Fail => "不合格",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in [Status::Applied, Status::Selected, Status::Rejected] {
            assert_eq!(Status::parse(s.as_str()).expect("status"), s);
        }
        for k in [
            OutputKind::Course,
            OutputKind::Contribution,
            OutputKind::Lecture,
        ] {
            assert_eq!(OutputKind::parse(k.as_str()).expect("kind"), k);
        }
        for g in [Grade::Excellent, Grade::Good, Grade::Pass, Grade::Fail] {
            assert_eq!(Grade::parse(g.as_str()).expect("grade"), g);
        }
        assert!(OutputKind::parse("poem").is_err());
    }
}
