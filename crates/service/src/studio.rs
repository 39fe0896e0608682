//! Master-teacher studios (task 5): a teacher applies to lead one; the city
//! selects them against the plan's `studio_goal`; the lead keeps its
//! members, its plan each year and its outputs (published courses and
//! contributions of the platform, lectures given); the city reviews each
//! selected studio every year; a selected studio has a public page.

use tongyu_domain::account::Role;
use tongyu_domain::parent_committee::{checked_day, checked_text};
use tongyu_domain::policy::Action;
use tongyu_domain::studio::{Grade, OutputKind, Status};
use tongyu_domain::{Error, Result};
use tongyu_store::studio as store;
/// A studio and its parts, as the API shows them.
pub use tongyu_store::studio::{Output, Review, Studio, YearPlan};
use tongyu_store::{account as accounts, org as units};

use crate::{App, Ctx, audit};

/// The studios and the plan's target.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Studios {
    pub studios: Vec<Studio>,
    pub selected: i64,
    /// The plan's `studio_goal`.
    pub goal: i64,
    pub may_select: bool,
    /// The reader may apply to lead one (staff with no studio yet).
    pub may_apply: bool,
}

async fn city_path(app: &App) -> Result<(i64, String)> {
    let mut c = app.db.read().await?;
    let city = units::city(&mut c).await?.ok_or_else(Error::not_found)?;
    Ok((city.id, city.path))
}

/// The reader's staff unit: the unit of their first grant that may
/// contribute (teachers, head teachers, instructors, coordinators, experts).
fn staff_unit(ctx: &Ctx) -> Option<i64> {
    let roles = Action::Contribute.roles();
    ctx.actor
        .grants
        .iter()
        .find(|g| roles.contains(&g.role))
        .map(|g| g.unit_id)
}

pub async fn list(app: &App, ctx: &Ctx) -> Result<Studios> {
    if ctx.actor.scope(Action::ViewUnit).is_empty() {
        return Err(Error::forbidden());
    }
    let (_, city) = city_path(app).await?;
    let goal = crate::plan::current(app).await?.studio_goal;
    let mut c = app.db.read().await?;
    let studios = store::all(&mut c).await?;
    let leads = store::leads_one(&mut c, ctx.actor.account_id).await?;
    Ok(Studios {
        selected: studios
            .iter()
            .filter(|s| s.status == Status::Selected)
            .count() as i64,
        studios,
        goal,
        may_select: ctx.actor.can(Action::ManageStudios, &city),
        may_apply: !leads && staff_unit(ctx).is_some(),
    })
}

/// Applies to lead a studio.
pub async fn apply(app: &App, ctx: &Ctx, name: &str, focus: &str) -> Result<i64> {
    let Some(unit) = staff_unit(ctx) else {
        return Err(Error::forbidden());
    };
    let name = checked_text("name", "工作室名称", name, 2, 50)?;
    let focus = checked_text("focus", "研究方向", focus, 10, 1000)?;
    let mut tx = app.db.write().await?;
    if store::leads_one(&mut tx, ctx.actor.account_id).await? {
        return Err(Error::conflict("您已申报或主持一个工作室"));
    }
    let id = store::insert(
        &mut tx,
        &name,
        ctx.actor.account_id,
        unit,
        &focus,
        app.now(),
    )
    .await?;
    store::add_member(&mut tx, id, ctx.actor.account_id, app.now()).await?;
    audit::commit_audited(
        tx,
        &audit::entry(app, ctx, "studio.apply", "studio", id, Some(unit), name),
    )
    .await?;
    Ok(id)
}

/// A studio with everything its page shows.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct StudioView {
    pub studio: Studio,
    pub members: Vec<(i64, String)>,
    pub plans: Vec<YearPlan>,
    pub outputs: Vec<Output>,
    pub reviews: Vec<Review>,
    pub school_year: i64,
    /// The reader leads it (or is the city): keeps members, plans, outputs.
    pub may_keep: bool,
    pub may_select: bool,
}

async fn load(app: &App, id: i64) -> Result<Studio> {
    let mut c = app.db.read().await?;
    store::get(&mut c, id).await?.ok_or_else(Error::not_found)
}

async fn view(app: &App, ctx: &Ctx, s: Studio) -> Result<StudioView> {
    let (_, city) = city_path(app).await?;
    let may_select = ctx.actor.can(Action::ManageStudios, &city);
    let mut c = app.db.read().await?;
    Ok(StudioView {
        members: store::members(&mut c, s.id).await?,
        plans: store::plans(&mut c, s.id).await?,
        outputs: store::outputs(&mut c, s.id).await?,
        reviews: store::reviews(&mut c, s.id).await?,
        school_year: tongyu_domain::calendar::school_year(app.now()),
        may_keep: s.lead_id == ctx.actor.account_id || may_select,
        may_select,
        studio: s,
    })
}

/// A studio's page, for staff.
pub async fn show(app: &App, ctx: &Ctx, id: i64) -> Result<StudioView> {
    if ctx.actor.scope(Action::ViewUnit).is_empty() {
        return Err(Error::forbidden());
    }
    let s = load(app, id).await?;
    view(app, ctx, s).await
}

/// What anyone may read of a selected studio.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PublicStudio {
    pub name: String,
    pub lead_name: String,
    pub unit_name: String,
    pub focus: String,
    pub members: Vec<String>,
    pub outputs: Vec<Output>,
    pub latest_review: Option<Review>,
}

/// A selected studio's public page: no login, nothing but the studio's
/// work and its people's names.
pub async fn public(app: &App, id: i64) -> Result<PublicStudio> {
    let s = load(app, id).await?;
    if s.status != Status::Selected {
        return Err(Error::not_found());
    }
    let mut c = app.db.read().await?;
    Ok(PublicStudio {
        members: store::members(&mut c, s.id)
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect(),
        outputs: store::outputs(&mut c, s.id).await?,
        latest_review: store::reviews(&mut c, s.id).await?.into_iter().next(),
        name: s.name,
        lead_name: s.lead_name,
        unit_name: s.unit_name,
        focus: s.focus,
    })
}

async fn require_city(app: &App, ctx: &Ctx) -> Result<i64> {
    let (id, path) = city_path(app).await?;
    ctx.require(app, Action::ManageStudios, id, &path).await?;
    Ok(id)
}

/// The city selects a studio (while fewer than the plan's target are) or
/// turns it down.
pub async fn decide(app: &App, ctx: &Ctx, id: i64, select: bool, note: &str) -> Result<()> {
    let city = require_city(app, ctx).await?;
    let note = checked_text("note", "说明", note, 0, 500)?;
    let goal = crate::plan::current(app).await?.studio_goal;
    let mut tx = app.db.write().await?;
    if select && store::count_selected(&mut tx).await? >= goal {
        return Err(Error::conflict(format!(
            "已遴选 {goal} 个工作室，达到行动计划目标；如需增加，请先修改行动计划的目标数"
        )));
    }
    let to = if select {
        Status::Selected
    } else {
        Status::Rejected
    };
    if !store::decide(&mut tx, id, to, &note, app.now()).await? {
        return Err(Error::conflict("这一申报已有遴选结果"));
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            if select {
                "studio.select"
            } else {
                "studio.reject"
            },
            "studio",
            id,
            Some(city),
            note,
        ),
    )
    .await
}

async fn kept(app: &App, ctx: &Ctx, id: i64) -> Result<Studio> {
    let s = load(app, id).await?;
    let (_, city) = city_path(app).await?;
    if s.lead_id != ctx.actor.account_id && !ctx.actor.can(Action::ManageStudios, &city) {
        return Err(Error::forbidden());
    }
    if s.status == Status::Rejected {
        return Err(Error::conflict("未入选的工作室不再维护"));
    }
    Ok(s)
}

/// The lead adds a member: a staff member of the city (a teacher, an
/// instructor, a head teacher...).
pub async fn add_member(app: &App, ctx: &Ctx, id: i64, who: &crate::work_group::Who) -> Result<()> {
    let s = kept(app, ctx, id).await?;
    let mut tx = app.db.write().await?;
    let account = crate::work_group::find(app, &mut tx, who).await?;
    let grants = accounts::grants_of(&mut tx, account.id).await?;
    if !grants.iter().any(|g| g.role != Role::Parent) {
        return Err(Error::invalid(
            "member",
            format!("{}不是教职工，不能加入工作室", account.display_name),
        ));
    }
    if !store::add_member(&mut tx, s.id, account.id, app.now()).await? {
        return Err(Error::conflict(format!("{}已是成员", account.display_name)));
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "studio.add_member",
            "studio",
            s.id,
            Some(s.unit_id),
            account.display_name,
        ),
    )
    .await
}

/// The lead writes this school year's plan.
pub async fn save_plan(app: &App, ctx: &Ctx, id: i64, body: &str) -> Result<()> {
    let s = kept(app, ctx, id).await?;
    let body = tongyu_domain::work_group::checked_plan(body)?;
    let year = tongyu_domain::calendar::school_year(app.now());
    let mut tx = app.db.write().await?;
    store::save_plan(&mut tx, s.id, year, &body, app.now()).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "studio.plan",
            "studio",
            s.id,
            Some(s.unit_id),
            format!("{year}学年"),
        ),
    )
    .await
}

/// An output as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewOutput {
    pub kind: OutputKind,
    /// A course's or contribution's id.
    #[serde(default)]
    pub ref_id: i64,
    /// A lecture's title.
    #[serde(default)]
    pub title: String,
    /// A lecture's day, `YYYY-MM-DD`.
    #[serde(default)]
    pub held_on: String,
}

/// Links an output: a published course, a published contribution by a
/// member, or a lecture given.
pub async fn add_output(app: &App, ctx: &Ctx, id: i64, o: &NewOutput) -> Result<i64> {
    let s = kept(app, ctx, id).await?;
    let mut tx = app.db.write().await?;
    let (title, held_on) = match o.kind {
        OutputKind::Course => {
            let course = tongyu_store::course::get_course(&mut tx, o.ref_id).await?;
            match course {
                Some(k) if k.status == tongyu_domain::course::Status::Published => {
                    (k.title, String::new())
                }
                _ => {
                    return Err(Error::invalid("ref_id", "请填写一门已发布课程的编号"));
                }
            }
        }
        OutputKind::Contribution => {
            let members = store::members(&mut tx, s.id).await?;
            let found = tongyu_store::contribution::get(&mut tx, o.ref_id).await?;
            match found {
                Some(k)
                    if k.status == tongyu_domain::contribution::Status::Published
                        && members.iter().any(|(m, _)| *m == k.author_id) =>
                {
                    (k.title, String::new())
                }
                _ => {
                    return Err(Error::invalid(
                        "ref_id",
                        "请填写工作室成员已发布的微课或教案的编号",
                    ));
                }
            }
        }
        OutputKind::Lecture => {
            let today = tongyu_domain::calendar::local_day(app.now());
            (
                checked_text("title", "讲座题目", &o.title, 2, 100)?,
                checked_day("held_on", &o.held_on, today)?,
            )
        }
    };
    let oid = store::add_output(
        &mut tx,
        s.id,
        o.kind,
        if o.kind == OutputKind::Lecture {
            0
        } else {
            o.ref_id
        },
        &title,
        &held_on,
        app.now(),
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "studio.output",
            "studio",
            s.id,
            Some(s.unit_id),
            format!("{}：{title}", o.kind.label()),
        ),
    )
    .await?;
    Ok(oid)
}

/// The city reviews a selected studio for a school year.
pub async fn review(app: &App, ctx: &Ctx, id: i64, grade: Grade, note: &str) -> Result<()> {
    let city = require_city(app, ctx).await?;
    let s = load(app, id).await?;
    if s.status != Status::Selected {
        return Err(Error::conflict("只考核已入选的工作室"));
    }
    let note = checked_text("note", "考核意见", note, 0, 1000)?;
    let year = tongyu_domain::calendar::school_year(app.now());
    let mut tx = app.db.write().await?;
    store::save_review(
        &mut tx,
        s.id,
        year,
        grade,
        &note,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "studio.review",
            "studio",
            s.id,
            Some(city),
            format!("{year}学年：{}", grade.label()),
        ),
    )
    .await
}
