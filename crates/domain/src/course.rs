//! Courses and their lessons: the catalog parents learn from.

use crate::{Error, Result};

/// 理念引领课 / 必修课 / 自修课.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Keynote,
    Required,
    SelfStudy,
}

impl Category {
    pub const ALL: [Category; 3] = [Self::Keynote, Self::Required, Self::SelfStudy];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keynote => "keynote",
            Self::Required => "required",
            Self::SelfStudy => "self_study",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Keynote => "理念引领课",
            Self::Required => "必修课",
            Self::SelfStudy => "自修课",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s || c.label() == s)
            .ok_or_else(|| Error::invalid("category", format!("未知的课程类别：{s}")))
    }
}

/// The three subjects the plan brings together (三科融合).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    FamilyEducation,
    MentalHealth,
    CareerEducation,
}

impl Subject {
    pub const ALL: [Subject; 3] = [
        Self::FamilyEducation,
        Self::MentalHealth,
        Self::CareerEducation,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FamilyEducation => "family_education",
            Self::MentalHealth => "mental_health",
            Self::CareerEducation => "career_education",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::FamilyEducation => "家庭教育",
            Self::MentalHealth => "心理健康",
            Self::CareerEducation => "生涯教育",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s || c.label() == s)
            .ok_or_else(|| Error::invalid("subject", format!("未知的学科：{s}")))
    }
}

/// Where a course or lesson stands: draft → submitted → reviewed →
/// published → withdrawn (and back to draft when returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    Reviewed,
    Published,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Self::Draft,
        Self::Submitted,
        Self::Reviewed,
        Self::Published,
        Self::Withdrawn,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Reviewed => "reviewed",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "已提交",
            Self::Reviewed => "已审核",
            Self::Published => "已发布",
            Self::Withdrawn => "已撤回",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::invalid("status", format!("未知的状态：{s}")))
    }
    /// May content go from `self` to `to`?
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Draft, Submitted)
                | (Submitted, Reviewed)
                | (Submitted, Draft)
                | (Reviewed, Published)
                | (Reviewed, Draft)
                | (Published, Withdrawn)
                | (Withdrawn, Published)
        )
    }
}

/// A title: 2 to 80 characters.
pub fn parse_title(raw: &str) -> Result<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if !(2..=80).contains(&n) || t.chars().any(char::is_control) {
        return Err(Error::invalid("title", "标题应为2到80个字"));
    }
    Ok(t.to_owned())
}

/// A lesson's length in seconds: a minute to three hours.
pub fn parse_duration(secs: i64) -> Result<i64> {
    if (60..=3 * 3600).contains(&secs) {
        Ok(secs)
    } else {
        Err(Error::invalid("duration_s", "课程时长应在1分钟到3小时之间"))
    }
}

/// A video address: an https (or, for local testing, http) URL.
pub fn parse_media_url(raw: &str) -> Result<String> {
    let u = raw.trim();
    let ok = (u.starts_with("https://") || u.starts_with("http://") || u.starts_with("/media/"))
        && u.len() <= 500
        && !u
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    if ok {
        Ok(u.to_owned())
    } else {
        Err(Error::invalid(
            "video_url",
            "视频地址应为 https:// 开头的网址",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_path() {
        assert!(Status::Draft.can_become(Status::Submitted));
        assert!(Status::Reviewed.can_become(Status::Published));
        assert!(
            !Status::Draft.can_become(Status::Published),
            "no publishing without review"
        );
        assert!(Status::Published.can_become(Status::Withdrawn));
        assert!(!Status::Withdrawn.can_become(Status::Draft));
    }

    #[test]
    fn inputs() {
        assert!(parse_title("家").is_err());
        assert_eq!(
            parse_title(" 新生家长第一课 ").expect("ok"),
            "新生家长第一课"
        );
        assert!(parse_duration(30).is_err());
        assert!(parse_media_url("javascript:alert(1)").is_err());
        assert!(parse_media_url("https://cdn.example.com/a b.mp4").is_err());
        assert!(parse_media_url("https://cdn.example.com/a.mp4").is_ok());
        assert_eq!(
            Category::parse("必修课").expect("label"),
            Category::Required
        );
    }
}
