//! Rollups: the counters boards read instead of counting, each described
//! once ([`Rollup`]: its table, the columns naming a row, its counters) and
//! kept, read, moved and checked by the same code.
//!
//! Every rollup follows one discipline: a write adds its deltas in the
//! write's own transaction ([`Rollup::add`]), a recount computes the same
//! figures from the rows themselves ([`spread`] turns per-path sums into
//! per-unit ones), and a check compares the two ([`Check`]); tests hold
//! every board to its recount.
//!
//! Two shapes: the rollups of [`UP_THE_TREE`] credit a unit and every unit
//! above it, so a unit's row holds its subtree's total and a board reads
//! one row per unit; the appeal board keeps each holder's own counts per
//! month and sums a subtree when it reads, because it is read over a
//! window of months. The org tree's own counts (schools, classes, students,
//! parents) are columns of `units` kept the same way (`org::add_counts`,
//! `org::recount`), because every org page reads them with the unit.

use std::collections::HashMap;

use tongyu_domain::Result;

use crate::rows::V;
use crate::{Conn, DbResult, col};

/// A rollup table.
pub struct Rollup {
    pub table: &'static str,
    /// The column naming the unit a row counts for.
    pub unit: &'static str,
    /// The columns that, with the unit, name a row (a campaign, a year).
    pub keys: &'static [&'static str],
    /// The counters, in the order deltas and readings give them.
    pub counters: &'static [&'static str],
}

/// Families and lessons done in a first-lesson campaign, per unit.
pub const CAMPAIGN: Rollup = Rollup {
    table: "campaign_rollups",
    unit: "unit_id",
    keys: &["campaign_id"],
    counters: &["families_done", "lessons_done", "families_started"],
};

/// Classes that met the yearly minimum of the required course, per unit
/// above the class.
pub const DELIVERY: Rollup = Rollup {
    table: "delivery_rollups",
    unit: "unit_id",
    keys: &["school_year"],
    counters: &["classes_met", "classes_on_track"],
};

/// Questionnaire answers: responses and their sum, per unit and question.
pub const QUESTIONNAIRE: Rollup = Rollup {
    table: "questionnaire_tallies",
    unit: "unit_id",
    keys: &["course_id", "school_year", "phase", "question"],
    counters: &["responses", "total"],
};

/// Schools that have what the plan asks of each school, per unit and
/// measure (`domain::coverage::Measure::key`); a school's own row is its flag.
pub const COVERAGE: Rollup = Rollup {
    table: "coverage_rollups",
    unit: "unit_id",
    keys: &["measure"],
    counters: &["schools"],
};

/// People counted by each of the plan's training targets (`measure`:
/// `domain::training::Target::key`) and those who completed it, per unit.
pub const TRAINING: Rollup = Rollup {
    table: "training_rollups",
    unit: "unit_id",
    keys: &["measure"],
    counters: &["people", "done"],
};

/// The appeal board's counts per holder (a school, or a district for
/// appeals naming no school) and month.
pub const APPEAL_BOARD: Rollup = Rollup {
    table: "appeal_board_rollups",
    unit: "holder_id",
    keys: &["month"],
    counters: &[
        "total",
        "contact_due",
        "contact_on_time",
        "reply_due",
        "reply_on_time",
        "escalated",
        "rated",
        "pleased",
        "answered",
        "reopened",
    ],
};

/// The rollups whose rows hold a subtree's totals: moving a unit moves
/// its totals from its old ancestors to its new ones.
pub const UP_THE_TREE: &[&Rollup] = &[&CAMPAIGN, &DELIVERY, &QUESTIONNAIRE, &COVERAGE, &TRAINING];

/// A rollup as kept and as recounted from the rows: equal unless
/// something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub kept: HashMap<i64, Vec<i64>>,
    pub recounted: HashMap<i64, Vec<i64>>,
}

impl Check {
    /// Units whose kept figures differ from the recount.
    pub fn differences(&self) -> Vec<i64> {
        let mut out: Vec<i64> = self
            .kept
            .keys()
            .chain(self.recounted.keys())
            .filter(|u| nonzero(self.kept.get(u)) != nonzero(self.recounted.get(u)))
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A reading with its zero counters treated as no row.
fn nonzero(v: Option<&Vec<i64>>) -> Option<&Vec<i64>> {
    v.filter(|v| v.iter().any(|n| *n != 0))
}

fn bind<'q>(q: crate::rows::Q<'q>, v: V<'q>) -> crate::rows::Q<'q> {
    match v {
        V::I(n) => q.bind(n),
        V::N(n) => q.bind(n),
        V::S(s) => q.bind(s),
        V::T(s) => q.bind(s),
    }
}

impl Rollup {
    fn key_filter(&self, first: usize) -> String {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ${}", first + i))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    fn add_sql(&self) -> String {
        let t = self.table;
        let cols = [self.keys, &[self.unit], self.counters].concat();
        let params: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sums: Vec<String> = self
            .counters
            .iter()
            .map(|c| format!("{c} = {t}.{c} + excluded.{c}"))
            .collect();
        format!(
            "INSERT INTO {t} ({}) VALUES ({}) ON CONFLICT ({}, {}) DO UPDATE SET {}",
            cols.join(", "),
            params.join(", "),
            self.keys.join(", "),
            self.unit,
            sums.join(", ")
        )
    }

    /// Adds `delta` (one value per counter) to the row of each unit under
    /// `key`, in the caller's transaction; units in id order, so two
    /// writers never wait on each other in a circle.
    pub(crate) async fn add(
        &self,
        c: &mut Conn,
        key: &[V<'_>],
        unit_ids: &[i64],
        delta: &[i64],
    ) -> Result<()> {
        debug_assert_eq!(key.len(), self.keys.len(), "{}: key width", self.table);
        debug_assert_eq!(delta.len(), self.counters.len(), "{}: deltas", self.table);
        let mut units = unit_ids.to_vec();
        units.sort_unstable();
        let sql = self.add_sql();
        for unit in units {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for v in key {
                q = bind(q, *v);
            }
            q = q.bind(unit);
            for d in delta {
                q = q.bind(*d);
            }
            q.execute(&mut *c).await.db()?;
        }
        Ok(())
    }

    fn reading(&self, r: &sqlx::any::AnyRow) -> Result<(i64, Vec<i64>)> {
        let counts = self
            .counters
            .iter()
            .map(|c| col(r, c))
            .collect::<Result<Vec<i64>>>()?;
        Ok((col(r, self.unit)?, counts))
    }

    /// The counters of these units under `key` (units with no row left out).
    pub(crate) async fn read(
        &self,
        c: &mut Conn,
        key: &[V<'_>],
        unit_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<i64>>> {
        let mut out = HashMap::new();
        for chunk in unit_ids.chunks(500) {
            let sql = format!(
                "SELECT {}, {} FROM {} WHERE {} AND {} IN ({})",
                self.unit,
                self.counters.join(", "),
                self.table,
                self.key_filter(1),
                self.unit,
                crate::placeholders(key.len() + 1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in key {
                q = bind(q, *v);
            }
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *c).await.db()? {
                let (unit, counts) = self.reading(&r)?;
                out.insert(unit, counts);
            }
        }
        Ok(out)
    }

    /// Every row under `key` with a counter other than zero.
    pub(crate) async fn all(&self, c: &mut Conn, key: &[V<'_>]) -> Result<HashMap<i64, Vec<i64>>> {
        let any: Vec<String> = self.counters.iter().map(|c| format!("{c} <> 0")).collect();
        let sql = format!(
            "SELECT {}, {} FROM {} WHERE {} AND ({})",
            self.unit,
            self.counters.join(", "),
            self.table,
            self.key_filter(1),
            any.join(" OR ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in key {
            q = bind(q, *v);
        }
        q.fetch_all(&mut *c)
            .await
            .db()?
            .iter()
            .map(|r| self.reading(r))
            .collect()
    }

    /// Replaces every row under `key` by `counts` (a recount becomes the
    /// rollup, as when the plan's minimum changes).
    pub(crate) async fn replace(
        &self,
        c: &mut Conn,
        key: &[V<'_>],
        counts: &HashMap<i64, Vec<i64>>,
    ) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE {}", self.table, self.key_filter(1));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in key {
            q = bind(q, *v);
        }
        q.execute(&mut *c).await.db()?;
        let mut units: Vec<&i64> = counts.keys().collect();
        units.sort_unstable();
        for unit in units {
            self.add(c, key, &[*unit], &counts[unit]).await?;
        }
        Ok(())
    }

    /// Empties the table (before a recount is added back).
    pub(crate) async fn clear(&self, c: &mut Conn) -> Result<()> {
        let sql = format!("DELETE FROM {}", self.table);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *c)
            .await
            .db()?;
        Ok(())
    }

    /// Moves a unit's subtree totals (its own rows) from the ancestors it
    /// leaves to the ones it joins.
    pub(crate) async fn move_subtree(
        &self,
        c: &mut Conn,
        unit_id: i64,
        from: &[i64],
        to: &[i64],
    ) -> Result<()> {
        let (t, u) = (self.table, self.unit);
        let old: Vec<i64> = from.iter().filter(|a| !to.contains(a)).copied().collect();
        let new: Vec<i64> = to.iter().filter(|a| !from.contains(a)).copied().collect();
        let cols = [self.keys, self.counters].concat().join(", ");
        let minus: Vec<String> = self
            .counters
            .iter()
            .map(|v| format!("{v} = {t}.{v} - s.{v}"))
            .collect();
        let join: Vec<String> = self
            .keys
            .iter()
            .map(|k| format!("{t}.{k} = s.{k}"))
            .collect();
        let take = format!(
            "UPDATE {t} SET {} FROM (SELECT {cols} FROM {t} WHERE {u} = $1) s
             WHERE {t}.{u} = $2 AND {}",
            minus.join(", "),
            join.join(" AND ")
        );
        let plus: Vec<String> = self
            .counters
            .iter()
            .map(|v| format!("{v} = {t}.{v} + excluded.{v}"))
            .collect();
        let give = format!(
            "INSERT INTO {t} ({cols}, {u}) SELECT {cols}, $2 FROM {t} WHERE {u} = $1
             ON CONFLICT ({}, {u}) DO UPDATE SET {}",
            self.keys.join(", "),
            plus.join(", ")
        );
        for (sql, units) in [(take, old), (give, new)] {
            for a in units {
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(unit_id)
                    .bind(a)
                    .execute(&mut *c)
                    .await
                    .db()?;
            }
        }
        Ok(())
    }
}

/// The recount's last step: sums per unit path credited to every unit on
/// the path (the path's own unit too, or only those above it).
pub fn spread(
    sums: impl IntoIterator<Item = (String, Vec<i64>)>,
    own_unit_too: bool,
) -> HashMap<i64, Vec<i64>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for (path, counts) in sums {
        let ids = tongyu_domain::org::path_ids(&path);
        let upto = if own_unit_too {
            ids.len()
        } else {
            ids.len().saturating_sub(1)
        };
        for id in &ids[..upto] {
            let e = out.entry(*id).or_insert_with(|| vec![0; counts.len()]);
            for (t, n) in e.iter_mut().zip(&counts) {
                *t += n;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statements_name_every_column_once() {
        assert_eq!(
            DELIVERY.add_sql(),
            "INSERT INTO delivery_rollups (school_year, unit_id, classes_met, classes_on_track) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (school_year, unit_id) DO UPDATE SET \
             classes_met = delivery_rollups.classes_met + excluded.classes_met, \
             classes_on_track = delivery_rollups.classes_on_track + excluded.classes_on_track"
        );
        assert_eq!(
            QUESTIONNAIRE.key_filter(1),
            "course_id = $1 AND school_year = $2 AND phase = $3 AND question = $4"
        );
    }

    #[test]
    fn a_recount_credits_each_path_up_the_tree() {
        // A city 1 with a district 2 and a school 3 below it; a class 4.
        let sums = vec![("/1/2/3/4/".to_owned(), vec![2, 5])];
        let all = spread(sums.clone(), true);
        assert_eq!(all.get(&4), Some(&vec![2, 5]));
        assert_eq!(all.get(&1), Some(&vec![2, 5]));
        let above = spread(sums, false);
        assert_eq!(above.get(&4), None);
        assert_eq!(above.get(&3), Some(&vec![2, 5]));
    }

    #[test]
    fn a_check_names_the_units_that_differ_and_ignores_zero_rows() {
        let check = Check {
            kept: HashMap::from([(1, vec![3]), (2, vec![0]), (5, vec![1])]),
            recounted: HashMap::from([(1, vec![3]), (5, vec![2]), (6, vec![1])]),
        };
        assert_eq!(check.differences(), vec![5, 6]);
    }
}
