//! Required-course delivery: the sessions a head teacher holds with the
//! parents of a class, the five steps of each, check-in, two-way ratings,
//! the before-and-after questionnaire, and the yearly minimum every class
//! must reach (the plan's sessions and class hours: 4 and 8 in Qingdao's).

use crate::plan::Plan;
use crate::{Error, Result};

/// Check-in opens this long before a session starts.
pub const CHECKIN_EARLY_S: i64 = 30 * 60;
/// ... and stays open this long after its class hours end.
pub const CHECKIN_LATE_S: i64 = 2 * 3600;

/// 五步教学法: the steps of a session of the required course.
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
pub enum Step {
    VideoIntro,
    Discussion,
    Summary,
    Practice,
    MicroReview,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Self::VideoIntro,
        Self::Discussion,
        Self::Summary,
        Self::Practice,
        Self::MicroReview,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VideoIntro => "video_intro",
            Self::Discussion => "discussion",
            Self::Summary => "summary",
            Self::Practice => "practice",
            Self::MicroReview => "micro_review",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::VideoIntro => "视频导课",
            Self::Discussion => "现场讨论",
            Self::Summary => "课堂总结",
            Self::Practice => "拓展训练",
            Self::MicroReview => "微课巩固",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s || x.label() == s)
            .ok_or_else(|| Error::invalid("step", format!("未知的教学环节：{s}")))
    }
}

/// Where a session stands: planned, held (counted toward the minimum) or
/// cancelled.
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
pub enum SessionStatus {
    Planned,
    Held,
    Cancelled,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Held => "held",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Planned => "待上课",
            Self::Held => "已上课",
            Self::Cancelled => "已取消",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        [Self::Planned, Self::Held, Self::Cancelled]
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| Error::invalid("status", format!("未知的状态：{s}")))
    }
}

/// Class hours of one session: 1 to 4.
pub fn parse_class_hours(hours: i64) -> Result<i64> {
    if (1..=4).contains(&hours) {
        Ok(hours)
    } else {
        Err(Error::invalid("class_hours", "每次课为1至4个课时"))
    }
}

/// A session's place and online link: at least one, each of a sane length;
/// a link must be an http(s) address.
pub fn parse_venue(place: &str, online_url: &str) -> Result<(String, String)> {
    let place = place.trim();
    let url = online_url.trim();
    if place.is_empty() && url.is_empty() {
        return Err(Error::invalid("place", "请填写上课地点或线上链接"));
    }
    if place.chars().count() > 100 {
        return Err(Error::invalid("place", "地点不能超过100字"));
    }
    if !url.is_empty()
        && (!(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() > 500
            || url.chars().any(char::is_whitespace))
    {
        return Err(Error::invalid(
            "online_url",
            "线上链接应以 https:// 或 http:// 开头",
        ));
    }
    Ok((place.to_owned(), url.to_owned()))
}

/// A free-text note (step notes, materials, comments): at most `max` characters.
pub fn parse_note(field: &'static str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(Error::invalid(field, format!("不能超过{max}字")));
    }
    Ok(text.to_owned())
}

/// A rating from 1 to 5.
pub fn parse_score(field: &'static str, score: i64) -> Result<i64> {
    if (1..=5).contains(&score) {
        Ok(score)
    } else {
        Err(Error::invalid(field, "评分为1至5分"))
    }
}

/// When parents may check in to a session by its QR code: from half an hour
/// before it starts until two hours after its class hours end.
pub fn checkin_window(starts_at: i64, class_hours: i64, plan: &Plan) -> (i64, i64) {
    (
        starts_at - CHECKIN_EARLY_S,
        starts_at + class_hours * plan.class_hour_s() + CHECKIN_LATE_S,
    )
}

/// A class's delivery in a school year: sessions held and their class
/// hours, and those still planned (neither held nor cancelled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Tally {
    pub sessions: i64,
    pub hours: i64,
    #[serde(default)]
    pub sessions_planned: i64,
    #[serde(default)]
    pub hours_planned: i64,
}

impl Tally {
    /// The plan's yearly minimum of sessions and class hours, held.
    pub fn met(self, plan: &Plan) -> bool {
        self.sessions >= plan.sessions_per_year && self.hours >= plan.hours_per_year
    }
    /// The minimum reached once what is planned is held too.
    pub fn on_track(self, plan: &Plan) -> bool {
        self.sessions + self.sessions_planned >= plan.sessions_per_year
            && self.hours + self.hours_planned >= plan.hours_per_year
    }
    /// Sessions still to plan to reach the minimum (0 when on track by
    /// sessions; hours short are told apart by [`Tally::hours_missing`]).
    pub fn sessions_missing(self, plan: &Plan) -> i64 {
        (plan.sessions_per_year - self.sessions - self.sessions_planned).max(0)
    }
    /// Class hours still to plan to reach the minimum.
    pub fn hours_missing(self, plan: &Plan) -> i64 {
        (plan.hours_per_year - self.hours - self.hours_planned).max(0)
    }
    /// The sum of two tallies (a change is a tally of its own).
    pub fn plus(self, d: Tally) -> Tally {
        Tally {
            sessions: self.sessions + d.sessions,
            hours: self.hours + d.hours,
            sessions_planned: self.sessions_planned + d.sessions_planned,
            hours_planned: self.hours_planned + d.hours_planned,
        }
    }
    /// The change that takes `d` back.
    pub fn negated(self) -> Tally {
        Tally {
            sessions: -self.sessions,
            hours: -self.hours,
            sessions_planned: -self.sessions_planned,
            hours_planned: -self.hours_planned,
        }
    }
}

/// The two rounds of a course's effect-tracking questionnaire.
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
pub enum Phase {
    Before,
    After,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Before => "before",
            Self::After => "after",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Before => "课前问卷",
            Self::After => "课后问卷",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "before" => Ok(Self::Before),
            "after" => Ok(Self::After),
            _ => Err(Error::invalid("phase", "问卷轮次应为 before 或 after")),
        }
    }
    /// The round a class's parents answer once it has held `held` sessions:
    /// before its first session is held, and after it has held the yearly
    /// minimum; in between, none.
    pub fn open_for(held: i64, plan: &Plan) -> Option<Phase> {
        if held == 0 {
            Some(Self::Before)
        } else if held >= plan.sessions_per_year {
            Some(Self::After)
        } else {
            None
        }
    }
}

/// Most questions a questionnaire may have.
pub const MAX_QUESTIONS: usize = 10;

/// A questionnaire's questions, one per line: 1 to 10, each 4 to 100
/// characters, no two the same. Each is answered on a scale of 1 to 5.
pub fn parse_questions(raw: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (i, line) in raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let n = line.chars().count();
        if !(4..=100).contains(&n) {
            return Err(Error::invalid(
                "questions",
                format!("第{}题应为4至100字", i + 1),
            ));
        }
        if out.iter().any(|q| q == line) {
            return Err(Error::invalid(
                "questions",
                format!("第{}题与前面的题目重复", i + 1),
            ));
        }
        out.push(line.to_owned());
    }
    if out.is_empty() {
        return Err(Error::invalid("questions", "请至少填写一道题目，每行一题"));
    }
    if out.len() > MAX_QUESTIONS {
        return Err(Error::invalid(
            "questions",
            format!("题目不能超过{MAX_QUESTIONS}道"),
        ));
    }
    Ok(out)
}

/// One answer (1 to 5) for each of `questions` questions.
pub fn parse_answers(answers: &[i64], questions: usize) -> Result<Vec<i64>> {
    if answers.len() != questions {
        return Err(Error::invalid("answers", "请回答全部题目"));
    }
    for (i, a) in answers.iter().enumerate() {
        if !(1..=5).contains(a) {
            return Err(Error::invalid(
                "answers",
                format!("第{}题的回答应为1至5分", i + 1),
            ));
        }
    }
    Ok(answers.to_vec())
}

/// The mean of `sum` over `count` answers, or none without answers.
pub fn mean(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| sum as f64 / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_by_code_and_label() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()).expect("valid"), s);
            assert_eq!(Step::parse(s.label()).expect("valid"), s);
        }
        assert!(Step::parse("warmup").is_err());
    }

    #[test]
    fn venue_needs_a_place_or_a_link() {
        assert!(parse_venue(" ", "").is_err());
        assert_eq!(
            parse_venue("三楼会议室", "").expect("valid"),
            ("三楼会议室".into(), String::new())
        );
        assert!(parse_venue("", "https://meeting.example.cn/123").is_ok());
        assert!(parse_venue("", "javascript:alert(1)").is_err());
        assert!(parse_venue("", "https://a b").is_err());
    }

    #[test]
    fn minimum_needs_both_sessions_and_hours() {
        assert!(
            !Tally {
                sessions: 4,
                hours: 7,
                ..Tally::default()
            }
            .met(&Plan::default())
        );
        assert!(
            !Tally {
                sessions: 3,
                hours: 9,
                ..Tally::default()
            }
            .met(&Plan::default())
        );
        assert!(
            Tally {
                sessions: 4,
                hours: 8,
                ..Tally::default()
            }
            .met(&Plan::default())
        );
    }

    #[test]
    fn a_class_is_on_track_when_what_is_planned_would_meet_the_minimum() {
        let plan = Plan::default();
        let t = Tally {
            sessions: 1,
            hours: 2,
            sessions_planned: 2,
            hours_planned: 4,
        };
        assert!(!t.met(&plan) && !t.on_track(&plan));
        assert_eq!((t.sessions_missing(&plan), t.hours_missing(&plan)), (1, 2));
        let t = t.plus(Tally {
            sessions_planned: 1,
            hours_planned: 2,
            ..Tally::default()
        });
        assert!(t.on_track(&plan) && !t.met(&plan));
        assert_eq!(t.plus(t.negated()), Tally::default());
    }

    #[test]
    fn questionnaire_rounds_follow_held_sessions() {
        assert_eq!(Phase::open_for(0, &Plan::default()), Some(Phase::Before));
        assert_eq!(Phase::open_for(1, &Plan::default()), None);
        assert_eq!(Phase::open_for(3, &Plan::default()), None);
        assert_eq!(Phase::open_for(4, &Plan::default()), Some(Phase::After));
        assert_eq!(Phase::open_for(6, &Plan::default()), Some(Phase::After));
        // Another plan asks for two sessions: the second round opens sooner.
        let two = Plan {
            sessions_per_year: 2,
            ..Plan::default()
        };
        assert_eq!(Phase::open_for(2, &two), Some(Phase::After));
        assert!(
            Tally {
                sessions: 2,
                hours: 8,
                ..Tally::default()
            }
            .met(&two)
        );
    }

    #[test]
    fn questions_and_answers_are_checked() {
        let q = parse_questions("我能耐心倾听孩子\n\n我每周陪孩子阅读\n").expect("valid");
        assert_eq!(q.len(), 2);
        assert!(parse_questions("").is_err());
        assert!(parse_questions("短\n").is_err());
        assert!(parse_questions("我能耐心倾听孩子\n我能耐心倾听孩子").is_err());
        let many: String = (0..11).map(|i| format!("第{i}个问题内容\n")).collect();
        assert!(parse_questions(&many).is_err());
        assert!(parse_answers(&[1, 5], 2).is_ok());
        assert!(parse_answers(&[1], 2).is_err());
        assert!(parse_answers(&[0, 5], 2).is_err());
        assert!(parse_answers(&[3, 6], 2).is_err());
    }

    #[test]
    fn checkin_window_spans_the_session() {
        let (from, to) = checkin_window(10_000, 2, &Plan::default());
        assert_eq!(from, 10_000 - 1800);
        assert_eq!(to, 10_000 + 2 * 2700 + 7200);
        assert!(parse_class_hours(0).is_err());
        assert!(parse_class_hours(5).is_err());
        assert_eq!(parse_class_hours(2).expect("valid"), 2);
    }
}
