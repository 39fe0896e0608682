//! The two parent lecturer groups of every school (双团, task 22 of the
//! plan): 家长经验分享讲师团 (`experience`) and 家长职业体验讲师团 (`career`),
//! whose lecturers are parents of the school, and the lectures they give to
//! parents or to students.

use crate::{Error, Result};

/// Which of the two groups.
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
pub enum GroupKind {
    Experience,
    Career,
}

impl GroupKind {
    pub const ALL: [GroupKind; 2] = [GroupKind::Experience, GroupKind::Career];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Experience => "experience",
            GroupKind::Career => "career",
        }
    }

    pub fn parse(s: &str) -> Result<GroupKind> {
        GroupKind::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| Error::invalid("kind", "请选择经验分享讲师团或职业体验讲师团"))
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupKind::Experience => "家长经验分享讲师团",
            GroupKind::Career => "家长职业体验讲师团",
        }
    }

    /// What a lecturer of the group is asked to name.
    pub fn specialty_label(self) -> &'static str {
        match self {
            GroupKind::Experience => "分享主题",
            GroupKind::Career => "职业",
        }
    }
}

/// Who a lecture was given to.
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
pub enum Audience {
    Parents,
    Students,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Parents => "parents",
            Audience::Students => "students",
        }
    }

    pub fn parse(s: &str) -> Result<Audience> {
        match s {
            "parents" => Ok(Audience::Parents),
            "students" => Ok(Audience::Students),
            _ => Err(Error::invalid("audience", "请选择面向家长或面向学生")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Audience::Parents => "面向家长",
            Audience::Students => "面向学生",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_audiences_round_trip() {
        for k in GroupKind::ALL {
            assert_eq!(GroupKind::parse(k.as_str()).expect("ok"), k);
        }
        assert_eq!(Audience::parse("students").expect("ok"), Audience::Students);
        assert!(Audience::parse("teachers").is_err());
        assert!(GroupKind::parse("sports").is_err());
    }
}
