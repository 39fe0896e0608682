//! Imports through the API: the file is the request body.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::import::{ImportKind, RowError};
use tongyu_service::import;
use tongyu_service::sheet::MAX_BYTES;

use crate::AppState;
use crate::api::ApiQuery;
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

const SHEETS: &[&str] = &[
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/csv",
];

pub fn operations() -> Vec<Op> {
    vec![
        Op::post(
            "/imports",
            "导入文件（请求体为 .xlsx 或 UTF-8 CSV；kind：units、staff、students、guardians 等）",
        )
        .query::<StartQuery>()
        .upload(SHEETS)
        .returns::<Started>(202),
        Op::get("/imports/{id}", "导入进度与逐行错误").returns::<ImportView>(200),
    ]
}

#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ImportStarted")]
struct Started {
    id: i64,
    /// `running`.
    status: &'static str,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct ImportView {
    id: i64,
    kind: String,
    filename: String,
    /// `running`, `done` or `failed`.
    status: String,
    done: i64,
    total: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    /// Why the whole file was refused, if it was.
    file_error: Option<String>,
    errors: Vec<RowError>,
    /// How many more rows had errors than are listed.
    more_errors: usize,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/imports",
            post(start).layer(DefaultBodyLimit::max(MAX_BYTES)),
        )
        .route("/imports/{id}", get(show))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
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
) -> ApiResult<(StatusCode, Json<Started>)> {
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
        Json(Started {
            id,
            status: "running",
        }),
    ))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ImportView>> {
    let (job, report) = import::job(&state.app, &user.ctx, id).await?;
    Ok(Json(ImportView {
        id: job.id,
        kind: job.kind,
        filename: job.filename,
        status: job.status,
        done: job.done,
        total: job.total,
        created: job.created,
        updated: job.updated,
        unchanged: job.unchanged,
        file_error: report.file_error,
        errors: report.errors,
        more_errors: report.more_errors,
    }))
}
