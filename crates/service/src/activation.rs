//! The activation board (task 13 of the plan: help every role use the
//! platform): per unit, staff roles held and signed in within 30 days,
//! parents linked to a child, confirmed, and signed in within 30 days. A
//! nightly job counts every unit in one pass (`jobs::ACTIVATION`); the
//! board reads the counts and says when they were taken.

use tongyu_domain::Result;
use tongyu_domain::org::{Unit, UnitKind};
use tongyu_domain::policy::Action;
use tongyu_store::activation as store;
/// A unit's counts, as the API shows them.
pub use tongyu_store::activation::Counts;
use tongyu_store::{DbResult, org as units};

use crate::{App, Ctx};

/// Signed in within this long counts as active.
pub const ACTIVE_WINDOW_S: i64 = 30 * 86_400;

/// Counts every unit afresh; the nightly job's work.
pub async fn recompute(app: &App) -> Result<String> {
    let now = app.now();
    let mut tx = app.db.write().await?;
    let n = store::recompute(&mut tx, now - ACTIVE_WINDOW_S, now).await?;
    tx.commit().await.db()?;
    Ok(format!("{n} 个单位"))
}

/// A unit's line.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ActivationRow")]
pub struct Row {
    pub unit_id: i64,
    pub name: String,
    pub kind: UnitKind,
    pub counts: Counts,
}

impl Row {
    /// Per mille of parents confirmed (the lower, the more to do).
    pub fn bound_permille(&self) -> i64 {
        if self.counts.parents == 0 {
            1000
        } else {
            self.counts.parents_bound * 1000 / self.counts.parents
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ActivationBoard")]
pub struct Board {
    pub top: Row,
    /// Units below, those with the fewest parents confirmed first.
    pub rows: Vec<Row>,
    /// When the counts were taken (0: not yet).
    pub computed_at: i64,
}

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
    let snaps = store::read(&mut c, &ids).await?;
    drop(c);
    let computed_at = snaps.values().map(|(_, at)| *at).max().unwrap_or(0);
    let row = |u: &Unit| Row {
        unit_id: u.id,
        name: u.name.clone(),
        kind: u.kind,
        counts: snaps.get(&u.id).map(|(k, _)| *k).unwrap_or_default(),
    };
    let mut rows: Vec<Row> = below.iter().map(row).collect();
    tongyu_domain::collate::sort_by_name(&mut rows, |r| &r.name);
    rows.sort_by_key(Row::bound_permille);
    Ok(Board {
        top: row(&unit),
        rows,
        computed_at,
    })
}
