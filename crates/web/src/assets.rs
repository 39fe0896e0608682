//! The platform's own style sheet and scripts, built into the binary.
//!
//! Pages link each by an address that carries a fingerprint of its content
//! (`/static/player.js?v=…`), so a phone keeps it for a year and asks again
//! only when a release changes it: the lesson page's player costs a parent
//! one download, not one per lesson. An address without the current
//! fingerprint (a page kept from before an upgrade) still gets the file,
//! kept for five minutes. Either way the fingerprint is the file's ETag, and
//! a browser that already holds it gets 304 and no body.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

/// One built-in file.
pub struct Asset {
    pub name: &'static str,
    content_type: &'static str,
    body: &'static str,
    /// FNV-1a of the body: the same in every instance of one build.
    version: u64,
}

impl Asset {
    const fn new(name: &'static str, content_type: &'static str, body: &'static str) -> Asset {
        Asset {
            name,
            content_type,
            body,
            version: fnv1a(body.as_bytes()),
        }
    }

    /// The address pages link it by.
    pub fn url(&self) -> String {
        format!("/static/{}?v={:016x}", self.name, self.version)
    }

    fn etag(&self) -> String {
        format!("\"{:016x}\"", self.version)
    }
}

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

const JS: &str = "text/javascript; charset=utf-8";

pub static APP_CSS: Asset = Asset::new(
    "app.css",
    "text/css; charset=utf-8",
    include_str!("../static/app.css"),
);
pub static APP_JS: Asset = Asset::new("app.js", JS, include_str!("../static/app.js"));
/// The lesson player: resumes where the parent stopped, reports progress.
pub static PLAYER_JS: Asset = Asset::new("player.js", JS, include_str!("../static/player.js"));
/// Turns a poster into a PNG in the browser, with the device's own Chinese
/// fonts (the server has none to draw text with).
pub static POSTER_JS: Asset = Asset::new("poster.js", JS, include_str!("../static/poster.js"));

pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for asset in [&APP_CSS, &APP_JS, &PLAYER_JS, &POSTER_JS] {
        r = r.route(
            &format!("/static/{}", asset.name),
            get(
                move |State(_): State<AppState>, q: Query<Version>, headers: HeaderMap| async move {
                    serve(asset, &q, &headers)
                },
            ),
        );
    }
    r
}

#[derive(serde::Deserialize)]
struct Version {
    v: Option<String>,
}

fn serve(asset: &'static Asset, q: &Version, headers: &HeaderMap) -> Response {
    let current =
        q.v.as_deref()
            .is_some_and(|v| u64::from_str_radix(v, 16) == Ok(asset.version));
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let etag = asset.etag();
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let head = [
        (header::CACHE_CONTROL, cache.to_owned()),
        (header::ETAG, etag),
    ];
    if held {
        return (StatusCode::NOT_MODIFIED, head).into_response();
    }
    (
        head,
        [(header::CONTENT_TYPE, asset.content_type)],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_has_its_own_fingerprint() {
        let urls: Vec<String> = [&APP_CSS, &APP_JS, &PLAYER_JS, &POSTER_JS]
            .iter()
            .map(|a| a.url())
            .collect();
        assert!(urls[2].starts_with("/static/player.js?v="), "{urls:?}");
        let mut distinct = urls.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), urls.len(), "{urls:?}");
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
    }
}
