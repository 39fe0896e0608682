//! The web layer: pages (server-rendered, Simplified Chinese, phone first)
//! and the JSON API under `/api/v1`. Handlers parse input, call a use case
//! in `tongyu-service`, and render the result; no rule lives here.

pub mod api;
pub mod error;
pub mod export;
pub mod extract;
pub mod markdown;
pub mod media;
pub mod multipart;
pub mod ops;
pub mod pages;
pub mod throttle;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tongyu_service::App;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// How the web layer is configured.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// The reverse proxies whose `X-Forwarded-For` is believed (see
    /// [`extract::client_ip`]); empty: the peer's address is the client's.
    pub trusted_proxies: Vec<extract::Cidr>,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The address parents reach the platform at, for links in QR codes.
    pub public_url: String,
    /// Serve `POST /api/v1/bench/noop`, the baseline of `tongyu bench`
    /// (never in production).
    pub bench_routes: bool,
    /// `/metrics` answers a scraper that sends `Authorization: Bearer` with
    /// this token; without one configured, only callers on this machine.
    pub metrics_token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            body_limit: 1024 * 1024,
            public_url: "http://127.0.0.1:8080".into(),
            bench_routes: false,
            metrics_token: None,
        }
    }
}

/// What every handler reads. Axum clones the state for each extractor and
/// layer of every request, so it is one shared allocation: a clone is one
/// reference count, not one per part.
#[derive(Clone)]
pub struct AppState(std::sync::Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    pub app: App,
    pub config: WebConfig,
    pub metrics: ops::Metrics,
    /// Imports running here, and first passwords until downloaded.
    pub jobs: tongyu_service::import::Jobs,
    /// The public status pages, per address.
    pub public_limits: throttle::PublicLimits,
}

impl AppState {
    pub fn new(app: App, config: WebConfig) -> Self {
        Self::with_public_limits(app, config, Default::default())
    }

    /// With other limits on the public form (load tests, tests of many
    /// parents from one address).
    pub fn with_public_limits(
        app: App,
        config: WebConfig,
        public_limits: throttle::PublicLimits,
    ) -> Self {
        AppState(std::sync::Arc::new(Shared {
            app,
            config,
            metrics: ops::Metrics::default(),
            jobs: Default::default(),
            public_limits,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What a page may load: its own scripts, styles and images only (no
/// inline script or style), media from here or any HTTPS host (lessons may
/// play from a video service), nothing framed and no framing. The vendored
/// API explorer answers with a policy of its own that also allows the
/// inline styles its widgets set.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob: https:; connect-src 'self'; \
     font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// A page action that needs the second factor again goes to
/// `/second-factor` and, once it is given, back: to the same address for a
/// GET (an export downloads then), or to the page the form was on.
async fn reauth_redirect(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    // Kept as they came (cheap clones); read only if the answer asks.
    let is_get = req.method() == axum::http::Method::GET;
    let uri = req.uri().clone();
    let referer = req.headers().get(header::REFERER).cloned();
    let res = next.run(req).await;
    if !res.headers().contains_key(error::REAUTH_MARKER) {
        return res;
    }
    let back = if is_get {
        uri.path_and_query().map_or("/", |p| p.as_str()).to_owned()
    } else {
        referer
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
            .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
            .unwrap_or_else(|| "/".into())
    };
    let q = serde_urlencoded::to_string([("next", pages::safe_next(&back))]).unwrap_or_default();
    axum::response::Redirect::to(&format!("/second-factor?{q}")).into_response()
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    // Behind TLS (secure cookies), browsers are told to come back only by
    // HTTPS; on plain HTTP the header would mean nothing and is left out.
    let hsts = state
        .config
        .secure_cookies
        .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    // Every request must finish within 30 s, but an upload of a lesson's
    // video over a slow line may take half an hour.
    let timed = Router::new()
        .merge(pages::routes())
        .nest("/api", api::routes(state.clone()))
        .merge(ops::routes())
        .merge(media::routes())
        .fallback(pages::not_found)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ));
    let uploads = media::upload_routes().layer(TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        Duration::from_secs(30 * 60),
    ));
    Router::new()
        .merge(uploads)
        .merge(timed)
        .layer(axum::middleware::from_fn(reauth_redirect))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::request_meta,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}
