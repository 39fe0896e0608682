//! Activation counts per unit (`activation_snapshots`), recomputed whole
//! by a nightly job and read by the activation board.

use std::collections::HashMap;

use tongyu_domain::Result;

use crate::{Conn, DbResult, col};

/// A unit's counts as of the last pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ActivationCounts")]
pub struct Counts {
    /// Staff roles held at the unit or below (an account per role and unit).
    pub staff: i64,
    /// Of those, signed in within 30 days.
    pub staff_active: i64,
    /// Parents linked to a child at the unit or below (per child's class).
    pub parents: i64,
    /// Of those, with the link confirmed.
    pub parents_bound: i64,
    /// Of those, signed in within 30 days.
    pub parents_active: i64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.staff += o.staff;
        self.staff_active += o.staff_active;
        self.parents += o.parents;
        self.parents_bound += o.parents_bound;
        self.parents_active += o.parents_active;
    }
}

/// Counts every unit afresh (signed in since `active_since`) and replaces
/// the snapshots. Returns how many units have figures.
pub async fn recompute(c: &mut Conn, active_since: i64, now: i64) -> Result<usize> {
    let mut own: HashMap<String, Counts> = HashMap::new();
    let staff = sqlx::query(
        "SELECT u.path, COUNT(*) AS n,
                SUM(CASE WHEN a.last_login_at >= $1 THEN 1 ELSE 0 END) AS active
         FROM grants g JOIN accounts a ON a.id = g.account_id JOIN units u ON u.id = g.unit_id
         WHERE a.active = 1 AND g.role <> 'parent' GROUP BY u.path",
    )
    .bind(active_since)
    .fetch_all(&mut *c)
    .await
    .db()?;
    for r in &staff {
        let e = own.entry(col(r, "path")?).or_default();
        e.staff += col::<i64>(r, "n")?;
        e.staff_active += col::<i64>(r, "active")?;
    }
    let parents = sqlx::query(
        "SELECT u.path, COUNT(*) AS n,
                SUM(CASE WHEN l.status = 'confirmed' THEN 1 ELSE 0 END) AS bound,
                SUM(CASE WHEN a.last_login_at >= $1 THEN 1 ELSE 0 END) AS active
         FROM (SELECT g.account_id, s.class_id,
                      MIN(g.status) AS status
               FROM guardians g JOIN students s ON s.id = g.student_id
               WHERE s.active = 1 AND g.status IN ('pending', 'confirmed')
               GROUP BY g.account_id, s.class_id) l
         JOIN accounts a ON a.id = l.account_id JOIN units u ON u.id = l.class_id
         WHERE a.active = 1 GROUP BY u.path",
    )
    .bind(active_since)
    .fetch_all(&mut *c)
    .await
    .db()?;
    for r in &parents {
        let e = own.entry(col(r, "path")?).or_default();
        e.parents += col::<i64>(r, "n")?;
        e.parents_bound += col::<i64>(r, "bound")?;
        e.parents_active += col::<i64>(r, "active")?;
    }
    let mut all: HashMap<i64, Counts> = HashMap::new();
    for (path, counts) in &own {
        for id in tongyu_domain::org::path_ids(path) {
            all.entry(id).or_default().add(counts);
        }
    }
    sqlx::query("DELETE FROM activation_snapshots")
        .execute(&mut *c)
        .await
        .db()?;
    let mut ids: Vec<&i64> = all.keys().collect();
    ids.sort_unstable();
    for id in ids {
        let k = all[id];
        sqlx::query(
            "INSERT INTO activation_snapshots
               (unit_id, staff, staff_active, parents, parents_bound, parents_active, computed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(*id)
        .bind(k.staff)
        .bind(k.staff_active)
        .bind(k.parents)
        .bind(k.parents_bound)
        .bind(k.parents_active)
        .bind(now)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(all.len())
}

/// The snapshots of these units: unit → (counts, computed at).
pub async fn read(c: &mut Conn, unit_ids: &[i64]) -> Result<HashMap<i64, (Counts, i64)>> {
    let mut out = HashMap::new();
    for chunk in unit_ids.chunks(500) {
        let sql = format!(
            "SELECT unit_id, staff, staff_active, parents, parents_bound, parents_active, computed_at
             FROM activation_snapshots WHERE unit_id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.insert(
                col(&r, "unit_id")?,
                (
                    Counts {
                        staff: col(&r, "staff")?,
                        staff_active: col(&r, "staff_active")?,
                        parents: col(&r, "parents")?,
                        parents_bound: col(&r, "parents_bound")?,
                        parents_active: col(&r, "parents_active")?,
                    },
                    col(&r, "computed_at")?,
                ),
            );
        }
    }
    Ok(out)
}
