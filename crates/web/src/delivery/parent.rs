//! The parents' side of the required course: checking in by a session's QR
//! code, the session page with its rating, and the effect questionnaire.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::delivery;

use super::pages::{PageQuery, notice};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, is_user_error, render, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkin/{token}", get(checkin_page).post(checkin))
        .route("/sessions/{id}", get(parent_session).post(rate))
        .route("/surveys/{class_id}", get(survey_page).post(answer))
}

#[derive(Template)]
#[template(path = "delivery/checkin.html")]
struct CheckinPage {
    nav: Nav,
    token: String,
    done: Option<(i64, String, bool)>,
    error: Option<String>,
}

async fn checkin_page(user: PageUser, Path(token): Path<String>) -> PageResult<Response> {
    let page = CheckinPage {
        nav: Nav::for_user(&user),
        token,
        done: None,
        error: None,
    };
    Ok(render(&page)?.into_response())
}

async fn checkin(
    State(state): State<AppState>,
    user: PageUser,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> PageResult<Response> {
    let (done, error) = match delivery::check_in(&state.app, &user.ctx, &token).await {
        Ok(c) => (Some((c.session_id, c.title, c.new)), None),
        Err(e) if e.code != ErrorCode::Internal => (None, Some(e)),
        Err(e) => return Err(PageError(e)),
    };
    let page = CheckinPage {
        nav: Nav::for_user(&user),
        token,
        done,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

#[derive(Template)]
#[template(path = "delivery/parent_session.html")]
struct ParentSessionPage {
    nav: Nav,
    id: i64,
    child: String,
    title: String,
    when: String,
    place: String,
    online_url: String,
    hours: i64,
    status: String,
    attended: bool,
    started: bool,
    my_score: i64,
    notice: Option<String>,
    error: Option<String>,
}

async fn parent_session(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    parent_view(&state, &user, id, notice(q.msg.as_deref()), None).await
}

async fn parent_view(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let s = delivery::parent_session(&state.app, &user.ctx, id).await?;
    let page = ParentSessionPage {
        nav: Nav::for_user(user),
        id: s.id,
        child: s.child,
        title: s.title,
        when: format_local_minute(s.starts_at),
        place: s.place,
        online_url: s.online_url,
        hours: s.class_hours,
        status: s.status.label().into(),
        attended: s.attended,
        started: s.starts_at <= state.app.now(),
        my_score: s.my_score,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct RateForm {
    score: i64,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> PageResult<Response> {
    match delivery::rate(&state.app, &user.ctx, id, f.score, &f.comment).await {
        Ok(()) => Ok(Redirect::to(&format!("/sessions/{id}?msg=rated")).into_response()),
        Err(e) if is_user_error(&e) => parent_view(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "delivery/survey.html")]
struct SurveyPage {
    nav: Nav,
    class_id: i64,
    survey: Option<delivery::Survey>,
    phase: String,
    phase_label: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn survey_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(class_id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    survey_view(&state, &user, class_id, notice(q.msg.as_deref()), None).await
}

async fn survey_view(
    state: &AppState,
    user: &PageUser,
    class_id: i64,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let survey = delivery::my_surveys(&state.app, &user.ctx)
        .await?
        .into_iter()
        .find(|s| s.class_id == class_id);
    let page = SurveyPage {
        nav: Nav::for_user(user),
        class_id,
        phase: survey
            .as_ref()
            .map(|s| s.phase.as_str().to_owned())
            .unwrap_or_default(),
        phase_label: survey
            .as_ref()
            .map(|s| s.phase.label().to_owned())
            .unwrap_or_default(),
        survey,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

/// The questionnaire form: `phase` and `q{i}` for each question.
async fn answer(
    State(state): State<AppState>,
    user: PageUser,
    Path(class_id): Path<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> PageResult<Response> {
    let phase = f
        .iter()
        .find(|(k, _)| k == "phase")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut answers = Vec::new();
    for i in 0..tongyu_domain::delivery::MAX_QUESTIONS {
        match f.iter().find(|(k, _)| *k == format!("q{i}")) {
            Some((_, v)) => answers.push(v.parse::<i64>().unwrap_or(0)),
            None => break,
        }
    }
    match delivery::answer(&state.app, &user.ctx, class_id, &phase, &answers).await {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{class_id}?msg=answered")).into_response()),
        Err(e) if is_user_error(&e) => survey_view(&state, &user, class_id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}
