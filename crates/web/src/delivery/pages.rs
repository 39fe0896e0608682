//! Required-course delivery pages: the head teacher's class plan and
//! session sheet, and the compliance, workload and effect pages for
//! administrators; the parents' side is `parent.rs`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tongyu_domain::calendar::{format_local_minute, parse_local_datetime, school_year};
use tongyu_domain::delivery::{SessionStatus, Step};
use tongyu_domain::org::UnitKind;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::delivery::{self, AttendanceInput, PresentInput, RecordInput, SessionInput};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, is_user_error, render, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(super::parent::routes())
        .route("/delivery", get(hub))
        .route("/delivery/classes/{id}", get(class_page).post(plan))
        .route("/delivery/sessions/{id}", get(session_page))
        .route(
            "/delivery/sessions/{id}/replan",
            axum::routing::post(replan),
        )
        .route(
            "/delivery/sessions/{id}/status",
            axum::routing::post(set_status),
        )
        .route(
            "/delivery/sessions/{id}/record",
            axum::routing::post(record),
        )
        .route(
            "/delivery/sessions/{id}/attendance",
            axum::routing::post(attendance),
        )
        .route("/delivery/compliance/{unit}", get(compliance))
        .route(
            "/delivery/compliance/{unit}/export.xlsx",
            get(compliance_xlsx),
        )
        .route("/delivery/effect/{course}/{unit}", get(effect))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct PageQuery {
    pub(super) school_year: Option<i64>,
    pub(super) msg: Option<String>,
}

fn year_of(state: &AppState, q: &PageQuery) -> i64 {
    q.school_year
        .unwrap_or_else(|| school_year(state.app.now()))
}

fn mean_label(x100: i64, n: i64) -> String {
    if n == 0 {
        "暂无".into()
    } else {
        format!("{:.1}", x100 as f64 / 100.0)
    }
}

pub(super) fn notice(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "planned" => "已安排。家长会在“我的孩子”里看到这次课。",
        "held" => "已标记为已上课，课时已计入。",
        "planned_again" => "已改回待上课。",
        "cancelled" => "已取消这次课。",
        "recorded" => "已保存教学记录。",
        "attendance" => "已保存出勤登记。",
        "rated" => "感谢您的评价！",
        "answered" => "感谢您填写问卷！",
        other => return crate::page::notice(Some(other)),
    };
    Some(text.to_owned())
}

struct ClassLink {
    id: i64,
    name: String,
}

#[derive(Template)]
#[template(path = "delivery/home.html")]
struct HubPage {
    nav: Nav,
    classes: Vec<ClassLink>,
    homes: Vec<ClassLink>,
    workload: Vec<delivery::YearWorkload>,
    sessions_per_year: i64,
    hours_per_year: i64,
}

/// The entry: the head teacher's classes, the compliance pages of the
/// units the actor sees, and their own class hours.
async fn hub(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let mut classes = Vec::new();
    let mut homes = Vec::new();
    for u in tongyu_service::org::home_units(&state.app, &user.ctx).await? {
        if u.kind == UnitKind::Class {
            classes.push(ClassLink {
                id: u.id,
                name: u.name,
            });
        } else {
            homes.push(ClassLink {
                id: u.id,
                name: u.name,
            });
        }
    }
    if classes.is_empty() && homes.is_empty() {
        return Err(PageError(Error::forbidden()));
    }
    let plan = tongyu_service::plan::current(&state.app).await?;
    let page = HubPage {
        nav: Nav::for_user(&user),
        classes,
        homes,
        workload: delivery::my_workload(&state.app, &user.ctx).await?,
        sessions_per_year: plan.sessions_per_year,
        hours_per_year: plan.hours_per_year,
    };
    Ok(render(&page)?.into_response())
}

struct PlanView {
    id: i64,
    title: String,
    when: String,
    venue: String,
    hours: i64,
    status: String,
    held: bool,
    steps_done: usize,
    present: i64,
    rating: String,
}

#[derive(Template)]
#[template(path = "delivery/class.html")]
struct ClassPage {
    nav: Nav,
    class_id: i64,
    class_name: String,
    school_year: i64,
    sessions_held: i64,
    hours_held: i64,
    met: bool,
    sessions_per_year: i64,
    hours_per_year: i64,
    sessions: Vec<PlanView>,
    may_plan: bool,
    courses: Vec<Opt>,
    notice: Option<String>,
    error: Option<String>,
}

async fn class_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    let year = year_of(&state, &q);
    class_view(&state, &user, id, year, notice(q.msg.as_deref()), None).await
}

async fn class_view(
    state: &AppState,
    user: &PageUser,
    id: i64,
    year: i64,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let plan = delivery::class_plan(&state.app, &user.ctx, id, year).await?;
    let sessions = plan
        .sessions
        .iter()
        .map(|r| PlanView {
            id: r.session.id,
            title: r.session.title.clone(),
            when: format_local_minute(r.session.starts_at),
            venue: venue(&r.session.place, &r.session.online_url),
            hours: r.session.class_hours,
            status: r.session.status.label().into(),
            held: r.session.status == SessionStatus::Held,
            steps_done: r.steps_done,
            present: r.present,
            rating: mean_label(r.rating_mean_x100, r.ratings),
        })
        .collect();
    let targets = tongyu_service::plan::current(&state.app).await?;
    let page = ClassPage {
        nav: Nav::for_user(user),
        class_id: plan.class.id,
        class_name: plan.class.name.clone(),
        school_year: plan.school_year,
        sessions_held: plan.tally.sessions,
        hours_held: plan.tally.hours,
        met: plan.met,
        sessions_per_year: targets.sessions_per_year,
        hours_per_year: targets.hours_per_year,
        sessions,
        may_plan: plan.may_plan,
        courses: plan
            .courses
            .iter()
            .map(|(id, t)| Opt {
                value: id.to_string(),
                label: t.clone(),
            })
            .collect(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

fn venue(place: &str, url: &str) -> String {
    match (place.is_empty(), url.is_empty()) {
        (false, false) => format!("{place}（另有线上链接）"),
        (false, true) => place.to_owned(),
        _ => "线上".into(),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct PlanForm {
    course_id: i64,
    #[serde(default)]
    title: String,
    starts_at: String,
    class_hours: i64,
    #[serde(default)]
    place: String,
    #[serde(default)]
    online_url: String,
}

async fn plan(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<PlanForm>,
) -> PageResult<Response> {
    let year = school_year(state.app.now());
    let Some(starts_at) = parse_local_datetime(&f.starts_at) else {
        let e = Error::invalid("starts_at", "请填写上课日期和时间");
        return class_view(&state, &user, id, year, None, Some(e)).await;
    };
    let input = SessionInput {
        course_id: f.course_id,
        lesson_id: 0,
        title: f.title,
        starts_at,
        class_hours: f.class_hours,
        place: f.place,
        online_url: f.online_url,
    };
    match delivery::plan_session(&state.app, &user.ctx, id, &input).await {
        Ok(s) => Ok(Redirect::to(&format!(
            "/delivery/classes/{id}?school_year={}&msg=planned",
            s.school_year
        ))
        .into_response()),
        Err(e) if is_user_error(&e) => class_view(&state, &user, id, year, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct ReplanForm {
    starts_at: String,
    class_hours: i64,
    #[serde(default)]
    place: String,
    #[serde(default)]
    online_url: String,
}

/// Moves a session not yet held to another time, length or place; the
/// course, lesson and title stay.
async fn replan(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ReplanForm>,
) -> PageResult<Response> {
    let Some(starts_at) = parse_local_datetime(&f.starts_at) else {
        let e = Error::invalid("starts_at", "请填写上课日期和时间");
        return session_view(&state, &user, id, None, Some(e)).await;
    };
    // The session as its teacher may change it (not its families: no read
    // of children's data just to learn the course).
    let (s, _) = tongyu_service::access::class_session(
        &state.app,
        &user.ctx,
        id,
        tongyu_domain::policy::Action::DeliverCourses,
    )
    .await?;
    let input = SessionInput {
        course_id: s.course_id,
        lesson_id: s.lesson_id,
        title: s.title.clone(),
        starts_at,
        class_hours: f.class_hours,
        place: f.place,
        online_url: f.online_url,
    };
    match delivery::update_session(&state.app, &user.ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/delivery/sessions/{id}?msg=saved")).into_response()),
        Err(e) if is_user_error(&e) => session_view(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

struct StepView {
    code: &'static str,
    label: &'static str,
    done: bool,
    note: String,
    /// The lesson's plan for this step (sanitised HTML), if any.
    guide: String,
}

struct FamilyView {
    account_id: i64,
    student_name: String,
    guardian: String,
    present: bool,
    by_qr: bool,
    participation: i64,
}

#[derive(Template)]
#[template(path = "delivery/session.html")]
struct SessionPage {
    nav: Nav,
    id: i64,
    class_id: i64,
    class_name: String,
    school_year: i64,
    title: String,
    course_title: String,
    when: String,
    place: String,
    online_url: String,
    hours: i64,
    /// The start as a `datetime-local` field holds it, for re-planning.
    starts_input: String,
    status: String,
    planned: bool,
    held: bool,
    cancelled: bool,
    started: bool,
    checkin_url: String,
    qr: String,
    steps: Vec<StepView>,
    materials: String,
    families: Vec<FamilyView>,
    present: usize,
    rating: String,
    comments: Vec<(i64, String)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn session_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    session_view(&state, &user, id, notice(q.msg.as_deref()), None).await
}

async fn session_view(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let d = delivery::session_detail(&state.app, &user.ctx, id).await?;
    let s = &d.session;
    let checkin_url = format!("/checkin/{}", d.checkin_token);
    let absolute = format!(
        "{}{}",
        state.config.public_url.trim_end_matches('/'),
        checkin_url
    );
    let steps = Step::ALL
        .iter()
        .map(|st| {
            let done = d.steps.iter().find(|(x, _)| x == st);
            let guide = d
                .lesson_steps
                .iter()
                .find(|(x, _)| x == st)
                .map(|(_, c)| {
                    if *st == Step::MicroReview {
                        crate::markdown::render(&format!("[观看微课]({c})"))
                    } else {
                        crate::markdown::render(c)
                    }
                })
                .unwrap_or_default();
            StepView {
                code: st.as_str(),
                label: st.label(),
                done: done.is_some(),
                note: done.map(|(_, n)| n.clone()).unwrap_or_default(),
                guide,
            }
        })
        .collect();
    let families: Vec<FamilyView> = d
        .families
        .iter()
        .map(|f| FamilyView {
            account_id: f.account_id,
            student_name: f.student_name.clone(),
            guardian: if f.relation.is_empty() {
                f.guardian_name.clone()
            } else {
                format!("{}（{}）", f.guardian_name, f.relation)
            },
            present: f.present,
            by_qr: f.method == "qr",
            participation: f.participation,
        })
        .collect();
    let present = families.iter().filter(|f| f.present).count();
    let page = SessionPage {
        nav: Nav::for_user(user),
        id: s.id,
        class_id: d.class.id,
        class_name: d.class.name.clone(),
        school_year: s.school_year,
        title: s.title.clone(),
        course_title: d.course_title.clone(),
        when: format_local_minute(s.starts_at),
        place: s.place.clone(),
        online_url: s.online_url.clone(),
        hours: s.class_hours,
        starts_input: format_local_minute(s.starts_at).replacen(' ', "T", 1),
        status: s.status.label().into(),
        planned: s.status == SessionStatus::Planned,
        held: s.status == SessionStatus::Held,
        cancelled: s.status == SessionStatus::Cancelled,
        started: s.starts_at <= state.app.now(),
        qr: crate::page::qr::qr_svg(&absolute),
        checkin_url,
        steps,
        materials: s.materials.clone(),
        families,
        present,
        rating: mean_label(d.rating_mean_x100, d.ratings.len() as i64),
        comments: d
            .ratings
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .cloned()
            .collect(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct StatusForm {
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StatusForm>,
) -> PageResult<Response> {
    match delivery::set_status(&state.app, &user.ctx, id, &f.status).await {
        Ok(s) => {
            let msg = match s.status {
                SessionStatus::Held => "held",
                SessionStatus::Cancelled => "cancelled",
                SessionStatus::Planned => "planned_again",
            };
            Ok(Redirect::to(&format!("/delivery/sessions/{id}?msg={msg}")).into_response())
        }
        Err(e) if is_user_error(&e) => session_view(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

/// The record form: `step` fields for the steps ticked, `note_{step}` for
/// their notes, and `materials`.
async fn record(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> PageResult<Response> {
    let field = |name: &str| {
        f.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let input = RecordInput {
        steps: f
            .iter()
            .filter(|(k, _)| k == "step")
            .map(|(_, v)| (v.clone(), field(&format!("note_{v}"))))
            .collect(),
        materials: field("materials"),
    };
    match delivery::save_record(&state.app, &user.ctx, id, &input).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/delivery/sessions/{id}?msg=recorded")).into_response())
        }
        Err(e) if is_user_error(&e) => session_view(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

/// The attendance form: `shown` for each parent on the sheet, `present`
/// for each ticked, `p_{account}` for their participation score. Parents
/// shown and not ticked are marked absent; others are left as they are.
/// The "全部到场" button (`all=1`) ticks everyone shown.
async fn attendance(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> PageResult<Response> {
    let everyone = f.iter().any(|(k, v)| k == "all" && v == "1");
    let mut present = Vec::new();
    for (k, v) in &f {
        if k != "present" && !(everyone && k == "shown") {
            continue;
        }
        if present
            .iter()
            .any(|p: &PresentInput| v.parse::<i64>().ok() == Some(p.account_id))
        {
            continue;
        }
        let Ok(account_id) = v.parse::<i64>() else {
            return Err(PageError(Error::new(ErrorCode::BadRequest)));
        };
        let participation = f
            .iter()
            .find(|(k, _)| *k == format!("p_{account_id}"))
            .and_then(|(_, v)| v.parse::<i64>().ok())
            .unwrap_or(0);
        present.push(PresentInput {
            account_id,
            participation,
        });
    }
    let absent: Vec<i64> = f
        .iter()
        .filter(|(k, _)| k == "shown")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .filter(|id| !present.iter().any(|p: &PresentInput| p.account_id == *id))
        .collect();
    let input = AttendanceInput { present, absent };
    match delivery::save_attendance(&state.app, &user.ctx, id, &input).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/delivery/sessions/{id}?msg=attendance")).into_response())
        }
        Err(e) if is_user_error(&e) => session_view(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

struct ComplianceView {
    id: i64,
    name: String,
    classes: i64,
    met: i64,
    on_track: i64,
    /// Classes that would fall short even if all they planned were held.
    off_track: i64,
    /// Classes on track that have not yet held the minimum.
    under_way: i64,
    t: tongyu_domain::delivery::Tally,
    sessions_missing: i64,
    hours_missing: i64,
}

#[derive(Template)]
#[template(path = "delivery/compliance.html")]
struct CompliancePage {
    nav: Nav,
    unit_id: i64,
    unit_name: String,
    /// The way up, as far as the reader may look: (id, name).
    ancestors: Vec<(i64, String)>,
    school_year: i64,
    top: ComplianceView,
    /// What the units below are called (年级, 学校…) when they are not classes.
    rows_kind: &'static str,
    /// Units below (not classes), those with classes still to plan first.
    rows: Vec<ComplianceView>,
    /// Classes below, those furthest from the minimum first.
    class_rows: Vec<ComplianceView>,
    workload: Vec<delivery::WorkloadRow>,
    sessions_per_year: i64,
    hours_per_year: i64,
}

fn compliance_view(r: &delivery::ComplianceRow) -> ComplianceView {
    ComplianceView {
        id: r.unit_id,
        name: r.name.clone(),
        classes: r.classes,
        met: r.met,
        on_track: r.on_track,
        off_track: r.off_track(),
        under_way: (r.on_track - r.met).max(0),
        t: r.tally.unwrap_or_default(),
        sessions_missing: r.sessions_missing,
        hours_missing: r.hours_missing,
    }
}

async fn compliance(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    let year = year_of(&state, &q);
    let (top, rows) = delivery::compliance(&state.app, &user.ctx, unit, year).await?;
    // Teachers' class hours, for those who may see the unit's staff.
    let workload = if matches!(
        top.kind,
        UnitKind::School | UnitKind::Grade | UnitKind::Class
    ) && user.ctx.actor.can(Action::ViewAccounts, &top.path)
    {
        delivery::workload(&state.app, &user.ctx, unit, year).await?
    } else {
        Vec::new()
    };
    let ancestors = tongyu_service::org::crumbs(&state.app, &user.ctx, top.unit_id).await?;
    let plan = tongyu_service::plan::current(&state.app).await?;
    let (class_rows, rows): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.kind == UnitKind::Class);
    let page = CompliancePage {
        nav: Nav::for_user(&user),
        unit_id: top.unit_id,
        unit_name: top.name.clone(),
        ancestors,
        school_year: year,
        top: compliance_view(&top),
        rows_kind: rows.first().map_or("", |r| r.kind.label()),
        rows: rows.into_iter().map(compliance_view).collect(),
        class_rows: class_rows.into_iter().map(compliance_view).collect(),
        workload,
        sessions_per_year: plan.sessions_per_year,
        hours_per_year: plan.hours_per_year,
    };
    Ok(render(&page)?.into_response())
}

async fn compliance_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    let year = year_of(&state, &q);
    let (top, rows) = delivery::compliance(&state.app, &user.ctx, unit, year).await?;
    let line = |r: &delivery::ComplianceRow| {
        let t = r.tally.map(|t| {
            [
                t.sessions.to_string(),
                t.hours.to_string(),
                t.sessions_planned.to_string(),
                t.hours_planned.to_string(),
            ]
        });
        let mut v = vec![
            r.name.clone(),
            r.kind.label().to_owned(),
            r.classes.to_string(),
            r.met.to_string(),
            r.on_track.to_string(),
            r.off_track().to_string(),
        ];
        v.extend(t.unwrap_or_default());
        v
    };
    let mut table = vec![line(&top)];
    table.extend(rows.iter().map(line));
    let headers = [
        "单位",
        "类型",
        "班级数",
        "已达标班级",
        "按计划可达标班级",
        "尚缺安排班级",
        "已上课次数",
        "已上课时",
        "已安排课次数",
        "已安排课时",
    ];
    let bytes = tongyu_service::sheet::write_xlsx("必修课达标", &headers, &table)?;
    Ok(crate::export::xlsx(
        &format!("delivery-{}-{year}.xlsx", top.unit_id),
        bytes,
    ))
}

struct QuestionView {
    question: String,
    before: String,
    after: String,
    change: String,
    n: String,
}

struct EffectView {
    id: i64,
    name: String,
    before: String,
    after: String,
    change: String,
}

#[derive(Template)]
#[template(path = "delivery/effect.html")]
struct EffectPage {
    nav: Nav,
    course_id: i64,
    course_title: String,
    unit_name: String,
    school_year: i64,
    questions: Vec<QuestionView>,
    rows: Vec<EffectView>,
}

fn fmt_mean(m: Option<f64>) -> String {
    m.map_or_else(|| "—".into(), |m| format!("{m:.2}"))
}

fn fmt_change(b: Option<f64>, a: Option<f64>) -> String {
    match (b, a) {
        (Some(b), Some(a)) => format!("{:+.2}", a - b),
        _ => "—".into(),
    }
}

async fn effect(
    State(state): State<AppState>,
    user: PageUser,
    Path((course, unit)): Path<(i64, i64)>,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    let year = year_of(&state, &q);
    let (questions, rows) = delivery::effect(&state.app, &user.ctx, course, unit, year).await?;
    let u = tongyu_service::access::unit(&state.app, &user.ctx, unit, Action::ViewUnit).await?;
    let course_title = tongyu_service::course::course_title(&state.app, &user.ctx, course).await?;
    let page = EffectPage {
        nav: Nav::for_user(&user),
        course_id: course,
        course_title,
        unit_name: u.name,
        school_year: year,
        questions: questions
            .iter()
            .map(|q| QuestionView {
                question: q.question.clone(),
                before: fmt_mean(q.before),
                after: fmt_mean(q.after),
                change: fmt_change(q.before, q.after),
                n: format!("{} / {}", q.before_n, q.after_n),
            })
            .collect(),
        rows: rows
            .iter()
            .map(|r| EffectView {
                id: r.unit_id,
                name: r.name.clone(),
                before: fmt_mean(r.before),
                after: fmt_mean(r.after),
                change: fmt_change(r.before, r.after),
            })
            .collect(),
    };
    Ok(render(&page)?.into_response())
}
