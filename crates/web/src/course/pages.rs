//! Writing and reviewing courses.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::course::Status;
use tongyu_domain::policy::Action;
use tongyu_service::course::{self, CourseInput};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, is_user_error, notice, render, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/courses", get(index).post(create))
        .route("/courses/{id}", get(show))
        .route("/courses/{id}/lessons", post(add_lesson))
        .route(
            "/lessons/{id}/edit",
            get(super::edit::edit_page).post(super::edit::save),
        )
        .route("/courses/{id}/status", post(set_status))
        .route("/courses/{id}/questionnaire", post(set_questionnaire))
}

struct CourseRow {
    id: i64,
    title: String,
    category: String,
    lessons: i64,
    status: String,
}

#[derive(Template)]
#[template(path = "course/list.html")]
struct CoursesPage {
    nav: Nav,
    courses: Vec<CourseRow>,
    can_author: bool,
    unit_id: i64,
    categories: Vec<Opt>,
    subjects: Vec<Opt>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct Msg {
    msg: Option<String>,
    /// The address of a file just uploaded, for the lesson form.
    media: Option<String>,
}

/// Notices after an upload on the course page.
fn upload_notice(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "uploaded" => "已上传，地址已填入下面的“增加一节课”。",
        "proposed" => "修改已提交，审核通过后家长看到新版本。",
        "attached" => "已添加附件。",
        "upload_too_large" => "文件太大：视频不超过1 GB，音频200 MB，文档30 MB，图片10 MB。",
        "upload_unsupported" => {
            "不支持的文件：视频请用 MP4 或 WebM，音频 MP3、M4A、WAV 或 OGG，附件 PDF、Word、PowerPoint、Excel 或图片。"
        }
        "upload_empty" => "请选择要上传的文件。",
        "upload_failed" | "attach_failed" => "上传没有完成，请重试。",
        other => return notice(Some(other)),
    };
    Some(text.to_owned())
}

async fn list_page(
    state: &AppState,
    user: &PageUser,
    notice_text: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let list = course::courses(&state.app, &user.ctx).await?;
    let author_root = user.ctx.actor.scope(Action::AuthorCourses).first().cloned();
    let unit_id = author_root
        .as_deref()
        .and_then(|p| tongyu_domain::org::path_ids(p).last().copied())
        .unwrap_or(0);
    let page = CoursesPage {
        nav: Nav::for_user(user),
        courses: list
            .into_iter()
            .map(|(c, n)| CourseRow {
                id: c.id,
                title: c.title,
                category: c.category.label().into(),
                lessons: n,
                status: c.status.label().into(),
            })
            .collect(),
        can_author: author_root.is_some(),
        unit_id,
        categories: crate::page::category_options(),
        subjects: crate::page::subject_options(),
        notice: notice_text,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn index(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    list_page(&state, &user, notice(q.msg.as_deref()), None).await
}

async fn create(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<CourseInput>,
) -> PageResult<Response> {
    match course::create_course(&state.app, &user.ctx, &f).await {
        Ok(c) => Ok(Redirect::to(&format!("/courses/{}?msg=created", c.id)).into_response()),
        Err(e) if is_user_error(&e) => list_page(&state, &user, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

struct LessonRow {
    id: i64,
    title: String,
    minutes: i64,
    attachments: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "course/show.html")]
struct CoursePage {
    nav: Nav,
    id: i64,
    title: String,
    status: String,
    category: String,
    subject: String,
    lessons: Vec<LessonRow>,
    actions: Vec<Opt>,
    /// The reader wrote it: someone else reviews and publishes it.
    own_course: bool,
    is_draft: bool,
    /// The reader writes courses and the course is a draft or published:
    /// each lesson has its 修改 link.
    can_edit: bool,
    /// The address of a file just uploaded, put into the lesson form.
    media: String,
    /// Required courses: the effect-tracking questions, and the unit whose
    /// effect page to link to.
    is_required: bool,
    questions: String,
    effect_unit: Option<i64>,
    notice: Option<String>,
    error: Option<String>,
}

/// The moves the review path allows from a status, as buttons; the author
/// is not offered review or publication of their own course.
fn actions(from: Status, own: bool) -> Vec<Opt> {
    let label = |s: Status| match s {
        Status::Submitted => "提交审核",
        Status::Reviewed => "审核通过",
        Status::Published => "发布",
        Status::Withdrawn => "撤回",
        Status::Draft => "退回修改",
    };
    Status::ALL
        .into_iter()
        .filter(|to| from.can_become(*to))
        .filter(|to| !(own && matches!(to, Status::Reviewed | Status::Published)))
        .map(|to| Opt {
            value: to.as_str().into(),
            label: label(to).into(),
        })
        .collect()
}

async fn course_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice_text: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    course_page_with(state, user, id, notice_text, error, None).await
}

async fn course_page_with(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice_text: Option<String>,
    error: Option<Error>,
    media: Option<String>,
) -> PageResult<Response> {
    let (course, lessons) = course::course(&state.app, &user.ctx, id).await?;
    let is_required = course.category == tongyu_domain::course::Category::Required;
    let own_course = course.created_by == user.session.account.id;
    let questions = if is_required {
        tongyu_service::delivery::questionnaire(&state.app, course.id)
            .await?
            .unwrap_or_default()
            .join("\n")
    } else {
        String::new()
    };
    let effect_unit = tongyu_service::org::home_units(&state.app, &user.ctx)
        .await?
        .first()
        .map(|u| u.id);
    let mut rows = Vec::new();
    for l in &lessons {
        rows.push(LessonRow {
            id: l.id,
            title: l.title.clone(),
            minutes: l.duration_s / 60,
            attachments: tongyu_service::media::attachments(&state.app, l.id)
                .await?
                .into_iter()
                .map(|(t, f)| (t, tongyu_service::media::url_of(&f)))
                .collect(),
        });
    }
    let page = CoursePage {
        media: media
            .filter(|m| m.starts_with("/media/f/"))
            .unwrap_or_default(),
        is_required,
        questions,
        effect_unit,
        nav: Nav::for_user(user),
        id: course.id,
        title: course.title.clone(),
        status: course.status.label().into(),
        category: course.category.label().into(),
        subject: course.subject.label().into(),
        lessons: rows,
        actions: actions(course.status, own_course),
        own_course,
        is_draft: course.status == Status::Draft,
        can_edit: !user.ctx.actor.scope(Action::AuthorCourses).is_empty()
            && matches!(course.status, Status::Draft | Status::Published),
        notice: notice_text,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    course_page_with(
        &state,
        &user,
        id,
        upload_notice(q.msg.as_deref()),
        None,
        q.media,
    )
    .await
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub(super) struct LessonForm {
    pub(super) title: String,
    pub(super) minutes: String,
    #[serde(default)]
    pub(super) video_url: String,
    #[serde(default)]
    pub(super) body: String,
    #[serde(default)]
    pub(super) step_video_intro: String,
    #[serde(default)]
    pub(super) step_discussion: String,
    #[serde(default)]
    pub(super) step_summary: String,
    #[serde(default)]
    pub(super) step_practice: String,
    #[serde(default)]
    pub(super) step_micro_review: String,
}

async fn add_lesson(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<LessonForm>,
) -> PageResult<Response> {
    let input = match f.input() {
        Ok(i) => i,
        Err(e) => return course_page(&state, &user, id, None, Some(e)).await,
    };
    match course::add_lesson(&state.app, &user.ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/courses/{id}?msg=created")).into_response()),
        Err(e) if is_user_error(&e) => course_page(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct StatusForm {
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StatusForm>,
) -> PageResult<Response> {
    match course::set_course_status(&state.app, &user.ctx, id, &f.status).await {
        Ok(_) => Ok(Redirect::to(&format!("/courses/{id}?msg=saved")).into_response()),
        Err(e) if is_user_error(&e) => course_page(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct QuestionnaireForm {
    questions: String,
}

async fn set_questionnaire(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<QuestionnaireForm>,
) -> PageResult<Response> {
    match tongyu_service::delivery::set_questionnaire(&state.app, &user.ctx, id, &f.questions).await
    {
        Ok(()) => Ok(Redirect::to(&format!("/courses/{id}?msg=saved")).into_response()),
        Err(e) if is_user_error(&e) => course_page(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}
