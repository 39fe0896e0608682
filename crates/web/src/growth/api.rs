//! A parent's growth record: what they learnt and attended, year by year.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use tongyu_service::growth::GrowthYear;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/me/growth",
            "家长：每学年的学习记录（完成的课与时长、参加的必修课）",
        )
        .returns::<Growth>(200),
    ]
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Growth {
    years: Vec<GrowthYear>,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/me/growth", get(my_growth))
}

/// The parent's learning record per school year.
async fn my_growth(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Growth>> {
    Ok(Json(Growth {
        years: tongyu_service::growth::growth_record(&state.app, &user.ctx).await?,
    }))
}
