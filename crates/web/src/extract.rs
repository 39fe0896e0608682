//! What every request carries: its id and client address, and who is
//! asking. Pages authenticate by a session cookie and check a CSRF token on
//! every form; the API takes a bearer token.

use std::collections::HashMap;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::auth::{self, Session};
use tongyu_service::{Ctx, Origin};

use crate::AppState;
use crate::error::{ApiError, PageError};

pub const SESSION_COOKIE: &str = "tongyu_session";
pub const CSRF_COOKIE: &str = "tongyu_csrf";

/// The request's id and client address, set by [`request_meta`].
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub id: String,
    pub ip: String,
}

impl RequestMeta {
    pub fn origin(&self) -> Origin {
        Origin {
            ip: self.ip.clone(),
            request_id: self.id.clone(),
        }
    }
}

/// A network (`10.0.0.0/8`, `::1/128`) or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: std::net::IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, bits) = match text.trim().split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let net: std::net::IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { net, bits })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let (a, b, len) = match (self.net, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(i)) => (
                u128::from(u32::from(n)) << 96,
                u128::from(u32::from(i)) << 96,
                self.bits,
            ),
            (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), self.bits),
            _ => return false,
        };
        let mask = if len == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(len))
        };
        a & mask == b & mask
    }
}

/// The client's address. `X-Forwarded-For` is read only when the peer is a
/// trusted proxy, and then from the right: each proxy appends the address
/// it saw, so the right-most entry that is not one of our proxies is the
/// client (entries to its left are whatever the client chose to send).
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    forwarded: &str,
    trusted: &[Cidr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: std::net::IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded
        .rsplit(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        let Ok(ip) = hop.parse::<std::net::IpAddr>() else {
            break; // not an address: stop at the last one we could read
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// Middleware: gives each request an id, works out
/// the client address, counts the request for `/metrics`, and echoes the id.
pub async fn request_meta(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // The id is always ours: a client's own X-Request-Id could forge or
    // collide with entries of the audit log, so it is not taken.
    let id = new_request_id();
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    // Only a trusted proxy's header is read; without any, nothing is collected.
    let forwarded = if state.config.trusted_proxies.is_empty() {
        String::new()
    } else {
        req.headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    let ip = client_ip(peer, &forwarded, &state.config.trusted_proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    req.extensions_mut()
        .insert(RequestMeta { id: id.clone(), ip });
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    state
        .metrics
        .observe(method.as_str(), &route, status, elapsed);
    tracing::info!(request_id = %id, method = %method, route = %route, status,
                   elapsed_ms = elapsed.as_millis() as u64, "request");
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// A request id: a random prefix drawn once per process and a counter, so
/// ids are unique across instances without asking the OS for randomness on
/// every request.
fn new_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| auth::random_token(6));
    format!("{prefix}-{:x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn meta(parts: &Parts) -> RequestMeta {
    parts
        .extensions
        .get::<RequestMeta>()
        .cloned()
        .unwrap_or_default()
}

/// The value of a cookie.
/// A cookie's name as sent: with the `__Host-` prefix when cookies are
/// secure, so no other host (a sibling subdomain) can set or shadow it.
pub fn cookie_name(state: &AppState, name: &str) -> String {
    if state.config.secure_cookies {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// One of our cookies from a request (under its secure name when cookies
/// are secure: the plain name is then ignored).
pub fn cookie(state: &AppState, headers: &HeaderMap, name: &str) -> Option<String> {
    let name = cookie_name(state, name);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when configured.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let name = cookie_name(state, name);
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The answer to a request whose browser session was just renewed (the
/// account's grants changed): the same request again, with the new session
/// cookie. 307 keeps the method and the body, so a form or a progress
/// report is sent once more as it was; the old session id has ended.
pub fn renewed_session(
    state: &AppState,
    uri: &axum::http::Uri,
    token: &str,
    expires_at: i64,
) -> Response {
    let back = crate::page::safe_next(uri.path_and_query().map_or("/", |p| p.as_str()));
    let age = (expires_at - state.app.now()).max(0);
    let mut res = (
        axum::http::StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, back)],
    )
        .into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, SESSION_COOKIE, token, Some(age)),
    );
    res
}

/// A signed-in user of the pages.
#[derive(Debug, Clone)]
pub struct PageUser {
    pub session: Session,
    pub ctx: Ctx,
    /// For a page shown to someone who handles appeals: the open ones in
    /// their inboxes, for the menu (a few seconds old at most).
    pub appeals: Option<tongyu_service::appeal::OpenCounts>,
}

fn login_redirect(parts: &Parts, expired: bool) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let next = if parts.method == Method::GET {
        next
    } else {
        "/"
    };
    let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    let flag = if expired { "&expired=1" } else { "" };
    Redirect::to(&format!("/login?{q}{flag}")).into_response()
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(state, &parts.headers, SESSION_COOKIE) else {
            return Err(login_redirect(parts, false));
        };
        let session = match auth::authenticate(&state.app, &token).await {
            Ok(s) => s,
            Err(e) if e.code == ErrorCode::Internal => return Err(PageError(e).into_response()),
            Err(e) => return Err(login_redirect(parts, e.code == ErrorCode::SessionExpired)),
        };
        if let Some(token) = &session.renewed_token {
            return Err(renewed_session(
                state,
                &parts.uri,
                token,
                session.expires_at,
            ));
        }
        let path = parts.uri.path();
        // An administrator's session opens nothing before the second factor.
        if session.second_factor_due && path != "/second-factor" && path != "/logout" {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .filter(|_| parts.method == Method::GET)
                .unwrap_or("/");
            let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            return Err(Redirect::to(&format!("/second-factor?{q}")).into_response());
        }
        if session.account.must_change_password
            && path != "/password"
            && path != "/logout"
            && path != "/second-factor"
        {
            return Err(Redirect::to("/password").into_response());
        }
        parts.extensions.insert(session.clone());
        let ctx = Ctx {
            actor: session.actor.clone(),
            origin: meta(parts).origin(),
            factor_at: session.factor_at,
        };
        // Only pages shown (GET) carry the menu; a count that fails to load
        // leaves the menu without it rather than failing the page.
        let appeals = if parts.method == Method::GET && !session.second_factor_due {
            tongyu_service::appeal::menu_counts(&state.app, &ctx)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the menu's appeal counts could not be read");
                    None
                })
        } else {
            None
        };
        Ok(PageUser {
            session,
            ctx,
            appeals,
        })
    }
}

/// The request's id and address, for handlers with no signed-in user.
impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(meta(parts))
    }
}

/// A page form whose `_csrf` field must match the session's token (or, with
/// no session, the CSRF cookie set with the form). Put it last among a
/// handler's arguments, after [`PageUser`].
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = req
            .extensions()
            .get::<Session>()
            .map(|s| s.csrf.clone())
            .or_else(|| cookie(state, req.headers(), CSRF_COOKIE));
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    PageError(Error::new(ErrorCode::PayloadTooLarge))
                } else {
                    PageError(Error::new(ErrorCode::BadRequest))
                }
            })?;
        let pairs: HashMap<String, String> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError(Error::with_message(ErrorCode::BadRequest, "表单格式不正确")))?;
        let given = pairs.get("_csrf").map(String::as_str).unwrap_or("");
        match expected {
            Some(t) if !t.is_empty() && constant_time_eq(t.as_bytes(), given.as_bytes()) => {}
            _ => return Err(PageError(Error::new(ErrorCode::CsrfFailed))),
        }
        let value = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            PageError(Error::with_message(
                ErrorCode::BadRequest,
                "表单内容不完整或格式不正确",
            ))
        })?;
        Ok(CsrfForm(value))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A caller of the API with an account, by bearer token (or by session
/// cookie plus an `X-CSRF-Token` header on writes).
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub session: Session,
    pub ctx: Ctx,
}

pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned())
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, by_cookie) = match bearer(&parts.headers) {
            Some(t) => (t, false),
            None => match cookie(state, &parts.headers, SESSION_COOKIE) {
                Some(t) => (t, true),
                None => {
                    return Err(ApiError(Error::new(ErrorCode::Unauthenticated)).into_response());
                }
            },
        };
        if token.starts_with("tyi_") {
            return Err(ApiError(Error::with_message(
                ErrorCode::Forbidden,
                "接口令牌不能用于此接口",
            ))
            .into_response());
        }
        let session = auth::authenticate(&state.app, &token)
            .await
            .map_err(|e| ApiError(e).into_response())?;
        if let Some(token) = &session.renewed_token {
            return Err(renewed_session(
                state,
                &parts.uri,
                token,
                session.expires_at,
            ));
        }
        if by_cookie && !matches!(parts.method, Method::GET | Method::HEAD) {
            let given = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(given.as_bytes(), session.csrf.as_bytes()) {
                return Err(ApiError(Error::new(ErrorCode::CsrfFailed)).into_response());
            }
        }
        let path = parts.uri.path();
        if session.second_factor_due
            && !path.contains("/auth/second-factor")
            && !path.ends_with("/auth/logout")
            && !path.ends_with("/me")
        {
            return Err(ApiError(Error::new(ErrorCode::SecondFactorRequired)).into_response());
        }
        if session.account.must_change_password
            && !path.ends_with("/auth/password")
            && !path.ends_with("/me")
            && !path.contains("/auth/second-factor")
        {
            return Err(ApiError(Error::new(ErrorCode::PasswordChangeRequired)).into_response());
        }
        let ctx = Ctx {
            actor: session.actor.clone(),
            origin: meta(parts).origin(),
            factor_at: session.factor_at,
        };
        Ok(ApiUser { session, ctx })
    }
}

/// A caller of the API by integration token.
#[derive(Debug, Clone)]
pub struct ApiIntegration {
    pub token: tongyu_service::auth::IntegrationToken,
    pub meta: RequestMeta,
}

impl FromRequestParts<AppState> for ApiIntegration {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)
            .filter(|t| t.starts_with("tyi_"))
            .ok_or_else(|| ApiError(Error::new(ErrorCode::Unauthenticated)))?;
        let token = auth::authenticate_integration(&state.app, &token).await?;
        Ok(ApiIntegration {
            token,
            meta: meta(parts),
        })
    }
}
