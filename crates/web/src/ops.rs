//! Operations: health, Prometheus metrics, and the stylesheet.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

/// (method, route, status) → (requests, seconds).
type Series = BTreeMap<(String, String, u16), (u64, f64)>;

/// Request counts and total latency by method, route and status.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Series>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut m) = self.inner.lock() {
            let e = m
                .entry((method.to_owned(), route.to_owned(), status))
                .or_insert((0, 0.0));
            e.0 += 1;
            e.1 += elapsed.as_secs_f64();
        }
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP tongyu_http_requests_total HTTP requests handled.\n# TYPE tongyu_http_requests_total counter\n",
        );
        let mut secs = String::from(
            "# HELP tongyu_http_request_seconds_sum Time spent handling HTTP requests.\n# TYPE tongyu_http_request_seconds_sum counter\n",
        );
        if let Ok(m) = self.inner.lock() {
            for ((method, route, status), (n, total)) in m.iter() {
                let labels = format!(
                    "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                    route.replace('"', "")
                );
                out.push_str(&format!("tongyu_http_requests_total{{{labels}}} {n}\n"));
                secs.push_str(&format!(
                    "tongyu_http_request_seconds_sum{{{labels}}} {total:.6}\n"
                ));
            }
        }
        out + &secs
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
}

/// 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// The metrics, for the monitoring system only: a bearer token when one is
/// configured, otherwise a caller on this machine. Anyone else gets 404.
async fn metrics(
    State(state): State<AppState>,
    meta: crate::extract::RequestMeta,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let allowed = match &state.config.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| tongyu_service::crypto::same(given.trim(), token)),
        None => meta
            .ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
    };
    if !allowed {
        return crate::page::not_found().await.into_response();
    }
    let pool = state.app.db.pool();
    let body = format!(
        "{}# HELP tongyu_db_connections Open database connections.\n# TYPE tongyu_db_connections gauge\ntongyu_db_connections {}\n",
        state.metrics.render(),
        pool.size()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.js"),
    )
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}
