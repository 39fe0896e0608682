//! The school's two parent lecturer groups (双团, task 22): lecturers are
//! parents with a child at the school; each lecture given is recorded. A
//! school with a lecturer in both groups has the `lecturer_groups` measure.

use tongyu_domain::coverage::Measure;
use tongyu_domain::lecturer_group::{Audience, GroupKind};
use tongyu_domain::org::{Unit, UnitKind};
use tongyu_domain::parent_committee::{checked_count, checked_day, checked_text};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::parent_committee::{self as store, NewLecture};
/// A lecturer and a lecture, as the API shows them.
pub use tongyu_store::parent_committee::{Lecture, Lecturer};
use tongyu_store::{Conn, coverage, student as students};

use crate::work_group::Who;
use crate::{App, Ctx, audit};

/// One of the two groups with its lecturers.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "LecturerGroup")]
pub struct Group {
    pub kind: GroupKind,
    pub label: String,
    pub lecturers: Vec<Lecturer>,
}

/// A school's two groups and their latest lectures.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct SchoolGroups {
    pub school_id: i64,
    pub school_name: String,
    pub groups: Vec<Group>,
    /// The latest 200, newest first.
    pub lectures: Vec<Lecture>,
    /// Both groups have a lecturer.
    pub both: bool,
    pub may_manage: bool,
}

async fn school(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<Unit> {
    crate::access::unit_of_kind(app, ctx, id, UnitKind::School, action).await
}

/// The school's groups, for staff who see its families (audited: it names
/// parents).
pub async fn show(app: &App, ctx: &Ctx, school_id: i64) -> Result<SchoolGroups> {
    let unit = school(app, ctx, school_id, Action::ViewStudents).await?;
    let (lecturers, lectures) = {
        let mut c = app.db.read().await?;
        (
            store::lecturers(&mut c, unit.id).await?,
            store::lectures(&mut c, unit.id, 200).await?,
        )
    };
    let groups: Vec<Group> = GroupKind::ALL
        .into_iter()
        .map(|kind| Group {
            kind,
            label: kind.label().to_owned(),
            lecturers: lecturers
                .iter()
                .filter(|l| l.kind == kind)
                .cloned()
                .collect(),
        })
        .collect();
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "lecturer_group.read",
            "school",
            unit.id,
            Some(unit.id),
            format!("{} 人", lecturers.len()),
        ),
    )
    .await?;
    Ok(SchoolGroups {
        school_id: unit.id,
        school_name: unit.name.clone(),
        both: groups.iter().all(|g| !g.lecturers.is_empty()),
        groups,
        lectures,
        may_manage: ctx.actor.can(Action::ManageCommittees, &unit.path),
    })
}

async fn refresh(c: &mut Conn, unit: &Unit) -> Result<()> {
    let both = store::groups_staffed(c, unit.id).await? >= 2;
    coverage::set(c, unit.id, &unit.path, &Measure::LecturerGroups.key(), both).await?;
    Ok(())
}

/// Puts a parent of the school in a group with what they share (a topic or
/// a profession), or changes it.
pub async fn set_lecturer(
    app: &App,
    ctx: &Ctx,
    school_id: i64,
    kind: GroupKind,
    who: &Who,
    specialty: &str,
) -> Result<Lecturer> {
    let unit = school(app, ctx, school_id, Action::ManageCommittees).await?;
    let specialty = checked_text("specialty", kind.specialty_label(), specialty, 2, 50)?;
    let mut tx = app.db.write().await?;
    let account = crate::work_group::find(app, &mut tx, who).await?;
    if !students::is_guardian_within(&mut tx, account.id, &unit.path).await? {
        return Err(Error::invalid(
            "member",
            format!(
                "{}没有已确认绑定的本校孩子，不能担任本校家长讲师",
                account.display_name
            ),
        ));
    }
    store::upsert_lecturer(
        &mut tx,
        unit.id,
        kind,
        account.id,
        &specialty,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    refresh(&mut tx, &unit).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "lecturer_group.set_lecturer",
            "account",
            account.id,
            Some(unit.id),
            format!("{}：{}（{specialty}）", kind.label(), account.display_name),
        ),
    )
    .await?;
    Ok(Lecturer {
        kind,
        account_id: account.id,
        display_name: account.display_name,
        specialty,
        lectures: 0,
    })
}

/// Takes a lecturer out of a group (their lectures stay recorded).
pub async fn remove_lecturer(
    app: &App,
    ctx: &Ctx,
    school_id: i64,
    kind: GroupKind,
    account_id: i64,
) -> Result<()> {
    let unit = school(app, ctx, school_id, Action::ManageCommittees).await?;
    let mut tx = app.db.write().await?;
    if !store::delete_lecturer(&mut tx, unit.id, kind, account_id).await? {
        return Err(Error::not_found());
    }
    refresh(&mut tx, &unit).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "lecturer_group.remove_lecturer",
            "account",
            account_id,
            Some(unit.id),
            kind.label(),
        ),
    )
    .await
}

/// A lecture as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewLectureInput {
    pub kind: GroupKind,
    pub lecturer_id: i64,
    /// `YYYY-MM-DD`, not in the future.
    pub held_on: String,
    pub audience: Audience,
    pub title: String,
    #[serde(default)]
    pub attendees: i64,
}

/// Records a lecture given by one of the group's lecturers.
pub async fn record_lecture(
    app: &App,
    ctx: &Ctx,
    school_id: i64,
    l: &NewLectureInput,
) -> Result<i64> {
    let unit = school(app, ctx, school_id, Action::ManageCommittees).await?;
    let today = tongyu_domain::calendar::local_day(app.now());
    let held_on = checked_day("held_on", &l.held_on, today)?;
    let title = checked_text("title", "讲座题目", &l.title, 2, 100)?;
    let attendees = checked_count("attendees", "听讲人数", l.attendees)?;
    let mut tx = app.db.write().await?;
    if !store::is_lecturer(&mut tx, unit.id, l.kind, l.lecturer_id).await? {
        return Err(Error::invalid(
            "lecturer_id",
            format!("请从{}的讲师中选择主讲人", l.kind.label()),
        ));
    }
    let id = store::insert_lecture(
        &mut tx,
        unit.id,
        &NewLecture {
            kind: l.kind,
            lecturer_id: l.lecturer_id,
            held_on: &held_on,
            audience: l.audience,
            title: &title,
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
            "lecturer_group.lecture",
            "school",
            unit.id,
            Some(unit.id),
            format!("{held_on} {}：{title}", l.audience.label()),
        ),
    )
    .await?;
    Ok(id)
}
