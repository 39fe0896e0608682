//! Training (tasks 4, 6 and 21): programmes run by the city, a district or
//! a school; their sessions, attended in person by the session's QR code or
//! online by playing a library lesson to the end; hours credited; each
//! person's record; and the board of the plan's targets (head teachers
//! through the five-step method, teachers through home visits, committee
//! chairs trained), read from `training_rollups` so it costs the same at
//! any scale.

use tongyu_domain::account::Role;
use tongyu_domain::org::{Unit, UnitKind, path_within};
use tongyu_domain::parent_committee::checked_text;
use tongyu_domain::policy::Action;
use tongyu_domain::training::{
    CHECKIN_MARGIN_S, Mode, ProgrammeKind, Target, checked_hours, checked_target, checked_times,
};
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::training as store;
/// A programme, a session and a line of a record, as the API shows them.
pub use tongyu_store::training::{Attended, Programme, Session};
use tongyu_store::{DbResult, org as units};

use crate::{App, Ctx, audit};

async fn owner_unit(app: &App, ctx: &Ctx, unit_id: i64, action: Action) -> Result<Unit> {
    let unit = crate::access::unit(app, ctx, unit_id, action).await?;
    if !matches!(
        unit.kind,
        UnitKind::City | UnitKind::District | UnitKind::School
    ) {
        return Err(Error::invalid(
            "unit_id",
            "培训由市、区(市)或学校组织，请选择其中之一",
        ));
    }
    Ok(unit)
}

/// A programme as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewProgramme {
    pub kind: ProgrammeKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Hours (学时) that complete it.
    pub target_hours: i64,
}

pub async fn create_programme(app: &App, ctx: &Ctx, unit_id: i64, p: &NewProgramme) -> Result<i64> {
    let unit = owner_unit(app, ctx, unit_id, Action::ManageTraining).await?;
    let title = checked_text("title", "项目名称", &p.title, 2, 100)?;
    let description = checked_text("description", "说明", &p.description, 0, 2000)?;
    let plan = crate::plan::current(app).await?;
    let target = checked_target(p.kind, p.target_hours, plan.chair_training_hours)?;
    let mut tx = app.db.write().await?;
    let id = store::insert_programme(
        &mut tx,
        unit.id,
        p.kind,
        &title,
        &description,
        target,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "training.programme",
            "training_programme",
            id,
            Some(unit.id),
            format!("{}：{title}，{target} 学时", p.kind.label()),
        ),
    )
    .await?;
    Ok(id)
}

async fn programme_and_unit(
    app: &App,
    ctx: &Ctx,
    id: i64,
    action: Action,
) -> Result<(Programme, Unit)> {
    let found = {
        let mut c = app.db.read().await?;
        store::programme(&mut c, id).await?
    };
    let Some(p) = found else {
        return Err(Error::not_found());
    };
    let unit = crate::access::unit(app, ctx, p.unit_id, action).await?;
    Ok((p, unit))
}

/// A session as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewSession {
    pub title: String,
    /// Unix seconds.
    pub starts_at: i64,
    pub ends_at: i64,
    pub mode: Mode,
    #[serde(default)]
    pub place: String,
    /// An online session's published library lesson.
    #[serde(default)]
    pub lesson_id: i64,
    pub hours: i64,
    /// Who presents it (username or phone of a staff member or an
    /// expert); credited to their workload and counted as a lecture.
    #[serde(default)]
    pub presenter: String,
}

pub async fn add_session(app: &App, ctx: &Ctx, programme_id: i64, s: &NewSession) -> Result<i64> {
    let (p, unit) = programme_and_unit(app, ctx, programme_id, Action::ManageTraining).await?;
    let title = checked_text("title", "培训主题", &s.title, 2, 100)?;
    let place = checked_text("place", "地点", &s.place, 0, 100)?;
    checked_times(s.starts_at, s.ends_at)?;
    let hours = checked_hours("hours", s.hours)?;
    let lesson_id = match s.mode {
        Mode::Online => {
            let found = {
                let mut c = app.db.read().await?;
                tongyu_store::course::get_lesson(&mut c, s.lesson_id).await?
            };
            match found {
                Some(l) if l.status == tongyu_domain::course::Status::Published => l.id,
                _ => {
                    return Err(Error::invalid(
                        "lesson_id",
                        "线上培训须选择一节已发布的课程库课程",
                    ));
                }
            }
        }
        Mode::InPerson => 0,
    };
    let presenter_id = if s.presenter.trim().is_empty() {
        0
    } else {
        let mut c = app.db.read().await?;
        let who = crate::work_group::Who::Login(s.presenter.clone());
        let a = crate::work_group::find(app, &mut c, &who)
            .await
            .map_err(|_| Error::invalid("presenter", "找不到主讲人，请核对用户名或手机号"))?;
        let grants = tongyu_store::account::grants_of(&mut c, a.id).await?;
        if !a.active || !grants.iter().any(|g| g.role != Role::Parent) {
            return Err(Error::invalid(
                "presenter",
                format!("{}不是在岗教职工或专家，不能作为主讲人", a.display_name),
            ));
        }
        a.id
    };
    let session = Session {
        id: 0,
        programme_id: p.id,
        title: title.clone(),
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        mode: s.mode,
        place,
        lesson_id,
        hours,
        presenter_id,
        checkin_token: crate::auth::random_token(18),
    };
    let mut tx = app.db.write().await?;
    let id = store::insert_session(&mut tx, &session, ctx.actor.account_id, app.now()).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "training.session",
            "training_session",
            id,
            Some(unit.id),
            format!(
                "{}：{title}，{hours} 学时",
                tongyu_domain::calendar::format_local_minute(s.starts_at)
            ),
        ),
    )
    .await?;
    Ok(id)
}

/// A programme with its sessions.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ProgrammeView {
    pub programme: Programme,
    pub unit_name: String,
    pub sessions: Vec<Session>,
    /// The reader's hours in it, and whether they completed it.
    pub my_hours: i64,
    pub may_manage: bool,
}

/// May the actor take part in a programme owned by this unit: staff with a
/// grant at or below it (a chairs' programme: a chair of a committee there).
async fn may_attend(app: &App, ctx: &Ctx, p: &Programme, owner: &Unit) -> Result<bool> {
    if p.kind.for_chairs() {
        let mut c = app.db.read().await?;
        let chaired = store::chaired_paths(&mut c, ctx.actor.account_id).await?;
        return Ok(chaired.iter().any(|path| path_within(path, &owner.path)));
    }
    Ok(ctx
        .actor
        .grants
        .iter()
        .any(|g| g.role != Role::Parent && path_within(&g.unit_path, &owner.path)))
}

pub async fn programme(app: &App, ctx: &Ctx, id: i64) -> Result<ProgrammeView> {
    let found = {
        let mut c = app.db.read().await?;
        match store::programme(&mut c, id).await? {
            Some(p) => units::get(&mut c, p.unit_id).await?.map(|u| (p, u)),
            None => None,
        }
    };
    let Some((p, unit)) = found else {
        return Err(Error::not_found());
    };
    // Its organisers see it, and so do those it is for.
    if !crate::access::in_view(ctx, &unit.path) && !may_attend(app, ctx, &p, &unit).await? {
        return Err(Error::not_found());
    }
    let mut c = app.db.read().await?;
    let sessions = store::sessions_of(&mut c, p.id).await?;
    let my_hours = store::attended_by(&mut c, ctx.actor.account_id)
        .await?
        .iter()
        .filter(|a| a.programme_id == p.id)
        .map(|a| a.hours)
        .sum();
    Ok(ProgrammeView {
        may_manage: ctx.actor.can(Action::ManageTraining, &unit.path),
        unit_name: unit.name,
        programme: p,
        sessions,
        my_hours,
    })
}

/// Everyone who attended a programme, for its organisers (audited: it
/// names people): (session title, start, hours, name, method, when).
pub async fn programme_attendance(
    app: &App,
    ctx: &Ctx,
    id: i64,
) -> Result<Vec<(String, i64, i64, String, String, i64)>> {
    let (p, unit) = programme_and_unit(app, ctx, id, Action::ManageTraining).await?;
    let rows = {
        let mut c = app.db.read().await?;
        store::programme_attendance(&mut c, p.id).await?
    };
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "training.export",
            "training_programme",
            p.id,
            Some(unit.id),
            format!("{} 人次", rows.len()),
        ),
    )
    .await?;
    Ok(rows)
}

/// A session with, for its organisers, who attended (audited: it names
/// people) and its check-in code.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TrainingSessionView")]
pub struct SessionView {
    pub session: Session,
    pub programme: Programme,
    /// Only for those who run the programme.
    pub checkin_token: Option<String>,
    /// (account id, name, method, at), for those who run the programme.
    pub attendance: Vec<(i64, String, String, i64)>,
    /// The reader attended.
    pub attended: bool,
    pub may_manage: bool,
    /// The presenter's name, or empty.
    pub presenter_name: String,
}

pub async fn session(app: &App, ctx: &Ctx, id: i64) -> Result<SessionView> {
    let found = {
        let mut c = app.db.read().await?;
        store::session(&mut c, id).await?
    };
    let Some(s) = found else {
        return Err(Error::not_found());
    };
    let view = programme(app, ctx, s.programme_id).await?;
    let mut c = app.db.read().await?;
    let attendance = store::attendance(&mut c, s.id).await?;
    let presenter_name = tongyu_store::account::display_names(&mut c, &[s.presenter_id])
        .await?
        .remove(&s.presenter_id)
        .unwrap_or_default();
    drop(c);
    let attended = attendance.iter().any(|a| a.0 == ctx.actor.account_id);
    let may_manage = view.may_manage;
    if may_manage {
        audit::append_alone(
            app,
            &audit::entry(
                app,
                ctx,
                "training.read_session",
                "training_session",
                s.id,
                Some(view.programme.unit_id),
                format!("{} 人", attendance.len()),
            ),
        )
        .await?;
    }
    Ok(SessionView {
        checkin_token: may_manage.then(|| s.checkin_token.clone()),
        attendance: if may_manage { attendance } else { Vec::new() },
        attended,
        may_manage,
        presenter_name,
        programme: view.programme,
        session: s,
    })
}

/// What checking in gave.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CheckedIn {
    pub session_id: i64,
    pub title: String,
    pub hours: i64,
    /// False when already recorded.
    pub new: bool,
}

async fn credit(
    app: &App,
    ctx: &Ctx,
    s: &Session,
    p: &Programme,
    account_id: i64,
    method: &str,
) -> Result<bool> {
    let mut tx = app.db.write().await?;
    let new = store::attend(&mut tx, s.id, account_id, method, app.now()).await?;
    if new {
        store::refresh_people(&mut tx, &[account_id]).await?;
        audit::append(
            &mut tx,
            &audit::entry(
                app,
                ctx,
                "training.attend",
                "training_session",
                s.id,
                Some(p.unit_id),
                format!("{account_id}：{method}，{} 学时", s.hours),
            ),
        )
        .await?;
    }
    tx.commit().await.db()?;
    Ok(new)
}

async fn session_for_attendance(app: &App, ctx: &Ctx, s: Session) -> Result<(Session, Programme)> {
    let found = {
        let mut c = app.db.read().await?;
        match store::programme(&mut c, s.programme_id).await? {
            Some(p) => units::get(&mut c, p.unit_id).await?.map(|u| (p, u)),
            None => None,
        }
    };
    let Some((p, unit)) = found else {
        return Err(Error::not_found());
    };
    if !may_attend(app, ctx, &p, &unit).await? {
        return Err(Error::with_message(
            ErrorCode::Forbidden,
            if p.kind.for_chairs() {
                format!(
                    "这是{}的家委会主任培训：只有本地区的家委会主任可以签到",
                    unit.name
                )
            } else {
                format!(
                    "这是{}组织的培训：只有本单位及下属单位的教职工可以签到",
                    unit.name
                )
            },
        ));
    }
    Ok((s, p))
}

/// A participant checks in by the session's QR code, from half an hour
/// before it starts to half an hour after it ends, once.
pub async fn check_in(app: &App, ctx: &Ctx, token: &str) -> Result<CheckedIn> {
    let found = {
        let mut c = app.db.read().await?;
        store::session_by_token(&mut c, token.trim()).await?
    };
    let s = found.ok_or_else(|| {
        Error::with_message(ErrorCode::NotFound, "签到码无效，请向培训组织者确认")
    })?;
    let (s, p) = session_for_attendance(app, ctx, s).await?;
    let now = app.now();
    if now < s.starts_at - CHECKIN_MARGIN_S {
        return Err(Error::invalid(
            "token",
            "还没到签到时间：开始前30分钟开放签到",
        ));
    }
    if now > s.ends_at + CHECKIN_MARGIN_S {
        return Err(Error::invalid("token", "签到已结束，请联系培训组织者补登"));
    }
    let new = credit(app, ctx, &s, &p, ctx.actor.account_id, "qr").await?;
    Ok(CheckedIn {
        session_id: s.id,
        title: s.title,
        hours: s.hours,
        new,
    })
}

/// A participant of an online session confirms it once they have played
/// its lesson to the end.
pub async fn complete_online(app: &App, ctx: &Ctx, session_id: i64) -> Result<CheckedIn> {
    let found = {
        let mut c = app.db.read().await?;
        store::session(&mut c, session_id).await?
    };
    let Some(s) = found else {
        return Err(Error::not_found());
    };
    let (s, p) = session_for_attendance(app, ctx, s).await?;
    if s.mode != Mode::Online {
        return Err(Error::invalid("session", "线下培训请扫码签到"));
    }
    let done = {
        let mut c = app.db.read().await?;
        tongyu_store::learning::progress_of(&mut c, ctx.actor.account_id)
            .await?
            .get(&s.lesson_id)
            .is_some_and(|(_, completed)| *completed > 0)
    };
    if !done {
        return Err(Error::invalid(
            "session",
            "请先完整观看本次线上培训的课程，再确认完成",
        ));
    }
    let new = credit(app, ctx, &s, &p, ctx.actor.account_id, "online").await?;
    Ok(CheckedIn {
        session_id: s.id,
        title: s.title,
        hours: s.hours,
        new,
    })
}

/// An organiser records someone who attended without scanning (补登).
pub async fn record_attendance(
    app: &App,
    ctx: &Ctx,
    session_id: i64,
    who: &crate::work_group::Who,
) -> Result<()> {
    let found = {
        let mut c = app.db.read().await?;
        store::session(&mut c, session_id).await?
    };
    let Some(s) = found else {
        return Err(Error::not_found());
    };
    let (p, unit) = programme_and_unit(app, ctx, s.programme_id, Action::ManageTraining).await?;
    let account = {
        let mut c = app.db.read().await?;
        crate::work_group::find(app, &mut c, who).await?
    };
    let grants = {
        let mut c = app.db.read().await?;
        tongyu_store::account::grants_of(&mut c, account.id).await?
    };
    let belongs = grants
        .iter()
        .any(|g| g.role != Role::Parent && path_within(&g.unit_path, &unit.path))
        || p.kind.for_chairs();
    if !belongs {
        return Err(Error::invalid(
            "member",
            format!(
                "{}不是{}及下属单位的教职工",
                account.display_name, unit.name
            ),
        ));
    }
    if !credit(app, ctx, &s, &p, account.id, "roster").await? {
        return Err(Error::conflict(format!("{}已签到", account.display_name)));
    }
    Ok(())
}

/// One programme in a person's record.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct RecordLine {
    pub programme_id: i64,
    pub title: String,
    pub kind: ProgrammeKind,
    pub hours: i64,
    pub target_hours: i64,
    pub completed: bool,
}

/// A person's training record.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TrainingRecord")]
pub struct Record {
    pub account_id: i64,
    pub display_name: String,
    pub total_hours: i64,
    pub programmes: Vec<RecordLine>,
    /// The latest first.
    pub sessions: Vec<Attended>,
}

async fn record_of(app: &App, account_id: i64, name: String) -> Result<Record> {
    let mut c = app.db.read().await?;
    let sessions = store::attended_by(&mut c, account_id).await?;
    let mut programmes: Vec<RecordLine> = Vec::new();
    for a in &sessions {
        match programmes
            .iter_mut()
            .find(|l| l.programme_id == a.programme_id)
        {
            Some(l) => l.hours += a.hours,
            None => programmes.push(RecordLine {
                programme_id: a.programme_id,
                title: a.programme_title.clone(),
                kind: a.kind,
                hours: a.hours,
                target_hours: a.target_hours,
                completed: false,
            }),
        }
    }
    for l in &mut programmes {
        l.completed = l.hours >= l.target_hours;
    }
    Ok(Record {
        account_id,
        display_name: name,
        total_hours: sessions.iter().map(|s| s.hours).sum(),
        programmes,
        sessions,
    })
}

/// The reader's own record.
pub async fn my_record(app: &App, ctx: &Ctx) -> Result<Record> {
    let name = {
        let mut c = app.db.read().await?;
        tongyu_store::account::require(&mut c, ctx.actor.account_id)
            .await?
            .display_name
    };
    record_of(app, ctx.actor.account_id, name).await
}

/// A staff member's record, for those who may see the staff of a unit they
/// work at (audited).
pub async fn record(app: &App, ctx: &Ctx, account_id: i64) -> Result<Record> {
    let (account, grants) = {
        let mut c = app.db.read().await?;
        let Some(a) = tongyu_store::account::get(&mut c, account_id).await? else {
            return Err(Error::not_found());
        };
        let g = tongyu_store::account::grants_of(&mut c, account_id).await?;
        (a, g)
    };
    if !grants
        .iter()
        .any(|g| ctx.actor.can(Action::ViewAccounts, &g.unit_path))
    {
        return Err(Error::not_found());
    }
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "training.read_record",
            "account",
            account_id,
            grants.first().map(|g| g.unit_id),
            "",
        ),
    )
    .await?;
    record_of(app, account.id, account.display_name).await
}

/// Programmes the reader runs (owned in their scope) and those they may
/// attend (owned by a unit above one of their grants), the newest first.
pub async fn programmes(app: &App, ctx: &Ctx) -> Result<(Vec<Programme>, Vec<Programme>)> {
    let mut c = app.db.read().await?;
    let mut above: Vec<i64> = ctx
        .actor
        .grants
        .iter()
        .flat_map(|g| tongyu_domain::org::path_ids(&g.unit_path))
        .collect();
    above.sort_unstable();
    above.dedup();
    let to_attend = store::programmes_of(&mut c, &above).await?;
    let roots = ctx.actor.scope(Action::ManageTraining);
    let ids: Vec<i64> = roots
        .iter()
        .filter_map(|r| tongyu_domain::org::path_ids(r).last().copied())
        .collect();
    let run = store::programmes_of(&mut c, &ids).await?;
    Ok((run, to_attend))
}

/// A unit's line on the training board: per target, people counted and
/// those who completed.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TrainingBoardRow")]
pub struct BoardRow {
    pub unit_id: i64,
    pub name: String,
    pub kind: UnitKind,
    /// In the order of [`Target::ALL`]: (people, done).
    pub figures: Vec<(i64, i64)>,
}

impl BoardRow {
    /// People still to complete, over all targets.
    pub fn missing(&self) -> i64 {
        self.figures.iter().map(|(p, d)| (p - d).max(0)).sum()
    }
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TrainingBoard")]
pub struct Board {
    pub targets: Vec<Target>,
    pub top: BoardRow,
    /// Units below, those with the most people still to train first.
    pub rows: Vec<BoardRow>,
}

/// The training board of a unit: reads the kept counts only.
pub async fn board(app: &App, ctx: &Ctx, unit_id: i64) -> Result<Board> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let below: Vec<Unit> = if unit.kind == UnitKind::Class {
        Vec::new()
    } else {
        units::children(&mut c, unit.id, false).await?
    };
    let mut ids: Vec<i64> = below.iter().map(|u| u.id).collect();
    ids.push(unit.id);
    let mut per = Vec::new();
    for t in Target::ALL {
        per.push(store::read(&mut c, t, &ids).await?);
    }
    drop(c);
    let row = |u: &Unit| BoardRow {
        unit_id: u.id,
        name: u.name.clone(),
        kind: u.kind,
        figures: per
            .iter()
            .map(|m| m.get(&u.id).copied().unwrap_or((0, 0)))
            .collect(),
    };
    let mut rows: Vec<BoardRow> = below.iter().map(row).collect();
    tongyu_domain::collate::sort_by_name(&mut rows, |r| &r.name);
    rows.sort_by_key(|r| std::cmp::Reverse(r.missing()));
    Ok(Board {
        targets: Target::ALL.to_vec(),
        top: row(&unit),
        rows,
    })
}

/// The targets' counts as kept beside a recount.
pub async fn check(app: &App) -> Result<Vec<(String, tongyu_store::rollup::Check)>> {
    let mut c = app.db.read().await?;
    store::check(&mut c).await
}
