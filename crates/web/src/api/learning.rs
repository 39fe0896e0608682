//! Courses, the first lesson of term, and progress reports from the player.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_service::learning::{self, CampaignInput, CourseInput, LessonInput, Report};

use super::{ApiJson, ApiQuery};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/courses", get(list_courses).post(create_course))
        .route("/courses/{id}", get(get_course))
        .route("/courses/{id}/lessons", post(add_lesson))
        .route("/courses/{id}/status", post(course_status))
        .route("/campaigns", get(list_campaigns).post(create_campaign))
        .route("/campaigns/{id}/lessons", post(add_campaign_lesson))
        .route("/campaigns/{id}/board", get(board))
        .route("/campaigns/{id}/classes/{class_id}", get(class_families))
        .route("/me/lessons", get(my_lessons))
        .route("/me/growth", get(my_growth))
        .route("/me/recommendations", get(my_recommendations))
        .route("/me/continue", get(my_continue))
        .route("/progress", post(progress))
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
    let c = learning::create_course(&state.app, &user.ctx, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(c))))
}

/// The courses the caller may author or review, newest first, with their
/// lesson counts.
async fn list_courses(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    let list = learning::courses(&state.app, &user.ctx).await?;
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
    let (course, lessons) = learning::course(&state.app, &user.ctx, id).await?;
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
    let l = learning::add_lesson(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(l))))
}

#[derive(serde::Deserialize)]
struct StatusBody {
    status: String,
}

async fn course_status(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        learning::set_course_status(&state.app, &user.ctx, id, &b.status).await?
    )))
}

async fn list_campaigns(State(state): State<AppState>, _user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": learning::campaigns(&state.app).await? }),
    ))
}

async fn create_campaign(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<CampaignInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(
            learning::create_campaign(&state.app, &user.ctx, &b).await?
        )),
    ))
}

#[derive(serde::Deserialize)]
struct TargetBody {
    lesson_id: i64,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    school_id: Option<i64>,
}

async fn add_campaign_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TargetBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let t = learning::add_campaign_lesson(
        &state.app,
        &user.ctx,
        id,
        b.lesson_id,
        &b.grade,
        b.school_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!(t))))
}

#[derive(serde::Deserialize)]
struct BoardQuery {
    unit_id: i64,
}

fn row_json(r: &learning::BoardRow) -> Value {
    json!({
        "unit_id": r.unit.id, "name": r.unit.name, "kind": r.unit.kind,
        "families": r.families, "families_done": r.families_done, "lessons_done": r.lessons_done,
        "permille": r.permille(),
    })
}

async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Json<Value>> {
    let (campaign, top, rows) = learning::board(&state.app, &user.ctx, id, q.unit_id).await?;
    Ok(Json(
        json!({ "campaign": campaign, "unit": row_json(&top), "children": rows.iter().map(row_json).collect::<Vec<_>>() }),
    ))
}

async fn class_families(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, class_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": learning::class_families(&state.app, &user.ctx, id, class_id).await? }),
    ))
}

async fn my_lessons(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "children": learning::my_lessons(&state.app, &user.ctx).await? }),
    ))
}

/// A batch of played segments from the player; answered once durable.
async fn progress(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<Report>,
) -> ApiResult<Json<learning::Reported>> {
    Ok(Json(learning::report(&state.app, &user.ctx, &b).await?))
}

/// Edits a lesson: in place while a draft; a revision for review once published.
async fn edit_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LessonInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        learning::edit_lesson(&state.app, &user.ctx, id, &b).await?
    )))
}

async fn revisions(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": learning::revisions(&state.app, &user.ctx, id).await? }),
    ))
}

async fn approve_revision(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        learning::decide_revision(&state.app, &user.ctx, id, true).await?
    )))
}

async fn return_revision(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        learning::decide_revision(&state.app, &user.ctx, id, false).await?
    )))
}

/// The parent's learning record per school year.
async fn my_growth(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "years": learning::growth_record(&state.app, &user.ctx).await? }),
    ))
}

#[derive(serde::Deserialize)]
struct AttachBody {
    token: String,
    #[serde(default)]
    title: String,
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

async fn my_recommendations(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({
        "items": learning::recommendations(&state.app, &user.ctx, 3).await?,
    })))
}

async fn my_continue(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({
        "items": learning::continue_watching(&state.app, &user.ctx, 20).await?,
    })))
}
