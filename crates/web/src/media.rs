//! Media served with HTTP range requests, so players can seek. For now the
//! demo's generated lesson audio; uploaded lesson media will use the same
//! range handling.

use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/media/demo-lesson.wav", get(demo_lesson))
}

/// Ten minutes of 8 kHz mono audio: a soft tone every five seconds over
/// silence, made once and kept.
fn demo_wav() -> &'static [u8] {
    static WAV: OnceLock<Vec<u8>> = OnceLock::new();
    WAV.get_or_init(|| {
        const RATE: u32 = 8000;
        const SECS: u32 = 600;
        let n = RATE * SECS;
        let mut out = Vec::with_capacity(44 + n as usize);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + n).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // PCM
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&RATE.to_le_bytes());
        out.extend_from_slice(&RATE.to_le_bytes()); // byte rate
        out.extend_from_slice(&1u16.to_le_bytes()); // block align
        out.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
        out.extend_from_slice(b"data");
        out.extend_from_slice(&n.to_le_bytes());
        for i in 0..n {
            let t = i % (RATE * 5);
            let sample = if t < RATE / 5 {
                let phase = (i as f32) * 440.0 * std::f32::consts::TAU / RATE as f32;
                128.0 + 20.0 * phase.sin()
            } else {
                128.0
            };
            out.push(sample as u8);
        }
        out
    })
}

async fn demo_lesson(headers: HeaderMap) -> Response {
    ranged(&headers, demo_wav(), "audio/wav")
}

/// The whole body, or the one byte range asked for (206), or 416 for a
/// range outside the body.
pub fn ranged(headers: &HeaderMap, body: &'static [u8], content_type: &'static str) -> Response {
    let len = body.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="));
    let common = [
        (header::CONTENT_TYPE, content_type),
        (header::ACCEPT_RANGES, "bytes"),
        (header::CACHE_CONTROL, "public, max-age=86400"),
    ];
    let Some(spec) = range else {
        return (common, body).into_response();
    };
    let parsed = spec.split_once('-').and_then(|(a, b)| {
        let (start, end) = match (a.trim(), b.trim()) {
            ("", suffix) => {
                let n: usize = suffix.parse().ok()?;
                (len.saturating_sub(n), len.checked_sub(1)?)
            }
            (a, "") => (a.parse().ok()?, len.checked_sub(1)?),
            (a, b) => (
                a.parse().ok()?,
                b.parse::<usize>().ok()?.min(len.checked_sub(1)?),
            ),
        };
        (start <= end && end < len).then_some((start, end))
    });
    match parsed {
        Some((start, end)) => {
            let mut res = (StatusCode::PARTIAL_CONTENT, common, &body[start..=end]).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            res
        }
        None => {
            let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            res
        }
    }
}
