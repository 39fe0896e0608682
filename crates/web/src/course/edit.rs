//! Editing a lesson from the browser: a draft course's lesson changes in
//! place; a published one gets a revision that waits for review while
//! parents keep the published version (the same rules as the API).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use tongyu_domain::Error;
use tongyu_domain::course::{Category, Status, decode_steps};
use tongyu_domain::delivery::Step;
use tongyu_service::course::{self, Edit, LessonInput};

use super::pages::LessonForm;
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, is_user_error, render, status_of};

struct StepField {
    code: &'static str,
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "course/lesson_edit.html")]
struct EditPage {
    nav: Nav,
    id: i64,
    course_id: i64,
    course_title: String,
    /// Published: the change waits for review.
    published: bool,
    title: String,
    minutes: String,
    video_url: String,
    body: String,
    /// A required course's five steps (empty otherwise).
    steps: Vec<StepField>,
    error: Option<String>,
}

fn step_fields(required: bool, values: &[(Step, String)]) -> Vec<StepField> {
    if !required {
        return Vec::new();
    }
    Step::ALL
        .iter()
        .map(|s| StepField {
            code: s.as_str(),
            label: s.label(),
            value: values
                .iter()
                .find(|(x, _)| x == s)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        })
        .collect()
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let (lesson, c) = course::lesson_for_edit(&state.app, &user.ctx, id).await?;
    let page = EditPage {
        nav: Nav::for_user(&user),
        id,
        course_id: c.id,
        course_title: c.title,
        published: lesson.status == Status::Published,
        title: lesson.title,
        minutes: (lesson.duration_s / 60).max(1).to_string(),
        video_url: lesson.video_url,
        body: lesson.body,
        steps: step_fields(
            c.category == Category::Required,
            &decode_steps(&lesson.steps),
        ),
        error: None,
    };
    Ok(render(&page)?.into_response())
}

pub(super) async fn save(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<LessonForm>,
) -> PageResult<Response> {
    let (lesson, c) = course::lesson_for_edit(&state.app, &user.ctx, id).await?;
    let input = f.input();
    let result = match &input {
        Ok(i) => course::edit_lesson(&state.app, &user.ctx, id, i).await,
        Err(e) => Err(e.clone()),
    };
    match result {
        Ok(Edit::Updated { .. }) => {
            Ok(Redirect::to(&format!("/courses/{}?msg=saved", c.id)).into_response())
        }
        Ok(Edit::Proposed { .. }) => {
            Ok(Redirect::to(&format!("/courses/{}?msg=proposed", c.id)).into_response())
        }
        Err(e) if is_user_error(&e) => {
            let typed: Vec<(Step, String)> = f.steps();
            let page = EditPage {
                nav: Nav::for_user(&user),
                id,
                course_id: c.id,
                course_title: c.title,
                published: lesson.status == Status::Published,
                title: f.title.clone(),
                minutes: f.minutes.clone(),
                video_url: f.video_url.clone(),
                body: f.body.clone(),
                steps: step_fields(c.category == Category::Required, &typed),
                error: Some(e.message.clone()),
            };
            Ok((status_of(Some(&e)), render(&page)?).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}

impl LessonForm {
    /// The form as the service takes it; minutes must be a number.
    pub(super) fn input(&self) -> Result<LessonInput, Error> {
        let minutes = self
            .minutes
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::invalid("minutes", "时长请填写分钟数"))?;
        Ok(LessonInput {
            title: self.title.clone(),
            duration_s: minutes * 60,
            video_url: self.video_url.clone(),
            body: self.body.clone(),
            steps: self
                .steps()
                .into_iter()
                .map(|(s, v)| (s.as_str().to_owned(), v))
                .collect(),
        })
    }

    /// The five steps as typed.
    pub(super) fn steps(&self) -> Vec<(Step, String)> {
        vec![
            (Step::VideoIntro, self.step_video_intro.clone()),
            (Step::Discussion, self.step_discussion.clone()),
            (Step::Summary, self.step_summary.clone()),
            (Step::Practice, self.step_practice.clone()),
            (Step::MicroReview, self.step_micro_review.clone()),
        ]
    }
}
