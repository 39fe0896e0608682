//! The school's two parent lecturer groups on a page: each group's
//! lecturers, whether the school has both (双团), the lectures given, and
//! the forms that keep them.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::calendar::{format_date, local_day};
use tongyu_domain::lecturer_group::{Audience, GroupKind};
use tongyu_service::lecturer_group::{self as groups, NewLectureInput, SchoolGroups};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lecturer-groups/{school}", get(show))
        .route("/lecturer-groups/{school}/lecturers", post(add))
        .route(
            "/lecturer-groups/{school}/lecturers/{kind}/{account}/remove",
            post(remove),
        )
        .route("/lecturer-groups/{school}/lectures", post(lecture))
        .route("/lecturer-groups/{school}/export.xlsx", get(export))
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct Forms {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    specialty: String,
    #[serde(default)]
    lecturer: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    attendees: String,
}

#[derive(Template)]
#[template(path = "lecturer_group/show.html")]
struct GroupsPage {
    nav: Nav,
    ancestors: Vec<(i64, String)>,
    g: SchoolGroups,
    kinds: Vec<Opt>,
    /// `kind:account` for every lecturer, for the lecture form.
    lecturers: Vec<Opt>,
    today: String,
    f: Forms,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

async fn page(
    state: &AppState,
    user: &PageUser,
    school: i64,
    f: Option<Forms>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let g = groups::show(&state.app, &user.ctx, school).await?;
    let ancestors = tongyu_service::org::crumbs(&state.app, &user.ctx, school).await?;
    let today = format_date(local_day(state.app.now()));
    let lecturers = g
        .groups
        .iter()
        .flat_map(|grp| {
            grp.lecturers.iter().map(move |l| Opt {
                value: format!("{}:{}", grp.kind.as_str(), l.account_id),
                label: format!("{}（{}）", l.display_name, grp.label),
            })
        })
        .collect();
    let page = GroupsPage {
        nav: Nav::for_user(user),
        ancestors,
        kinds: GroupKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        lecturers,
        f: f.unwrap_or_else(|| Forms {
            held_on: today.clone(),
            ..Forms::default()
        }),
        today,
        g,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("lecture") => Some("已记录讲座。".to_owned()),
        other => notice(other),
    };
    page(&state, &user, school, None, notice, None).await
}

async fn again(
    state: &AppState,
    user: &PageUser,
    school: i64,
    f: Forms,
    e: Error,
) -> PageResult<Response> {
    if shown_on_form(&e) {
        page(state, user, school, Some(f), None, Some(e)).await
    } else {
        Err(PageError(e))
    }
}

fn done(school: i64, msg: &str) -> Response {
    Redirect::to(&format!("/lecturer-groups/{school}?msg={msg}")).into_response()
}

async fn add(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
    CsrfForm(f): CsrfForm<Forms>,
) -> PageResult<Response> {
    let result = match GroupKind::parse(f.kind.trim()) {
        Ok(kind) => groups::set_lecturer(
            &state.app,
            &user.ctx,
            school,
            kind,
            &Who::Login(f.login.clone()),
            &f.specialty,
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(school, "saved")),
        Err(e) => again(&state, &user, school, f, e).await,
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

async fn remove(
    State(state): State<AppState>,
    user: PageUser,
    Path((school, kind, account)): Path<(i64, String, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let kind = GroupKind::parse(&kind)?;
    groups::remove_lecturer(&state.app, &user.ctx, school, kind, account).await?;
    Ok(done(school, "removed"))
}

fn parse_lecture(f: &Forms) -> Result<NewLectureInput, Error> {
    let bad = || Error::invalid("lecturer_id", "请选择主讲的家长讲师");
    let (kind, id) = f.lecturer.split_once(':').ok_or_else(bad)?;
    let attendees = match f.attendees.trim() {
        "" => 0,
        n => n
            .parse()
            .map_err(|_| Error::invalid("attendees", "听讲人数应为整数"))?,
    };
    Ok(NewLectureInput {
        kind: GroupKind::parse(kind)?,
        lecturer_id: id.parse().map_err(|_| bad())?,
        held_on: f.held_on.clone(),
        audience: Audience::parse(f.audience.trim())?,
        title: f.title.clone(),
        attendees,
    })
}

async fn lecture(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
    CsrfForm(f): CsrfForm<Forms>,
) -> PageResult<Response> {
    let result = match parse_lecture(&f) {
        Ok(l) => groups::record_lecture(&state.app, &user.ctx, school, &l).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(school, "lecture")),
        Err(e) => again(&state, &user, school, f, e).await,
    }
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
) -> PageResult<Response> {
    let g = groups::show(&state.app, &user.ctx, school).await?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for grp in &g.groups {
        for l in &grp.lecturers {
            rows.push(vec![
                grp.label.clone(),
                "讲师".into(),
                l.display_name.clone(),
                l.specialty.clone(),
                format!("{} 次讲座", l.lectures),
            ]);
        }
    }
    for l in &g.lectures {
        rows.push(vec![
            l.kind.label().into(),
            l.held_on.clone(),
            l.lecturer_name.clone(),
            l.title.clone(),
            format!("{}，{} 人", l.audience.label(), l.attendees),
        ]);
    }
    let bytes = tongyu_service::sheet::write_xlsx(
        "家长讲师团",
        &[
            "讲师团",
            "类别或日期",
            "讲师",
            "主题、职业或讲座题目",
            "说明",
        ],
        &rows,
    )?;
    Ok(crate::export::xlsx(
        &format!("lecturer-groups-{school}.xlsx"),
        bytes,
    ))
}
