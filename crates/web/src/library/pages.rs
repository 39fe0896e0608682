//! The library (课程库) on a phone: tabs by subject, a grade and a
//! category to narrow it, course cards, and a course page with its lessons,
//! durations, the reader's progress and attachments.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tongyu_domain::course::Category;
use tongyu_domain::org::Stage;
use tongyu_service::library::{self, CourseView, LibraryCourse, LibraryQuery};

use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::page::{Nav, Opt, is_user_error, render, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/library", get(catalogue))
        .route("/library/favourites", get(favourites))
        .route("/library/courses/{id}", get(course))
        .route(
            "/library/courses/{id}/favourite",
            axum::routing::post(favourite),
        )
}

#[derive(Template)]
#[template(path = "library/index.html")]
struct CataloguePage {
    nav: Nav,
    q: LibraryQuery,
    subjects: Vec<Opt>,
    categories: Vec<Opt>,
    stages: Vec<Opt>,
    /// Each stage's grades, as the grade menu groups them.
    grades: Vec<(&'static str, Vec<Opt>)>,
    courses: Vec<LibraryCourse>,
    /// The reader's favourites rather than the catalogue.
    favourites: bool,
    error: Option<String>,
}

impl CataloguePage {
    fn new(user: &PageUser, q: LibraryQuery, courses: Vec<LibraryCourse>) -> CataloguePage {
        CataloguePage {
            nav: Nav::for_user(user),
            subjects: crate::page::subject_options(),
            categories: Category::ALL
                .iter()
                .filter(|c| **c != Category::Required)
                .map(|c| Opt {
                    value: c.as_str().into(),
                    label: c.label().into(),
                })
                .collect(),
            stages: Stage::ALL
                .iter()
                .map(|s| Opt {
                    value: s.as_str().into(),
                    label: s.label().into(),
                })
                .collect(),
            grades: Stage::ALL
                .iter()
                .map(|s| {
                    let grades = s
                        .grades()
                        .into_iter()
                        .map(|g| Opt {
                            value: g.code(),
                            label: g.label(),
                        })
                        .collect();
                    (s.label(), grades)
                })
                .collect(),
            q,
            courses,
            favourites: false,
            error: None,
        }
    }
}

async fn catalogue(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<LibraryQuery>,
) -> PageResult<Response> {
    let (courses, error) = match library::catalogue(&state.app, &q).await {
        Ok(c) => (c, None),
        Err(e) if is_user_error(&e) => (Vec::new(), Some(e)),
        Err(e) => return Err(e.into()),
    };
    let mut page = CataloguePage::new(&user, q, courses);
    page.error = error.as_ref().map(|e| e.message.clone());
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

/// The courses the reader keeps, as the catalogue lists them.
async fn favourites(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let courses = library::favourites(&state.app, &user.ctx).await?;
    let mut page = CataloguePage::new(&user, LibraryQuery::default(), courses);
    page.favourites = true;
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct FavouriteForm {
    /// "1" to keep the course, anything else to let it go.
    favourite: String,
}

async fn favourite(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    crate::extract::CsrfForm(f): crate::extract::CsrfForm<FavouriteForm>,
) -> PageResult<Response> {
    library::set_favourite(&state.app, &user.ctx, id, f.favourite == "1").await?;
    Ok(axum::response::Redirect::to(&format!("/library/courses/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "library/course.html")]
struct CoursePage {
    nav: Nav,
    v: CourseView,
}

async fn course(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let v = library::course(&state.app, &user.ctx, id).await?;
    let page = CoursePage {
        nav: Nav::for_user(&user),
        v,
    };
    Ok(render(&page)?.into_response())
}
