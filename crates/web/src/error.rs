//! Errors as the user sees them: JSON `{"code", "message"}` in the API, a
//! Chinese page elsewhere.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tongyu_domain::{Error, ErrorCode};

fn status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An API error.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

/// The body of every API error: a stable code, a message in Chinese, and
/// the field of the request it concerns, if one.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ApiErrorBody<'a> {
    pub code: ErrorCode,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            code: self.0.code,
            message: &self.0.message,
            field: self.0.field,
        };
        let mut res = (status(self.0.code), Json(body)).into_response();
        retry_after(&mut res, self.0.code);
        res
    }
}

/// A moment's outage says when to come back.
fn retry_after(res: &mut Response, code: ErrorCode) {
    if code == ErrorCode::Unavailable {
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("3"),
        );
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A page error: a page in Chinese with the message and a way back.
#[derive(Debug)]
pub struct PageError(pub Error);

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
    nav: crate::page::Nav,
}

/// Marks a page's answer that needs the second factor given again; the
/// router turns it into a trip through `/second-factor` and back.
pub const REAUTH_MARKER: &str = "x-tongyu-reauth";

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.0.code == ErrorCode::ReauthRequired {
            let mut res = status(self.0.code).into_response();
            res.headers_mut()
                .insert(REAUTH_MARKER, axum::http::HeaderValue::from_static("1"));
            return res;
        }
        let title = match self.0.code {
            ErrorCode::NotFound => "页面不存在",
            ErrorCode::Forbidden => "没有权限",
            ErrorCode::PayloadTooLarge => "内容过大",
            ErrorCode::Internal => "系统错误",
            ErrorCode::Unavailable => "请稍后重试",
            _ => "无法完成操作",
        };
        let page = ErrorPage {
            title,
            message: &self.0.message,
            status: self.0.code.http_status(),
            nav: crate::page::Nav::default(),
        };
        let mut res = match page.render() {
            Ok(html) => (status(self.0.code), Html(html)).into_response(),
            Err(_) => (status(self.0.code), self.0.message).into_response(),
        };
        retry_after(&mut res, self.0.code);
        res
    }
}

pub type PageResult<T> = Result<T, PageError>;
