//! The plan's numbers through the API: read by any staff member, changed by
//! the city's administrators with a note saying why.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_domain::plan::Plan;
use tongyu_service::plan;

use crate::AppState;
use crate::api::ApiJson;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/plan", get(show).put(change))
}

async fn show(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    let (plan, versions) = plan::show(&state.app, &user.ctx).await?;
    Ok(Json(json!({ "plan": *plan, "versions": versions })))
}

#[derive(serde::Deserialize)]
struct ChangeBody {
    plan: Plan,
    note: String,
}

async fn change(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<ChangeBody>,
) -> ApiResult<Json<Value>> {
    let version = plan::update(&state.app, &user.ctx, b.plan, &b.note).await?;
    let (plan, _) = plan::show(&state.app, &user.ctx).await?;
    Ok(Json(json!({ "version": version, "plan": *plan })))
}
