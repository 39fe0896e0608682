//! Training on pages: the reader's record and the programmes they attend
//! or run; a programme with its sessions; a session with its check-in code
//! (for its organisers) or its online lesson (for participants); checking
//! in by the code; and the board of the plan's targets.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::calendar::{format_local_minute, parse_local_datetime};
use tongyu_domain::org::UnitKind;
use tongyu_domain::training::{Mode, ProgrammeKind, Target};
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::training::{
    self as training, Board, BoardRow, NewProgramme, NewSession, Programme, ProgrammeView, Record,
    SessionView,
};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, field, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/training", get(hub).post(create_programme))
        .route(
            "/training/programmes/{id}",
            get(programme).post(add_session),
        )
        .route("/training/programmes/{id}/export.xlsx", get(programme_xlsx))
        .route("/training/sessions/{id}", get(session))
        .route("/training/sessions/{id}/complete", post(complete))
        .route(
            "/training/sessions/{id}/attendance",
            post(record_attendance),
        )
        .route("/training/board/{unit}", get(board))
        .route("/training/board/{unit}/export.xlsx", get(board_xlsx))
        .route("/t/{token}", get(checkin_page).post(checkin))
}

struct ProgrammeLine {
    id: i64,
    title: String,
    kind: &'static str,
    target_hours: i64,
}

fn line(p: &Programme) -> ProgrammeLine {
    ProgrammeLine {
        id: p.id,
        title: p.title.clone(),
        kind: p.kind.label(),
        target_hours: p.target_hours,
    }
}

#[derive(Template)]
#[template(path = "training/hub.html")]
struct HubPage {
    nav: Nav,
    record: Record,
    to_attend: Vec<ProgrammeLine>,
    run: Vec<ProgrammeLine>,
    /// Units the reader may run programmes for: (id, name).
    owners: Vec<(i64, String)>,
    board_unit: Option<i64>,
    kinds: Vec<Opt>,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl HubPage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

async fn hub_page(
    state: &AppState,
    user: &PageUser,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let record = training::my_record(&state.app, &user.ctx).await?;
    let (run, to_attend) = training::programmes(&state.app, &user.ctx).await?;
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    let owners: Vec<(i64, String)> = homes
        .iter()
        .filter(|u| {
            matches!(
                u.kind,
                UnitKind::City | UnitKind::District | UnitKind::School
            ) && user
                .ctx
                .actor
                .can(tongyu_domain::policy::Action::ManageTraining, &u.path)
        })
        .map(|u| (u.id, u.name.clone()))
        .collect();
    let board_unit = homes
        .iter()
        .find(|u| u.kind != UnitKind::Class)
        .map(|u| u.id);
    let page = HubPage {
        nav: Nav::for_user(user),
        record,
        to_attend: to_attend.iter().map(line).collect(),
        run: run.iter().map(line).collect(),
        owners,
        board_unit,
        kinds: ProgrammeKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        f: f.unwrap_or_default(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn hub(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    hub_page(&state, &user, None, notice(q.msg.as_deref()), None).await
}

async fn create_programme(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let parsed = (|| {
        let unit: i64 = field(&f, "unit_id")
            .parse()
            .map_err(|_| Error::invalid("unit_id", "请选择组织单位"))?;
        let target_hours: i64 = field(&f, "target_hours")
            .trim()
            .parse()
            .map_err(|_| Error::invalid("target_hours", "目标学时应为整数"))?;
        Ok::<_, Error>((
            unit,
            NewProgramme {
                kind: ProgrammeKind::parse(field(&f, "kind").trim())?,
                title: field(&f, "title"),
                description: field(&f, "description"),
                target_hours,
            },
        ))
    })();
    let result = match parsed {
        Ok((unit, p)) => training::create_programme(&state.app, &user.ctx, unit, &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => {
            Ok(Redirect::to(&format!("/training/programmes/{id}?msg=created")).into_response())
        }
        Err(e) if shown_on_form(&e) => hub_page(&state, &user, Some(f), None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

struct SessionLine {
    id: i64,
    title: String,
    when: String,
    mode: &'static str,
    place: String,
    hours: i64,
}

#[derive(Template)]
#[template(path = "training/programme.html")]
struct ProgrammePage {
    nav: Nav,
    v: ProgrammeView,
    kind: &'static str,
    sessions: Vec<SessionLine>,
    f: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
}

impl ProgrammePage {
    fn field(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

async fn programme_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    f: Option<HashMap<String, String>>,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let v = training::programme(&state.app, &user.ctx, id).await?;
    let page = ProgrammePage {
        nav: Nav::for_user(user),
        kind: v.programme.kind.label(),
        sessions: v
            .sessions
            .iter()
            .map(|s| SessionLine {
                id: s.id,
                title: s.title.clone(),
                when: format!(
                    "{} 至 {}",
                    format_local_minute(s.starts_at),
                    format_local_minute(s.ends_at)
                ),
                mode: s.mode.label(),
                place: s.place.clone(),
                hours: s.hours,
            })
            .collect(),
        v,
        f: f.unwrap_or_default(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn programme(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("created") => Some("培训项目已建立，请安排培训场次。".to_owned()),
        other => notice(other),
    };
    programme_page(&state, &user, id, None, notice, None).await
}

async fn add_session(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let parsed = (|| {
        let day = field(&f, "date");
        let at = |k: &'static str, what: &str| {
            parse_local_datetime(&format!("{} {}", day.trim(), field(&f, k).trim()))
                .ok_or_else(|| Error::invalid(k, format!("请填写{what}，如 2026-12-05 与 14:30")))
        };
        let mode = Mode::parse(field(&f, "mode").trim())?;
        let lesson_id = match (mode, field(&f, "lesson_id").trim()) {
            (Mode::Online, raw) => raw
                .trim_start_matches("/lessons/")
                .parse()
                .map_err(|_| Error::invalid("lesson_id", "请填写课程库课时的编号"))?,
            (Mode::InPerson, _) => 0,
        };
        Ok::<_, Error>(NewSession {
            title: field(&f, "title"),
            starts_at: at("starts", "开始时间")?,
            ends_at: at("ends", "结束时间")?,
            mode,
            place: field(&f, "place"),
            lesson_id,
            hours: field(&f, "hours")
                .trim()
                .parse()
                .map_err(|_| Error::invalid("hours", "学时应为整数"))?,
            presenter: field(&f, "presenter"),
        })
    })();
    let result = match parsed {
        Ok(s) => training::add_session(&state.app, &user.ctx, id, &s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/training/programmes/{id}?msg=saved")).into_response()),
        Err(e) if shown_on_form(&e) => {
            programme_page(&state, &user, id, Some(f), None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

struct AttendanceLine {
    name: String,
    method: &'static str,
    at: String,
}

#[derive(Template)]
#[template(path = "training/session.html")]
struct SessionPage {
    nav: Nav,
    v: SessionView,
    when: String,
    mode: &'static str,
    open_now: bool,
    qr_svg: Option<String>,
    checkin_url: Option<String>,
    attendance: Vec<AttendanceLine>,
    login: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn session_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    login: String,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let v = training::session(&state.app, &user.ctx, id).await?;
    let checkin_url = v
        .checkin_token
        .as_ref()
        .map(|t| format!("{}/t/{t}", state.config.public_url.trim_end_matches('/')));
    let now = state.app.now();
    let s = &v.session;
    let page = SessionPage {
        nav: Nav::for_user(user),
        when: format!(
            "{} 至 {}",
            format_local_minute(s.starts_at),
            format_local_minute(s.ends_at)
        ),
        mode: s.mode.label(),
        open_now: now >= s.starts_at - tongyu_domain::training::CHECKIN_MARGIN_S
            && now <= s.ends_at + tongyu_domain::training::CHECKIN_MARGIN_S,
        qr_svg: checkin_url.as_deref().map(crate::page::qr::qr_svg),
        checkin_url,
        attendance: v
            .attendance
            .iter()
            .map(|(_, name, method, at)| AttendanceLine {
                name: name.clone(),
                method: match method.as_str() {
                    "qr" => "扫码",
                    "online" => "线上",
                    _ => "补登",
                },
                at: format_local_minute(*at),
            })
            .collect(),
        v,
        login,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn session(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("done") => Some("已记入培训学时。".to_owned()),
        other => notice(other),
    };
    session_page(&state, &user, id, String::new(), notice, None).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

async fn complete(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    match training::complete_online(&state.app, &user.ctx, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/training/sessions/{id}?msg=done")).into_response()),
        Err(e) if shown_on_form(&e) => {
            session_page(&state, &user, id, String::new(), None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn record_attendance(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let login = field(&f, "login");
    match training::record_attendance(&state.app, &user.ctx, id, &Who::Login(login.clone())).await {
        Ok(()) => Ok(Redirect::to(&format!("/training/sessions/{id}?msg=saved")).into_response()),
        Err(e) if shown_on_form(&e) => session_page(&state, &user, id, login, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "training/checkin.html")]
struct CheckinPage {
    nav: Nav,
    token: String,
    done: Option<(i64, String, i64, bool)>,
    error: Option<String>,
}

async fn checkin_page(user: PageUser, Path(token): Path<String>) -> PageResult<Response> {
    let page = CheckinPage {
        nav: Nav::for_user(&user),
        token,
        done: None,
        error: None,
    };
    Ok(render(&page)?.into_response())
}

async fn checkin(
    State(state): State<AppState>,
    user: PageUser,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let (done, error) = match training::check_in(&state.app, &user.ctx, &token).await {
        Ok(c) => (Some((c.session_id, c.title, c.hours, c.new)), None),
        Err(e) if e.code != ErrorCode::Internal => (None, Some(e)),
        Err(e) => return Err(PageError(e)),
    };
    let page = CheckinPage {
        nav: Nav::for_user(&user),
        token,
        done,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

struct BoardCell {
    people: i64,
    done: i64,
    percent: i64,
}

struct BoardLine {
    id: i64,
    name: String,
    cells: Vec<BoardCell>,
    missing: i64,
}

fn board_line(r: &BoardRow) -> BoardLine {
    BoardLine {
        id: r.unit_id,
        name: r.name.clone(),
        cells: r
            .figures
            .iter()
            .map(|(p, d)| BoardCell {
                people: *p,
                done: *d,
                percent: tongyu_domain::coverage::percent(*d, *p),
            })
            .collect(),
        missing: r.missing(),
    }
}

#[derive(Template)]
#[template(path = "training/board.html")]
struct BoardPage {
    nav: Nav,
    ancestors: Vec<(i64, String)>,
    labels: Vec<&'static str>,
    top: BoardLine,
    rows: Vec<BoardLine>,
    rows_kind: &'static str,
}

async fn board(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let b: Board = training::board(&state.app, &user.ctx, unit).await?;
    let ancestors = tongyu_service::org::crumbs(&state.app, &user.ctx, unit).await?;
    let page = BoardPage {
        nav: Nav::for_user(&user),
        ancestors,
        labels: b.targets.iter().map(|t| t.label()).collect(),
        top: board_line(&b.top),
        rows_kind: b.rows.first().map_or("", |r| r.kind.label()),
        rows: b.rows.iter().map(board_line).collect(),
    };
    Ok(render(&page)?.into_response())
}

async fn board_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let b = training::board(&state.app, &user.ctx, unit).await?;
    let mut headers = vec!["单位".to_owned()];
    for t in Target::ALL {
        headers.push(format!("{}（应）", t.label()));
        headers.push(format!("{}（已）", t.label()));
    }
    let line = |r: &BoardRow| {
        let mut v = vec![r.name.clone()];
        for (p, d) in &r.figures {
            v.push(p.to_string());
            v.push(d.to_string());
        }
        v
    };
    let mut rows = vec![line(&b.top)];
    rows.extend(b.rows.iter().map(line));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let bytes = tongyu_service::sheet::write_xlsx("培训完成情况", &headers, &rows)?;
    Ok(crate::export::xlsx(&format!("training-{unit}.xlsx"), bytes))
}

async fn programme_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let rows: Vec<Vec<String>> = training::programme_attendance(&state.app, &user.ctx, id)
        .await?
        .into_iter()
        .map(|(title, starts_at, hours, name, method, at)| {
            vec![
                title,
                format_local_minute(starts_at),
                hours.to_string(),
                name,
                match method.as_str() {
                    "qr" => "扫码",
                    "online" => "线上",
                    _ => "补登",
                }
                .to_owned(),
                format_local_minute(at),
            ]
        })
        .collect();
    let bytes = tongyu_service::sheet::write_xlsx(
        "培训签到",
        &["场次", "开始时间", "学时", "姓名", "方式", "签到时间"],
        &rows,
    )?;
    Ok(crate::export::xlsx(
        &format!("training-programme-{id}.xlsx"),
        bytes,
    ))
}
