//! The plan's numbers: what the city's action plan asks of every class,
//! school and district, kept as settings so that another city, or the next
//! plan, changes them without a new build. Qingdao's 2022-2024 plan is the
//! default (`../shared/seeds/000_716e47c459cfdaf6.txt`).

use crate::org::Grade;
use crate::{Error, Result};

/// Every number the plan sets, as one versioned whole.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(default)]
pub struct Plan {
    /// The plan's title, shown where its targets are.
    pub name: String,
    /// Sessions of the required course each class holds per school year.
    pub sessions_per_year: i64,
    /// Class hours of the required course each class holds per school year.
    pub hours_per_year: i64,
    /// Minutes in a class hour.
    pub class_hour_minutes: i64,
    /// The grades whose parents take the first lesson of a school stage
    /// (kindergarten, primary, junior and senior middle school entry).
    pub entry_grades: Vec<String>,
    /// Published micro-courses the plan asks for (千人微课).
    pub micro_course_goal: i64,
    /// Published lesson plans the plan asks for (千章教案).
    pub lesson_plan_goal: i64,
    /// Words that flag an appeal as urgent when written without a negation.
    pub urgent_words: Vec<String>,
    /// Master-teacher studios to build by the plan's end.
    pub studio_goal: i64,
    /// The fewest members of a school's work group.
    pub work_group_min: i64,
    /// Training hours every committee chair completes.
    pub chair_training_hours: i64,
    /// Months between joint meetings of a coordination group, at most.
    pub meeting_every_months: i64,
    /// Typical guidance activities selected each year.
    pub typical_activities_per_year: i64,
}

impl Default for Plan {
    fn default() -> Self {
        Plan::qingdao_2022()
    }
}

const URGENT_WORDS: &[&str] = &[
    "自杀",
    "轻生",
    "跳楼",
    "自残",
    "割腕",
    "不想活",
    "殴打",
    "打伤",
    "持刀",
    "性侵",
    "猥亵",
    "虐待",
    "家暴",
    "失踪",
    "离家出走",
    "食物中毒",
    "体罚",
];

impl Plan {
    /// 青岛市家校社协同育人行动计划（2022—2024年）.
    pub fn qingdao_2022() -> Plan {
        Plan {
            name: "青岛市家校社协同育人行动计划（2022—2024年）".into(),
            sessions_per_year: 4,
            hours_per_year: 8,
            class_hour_minutes: 45,
            entry_grades: ["K1", "P1", "J1", "S1"].map(String::from).to_vec(),
            micro_course_goal: 1000,
            lesson_plan_goal: 1000,
            urgent_words: URGENT_WORDS.iter().map(|w| (*w).to_owned()).collect(),
            studio_goal: 15,
            work_group_min: 6,
            chair_training_hours: 4,
            meeting_every_months: 6,
            typical_activities_per_year: 50,
        }
    }

    /// Length of one class hour, in seconds.
    pub fn class_hour_s(&self) -> i64 {
        self.class_hour_minutes * 60
    }

    /// Whether a grade's parents take the first lesson of a school stage.
    pub fn is_entry_grade(&self, code: &str) -> bool {
        self.entry_grades.iter().any(|g| g == code)
    }

    /// Checks every number and list, naming the field of the first that is
    /// out of bounds; tidies what can be tidied (spaces, repeated words).
    pub fn checked(mut self) -> Result<Plan> {
        self.name = self.name.trim().to_owned();
        let n = self.name.chars().count();
        if !(2..=100).contains(&n) {
            return Err(Error::invalid("name", "计划名称应为2至100字"));
        }
        let within = |field: &'static str, v: i64, lo: i64, hi: i64, what: &str| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(
                    field,
                    format!("{what}应在 {lo} 至 {hi} 之间"),
                ))
            }
        };
        within(
            "sessions_per_year",
            self.sessions_per_year,
            1,
            50,
            "每学年场次",
        )?;
        within("hours_per_year", self.hours_per_year, 1, 200, "每学年课时")?;
        within(
            "class_hour_minutes",
            self.class_hour_minutes,
            10,
            120,
            "每课时分钟数",
        )?;
        within(
            "micro_course_goal",
            self.micro_course_goal,
            0,
            1_000_000,
            "微课目标",
        )?;
        within(
            "lesson_plan_goal",
            self.lesson_plan_goal,
            0,
            1_000_000,
            "教案目标",
        )?;
        within("studio_goal", self.studio_goal, 0, 10_000, "名师工作室目标")?;
        within(
            "work_group_min",
            self.work_group_min,
            1,
            100,
            "工作小组最少人数",
        )?;
        within(
            "chair_training_hours",
            self.chair_training_hours,
            0,
            200,
            "家委会主任培训学时",
        )?;
        within(
            "meeting_every_months",
            self.meeting_every_months,
            1,
            24,
            "联席会议间隔月数",
        )?;
        within(
            "typical_activities_per_year",
            self.typical_activities_per_year,
            0,
            100_000,
            "典型活动年度遴选数",
        )?;
        if self.hours_per_year < self.sessions_per_year {
            return Err(Error::invalid(
                "hours_per_year",
                "每学年课时不能少于场次（每场至少1课时）",
            ));
        }
        let mut grades: Vec<String> = Vec::new();
        for g in &self.entry_grades {
            let code = g.trim();
            let grade =
                Grade::parse(code).map_err(|e| Error::invalid("entry_grades", e.message))?;
            let code = grade.code();
            if !grades.contains(&code) {
                grades.push(code);
            }
        }
        if grades.is_empty() {
            return Err(Error::invalid("entry_grades", "至少填写一个学段起始年级"));
        }
        self.entry_grades = grades;
        let mut words: Vec<String> = Vec::new();
        for w in &self.urgent_words {
            let w = w.trim();
            if w.is_empty() {
                continue;
            }
            if w.chars().count() > 20 {
                return Err(Error::invalid(
                    "urgent_words",
                    format!("“{w}”过长：每个词最多20字"),
                ));
            }
            if !words.iter().any(|x| x == w) {
                words.push(w.to_owned());
            }
        }
        if words.len() > 500 {
            return Err(Error::invalid("urgent_words", "紧急词最多500个"));
        }
        self.urgent_words = words;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qingdao_s_plan_is_the_default_and_passes_its_own_checks() {
        let p = Plan::default();
        assert_eq!((p.sessions_per_year, p.hours_per_year), (4, 8));
        assert_eq!(p.class_hour_s(), 45 * 60);
        assert!(p.is_entry_grade("P1") && !p.is_entry_grade("P2"));
        assert_eq!(p.clone().checked(), Ok(p));
    }

    #[test]
    fn bad_numbers_name_their_field_and_lists_are_tidied() {
        let bad = |f: fn(&mut Plan)| {
            let mut p = Plan::default();
            f(&mut p);
            p.checked().expect_err("refused").field
        };
        assert_eq!(bad(|p| p.sessions_per_year = 0), Some("sessions_per_year"));
        assert_eq!(bad(|p| p.hours_per_year = 2), Some("hours_per_year"));
        assert_eq!(
            bad(|p| p.class_hour_minutes = 500),
            Some("class_hour_minutes")
        );
        assert_eq!(
            bad(|p| p.entry_grades = vec!["十年级".into()]),
            Some("entry_grades")
        );
        assert_eq!(bad(|p| p.entry_grades.clear()), Some("entry_grades"));
        assert_eq!(bad(|p| p.name = " ".into()), Some("name"));
        let p = Plan {
            entry_grades: vec![" p1 ".into(), "一年级".into(), "J1".into()],
            urgent_words: vec![" 自杀 ".into(), "".into(), "自杀".into(), "霸凌".into()],
            ..Plan::default()
        }
        .checked()
        .expect("tidied");
        assert_eq!(p.entry_grades, ["P1", "J1"]);
        assert_eq!(p.urgent_words, ["自杀", "霸凌"]);
    }
}
