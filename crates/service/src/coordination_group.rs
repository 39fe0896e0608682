//! The coordination group of the city and of each district (task 1): its
//! lead and member departments, joint meetings with the departments
//! present, agenda and minutes, and the follow-up items each decides, each
//! owned by a unit with a due day. A group that has not met within the
//! plan's `meeting_every_months`, and items open past their day, are
//! flagged to the group, the owner and the city.

use tongyu_domain::calendar::{format_date, local_day, parse_date};
use tongyu_domain::coordination_group::{
    checked_date, checked_office_phone, is_overdue, next_meeting_due,
};
use tongyu_domain::org::{Unit, UnitKind, path_within};
use tongyu_domain::parent_committee::checked_text;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::coordination_group as store;
/// What a group is made of, as the API shows it.
pub use tongyu_store::coordination_group::{Department, Group, Item, Meeting};
use tongyu_store::org as units;

use crate::{App, Ctx, audit};

/// How a group stands on its meetings.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "MeetingStanding")]
pub struct Standing {
    /// The last meeting's day, or empty.
    pub last_meeting: String,
    /// The day the next meeting is due by.
    pub next_due: String,
    /// No meeting within the plan's interval.
    pub meeting_overdue: bool,
    pub open_items: i64,
    pub overdue_items: i64,
}

/// A district's line on the city's page.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct BelowRow {
    pub unit_id: i64,
    pub name: String,
    pub has_group: bool,
    pub standing: Standing,
}

/// A group's page.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct GroupView {
    pub unit_id: i64,
    pub unit_name: String,
    pub group: Option<Group>,
    pub departments: Vec<Department>,
    pub standing: Standing,
    /// The latest first.
    pub meetings: Vec<Meeting>,
    /// Open items, the earliest due first.
    pub open_items: Vec<Item>,
    /// For the city: each district's group, those with overdue work first.
    pub below: Vec<BelowRow>,
    pub may_manage: bool,
}

fn today(app: &App) -> String {
    format_date(local_day(app.now()))
}

fn standing(
    group: Option<&Group>,
    (last, open, overdue): (String, i64, i64),
    every_months: i64,
    today: &str,
) -> Standing {
    let from = if last.is_empty() {
        group.map(|g| g.set_up_on.clone()).unwrap_or_default()
    } else {
        last.clone()
    };
    let next_due = parse_date(&from)
        .map(|d| format_date(next_meeting_due(d, every_months)))
        .unwrap_or_default();
    Standing {
        meeting_overdue: group.is_some() && !next_due.is_empty() && next_due.as_str() < today,
        last_meeting: last,
        next_due,
        open_items: open,
        overdue_items: overdue,
    }
}

async fn group_unit(app: &App, ctx: &Ctx, unit_id: i64, action: Action) -> Result<Unit> {
    let unit = crate::access::unit(app, ctx, unit_id, action).await?;
    if !matches!(unit.kind, UnitKind::City | UnitKind::District) {
        return Err(Error::invalid(
            "unit_id",
            "协调小组设在市级和区(市)级，请选择市或区(市)",
        ));
    }
    Ok(unit)
}

/// A group's page, for staff who see the unit.
pub async fn show(app: &App, ctx: &Ctx, unit_id: i64) -> Result<GroupView> {
    let unit = group_unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let every = crate::plan::current(app).await?.meeting_every_months;
    let today = today(app);
    let mut c = app.db.read().await?;
    let group = store::group(&mut c, unit.id).await?;
    let departments = store::departments(&mut c, unit.id).await?;
    let meetings = store::meetings(&mut c, unit.id).await?;
    let open_items = store::open_items_of_group(&mut c, unit.id).await?;
    let below_units: Vec<Unit> = if unit.kind == UnitKind::City {
        units::children(&mut c, unit.id, false)
            .await?
            .into_iter()
            .filter(|u| u.kind == UnitKind::District)
            .collect()
    } else {
        Vec::new()
    };
    let mut ids: Vec<i64> = below_units.iter().map(|u| u.id).collect();
    ids.push(unit.id);
    let figures = store::standing_of(&mut c, &ids, &today).await?;
    let mut below = Vec::new();
    for u in &below_units {
        let g = store::group(&mut c, u.id).await?;
        below.push(BelowRow {
            unit_id: u.id,
            name: u.name.clone(),
            has_group: g.is_some(),
            standing: standing(
                g.as_ref(),
                figures.get(&u.id).cloned().unwrap_or_default(),
                every,
                &today,
            ),
        });
    }
    drop(c);
    tongyu_domain::collate::sort_by_name(&mut below, |r| &r.name);
    below.sort_by_key(|r| {
        std::cmp::Reverse((
            !r.has_group,
            r.standing.overdue_items + i64::from(r.standing.meeting_overdue),
        ))
    });
    Ok(GroupView {
        standing: standing(
            group.as_ref(),
            figures.get(&unit.id).cloned().unwrap_or_default(),
            every,
            &today,
        ),
        unit_id: unit.id,
        unit_name: unit.name.clone(),
        may_manage: ctx.actor.can(Action::ManageCoordination, &unit.path),
        group,
        departments,
        meetings,
        open_items,
        below,
    })
}

/// Sets the group's lead and the day it was set up.
pub async fn save_group(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    lead: &str,
    set_up_on: &str,
) -> Result<()> {
    let unit = group_unit(app, ctx, unit_id, Action::ManageCoordination).await?;
    let lead = checked_text("lead", "组长", lead, 2, 100)?;
    let set_up_on = checked_date("set_up_on", set_up_on)?;
    if set_up_on > today(app) {
        return Err(Error::invalid("set_up_on", "成立日期不能晚于今天"));
    }
    let mut tx = app.db.write().await?;
    store::save_group(
        &mut tx,
        unit.id,
        &lead,
        &set_up_on,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "coordination.save_group",
            "unit",
            unit.id,
            Some(unit.id),
            format!("组长：{lead}；{set_up_on} 成立"),
        ),
    )
    .await
}

/// A member department as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewDepartment {
    pub name: String,
    #[serde(default)]
    pub contact: String,
    /// An office phone.
    #[serde(default)]
    pub phone: String,
    /// Leads the group's work (牵头).
    #[serde(default)]
    pub leading: bool,
}

pub async fn add_department(app: &App, ctx: &Ctx, unit_id: i64, d: &NewDepartment) -> Result<i64> {
    let unit = group_unit(app, ctx, unit_id, Action::ManageCoordination).await?;
    let dept = Department {
        id: 0,
        name: checked_text("name", "部门名称", &d.name, 2, 50)?,
        contact: checked_text("contact", "联络人", &d.contact, 0, 50)?,
        phone: checked_office_phone(&d.phone)?,
        leading: d.leading,
    };
    let mut tx = app.db.write().await?;
    let id = store::insert_department(&mut tx, unit.id, &dept, app.now())
        .await
        .map_err(|e| {
            if e.code == tongyu_domain::ErrorCode::Conflict {
                Error::invalid("name", format!("{}已是成员单位", dept.name))
            } else {
                e
            }
        })?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "coordination.add_department",
            "unit",
            unit.id,
            Some(unit.id),
            dept.name.clone(),
        ),
    )
    .await?;
    Ok(id)
}

pub async fn remove_department(app: &App, ctx: &Ctx, unit_id: i64, id: i64) -> Result<()> {
    let unit = group_unit(app, ctx, unit_id, Action::ManageCoordination).await?;
    let mut tx = app.db.write().await?;
    if !store::delete_department(&mut tx, unit.id, id).await? {
        return Err(Error::conflict(
            "找不到这个成员单位，或它已出席过联席会议（出席记录须保留）",
        ));
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "coordination.remove_department",
            "unit",
            unit.id,
            Some(unit.id),
            id.to_string(),
        ),
    )
    .await
}

/// A joint meeting as recorded.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewMeeting {
    /// `YYYY-MM-DD`, not in the future.
    pub held_on: String,
    pub title: String,
    #[serde(default)]
    pub agenda: String,
    /// Markdown.
    #[serde(default)]
    pub minutes: String,
    /// The member departments present.
    #[serde(default)]
    pub present: Vec<i64>,
}

pub async fn record_meeting(app: &App, ctx: &Ctx, unit_id: i64, m: &NewMeeting) -> Result<i64> {
    let unit = group_unit(app, ctx, unit_id, Action::ManageCoordination).await?;
    let held_on = checked_date("held_on", &m.held_on)?;
    if held_on > today(app) {
        return Err(Error::invalid("held_on", "会议日期不能晚于今天"));
    }
    let title = checked_text("title", "会议名称", &m.title, 2, 100)?;
    let agenda = checked_text("agenda", "议程", &m.agenda, 0, 5000)?;
    let minutes = checked_text("minutes", "会议纪要", &m.minutes, 0, 50_000)?;
    if m.present.len() > 200 {
        return Err(Error::invalid("present", "出席单位过多"));
    }
    let mut tx = app.db.write().await?;
    let Some(group) = store::group(&mut tx, unit.id).await? else {
        return Err(Error::invalid(
            "unit_id",
            "请先填写协调小组的组长与成立日期",
        ));
    };
    if held_on < group.set_up_on {
        return Err(Error::invalid(
            "held_on",
            format!("会议日期早于协调小组成立日期（{}）", group.set_up_on),
        ));
    }
    let departments = store::departments(&mut tx, unit.id).await?;
    for d in &m.present {
        if !departments.iter().any(|x| x.id == *d) {
            return Err(Error::invalid("present", "出席单位须是协调小组的成员单位"));
        }
    }
    let id = store::insert_meeting(
        &mut tx,
        unit.id,
        &held_on,
        &title,
        &agenda,
        &minutes,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    for d in &m.present {
        store::insert_attendance(&mut tx, id, *d).await?;
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "coordination.meeting",
            "joint_meeting",
            id,
            Some(unit.id),
            format!("{held_on} {title}，{} 个单位出席", m.present.len()),
        ),
    )
    .await?;
    Ok(id)
}

/// A meeting with what it decided.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct MeetingDetail {
    pub meeting: Meeting,
    pub group_name: String,
    /// The departments present, by name.
    pub present: Vec<String>,
    pub absent: Vec<String>,
    pub items: Vec<Item>,
    /// Units that may own an item: the group's unit and those right below.
    pub owners: Vec<(i64, String)>,
    /// The reader keeps the group (adds items).
    pub may_manage: bool,
    /// Items the reader may mark done (the group's keepers: all; an owner:
    /// its own).
    pub closeable: Vec<i64>,
    pub today: String,
}

async fn meeting_and_unit(
    app: &App,
    ctx: &Ctx,
    id: i64,
    action: Action,
) -> Result<(Meeting, Unit)> {
    let found = {
        let mut c = app.db.read().await?;
        store::meeting(&mut c, id).await?
    };
    let Some(m) = found else {
        return Err(Error::not_found());
    };
    let unit = crate::access::unit(app, ctx, m.unit_id, action).await?;
    Ok((m, unit))
}

/// A meeting, for staff who see its group's unit, and for the units that
/// own one of its items (they read what they are to do, and close it).
pub async fn meeting(app: &App, ctx: &Ctx, id: i64) -> Result<MeetingDetail> {
    let owner_reads = {
        let mut c = app.db.read().await?;
        match store::meeting(&mut c, id).await? {
            Some(m) => {
                let mut owns = false;
                for i in store::items_of_meeting(&mut c, m.id).await? {
                    if let Some(u) = units::get(&mut c, i.owner_unit_id).await?
                        && crate::access::in_view(ctx, &u.path)
                    {
                        owns = true;
                        break;
                    }
                }
                match (owns, units::get(&mut c, m.unit_id).await?) {
                    (true, Some(unit)) => Some((m, unit)),
                    _ => None,
                }
            }
            None => None,
        }
    };
    let (m, unit) = match owner_reads {
        Some(found) => found,
        None => meeting_and_unit(app, ctx, id, Action::ViewUnit).await?,
    };
    let mut c = app.db.read().await?;
    let present_ids = store::attendance(&mut c, m.id).await?;
    let departments = store::departments(&mut c, unit.id).await?;
    let items = store::items_of_meeting(&mut c, m.id).await?;
    let mut owners = vec![(unit.id, unit.name.clone())];
    owners.extend(
        units::children(&mut c, unit.id, false)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name)),
    );
    let (present, absent): (Vec<Department>, Vec<Department>) = departments
        .into_iter()
        .partition(|d| present_ids.contains(&d.id));
    let may_manage = ctx.actor.can(Action::ManageCoordination, &unit.path);
    let mut closeable = Vec::new();
    for i in &items {
        if i.status != tongyu_domain::coordination_group::ItemStatus::Open {
            continue;
        }
        let owner_keeps = match units::get(&mut c, i.owner_unit_id).await? {
            Some(o) => ctx.actor.can(Action::ManageCoordination, &o.path),
            None => false,
        };
        if may_manage || owner_keeps {
            closeable.push(i.id);
        }
    }
    Ok(MeetingDetail {
        present: present.into_iter().map(|d| d.name).collect(),
        absent: absent.into_iter().map(|d| d.name).collect(),
        items,
        owners,
        may_manage,
        closeable,
        group_name: unit.name,
        today: today(app),
        meeting: m,
    })
}

/// A follow-up item as decided.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewItem {
    pub decision: String,
    /// A unit at or below the group's.
    pub owner_unit_id: i64,
    /// `YYYY-MM-DD`, not before the meeting.
    pub due_on: String,
}

pub async fn add_item(app: &App, ctx: &Ctx, meeting_id: i64, i: &NewItem) -> Result<i64> {
    let (m, unit) = meeting_and_unit(app, ctx, meeting_id, Action::ManageCoordination).await?;
    let decision = checked_text("decision", "决定事项", &i.decision, 2, 500)?;
    let due_on = checked_date("due_on", &i.due_on)?;
    if due_on < m.held_on {
        return Err(Error::invalid(
            "due_on",
            format!("完成时限早于会议日期（{}），请核对", m.held_on),
        ));
    }
    let mut tx = app.db.write().await?;
    let owner = units::get(&mut tx, i.owner_unit_id).await?;
    let Some(owner) = owner.filter(|o| path_within(&o.path, &unit.path)) else {
        return Err(Error::invalid(
            "owner_unit_id",
            "责任单位须是本级或下级单位",
        ));
    };
    let id = store::insert_item(&mut tx, m.id, owner.id, &decision, &due_on, app.now()).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "coordination.item",
            "meeting_item",
            id,
            Some(unit.id),
            format!("{}，{} 前完成：{decision}", owner.name, due_on),
        ),
    )
    .await?;
    Ok(id)
}

/// Marks an item done, by its owner unit or the group's.
pub async fn close_item(app: &App, ctx: &Ctx, item_id: i64, note: &str) -> Result<()> {
    let found = {
        let mut c = app.db.read().await?;
        store::item(&mut c, item_id).await?
    };
    let Some(item) = found else {
        return Err(Error::not_found());
    };
    let owner = crate::access::unit(app, ctx, item.owner_unit_id, Action::ViewUnit).await;
    let group = crate::access::unit(app, ctx, item.group_unit_id, Action::ViewUnit).await;
    let may = [&owner, &group].iter().any(|u| {
        u.as_ref()
            .is_ok_and(|u| ctx.actor.can(Action::ManageCoordination, &u.path))
    });
    if !may {
        return Err(match (owner, group) {
            (Err(e), Err(_)) => e,
            _ => Error::forbidden(),
        });
    }
    let note = checked_text("note", "完成情况", note, 2, 500)?;
    let mut tx = app.db.write().await?;
    if !store::close_item(&mut tx, item.id, &today(app), &note, ctx.actor.account_id).await? {
        return Err(Error::conflict("这一事项已标记完成"));
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "coordination.close_item",
            "meeting_item",
            item.id,
            Some(item.owner_unit_id),
            note,
        ),
    )
    .await
}

/// What the actor's units must act on: items they own that are overdue,
/// and groups they keep that have not met in time. For the home.
#[derive(Debug, Clone, Default)]
pub struct Duties {
    pub overdue_items: Vec<Item>,
    /// (unit id, unit name, next meeting due).
    pub meetings_due: Vec<(i64, String, String)>,
}

pub async fn duties(app: &App, ctx: &Ctx) -> Result<Duties> {
    let roots = ctx.actor.scope(Action::ManageCoordination);
    if roots.is_empty() {
        return Ok(Duties::default());
    }
    let today = today(app);
    let every = crate::plan::current(app).await?.meeting_every_months;
    let mut out = Duties::default();
    let mut c = app.db.read().await?;
    for root in &roots {
        out.overdue_items
            .extend(store::open_items_owned_within(&mut c, root, &today, 20).await?);
        let Some(id) = tongyu_domain::org::path_ids(root).last().copied() else {
            continue;
        };
        let Some(unit) = units::get(&mut c, id).await? else {
            continue;
        };
        if !matches!(unit.kind, UnitKind::City | UnitKind::District) {
            continue;
        }
        let group = store::group(&mut c, unit.id).await?;
        let figures = store::standing_of(&mut c, &[unit.id], &today).await?;
        let s = standing(
            group.as_ref(),
            figures.get(&unit.id).cloned().unwrap_or_default(),
            every,
            &today,
        );
        if s.meeting_overdue {
            out.meetings_due.push((unit.id, unit.name, s.next_due));
        }
    }
    Ok(out)
}

/// Whether an item is overdue today.
pub fn overdue(app: &App, item: &Item) -> bool {
    is_overdue(item.status, &item.due_on, &today(app))
}
