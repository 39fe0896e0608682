//! The activation board through the API.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use tongyu_service::activation::{self, Board};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/activation/{unit_id}",
            "单位及下级的账号激活情况：教职工与家长账号、近30天登录、家长绑定孩子（每日统计）",
        )
        .returns::<Board>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/activation/{unit_id}", get(board))
}

async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
) -> ApiResult<Json<Board>> {
    Ok(Json(activation::board(&state.app, &user.ctx, unit).await?))
}
