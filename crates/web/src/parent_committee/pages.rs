//! A unit's parent committee on a page: this school year's committee with
//! its members (the chair first), what it still lacks, its elections and
//! work records, and the forms that keep them; or, where none serves, the
//! form that forms one. Earlier committees open read-only.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::calendar::{format_date, local_day};
use tongyu_domain::org::UnitKind;
use tongyu_domain::parent_committee::{RecordKind, Seat};
use tongyu_service::parent_committee::{
    self as committees, CommitteeDetail, NewElection, NewWork, UnitCommittees,
};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/committees", get(hub))
        .route("/committees/{unit}", get(show))
        .route("/committees/{unit}/form", post(form))
        .route("/committees/{unit}/export.xlsx", get(export))
        .route("/committees/{unit}/{committee}/members", post(add))
        .route(
            "/committees/{unit}/{committee}/members/{account}/remove",
            post(remove),
        )
        .route("/committees/{unit}/{committee}/elections", post(election))
        .route("/committees/{unit}/{committee}/records", post(record))
        .route("/committees/{unit}/{committee}/dissolve", post(dissolve))
}

/// The menu's entry: the committee of the unit the reader works at (a
/// class for a head teacher, a school for its leaders); above schools, the
/// coverage board, where each school's committee is counted.
async fn hub(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    let Some(unit) = homes.first() else {
        return Err(PageError(Error::forbidden()));
    };
    let to = match unit.kind {
        UnitKind::School | UnitKind::Grade | UnitKind::Class => {
            format!("/committees/{}", unit.id)
        }
        _ => format!("/coverage/{}", unit.id),
    };
    Ok(Redirect::to(&to).into_response())
}

struct Crumb {
    href: String,
    name: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct Forms {
    #[serde(default)]
    school_year: String,
    #[serde(default)]
    formed_on: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    seat: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    voters: String,
    #[serde(default)]
    chair_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    attendees: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Template)]
#[template(path = "parent_committee/show.html")]
struct CommitteePage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    u: UnitCommittees,
    /// The committee shown: this year's, or an earlier one asked for.
    shown: Option<CommitteeDetail>,
    /// The shown committee may be changed (this year's, still serving).
    editable: bool,
    chair: Option<String>,
    today: String,
    parents: Vec<Opt>,
    seats: Vec<Opt>,
    kinds: Vec<Opt>,
    f: Forms,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
    /// An earlier committee of the unit.
    committee: Option<i64>,
}

async fn crumbs(state: &AppState, user: &PageUser, unit: i64) -> PageResult<Vec<Crumb>> {
    let kind = tongyu_service::access::unit(
        &state.app,
        &user.ctx,
        unit,
        tongyu_domain::policy::Action::ViewUnit,
    )
    .await?
    .kind;
    let ancestors = tongyu_service::org::crumbs(&state.app, &user.ctx, unit).await?;
    // The last ancestors at school level or below open their committees;
    // those above, their coverage boards.
    let below_school = match kind {
        UnitKind::Class => 2,
        UnitKind::Grade => 1,
        _ => 0,
    };
    let n = ancestors.len();
    Ok(ancestors
        .into_iter()
        .enumerate()
        .map(|(i, (id, name))| Crumb {
            href: if i + below_school >= n {
                format!("/committees/{id}")
            } else {
                format!("/coverage/{id}")
            },
            name,
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    user: &PageUser,
    unit: i64,
    earlier: Option<i64>,
    f: Option<Forms>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let u = committees::of_unit(&state.app, &user.ctx, unit).await?;
    let (shown, editable) = match earlier {
        Some(id) if u.earlier.iter().any(|k| k.id == id) => (
            Some(committees::show(&state.app, &user.ctx, id).await?.1),
            false,
        ),
        Some(_) => return Err(PageError(Error::not_found())),
        None => (u.current.clone(), u.may_manage && u.current.is_some()),
    };
    let parents = if editable {
        committees::candidates(&state.app, &user.ctx, unit)
            .await?
            .into_iter()
            .filter(|(id, _, _)| {
                !shown
                    .as_ref()
                    .is_some_and(|d| d.members.iter().any(|m| m.account_id == *id))
            })
            .map(|(id, parent, child)| Opt {
                value: id.to_string(),
                label: format!("{child} 的家长 {parent}"),
            })
            .collect()
    } else {
        Vec::new()
    };
    let chair = shown.as_ref().and_then(|d| {
        d.members
            .iter()
            .find(|m| m.seat == Seat::Chair)
            .map(|m| m.display_name.clone())
    });
    let today = format_date(local_day(state.app.now()));
    let page = CommitteePage {
        nav: Nav::for_user(user),
        crumbs: crumbs(state, user, unit).await?,
        shown,
        editable,
        chair,
        parents,
        seats: [Seat::Member, Seat::ViceChair, Seat::Chair]
            .iter()
            .map(|s| Opt {
                value: s.as_str().into(),
                label: s.label().into(),
            })
            .collect(),
        kinds: RecordKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        f: f.unwrap_or_else(|| Forms {
            school_year: u.school_year.to_string(),
            formed_on: today.clone(),
            held_on: today.clone(),
            ..Forms::default()
        }),
        today,
        u,
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
    let notice = match q.msg.as_deref() {
        Some("formed") => Some("家委会已组建，请添加成员并记录选举结果。".to_owned()),
        Some("elected") => Some("已记录选举结果，当选者为本届家委会主任。".to_owned()),
        Some("recorded") => Some("已记录。".to_owned()),
        Some("dissolved") => Some("本届家委会已解散。".to_owned()),
        other => notice(other),
    };
    page(&state, &user, unit, q.committee, None, notice, None).await
}

/// A user's mistake shows the page again with what was typed.
async fn again(
    state: &AppState,
    user: &PageUser,
    unit: i64,
    f: Forms,
    e: Error,
) -> PageResult<Response> {
    if shown_on_form(&e) {
        page(state, user, unit, None, Some(f), None, Some(e)).await
    } else {
        Err(PageError(e))
    }
}

fn number(field: &'static str, what: &str, raw: &str) -> Result<i64, Error> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(0);
    }
    raw.parse()
        .map_err(|_| Error::invalid(field, format!("{what}应为整数")))
}

fn done(unit: i64, msg: &str) -> Response {
    Redirect::to(&format!("/committees/{unit}?msg={msg}")).into_response()
}

async fn form(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    CsrfForm(f): CsrfForm<Forms>,
) -> PageResult<Response> {
    let result = match number("school_year", "学年", &f.school_year) {
        Ok(year) => committees::form(&state.app, &user.ctx, unit, year, &f.formed_on).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(unit, "formed")),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn add(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit, committee)): Path<(i64, i64)>,
    CsrfForm(f): CsrfForm<Forms>,
) -> PageResult<Response> {
    let who = match (f.account_id.trim(), f.login.trim()) {
        ("", "") => Err(Error::invalid(
            "member",
            "请从本班家长中选择，或填写家长的用户名或手机号",
        )),
        ("", login) => Ok(Who::Login(login.to_owned())),
        (id, _) => id
            .parse()
            .map(Who::Account)
            .map_err(|_| Error::invalid("member", "请从列表中选择家长")),
    };
    let result = match (who, Seat::parse(f.seat.trim())) {
        (Ok(who), Ok(seat)) => committees::set_member(&state.app, &user.ctx, committee, &who, seat)
            .await
            .map(|_| ()),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(unit, "saved")),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

async fn remove(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit, committee, account)): Path<(i64, i64, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    committees::remove_member(&state.app, &user.ctx, committee, account).await?;
    Ok(done(unit, "removed"))
}

async fn election(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit, committee)): Path<(i64, i64)>,
    CsrfForm(f): CsrfForm<Forms>,
) -> PageResult<Response> {
    let parsed = number("voters", "投票人数", &f.voters).and_then(|voters| {
        let chair_id = f
            .chair_id
            .trim()
            .parse()
            .map_err(|_| Error::invalid("chair_id", "请选择当选的主任"))?;
        Ok(NewElection {
            held_on: f.held_on.clone(),
            voters,
            chair_id,
            note: f.note.clone(),
        })
    });
    let result = match parsed {
        Ok(e) => committees::record_election(&state.app, &user.ctx, committee, &e).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(unit, "elected")),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn record(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit, committee)): Path<(i64, i64)>,
    CsrfForm(f): CsrfForm<Forms>,
) -> PageResult<Response> {
    let parsed = RecordKind::parse(f.kind.trim()).and_then(|kind| {
        Ok(NewWork {
            held_on: f.held_on.clone(),
            kind,
            title: f.title.clone(),
            body: f.body.clone(),
            attendees: number("attendees", "参加人数", &f.attendees)?,
        })
    });
    let result = match parsed {
        Ok(w) => committees::record_work(&state.app, &user.ctx, committee, &w).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(unit, "recorded")),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn dissolve(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit, committee)): Path<(i64, i64)>,
    CsrfForm(f): CsrfForm<Forms>,
) -> PageResult<Response> {
    if f.confirm != "1" {
        let e = Error::invalid("confirm", "请勾选“确认解散”后再提交");
        return again(&state, &user, unit, f, e).await;
    }
    match committees::dissolve(&state.app, &user.ctx, committee).await {
        Ok(()) => Ok(done(unit, "dissolved")),
        Err(e) => again(&state, &user, unit, f, e).await,
    }
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let u = committees::of_unit(&state.app, &user.ctx, unit).await?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    if let Some(d) = &u.current {
        for m in &d.members {
            rows.push(vec![
                "成员".into(),
                m.display_name.clone(),
                m.seat.label().into(),
                m.children.join("、"),
                String::new(),
            ]);
        }
        for e in &d.elections {
            rows.push(vec![
                "选举".into(),
                e.held_on.clone(),
                format!("{} 人投票", e.voters),
                format!("{} 当选主任", e.chair_name),
                e.note.clone(),
            ]);
        }
        for r in &d.records {
            rows.push(vec![
                "工作记录".into(),
                r.held_on.clone(),
                r.kind.label().into(),
                r.title.clone(),
                format!("{} 人参加", r.attendees),
            ]);
        }
    }
    let bytes = tongyu_service::sheet::write_xlsx(
        "家委会",
        &["类别", "姓名或日期", "职务或类型", "孩子或内容", "说明"],
        &rows,
    )?;
    Ok(crate::export::xlsx(
        &format!("committee-{unit}.xlsx"),
        bytes,
    ))
}
