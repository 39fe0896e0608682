//! Accounts, roles and the rules for usernames, phone numbers and passwords.

use crate::org::UnitKind;
use crate::{Error, Result};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CityAdmin,
    DistrictAdmin,
    SubdistrictAdmin,
    SchoolAdmin,
    Coordinator,
    HeadTeacher,
    Instructor,
    Teacher,
    Expert,
    /// 教研员: a guidance centre's (or family education section's) staff.
    Researcher,
    Parent,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
}

impl Role {
    pub const ALL: [Role; 14] = [
        Self::CityAdmin,
        Self::DistrictAdmin,
        Self::SubdistrictAdmin,
        Self::SchoolAdmin,
        Self::Coordinator,
        Self::HeadTeacher,
        Self::Instructor,
        Self::Teacher,
        Self::Expert,
        Self::Researcher,
        Self::Parent,
        Self::SystemAdmin,
        Self::SecurityAdmin,
        Self::AuditAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CityAdmin => "city_admin",
            Self::DistrictAdmin => "district_admin",
            Self::SubdistrictAdmin => "subdistrict_admin",
            Self::SchoolAdmin => "school_admin",
            Self::Coordinator => "coordinator",
            Self::HeadTeacher => "head_teacher",
            Self::Instructor => "instructor",
            Self::Teacher => "teacher",
            Self::Expert => "expert",
            Self::Researcher => "researcher",
            Self::Parent => "parent",
            Self::SystemAdmin => "system_admin",
            Self::SecurityAdmin => "security_admin",
            Self::AuditAdmin => "audit_admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("role", format!("未知的角色：{s}")))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CityAdmin => "市级管理员",
            Self::DistrictAdmin => "区(市)管理员",
            Self::SubdistrictAdmin => "镇(街)管理员",
            Self::SchoolAdmin => "学校管理员",
            Self::Coordinator => "总协调员",
            Self::HeadTeacher => "班主任",
            Self::Instructor => "家庭教育指导教师",
            Self::Teacher => "教师",
            Self::Expert => "专家",
            Self::Researcher => "教研员",
            Self::Parent => "家长",
            Self::SystemAdmin => "系统管理员",
            Self::SecurityAdmin => "安全管理员",
            Self::AuditAdmin => "审计管理员",
        }
    }

    /// The four administrator levels rank 4 (city) down to 1 (school);
    /// every other role ranks 0. An administrator never grants a role that
    /// ranks above their own.
    pub fn admin_rank(self) -> u8 {
        match self {
            Self::CityAdmin => 4,
            Self::DistrictAdmin => 3,
            Self::SubdistrictAdmin => 2,
            Self::SchoolAdmin => 1,
            _ => 0,
        }
    }

    pub fn is_unit_admin(self) -> bool {
        self.admin_rank() > 0
    }

    /// The separate system, security and audit administrators (三员). They
    /// sit outside the tree's chain of command and are created from the
    /// command line only.
    pub fn is_platform_admin(self) -> bool {
        matches!(
            self,
            Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin
        )
    }

    /// Administrators get the shorter idle timeout.
    pub fn is_admin(self) -> bool {
        self.is_unit_admin() || self.is_platform_admin()
    }

    /// The kinds of unit a grant of this role may name.
    pub fn unit_kinds(self) -> &'static [UnitKind] {
        match self {
            Self::CityAdmin | Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin => {
                &[UnitKind::City]
            }
            Self::DistrictAdmin => &[UnitKind::District],
            Self::SubdistrictAdmin => &[UnitKind::Subdistrict],
            Self::SchoolAdmin | Self::Coordinator | Self::Teacher => &[UnitKind::School],
            Self::Instructor => &[UnitKind::School, UnitKind::Grade],
            Self::HeadTeacher | Self::Parent => &[UnitKind::Class],
            Self::Expert | Self::Researcher => &[UnitKind::City, UnitKind::District],
        }
    }
}

/// An account as the rest of the system sees it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Account {
    pub id: i64,
    pub username: String,
    /// The phone number as lists show it (`139****0001`).
    #[serde(skip)]
    pub phone_mask: Option<String>,
    /// The phone number sealed at rest: opened only where a role needs the
    /// whole number (a reveal, a text message).
    #[serde(skip)]
    pub phone_sealed: Option<String>,
    pub display_name: String,
    pub must_change_password: bool,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: i64,
    pub created_at: i64,
    pub last_login_at: i64,
}

impl Account {
    pub fn masked_phone(&self) -> String {
        self.phone_mask.clone().unwrap_or_default()
    }
    pub fn is_locked(&self, now: i64) -> bool {
        self.locked_until > now
    }
}

/// What a phone number becomes at rest: its keyed look-up hash (unique,
/// for sign-in and search), its sealed value and the masked form lists show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPhone {
    pub key: String,
    pub sealed: String,
    pub mask: String,
}

/// A login name: 3 to 32 characters of ASCII letters, digits, `-`, `_`, `.`.
pub fn parse_username(raw: &str) -> Result<String> {
    let u = raw.trim();
    if u.len() < 3 || u.len() > 32 {
        return Err(Error::invalid("username", "用户名长度为3到32个字符"));
    }
    if !u
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::invalid(
            "username",
            "用户名只能包含英文字母、数字、-、_ 和 .",
        ));
    }
    if u.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(
            "username",
            "用户名不能全是数字（手机号请填在手机号一栏）",
        ));
    }
    Ok(u.to_ascii_lowercase())
}

/// A mainland mobile number: 11 digits starting with 1[3-9]. Spaces, dashes
/// and a leading +86 are accepted and removed.
pub fn parse_phone(raw: &str) -> Result<String> {
    let mut s: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if let Some(rest) = s.strip_prefix("+86") {
        s = rest.to_owned();
    }
    let ok = s.len() == 11
        && s.chars().all(|c| c.is_ascii_digit())
        && s.starts_with('1')
        && matches!(s.as_bytes()[1], b'3'..=b'9');
    if ok {
        Ok(s)
    } else {
        Err(Error::invalid("phone", format!("手机号格式不正确：{raw}")))
    }
}

/// 138****0000: the first three and last four digits.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "****".to_owned()
    }
}

/// Spaces inside a name as it should read: none between two Chinese
/// characters (“张  伟”, padded to line up in a spreadsheet, is 张伟), one
/// elsewhere (“Anna  Li” is “Anna Li”), none at either end.
pub fn tidy_name(raw: &str) -> String {
    let cjk = |c: char| ('\u{3400}'..='\u{9fff}').contains(&c) || c == '·';
    let mut out = String::with_capacity(raw.len());
    let mut gap = false;
    for c in raw.trim().chars() {
        if c.is_whitespace() {
            gap = true;
            continue;
        }
        if gap && !(out.chars().last().is_some_and(cjk) && cjk(c)) {
            out.push(' ');
        }
        gap = false;
        out.push(c);
    }
    out
}

/// A person's display name: 1 to 40 characters, tidied ([`tidy_name`]).
pub fn parse_person_name(raw: &str) -> Result<String> {
    let tidy = tidy_name(raw);
    let n = tidy.as_str();
    let len = n.chars().count();
    if len == 0 {
        return Err(Error::invalid("display_name", "请填写姓名"));
    }
    if len > 40 || n.chars().any(char::is_control) {
        return Err(Error::invalid("display_name", "姓名过长或含有不可见字符"));
    }
    Ok(n.to_owned())
}

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// The password rules: at least 10 characters, at most 128, not a common
/// password, and not containing the username.
pub fn check_password(password: &str, username: &str) -> Result<()> {
    let n = password.chars().count();
    if n < 10 {
        return Err(Error::invalid("password", "密码至少10个字符"));
    }
    if n > 128 {
        return Err(Error::invalid("password", "密码不能超过128个字符"));
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(Error::invalid("password", "密码不能包含用户名"));
    }
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if distinct.len() < 4 || COMMON_PASSWORDS.lines().any(|c| c.trim() == lower) {
        return Err(Error::invalid(
            "password",
            "密码过于常见，请换一个不易被猜到的密码",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_the_padding_of_spreadsheets() {
        assert_eq!(parse_person_name("  张\u{3000} 伟 ").expect("ok"), "张伟");
        assert_eq!(parse_person_name("Anna   Li").expect("ok"), "Anna Li");
        assert_eq!(
            parse_person_name("买买提 · 艾力").expect("ok"),
            "买买提·艾力"
        );
        assert!(parse_person_name(" \u{3000} ").is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).expect("parses"), r);
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::CityAdmin.admin_rank() > Role::DistrictAdmin.admin_rank());
        assert_eq!(Role::Teacher.admin_rank(), 0);
    }

    #[test]
    fn usernames() {
        assert_eq!(parse_username(" City-Admin ").expect("valid"), "city-admin");
        assert!(parse_username("ab").is_err());
        assert!(parse_username("张三").is_err());
        assert!(parse_username("13800000000").is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(
            parse_phone("+86 138-0000-1234").expect("valid"),
            "13800001234"
        );
        assert!(parse_phone("12800001234").is_err());
        assert!(parse_phone("1380000123").is_err());
        assert!(parse_phone("1380000123x").is_err());
        assert_eq!(mask_phone("13800001234"), "138****1234");
    }

    #[test]
    fn passwords() {
        assert!(check_password("short", "bob").is_err());
        assert!(check_password("1234567890", "bob").is_err());
        assert!(check_password("qwertyuiop", "bob").is_err());
        assert!(check_password("aaaaaaaaaaaa", "bob").is_err());
        assert!(check_password("xx-city-admin-xx", "city-admin").is_err());
        assert!(check_password("海边的青岛2024秋", "city-admin").is_ok());
        assert!(check_password("Tide-Pool-42x", "bob").is_ok());
    }
}
