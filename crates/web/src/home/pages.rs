//! Each person's home: where `/` leads (a staff member's to-do list, see
//! `staff.rs`), and a parent's home (`/my`), which gathers what the parent
//! has to do from several modules.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use tongyu_domain::account::Role;
use tongyu_domain::learning::watched_percent;

use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home)).route("/my", get(my))
}

async fn home(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let a = &user.session.actor;
    if a.grants.iter().all(|g| g.role == Role::Parent) {
        return Ok(Redirect::to("/my").into_response());
    }
    Ok(Html(super::staff::home(&state, &user).await?).into_response())
}

struct ChildView {
    name: String,
    class_label: String,
}

struct TaskView {
    lesson_id: i64,
    title: String,
    child: String,
    started: bool,
    percent: i64,
}

/// A required-course session on the parent's home.
struct SessionView {
    id: i64,
    title: String,
    child: String,
    when: String,
    upcoming: bool,
    attended: bool,
    to_rate: bool,
}

#[derive(Template)]
#[template(path = "home/parent.html")]
struct MyPage {
    nav: Nav,
    tasks: Vec<TaskView>,
    sessions: Vec<SessionView>,
    surveys: Vec<tongyu_service::delivery::Survey>,
    recommended: Vec<tongyu_service::learning::Recommendation>,
    growth: Vec<tongyu_service::growth::GrowthYear>,
    children: Vec<ChildView>,
    pending: Vec<i64>,
}

async fn my(
    State(state): State<AppState>,
    user: PageUser,
) -> PageResult<axum::response::Html<String>> {
    let home = tongyu_service::home::parent_home(&state.app, &user.ctx).await?;
    // This term's tasks: lessons open now and not yet completed, the ones
    // already started first ("continue watching"), each lesson once.
    let mut tasks: Vec<TaskView> = Vec::new();
    for child in &home.lessons {
        for l in child.lessons.iter().filter(|l| l.open && !l.completed) {
            if tasks.iter().any(|t| t.lesson_id == l.lesson_id) {
                continue;
            }
            tasks.push(TaskView {
                lesson_id: l.lesson_id,
                title: l.title.clone(),
                child: child.name.clone(),
                started: l.covered_s > 0,
                percent: watched_percent(l.covered_s, l.duration_s),
            });
        }
    }
    // Library lessons started and not finished ("continue watching").
    for l in &home.started {
        if tasks.iter().any(|t| t.lesson_id == l.lesson_id) {
            continue;
        }
        tasks.push(TaskView {
            lesson_id: l.lesson_id,
            title: l.title.clone(),
            child: String::new(),
            started: true,
            percent: watched_percent(l.covered_s, l.duration_s),
        });
    }
    tasks.sort_by_key(|t| !t.started);
    // Sessions of the required course: the coming ones, and past ones the
    // parent attended but has not rated yet.
    let now = state.app.now();
    let plan = tongyu_service::plan::current(&state.app).await?;
    let sessions = home
        .sessions
        .iter()
        .filter(|s| {
            s.starts_at + s.class_hours * plan.class_hour_s() >= now
                || (s.attended && s.my_score == 0)
        })
        .map(|s| SessionView {
            id: s.id,
            upcoming: s.starts_at > now,
            to_rate: s.attended && s.my_score == 0 && s.starts_at <= now,
            attended: s.attended,
            title: s.title.clone(),
            child: s.child.clone(),
            when: tongyu_domain::calendar::format_local_minute(s.starts_at),
        })
        .collect();
    let surveys = home
        .surveys
        .iter()
        .filter(|s| !s.answered)
        .cloned()
        .collect();
    let recommended: Vec<_> = home
        .recommended
        .iter()
        .filter(|r| !tasks.iter().any(|t| t.lesson_id == r.lesson_id))
        .cloned()
        .collect();
    render(&MyPage {
        nav: Nav::for_user(&user),
        tasks,
        sessions,
        surveys,
        recommended,
        growth: home.growth.clone(),
        children: home
            .children
            .iter()
            .map(|c| ChildView {
                name: c.name.clone(),
                class_label: c.class_name.clone(),
            })
            .collect(),
        pending: home.pending.clone(),
    })
}
