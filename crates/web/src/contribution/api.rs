//! Contributions: micro-courses and lesson plans, their reviews, and the
//! drive toward 1,000 of each.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_service::contribution::{self, ContributionInput, ReviewInput};

use crate::AppState;
use crate::api::ApiJson;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contributions", get(lists).post(submit))
        .route("/contributions/progress", get(progress))
        .route("/contributions/{id}", get(detail).post(resubmit))
        .route("/contributions/{id}/review", post(review))
}

async fn lists(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        contribution::lists(&state.app, &user.ctx).await?
    )))
}

async fn submit(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<ContributionInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = contribution::submit(&state.app, &user.ctx, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(c))))
}

async fn detail(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let d = contribution::detail(&state.app, &user.ctx, id).await?;
    let reviews: Vec<Value> = d
        .reviews
        .iter()
        .map(|(r, name)| {
            json!({"level": r.level, "reviewer": name, "decision": r.decision,
                   "score": r.score, "comment": r.comment, "created_at": r.created_at})
        })
        .collect();
    Ok(Json(json!({
        "contribution": d.contribution,
        "unit_name": d.unit_name,
        "author_name": d.author_name,
        "reviews": reviews,
        "may_review": d.may_review,
        "may_revise": d.may_revise,
    })))
}

async fn resubmit(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ContributionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        contribution::resubmit(&state.app, &user.ctx, id, &b).await?
    )))
}

async fn review(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReviewInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        contribution::review(&state.app, &user.ctx, id, &b).await?
    )))
}

async fn progress(State(state): State<AppState>, _user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!(contribution::progress(&state.app).await?)))
}
