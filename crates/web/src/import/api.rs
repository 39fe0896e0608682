//! Imports through the API: the file is the request body.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_domain::import::ImportKind;
use tongyu_service::import;
use tongyu_service::sheet::MAX_BYTES;

use crate::AppState;
use crate::api::ApiQuery;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/imports",
            post(start).layer(DefaultBodyLimit::max(MAX_BYTES)),
        )
        .route("/imports/{id}", get(show))
}

#[derive(serde::Deserialize)]
struct StartQuery {
    kind: String,
    #[serde(default)]
    filename: Option<String>,
}

/// Starts an import of the body (a .xlsx workbook or UTF-8 CSV) → 202 with the job id.
async fn start(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<StartQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let kind = ImportKind::parse(&q.kind)?;
    if body.is_empty() {
        return Err(tongyu_domain::Error::invalid("file", "请求体中没有文件").into());
    }
    let name = q
        .filename
        .unwrap_or_else(|| format!("{}.upload", kind.as_str()));
    let id = import::start(&state.app, &user.ctx, kind, &name, body.to_vec()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "running" })),
    ))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let (job, report) = import::job(&state.app, &user.ctx, id).await?;
    Ok(Json(json!({
        "id": job.id,
        "kind": job.kind,
        "filename": job.filename,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "file_error": report.file_error,
        "errors": report.errors,
        "more_errors": report.more_errors,
    })))
}
