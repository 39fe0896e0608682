//! Courses and their lessons: authoring, the review path, revisions of
//! published lessons, attachments.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_service::course::{self, CourseInput, LessonInput};

use crate::AppState;
use crate::api::ApiJson;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/courses", get(list_courses).post(create_course))
        .route("/courses/{id}", get(get_course))
        .route("/courses/{id}/lessons", post(add_lesson))
        .route("/courses/{id}/status", post(course_status))
        .route("/lessons/{id}", post(edit_lesson))
        .route("/lessons/{id}/revisions", get(revisions))
        .route("/lessons/{id}/attachments", post(attach))
        .route("/revisions/{id}/approve", post(approve_revision))
        .route("/revisions/{id}/return", post(return_revision))
}

async fn create_course(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<CourseInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = course::create_course(&state.app, &user.ctx, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(c))))
}

/// The courses the caller may author or review, newest first, with their
/// lesson counts.
async fn list_courses(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    let list = course::courses(&state.app, &user.ctx).await?;
    let me = user.ctx.actor.account_id;
    Ok(Json(json!({
        "items": list
            .iter()
            .map(|(c, n)| json!({"course": c, "lessons": n, "own": c.created_by == me}))
            .collect::<Vec<_>>()
    })))
}

/// A course and its lessons; `own` says the caller wrote it (someone else
/// reviews and publishes it).
async fn get_course(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let (course, lessons) = course::course(&state.app, &user.ctx, id).await?;
    let own = course.created_by == user.ctx.actor.account_id;
    Ok(Json(
        json!({"course": course, "lessons": lessons, "own": own}),
    ))
}

async fn add_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LessonInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let l = course::add_lesson(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(l))))
}

async fn course_status(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        course::set_course_status(&state.app, &user.ctx, id, &b.status).await?
    )))
}

/// Edits a lesson: in place while a draft; a revision for review once published.
async fn edit_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LessonInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        course::edit_lesson(&state.app, &user.ctx, id, &b).await?
    )))
}

async fn revisions(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": course::revisions(&state.app, &user.ctx, id).await? }),
    ))
}

async fn approve_revision(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        course::decide_revision(&state.app, &user.ctx, id, true).await?
    )))
}

async fn return_revision(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        course::decide_revision(&state.app, &user.ctx, id, false).await?
    )))
}

async fn attach(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AttachBody>,
) -> ApiResult<StatusCode> {
    tongyu_service::media::attach(&state.app, &user.ctx, id, &b.token, &b.title).await?;
    Ok(StatusCode::CREATED)
}

#[derive(serde::Deserialize)]
struct StatusBody {
    status: String,
}

#[derive(serde::Deserialize)]
struct AttachBody {
    token: String,
    #[serde(default)]
    title: String,
}
