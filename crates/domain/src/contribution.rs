//! Contributions (task 11 of the plan): teachers submit micro-courses and
//! lesson plans; reviewers at school, district and city level score and
//! comment on them and pass or return them; the city's pass publishes. The
//! plan asks for a number of each (1,000 in Qingdao's: 千人微课, 千章教案;
//! `plan::Plan`).

use crate::org::UnitKind;
use crate::{Error, Result};

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
pub enum Kind {
    MicroCourse,
    LessonPlan,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Self::MicroCourse, Self::LessonPlan];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MicroCourse => "micro_course",
            Self::LessonPlan => "lesson_plan",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::MicroCourse => "微课",
            Self::LessonPlan => "教案",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
            .ok_or_else(|| Error::invalid("kind", format!("未知的投稿类型：{s}")))
    }
}

/// The three levels of review, bottom up.
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
#[schemars(rename = "ContributionLevel")]
pub enum Level {
    School,
    District,
    City,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::School => "school",
            Self::District => "district",
            Self::City => "city",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::School => "学校初审",
            Self::District => "区(市)复审",
            Self::City => "市级终审",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        [Self::School, Self::District, Self::City]
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| Error::invalid("level", format!("未知的审核级别：{s}")))
    }
    /// The kind of unit whose reviewers review at this level.
    pub fn unit_kind(self) -> UnitKind {
        match self {
            Self::School => UnitKind::School,
            Self::District => UnitKind::District,
            Self::City => UnitKind::City,
        }
    }
    /// The level a contribution from a unit of this kind starts at.
    pub fn starting_at(kind: UnitKind) -> Option<Level> {
        match kind {
            UnitKind::City => Some(Self::City),
            UnitKind::District => Some(Self::District),
            UnitKind::School => Some(Self::School),
            _ => None,
        }
    }
    pub fn next(self) -> Option<Level> {
        match self {
            Self::School => Some(Self::District),
            Self::District => Some(Self::City),
            Self::City => None,
        }
    }
}

/// Where a contribution stands; written as its code (`school_review`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    InReview(Level),
    Published,
    Returned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InReview(Level::School) => "school_review",
            Self::InReview(Level::District) => "district_review",
            Self::InReview(Level::City) => "city_review",
            Self::Published => "published",
            Self::Returned => "returned",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::InReview(Level::School) => "待学校初审",
            Self::InReview(Level::District) => "待区(市)复审",
            Self::InReview(Level::City) => "待市级终审",
            Self::Published => "已发布",
            Self::Returned => "已退回修改",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "school_review" => Self::InReview(Level::School),
            "district_review" => Self::InReview(Level::District),
            "city_review" => Self::InReview(Level::City),
            "published" => Self::Published,
            "returned" => Self::Returned,
            _ => return Err(Error::invalid("status", format!("未知的状态：{s}"))),
        })
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for Status {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ContributionStatus".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": ["school_review", "district_review", "city_review", "published", "returned"]
        })
    }
}

/// A reviewer's decision.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Pass,
    Return,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Return => "return",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "通过",
            Self::Return => "退回修改",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pass" => Ok(Self::Pass),
            "return" => Ok(Self::Return),
            _ => Err(Error::invalid("decision", "请选择通过或退回")),
        }
    }
}

/// A review: a score out of 100 and a comment, required when returning so
/// the author knows what to change.
pub fn check_review(decision: Decision, score: i64, comment: &str) -> Result<(i64, String)> {
    if !(0..=100).contains(&score) {
        return Err(Error::invalid("score", "评分为0至100分"));
    }
    let comment = comment.trim();
    if comment.chars().count() > 1000 {
        return Err(Error::invalid("comment", "意见不能超过1000字"));
    }
    if decision == Decision::Return && comment.chars().count() < 5 {
        return Err(Error::invalid(
            "comment",
            "退回时请写明修改意见（至少5个字）",
        ));
    }
    Ok((score, comment.to_owned()))
}

/// A lesson plan's text: 50 to 50,000 characters.
pub fn check_plan_text(body: &str) -> Result<()> {
    let n = body.trim().chars().count();
    if n < 50 {
        return Err(Error::invalid("body", "教案正文至少50字"));
    }
    if n > 50_000 {
        return Err(Error::invalid("body", "教案正文不能超过50000字"));
    }
    Ok(())
}

/// A micro-course's length: 1 to 30 minutes.
pub fn check_micro_duration(seconds: i64) -> Result<i64> {
    if (60..=1800).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(Error::invalid("duration_s", "微课时长为1至30分钟"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [
            Status::InReview(Level::School),
            Status::InReview(Level::District),
            Status::InReview(Level::City),
            Status::Published,
            Status::Returned,
        ] {
            assert_eq!(Status::parse(s.as_str()).expect("valid"), s);
        }
        assert!(Status::parse("draft").is_err());
    }

    #[test]
    fn levels_climb_to_the_city() {
        assert_eq!(Level::School.next(), Some(Level::District));
        assert_eq!(Level::District.next(), Some(Level::City));
        assert_eq!(Level::City.next(), None);
        assert_eq!(Level::starting_at(UnitKind::School), Some(Level::School));
        assert_eq!(Level::starting_at(UnitKind::Class), None);
    }

    #[test]
    fn reviews_need_a_reason_to_return() {
        assert!(check_review(Decision::Pass, 90, "").is_ok());
        assert!(check_review(Decision::Return, 60, "太短").is_err());
        assert!(check_review(Decision::Return, 60, "请补充课堂讨论环节的设计").is_ok());
        assert!(check_review(Decision::Pass, 101, "").is_err());
        assert!(check_review(Decision::Pass, -1, "").is_err());
    }

    #[test]
    fn content_limits() {
        assert!(check_plan_text("太短的教案").is_err());
        assert!(check_plan_text(&"教".repeat(60)).is_ok());
        assert!(check_micro_duration(59).is_err());
        assert!(check_micro_duration(600).is_ok());
        assert!(check_micro_duration(1801).is_err());
    }
}
