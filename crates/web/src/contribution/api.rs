//! Contributions: micro-courses and lesson plans, their reviews, and the
//! drive toward 1,000 of each.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_service::contribution::{
    self, Contribution, ContributionInput, Detail, Lists, Progress, ReviewInput,
};

use crate::AppState;
use crate::api::ApiJson;
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get("/contributions", "我的投稿与待我审核的投稿").returns::<Lists>(200),
        Op::post(
            "/contributions",
            "投稿微课或教案（从作者单位的级别开始审核）",
        )
        .body::<ContributionInput>()
        .returns::<Contribution>(201),
        Op::get(
            "/contributions/progress",
            "千人微课、千章教案进度：按学段统计已发布数量",
        )
        .returns::<Progress>(200),
        Op::get("/contributions/{id}", "投稿详情与各级审核意见").returns::<Detail>(200),
        Op::post("/contributions/{id}", "作者修改退回的投稿并重新提交")
            .body::<ContributionInput>()
            .returns::<Contribution>(200),
        Op::post(
            "/contributions/{id}/review",
            "审核：评分（0-100）、意见、通过或退回",
        )
        .body::<ReviewInput>()
        .returns::<Contribution>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contributions", get(lists).post(submit))
        .route("/contributions/progress", get(progress))
        .route("/contributions/{id}", get(detail).post(resubmit))
        .route("/contributions/{id}/review", post(review))
}

async fn lists(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Lists>> {
    Ok(Json(contribution::lists(&state.app, &user.ctx).await?))
}

async fn submit(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<ContributionInput>,
) -> ApiResult<(StatusCode, Json<Contribution>)> {
    let c = contribution::submit(&state.app, &user.ctx, &b).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

async fn detail(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Detail>> {
    Ok(Json(contribution::detail(&state.app, &user.ctx, id).await?))
}

async fn resubmit(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ContributionInput>,
) -> ApiResult<Json<Contribution>> {
    Ok(Json(
        contribution::resubmit(&state.app, &user.ctx, id, &b).await?,
    ))
}

async fn review(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReviewInput>,
) -> ApiResult<Json<Contribution>> {
    Ok(Json(
        contribution::review(&state.app, &user.ctx, id, &b).await?,
    ))
}

async fn progress(State(state): State<AppState>, _user: ApiUser) -> ApiResult<Json<Progress>> {
    Ok(Json(contribution::progress(&state.app).await?))
}
