//! The background jobs through the API, for the system administrator.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_service::jobs::{self, JobView};

use crate::AppState;
use crate::api::{Items, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/jobs",
            "后台任务：定时任务与导入，状态、次数、结果（系统管理员）",
        )
        .returns::<Items<JobView>>(200),
        Op::post("/jobs/{id}/retry", "重新运行失败的任务，或立即运行定时任务").no_content(),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list))
        .route("/jobs/{id}/retry", post(retry))
}

async fn list(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Items<JobView>>> {
    Ok(Items::of(jobs::list(&state.app, &user.ctx).await?))
}

async fn retry(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    jobs::retry(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}
