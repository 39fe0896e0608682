//! Search over published courses and lessons.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use tongyu_service::search::{Query, Results};

use crate::AppState;
use crate::api::ApiQuery;
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/search",
            "课程搜索（关键词、类别、学科、学段、年级），命中词已标注",
        )
        .query::<Query>()
        .returns::<Results>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// Published courses and lessons matching the words, best first.
async fn search(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Json<Results>> {
    Ok(Json(
        tongyu_service::search::search(&state.app, &user.ctx, &q).await?,
    ))
}
