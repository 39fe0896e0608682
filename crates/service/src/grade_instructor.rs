//! Each school's family-education instructor per grade (the plan asks for
//! one in every grade, task 6): named by the school's leaders from its
//! staff, shown with the level of their certificate, a coverage measure
//! recomputed when the assignment or the school's stages change, and the
//! schools still lacking one listed for the district and the city.

use std::collections::{BTreeSet, HashMap};

use tongyu_domain::account::Role;
use tongyu_domain::coverage::Measure;
use tongyu_domain::org::{Stage, Unit, UnitKind, path_within};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::grade_instructor as store;
/// A named instructor as the API shows them.
pub use tongyu_store::grade_instructor::GradeInstructor;
use tongyu_store::{Conn, account as accounts, coverage, org as units};

use crate::work_group::Who;
use crate::{App, Ctx, audit};

/// The grades a school teaches (from its stages), in order.
fn grades_of(stages: &[Stage]) -> Vec<tongyu_domain::org::Grade> {
    Stage::ALL
        .into_iter()
        .filter(|s| stages.contains(s))
        .flat_map(|s| s.grades())
        .collect()
}

/// Whether every grade of `stages` has someone in `assigned`.
fn covered(stages: &[Stage], assigned: &BTreeSet<String>) -> bool {
    let grades = grades_of(stages);
    !grades.is_empty() && grades.iter().all(|g| assigned.contains(&g.code()))
}

/// A grade of a school and its instructor.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct GradeLine {
    pub grade: String,
    pub label: String,
    pub instructor: Option<GradeInstructor>,
}

/// A school's instructors per grade.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct SchoolGrades {
    pub school_id: i64,
    pub school_name: String,
    pub grades: Vec<GradeLine>,
    pub missing: i64,
    pub may_manage: bool,
    /// Staff of the school who may be named: (account id, name, username).
    pub staff: Vec<(i64, String, String)>,
}

async fn school(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<Unit> {
    crate::access::unit_of_kind(app, ctx, id, UnitKind::School, action).await
}

/// A school's grades with their instructors (audited: it names staff).
pub async fn school_grades(app: &App, ctx: &Ctx, school_id: i64) -> Result<SchoolGrades> {
    let unit = school(app, ctx, school_id, Action::ViewUnit).await?;
    let may_manage = ctx.actor.can(Action::ManageWorkGroup, &unit.path);
    let levels = crate::certification::ladder(app).await?;
    let mut c = app.db.read().await?;
    let assigned: HashMap<String, GradeInstructor> =
        store::grade_instructors(&mut c, unit.id, app.now())
            .await?
            .into_iter()
            .map(|mut g| {
                g.level_name = levels
                    .iter()
                    .find(|l| l.rank == g.level_rank)
                    .map(|l| l.name.clone())
                    .unwrap_or_default();
                (g.grade.clone(), g)
            })
            .collect();
    let staff = if may_manage {
        tongyu_store::work_group::staff_of(&mut c, &unit.path, 500).await?
    } else {
        Vec::new()
    };
    drop(c);
    let grades: Vec<GradeLine> = grades_of(&unit.stages)
        .into_iter()
        .map(|g| GradeLine {
            instructor: assigned.get(&g.code()).cloned(),
            grade: g.code(),
            label: g.label(),
        })
        .collect();
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "certification.read_grades",
            "school",
            unit.id,
            Some(unit.id),
            "",
        ),
    )
    .await?;
    Ok(SchoolGrades {
        school_id: unit.id,
        school_name: unit.name.clone(),
        missing: grades.iter().filter(|g| g.instructor.is_none()).count() as i64,
        grades,
        may_manage,
        staff,
    })
}

/// Recomputes a school's flag from its stages and its named instructors,
/// in the caller's transaction (after a change to either).
pub async fn refresh_school(c: &mut Conn, school: &Unit) -> Result<()> {
    let assigned: BTreeSet<String> = store::grade_instructors(c, school.id, 0)
        .await?
        .into_iter()
        .map(|g| g.grade)
        .collect();
    coverage::set(
        c,
        school.id,
        &school.path,
        &Measure::GradeInstructors.key(),
        covered(&school.stages, &assigned),
    )
    .await?;
    Ok(())
}

/// Names a staff member of the school as a grade's instructor (replacing
/// anyone named before).
pub async fn assign(app: &App, ctx: &Ctx, school_id: i64, grade: &str, who: &Who) -> Result<()> {
    let unit = school(app, ctx, school_id, Action::ManageWorkGroup).await?;
    let Some(g) = grades_of(&unit.stages)
        .into_iter()
        .find(|g| g.code() == grade.trim())
    else {
        return Err(Error::invalid("grade", "本校没有这个年级"));
    };
    let mut tx = app.db.write().await?;
    let account = crate::work_group::find(app, &mut tx, who).await?;
    let grants = accounts::grants_of(&mut tx, account.id).await?;
    if !account.active
        || !grants
            .iter()
            .any(|g| g.role != Role::Parent && path_within(&g.unit_path, &unit.path))
    {
        return Err(Error::invalid(
            "member",
            format!(
                "{}不是本校在岗教职工（须在本校或本校班级有岗位）",
                account.display_name
            ),
        ));
    }
    store::assign(
        &mut tx,
        unit.id,
        &g.code(),
        account.id,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    refresh_school(&mut tx, &unit).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "certification.assign_grade",
            "account",
            account.id,
            Some(unit.id),
            format!("{}：{}", g.label(), account.display_name),
        ),
    )
    .await
}

/// Leaves a grade without its named instructor.
pub async fn unassign(app: &App, ctx: &Ctx, school_id: i64, grade: &str) -> Result<()> {
    let unit = school(app, ctx, school_id, Action::ManageWorkGroup).await?;
    let mut tx = app.db.write().await?;
    if !store::unassign(&mut tx, unit.id, grade.trim()).await? {
        return Err(Error::not_found());
    }
    refresh_school(&mut tx, &unit).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "certification.unassign_grade",
            "school",
            unit.id,
            Some(unit.id),
            grade.trim().to_owned(),
        ),
    )
    .await
}

/// A school that lacks an instructor for some grade.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct GapLine {
    pub school_id: i64,
    pub school_name: String,
    /// The grades without an instructor, as labels.
    pub missing: Vec<String>,
}

/// Schools of a unit's subtree with grades lacking an instructor, at most
/// `limit` (with how many there are in all).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Gaps {
    pub unit_id: i64,
    pub unit_name: String,
    pub schools: i64,
    pub schools_with_gaps: i64,
    pub lines: Vec<GapLine>,
}

pub async fn gaps(app: &App, ctx: &Ctx, unit_id: i64, limit: i64) -> Result<Gaps> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let key = Measure::GradeInstructors.key();
    let mut c = app.db.read().await?;
    let have = coverage::read(&mut c, &key, &[unit.id])
        .await?
        .get(&unit.id)
        .copied()
        .unwrap_or(0);
    let schools = units::schools_lacking(&mut c, &unit.path, &key, limit).await?;
    let ids: Vec<i64> = schools.iter().map(|s| s.id).collect();
    let mut assigned: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for (school, grade) in store::assigned_in(&mut c, &ids).await? {
        assigned.entry(school).or_default().insert(grade);
    }
    let none = BTreeSet::new();
    let lines = schools
        .into_iter()
        .map(|s| {
            let have = assigned.get(&s.id).unwrap_or(&none);
            GapLine {
                school_id: s.id,
                missing: grades_of(&s.stages)
                    .into_iter()
                    .filter(|g| !have.contains(&g.code()))
                    .map(|g| g.label())
                    .collect(),
                school_name: s.name,
            }
        })
        .collect();
    Ok(Gaps {
        unit_id: unit.id,
        schools_with_gaps: (unit.counts.schools - have).max(0),
        schools: unit.counts.schools,
        unit_name: unit.name,
        lines,
    })
}

/// The measure recounted from the named instructors and the schools' stages.
pub async fn recount(c: &mut Conn) -> Result<HashMap<String, HashMap<i64, Vec<i64>>>> {
    let mut by_school: HashMap<i64, (String, String, BTreeSet<String>)> = HashMap::new();
    for (id, path, stages, grade) in store::all_assigned(c).await? {
        by_school
            .entry(id)
            .or_insert_with(|| (path, stages, BTreeSet::new()))
            .2
            .insert(grade);
    }
    let paths = by_school
        .into_values()
        .filter(|(_, stages, assigned)| {
            Stage::parse_list(stages).is_ok_and(|st| covered(&st, assigned))
        })
        .map(|(path, _, _)| path);
    Ok(HashMap::from([(
        Measure::GradeInstructors.key(),
        coverage::from_school_paths(paths),
    )]))
}

/// How many grades of a school its leaders still have to give an
/// instructor (for their home).
pub async fn missing_grades(app: &App, ctx: &Ctx, school_id: i64) -> Result<i64> {
    let unit = school(app, ctx, school_id, Action::ManageWorkGroup).await?;
    let mut c = app.db.read().await?;
    let assigned: BTreeSet<String> = store::grade_instructors(&mut c, unit.id, 0)
        .await?
        .into_iter()
        .map(|g| g.grade)
        .collect();
    Ok(grades_of(&unit.stages)
        .iter()
        .filter(|g| !assigned.contains(&g.code()))
        .count() as i64)
}
