//! Courses and their lessons: the catalog parents learn from.

use crate::{Error, Result};

/// 理念引领课 / 必修课 / 自修课.
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
#[schemars(rename = "CourseCategory")]
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
#[schemars(rename = "CourseStatus")]
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

    proptest::proptest! {
        /// Any number of seconds gets an answer: itself within a minute to
        /// three hours, a message naming the field otherwise.
        #[test]
        fn durations_within_bounds_only(secs in proptest::num::i64::ANY) {
            match parse_duration(secs) {
                Ok(d) => proptest::prop_assert!(d == secs && (60..=10_800).contains(&d)),
                Err(e) => {
                    proptest::prop_assert!(!(60..=10_800).contains(&secs));
                    proptest::prop_assert_eq!(e.field, Some("duration_s"));
                }
            }
        }
    }

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

/// The five steps of a required-course lesson, as written by its author:
/// (step, content) in the method's order.
pub type LessonSteps = Vec<(crate::delivery::Step, String)>;

/// The lesson a micro-review link names (`/lessons/12`), if it names one.
pub fn linked_lesson(link: &str) -> Option<i64> {
    link.strip_prefix("/lessons/")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
}

/// Checks a lesson's five steps. A lesson of a required course has all
/// five, each written out, and its micro-review step is a link to the
/// micro-course (an http(s) address or a lesson of the platform). Other
/// lessons may leave them out.
pub fn check_steps(category: Category, raw: &[(String, String)]) -> Result<LessonSteps> {
    use crate::delivery::Step;
    let mut steps: LessonSteps = Vec::new();
    for (code, content) in raw {
        let step = Step::parse(code)?;
        let content = content.trim();
        if content.is_empty() {
            continue;
        }
        if steps.iter().any(|(s, _)| *s == step) {
            return Err(Error::invalid("steps", format!("“{}”重复", step.label())));
        }
        if content.chars().count() > 5000 {
            return Err(Error::invalid(
                "steps",
                format!("“{}”不能超过5000字", step.label()),
            ));
        }
        if step == Step::MicroReview {
            let link_ok = (content.starts_with("https://")
                || content.starts_with("http://")
                || content.starts_with("/lessons/")
                || content.starts_with("/media/"))
                && !content.chars().any(char::is_whitespace);
            if !link_ok {
                return Err(Error::invalid(
                    "steps",
                    "“微课巩固”请填写课程库中微课的地址（/lessons/编号）或它播放的媒体地址",
                ));
            }
        }
        steps.push((step, content.to_owned()));
    }
    if category == Category::Required
        && let Some(missing) = Step::ALL
            .iter()
            .find(|s| !steps.iter().any(|(x, _)| x == *s))
    {
        return Err(Error::invalid(
            "steps",
            format!("必修课的每节课要写全五个环节，缺少“{}”", missing.label()),
        ));
    }
    steps.sort_by_key(|(s, _)| Step::ALL.iter().position(|x| x == s));
    Ok(steps)
}

/// Steps as stored: one line per step, `code<TAB>content`, with
/// backslashes, newlines and tabs in the content escaped.
pub fn encode_steps(steps: &[(crate::delivery::Step, String)]) -> String {
    steps
        .iter()
        .map(|(s, c)| {
            let c = c
                .replace('\\', "\\\\")
                .replace('\n', "\\n")
                .replace('\t', "\\t")
                .replace('\r', "");
            format!("{}\t{c}", s.as_str())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The inverse of [`encode_steps`]; lines it cannot read are skipped.
pub fn decode_steps(stored: &str) -> LessonSteps {
    stored
        .lines()
        .filter_map(|line| {
            let (code, raw) = line.split_once('\t')?;
            let step = crate::delivery::Step::parse(code).ok()?;
            let mut out = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(ch) = chars.next() {
                if ch == '\\' {
                    match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(other) => out.push(other),
                        None => {}
                    }
                } else {
                    out.push(ch);
                }
            }
            Some((step, out))
        })
        .collect()
}

#[cfg(test)]
mod step_tests {
    use super::*;
    use crate::delivery::Step;

    fn five() -> Vec<(String, String)> {
        Step::ALL
            .iter()
            .map(|s| {
                let c = if *s == Step::MicroReview {
                    "/lessons/12".to_owned()
                } else {
                    format!("{}：第一行\n第二行\t含制表符 \\ 反斜杠", s.label())
                };
                (s.as_str().to_owned(), c)
            })
            .collect()
    }

    #[test]
    fn required_lessons_need_all_five_steps() {
        let steps = check_steps(Category::Required, &five()).expect("valid");
        assert_eq!(steps.len(), 5);
        let mut four = five();
        four.remove(2);
        assert!(check_steps(Category::Required, &four).is_err());
        assert!(check_steps(Category::SelfStudy, &four).is_ok());
        assert!(check_steps(Category::SelfStudy, &[]).is_ok());
        let mut bad_link = five();
        bad_link[4].1 = "看一看微课".into();
        assert!(check_steps(Category::Required, &bad_link).is_err());
        let mut unknown = five();
        unknown.push(("warmup".into(), "x".into()));
        assert!(check_steps(Category::Required, &unknown).is_err());
    }

    #[test]
    fn steps_survive_storage() {
        let steps = check_steps(Category::Required, &five()).expect("valid");
        let stored = encode_steps(&steps);
        assert_eq!(stored.lines().count(), 5);
        assert_eq!(decode_steps(&stored), steps);
        assert_eq!(decode_steps(""), vec![]);
    }
}
