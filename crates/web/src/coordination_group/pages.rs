//! The coordination group on a page: whether it meets in time and what is
//! overdue first, its lead and departments, its meetings; a meeting's page
//! with its minutes, the departments present and its follow-up items.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::org::UnitKind;
use tongyu_service::coordination_group::{
    self as coordination, GroupView, Item, MeetingDetail, NewDepartment, NewItem, NewMeeting,
};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, field, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coordination", get(hub))
        .route("/coordination/{unit}", get(show))
        .route("/coordination/{unit}/group", post(save_group))
        .route("/coordination/{unit}/departments", post(add_department))
        .route(
            "/coordination/{unit}/departments/{id}/remove",
            post(remove_department),
        )
        .route("/coordination/{unit}/meetings", post(record_meeting))
        .route("/coordination/{unit}/export.xlsx", get(export))
        .route("/joint-meetings/{id}", get(meeting))
        .route("/joint-meetings/{id}/items", post(add_item))
        .route("/meeting-items/{id}/done", post(close_item))
}

/// The menu's entry: the group of the city or district the reader works at.
async fn hub(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    match homes
        .iter()
        .find(|u| matches!(u.kind, UnitKind::City | UnitKind::District))
    {
        Some(u) => Ok(Redirect::to(&format!("/coordination/{}", u.id)).into_response()),
        None => Err(PageError(Error::invalid(
            "unit_id",
            "协调小组设在市级和区(市)级；本单位负责的决定事项列在首页待办中",
        ))),
    }
}

struct ItemView {
    item: Item,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "coordination_group/show.html")]
struct GroupPage {
    nav: Nav,
    ancestors: Vec<(i64, String)>,
    g: GroupView,
    items: Vec<ItemView>,
    today: String,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl GroupPage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
    fn checked(&self, k: &str) -> bool {
        self.f.get(k).is_some_and(|v| v == "1")
    }
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

fn today(state: &AppState) -> String {
    tongyu_domain::calendar::format_date(tongyu_domain::calendar::local_day(state.app.now()))
}

async fn page(
    state: &AppState,
    user: &PageUser,
    unit: i64,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let g = coordination::show(&state.app, &user.ctx, unit).await?;
    let ancestors = tongyu_service::org::crumbs(&state.app, &user.ctx, unit).await?;
    let items = g
        .open_items
        .iter()
        .map(|i| ItemView {
            overdue: coordination::overdue(&state.app, i),
            item: i.clone(),
        })
        .collect();
    let today = today(state);
    let mut f = f.unwrap_or_default();
    f.entry("held_on".into()).or_insert_with(|| today.clone());
    if let Some(grp) = &g.group {
        f.entry("lead".into()).or_insert_with(|| grp.lead.clone());
        f.entry("set_up_on".into())
            .or_insert_with(|| grp.set_up_on.clone());
    }
    let page = GroupPage {
        nav: Nav::for_user(user),
        ancestors,
        g,
        items,
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

async fn save_group(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    match coordination::save_group(
        &state.app,
        &user.ctx,
        unit,
        &field(&f, "lead"),
        &field(&f, "set_up_on"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/coordination/{unit}?msg=saved")).into_response()),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn add_department(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let d = NewDepartment {
        name: field(&f, "name"),
        contact: field(&f, "contact"),
        phone: field(&f, "phone"),
        leading: field(&f, "leading") == "1",
    };
    match coordination::add_department(&state.app, &user.ctx, unit, &d).await {
        Ok(_) => Ok(Redirect::to(&format!("/coordination/{unit}?msg=saved")).into_response()),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn remove_department(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit, id)): Path<(i64, i64)>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    match coordination::remove_department(&state.app, &user.ctx, unit, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/coordination/{unit}?msg=removed")).into_response()),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn record_meeting(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let mut present: Vec<i64> = f
        .iter()
        .filter(|(k, v)| k.starts_with("dept_") && *v == "1")
        .filter_map(|(k, _)| k["dept_".len()..].parse().ok())
        .collect();
    present.sort_unstable();
    let m = NewMeeting {
        held_on: field(&f, "held_on"),
        title: field(&f, "title"),
        agenda: field(&f, "agenda"),
        minutes: field(&f, "minutes"),
        present,
    };
    match coordination::record_meeting(&state.app, &user.ctx, unit, &m).await {
        Ok(id) => Ok(Redirect::to(&format!("/joint-meetings/{id}?msg=created")).into_response()),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let g = coordination::show(&state.app, &user.ctx, unit).await?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for d in &g.departments {
        rows.push(vec![
            "成员单位".into(),
            d.name.clone(),
            d.contact.clone(),
            d.phone.clone(),
            if d.leading { "牵头" } else { "" }.into(),
        ]);
    }
    for m in &g.meetings {
        rows.push(vec![
            "联席会议".into(),
            m.held_on.clone(),
            m.title.clone(),
            String::new(),
            String::new(),
        ]);
    }
    for i in &g.open_items {
        rows.push(vec![
            "未完成事项".into(),
            i.due_on.clone(),
            i.decision.clone(),
            i.owner_name.clone(),
            i.meeting_title.clone(),
        ]);
    }
    for b in &g.below {
        rows.push(vec![
            "区(市)协调小组".into(),
            b.name.clone(),
            if b.has_group {
                "已成立"
            } else {
                "未成立"
            }
            .into(),
            format!("最近会议 {}", b.standing.last_meeting),
            format!("逾期事项 {}", b.standing.overdue_items),
        ]);
    }
    let bytes = tongyu_service::sheet::write_xlsx(
        "协调小组",
        &["类别", "名称或日期", "内容", "联络人或责任单位", "说明"],
        &rows,
    )?;
    Ok(crate::export::xlsx(
        &format!("coordination-{unit}.xlsx"),
        bytes,
    ))
}

#[derive(Template)]
#[template(path = "coordination_group/meeting.html")]
struct MeetingPage {
    nav: Nav,
    d: MeetingDetail,
    minutes_html: std::sync::Arc<str>,
    items: Vec<ItemView>,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl MeetingPage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

async fn meeting_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let d = coordination::meeting(&state.app, &user.ctx, id).await?;
    let items = d
        .items
        .iter()
        .map(|i| ItemView {
            overdue: coordination::overdue(&state.app, i),
            item: i.clone(),
        })
        .collect();
    let page = MeetingPage {
        nav: Nav::for_user(user),
        minutes_html: crate::markdown::render_cached(&d.meeting.minutes),
        items,
        d,
        f: f.unwrap_or_default(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn meeting(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("created") => Some("已记录会议，请添加会议决定的事项。".to_owned()),
        Some("done") => Some("已标记完成。".to_owned()),
        other => notice(other),
    };
    meeting_page(&state, &user, id, None, notice, None).await
}

async fn add_item(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let parsed = field(&f, "owner_unit_id")
        .parse::<i64>()
        .map_err(|_| Error::invalid("owner_unit_id", "请选择责任单位"))
        .map(|owner| NewItem {
            decision: field(&f, "decision"),
            owner_unit_id: owner,
            due_on: field(&f, "due_on"),
        });
    let result = match parsed {
        Ok(i) => coordination::add_item(&state.app, &user.ctx, id, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/joint-meetings/{id}?msg=saved")).into_response()),
        Err(e) if shown_on_form(&e) => {
            meeting_page(&state, &user, id, Some(f), None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn close_item(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    coordination::close_item(&state.app, &user.ctx, id, &field(&f, "note")).await?;
    let back = field(&f, "back");
    Ok(Redirect::to(&crate::page::safe_next(if back.is_empty() {
        "/"
    } else {
        &back
    }))
    .into_response())
}
