//! The expert pool (专家资源库, task 7 of the plan): external experts
//! (外援专家支持团) and local volunteers (本土专家志愿团) with their
//! specialties, region and availability; requests from a school or bureau
//! for a lecture or a review panel, accepted or declined by the expert;
//! ratings of lectures given; declared conflicts of interest, which keep an
//! expert off a panel of the unit concerned.

use crate::{Error, Result};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Pool {
    External,
    Local,
}

impl Pool {
    pub fn as_str(self) -> &'static str {
        match self {
            Pool::External => "external",
            Pool::Local => "local",
        }
    }
    pub fn parse(s: &str) -> Result<Pool> {
        match s {
            "external" => Ok(Pool::External),
            "local" => Ok(Pool::Local),
            _ => Err(Error::invalid("pool", "请选择外援专家或本土专家")),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Pool::External => "外援专家支持团",
            Pool::Local => "本土专家志愿团",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 讲座.
    Lecture,
    /// 评审.
    Panel,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Lecture => "lecture",
            RequestKind::Panel => "panel",
        }
    }
    pub fn parse(s: &str) -> Result<RequestKind> {
        match s {
            "lecture" => Ok(RequestKind::Lecture),
            "panel" => Ok(RequestKind::Panel),
            _ => Err(Error::invalid("kind", "请选择讲座或评审")),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Lecture => "讲座",
            RequestKind::Panel => "评审",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for the expert's answer.
    Requested,
    Accepted,
    Declined,
    /// Withdrawn by the requester.
    Cancelled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Requested => "requested",
            RequestStatus::Accepted => "accepted",
            RequestStatus::Declined => "declined",
            RequestStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Result<RequestStatus> {
        match s {
            "requested" => Ok(RequestStatus::Requested),
            "accepted" => Ok(RequestStatus::Accepted),
            "declined" => Ok(RequestStatus::Declined),
            "cancelled" => Ok(RequestStatus::Cancelled),
            _ => Err(Error::internal()),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Requested => "待专家答复",
            RequestStatus::Accepted => "已接受",
            RequestStatus::Declined => "已婉拒",
            RequestStatus::Cancelled => "已撤回",
        }
    }
}

/// Whether two spans of time overlap (each from its start, up to its end).
pub fn overlaps(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Specialties as typed (separated by commas, spaces or 、), trimmed,
/// without repeats: 1 to 10 of 2 to 20 characters.
pub fn checked_specialties(raw: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace()) {
        let s = s.trim();
        if s.is_empty() || out.iter().any(|x| x == s) {
            continue;
        }
        let n = s.chars().count();
        if !(2..=20).contains(&n) {
            return Err(Error::invalid(
                "specialties",
                "每个专长 2 至 20 字，用逗号或顿号分隔",
            ));
        }
        out.push(s.to_owned());
    }
    if out.is_empty() || out.len() > 10 {
        return Err(Error::invalid(
            "specialties",
            "请填写 1 至 10 个专长，用逗号或顿号分隔",
        ));
    }
    Ok(out)
}

/// A rating: 1 to 5.
pub fn checked_score(n: i64) -> Result<i64> {
    if !(1..=5).contains(&n) {
        return Err(Error::invalid("score", "评分为 1 至 5 分"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_overlap_only_when_they_share_time() {
        assert!(overlaps((0, 10), (5, 15)));
        assert!(!overlaps((0, 10), (10, 20)), "back to back is fine");
        assert!(overlaps((0, 30), (10, 20)));
    }

    #[test]
    fn specialties_are_split_and_checked() {
        assert_eq!(
            checked_specialties("青春期教育、亲子沟通, 青春期教育").expect("ok"),
            vec!["青春期教育", "亲子沟通"]
        );
        assert!(checked_specialties("  ").is_err());
        assert!(checked_specialties("心").is_err());
        assert!(checked_score(6).is_err());
    }

    #[test]
    fn kinds_round_trip() {
        assert_eq!(Pool::parse("local").expect("pool"), Pool::Local);
        assert_eq!(
            RequestKind::parse("panel").expect("kind"),
            RequestKind::Panel
        );
        assert_eq!(
            RequestStatus::parse("declined").expect("status"),
            RequestStatus::Declined
        );
    }
}
