//! The org tree: city → district → subdistrict → school → grade → class.
//!
//! Every unit carries a materialised path of its ancestors' ids, `/1/5/23/`,
//! so that "is this unit inside that subtree" is a prefix test, in Rust and
//! in SQL alike.

use crate::{Error, Result};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    City,
    District,
    Subdistrict,
    School,
    Grade,
    Class,
}

impl UnitKind {
    pub const ALL: [UnitKind; 6] = [
        Self::City,
        Self::District,
        Self::Subdistrict,
        Self::School,
        Self::Grade,
        Self::Class,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::District => "district",
            Self::Subdistrict => "subdistrict",
            Self::School => "school",
            Self::Grade => "grade",
            Self::Class => "class",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::invalid("kind", format!("未知的单位类型：{s}")))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::City => "市",
            Self::District => "区(市)",
            Self::Subdistrict => "镇(街)",
            Self::School => "学校",
            Self::Grade => "年级",
            Self::Class => "班级",
        }
    }

    /// The kind of unit that sits directly below this one.
    pub fn child(self) -> Option<UnitKind> {
        match self {
            Self::City => Some(Self::District),
            Self::District => Some(Self::Subdistrict),
            Self::Subdistrict => Some(Self::School),
            Self::School => Some(Self::Grade),
            Self::Grade => Some(Self::Class),
            Self::Class => None,
        }
    }
}

/// 学段.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Kindergarten,
    Primary,
    Junior,
    Senior,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Self::Kindergarten,
        Self::Primary,
        Self::Junior,
        Self::Senior,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kindergarten => "kindergarten",
            Self::Primary => "primary",
            Self::Junior => "junior",
            Self::Senior => "senior",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Kindergarten => "幼儿园",
            Self::Primary => "小学",
            Self::Junior => "初中",
            Self::Senior => "高中",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s || st.label() == s)
            .ok_or_else(|| Error::invalid("stages", format!("未知的学段：{s}")))
    }

    /// The grades of the stage, in order: K1–K3, P1–P6, J1–J3, S1–S3.
    pub fn grades(self) -> Vec<Grade> {
        let (prefix, n) = match self {
            Self::Kindergarten => ('K', 3),
            Self::Primary => ('P', 6),
            Self::Junior => ('J', 3),
            Self::Senior => ('S', 3),
        };
        (1..=n)
            .map(|i| Grade {
                stage: self,
                year: i,
                prefix,
            })
            .collect()
    }

    /// Parses a comma-separated list of stages as stored on a school.
    pub fn parse_list(s: &str) -> Result<Vec<Stage>> {
        let mut out = Vec::new();
        for part in s
            .split([',', '，', '、'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let st = Stage::parse(part)?;
            if !out.contains(&st) {
                out.push(st);
            }
        }
        if out.is_empty() {
            return Err(Error::invalid("stages", "学校至少要有一个学段"));
        }
        out.sort();
        Ok(out)
    }

    pub fn join(stages: &[Stage]) -> String {
        stages
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// 年级: a stage and the year within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grade {
    pub stage: Stage,
    pub year: u8,
    prefix: char,
}

impl Grade {
    pub fn code(&self) -> String {
        format!("{}{}", self.prefix, self.year)
    }

    /// A grade by its code (P1) or its name as schools write it (一年级,
    /// 初一, 高三, 小班; 七年级 to 九年级 for the junior years; 1年级).
    /// An unknown value is refused with the list of what is accepted.
    pub fn parse(raw: &str) -> Result<Grade> {
        let raw = raw.trim();
        let code = raw.to_ascii_uppercase();
        let all: Vec<Grade> = Stage::ALL.into_iter().flat_map(|s| s.grades()).collect();
        let digits = |s: &str| -> Option<u32> {
            const CN: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
            CN.iter()
                .position(|d| !d.is_empty() && *d == s)
                .map(|i| i as u32)
                .or_else(|| s.parse::<u32>().ok())
        };
        let by_year = |s: &str| -> Option<String> {
            let n = digits(s.strip_suffix("年级")?)?;
            match n {
                1..=6 => Some(format!("P{n}")),
                7..=9 => Some(format!("J{}", n - 6)),
                _ => None,
            }
        };
        let wanted = by_year(raw).unwrap_or(code);
        all.iter()
            .find(|g| g.code() == wanted || g.label() == raw)
            .cloned()
            .ok_or_else(|| {
                let list: Vec<String> = all
                    .iter()
                    .map(|g| format!("{} {}", g.code(), g.label()))
                    .collect();
                Error::invalid(
                    "grade",
                    format!("未知的年级：{raw}。可填写代码或名称：{}", list.join("、")),
                )
            })
    }

    pub fn label(&self) -> String {
        const DIGITS: [&str; 7] = ["", "一", "二", "三", "四", "五", "六"];
        let n = DIGITS.get(self.year as usize).copied().unwrap_or("");
        match self.stage {
            Stage::Kindergarten => ["", "小班", "中班", "大班"]
                .get(self.year as usize)
                .copied()
                .unwrap_or("")
                .to_owned(),
            Stage::Primary => format!("{n}年级"),
            Stage::Junior => format!("初{n}"),
            Stage::Senior => format!("高{n}"),
        }
    }
}

/// Rollup counters kept on every unit for its whole subtree, itself
/// included, so that the org browser reads one row instead of counting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub schools: i64,
    pub classes: i64,
    pub students: i64,
    pub guardians: i64,
}

impl Counts {
    pub fn negate(self) -> Counts {
        Counts {
            schools: -self.schools,
            classes: -self.classes,
            students: -self.students,
            guardians: -self.guardians,
        }
    }
    pub fn is_zero(&self) -> bool {
        *self == Counts::default()
    }
}

/// One unit of the org tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Unit {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: UnitKind,
    pub name: String,
    pub external_id: Option<String>,
    pub path: String,
    pub depth: i64,
    /// Schools: the stages they teach.
    pub stages: Vec<Stage>,
    /// Grades and classes: the grade code (P1, J2, ...).
    pub grade: String,
    /// Classes: the calendar year in which their school year starts.
    pub school_year: i64,
    pub active: bool,
    pub counts: Counts,
}

impl Unit {
    /// The ids of the unit's ancestors, root first, the unit itself excluded.
    pub fn ancestor_ids(&self) -> Vec<i64> {
        let mut ids = path_ids(&self.path);
        ids.pop();
        ids
    }
    pub fn stage_labels(&self) -> String {
        self.stages
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// Siblings in the order a reader expects: active ones first; grades by
/// stage and year (小班 before 一年级 before 初一); classes by grade, then
/// by the numbers in their names (2班 before 10班); other units
/// (districts, subdistricts, schools) in the order they were registered,
/// the order the bureau keeps its own lists in (ADR 0017).
pub fn sort_siblings(units: &mut [Unit]) {
    units.sort_by_cached_key(|u| {
        let grade = if u.grade.is_empty() {
            None
        } else {
            Grade::parse(&u.grade).ok().map(|g| (g.stage, g.year))
        };
        let name = if grade.is_some() {
            crate::collate::numbered_key(&u.name)
        } else {
            String::new()
        };
        (!u.active, grade, name, u.id)
    });
}

/// A unit name: trimmed, 2 to 60 characters, no control characters.
pub fn parse_unit_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    let n = name.chars().count();
    if n < 2 {
        return Err(Error::invalid("name", "名称至少2个字"));
    }
    if n > 60 {
        return Err(Error::invalid("name", "名称不能超过60个字"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid("name", "名称含有不可见字符"));
    }
    Ok(name.to_owned())
}

/// The ids along a materialised path, root first: `/1/5/23/` → [1, 5, 23].
pub fn path_ids(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|p| p.parse().ok()).collect()
}

/// The path of a unit's parent: `/1/5/23/` → `/1/5/`; none for the root.
pub fn parent_path(path: &str) -> Option<String> {
    let trimmed = path.strip_suffix('/')?;
    let cut = trimmed.rfind('/')?;
    (cut > 0).then(|| trimmed[..=cut].to_owned())
}

/// True when `path` lies inside the subtree whose root has `root_path`.
pub fn path_within(path: &str, root_path: &str) -> bool {
    path.starts_with(root_path)
}

/// The exclusive upper bound of a subtree's paths for a range scan:
/// paths within `/1/5/` are those `>= "/1/5/"` and `< "/1/50"` ('0' follows '/').
pub fn path_upper_bound(root_path: &str) -> String {
    let mut s = root_path.trim_end_matches('/').to_owned();
    s.push('0');
    s
}

#[cfg(test)]
mod parent_path_tests {
    use super::parent_path;

    #[test]
    fn parents_of_paths() {
        assert_eq!(parent_path("/1/5/23/").as_deref(), Some("/1/5/"));
        assert_eq!(parent_path("/1/5/").as_deref(), Some("/1/"));
        assert_eq!(parent_path("/1/"), None);
        assert_eq!(parent_path(""), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_read_as_schools_write_them() {
        for (raw, code) in [
            ("P1", "P1"),
            ("p3", "P3"),
            ("一年级", "P1"),
            ("六年级", "P6"),
            ("3年级", "P3"),
            ("七年级", "J1"),
            ("初一", "J1"),
            ("初三", "J3"),
            ("高三", "S3"),
            ("小班", "K1"),
            (" 大班 ", "K3"),
        ] {
            assert_eq!(
                Grade::parse(raw).map(|g| g.code()).ok().as_deref(),
                Some(code),
                "{raw}"
            );
        }
        let e = Grade::parse("十年级").expect_err("no such grade");
        assert!(
            e.message.contains("P1 一年级") && e.message.contains("K1 小班"),
            "{}",
            e.message
        );
    }

    #[test]
    fn grades_and_labels() {
        let g = Grade::parse("p1").expect("valid grade");
        assert_eq!(g.code(), "P1");
        assert_eq!(g.label(), "一年级");
        assert_eq!(Grade::parse("K3").expect("valid").label(), "大班");
        assert_eq!(Grade::parse("J2").expect("valid").label(), "初二");
        assert!(Grade::parse("P7").is_err());
        assert_eq!(Stage::Primary.grades().len(), 6);
    }

    #[test]
    fn stage_lists() {
        let s = Stage::parse_list("初中，primary").expect("valid");
        assert_eq!(s, vec![Stage::Primary, Stage::Junior]);
        assert_eq!(Stage::join(&s), "primary,junior");
        assert!(Stage::parse_list(" , ").is_err());
        assert!(Stage::parse_list("大学").is_err());
    }

    #[test]
    fn paths() {
        assert_eq!(path_ids("/1/5/23/"), vec![1, 5, 23]);
        assert!(path_within("/1/5/23/", "/1/5/"));
        assert!(!path_within("/1/50/", "/1/5/"));
        let ub = path_upper_bound("/1/5/");
        assert_eq!(ub, "/1/50");
        assert!("/1/5/23/" < ub.as_str() && "/1/5/23/" >= "/1/5/");
        assert!("/1/50/" >= ub.as_str());
    }

    #[test]
    fn unit_names() {
        assert_eq!(parse_unit_name("  市南区 ").expect("valid"), "市南区");
        assert!(parse_unit_name("a").is_err());
        assert!(parse_unit_name(&"长".repeat(61)).is_err());
        assert!(parse_unit_name("abc\u{0007}").is_err());
    }
}
