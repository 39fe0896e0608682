//! The expert pool on pages: the pool with its filters (and, for the city,
//! the form that adds an expert); the requests waiting for the reader's
//! answer and those their units made; an expert's page with the request
//! form, the answers, ratings and conflicts of interest.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::calendar::{format_local_minute, parse_local_datetime};
use tongyu_domain::expert_pool::{Pool, RequestKind};
use tongyu_service::expert_pool::{
    self as experts, Expert, ExpertView, NewProfile, NewRequestInput, Request,
};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, field, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/experts", get(list).post(add))
        .route("/experts/export.xlsx", get(export))
        .route("/experts/{id}", get(show).post(update))
        .route("/experts/{id}/conflicts", post(conflict))
        .route("/experts/{id}/requests", post(request))
        .route("/expert-requests/{id}/answer", post(answer))
        .route("/expert-requests/{id}/cancel", post(cancel))
        .route("/expert-requests/{id}/rating", post(rate))
}

struct RequestLine {
    r: Request,
    when: String,
    status: &'static str,
    kind: &'static str,
    ended: bool,
}

fn request_line(r: &Request, now: i64) -> RequestLine {
    RequestLine {
        when: format!(
            "{} 至 {}",
            format_local_minute(r.starts_at),
            format_local_minute(r.ends_at)
        ),
        status: r.status.label(),
        kind: r.kind.label(),
        ended: r.ends_at < now,
        r: r.clone(),
    }
}

#[derive(Template)]
#[template(path = "expert_pool/list.html")]
struct ListPage {
    nav: Nav,
    experts: Vec<Expert>,
    pool: String,
    q: String,
    waiting: Vec<RequestLine>,
    made: Vec<RequestLine>,
    mine: Option<i64>,
    may_add: bool,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl ListPage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ListQuery {
    #[serde(default)]
    pool: String,
    #[serde(default)]
    q: String,
    msg: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &PageUser,
    q: &ListQuery,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let pool = Pool::parse(&q.pool).ok();
    let list = experts::list(&state.app, &user.ctx, pool, &q.q).await?;
    let now = state.app.now();
    let may_add = user
        .ctx
        .actor
        .grants
        .iter()
        .any(|g| g.role == tongyu_domain::account::Role::CityAdmin);
    let page = ListPage {
        nav: Nav::for_user(user),
        experts: list,
        pool: q.pool.clone(),
        q: q.q.clone(),
        waiting: experts::waiting(&state.app, &user.ctx)
            .await?
            .iter()
            .map(|r| request_line(r, now))
            .collect(),
        made: experts::requests_made(&state.app, &user.ctx)
            .await?
            .iter()
            .take(20)
            .map(|r| request_line(r, now))
            .collect(),
        mine: experts::my_profile(&state.app, &user.ctx).await?,
        may_add,
        f: f.unwrap_or_default(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    let notice = notice(q.msg.as_deref());
    list_page(&state, &user, &q, None, notice, None).await
}

fn profile(f: &HashMap<String, String>) -> Result<NewProfile, Error> {
    Ok(NewProfile {
        pool: Pool::parse(field(f, "pool").trim())?,
        title: field(f, "title"),
        specialties: field(f, "specialties"),
        region: field(f, "region"),
        availability: field(f, "availability"),
    })
}

async fn add(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let result = match profile(&f) {
        Ok(p) => experts::add(&state.app, &user.ctx, &Who::Login(field(&f, "login")), &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/experts/{id}?msg=created")).into_response()),
        Err(e) if shown_on_form(&e) => {
            list_page(&state, &user, &ListQuery::default(), Some(f), None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "expert_pool/show.html")]
struct ExpertPage {
    nav: Nav,
    v: ExpertView,
    requests: Vec<RequestLine>,
    /// Units the reader may ask for: (id, name).
    units: Vec<(i64, String)>,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl ExpertPage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

async fn expert_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let v = experts::show(&state.app, &user.ctx, id).await?;
    let now = state.app.now();
    let units = tongyu_service::org::home_units(&state.app, &user.ctx)
        .await?
        .into_iter()
        .filter(|u| {
            user.ctx
                .actor
                .can(tongyu_domain::policy::Action::RequestExperts, &u.path)
        })
        .map(|u| (u.id, u.name))
        .collect();
    let mut f = f.unwrap_or_default();
    f.entry("pool".into())
        .or_insert_with(|| v.expert.pool.as_str().to_owned());
    f.entry("title".into())
        .or_insert_with(|| v.expert.title.clone());
    f.entry("specialties".into())
        .or_insert_with(|| v.expert.specialties.join("、"));
    f.entry("region".into())
        .or_insert_with(|| v.expert.region.clone());
    f.entry("availability".into())
        .or_insert_with(|| v.expert.availability.clone());
    let page = ExpertPage {
        nav: Nav::for_user(user),
        requests: v.requests.iter().map(|r| request_line(r, now)).collect(),
        units,
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
        Some("requested") => Some("邀请已发出，请等待专家答复。".to_owned()),
        Some("answered") => Some("已答复。".to_owned()),
        other => notice(other),
    };
    expert_page(&state, &user, id, None, notice, None).await
}

async fn again(
    state: &AppState,
    user: &PageUser,
    id: i64,
    f: HashMap<String, String>,
    e: Error,
) -> PageResult<Response> {
    if shown_on_form(&e) {
        expert_page(state, user, id, Some(f), None, Some(e)).await
    } else {
        Err(PageError(e))
    }
}

async fn update(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let result = match profile(&f) {
        Ok(p) => experts::update(&state.app, &user.ctx, id, &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/experts/{id}?msg=saved")).into_response()),
        Err(e) => again(&state, &user, id, f, e).await,
    }
}

async fn conflict(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let result = match experts::unit_named(&state.app, &field(&f, "unit")).await {
        Ok(unit) => {
            experts::declare_conflict(&state.app, &user.ctx, id, unit, &field(&f, "reason"))
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/experts/{id}?msg=saved")).into_response()),
        Err(e) => again(&state, &user, id, f, e).await,
    }
}

async fn request(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let parsed = (|| {
        let day = field(&f, "date");
        let at = |k: &'static str, what: &str| {
            parse_local_datetime(&format!("{} {}", day.trim(), field(&f, k).trim()))
                .ok_or_else(|| Error::invalid(k, format!("请填写{what}")))
        };
        Ok::<_, Error>(NewRequestInput {
            unit_id: field(&f, "unit_id")
                .parse()
                .map_err(|_| Error::invalid("unit_id", "请选择邀请单位"))?,
            kind: RequestKind::parse(field(&f, "kind").trim())?,
            topic: field(&f, "topic"),
            starts_at: at("starts", "开始时间")?,
            ends_at: at("ends", "结束时间")?,
            place: field(&f, "place"),
        })
    })();
    let result = match parsed {
        Ok(r) => experts::request(&state.app, &user.ctx, id, &r)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/experts/{id}?msg=requested")).into_response()),
        Err(e) => again(&state, &user, id, f, e).await,
    }
}

/// Where a request's form goes back to.
fn back(f: &HashMap<String, String>) -> String {
    let b = field(f, "back");
    crate::page::safe_next(if b.is_empty() { "/experts" } else { &b })
}

async fn answer(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let accept = field(&f, "accept") == "1";
    experts::answer(&state.app, &user.ctx, id, accept, &field(&f, "note")).await?;
    Ok(Redirect::to(&back(&f)).into_response())
}

async fn cancel(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    experts::cancel(&state.app, &user.ctx, id).await?;
    Ok(Redirect::to(&back(&f)).into_response())
}

async fn rate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let score = field(&f, "score").parse().unwrap_or(0);
    experts::rate(&state.app, &user.ctx, id, score, &field(&f, "comment")).await?;
    Ok(Redirect::to(&back(&f)).into_response())
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    let pool = Pool::parse(&q.pool).ok();
    let list = experts::list(&state.app, &user.ctx, pool, &q.q).await?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            vec![
                e.name.clone(),
                e.pool.label().to_owned(),
                e.title.clone(),
                e.specialties.join("、"),
                e.region.clone(),
                e.availability.clone(),
                e.given.to_string(),
                if e.ratings > 0 {
                    format!("{}.{:02}", e.rating_x100 / 100, e.rating_x100 % 100)
                } else {
                    String::new()
                },
                if e.active { "在库" } else { "已停用" }.to_owned(),
            ]
        })
        .collect();
    let bytes = tongyu_service::sheet::write_xlsx(
        "专家资源库",
        &[
            "姓名",
            "类别",
            "职称与单位",
            "专长",
            "地区",
            "可约时间",
            "已讲座/评审",
            "平均评分",
            "状态",
        ],
        &rows,
    )?;
    Ok(crate::export::xlsx("experts.xlsx", bytes))
}
