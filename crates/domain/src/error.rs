//! Stable error codes. The API returns `{"code", "message"}`; pages show the
//! Chinese message. A code, once published, never changes its meaning.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    ValidationFailed,
    Unauthenticated,
    InvalidCredentials,
    SessionExpired,
    PasswordChangeRequired,
    SecondFactorRequired,
    ReauthRequired,
    CsrfFailed,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    AccountLocked,
    RateLimited,
    /// The database cannot be reached for a moment (a restart, a fail-over):
    /// nothing was done; the same request may be sent again shortly.
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::ValidationFailed => "validation_failed",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::SessionExpired => "session_expired",
            Self::PasswordChangeRequired => "password_change_required",
            Self::SecondFactorRequired => "second_factor_required",
            Self::ReauthRequired => "reauth_required",
            Self::CsrfFailed => "csrf_failed",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::AccountLocked => "account_locked",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::ValidationFailed => 422,
            Self::Unauthenticated
            | Self::InvalidCredentials
            | Self::SessionExpired
            | Self::SecondFactorRequired => 401,
            Self::PasswordChangeRequired
            | Self::ReauthRequired
            | Self::CsrfFailed
            | Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::AccountLocked => 423,
            Self::RateLimited => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// The default message shown to a user, in Simplified Chinese.
    pub fn default_message(self) -> &'static str {
        match self {
            Self::BadRequest => "请求格式不正确",
            Self::ValidationFailed => "填写的内容有误，请检查后重试",
            Self::Unauthenticated => "请先登录",
            Self::InvalidCredentials => "用户名或密码不正确（连续输错5次，账号将锁定15分钟）",
            Self::SessionExpired => "登录已过期，请重新登录",
            Self::PasswordChangeRequired => "首次登录请先修改密码",
            Self::SecondFactorRequired => "管理员账号须输入动态口令完成登录",
            Self::ReauthRequired => "此操作须再次输入动态口令确认身份",
            Self::CsrfFailed => "页面已过期，请刷新后重试",
            Self::Forbidden => "没有权限进行此操作",
            Self::NotFound => "未找到相应内容",
            Self::Conflict => "内容已存在或与现有数据冲突",
            Self::PayloadTooLarge => "提交的内容过大",
            Self::AccountLocked => "登录失败次数过多，账号已锁定15分钟",
            Self::RateLimited => "操作过于频繁，请稍后再试",
            Self::Unavailable => "系统正在重启或维护，刚才的操作没有保存，请稍后重试",
            Self::Internal => "系统繁忙，请稍后再试",
        }
    }
}

/// An error a user can see: a stable code, a Chinese message, and the form
/// field it concerns, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<&'static str>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: code.default_message().to_owned(),
            field: None,
        }
    }
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }
    /// A validation error on one field, with its own message.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::ValidationFailed,
            message: message.into(),
            field: Some(field),
        }
    }
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden)
    }
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::with_message(ErrorCode::Conflict, message)
    }
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}
