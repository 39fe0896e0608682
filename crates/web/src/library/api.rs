//! The library (课程库) through the API: the catalogue and a course.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_service::library::{self, CourseView, LibraryCourse, LibraryQuery};

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, Items};
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
        Op::post(
            "/library/courses/{id}/favourite",
            "收藏或取消收藏一门课程（favourite: true/false）",
        )
        .body::<FavouriteBody>()
        .returns::<Favourite>(200),
        Op::get("/me/favourites", "本人收藏的课程（最近收藏的在前）")
            .returns::<Items<LibraryCourse>>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/library", get(catalogue))
        .route("/library/courses/{id}", get(course))
        .route("/library/courses/{id}/favourite", post(favourite))
        .route("/me/favourites", get(favourites))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct FavouriteBody {
    favourite: bool,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Favourite {
    course_id: i64,
    favourite: bool,
}

async fn favourite(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<FavouriteBody>,
) -> ApiResult<Json<Favourite>> {
    let favourite = library::set_favourite(&state.app, &user.ctx, id, b.favourite).await?;
    Ok(Json(Favourite {
        course_id: id,
        favourite,
    }))
}

async fn favourites(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Items<LibraryCourse>>> {
    Ok(Items::of(library::favourites(&state.app, &user.ctx).await?))
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
