//! The plan's numbers through the API: read by any staff member, changed by
//! the city's administrators with a note saying why.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use tongyu_domain::plan::Plan;
use tongyu_service::plan::{self, Version};

use crate::AppState;
use crate::api::ApiJson;
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get("/plan", "行动计划的考核数字与修改记录").returns::<PlanHistory>(200),
        Op::put("/plan", "修改行动计划的考核数字（市级管理员，须说明依据）")
            .body::<ChangeBody>()
            .returns::<Changed>(200),
    ]
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct PlanHistory {
    plan: Plan,
    /// Newest first.
    versions: Vec<Version>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Changed {
    version: i64,
    plan: Plan,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/plan", get(show).put(change))
}

async fn show(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<PlanHistory>> {
    let (plan, versions) = plan::show(&state.app, &user.ctx).await?;
    Ok(Json(PlanHistory {
        plan: (*plan).clone(),
        versions,
    }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct ChangeBody {
    plan: Plan,
    note: String,
}

async fn change(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<ChangeBody>,
) -> ApiResult<Json<Changed>> {
    let version = plan::update(&state.app, &user.ctx, b.plan, &b.note).await?;
    let (plan, _) = plan::show(&state.app, &user.ctx).await?;
    Ok(Json(Changed {
        version,
        plan: (*plan).clone(),
    }))
}
