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

/// The upper bounds of the request time histogram, in seconds.
const BUCKETS: [f64; 8] = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];

/// (method, route) → requests within each bound of [`BUCKETS`].
type Histograms = BTreeMap<(String, String), [u64; BUCKETS.len()]>;

/// Request counts and total latency by method, route and status, and the
/// distribution of request time by route.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<(Series, Histograms)>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Ok(mut m) = self.inner.lock() {
            let e =
                m.0.entry((method.to_owned(), route.to_owned(), status))
                    .or_insert((0, 0.0));
            e.0 += 1;
            e.1 += secs;
            let h =
                m.1.entry((method.to_owned(), route.to_owned()))
                    .or_insert([0; BUCKETS.len()]);
            if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
                h[i] += 1;
            }
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
        let mut hist = String::from(
            "# HELP tongyu_http_request_duration_seconds Time to answer a request, by route.\n# TYPE tongyu_http_request_duration_seconds histogram\n",
        );
        if let Ok(m) = self.inner.lock() {
            for ((method, route, status), (n, total)) in m.0.iter() {
                let labels = format!(
                    "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                    route.replace('"', "")
                );
                out.push_str(&format!("tongyu_http_requests_total{{{labels}}} {n}\n"));
                secs.push_str(&format!(
                    "tongyu_http_request_seconds_sum{{{labels}}} {total:.6}\n"
                ));
            }
            // Every status of a route together, for its histogram.
            let mut by_route: BTreeMap<(&str, &str), (u64, f64)> = BTreeMap::new();
            for ((method, route, _), (n, total)) in m.0.iter() {
                let e = by_route.entry((method, route)).or_default();
                e.0 += n;
                e.1 += total;
            }
            for ((method, route), counts) in m.1.iter() {
                let labels = format!("method=\"{method}\",route=\"{}\"", route.replace('"', ""));
                let mut running = 0;
                for (bound, n) in BUCKETS.iter().zip(counts) {
                    running += n;
                    hist.push_str(&format!(
                        "tongyu_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {running}\n"
                    ));
                }
                let (all, total) = by_route
                    .get(&(method.as_str(), route.as_str()))
                    .copied()
                    .unwrap_or_default();
                hist.push_str(&format!(
                    "tongyu_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {all}\n\
                     tongyu_http_request_duration_seconds_sum{{{labels}}} {total:.6}\n\
                     tongyu_http_request_duration_seconds_count{{{labels}}} {all}\n"
                ));
            }
        }
        out + &secs + &hist
    }
}

/// The batching writers' queues and batches, and the caches' hit rates.
fn service_metrics(app: &tongyu_service::App) -> String {
    let mut out = String::new();
    let writers = app.writer_stats();
    let gauge =
        |out: &mut String, name: &str, kind: &str, help: &str, rows: Vec<(String, String)>| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (labels, v) in rows {
                out.push_str(&format!("{name}{{{labels}}} {v}\n"));
            }
        };
    let w = |f: &dyn Fn(&tongyu_service::batch::WriterStats) -> String| {
        writers
            .iter()
            .map(|s| (format!("writer=\"{}\"", s.name), f(s)))
            .collect::<Vec<_>>()
    };
    gauge(
        &mut out,
        "tongyu_writer_queued",
        "gauge",
        "Jobs waiting for a batching writer now.",
        w(&|s| s.queued.to_string()),
    );
    gauge(
        &mut out,
        "tongyu_writer_batches_total",
        "counter",
        "Batches a writer has committed.",
        w(&|s| s.batches.to_string()),
    );
    gauge(
        &mut out,
        "tongyu_writer_jobs_total",
        "counter",
        "Jobs a writer has committed in its batches.",
        w(&|s| s.jobs.to_string()),
    );
    gauge(
        &mut out,
        "tongyu_writer_largest_batch",
        "gauge",
        "The most jobs in one batch so far.",
        w(&|s| s.largest_batch.to_string()),
    );
    gauge(
        &mut out,
        "tongyu_writer_commit_seconds_sum",
        "counter",
        "Time applying and committing batches.",
        w(&|s| format!("{:.6}", s.apply_seconds)),
    );
    gauge(
        &mut out,
        "tongyu_writer_durable_seconds_sum",
        "counter",
        "Time from a batch's start until it is on disk.",
        w(&|s| format!("{:.6}", s.durable_seconds)),
    );
    gauge(
        &mut out,
        "tongyu_writer_slowest_batch_seconds",
        "gauge",
        "The longest a batch took until it was on disk.",
        w(&|s| format!("{:.6}", s.slowest_seconds)),
    );
    let caches = app.cache_stats();
    let c = |f: &dyn Fn(&tongyu_service::cache::Stats) -> String| {
        caches
            .iter()
            .map(|s| (format!("cache=\"{}\"", s.name), f(s)))
            .collect::<Vec<_>>()
    };
    gauge(
        &mut out,
        "tongyu_cache_hits_total",
        "counter",
        "Reads answered from a cache.",
        c(&|s| s.hits.to_string()),
    );
    gauge(
        &mut out,
        "tongyu_cache_misses_total",
        "counter",
        "Reads a cache sent to the database.",
        c(&|s| s.misses.to_string()),
    );
    gauge(
        &mut out,
        "tongyu_cache_entries",
        "gauge",
        "Entries a cache holds now.",
        c(&|s| s.entries.to_string()),
    );
    out
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
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
        "{}{}# HELP tongyu_db_connections Open database connections.\n# TYPE tongyu_db_connections gauge\ntongyu_db_connections {}\n",
        state.metrics.render(),
        service_metrics(&state.app),
        pool.size()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
