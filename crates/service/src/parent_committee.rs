//! Parent committees at school, grade and class level (tasks 21 and 22):
//! formed for a school year, one active per unit and year; members are
//! parents of the unit; the chair is a member, chosen by an election that
//! is recorded; the committee's work is recorded. A school-level committee
//! sets the school's coverage flag for its year.

use tongyu_domain::coverage::Measure;
use tongyu_domain::org::{Unit, UnitKind};
use tongyu_domain::parent_committee::{
    RecordKind, Seat, checked_count, checked_day, checked_text, level_label, not_before_formed,
};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::parent_committee::{self as store, NewRecord};
/// What committees are made of, as the API shows them.
pub use tongyu_store::parent_committee::{Committee, Election, Member, WorkRecord};
use tongyu_store::{Conn, account as accounts, coverage, student as students};

use crate::work_group::Who;
use crate::{App, Ctx, audit};

/// A member as the committee's page shows them: with their children in
/// the unit (a child's name: the page's read is audited).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct MemberView {
    pub account_id: i64,
    pub display_name: String,
    pub seat: Seat,
    pub children: Vec<String>,
}

/// A committee with everything its page shows.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CommitteeDetail {
    pub committee: Committee,
    pub members: Vec<MemberView>,
    pub elections: Vec<Election>,
    pub records: Vec<WorkRecord>,
}

/// A unit's committees.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct UnitCommittees {
    pub unit_id: i64,
    pub unit_name: String,
    /// 校级家委会, 年级家委会 or 班级家委会.
    pub level: String,
    /// The school year now.
    pub school_year: i64,
    /// This school year's active committee.
    pub current: Option<CommitteeDetail>,
    /// Earlier years' committees and those dissolved.
    pub earlier: Vec<Committee>,
    pub may_manage: bool,
}

fn level_of(unit: &Unit) -> Result<&'static str> {
    level_label(unit.kind)
        .ok_or_else(|| Error::invalid("unit_id", "家委会设在学校、年级或班级，请选择其中之一"))
}

async fn detail(c: &mut Conn, committee: Committee, unit: &Unit) -> Result<CommitteeDetail> {
    let mut members = Vec::new();
    for m in store::members(c, committee.id).await? {
        members.push(MemberView {
            children: students::children_within(c, m.account_id, &unit.path).await?,
            account_id: m.account_id,
            display_name: m.display_name,
            seat: m.seat,
        });
    }
    Ok(CommitteeDetail {
        elections: store::elections(c, committee.id).await?,
        records: store::records(c, committee.id).await?,
        committee,
        members,
    })
}

/// A unit's committees, for staff who see its families (audited: it names
/// parents and their children).
pub async fn of_unit(app: &App, ctx: &Ctx, unit_id: i64) -> Result<UnitCommittees> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewStudents).await?;
    let level = level_of(&unit)?;
    let school_year = tongyu_domain::calendar::school_year(app.now());
    let mut c = app.db.read().await?;
    let all = store::of_unit(&mut c, unit.id).await?;
    let (current, earlier): (Vec<Committee>, Vec<Committee>) = all
        .into_iter()
        .partition(|k| k.school_year == school_year && k.status == "active");
    let current = match current.into_iter().next() {
        Some(k) => Some(detail(&mut c, k, &unit).await?),
        None => None,
    };
    drop(c);
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "committee.read",
            "unit",
            unit.id,
            Some(unit.id),
            format!("{} 人", current.as_ref().map_or(0, |d| d.members.len())),
        ),
    )
    .await?;
    Ok(UnitCommittees {
        unit_id: unit.id,
        unit_name: unit.name.clone(),
        level: level.to_owned(),
        school_year,
        current,
        earlier,
        may_manage: ctx.actor.can(Action::ManageCommittees, &unit.path),
    })
}

/// One committee by id (any year), for staff who see its families (audited).
pub async fn show(app: &App, ctx: &Ctx, committee_id: i64) -> Result<(Unit, CommitteeDetail)> {
    let (committee, unit) = committee(app, ctx, committee_id, Action::ViewStudents).await?;
    let mut c = app.db.read().await?;
    let d = detail(&mut c, committee, &unit).await?;
    drop(c);
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "committee.read",
            "committee",
            committee_id,
            Some(unit.id),
            format!("{} 人", d.members.len()),
        ),
    )
    .await?;
    Ok((unit, d))
}

async fn committee(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<(Committee, Unit)> {
    let found = {
        let mut c = app.db.read().await?;
        store::get(&mut c, id).await?
    };
    let Some(k) = found else {
        return Err(Error::not_found());
    };
    let unit = crate::access::unit(app, ctx, k.unit_id, action).await?;
    Ok((k, unit))
}

/// The committee to change: in scope, and still serving.
async fn active_committee(app: &App, ctx: &Ctx, id: i64) -> Result<(Committee, Unit)> {
    let (k, unit) = committee(app, ctx, id, Action::ManageCommittees).await?;
    if k.status != "active" {
        return Err(Error::conflict("这一届家委会已解散，不能再修改"));
    }
    Ok((k, unit))
}

async fn set_flag(c: &mut Conn, unit: &Unit, school_year: i64) -> Result<()> {
    if unit.kind != UnitKind::School {
        return Ok(());
    }
    let on = store::active(c, unit.id, school_year).await?.is_some();
    coverage::set(
        c,
        unit.id,
        &unit.path,
        &Measure::Committee { school_year }.key(),
        on,
    )
    .await?;
    Ok(())
}

/// Forms the unit's committee for a school year (this one or the next).
pub async fn form(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    school_year: i64,
    formed_on: &str,
) -> Result<i64> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ManageCommittees).await?;
    level_of(&unit)?;
    let now_year = tongyu_domain::calendar::school_year(app.now());
    if school_year != now_year && school_year != now_year + 1 {
        return Err(Error::invalid(
            "school_year",
            format!("只能组建本学年（{now_year}）或下一学年的家委会"),
        ));
    }
    let today = tongyu_domain::calendar::local_day(app.now());
    let formed_on = checked_day("formed_on", formed_on, today)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    if store::active(&mut tx, unit.id, school_year)
        .await?
        .is_some()
    {
        return Err(Error::conflict(format!(
            "{}{}学年已有一届家委会，请在其页面上调整成员；如需重新组建，请先解散原家委会",
            unit.name, school_year
        )));
    }
    let id = store::insert(
        &mut tx,
        unit.id,
        school_year,
        &formed_on,
        ctx.actor.account_id,
        now,
    )
    .await
    .map_err(|e| {
        if e.code == ErrorCode::Conflict {
            Error::conflict("这个学年已有一届家委会")
        } else {
            e
        }
    })?;
    set_flag(&mut tx, &unit, school_year).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "committee.form",
            "committee",
            id,
            Some(unit.id),
            format!("{}学年，{}成立", school_year, formed_on),
        ),
    )
    .await?;
    Ok(id)
}

/// Puts a parent of the unit on the committee, or changes their seat. The
/// chair is a member already and only one: naming another goes through an
/// election.
pub async fn set_member(
    app: &App,
    ctx: &Ctx,
    committee_id: i64,
    who: &Who,
    seat: Seat,
) -> Result<store::Member> {
    let (k, unit) = active_committee(app, ctx, committee_id).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let account = crate::work_group::find(app, &mut tx, who).await?;
    if !students::is_guardian_within(&mut tx, account.id, &unit.path).await? {
        return Err(Error::invalid(
            "member",
            format!(
                "{}不是{}学生的家长（须已确认绑定该单位的孩子），不能加入家委会",
                account.display_name, unit.name
            ),
        ));
    }
    let before = store::seat_of(&mut tx, k.id, account.id).await?;
    if seat == Seat::Chair && before != Some(Seat::Chair) {
        if before.is_none() {
            return Err(Error::invalid(
                "seat",
                "主任须从家委会成员中产生：请先将其加入家委会，再记录选举结果",
            ));
        }
        if let Some(chair) = store::chair(&mut tx, k.id).await? {
            let name = accounts::display_names(&mut tx, &[chair])
                .await?
                .remove(&chair)
                .unwrap_or_default();
            return Err(Error::conflict(format!(
                "本届家委会主任已是{name}，更换主任请记录选举结果"
            )));
        }
    }
    store::upsert_member(&mut tx, k.id, account.id, seat, ctx.actor.account_id, now).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "committee.set_member",
            "committee",
            k.id,
            Some(unit.id),
            format!("{}：{}", account.display_name, seat.label()),
        ),
    )
    .await?;
    Ok(store::Member {
        account_id: account.id,
        display_name: account.display_name,
        seat,
        added_at: now,
    })
}

/// Takes a parent off the committee.
pub async fn remove_member(app: &App, ctx: &Ctx, committee_id: i64, account_id: i64) -> Result<()> {
    let (k, unit) = active_committee(app, ctx, committee_id).await?;
    let mut tx = app.db.write().await?;
    let Some(seat) = store::seat_of(&mut tx, k.id, account_id).await? else {
        return Err(Error::not_found());
    };
    store::delete_member(&mut tx, k.id, account_id).await?;
    let name = accounts::display_names(&mut tx, &[account_id])
        .await?
        .remove(&account_id)
        .unwrap_or_default();
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "committee.remove_member",
            "committee",
            k.id,
            Some(unit.id),
            format!("{name}（{}）", seat.label()),
        ),
    )
    .await
}

/// An election as recorded.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewElection {
    /// `YYYY-MM-DD`, on or after the committee was formed, not in the future.
    pub held_on: String,
    /// Parents who voted.
    pub voters: i64,
    /// The chair elected: a member of the committee.
    pub chair_id: i64,
    #[serde(default)]
    pub note: String,
}

/// Records an election; the chair it names takes the chair (the one before
/// becomes a member).
pub async fn record_election(
    app: &App,
    ctx: &Ctx,
    committee_id: i64,
    e: &NewElection,
) -> Result<i64> {
    let (k, unit) = active_committee(app, ctx, committee_id).await?;
    let today = tongyu_domain::calendar::local_day(app.now());
    let held_on = checked_day("held_on", &e.held_on, today)?;
    not_before_formed("held_on", &held_on, &k.formed_on)?;
    let voters = checked_count("voters", "参加投票的家长人数", e.voters)?;
    if voters < 1 {
        return Err(Error::invalid("voters", "请填写参加投票的家长人数"));
    }
    let note = checked_text("note", "说明", &e.note, 0, 500)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    if store::seat_of(&mut tx, k.id, e.chair_id).await?.is_none() {
        return Err(Error::invalid(
            "chair_id",
            "当选主任须是本届家委会成员，请先将其加入家委会",
        ));
    }
    let id = store::insert_election(
        &mut tx,
        k.id,
        &held_on,
        voters,
        e.chair_id,
        &note,
        ctx.actor.account_id,
        now,
    )
    .await?;
    store::hand_chair(&mut tx, k.id, e.chair_id).await?;
    let name = accounts::display_names(&mut tx, &[e.chair_id])
        .await?
        .remove(&e.chair_id)
        .unwrap_or_default();
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "committee.election",
            "committee",
            k.id,
            Some(unit.id),
            format!("{held_on}，{voters} 人投票，{name} 当选主任"),
        ),
    )
    .await?;
    Ok(id)
}

/// A work record as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewWork {
    /// `YYYY-MM-DD`.
    pub held_on: String,
    pub kind: RecordKind,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attendees: i64,
}

/// Records a piece of the committee's work.
pub async fn record_work(app: &App, ctx: &Ctx, committee_id: i64, w: &NewWork) -> Result<i64> {
    let (k, unit) = active_committee(app, ctx, committee_id).await?;
    let today = tongyu_domain::calendar::local_day(app.now());
    let held_on = checked_day("held_on", &w.held_on, today)?;
    not_before_formed("held_on", &held_on, &k.formed_on)?;
    let title = checked_text("title", "标题", &w.title, 2, 100)?;
    let body = checked_text("body", "内容", &w.body, 0, 5000)?;
    let attendees = checked_count("attendees", "参加人数", w.attendees)?;
    let mut tx = app.db.write().await?;
    let id = store::insert_record(
        &mut tx,
        k.id,
        &NewRecord {
            held_on: &held_on,
            kind: w.kind,
            title: &title,
            body: &body,
            attendees,
        },
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "committee.record",
            "committee",
            k.id,
            Some(unit.id),
            format!("{held_on} {}：{title}", w.kind.label()),
        ),
    )
    .await?;
    Ok(id)
}

/// Dissolves a committee (a new one may then be formed for its year).
pub async fn dissolve(app: &App, ctx: &Ctx, committee_id: i64) -> Result<()> {
    let (k, unit) = active_committee(app, ctx, committee_id).await?;
    let mut tx = app.db.write().await?;
    store::dissolve(&mut tx, k.id, app.now()).await?;
    set_flag(&mut tx, &unit, k.school_year).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "committee.dissolve",
            "committee",
            k.id,
            Some(unit.id),
            format!("{}学年", k.school_year),
        ),
    )
    .await
}

/// The parents of a class who may join its committee: (account id,
/// parent's name, child's name). Empty above classes (parents are found by
/// username or phone there).
pub async fn candidates(app: &App, ctx: &Ctx, unit_id: i64) -> Result<Vec<(i64, String, String)>> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ManageCommittees).await?;
    if unit.kind != UnitKind::Class {
        return Ok(Vec::new());
    }
    let mut c = app.db.read().await?;
    students::parents_of_class(&mut c, unit.id).await
}
