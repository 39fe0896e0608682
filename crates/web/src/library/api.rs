//! The library (课程库) through the API: the catalogue and a course.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use tongyu_service::library::{self, CourseView, LibraryCourse, LibraryQuery};

use crate::AppState;
use crate::api::{ApiQuery, Items};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/library",
            "课程库：已发布课程，按年级、主题（家庭教育、心理健康、生涯教育）、类别筛选",
        )
        .query::<LibraryQuery>()
        .returns::<Items<LibraryCourse>>(200),
        Op::get(
            "/library/courses/{id}",
            "课程库中的一门课程：各节课时长、本人学习进度和附件",
        )
        .returns::<CourseView>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/library", get(catalogue))
        .route("/library/courses/{id}", get(course))
}

async fn catalogue(
    State(state): State<AppState>,
    _user: ApiUser,
    ApiQuery(q): ApiQuery<LibraryQuery>,
) -> ApiResult<Json<Items<LibraryCourse>>> {
    Ok(Items::of(library::catalogue(&state.app, &q).await?))
}

async fn course(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<CourseView>> {
    Ok(Json(library::course(&state.app, &user.ctx, id).await?))
}
