//! The web layer: pages (server-rendered, Simplified Chinese, phone first)
//! and the JSON API under `/api/v1`. Handlers parse input, call a use case
//! in `tongyu-service`, and render the result; no rule lives here.

// What every module's handlers share: the API's extractors, the pages'
// layout, errors, exports, request metadata.
pub mod api;
pub mod assets;
pub mod error;
pub mod export;
pub mod extract;
pub mod markdown;
pub mod multipart;
pub mod openapi;
pub mod ops;
pub mod page;
pub mod throttle;

// One folder per business module, named as in every other layer: its
// pages (`pages.rs`, or a `pages/` folder) and its `/api/v1` routes (`api.rs`).
mod account;
mod activation;
mod appeal;
mod audit;
mod auth;
mod certification;
mod contribution;
mod coordination_group;
mod course;
mod coverage;
mod delivery;
mod expert_pool;
mod growth;
mod guidance_center;
mod home;
mod import;
mod jobs;
mod learning;
mod lecturer_group;
mod library;
pub mod manual;
pub mod media;
mod opinion;
mod org;
mod parent_committee;
mod plan;
mod search;
mod second_factor;
mod student;
mod studio;
mod training;
mod work_group;

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
    let q = serde_urlencoded::to_string([("next", page::safe_next(&back))]).unwrap_or_default();
    axum::response::Redirect::to(&format!("/second-factor?{q}")).into_response()
}

/// Every module's pages.
fn page_routes() -> Router<AppState> {
    Router::new()
        .merge(home::pages::routes())
        .merge(auth::pages::routes())
        .merge(second_factor::pages::routes())
        .merge(account::pages::routes())
        .merge(org::pages::routes())
        .merge(student::pages::routes())
        .merge(audit::pages::routes())
        .merge(import::pages::routes())
        .merge(course::pages::routes())
        .merge(learning::pages::routes())
        .merge(learning::campaigns::routes())
        .merge(search::pages::routes())
        .merge(library::pages::routes())
        .merge(delivery::pages::routes())
        .merge(contribution::pages::routes())
        .merge(appeal::pages::routes())
        .merge(opinion::pages::routes())
        .merge(jobs::pages::routes())
        .merge(plan::pages::routes())
        .merge(work_group::pages::routes())
        .merge(coverage::pages::routes())
        .merge(parent_committee::pages::routes())
        .merge(lecturer_group::pages::routes())
        .merge(coordination_group::pages::routes())
        .merge(guidance_center::pages::routes())
        .merge(training::pages::routes())
        .merge(expert_pool::pages::routes())
        .merge(studio::pages::routes())
        .merge(certification::pages::routes())
        .merge(activation::pages::routes())
        .merge(manual::pages::routes())
}

/// Every module's routes under `/api/v1`.
fn api_routes() -> Router<AppState> {
    Router::new()
        .merge(auth::api::routes())
        .merge(org::api::routes())
        .merge(account::api::routes())
        .merge(audit::api::routes())
        .merge(student::api::routes())
        .merge(import::api::routes())
        .merge(course::api::routes())
        .merge(learning::api::routes())
        .merge(growth::api::routes())
        .merge(search::api::routes())
        .merge(library::api::routes())
        .merge(delivery::api::routes())
        .merge(contribution::api::routes())
        .merge(appeal::api::routes())
        .merge(jobs::api::routes())
        .merge(plan::api::routes())
        .merge(work_group::api::routes())
        .merge(coverage::api::routes())
        .merge(parent_committee::api::routes())
        .merge(lecturer_group::api::routes())
        .merge(coordination_group::api::routes())
        .merge(guidance_center::api::routes())
        .merge(training::api::routes())
        .merge(expert_pool::api::routes())
        .merge(studio::api::routes())
        .merge(certification::api::routes())
        .merge(activation::api::routes())
}

/// Every module's API operations as the OpenAPI document states them,
/// tagged with the module's name.
pub fn api_operations() -> Vec<openapi::Operation> {
    [
        ("auth", auth::api::operations()),
        ("org", org::api::operations()),
        ("account", account::api::operations()),
        ("audit", audit::api::operations()),
        ("student", student::api::operations()),
        ("import", import::api::operations()),
        ("course", course::api::operations()),
        ("media", media::operations()),
        ("learning", learning::api::operations()),
        ("growth", growth::api::operations()),
        ("search", search::api::operations()),
        ("library", library::api::operations()),
        ("delivery", delivery::api::operations()),
        ("contribution", contribution::api::operations()),
        ("appeal", appeal::api::operations()),
        ("jobs", jobs::api::operations()),
        ("plan", plan::api::operations()),
        ("work_group", work_group::api::operations()),
        ("coverage", coverage::api::operations()),
        ("parent_committee", parent_committee::api::operations()),
        ("lecturer_group", lecturer_group::api::operations()),
        ("coordination_group", coordination_group::api::operations()),
        ("guidance_center", guidance_center::api::operations()),
        ("training", training::api::operations()),
        ("expert_pool", expert_pool::api::operations()),
        ("studio", studio::api::operations()),
        ("certification", certification::api::operations()),
        ("activation", activation::api::operations()),
    ]
    .into_iter()
    .flat_map(|(tag, ops)| openapi::tagged(tag, ops))
    .collect()
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
        .merge(page_routes())
        .nest("/api", api::routes(state.clone(), api_routes()))
        .merge(ops::routes())
        .merge(assets::routes())
        .merge(media::routes())
        .fallback(page::not_found)
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
        .layer(compression())
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// A test of a response by its status, version, headers and extensions.
type ResponseTest = fn(
    axum::http::StatusCode,
    axum::http::Version,
    &axum::http::HeaderMap,
    &axum::http::Extensions,
) -> bool;

/// Which responses are compressed: text over 1 KB.
type Compressible = tower_http::compression::predicate::And<
    tower_http::compression::predicate::SizeAbove,
    ResponseTest,
>;

/// Text goes out gzipped to a browser that asks (pages, scripts, styles,
/// JSON such as the OpenAPI document, SVG posters): a phone on a slow line
/// waits for a fifth of the bytes. Media, images and spreadsheets are
/// compressed already; answers under 1 KB (a progress report's) are not
/// worth the work.
fn compression() -> tower_http::compression::CompressionLayer<Compressible> {
    use tower_http::compression::predicate::{Predicate, SizeAbove};
    fn is_text(
        _: axum::http::StatusCode,
        _: axum::http::Version,
        headers: &axum::http::HeaderMap,
        _: &axum::http::Extensions,
    ) -> bool {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        ct.starts_with("text/")
            || ct.starts_with("application/json")
            || ct.starts_with("application/javascript")
            || ct.starts_with("image/svg+xml")
    }
    let text: ResponseTest = is_text;
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .compress_when(SizeAbove::new(1024).and(text))
}
