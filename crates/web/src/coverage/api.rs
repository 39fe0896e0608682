//! The coverage board through the API.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use tongyu_service::coverage::{self, Board};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/coverage/{unit_id}",
            "单位及下级的学校组织覆盖（总协调员、工作小组、本学期计划），缺口多的在前",
        )
        .returns::<Board>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/coverage/{unit_id}", get(board))
}

async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
) -> ApiResult<Json<Board>> {
    Ok(Json(coverage::board(&state.app, &user.ctx, unit).await?))
}
