//! The background jobs through the API, for the system administrator.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_service::jobs;

use crate::AppState;
use crate::api::no_content;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list))
        .route("/jobs/{id}/retry", post(retry))
}

async fn list(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": jobs::list(&state.app, &user.ctx).await? }),
    ))
}

async fn retry(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    jobs::retry(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}
