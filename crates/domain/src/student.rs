//! Students and their guardians. A student belongs to one class; a student
//! has one or more guardians and a parent one or more children.

use crate::{Error, Result};

/// The version of the children's privacy notice (`/privacy/children`) a
/// guardian agrees to when asking to be bound to a child. A new text gets a
/// new version; each consent records the one it was given to.
pub const CHILDREN_NOTICE_VERSION: &str = "2026-12";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Student {
    pub id: i64,
    pub class_id: i64,
    pub name: String,
    pub gender: String,
    pub external_id: Option<String>,
    pub active: bool,
}

/// Where a guardian link stands: a parent asks, the head teacher confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    Pending,
    Confirmed,
    Rejected,
}

impl LinkStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(Self::Pending),
            "confirmed" => Ok(Self::Confirmed),
            "rejected" => Ok(Self::Rejected),
            _ => Err(Error::invalid("status", format!("未知的状态：{s}"))),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待确认",
            Self::Confirmed => "已确认",
            Self::Rejected => "已拒绝",
        }
    }
}

/// 男 / 女, or empty when not given.
pub fn parse_gender(raw: &str) -> Result<String> {
    match raw.trim() {
        "" => Ok(String::new()),
        "男" | "m" | "M" | "male" => Ok("男".into()),
        "女" | "f" | "F" | "female" => Ok("女".into()),
        other => Err(Error::invalid(
            "gender",
            format!("性别应为“男”或“女”：{other}"),
        )),
    }
}

/// The relation of a guardian to a child (父亲, 母亲, ...): 1 to 10 characters.
pub fn parse_relation(raw: &str) -> Result<String> {
    let r = raw.trim();
    let n = r.chars().count();
    if n == 0 || n > 10 {
        return Err(Error::invalid(
            "relation",
            "请填写与孩子的关系（如：父亲、母亲），不超过10个字",
        ));
    }
    Ok(r.to_owned())
}
