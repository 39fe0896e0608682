//! Progress against the yearly minimum: each class's plan, compliance by
//! unit, teachers' workload, and the rollups checked against a recount.

use super::*;

/// A session in a class's plan.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PlanRow {
    pub session: Session,
    pub steps_done: usize,
    pub present: i64,
    pub rating_mean_x100: i64,
    pub ratings: i64,
}

/// A class's plan for a school year, with its tally against the minimum.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ClassPlan {
    pub class: Unit,
    pub school_year: i64,
    pub tally: Tally,
    pub met: bool,
    pub sessions: Vec<PlanRow>,
    /// Required courses the class may be taught: (id, title).
    pub courses: Vec<(i64, String)>,
    pub may_plan: bool,
}

pub async fn class_plan(
    app: &App,
    ctx: &Ctx,
    class_id: i64,
    school_year: i64,
) -> Result<ClassPlan> {
    let class = crate::access::class(app, ctx, class_id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let sessions = store::sessions_of_class(&mut c, class.id, school_year).await?;
    let ids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
    let steps = store::steps_of(&mut c, &ids).await?;
    let figures = store::session_figures(&mut c, &ids).await?;
    let tally = store::class_tally(&mut c, class.id, school_year).await?;
    let courses = store::required_courses_for(&mut c, &class.grade).await?;
    let sessions = sessions
        .into_iter()
        .map(|s| {
            let (present, _, ratings, mean) = figures.get(&s.id).copied().unwrap_or_default();
            PlanRow {
                steps_done: steps.get(&s.id).map_or(0, Vec::len),
                present,
                ratings,
                rating_mean_x100: mean,
                session: s,
            }
        })
        .collect();
    Ok(ClassPlan {
        may_plan: ctx.actor.can(Action::DeliverCourses, &class.path),
        met: tally.met(&*crate::plan::current(app).await?),
        class,
        school_year,
        tally,
        sessions,
        courses,
    })
}

/// A unit's line on the compliance page.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ComplianceRow {
    pub unit_id: i64,
    pub name: String,
    pub kind: UnitKind,
    pub path: String,
    pub parent_id: Option<i64>,
    pub classes: i64,
    pub met: i64,
    /// Classes whose sessions held and planned reach the minimum (those
    /// met included).
    pub on_track: i64,
    /// Classes: their own tally.
    pub tally: Option<Tally>,
    /// Classes: sessions and class hours still to plan to reach the minimum.
    pub sessions_missing: i64,
    pub hours_missing: i64,
}

impl ComplianceRow {
    /// Classes below the minimum.
    pub fn flagged(&self) -> i64 {
        (self.classes - self.met).max(0)
    }
    /// Classes that would not reach the minimum even if all they planned
    /// were held: sessions still to plan.
    pub fn off_track(&self) -> i64 {
        (self.classes - self.on_track).max(0)
    }
}

/// How a unit's classes stand against the yearly minimum: the unit itself
/// and each unit below it (down to classes, each with its tally), flagged
/// first. Reads only the rollups, so it costs the same at any scale.
pub async fn compliance(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    school_year: i64,
) -> Result<(ComplianceRow, Vec<ComplianceRow>)> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let kids = units::children(&mut c, unit.id, false).await?;
    let mut ids: Vec<i64> = kids.iter().map(|k| k.id).collect();
    ids.push(unit.id);
    let met = store::met_of(&mut c, &ids, school_year).await?;
    let class_ids: Vec<i64> = kids
        .iter()
        .filter(|k| k.kind == UnitKind::Class)
        .map(|k| k.id)
        .collect();
    let tallies = store::class_tallies(&mut c, &class_ids, school_year).await?;
    let plan = crate::plan::current(app).await?;
    let row = |u: &Unit| {
        if u.kind == UnitKind::Class {
            let t = tallies.get(&u.id).copied().unwrap_or_default();
            ComplianceRow {
                unit_id: u.id,
                name: u.name.clone(),
                kind: u.kind,
                path: u.path.clone(),
                parent_id: u.parent_id,
                classes: 1,
                met: i64::from(t.met(&plan)),
                on_track: i64::from(t.on_track(&plan)),
                tally: Some(t),
                sessions_missing: t.sessions_missing(&plan),
                hours_missing: t.hours_missing(&plan),
            }
        } else {
            let m = met.get(&u.id).copied().unwrap_or_default();
            ComplianceRow {
                unit_id: u.id,
                name: u.name.clone(),
                kind: u.kind,
                path: u.path.clone(),
                parent_id: u.parent_id,
                classes: u.counts.classes,
                met: m.met,
                on_track: m.on_track,
                tally: None,
                sessions_missing: 0,
                hours_missing: 0,
            }
        }
    };
    let mut rows: Vec<ComplianceRow> = kids.iter().map(row).collect();
    // Those with the most classes still to plan first, then those with the
    // most classes yet to hold what they planned.
    rows.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.off_track()),
            std::cmp::Reverse(r.flagged()),
            std::cmp::Reverse(r.sessions_missing + r.hours_missing),
            r.unit_id,
        )
    });
    Ok((row(&unit), rows))
}

/// A teacher's credited class hours in a school year.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct WorkloadRow {
    pub teacher_id: i64,
    pub name: String,
    pub sessions: i64,
    pub hours: i64,
}

/// Class hours credited to each teacher who taught in a unit's subtree.
pub async fn workload(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    school_year: i64,
) -> Result<Vec<WorkloadRow>> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewAccounts).await?;
    let mut c = app.db.read().await?;
    let rows = store::workload(&mut c, &unit.path, school_year).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.teacher_id).collect();
    let names = accounts::display_names(&mut c, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| WorkloadRow {
            name: names.get(&r.teacher_id).cloned().unwrap_or_default(),
            teacher_id: r.teacher_id,
            sessions: r.sessions,
            hours: r.hours,
        })
        .collect())
}

/// The signed-in teacher's own credited sessions and class hours per school year.
pub async fn my_workload(app: &App, ctx: &Ctx) -> Result<Vec<YearWorkload>> {
    let mut c = app.db.read().await?;
    store::workload_of(&mut c, ctx.actor.account_id).await
}

/// Kept rollups and a recount of classes that met the minimum; equal
/// unless something went wrong.
pub async fn check_rollups(app: &App, school_year: i64) -> Result<Check> {
    let plan = crate::plan::current(app).await?;
    let mut c = app.db.read().await?;
    store::check_met(&mut c, school_year, &plan).await
}
