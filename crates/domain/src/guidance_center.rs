//! The family-education guidance centres (协同育人指导中心, task 2 of the
//! plan), one at the city and one in each district, with the district's
//! family education section, their researchers (教研员) and the services
//! they give.

use crate::{Error, Result};

/// What a service record is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// 咨询.
    Consultation,
    /// 讲座.
    Lecture,
    /// 培训.
    Training,
    /// 进校指导.
    SchoolVisit,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 4] = [
        ServiceKind::Consultation,
        ServiceKind::Lecture,
        ServiceKind::Training,
        ServiceKind::SchoolVisit,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Consultation => "consultation",
            ServiceKind::Lecture => "lecture",
            ServiceKind::Training => "training",
            ServiceKind::SchoolVisit => "school_visit",
        }
    }
    pub fn parse(s: &str) -> Result<ServiceKind> {
        ServiceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::invalid("kind", "请选择服务类型"))
    }
    pub fn label(self) -> &'static str {
        match self {
            ServiceKind::Consultation => "咨询",
            ServiceKind::Lecture => "讲座",
            ServiceKind::Training => "培训",
            ServiceKind::SchoolVisit => "进校指导",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in ServiceKind::ALL {
            assert_eq!(ServiceKind::parse(k.as_str()).expect("ok"), k);
        }
        assert!(ServiceKind::parse("party").is_err());
    }
}
