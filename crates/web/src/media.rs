//! Media served with HTTP range requests, so players can seek: the demo's
//! generated lesson audio, and uploaded files (`/media/f/{token}`) read from
//! the media directory in chunks. Uploads stream to disk (see
//! `tongyu_service::media`) through routes with their own size limit and a
//! longer timeout than the rest of the platform.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, body::Bytes};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::media;

use crate::AppState;
use crate::error::{ApiError, PageError};
use crate::extract::{ApiUser, PageUser};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/media/demo-lesson.wav", get(demo_lesson))
        .route("/media/f/{token}", get(stored))
}

/// Upload routes: no timeout of 30 s, and a body limit of their own (the
/// service refuses a file as soon as it is too large for its kind).
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/media", post(api_upload))
        .route("/courses/{id}/media", post(page_upload))
        .layer(DefaultBodyLimit::max(1100 * 1024 * 1024))
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

/// The byte range a `Range` header asks for, within a body of `len`
/// bytes: none for the whole body, an error for a range outside it.
fn range_of(headers: &HeaderMap, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))?;
    let parsed = spec.split_once('-').and_then(|(a, b)| {
        let last = len.checked_sub(1)?;
        let (start, end) = match (a.trim(), b.trim()) {
            ("", suffix) => (len.saturating_sub(suffix.parse().ok()?), last),
            (a, "") => (a.parse().ok()?, last),
            (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(last)),
        };
        (start <= end && end < len).then_some((start, end))
    });
    Some(parsed.ok_or(()))
}

fn not_satisfiable(len: u64) -> Response {
    let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
        res.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    res
}

fn partial(mut res: Response, start: u64, end: u64, len: u64) -> Response {
    *res.status_mut() = StatusCode::PARTIAL_CONTENT;
    if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
        res.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    res
}

/// The whole body, or the one byte range asked for (206), or 416 for a
/// range outside the body.
pub fn ranged(headers: &HeaderMap, body: &'static [u8], content_type: &'static str) -> Response {
    let len = body.len() as u64;
    let common = [
        (header::CONTENT_TYPE, content_type),
        (header::ACCEPT_RANGES, "bytes"),
        (header::CACHE_CONTROL, "public, max-age=86400"),
    ];
    match range_of(headers, len) {
        None => (common, body).into_response(),
        Some(Ok((start, end))) => partial(
            (common, &body[start as usize..=end as usize]).into_response(),
            start,
            end,
            len,
        ),
        Some(Err(())) => not_satisfiable(len),
    }
}

/// An uploaded file, whole or the range asked for, read in chunks.
async fn stored(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (f, path) = media::open(&state.app, &token).await?;
    let len = f.size.max(0) as u64;
    let (start, end) = match range_of(&headers, len) {
        None => (0, len.saturating_sub(1)),
        Some(Ok(r)) => r,
        Some(Err(())) => return Ok(not_satisfiable(len)),
    };
    let mut file = tokio::fs::File::open(&path).await.map_err(|e| {
        tracing::error!(error = %e, token = %f.token, "stored file missing");
        PageError(Error::not_found())
    })?;
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|_| PageError(Error::internal()))?;
    }
    let remaining = if len == 0 { 0 } else { end - start + 1 };
    let stream = futures_util::stream::unfold((file, remaining), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buf = vec![0u8; left.min(256 * 1024) as usize];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((
                    Ok::<_, std::io::Error>(Bytes::from(buf)),
                    (file, left - n as u64),
                ))
            }
            Err(e) => Some((Err(e), (file, 0))),
        }
    });
    let disposition = if f.kind == tongyu_domain::media::MediaKind::Document {
        "attachment"
    } else {
        "inline"
    };
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&f.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    if let Ok(v) = HeaderValue::from_str(&remaining.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    let encoded: String = serde_urlencoded::to_string([("", f.filename.as_str())])
        .unwrap_or_default()
        .trim_start_matches('=')
        .replace('+', "%20");
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if headers.contains_key(header::RANGE) {
        return Ok(partial(res, start, end, len));
    }
    Ok(res)
}

/// The API's operations on media (the upload; files are then served at the
/// address it answers).
pub fn operations() -> Vec<crate::openapi::Operation> {
    vec![
        crate::openapi::Operation::post(
            "/media",
            "上传视频、音频、文档或图片（请求体为文件），按内容识别，返回地址与 token",
        )
        .query::<UploadQuery>()
        .upload(&["application/octet-stream"])
        .returns::<Uploaded>(201),
    ]
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Uploaded {
    /// Names the file in `POST /lessons/{id}/attachments`.
    token: String,
    url: String,
    kind: tongyu_domain::media::MediaKind,
    mime: String,
    size: i64,
    filename: String,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct UploadQuery {
    #[serde(default)]
    filename: String,
}

/// `POST /api/v1/media?filename=...` with the file as the body → 201 with
/// its address.
async fn api_upload(
    State(state): State<AppState>,
    user: ApiUser,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> Result<(StatusCode, Json<Uploaded>), ApiError> {
    let mut upload = media::begin(&state.app, &user.ctx, &q.filename).await?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| ApiError(Error::with_message(ErrorCode::BadRequest, "上传中断")))?;
        upload.push(&chunk).await?;
    }
    let f = upload.finish(&state.app, &user.ctx).await?;
    Ok((
        StatusCode::CREATED,
        Json(Uploaded {
            url: media::url_of(&f),
            token: f.token,
            kind: f.kind,
            mime: f.mime,
            size: f.size,
            filename: f.filename,
        }),
    ))
}

/// The course page's upload form (multipart: `_csrf` first, then `purpose`
/// (`lesson_media` or `attachment`), `lesson_id` and `title` for an
/// attachment, and `file`).
async fn page_upload(
    State(state): State<AppState>,
    user: PageUser,
    Path(course_id): Path<i64>,
    form: Multipart,
) -> Result<Response, PageError> {
    let back = |msg: &str| Redirect::to(&format!("/courses/{course_id}?msg={msg}")).into_response();
    let (mut csrf, mut purpose, mut lesson_id, mut title) =
        (String::new(), String::new(), 0i64, String::new());
    let mut stored_file = None;
    let mut form = crate::multipart::Form::new(form, 8);
    loop {
        let mut field = match form.next().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Ok(back("upload_failed")),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name != "file" {
            let Ok(text) = crate::multipart::text(&mut field, crate::multipart::TEXT_LIMIT).await
            else {
                return Ok(back("upload_failed"));
            };
            match name.as_str() {
                "_csrf" => csrf = text,
                "purpose" => purpose = text,
                "lesson_id" => lesson_id = text.trim().parse().unwrap_or(0),
                "title" => title = text,
                _ => {}
            }
            continue;
        }
        {
            {
                if csrf.is_empty() || csrf != user.session.csrf {
                    return Err(PageError(Error::new(ErrorCode::CsrfFailed)));
                }
                let name = field.file_name().unwrap_or("upload").to_owned();
                let mut upload = media::begin(&state.app, &user.ctx, &name).await?;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if let Err(e) = upload.push(&chunk).await {
                                return Ok(back(upload_error(&e)));
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return Ok(back("upload_failed")),
                    }
                }
                match upload.finish(&state.app, &user.ctx).await {
                    Ok(f) => stored_file = Some(f),
                    Err(e) => return Ok(back(upload_error(&e))),
                }
            }
        }
    }
    let Some(f) = stored_file else {
        return Ok(back("upload_empty"));
    };
    if purpose == "attachment" {
        return match media::attach(&state.app, &user.ctx, lesson_id, &f.token, &title).await {
            Ok(()) => Ok(back("attached")),
            Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
            Err(_) => Ok(back("attach_failed")),
        };
    }
    Ok(Redirect::to(&format!(
        "/courses/{course_id}?msg=uploaded&media={}",
        media::url_of(&f)
    ))
    .into_response())
}

/// The notice key for a refused upload.
fn upload_error(e: &Error) -> &'static str {
    match e.code {
        ErrorCode::PayloadTooLarge => "upload_too_large",
        ErrorCode::ValidationFailed => "upload_unsupported",
        _ => "upload_failed",
    }
}
