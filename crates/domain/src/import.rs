//! What each kind of import file holds: its columns, in Chinese as the
//! user's spreadsheet has them, and how a header row maps to them.

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Units,
    Classes,
    Teachers,
    Students,
    Guardians,
}

/// A column: its key in code, its header in the file, whether it must be filled.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub header: &'static str,
    pub required: bool,
}

const fn req(key: &'static str, header: &'static str) -> Column {
    Column {
        key,
        header,
        required: true,
    }
}
const fn opt(key: &'static str, header: &'static str) -> Column {
    Column {
        key,
        header,
        required: false,
    }
}

const UNITS: &[Column] = &[
    req("external_id", "外部编号"),
    req("name", "名称"),
    req("kind", "类型"),
    opt("parent", "上级外部编号"),
    opt("stages", "学段"),
];
const CLASSES: &[Column] = &[
    req("external_id", "外部编号"),
    req("school", "学校外部编号"),
    req("grade", "年级"),
    req("name", "班级名称"),
    opt("school_year", "学年"),
];
const TEACHERS: &[Column] = &[
    req("external_id", "工号"),
    req("name", "姓名"),
    opt("phone", "手机号"),
    opt("username", "用户名"),
    req("role", "角色"),
    req("unit", "单位外部编号"),
];
const STUDENTS: &[Column] = &[
    req("external_id", "学籍号"),
    req("name", "姓名"),
    opt("gender", "性别"),
    req("class", "班级外部编号"),
];
const GUARDIANS: &[Column] = &[
    req("student", "学生学籍号"),
    req("name", "家长姓名"),
    req("phone", "手机号"),
    req("relation", "关系"),
];

impl ImportKind {
    pub const ALL: [ImportKind; 5] = [
        Self::Units,
        Self::Classes,
        Self::Teachers,
        Self::Students,
        Self::Guardians,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Units => "units",
            Self::Classes => "classes",
            Self::Teachers => "teachers",
            Self::Students => "students",
            Self::Guardians => "guardians",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::invalid("kind", format!("未知的导入类型：{s}")))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Units => "单位（区、镇街、学校）",
            Self::Classes => "班级",
            Self::Teachers => "教师",
            Self::Students => "学生",
            Self::Guardians => "家长与监护关系",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Self::Units => UNITS,
            Self::Classes => CLASSES,
            Self::Teachers => TEACHERS,
            Self::Students => STUDENTS,
            Self::Guardians => GUARDIANS,
        }
    }

    /// The header row of a template file.
    pub fn headers(self) -> Vec<&'static str> {
        self.columns().iter().map(|c| c.header).collect()
    }

    /// Maps each column to its position in the file's header row. Every
    /// required column must be there; unknown and repeated headers are errors.
    pub fn map_headers(self, headers: &[String]) -> Result<Vec<Option<usize>>> {
        let cols = self.columns();
        let mut seen = std::collections::HashSet::new();
        for h in headers.iter().filter(|h| !h.is_empty()) {
            if !cols.iter().any(|c| c.header == h) {
                let expected: Vec<&str> = cols.iter().map(|c| c.header).collect();
                return Err(Error::invalid(
                    "file",
                    format!(
                        "表头“{h}”不是{}导入的列；应为：{}",
                        self.label(),
                        expected.join("、")
                    ),
                ));
            }
            if !seen.insert(h.as_str()) {
                return Err(Error::invalid("file", format!("表头“{h}”重复")));
            }
        }
        let positions: Vec<Option<usize>> = cols
            .iter()
            .map(|c| headers.iter().position(|h| h == c.header))
            .collect();
        let missing: Vec<&str> = cols
            .iter()
            .zip(&positions)
            .filter(|(c, p)| c.required && p.is_none())
            .map(|(c, _)| c.header)
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid(
                "file",
                format!("缺少必填的列：{}", missing.join("、")),
            ));
        }
        Ok(positions)
    }
}

/// One problem with one row, reported to the user.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// The row, by column key.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub number: usize,
    cells: Vec<(&'static str, &'static str, &'a str)>,
}

impl<'a> Row<'a> {
    pub fn new(
        kind: ImportKind,
        positions: &[Option<usize>],
        number: usize,
        cells: &'a [String],
    ) -> Row<'a> {
        let cells = kind
            .columns()
            .iter()
            .zip(positions)
            .map(|(c, p)| {
                (
                    c.key,
                    c.header,
                    p.and_then(|i| cells.get(i)).map_or("", |s| s.trim()),
                )
            })
            .collect();
        Row { number, cells }
    }

    /// The trimmed value of a column ("" when absent).
    pub fn get(&self, key: &str) -> &'a str {
        self.cells
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("", |c| c.2)
    }

    pub fn header(&self, key: &str) -> &'static str {
        self.cells
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("", |c| c.1)
    }

    /// An error on a column of this row.
    pub fn error(&self, key: &str, message: impl Into<String>) -> RowError {
        RowError {
            row: self.number,
            column: self.header(key).to_owned(),
            message: message.into(),
        }
    }

    /// The required columns that are empty.
    pub fn missing(&self, kind: ImportKind) -> Vec<RowError> {
        kind.columns()
            .iter()
            .filter(|c| c.required && self.get(c.key).is_empty())
            .map(|c| self.error(c.key, format!("“{}”不能为空", c.header)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_in_any_order() {
        let h: Vec<String> = ["班级外部编号", "姓名", "学籍号"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let p = ImportKind::Students.map_headers(&h).expect("maps");
        assert_eq!(p, vec![Some(2), Some(1), None, Some(0)]);
        let cells: Vec<String> = ["C1", " 张三 ", "S1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let row = Row::new(ImportKind::Students, &p, 2, &cells);
        assert_eq!(row.get("name"), "张三");
        assert_eq!(row.get("gender"), "");
        assert!(row.missing(ImportKind::Students).is_empty());
    }

    #[test]
    fn wrong_headers_are_explained() {
        let h: Vec<String> = ["学籍号", "姓名"].iter().map(|s| s.to_string()).collect();
        let e = ImportKind::Students.map_headers(&h).expect_err("missing");
        assert!(e.message.contains("班级外部编号"), "{}", e.message);
        let h: Vec<String> = ["学籍号", "姓名", "班级外部编号", "身份证号"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let e = ImportKind::Students.map_headers(&h).expect_err("unknown");
        assert!(e.message.contains("身份证号"));
        let h: Vec<String> = ["学籍号", "姓名", "姓名", "班级外部编号"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(
            ImportKind::Students
                .map_headers(&h)
                .expect_err("repeated")
                .message
                .contains("重复")
        );
    }
}
