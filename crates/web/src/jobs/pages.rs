//! The background jobs, for the system administrator: what runs when,
//! what failed and why, and a button to run a job again.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::calendar::format_local_minute;
use tongyu_service::jobs;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list))
        .route("/jobs/{id}/retry", post(retry))
}

struct JobRow {
    id: i64,
    label: String,
    periodic: String,
    status: &'static str,
    failed: bool,
    retryable: bool,
    attempts: String,
    last_run: String,
    next_run: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "jobs/list.html")]
struct JobsPage {
    nav: Nav,
    rows: Vec<JobRow>,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ListQuery {
    msg: Option<String>,
}

fn every(s: i64) -> String {
    match s {
        0 => "单次".into(),
        s if s % 86_400 == 0 => format!("每{}天", s / 86_400),
        s if s % 3600 == 0 => format!("每{}小时", s / 3600),
        s if s % 60 == 0 => format!("每{}分钟", s / 60),
        s => format!("每{s}秒"),
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "queued" => "等待运行",
        "running" => "运行中",
        "done" => "已完成",
        "failed" => "失败",
        _ => "未知",
    }
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    let rows = jobs::list(&state.app, &user.ctx)
        .await?
        .into_iter()
        .map(|v| {
            let j = v.job;
            let when = |t: i64| {
                if t > 0 {
                    format_local_minute(t)
                } else {
                    "—".into()
                }
            };
            JobRow {
                id: j.id,
                label: v.label,
                periodic: every(j.every_s),
                status: status_label(&j.status),
                failed: j.status == "failed" || !j.last_error.is_empty(),
                retryable: j.status == "failed" || (j.every_s > 0 && j.status == "queued"),
                attempts: if j.every_s > 0 {
                    format!("共 {} 次", j.runs)
                } else {
                    format!("{}/{}", j.attempts, j.max_attempts)
                },
                last_run: when(j.finished_at.max(j.started_at)),
                next_run: if j.status == "queued" {
                    when(j.run_at)
                } else {
                    "—".into()
                },
                outcome: if j.last_error.is_empty() {
                    j.last_result
                } else {
                    j.last_error
                },
            }
        })
        .collect();
    let page = JobsPage {
        nav: Nav::for_user(&user),
        rows,
        notice: (q.msg.as_deref() == Some("queued")).then_some("已安排立即运行。"),
    };
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct RetryForm {}

async fn retry(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<RetryForm>,
) -> PageResult<Response> {
    jobs::retry(&state.app, &user.ctx, id)
        .await
        .map_err(PageError)?;
    Ok(Redirect::to("/jobs?msg=queued").into_response())
}
