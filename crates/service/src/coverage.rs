//! The coverage board: for a unit and each unit below it down to its
//! schools, how many schools have what the plan asks of each school. It
//! reads the kept counts only (`store::coverage`), one row per unit and
//! measure, so it costs the same in a city of 200 schools or of 3,500.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::coverage::Measure;
use tongyu_domain::org::{Unit, UnitKind};
use tongyu_domain::policy::Action;
use tongyu_store::rollup::Check;
use tongyu_store::{Conn, coverage, org as units};

use crate::{App, Ctx};

/// A column of the board.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "CoverageColumn")]
pub struct Column {
    pub measure: Measure,
    pub label: String,
}

/// A unit's line: its schools and, per column, how many have the measure.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "CoverageRow")]
pub struct Row {
    pub unit_id: i64,
    pub name: String,
    pub kind: UnitKind,
    pub schools: i64,
    /// Per column, in the board's order.
    pub have: Vec<i64>,
}

impl Row {
    /// Per column, the schools still lacking the measure.
    pub fn missing(&self) -> Vec<i64> {
        self.have
            .iter()
            .map(|h| (self.schools - h).max(0))
            .collect()
    }
    /// Gaps summed over the columns (a unit with more of them comes first).
    pub fn gaps(&self) -> i64 {
        self.missing().iter().sum()
    }
}

/// A unit's board.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "CoverageBoard")]
pub struct Board {
    pub columns: Vec<Column>,
    pub top: Row,
    /// The units below (down to schools), those with the most gaps first.
    pub rows: Vec<Row>,
}

/// What the board measures now: the coordinator, the group, this term's
/// plan, this school year's school committee, both lecturer groups, an
/// instructor for every grade.
pub fn columns(app: &App) -> Vec<Column> {
    let (school_year, term) = crate::work_group::current_term(app);
    [
        Measure::Coordinator,
        Measure::WorkGroup,
        Measure::Plan { school_year, term },
        Measure::Committee { school_year },
        Measure::LecturerGroups,
        Measure::GradeInstructors,
    ]
    .into_iter()
    .map(|m| Column {
        label: m.label(),
        measure: m,
    })
    .collect()
}

/// The board of a unit in the reader's view.
pub async fn board(app: &App, ctx: &Ctx, unit_id: i64) -> Result<Board> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let columns = columns(app);
    let mut c = app.db.read().await?;
    let below: Vec<Unit> = if matches!(
        unit.kind,
        UnitKind::City | UnitKind::District | UnitKind::Subdistrict
    ) {
        units::children(&mut c, unit.id, false).await?
    } else {
        Vec::new()
    };
    let mut ids: Vec<i64> = below.iter().map(|u| u.id).collect();
    ids.push(unit.id);
    let keys: Vec<String> = columns.iter().map(|col| col.measure.key()).collect();
    let counts = coverage::read_many(&mut c, &keys, &ids).await?;
    drop(c);
    let row = |u: &Unit| Row {
        unit_id: u.id,
        name: u.name.clone(),
        kind: u.kind,
        schools: u.counts.schools,
        have: counts
            .iter()
            .map(|m| m.get(&u.id).copied().unwrap_or(0))
            .collect(),
    };
    let mut rows: Vec<Row> = below.iter().map(row).collect();
    tongyu_domain::collate::sort_by_name(&mut rows, |r| &r.name);
    rows.sort_by_key(|r| std::cmp::Reverse(r.gaps()));
    Ok(Board {
        top: row(&unit),
        rows,
        columns,
    })
}

/// Every measure recounted from the rows it counts: measure key → counts
/// per unit.
async fn recount(c: &mut Conn) -> Result<HashMap<String, HashMap<i64, Vec<i64>>>> {
    let mut all = crate::work_group::recount(c).await?;
    all.extend(tongyu_store::parent_committee::recount(c).await?);
    all.extend(crate::grade_instructor::recount(c).await?);
    Ok(all)
}

/// Every measure's counts as kept beside a recount (tests hold every board
/// to it).
pub async fn check(app: &App) -> Result<Vec<(String, Check)>> {
    let mut c = app.db.read().await?;
    let mut recounted = recount(&mut c).await?;
    let mut keys: Vec<String> = coverage::kept_measures(&mut c).await?;
    keys.extend(recounted.keys().cloned());
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let counts = recounted.remove(&key).unwrap_or_default();
        out.push((key.clone(), coverage::check(&mut c, &key, counts).await?));
    }
    Ok(out)
}

/// Replaces every measure's counts by a recount (after the demo writes its
/// rows directly, or the plan's floor for a work group changes).
pub async fn recount_into(c: &mut Conn) -> Result<()> {
    let mut recounted = recount(c).await?;
    for key in coverage::kept_measures(c).await? {
        recounted.entry(key).or_default();
    }
    for (key, counts) in recounted {
        coverage::replace(c, &key, &counts).await?;
    }
    Ok(())
}
