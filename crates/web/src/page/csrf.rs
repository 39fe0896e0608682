//! The CSRF token of a visitor with no session (the public appeal form,
//! signing up), kept in a cookie of its own.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tongyu_service::auth;

use crate::AppState;
use crate::extract::{CSRF_COOKIE, cookie, set_cookie};

/// The CSRF token of a visitor with no session, kept in a cookie.
pub fn anon_csrf(state: &AppState, headers: &axum::http::HeaderMap) -> (String, bool) {
    match cookie(state, headers, CSRF_COOKIE) {
        Some(t) if t.len() >= 16 => (t, false),
        _ => (auth::random_token(24), true),
    }
}

pub fn with_csrf_cookie(
    state: &AppState,
    page: axum::response::Html<String>,
    csrf: &str,
    fresh: bool,
    status: StatusCode,
) -> Response {
    let mut res = (status, page).into_response();
    if fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(state, CSRF_COOKIE, csrf, None),
        );
    }
    res
}
