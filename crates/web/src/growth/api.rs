//! A parent's growth record: what they learnt and attended, year by year.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/me/growth", get(my_growth))
}

/// The parent's learning record per school year.
async fn my_growth(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "years": tongyu_service::growth::growth_record(&state.app, &user.ctx).await? }),
    ))
}
