//! One-time codes sent to a phone: a phone number is not an identity until
//! a code sent to it comes back. Six digits, five minutes, five tries, and
//! limits per phone and per address that hold whether or not the number
//! belongs to anyone, so the answer never tells who is registered.

use crate::{Error, ErrorCode, Result};

/// What a code is for; a code sent for one purpose opens nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Sign up with a phone, or accept the account a school's import made.
    Register,
    /// Ask to be bound to a child of a class.
    Bind,
    /// Move one's account to a new phone number.
    ChangePhone,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Self::Register, Self::Bind, Self::ChangePhone];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Bind => "bind",
            Self::ChangePhone => "change_phone",
        }
    }

    pub fn parse(s: &str) -> Result<Purpose> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("purpose", "验证码用途不正确"))
    }

    /// The words of the text message.
    pub fn label(self) -> &'static str {
        match self {
            Self::Register => "注册或激活账号",
            Self::Bind => "绑定孩子",
            Self::ChangePhone => "更换手机号",
        }
    }
}

/// Digits in a code.
pub const CODE_DIGITS: usize = 6;
/// A code's life, in seconds.
pub const CODE_TTL_S: i64 = 5 * 60;
/// Wrong answers before a code is spent.
pub const MAX_TRIES: i64 = 5;

pub use crate::throttle::{PER_ADDRESS, PER_PHONE};

/// A code as the user typed it: six digits, spaces ignored.
pub fn parse_code(raw: &str) -> Result<String> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(Error::invalid("sms_code", "请输入短信中的6位验证码"))
    }
}

/// The one answer to a wrong, spent, expired or unknown code.
pub fn wrong_code() -> Error {
    Error::invalid(
        "sms_code",
        "验证码不正确或已过期，请重新获取（每个验证码5分钟内有效，最多尝试5次）",
    )
}

/// The answer when a limit is reached.
pub fn too_many_codes() -> Error {
    Error::with_message(ErrorCode::RateLimited, "获取验证码过于频繁，请稍后再试")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(parse_code(" 123 456 ").expect("ok"), "123456");
        assert!(parse_code("12345").is_err());
        assert!(parse_code("12345a").is_err());
        assert!(parse_code("١٢٣٤٥٦").is_err(), "only ASCII digits");
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Ok(p));
        }
    }
}
