//! The lessons of a campaign: what the city and the schools put in or take
//! out, and the families' tallies brought in line with each change, so
//! that every board still equals a recount.

use std::collections::{BTreeMap, HashMap};

use tongyu_domain::account::Role;
use tongyu_domain::course::Status;
use tongyu_domain::org::{Grade, Unit, UnitKind, path_ids};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::course as courses;
use tongyu_store::learning::{self as store, CampaignCounts, Target};
use tongyu_store::{Conn, DbResult, org as units};

use crate::{App, Ctx, audit};

/// A lesson of a campaign as its list shows it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CampaignLesson {
    pub target: Target,
    pub title: String,
    /// Whom it is for, in words (全体家长, 小一新生家长, 初二家长).
    pub for_whom: String,
    /// The school whose lesson it is; empty for the city's.
    pub school: String,
    /// May the reader take it out?
    pub can_remove: bool,
}

/// What taking a lesson out would undo.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Removal {
    pub lesson: CampaignLesson,
    /// Families who had completed it and for whom it stops counting.
    pub families_done: i64,
    /// Classes whose families it was meant for and no longer is.
    pub classes: i64,
}

/// The unit a campaign's lesson belongs to (the city for `school_id` 0,
/// else the school), once the actor is known to manage it: the city's
/// lessons are the city administrators' alone.
async fn owner(app: &App, ctx: &Ctx, campaign_id: i64, school_id: i64) -> Result<Unit> {
    let unit = if school_id == 0 {
        let mut c = app.db.read().await?;
        units::city(&mut c).await?.ok_or_else(Error::not_found)?
    } else {
        let school = crate::access::unit(app, ctx, school_id, Action::ViewUnit).await?;
        if school.kind != UnitKind::School {
            return Err(Error::invalid("school_id", "请选择一所学校"));
        }
        school
    };
    ctx.require(app, Action::ManageCampaigns, unit.id, &unit.path)
        .await?;
    if school_id == 0 && !ctx.actor.has_role(Role::CityAdmin) {
        return Err(audit::refuse(
            app,
            ctx,
            Action::ManageCampaigns,
            "campaign",
            campaign_id,
            Some(unit.id),
            "全市的课由市级统一安排；学校只能管理本校其他年级的课",
        )
        .await);
    }
    Ok(unit)
}

/// Puts a published lesson into a campaign. The city adds the
/// stage-transition lessons (for every parent, or for the new parents of
/// the plan's entry grades: K1, P1, J1 and S1 in Qingdao's); a school adds
/// year-transition lessons for its other grades. Families already under
/// way now need one lesson more: those who had finished are finished no
/// longer, and the boards say so at once.
pub async fn add_campaign_lesson(
    app: &App,
    ctx: &Ctx,
    campaign_id: i64,
    lesson_id: i64,
    grade: &str,
    school_id: Option<i64>,
) -> Result<Target> {
    let (campaign, lesson) = {
        let mut c = app.db.read().await?;
        let campaign = store::get_campaign(&mut c, campaign_id)
            .await?
            .ok_or_else(Error::not_found)?;
        let lesson = courses::get_lesson(&mut c, lesson_id)
            .await?
            .ok_or_else(Error::not_found)?;
        (campaign, lesson)
    };
    if lesson.status != Status::Published {
        return Err(Error::invalid("lesson_id", "只能加入已发布的课"));
    }
    let grade = match grade.trim() {
        "" => String::new(),
        g => Grade::parse(g)?.code(),
    };
    let plan = crate::plan::current(app).await?;
    let school = school_id.unwrap_or(0);
    let unit = owner(app, ctx, campaign.id, school).await?;
    if school == 0 {
        if !grade.is_empty() && !plan.is_entry_grade(&grade) {
            return Err(Error::invalid(
                "grade",
                "市级学段衔接课面向全体家长或幼一、小一、初一、高一新生家长",
            ));
        }
    } else {
        if grade.is_empty() || plan.is_entry_grade(&grade) {
            return Err(Error::invalid(
                "grade",
                "学校的学年衔接课面向本校其他年级（新生年级由市级统一安排）",
            ));
        }
        let g = Grade::parse(&grade)?;
        if !unit.stages.contains(&g.stage) {
            return Err(Error::invalid(
                "grade",
                format!("本校没有{}学段", g.stage.label()),
            ));
        }
    }
    let target = Target {
        campaign_id: campaign.id,
        lesson_id: lesson.id,
        grade,
        school_id: school,
    };
    let mut tx = app.db.write().await?;
    if store::add_target(&mut tx, &target, ctx.actor.account_id, app.now()).await? {
        retally(&mut tx, app, &target, &unit.path, false).await?;
        let detail = format!(
            "lesson {} grade '{}' school {}",
            lesson.id, target.grade, target.school_id
        );
        audit::append(
            &mut tx,
            &audit::entry(
                app,
                ctx,
                "campaign.add_lesson",
                "campaign",
                campaign.id,
                Some(unit.id),
                detail,
            ),
        )
        .await?;
    }
    tx.commit().await.db()?;
    app.forget_lessons().await;
    Ok(target)
}

/// What taking a lesson out of a campaign would undo, for the second step
/// of the page that does it.
pub async fn removal_preview(app: &App, ctx: &Ctx, target: &Target) -> Result<Removal> {
    let unit = owner(app, ctx, target.campaign_id, target.school_id).await?;
    let mut c = app.db.read().await?;
    let all = store::targets_of_campaign(&mut c, target.campaign_id).await?;
    if !all.contains(target) {
        return Err(not_in_campaign());
    }
    let after: Vec<Target> = all.into_iter().filter(|t| t != target).collect();
    let groups = groups(&mut c, &after, target, &unit.path, true).await?;
    let losing: Vec<i64> = groups
        .iter()
        .filter(|((_, lost), _)| *lost)
        .flat_map(|(_, classes)| classes.iter().map(|(id, _)| *id))
        .collect();
    let families_done = if losing.is_empty() {
        0
    } else {
        store::families_with_lesson(&mut c, target.campaign_id, target.lesson_id, &losing).await?
    };
    let lesson = describe(&mut c, ctx, target.clone()).await?;
    Ok(Removal {
        lesson,
        families_done,
        classes: losing.len() as i64,
    })
}

/// Takes a lesson out of a campaign: it is no longer shown to the families
/// it was for, what they did of it stops counting, and families who had
/// finished everything else are finished. Returns how many families had
/// completed it.
pub async fn remove_campaign_lesson(app: &App, ctx: &Ctx, target: &Target) -> Result<i64> {
    let unit = owner(app, ctx, target.campaign_id, target.school_id).await?;
    let mut tx = app.db.write().await?;
    if !store::remove_target(&mut tx, target).await? {
        return Err(not_in_campaign());
    }
    let undone = retally(&mut tx, app, target, &unit.path, true).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "campaign.remove_lesson",
            "campaign",
            target.campaign_id,
            Some(unit.id),
            format!(
                "lesson {} grade '{}' school {}; {undone} families' completions no longer count",
                target.lesson_id, target.grade, target.school_id
            ),
        ),
    )
    .await?;
    tx.commit().await.db()?;
    app.forget_lessons().await;
    Ok(undone)
}

fn not_in_campaign() -> Error {
    Error::with_message(ErrorCode::NotFound, "这节课不在该活动中，可能已被移除")
}

/// The lessons of a campaign the reader may see: the city's, and those of
/// the schools in the reader's scope.
pub async fn campaign_lessons(
    app: &App,
    ctx: &Ctx,
    campaign_id: i64,
) -> Result<Vec<CampaignLesson>> {
    let mut c = app.db.read().await?;
    store::get_campaign(&mut c, campaign_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let mut out = Vec::new();
    for t in store::targets_of_campaign(&mut c, campaign_id).await? {
        if t.school_id != 0 {
            let visible = units::get(&mut c, t.school_id)
                .await?
                .is_some_and(|s| ctx.actor.can(Action::ViewUnit, &s.path));
            if !visible {
                continue;
            }
        }
        out.push(describe(&mut c, ctx, t).await?);
    }
    Ok(out)
}

async fn describe(c: &mut Conn, ctx: &Ctx, target: Target) -> Result<CampaignLesson> {
    let title = courses::get_lesson(c, target.lesson_id)
        .await?
        .map_or_else(|| format!("第 {} 课", target.lesson_id), |l| l.title);
    let grade = Grade::parse(&target.grade).map(|g| g.label()).ok();
    let (school, can_remove) = if target.school_id == 0 {
        (String::new(), ctx.actor.has_role(Role::CityAdmin))
    } else {
        let s = units::get(c, target.school_id).await?;
        let can = s
            .as_ref()
            .is_some_and(|s| ctx.actor.can(Action::ManageCampaigns, &s.path));
        (s.map(|s| s.name).unwrap_or_default(), can)
    };
    let for_whom = match (grade, target.school_id) {
        (None, _) => "全体家长".to_owned(),
        (Some(g), 0) => format!("{g}新生家长"),
        (Some(g), _) => format!("{g}家长"),
    };
    Ok(CampaignLesson {
        target,
        title,
        for_whom,
        school,
        can_remove,
    })
}

/// The classes under `under` with families tallied in the changed
/// target's campaign and grade, grouped by how many lessons the campaign
/// (as `targets` now holds it) has for them and by whether the changed
/// lesson was `dropped` for them.
async fn groups(
    c: &mut Conn,
    targets: &[Target],
    changed: &Target,
    under: &str,
    dropped: bool,
) -> Result<BTreeMap<(i64, bool), Vec<(i64, String)>>> {
    let classes = store::tallied_classes(c, changed.campaign_id, under, &changed.grade).await?;
    let mut out: BTreeMap<(i64, bool), Vec<(i64, String)>> = BTreeMap::new();
    for (id, grade, path) in classes {
        let school = path_ids(&path).get(3).copied().unwrap_or(0);
        if !changed.fits(&grade, school) {
            continue;
        }
        let mut lessons: Vec<i64> = targets
            .iter()
            .filter(|t| t.fits(&grade, school))
            .map(|t| t.lesson_id)
            .collect();
        lessons.sort_unstable();
        lessons.dedup();
        let lost = dropped && !lessons.contains(&changed.lesson_id);
        out.entry((lessons.len() as i64, lost))
            .or_default()
            .push((id, path));
    }
    Ok(out)
}

/// After `changed` went into or out of its campaign: the tallies of the
/// families it concerns, and the rollups above them, by the campaign as it
/// now is. Returns how many families' completions of a dropped lesson
/// stopped counting.
async fn retally(
    tx: &mut Conn,
    app: &App,
    changed: &Target,
    under: &str,
    dropped: bool,
) -> Result<i64> {
    let targets = store::targets_of_campaign(tx, changed.campaign_id).await?;
    let groups = groups(tx, &targets, changed, under, dropped).await?;
    let mut deltas: HashMap<i64, CampaignCounts> = HashMap::new();
    let mut undone = 0;
    for ((needed, lost), classes) in groups {
        let dropped = lost.then_some(changed.lesson_id);
        let (d, n) = store::retally(
            tx,
            changed.campaign_id,
            &classes,
            needed,
            dropped,
            app.now(),
        )
        .await?;
        undone += n;
        for (unit, counts) in d {
            deltas.entry(unit).or_default().add(counts);
        }
    }
    deltas.retain(|_, d| *d != CampaignCounts::default());
    store::add_rollups(tx, changed.campaign_id, &deltas).await?;
    Ok(undone)
}
