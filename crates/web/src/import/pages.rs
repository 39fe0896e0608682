//! Uploading a spreadsheet, watching it being checked and imported.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::import::{ImportKind, RowError};
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::import;
use tongyu_service::sheet::MAX_BYTES;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::export::xlsx;
use crate::extract::PageUser;
use crate::page::{Nav, Opt, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/imports",
            get(index)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)),
        )
        .route("/imports/{id}", get(show))
        .route("/imports/{id}/credentials.xlsx", get(credentials))
        .route("/imports/template/{file}", get(template))
}

struct JobRow {
    id: i64,
    at: String,
    kind: String,
    filename: String,
    status: String,
}

#[derive(Template)]
#[template(path = "import/list.html")]
struct ImportsPage {
    nav: Nav,
    kinds: Vec<Opt>,
    jobs: Vec<JobRow>,
    error: Option<String>,
}

fn kind_label(k: &str) -> String {
    ImportKind::parse(k)
        .map(|k| k.label().to_owned())
        .unwrap_or_else(|_| k.to_owned())
}

fn status_label(s: &str) -> &'static str {
    match s {
        "running" => "进行中",
        "done" => "已完成",
        _ => "有错误，未导入",
    }
}

async fn page(state: &AppState, user: &PageUser, error: Option<Error>) -> PageResult<Response> {
    let jobs = import::my_jobs(&state.app, &user.ctx).await?;
    let status = crate::page::status_of(error.as_ref());
    let page = ImportsPage {
        nav: Nav::for_user(user),
        kinds: ImportKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        jobs: jobs
            .iter()
            .map(|j| JobRow {
                id: j.id,
                at: format_local_minute(j.created_at),
                kind: kind_label(&j.kind),
                filename: j.filename.clone(),
                status: status_label(&j.status).into(),
            })
            .collect(),
        error: error.map(|e| e.message),
    };
    Ok((status, render(&page)?).into_response())
}

async fn index(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    if user
        .ctx
        .actor
        .scope(tongyu_domain::policy::Action::Import)
        .is_empty()
    {
        return Err(PageError(Error::forbidden()));
    }
    page(&state, &user, None).await
}

/// A multipart form: `_csrf` (checked against the session), `kind`, `file`.
async fn upload(
    State(state): State<AppState>,
    user: PageUser,
    form: Multipart,
) -> PageResult<Response> {
    let (mut csrf, mut kind, mut file, mut filename) =
        (String::new(), String::new(), Vec::new(), String::new());
    let too_large = || {
        Some(Error::with_message(
            ErrorCode::PayloadTooLarge,
            "文件超过 20 MB，请拆分后再导入",
        ))
    };
    let mut form = crate::multipart::Form::new(form, 6);
    loop {
        let part = match form.next_part("file", MAX_BYTES).await {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(crate::multipart::PartError::TooLarge(_)) => {
                return page(&state, &user, too_large()).await;
            }
            Err(_) => {
                return Err(PageError(Error::with_message(
                    ErrorCode::BadRequest,
                    "上传的表单不完整",
                )));
            }
        };
        match part.name.as_str() {
            "_csrf" => csrf = part.text(),
            "kind" => kind = part.text(),
            "file" => {
                filename = if part.file_name.is_empty() {
                    "upload".into()
                } else {
                    part.file_name
                };
                file = part.bytes;
            }
            _ => {}
        }
    }
    if csrf.is_empty() || csrf != user.session.csrf {
        return Err(PageError(Error::new(ErrorCode::CsrfFailed)));
    }
    let kind = match ImportKind::parse(&kind) {
        Ok(k) => k,
        Err(e) => return page(&state, &user, Some(e)).await,
    };
    if file.is_empty() {
        return page(
            &state,
            &user,
            Some(Error::invalid("file", "请选择要上传的文件")),
        )
        .await;
    }
    match import::start(&state.app, &user.ctx, kind, &filename, file).await {
        Ok(id) => Ok(Redirect::to(&format!("/imports/{id}")).into_response()),
        Err(e) if e.code == ErrorCode::Forbidden => Err(PageError(e)),
        Err(e) => page(&state, &user, Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "import/job.html")]
struct JobPage {
    nav: Nav,
    id: i64,
    kind: String,
    filename: String,
    running: bool,
    ok: bool,
    done: i64,
    total: i64,
    total_or_one: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    credentials: usize,
    credentials_waiting: bool,
    file_error: Option<String>,
    errors: Vec<RowError>,
    error_count: usize,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let (job, report) = import::job(&state.app, &user.ctx, id).await?;
    let page = JobPage {
        nav: Nav::for_user(&user),
        id: job.id,
        kind: kind_label(&job.kind),
        filename: job.filename.clone(),
        running: job.status == "running",
        ok: job.status == "done",
        done: job.done,
        total: job.total,
        total_or_one: job.total.max(1),
        created: job.created,
        updated: job.updated,
        unchanged: job.unchanged,
        credentials: report.credentials,
        credentials_waiting: import::credentials_waiting(&state.app, &user.ctx, job.id).await?,
        file_error: report.file_error.clone(),
        error_count: report.errors.len() + report.more_errors,
        errors: report.errors,
    };
    Ok(render(&page)?.into_response())
}

async fn credentials(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let bytes = import::take_credentials(&state.app, &user.ctx, id).await?;
    Ok(xlsx(&format!("initial-passwords-{id}.xlsx"), bytes))
}

async fn template(Path(file): Path<String>) -> PageResult<Response> {
    let kind = file
        .strip_suffix(".xlsx")
        .ok_or_else(|| PageError(Error::not_found()))?;
    let kind = ImportKind::parse(kind).map_err(|_| PageError(Error::not_found()))?;
    Ok(xlsx(
        &format!("{}-template.xlsx", kind.as_str()),
        import::template(kind)?,
    ))
}
