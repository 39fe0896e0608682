//! Instructor certification (家庭教育指导师, task 6 of the plan): a ladder of
//! levels from junior lecturer to senior instructor whose names and
//! criteria are settings; the evidence a person's record on the platform
//! gives (training hours, required-course sessions held and the parents'
//! ratings of them, lectures, studio membership); and what an application,
//! a review and a certificate may be.

use crate::{Error, Result};

/// The fixed codes of the ladder, lowest first; their names are settings.
pub const LEVEL_CODES: [&str; 5] = [
    "junior_lecturer",
    "intermediate_lecturer",
    "senior_lecturer",
    "instructor",
    "senior_instructor",
];

/// A renewal may be asked for this long before a certificate expires.
pub const RENEWAL_WINDOW_S: i64 = 90 * 86_400;

/// A level of the ladder with what it asks.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[schemars(rename = "CertificationLevel")]
pub struct Level {
    /// 1 (lowest) to 5.
    pub rank: i64,
    pub code: String,
    pub name: String,
    pub min_training_hours: i64,
    pub min_sessions_held: i64,
    /// The parents' average rating of those sessions, in tenths (43 = 4.3); 0 asks none.
    pub min_rating_tenths: i64,
    pub min_lectures: i64,
    pub needs_studio: bool,
    pub valid_years: i64,
    /// Training hours since the certificate was issued that renew it.
    pub renewal_hours: i64,
}

impl Level {
    /// Checks a level's settings as the city enters them.
    pub fn checked(self) -> Result<Level> {
        let name = self.name.trim().to_owned();
        let n = name.chars().count();
        if !(2..=20).contains(&n) {
            return Err(Error::invalid("name", "等级名称应为 2 至 20 个字"));
        }
        let within = |field: &'static str, what: &str, v: i64, max: i64| {
            if (0..=max).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("{what}应为 0 至 {max}")))
            }
        };
        within(
            "min_training_hours",
            "培训学时",
            self.min_training_hours,
            1000,
        )?;
        within(
            "min_sessions_held",
            "授课场次",
            self.min_sessions_held,
            1000,
        )?;
        within("min_rating_tenths", "家长评分", self.min_rating_tenths, 50)?;
        within("min_lectures", "讲座次数", self.min_lectures, 1000)?;
        within("renewal_hours", "续期学时", self.renewal_hours, 1000)?;
        if !(1..=10).contains(&self.valid_years) {
            return Err(Error::invalid("valid_years", "有效期应为 1 至 10 年"));
        }
        Ok(Level { name, ..self })
    }
}

/// What the platform holds of a person, counted for an application.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct Evidence {
    /// Hours credited by training sessions attended (since the certificate
    /// being renewed was issued, for a renewal).
    pub training_hours: i64,
    /// Required-course sessions the person taught and marked held.
    pub sessions_held: i64,
    /// Parents' ratings of those sessions, and their average in tenths.
    pub ratings: i64,
    pub rating_tenths: i64,
    /// Lectures given: training sessions presented, a guidance centre's
    /// lectures, lectures accepted from the expert pool; each already held.
    pub lectures: i64,
    /// A member of a selected master-teacher studio.
    pub in_studio: bool,
}

/// One criterion of a level beside what the evidence shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Criterion {
    pub key: &'static str,
    pub label: &'static str,
    /// What the level asks and what the person has, as shown.
    pub wanted: String,
    pub have: String,
    pub met: bool,
}

fn tenths(t: i64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// Each criterion of `level` against `e`; a renewal asks for the renewal
/// hours of training instead of the level's total.
pub fn criteria(level: &Level, e: &Evidence, renewal: bool) -> Vec<Criterion> {
    let hours = if renewal {
        level.renewal_hours
    } else {
        level.min_training_hours
    };
    let mut out = vec![
        Criterion {
            key: "training_hours",
            label: if renewal {
                "获证以来培训学时"
            } else {
                "培训学时"
            },
            wanted: format!("≥ {hours}"),
            have: e.training_hours.to_string(),
            met: e.training_hours >= hours,
        },
        Criterion {
            key: "sessions_held",
            label: "讲授必修课场次",
            wanted: format!("≥ {}", level.min_sessions_held),
            have: e.sessions_held.to_string(),
            met: e.sessions_held >= level.min_sessions_held,
        },
    ];
    if level.min_rating_tenths > 0 {
        out.push(Criterion {
            key: "rating",
            label: "家长评分（平均）",
            wanted: format!("≥ {}", tenths(level.min_rating_tenths)),
            have: if e.ratings == 0 {
                "暂无评分".into()
            } else {
                format!("{}（{} 人评）", tenths(e.rating_tenths), e.ratings)
            },
            met: e.ratings > 0 && e.rating_tenths >= level.min_rating_tenths,
        });
    }
    if level.min_lectures > 0 {
        out.push(Criterion {
            key: "lectures",
            label: "讲座次数",
            wanted: format!("≥ {}", level.min_lectures),
            have: e.lectures.to_string(),
            met: e.lectures >= level.min_lectures,
        });
    }
    if level.needs_studio {
        out.push(Criterion {
            key: "studio",
            label: "名师工作室成员",
            wanted: "是".into(),
            have: if e.in_studio { "是" } else { "否" }.into(),
            met: e.in_studio,
        });
    }
    out
}

/// Whether `e` meets every criterion of `level`.
pub fn meets(level: &Level, e: &Evidence, renewal: bool) -> bool {
    criteria(level, e, renewal).iter().all(|c| c.met)
}

/// An average of ratings 1–5 in tenths, rounded down.
pub fn average_tenths(sum: i64, count: i64) -> i64 {
    if count <= 0 { 0 } else { sum * 10 / count }
}

/// Where an application stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "CertificationStatus")]
pub enum Status {
    /// Waiting for the district.
    Submitted,
    /// Approved by the district, waiting for the city.
    DistrictApproved,
    Certified,
    Rejected,
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::DistrictApproved => "district_approved",
            Status::Certified => "certified",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Result<Status> {
        match s {
            "submitted" => Ok(Status::Submitted),
            "district_approved" => Ok(Status::DistrictApproved),
            "certified" => Ok(Status::Certified),
            "rejected" => Ok(Status::Rejected),
            "withdrawn" => Ok(Status::Withdrawn),
            _ => Err(Error::internal()),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Submitted => "待区(市)审核",
            Status::DistrictApproved => "待市级认定",
            Status::Certified => "已认定",
            Status::Rejected => "未通过",
            Status::Withdrawn => "已撤回",
        }
    }
    /// Still with a reviewer.
    pub fn open(self) -> bool {
        matches!(self, Status::Submitted | Status::DistrictApproved)
    }
}

/// What a certificate's verification page says of it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    Valid,
    Expired,
    Revoked,
}

impl Validity {
    pub fn of(valid_until: i64, revoked_at: i64, now: i64) -> Validity {
        if revoked_at > 0 {
            Validity::Revoked
        } else if now > valid_until {
            Validity::Expired
        } else {
            Validity::Valid
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Validity::Valid => "有效",
            Validity::Expired => "已过期",
            Validity::Revoked => "已撤销",
        }
    }
}

/// What a person may apply for, given the certificate they hold now (its
/// rank, validity end, whether revoked): the next level, or a renewal of
/// theirs when it ends within the renewal window or has ended.
pub fn next_step(held: Option<(i64, i64)>, now: i64) -> Option<(i64, bool)> {
    match held {
        None => Some((1, false)),
        Some((rank, until)) => {
            if until - now <= RENEWAL_WINDOW_S {
                Some((rank, true))
            } else if rank < LEVEL_CODES.len() as i64 {
                Some((rank + 1, false))
            } else {
                None
            }
        }
    }
}

/// Whether `rank` may be applied for by someone holding `held` (see
/// [`next_step`]): the next level while the current is valid, or a renewal.
pub fn may_apply(held: Option<(i64, i64)>, rank: i64, now: i64) -> Result<bool> {
    let renewal = match held {
        Some((h, until)) if h == rank => {
            if until - now > RENEWAL_WINDOW_S {
                return Err(Error::conflict("证书有效期结束前 90 天内方可申请续期"));
            }
            true
        }
        Some((h, until)) if rank == h + 1 && until >= now => false,
        None if rank == 1 => false,
        _ => {
            return Err(Error::invalid(
                "level",
                "须逐级申请：请先取得并保持上一级证书有效",
            ));
        }
    };
    Ok(renewal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level() -> Level {
        Level {
            rank: 2,
            code: LEVEL_CODES[1].into(),
            name: "中级讲师".into(),
            min_training_hours: 16,
            min_sessions_held: 6,
            min_rating_tenths: 40,
            min_lectures: 1,
            needs_studio: false,
            valid_years: 3,
            renewal_hours: 12,
        }
    }

    #[test]
    fn criteria_follow_the_evidence() {
        let mut e = Evidence {
            training_hours: 16,
            sessions_held: 6,
            ratings: 10,
            rating_tenths: 40,
            lectures: 1,
            in_studio: false,
        };
        assert!(meets(&level(), &e, false));
        e.rating_tenths = 39;
        let c = criteria(&level(), &e, false);
        assert_eq!(
            c.iter()
                .filter(|c| !c.met)
                .map(|c| c.key)
                .collect::<Vec<_>>(),
            ["rating"]
        );
        e.rating_tenths = 45;
        e.ratings = 0;
        assert!(
            !meets(&level(), &e, false),
            "no rating meets no rating floor"
        );
        e.ratings = 3;
        e.training_hours = 12;
        assert!(!meets(&level(), &e, false));
        assert!(meets(&level(), &e, true), "renewal asks its own hours");
    }

    #[test]
    fn the_ladder_is_climbed_a_step_at_a_time() {
        let now = 1_000_000_000;
        let year = 365 * 86_400;
        assert_eq!(next_step(None, now), Some((1, false)));
        assert_eq!(next_step(Some((2, now + year)), now), Some((3, false)));
        assert_eq!(
            next_step(Some((2, now + 10 * 86_400)), now),
            Some((2, true))
        );
        assert_eq!(next_step(Some((5, now + year)), now), None);
        assert!(may_apply(None, 2, now).is_err());
        assert!(!may_apply(None, 1, now).expect("first"));
        assert!(!may_apply(Some((1, now + year)), 2, now).expect("next"));
        assert!(may_apply(Some((1, now - 1)), 2, now).is_err(), "expired");
        assert!(
            may_apply(Some((1, now + year)), 1, now).is_err(),
            "too early"
        );
        assert!(may_apply(Some((1, now + 86_400)), 1, now).expect("renew"));
        assert!(may_apply(Some((1, now + year)), 3, now).is_err(), "skips");
    }

    #[test]
    fn settings_are_checked() {
        assert!(level().checked().is_ok());
        let bad = Level {
            valid_years: 0,
            ..level()
        };
        assert_eq!(bad.checked().expect_err("years").field, Some("valid_years"));
        let bad = Level {
            name: " 讲 ".into(),
            ..level()
        };
        assert!(bad.checked().is_err());
        assert_eq!(average_tenths(43, 10), 43);
        assert_eq!(average_tenths(0, 0), 0);
        assert_eq!(Validity::of(100, 0, 101), Validity::Expired);
        assert_eq!(Validity::of(100, 5, 50), Validity::Revoked);
    }
}
