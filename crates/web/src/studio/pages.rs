//! Master-teacher studios on pages: the list against the plan's target with
//! the application form and the city's selection; a studio's page with its
//! members, plan, outputs and reviews; and its public page.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::studio::{Grade, OutputKind};
use tongyu_service::studio::{self as studios, NewOutput, PublicStudio, StudioView, Studios};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, field, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studios", get(list).post(apply))
        .route("/studios/export.xlsx", get(export))
        .route("/studios/{id}", get(show))
        .route("/studios/{id}/decision", post(decide))
        .route("/studios/{id}/members", post(member))
        .route("/studios/{id}/plan", post(plan))
        .route("/studios/{id}/outputs", post(output))
        .route("/studios/{id}/review", post(review))
        .route("/p/studios/{id}", get(public))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

#[derive(Template)]
#[template(path = "studio/list.html")]
struct ListPage {
    nav: Nav,
    s: Studios,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl ListPage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

async fn list_page(
    state: &AppState,
    user: &PageUser,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let page = ListPage {
        nav: Nav::for_user(user),
        s: studios::list(&state.app, &user.ctx).await?,
        f: f.unwrap_or_default(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    list_page(&state, &user, None, notice(q.msg.as_deref()), None).await
}

async fn apply(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    match studios::apply(
        &state.app,
        &user.ctx,
        &field(&f, "name"),
        &field(&f, "focus"),
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/studios/{id}?msg=created")).into_response()),
        Err(e) if shown_on_form(&e) => list_page(&state, &user, Some(f), None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "studio/show.html")]
struct StudioPage {
    nav: Nav,
    v: StudioView,
    plan_html: Option<std::sync::Arc<str>>,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl StudioPage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

async fn studio_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let v = studios::show(&state.app, &user.ctx, id).await?;
    let current = v
        .plans
        .iter()
        .find(|p| p.school_year == v.school_year)
        .map(|p| p.body.clone());
    let mut f = f.unwrap_or_default();
    if let Some(body) = &current {
        f.entry("body".into()).or_insert_with(|| body.clone());
    }
    let page = StudioPage {
        nav: Nav::for_user(user),
        plan_html: current.as_deref().map(crate::markdown::render_cached),
        v,
        f,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("created") => Some("已申报，请等待市级遴选。".to_owned()),
        other => notice(other),
    };
    studio_page(&state, &user, id, None, notice, None).await
}

async fn done_or_again(
    state: &AppState,
    user: &PageUser,
    id: i64,
    f: HashMap<String, String>,
    r: Result<(), Error>,
) -> PageResult<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/studios/{id}?msg=saved")).into_response()),
        Err(e) if shown_on_form(&e) => studio_page(state, user, id, Some(f), None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

async fn decide(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let r = studios::decide(
        &state.app,
        &user.ctx,
        id,
        field(&f, "select") == "1",
        &field(&f, "note"),
    )
    .await;
    done_or_again(&state, &user, id, f, r).await
}

async fn member(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let r = studios::add_member(&state.app, &user.ctx, id, &Who::Login(field(&f, "login"))).await;
    done_or_again(&state, &user, id, f, r).await
}

async fn plan(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let r = studios::save_plan(&state.app, &user.ctx, id, &field(&f, "body")).await;
    done_or_again(&state, &user, id, f, r).await
}

async fn output(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let r = match OutputKind::parse(field(&f, "kind").trim()) {
        Ok(kind) => {
            let o = NewOutput {
                kind,
                ref_id: field(&f, "ref_id").trim().parse().unwrap_or(0),
                title: field(&f, "title"),
                held_on: field(&f, "held_on"),
            };
            studios::add_output(&state.app, &user.ctx, id, &o)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    done_or_again(&state, &user, id, f, r).await
}

async fn review(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let r = match Grade::parse(field(&f, "grade").trim()) {
        Ok(g) => studios::review(&state.app, &user.ctx, id, g, &field(&f, "note")).await,
        Err(e) => Err(e),
    };
    done_or_again(&state, &user, id, f, r).await
}

#[derive(Template)]
#[template(path = "studio/public.html")]
struct PublicPage {
    nav: Nav,
    p: PublicStudio,
}

async fn public(State(state): State<AppState>, Path(id): Path<i64>) -> PageResult<Response> {
    let page = PublicPage {
        nav: Nav::default(),
        p: studios::public(&state.app, id).await?,
    };
    Ok(render(&page)?.into_response())
}

async fn export(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let s = studios::list(&state.app, &user.ctx).await?;
    let rows: Vec<Vec<String>> = s
        .studios
        .iter()
        .map(|x| {
            vec![
                x.name.clone(),
                x.lead_name.clone(),
                x.unit_name.clone(),
                x.status.label().to_owned(),
                x.members.to_string(),
                x.outputs.to_string(),
                x.focus.clone(),
            ]
        })
        .collect();
    let bytes = tongyu_service::sheet::write_xlsx(
        "名师工作室",
        &[
            "名称",
            "主持人",
            "单位",
            "状态",
            "成员数",
            "成果数",
            "研究方向",
        ],
        &rows,
    )?;
    Ok(crate::export::xlsx("studios.xlsx", bytes))
}
