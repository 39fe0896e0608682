//! The school's work group on a page: its gaps first, the members with
//! their duties, a form to add one (staff from a list, a parent by username
//! or phone), and the term's family-education plan.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::calendar::{Term, format_local_minute};
use tongyu_domain::org::UnitKind;
use tongyu_domain::work_group::{Duty, term_label};
use tongyu_service::work_group::{self, Who, WorkGroup};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/work-group", get(hub))
        .route("/work-group/{school}", get(show))
        .route("/work-group/{school}/members", post(add))
        .route(
            "/work-group/{school}/members/{account}/remove",
            post(remove),
        )
        .route("/work-group/{school}/plan", post(save_plan))
        .route("/work-group/{school}/export.xlsx", get(export))
}

/// The menu's entry: a school's own people go to their group; leaders
/// above schools to the coverage board of their unit.
async fn hub(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    let Some(unit) = homes.first() else {
        return Err(PageError(Error::forbidden()));
    };
    let to = match unit.kind {
        UnitKind::School => format!("/work-group/{}", unit.id),
        UnitKind::Grade | UnitKind::Class => {
            return Err(PageError(Error::forbidden()));
        }
        _ => format!("/coverage/{}", unit.id),
    };
    Ok(Redirect::to(&to).into_response())
}

struct MemberView {
    account_id: i64,
    name: String,
    duty: &'static str,
    coordinator: bool,
    active: bool,
}

struct PlanView {
    label: String,
    html: std::sync::Arc<str>,
    at: String,
}

/// What the add form carries.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct AddForm {
    /// An account from the list of staff.
    #[serde(default)]
    account_id: String,
    /// Or a username or phone number (a parent).
    #[serde(default)]
    login: String,
    #[serde(default)]
    duty: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct PlanForm {
    #[serde(default)]
    term: String,
    #[serde(default)]
    body: String,
}

#[derive(Template)]
#[template(path = "work_group/show.html")]
struct GroupPage {
    nav: Nav,
    g: WorkGroup,
    ancestors: Vec<(i64, String)>,
    members: Vec<MemberView>,
    term_label: String,
    next_label: String,
    next_value: String,
    this_value: String,
    plan_html: Option<std::sync::Arc<str>>,
    plan_at: String,
    earlier: Vec<PlanView>,
    staff: Vec<Opt>,
    duties: Vec<Opt>,
    add: AddForm,
    plan_form: PlanForm,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

fn term_value(year: i64, term: Term) -> String {
    format!("{year}-{}", term.as_str())
}

fn parse_term(v: &str) -> Result<(i64, Term), Error> {
    let bad = || Error::invalid("term", "请选择学期");
    let (y, t) = v.split_once('-').ok_or_else(bad)?;
    Ok((
        y.parse().map_err(|_| bad())?,
        Term::parse(t).ok_or_else(bad)?,
    ))
}

async fn page(
    state: &AppState,
    user: &PageUser,
    school: i64,
    add: Option<AddForm>,
    plan_form: Option<PlanForm>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let g = work_group::show(&state.app, &user.ctx, school).await?;
    let ancestors = tongyu_service::org::crumbs(&state.app, &user.ctx, school).await?;
    let staff = if g.may_manage {
        work_group::candidates(&state.app, &user.ctx, school)
            .await?
            .into_iter()
            .filter(|(id, _, _)| !g.members.iter().any(|m| m.account_id == *id))
            .map(|(id, name, username)| Opt {
                value: id.to_string(),
                label: format!("{name}（{username}）"),
            })
            .collect()
    } else {
        Vec::new()
    };
    let next = match g.term {
        Term::First => (g.school_year, Term::Second),
        Term::Second => (g.school_year + 1, Term::First),
    };
    let page = GroupPage {
        nav: Nav::for_user(user),
        ancestors,
        members: g
            .members
            .iter()
            .map(|m| MemberView {
                account_id: m.account_id,
                name: m.display_name.clone(),
                duty: m.duty.label(),
                coordinator: m.duty == Duty::Coordinator,
                active: m.active,
            })
            .collect(),
        term_label: term_label(g.school_year, g.term),
        next_label: term_label(next.0, next.1),
        next_value: term_value(next.0, next.1),
        this_value: term_value(g.school_year, g.term),
        plan_html: g
            .plan
            .as_ref()
            .map(|p| crate::markdown::render_cached(&p.body)),
        plan_at: g
            .plan
            .as_ref()
            .map(|p| format_local_minute(p.updated_at))
            .unwrap_or_default(),
        earlier: g
            .earlier_plans
            .iter()
            .map(|p| PlanView {
                label: term_label(p.school_year, p.term),
                html: crate::markdown::render_cached(&p.body),
                at: format_local_minute(p.updated_at),
            })
            .collect(),
        staff,
        duties: Duty::ALL
            .iter()
            .map(|d| Opt {
                value: d.as_str().into(),
                label: d.label().into(),
            })
            .collect(),
        add: add.unwrap_or_default(),
        plan_form: plan_form.unwrap_or_else(|| PlanForm {
            term: term_value(g.school_year, g.term),
            body: g.plan.as_ref().map(|p| p.body.clone()).unwrap_or_default(),
        }),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
        g,
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
        Some("granted") => Some("已加入工作小组，并已为其开通本校总协调员角色。".to_owned()),
        Some("added") => Some("已加入工作小组。".to_owned()),
        other => notice(other),
    };
    page(&state, &user, school, None, None, notice, None).await
}

/// A user's mistake shows the page again with what was typed; anything
/// else (not found, forbidden) is the error page.
async fn again(
    state: &AppState,
    user: &PageUser,
    school: i64,
    add: Option<AddForm>,
    plan: Option<PlanForm>,
    e: Error,
) -> PageResult<Response> {
    if shown_on_form(&e) {
        page(state, user, school, add, plan, None, Some(e)).await
    } else {
        Err(PageError(e))
    }
}

async fn add(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
    CsrfForm(f): CsrfForm<AddForm>,
) -> PageResult<Response> {
    let who = match (f.account_id.trim(), f.login.trim()) {
        ("", "") => Err(Error::invalid(
            "member",
            "请从本校教职工中选择，或填写家长的用户名或手机号",
        )),
        ("", login) => Ok(Who::Login(login.to_owned())),
        (id, _) => id
            .parse()
            .map(Who::Account)
            .map_err(|_| Error::invalid("member", "请从列表中选择成员")),
    };
    let result = match (who, Duty::parse(f.duty.trim())) {
        (Ok(who), Ok(duty)) => {
            work_group::set_member(&state.app, &user.ctx, school, &who, duty).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(set) => {
            let msg = if set.granted_coordinator {
                "granted"
            } else {
                "added"
            };
            Ok(Redirect::to(&format!("/work-group/{school}?msg={msg}")).into_response())
        }
        Err(e) => again(&state, &user, school, Some(f), None, e).await,
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

async fn remove(
    State(state): State<AppState>,
    user: PageUser,
    Path((school, account)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    work_group::remove_member(&state.app, &user.ctx, school, account).await?;
    Ok(Redirect::to(&format!("/work-group/{school}?msg=removed")).into_response())
}

async fn save_plan(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
    CsrfForm(f): CsrfForm<PlanForm>,
) -> PageResult<Response> {
    let result = match parse_term(&f.term) {
        Ok((year, term)) => {
            work_group::save_plan(&state.app, &user.ctx, school, year, term, &f.body).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/work-group/{school}?msg=saved")).into_response()),
        Err(e) => again(&state, &user, school, None, Some(f), e).await,
    }
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
) -> PageResult<Response> {
    let g = work_group::show(&state.app, &user.ctx, school).await?;
    let rows: Vec<Vec<String>> = g
        .members
        .iter()
        .map(|m| {
            vec![
                m.display_name.clone(),
                m.duty.label().to_owned(),
                if m.active { "正常" } else { "已停用" }.to_owned(),
                format_local_minute(m.added_at),
            ]
        })
        .collect();
    let bytes = tongyu_service::sheet::write_xlsx(
        "工作小组",
        &["姓名", "职责", "账号状态", "加入时间"],
        &rows,
    )?;
    Ok(crate::export::xlsx(
        &format!("work-group-{school}.xlsx"),
        bytes,
    ))
}
