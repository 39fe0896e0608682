//! Courses and their lessons: authoring, the review path, revisions of
//! published lessons, attachments.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_service::course::{self, Course, CourseInput, Edit, Lesson, LessonInput, Revision};

use crate::AppState;
use crate::api::{ApiJson, Items};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get("/courses", "可编写或审核的课程（最新在前），及各自的课数")
            .returns::<Items<CourseEntry>>(200),
        Op::post("/courses", "新建课程（草稿）")
            .body::<CourseInput>()
            .returns::<Course>(201),
        Op::get(
            "/courses/{id}",
            "课程及其各节课；own 表示由本人编写（须由他人审核发布）",
        )
        .returns::<CourseView>(200),
        Op::post("/courses/{id}/lessons", "为课程增加一节课")
            .body::<LessonInput>()
            .returns::<Lesson>(201),
        Op::post(
            "/courses/{id}/status",
            "提交、审核、发布、撤回或退回课程（status：in_review、published、draft、archived）",
        )
        .body::<StatusBody>()
        .returns::<Course>(200),
        Op::post(
            "/lessons/{id}",
            "修改一节课：草稿直接修改；已发布的生成待审核的新版本",
        )
        .body::<LessonInput>()
        .returns::<Edit>(200),
        Op::get("/lessons/{id}/revisions", "一节课的各个版本").returns::<Items<Revision>>(200),
        Op::post(
            "/lessons/{id}/attachments",
            "为一节课添加已上传的附件（token 来自 POST /media）",
        )
        .body::<AttachBody>()
        .empty(201),
        Op::post("/revisions/{id}/approve", "审核通过新版本（原版本保留）").returns::<Lesson>(200),
        Op::post("/revisions/{id}/return", "退回新版本").returns::<Lesson>(200),
    ]
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct CourseEntry {
    course: Course,
    /// How many lessons it has.
    lessons: i64,
    /// The caller wrote it.
    own: bool,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct CourseView {
    course: Course,
    lessons: Vec<Lesson>,
    /// The caller wrote it (someone else reviews and publishes it).
    own: bool,
}

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
) -> ApiResult<(StatusCode, Json<Course>)> {
    let c = course::create_course(&state.app, &user.ctx, &b).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// The courses the caller may author or review, newest first, with their
/// lesson counts.
async fn list_courses(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Items<CourseEntry>>> {
    let list = course::courses(&state.app, &user.ctx).await?;
    let me = user.ctx.actor.account_id;
    Ok(Items::of(
        list.into_iter()
            .map(|(course, lessons)| CourseEntry {
                own: course.created_by == me,
                course,
                lessons,
            })
            .collect(),
    ))
}

/// A course and its lessons; `own` says the caller wrote it (someone else
/// reviews and publishes it).
async fn get_course(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<CourseView>> {
    let (course, lessons) = course::course(&state.app, &user.ctx, id).await?;
    let own = course.created_by == user.ctx.actor.account_id;
    Ok(Json(CourseView {
        course,
        lessons,
        own,
    }))
}

async fn add_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LessonInput>,
) -> ApiResult<(StatusCode, Json<Lesson>)> {
    let l = course::add_lesson(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(l)))
}

async fn course_status(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<Course>> {
    Ok(Json(
        course::set_course_status(&state.app, &user.ctx, id, &b.status).await?,
    ))
}

/// Edits a lesson: in place while a draft; a revision for review once published.
async fn edit_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LessonInput>,
) -> ApiResult<Json<Edit>> {
    Ok(Json(
        course::edit_lesson(&state.app, &user.ctx, id, &b).await?,
    ))
}

async fn revisions(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Items<Revision>>> {
    Ok(Items::of(
        course::revisions(&state.app, &user.ctx, id).await?,
    ))
}

async fn approve_revision(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Lesson>> {
    Ok(Json(
        course::decide_revision(&state.app, &user.ctx, id, true).await?,
    ))
}

async fn return_revision(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Lesson>> {
    Ok(Json(
        course::decide_revision(&state.app, &user.ctx, id, false).await?,
    ))
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

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CourseStatusBody")]
struct StatusBody {
    status: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct AttachBody {
    token: String,
    #[serde(default)]
    title: String,
}
