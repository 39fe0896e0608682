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

/// A teacher's credited work in a school year: required-course sessions
/// and class hours, training sessions presented and lectures given.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct WorkloadRow {
    pub teacher_id: i64,
    pub name: String,
    pub sessions: i64,
    pub hours: i64,
    pub training_sessions: i64,
    pub training_hours: i64,
    pub lectures: i64,
    pub lecture_hours: i64,
}

impl WorkloadRow {
    /// Every hour credited.
    pub fn total_hours(&self) -> i64 {
        self.hours + self.training_hours + self.lecture_hours
    }
}

/// Work credited to each teacher of a unit's subtree in a school year.
pub async fn workload(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    school_year: i64,
) -> Result<Vec<WorkloadRow>> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewAccounts).await?;
    let from = tongyu_domain::calendar::day_start(
        tongyu_domain::calendar::Term::First.first_day(school_year),
    );
    let to = tongyu_domain::calendar::day_start(
        tongyu_domain::calendar::Term::First.first_day(school_year + 1),
    );
    let mut c = app.db.read().await?;
    let taught = store::workload(&mut c, &unit.path, school_year).await?;
    let delivered =
        tongyu_store::workload::delivered_in(&mut c, &unit.path, from, to, app.now()).await?;
    let mut rows: std::collections::BTreeMap<i64, WorkloadRow> = taught
        .into_iter()
        .map(|r| {
            (
                r.teacher_id,
                WorkloadRow {
                    teacher_id: r.teacher_id,
                    name: String::new(),
                    sessions: r.sessions,
                    hours: r.hours,
                    training_sessions: 0,
                    training_hours: 0,
                    lectures: 0,
                    lecture_hours: 0,
                },
            )
        })
        .collect();
    for d in delivered {
        let row = rows.entry(d.account_id).or_insert_with(|| WorkloadRow {
            teacher_id: d.account_id,
            name: String::new(),
            sessions: 0,
            hours: 0,
            training_sessions: 0,
            training_hours: 0,
            lectures: 0,
            lecture_hours: 0,
        });
        if d.lecture {
            row.lectures += 1;
            row.lecture_hours += d.hours;
        } else {
            row.training_sessions += 1;
            row.training_hours += d.hours;
        }
    }
    let ids: Vec<i64> = rows.keys().copied().collect();
    let names = accounts::display_names(&mut c, &ids).await?;
    Ok(rows
        .into_values()
        .map(|mut r| {
            r.name = names.get(&r.teacher_id).cloned().unwrap_or_default();
            r
        })
        .collect())
}

/// The signed-in teacher's own credited work per school year, newest first.
pub async fn my_workload(app: &App, ctx: &Ctx) -> Result<Vec<YearWorkload>> {
    let mut c = app.db.read().await?;
    let mut years = store::workload_of(&mut c, ctx.actor.account_id).await?;
    for d in tongyu_store::workload::delivered_by(&mut c, ctx.actor.account_id, app.now()).await? {
        let year = tongyu_domain::calendar::school_year(d.starts_at);
        let i = match years.iter().position(|y| y.school_year == year) {
            Some(i) => i,
            None => {
                years.push(YearWorkload {
                    school_year: year,
                    sessions: 0,
                    class_hours: 0,
                    training_sessions: 0,
                    training_hours: 0,
                    lectures: 0,
                    lecture_hours: 0,
                });
                years.len() - 1
            }
        };
        let y = &mut years[i];
        if d.lecture {
            y.lectures += 1;
            y.lecture_hours += d.hours;
        } else {
            y.training_sessions += 1;
            y.training_hours += d.hours;
        }
    }
    years.sort_by_key(|y| std::cmp::Reverse(y.school_year));
    Ok(years)
}

/// Kept rollups and a recount of classes that met the minimum; equal
/// unless something went wrong.
pub async fn check_rollups(app: &App, school_year: i64) -> Result<Check> {
    let plan = crate::plan::current(app).await?;
    let mut c = app.db.read().await?;
    store::check_met(&mut c, school_year, &plan).await
}
