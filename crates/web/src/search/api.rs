//! Search over published courses and lessons.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::ApiQuery;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// Published courses and lessons matching the words, best first.
async fn search(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<tongyu_service::search::Query>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        tongyu_service::search::search(&state.app, &user.ctx, &q).await?
    )))
}
