//! Queries of the org tree.

use tongyu_domain::org::{Counts, Stage, Unit, UnitKind};
use tongyu_domain::{Error, Result};

use crate::{BindSubtree, Conn, DbResult, col};

macro_rules! unit_cols {
    () => {
        "id, parent_id, kind, name, external_id, path, depth, stages, grade, school_year, \
         active, n_schools, n_classes, n_students, n_guardians"
    };
}

pub(crate) fn unit_from_row(row: &sqlx::any::AnyRow) -> Result<Unit> {
    let stages: String = col(row, "stages")?;
    Ok(Unit {
        id: col(row, "id")?,
        parent_id: col(row, "parent_id")?,
        kind: UnitKind::parse(&col::<String>(row, "kind")?)?,
        name: col(row, "name")?,
        external_id: col(row, "external_id")?,
        path: col(row, "path")?,
        depth: col(row, "depth")?,
        stages: if stages.is_empty() {
            Vec::new()
        } else {
            Stage::parse_list(&stages)?
        },
        grade: col(row, "grade")?,
        school_year: col(row, "school_year")?,
        active: col::<i64>(row, "active")? != 0,
        counts: Counts {
            schools: col(row, "n_schools")?,
            classes: col(row, "n_classes")?,
            students: col(row, "n_students")?,
            guardians: col(row, "n_guardians")?,
        },
    })
}

/// What a new unit is made of.
#[derive(Debug, Clone)]
pub struct NewUnit {
    pub kind: UnitKind,
    pub name: String,
    pub external_id: Option<String>,
    pub stages: Vec<Stage>,
    pub grade: String,
    pub school_year: i64,
}

/// Inserts a unit below `parent` (the city has none) and counts it in its
/// ancestors' rollups.
pub async fn insert(c: &mut Conn, parent: Option<&Unit>, new: &NewUnit, now: i64) -> Result<Unit> {
    let unit = insert_row(c, parent, new, now).await?;
    if let Some(p) = parent {
        let mut ids = p.ancestor_ids();
        ids.push(p.id);
        add_counts(c, &ids, unit.counts).await?;
    }
    Ok(unit)
}

/// Inserts a unit without adding it to its ancestors' counters: for bulk
/// loads, which call [`recount`] once at the end (ADR 0004).
pub async fn insert_row(
    c: &mut Conn,
    parent: Option<&Unit>,
    new: &NewUnit,
    now: i64,
) -> Result<Unit> {
    let depth = parent.map_or(0, |p| p.depth + 1);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO units (parent_id, kind, name, external_id, depth, stages, grade, school_year,
                            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(parent.map(|p| p.id))
    .bind(new.kind.as_str())
    .bind(&new.name)
    .bind(&new.external_id)
    .bind(depth)
    .bind(Stage::join(&new.stages))
    .bind(&new.grade)
    .bind(new.school_year)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()?;
    let path = format!("{}{id}/", parent.map_or("/", |p| p.path.as_str()));
    let own = Counts {
        schools: i64::from(new.kind == UnitKind::School),
        classes: i64::from(new.kind == UnitKind::Class),
        ..Counts::default()
    };
    sqlx::query("UPDATE units SET path = $1, n_schools = $2, n_classes = $3 WHERE id = $4")
        .bind(&path)
        .bind(own.schools)
        .bind(own.classes)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    get(c, id).await?.ok_or_else(Error::internal)
}

/// Adds `delta` to the rollup counters of the units `ids`.
pub async fn add_counts(c: &mut Conn, ids: &[i64], delta: Counts) -> Result<()> {
    if ids.is_empty() || delta.is_zero() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE units SET n_schools = n_schools + $1, n_classes = n_classes + $2,
                n_students = n_students + $3, n_guardians = n_guardians + $4
         WHERE id IN ({})",
        crate::placeholders(5, ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(delta.schools)
        .bind(delta.classes)
        .bind(delta.students)
        .bind(delta.guardians);
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(&mut *c).await.db()?;
    Ok(())
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Unit>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        unit_cols!(),
        " FROM units WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(unit_from_row).transpose()
}

pub async fn get_by_external_id(c: &mut Conn, external_id: &str) -> Result<Option<Unit>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        unit_cols!(),
        " FROM units WHERE external_id = $1"
    ))
    .bind(external_id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(unit_from_row).transpose()
}

/// The root of the tree.
pub async fn city(c: &mut Conn) -> Result<Option<Unit>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        unit_cols!(),
        " FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1"
    ))
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(unit_from_row).transpose()
}

/// The children of a unit in the order a reader expects
/// ([`tongyu_domain::org::sort_siblings`]); inactive ones only when asked.
pub async fn children(c: &mut Conn, parent_id: i64, include_inactive: bool) -> Result<Vec<Unit>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        unit_cols!(),
        " FROM units WHERE parent_id = $1 AND active >= $2"
    ))
    .bind(parent_id)
    .bind(if include_inactive { 0_i64 } else { 1_i64 })
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut units = rows.iter().map(unit_from_row).collect::<Result<Vec<_>>>()?;
    tongyu_domain::org::sort_siblings(&mut units);
    Ok(units)
}

/// Units by id, in the order asked (missing ids are left out).
pub async fn get_many(c: &mut Conn, ids: &[i64]) -> Result<Vec<Unit>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!("SELECT ", unit_cols!(), " FROM units WHERE id IN ({})"),
        crate::placeholders(1, ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *c).await.db()?;
    let mut units = rows.iter().map(unit_from_row).collect::<Result<Vec<_>>>()?;
    units.sort_by_key(|u| ids.iter().position(|i| *i == u.id));
    Ok(units)
}

/// Active units of a kind whose names contain `q`, inside the subtrees `roots`.
pub async fn search(
    c: &mut Conn,
    roots: &[String],
    kind: Option<UnitKind>,
    q: &str,
    limit: i64,
) -> Result<Vec<Unit>> {
    let mut out = Vec::new();
    for root in roots {
        let rows = sqlx::query(concat!(
            "SELECT ",
            unit_cols!(),
            " FROM units WHERE path >= $1 AND path < $2 AND active = 1
               AND ($3 = '' OR kind = $3) AND name LIKE $4 ESCAPE '\\' ORDER BY depth, name LIMIT $5"
        ))
        .bind_subtree(root)
        .bind(kind.map_or("", |k| k.as_str()))
        .bind(crate::like_contains(q))
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
        for r in &rows {
            out.push(unit_from_row(r)?);
        }
    }
    out.truncate(limit as usize);
    Ok(out)
}

pub async fn update(c: &mut Conn, id: i64, name: &str, stages: &[Stage], now: i64) -> Result<()> {
    sqlx::query("UPDATE units SET name = $1, stages = $2, updated_at = $3 WHERE id = $4")
        .bind(name)
        .bind(Stage::join(stages))
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Moves `unit` and its subtree below `new_parent`, rewriting paths and
/// moving its counts from the old ancestors to the new.
pub async fn move_to(c: &mut Conn, unit: &Unit, new_parent: &Unit, now: i64) -> Result<()> {
    let new_path = format!("{}{}/", new_parent.path, unit.id);
    let old_len = unit.path.chars().count() as i64;
    sqlx::query(
        "UPDATE units SET path = CAST($1 AS TEXT) || substr(path, CAST($2 AS INTEGER)), updated_at = $3
         WHERE path >= $4 AND path < $5",
    )
    .bind(&new_path)
    .bind(old_len + 1)
    .bind(now)
    .bind_subtree(&unit.path)
    .execute(&mut *c)
    .await
    .db()?;
    sqlx::query("UPDATE units SET parent_id = $1 WHERE id = $2")
        .bind(new_parent.id)
        .bind(unit.id)
        .execute(&mut *c)
        .await
        .db()?;
    let mut new_ancestors = new_parent.ancestor_ids();
    new_ancestors.push(new_parent.id);
    if unit.active {
        add_counts(c, &unit.ancestor_ids(), unit.counts.negate()).await?;
        add_counts(c, &new_ancestors, unit.counts).await?;
    }
    move_rollups(c, unit.id, &unit.ancestor_ids(), &new_ancestors).await
}

/// Moves a unit's subtree totals in every rollup kept up the tree from
/// its old ancestors to its new ones.
async fn move_rollups(c: &mut Conn, unit_id: i64, from: &[i64], to: &[i64]) -> Result<()> {
    for rollup in crate::rollup::UP_THE_TREE {
        rollup.move_subtree(c, unit_id, from, to).await?;
    }
    Ok(())
}

/// Deactivates or reactivates a unit; its counts leave or rejoin its ancestors'.
pub async fn set_active(c: &mut Conn, unit: &Unit, active: bool, now: i64) -> Result<()> {
    if unit.active == active {
        return Ok(());
    }
    sqlx::query("UPDATE units SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(active))
        .bind(now)
        .bind(unit.id)
        .execute(&mut *c)
        .await
        .db()?;
    let delta = if active {
        unit.counts
    } else {
        unit.counts.negate()
    };
    add_counts(c, &unit.ancestor_ids(), delta).await
}

/// Recomputes every rollup counter from the rows themselves, bottom up,
/// with one grouped pass per level (`UPDATE ... FROM`, which both SQLite and
/// PostgreSQL run). Bulk loads use it instead of counting row by row; tests
/// compare it with the counters kept as rows land.
pub async fn recount(c: &mut Conn) -> Result<()> {
    let steps = [
        "UPDATE units SET n_schools = CASE WHEN kind = 'school' THEN 1 ELSE 0 END,
                          n_classes = CASE WHEN kind = 'class' THEN 1 ELSE 0 END,
                          n_students = 0, n_guardians = 0",
        "UPDATE units SET n_students = g.n
         FROM (SELECT class_id, COUNT(*) AS n FROM students WHERE active = 1 GROUP BY class_id) AS g
         WHERE units.id = g.class_id",
        "UPDATE units SET n_guardians = g.n
         FROM (SELECT s.class_id, COUNT(*) AS n FROM guardians l JOIN students s ON s.id = l.student_id
               WHERE l.status = 'confirmed' GROUP BY s.class_id) AS g
         WHERE units.id = g.class_id",
    ];
    for sql in steps {
        sqlx::query(sql).execute(&mut *c).await.db()?;
    }
    let max_depth: Option<i64> = sqlx::query_scalar("SELECT MAX(depth) FROM units")
        .fetch_one(&mut *c)
        .await
        .db()?;
    for depth in (0..max_depth.unwrap_or(0)).rev() {
        sqlx::query(
            "UPDATE units SET n_schools = units.n_schools + k.s, n_classes = units.n_classes + k.c,
                              n_students = units.n_students + k.st, n_guardians = units.n_guardians + k.g
             FROM (SELECT parent_id, SUM(n_schools) AS s, SUM(n_classes) AS c,
                          SUM(n_students) AS st, SUM(n_guardians) AS g
                   FROM units WHERE depth = $1 AND active = 1 GROUP BY parent_id) AS k
             WHERE units.id = k.parent_id",
        )
        .bind(depth + 1)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(())
}

/// Every unit's kept counts (schools, classes, students, parents).
async fn all_counts(c: &mut Conn) -> Result<std::collections::HashMap<i64, Vec<i64>>> {
    let rows = sqlx::query("SELECT id, n_schools, n_classes, n_students, n_guardians FROM units")
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "id")?,
                vec![
                    col(r, "n_schools")?,
                    col(r, "n_classes")?,
                    col(r, "n_students")?,
                    col(r, "n_guardians")?,
                ],
            ))
        })
        .collect()
}

/// The org counts as kept and as recounted from the rows. The recount
/// writes the counters, so run it in a transaction that is rolled back.
pub async fn check_counts(tx: &mut Conn) -> Result<crate::rollup::Check> {
    let kept = all_counts(tx).await?;
    recount(tx).await?;
    Ok(crate::rollup::Check {
        kept,
        recounted: all_counts(tx).await?,
    })
}

/// Units by external id.
pub async fn by_external_ids(c: &mut Conn, ids: &[String]) -> Result<Vec<Unit>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            concat!(
                "SELECT ",
                unit_cols!(),
                " FROM units WHERE external_id IN ({})"
            ),
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.clone());
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.push(unit_from_row(&r)?);
        }
    }
    Ok(out)
}

/// Units in path order (a parent before its children), a page at a time.
pub async fn page_by_path(c: &mut Conn, after_path: &str, limit: i64) -> Result<Vec<Unit>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        unit_cols!(),
        " FROM units WHERE path > $1 ORDER BY path LIMIT $2"
    ))
    .bind(after_path)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(unit_from_row).collect()
}

/// Active schools of a subtree whose coverage flag for `measure` is not
/// set, in the tree's order, at most `limit`.
pub async fn schools_lacking(
    c: &mut Conn,
    root_path: &str,
    measure: &str,
    limit: i64,
) -> Result<Vec<Unit>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        unit_cols!(),
        " FROM units WHERE kind = 'school' AND active = 1 AND path >= $1 AND path < $2
          AND NOT EXISTS (SELECT 1 FROM coverage_rollups r
                          WHERE r.unit_id = units.id AND r.measure = $3 AND r.schools > 0)
          ORDER BY path LIMIT $4"
    ))
    .bind_subtree(root_path)
    .bind(measure.to_owned())
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(unit_from_row).collect()
}
