//! The search page.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tongyu_domain::ErrorCode;
use tongyu_service::search::{self, Found, Part};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::PageUser;
use crate::page::{Nav, Opt, render};

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(page))
}

struct HitView {
    kind: &'static str,
    link: String,
    title: Vec<Part>,
    snippet: Vec<Part>,
    category: String,
    subject: String,
}

impl HitView {
    fn of(h: Found) -> HitView {
        let (kind, link) = if h.kind == "lesson" {
            ("课", format!("/lessons/{}", h.ref_id))
        } else if h.kind == "lesson_plan" {
            ("教案", format!("/contributions/{}", h.ref_id))
        } else {
            ("课程", format!("/library/courses/{}", h.ref_id))
        };
        HitView {
            kind,
            link,
            title: h.title,
            snippet: h.snippet,
            category: h.category,
            subject: h.subject,
        }
    }
}

#[derive(Template)]
#[template(path = "search/index.html")]
struct SearchPage {
    nav: Nav,
    q: String,
    category: String,
    subject: String,
    stage: String,
    categories: Vec<Opt>,
    subjects: Vec<Opt>,
    stages: Vec<Opt>,
    searched: bool,
    relaxed: bool,
    hits: Vec<HitView>,
    suggestions: Vec<String>,
    error: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<search::Query>,
) -> PageResult<Response> {
    let searched = !q.q.trim().is_empty();
    let (results, error) = if searched {
        match search::search(&state.app, &user.ctx, &q).await {
            Ok(r) => (Some(r), None),
            Err(e) if e.code == ErrorCode::ValidationFailed => (None, Some(e.message)),
            Err(e) => return Err(PageError(e)),
        }
    } else {
        (None, None)
    };
    let (relaxed, hits, suggestions) = match results {
        Some(r) => (
            r.relaxed,
            r.hits.into_iter().map(HitView::of).collect(),
            r.suggestions,
        ),
        None => (false, Vec::new(), Vec::new()),
    };
    let page = SearchPage {
        nav: Nav::for_user(&user),
        categories: crate::page::category_options(),
        subjects: crate::page::subject_options(),
        stages: crate::page::stage_options(),
        q: q.q,
        category: q.category,
        subject: q.subject,
        stage: q.stage,
        searched: searched && error.is_none(),
        relaxed,
        hits,
        suggestions,
        error,
    };
    Ok(render(&page)?.into_response())
}
