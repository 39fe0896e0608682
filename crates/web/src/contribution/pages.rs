//! Contribution pages: submit a micro-course or lesson plan, the review
//! queue, a contribution with its reviews, and the drive's progress.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tongyu_domain::Error;
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::contribution::{Kind, Status};

use tongyu_domain::policy::Action;
use tongyu_service::contribution::{self, ContributionInput, ReviewInput};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, is_user_error, render, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contributions", get(index).post(submit))
        .route("/contributions/progress", get(progress))
        .route("/contributions/{id}", get(show).post(resubmit))
        .route("/contributions/{id}/review", axum::routing::post(review))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct Msg {
    msg: Option<String>,
}

fn notice(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "submitted" => "已提交，等待审核。",
        "resubmitted" => "已修改并重新提交。",
        "reviewed" => "已提交审核意见。",
        other => return crate::page::notice(Some(other)),
    };
    Some(text.to_owned())
}

struct Row {
    id: i64,
    title: String,
    kind: &'static str,
    stage: &'static str,
    status: &'static str,
    published: bool,
    returned: bool,
}

fn row(c: &tongyu_service::contribution::Contribution) -> Row {
    Row {
        id: c.id,
        title: c.title.clone(),
        kind: c.kind.label(),
        stage: c.stage.label(),
        status: c.status.label(),
        published: c.status == Status::Published,
        returned: c.status == Status::Returned,
    }
}

fn kinds() -> Vec<Opt> {
    Kind::ALL
        .iter()
        .map(|k| Opt {
            value: k.as_str().into(),
            label: k.label().into(),
        })
        .collect()
}

fn stages() -> Vec<Opt> {
    crate::page::stage_options()
}

fn subjects() -> Vec<Opt> {
    crate::page::subject_options()
}

#[derive(Template)]
#[template(path = "contribution/list.html")]
struct IndexPage {
    nav: Nav,
    mine: Vec<Row>,
    to_review: Vec<Row>,
    /// The unit a contribution is submitted from, if the actor may submit.
    home: Option<i64>,
    kinds: Vec<Opt>,
    stages: Vec<Opt>,
    subjects: Vec<Opt>,
    notice: Option<String>,
    error: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    index_page(&state, &user, notice(q.msg.as_deref()), None).await
}

async fn index_page(
    state: &AppState,
    user: &PageUser,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let lists = contribution::lists(&state.app, &user.ctx).await?;
    let roles = Action::Contribute.roles();
    let home = user
        .ctx
        .actor
        .grants
        .iter()
        .find(|g| roles.contains(&g.role))
        .map(|g| g.unit_id);
    let page = IndexPage {
        nav: Nav::for_user(user),
        mine: lists.mine.iter().map(row).collect(),
        to_review: lists.to_review.iter().map(row).collect(),
        home,
        kinds: kinds(),
        stages: stages(),
        subjects: subjects(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct SubmitForm {
    #[serde(default)]
    kind: String,
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    media_url: String,
    #[serde(default)]
    minutes: String,
    stage: String,
    subject: String,
    unit_id: i64,
}

impl SubmitForm {
    fn input(self) -> Result<ContributionInput, Error> {
        let minutes = if self.minutes.trim().is_empty() {
            0
        } else {
            self.minutes
                .trim()
                .parse::<i64>()
                .map_err(|_| Error::invalid("minutes", "时长请填写分钟数"))?
        };
        Ok(ContributionInput {
            kind: self.kind,
            title: self.title,
            summary: self.summary,
            body: self.body,
            media_url: self.media_url,
            duration_s: minutes * 60,
            stage: self.stage,
            subject: self.subject,
            unit_id: self.unit_id,
        })
    }
}

async fn submit(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<SubmitForm>,
) -> PageResult<Response> {
    let input = match f.input() {
        Ok(i) => i,
        Err(e) => return index_page(&state, &user, None, Some(e)).await,
    };
    match contribution::submit(&state.app, &user.ctx, &input).await {
        Ok(c) => {
            Ok(Redirect::to(&format!("/contributions/{}?msg=submitted", c.id)).into_response())
        }
        Err(e) if is_user_error(&e) => index_page(&state, &user, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

struct ReviewView {
    level: &'static str,
    reviewer: String,
    decision: &'static str,
    passed: bool,
    score: i64,
    comment: String,
    at: String,
}

#[derive(Template)]
#[template(path = "contribution/show.html")]
struct ShowPage {
    nav: Nav,
    id: i64,
    kind: String,
    is_plan: bool,
    title: String,
    summary: String,
    /// Sanitised HTML of the text (Markdown).
    body_html: String,
    body: String,
    media_url: String,
    minutes: i64,
    stage: String,
    stage_code: String,
    subject: String,
    subject_code: String,
    unit_name: String,
    author_name: String,
    status: String,
    course_id: i64,
    reviews: Vec<ReviewView>,
    may_review: bool,
    may_revise: bool,
    unit_id: i64,
    stages: Vec<Opt>,
    subjects: Vec<Opt>,
    notice: Option<String>,
    error: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    show_page(&state, &user, id, notice(q.msg.as_deref()), None).await
}

async fn show_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let d = contribution::detail(&state.app, &user.ctx, id).await?;
    let c = &d.contribution;
    let page = ShowPage {
        nav: Nav::for_user(user),
        id: c.id,
        kind: c.kind.label().into(),
        is_plan: c.kind == Kind::LessonPlan,
        title: c.title.clone(),
        summary: c.summary.clone(),
        body_html: crate::markdown::render(&c.body),
        body: c.body.clone(),
        media_url: c.media_url.clone(),
        minutes: c.duration_s / 60,
        stage: c.stage.label().into(),
        stage_code: c.stage.as_str().into(),
        subject: c.subject.label().into(),
        subject_code: c.subject.as_str().into(),
        unit_name: d.unit_name.clone(),
        author_name: d.author_name.clone(),
        status: c.status.label().into(),
        course_id: c.course_id,
        reviews: d
            .reviews
            .iter()
            .map(|r| ReviewView {
                level: r.level.label(),
                reviewer: r.reviewer.clone(),
                decision: r.decision.label(),
                passed: r.decision == tongyu_domain::contribution::Decision::Pass,
                score: r.score,
                comment: r.comment.clone(),
                at: format_local_minute(r.created_at),
            })
            .collect(),
        may_review: d.may_review,
        may_revise: d.may_revise,
        unit_id: c.unit_id,
        stages: stages(),
        subjects: subjects(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn resubmit(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<SubmitForm>,
) -> PageResult<Response> {
    let input = match f.input() {
        Ok(i) => i,
        Err(e) => return show_page(&state, &user, id, None, Some(e)).await,
    };
    match contribution::resubmit(&state.app, &user.ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/contributions/{id}?msg=resubmitted")).into_response()),
        Err(e) if is_user_error(&e) => show_page(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

async fn review(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ReviewForm>,
) -> PageResult<Response> {
    let Ok(score) = f.score.trim().parse::<i64>() else {
        let e = Error::invalid("score", "请填写0至100的评分");
        return show_page(&state, &user, id, None, Some(e)).await;
    };
    let input = ReviewInput {
        decision: f.decision,
        score,
        comment: f.comment,
    };
    match contribution::review(&state.app, &user.ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/contributions/{id}?msg=reviewed")).into_response()),
        Err(e) if is_user_error(&e) => show_page(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

struct KindView {
    label: &'static str,
    published: i64,
    percent: i64,
    in_review: i64,
    returned: i64,
    by_stage: Vec<(&'static str, i64)>,
    goal: i64,
}

#[derive(Template)]
#[template(path = "contribution/progress.html")]
struct ProgressPage {
    nav: Nav,
    kinds: Vec<KindView>,
}

async fn progress(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let p = contribution::progress(&state.app).await?;
    let page = ProgressPage {
        nav: Nav::for_user(&user),
        kinds: p
            .kinds
            .iter()
            .map(|k| KindView {
                label: k.kind.label(),
                published: k.published,
                percent: (k.published * 100 / k.goal.max(1)).min(100),
                goal: k.goal,
                in_review: k.in_review,
                returned: k.returned,
                by_stage: k.by_stage.iter().map(|(s, n)| (s.label(), *n)).collect(),
            })
            .collect(),
    };
    Ok(render(&page)?.into_response())
}
