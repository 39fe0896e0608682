//! A guidance centre on a page: its record (or the form that sets it up),
//! its researchers, this school year's services by kind and each service;
//! for the city, the districts without a centre first.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::guidance_center::ServiceKind;
use tongyu_domain::org::UnitKind;
use tongyu_service::guidance_center::{self as guidance, CenterView, NewCenter, NewServiceInput};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, field, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/guidance", get(hub))
        .route("/guidance/{unit}", get(show).post(save))
        .route("/guidance/{unit}/services", post(service))
        .route("/guidance/{unit}/export.xlsx", get(export))
}

async fn hub(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    match homes
        .iter()
        .find(|u| matches!(u.kind, UnitKind::City | UnitKind::District))
    {
        Some(u) => Ok(Redirect::to(&format!("/guidance/{}", u.id)).into_response()),
        None => Err(PageError(Error::invalid(
            "unit_id",
            "指导中心设在市级和区(市)级",
        ))),
    }
}

#[derive(Template)]
#[template(path = "guidance_center/show.html")]
struct CenterPage {
    nav: Nav,
    ancestors: Vec<(i64, String)>,
    c: CenterView,
    kinds: Vec<Opt>,
    today: String,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl CenterPage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

async fn page(
    state: &AppState,
    user: &PageUser,
    unit: i64,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let c = guidance::show(&state.app, &user.ctx, unit).await?;
    let ancestors = tongyu_service::org::crumbs(&state.app, &user.ctx, unit).await?;
    let today =
        tongyu_domain::calendar::format_date(tongyu_domain::calendar::local_day(state.app.now()));
    let mut f = f.unwrap_or_default();
    f.entry("held_on".into()).or_insert_with(|| today.clone());
    if let Some(x) = &c.center {
        for (k, v) in [
            ("name", &x.name),
            ("section", &x.section),
            ("address", &x.address),
            ("phone", &x.phone),
            ("established_on", &x.established_on),
        ] {
            f.entry(k.into()).or_insert_with(|| v.clone());
        }
    }
    let page = CenterPage {
        nav: Nav::for_user(user),
        ancestors,
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        c,
        today,
        f,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    page(&state, &user, unit, None, notice(q.msg.as_deref()), None).await
}

async fn again(
    state: &AppState,
    user: &PageUser,
    unit: i64,
    f: HashMap<String, String>,
    e: Error,
) -> PageResult<Response> {
    if shown_on_form(&e) {
        page(state, user, unit, Some(f), None, Some(e)).await
    } else {
        Err(PageError(e))
    }
}

async fn save(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let n = NewCenter {
        name: field(&f, "name"),
        section: field(&f, "section"),
        address: field(&f, "address"),
        phone: field(&f, "phone"),
        established_on: field(&f, "established_on"),
    };
    match guidance::save(&state.app, &user.ctx, unit, &n).await {
        Ok(()) => Ok(Redirect::to(&format!("/guidance/{unit}?msg=saved")).into_response()),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn service(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let parsed = (|| {
        let people = match field(&f, "people").trim() {
            "" => 0,
            n => n
                .parse()
                .map_err(|_| Error::invalid("people", "服务人数应为整数"))?,
        };
        Ok::<_, Error>(NewServiceInput {
            kind: ServiceKind::parse(field(&f, "kind").trim())?,
            held_on: field(&f, "held_on"),
            title: field(&f, "title"),
            people,
            researcher_id: field(&f, "researcher_id").trim().parse().unwrap_or(0),
        })
    })();
    let result = match parsed {
        Ok(s) => guidance::record_service(&state.app, &user.ctx, unit, &s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/guidance/{unit}?msg=saved")).into_response()),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let c = guidance::show(&state.app, &user.ctx, unit).await?;
    let rows: Vec<Vec<String>> = c
        .services
        .iter()
        .map(|s| {
            vec![
                s.held_on.clone(),
                s.kind.label().into(),
                s.title.clone(),
                s.people.to_string(),
                s.researcher
                    .as_ref()
                    .map(|r| r.1.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let bytes = tongyu_service::sheet::write_xlsx(
        "指导中心服务",
        &["日期", "类型", "内容", "服务人数", "教研员"],
        &rows,
    )?;
    Ok(crate::export::xlsx(&format!("guidance-{unit}.xlsx"), bytes))
}
