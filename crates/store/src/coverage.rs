//! Coverage counts (`coverage_rollups`): per unit and measure, the schools
//! of its subtree that have what the measure names. A school's own row is
//! its flag; changing a flag adds one to (or takes one from) the school and
//! every unit above it, in the caller's transaction.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::org::path_ids;

use crate::Conn;
use crate::rollup::{COVERAGE, Check, spread};
use crate::rows::V;

/// Sets a school's flag for `measure` (a key of `domain::coverage::Measure`)
/// and moves the counts above it when the flag changes. Returns whether it did.
pub async fn set(
    c: &mut Conn,
    school_id: i64,
    school_path: &str,
    measure: &str,
    on: bool,
) -> Result<bool> {
    let key = [V::S(measure)];
    let was = COVERAGE
        .read(c, &key, &[school_id])
        .await?
        .get(&school_id)
        .is_some_and(|v| v[0] > 0);
    if was == on {
        return Ok(false);
    }
    let delta = if on { 1 } else { -1 };
    COVERAGE
        .add(c, &key, &path_ids(school_path), &[delta])
        .await?;
    Ok(true)
}

/// The schools having `measure` under each of these units (absent: none).
pub async fn read(c: &mut Conn, measure: &str, unit_ids: &[i64]) -> Result<HashMap<i64, i64>> {
    Ok(COVERAGE
        .read(c, &[V::S(measure)], unit_ids)
        .await?
        .into_iter()
        .map(|(u, v)| (u, v[0]))
        .collect())
}

/// The schools having each of `measures` under each of these units, in one
/// query: per measure (in the order given), unit → count (absent: none).
pub async fn read_many(
    c: &mut Conn,
    measures: &[String],
    unit_ids: &[i64],
) -> Result<Vec<HashMap<i64, i64>>> {
    use crate::DbResult;
    let mut out = vec![HashMap::new(); measures.len()];
    if measures.is_empty() || unit_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT unit_id, measure, schools FROM coverage_rollups
         WHERE measure IN ({}) AND unit_id IN ({})",
        crate::placeholders(1, measures.len()),
        crate::placeholders(measures.len() + 1, unit_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for m in measures {
        q = q.bind(m.clone());
    }
    for id in unit_ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(&mut *c).await.db()? {
        let measure: String = crate::col(&r, "measure")?;
        if let Some(i) = measures.iter().position(|m| *m == measure) {
            out[i].insert(crate::col(&r, "unit_id")?, crate::col(&r, "schools")?);
        }
    }
    Ok(out)
}

/// The counts of `measure` from the paths of the schools that have it.
pub fn from_school_paths(paths: impl IntoIterator<Item = String>) -> HashMap<i64, Vec<i64>> {
    spread(paths.into_iter().map(|p| (p, vec![1])), true)
}

/// Replaces `measure`'s counts by a recount.
pub async fn replace(c: &mut Conn, measure: &str, counts: &HashMap<i64, Vec<i64>>) -> Result<()> {
    COVERAGE.replace(c, &[V::S(measure)], counts).await
}

/// `measure`'s counts as kept beside a recount.
pub async fn check(
    c: &mut Conn,
    measure: &str,
    recounted: HashMap<i64, Vec<i64>>,
) -> Result<Check> {
    Ok(Check {
        kept: COVERAGE.all(c, &[V::S(measure)]).await?,
        recounted,
    })
}

/// Every measure that has counts kept.
pub async fn kept_measures(c: &mut Conn) -> Result<Vec<String>> {
    use crate::DbResult;
    sqlx::query_scalar("SELECT DISTINCT measure FROM coverage_rollups ORDER BY measure")
        .fetch_all(&mut *c)
        .await
        .db()
}
