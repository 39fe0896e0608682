//! Each school's named family-education instructor per grade.

use tongyu_domain::Result;

use crate::{Conn, DbResult, col};

/// A school's instructor for one grade.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct GradeInstructor {
    /// The grade's code (P1, J2...).
    pub grade: String,
    pub account_id: i64,
    pub name: String,
    /// The highest level of a valid certificate they hold, or 0.
    pub level_rank: i64,
    pub level_name: String,
}

/// A school's instructors per grade, with the level of their best valid certificate.
pub async fn grade_instructors(
    c: &mut Conn,
    school_id: i64,
    now: i64,
) -> Result<Vec<GradeInstructor>> {
    let rows = sqlx::query(
        "SELECT g.grade, g.account_id, a.display_name,
            COALESCE((SELECT MAX(c.level_rank) FROM certificates c WHERE c.account_id = g.account_id
                      AND c.revoked_at = 0 AND c.valid_until >= $2), 0) AS best
         FROM grade_instructors g JOIN accounts a ON a.id = g.account_id
         WHERE g.school_id = $1 ORDER BY g.grade",
    )
    .bind(school_id)
    .bind(now)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(GradeInstructor {
                grade: col(r, "grade")?,
                account_id: col(r, "account_id")?,
                name: col(r, "display_name")?,
                level_rank: col(r, "best")?,
                level_name: String::new(),
            })
        })
        .collect()
}

/// Names (or replaces) a school's instructor for a grade.
pub async fn assign(
    c: &mut Conn,
    school_id: i64,
    grade: &str,
    account_id: i64,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO grade_instructors (school_id, grade, account_id, assigned_by, assigned_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (school_id, grade) DO UPDATE SET account_id = excluded.account_id,
            assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at",
    )
    .bind(school_id)
    .bind(grade.to_owned())
    .bind(account_id)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Removes a grade's instructor; false when none was named.
pub async fn unassign(c: &mut Conn, school_id: i64, grade: &str) -> Result<bool> {
    let n = sqlx::query("DELETE FROM grade_instructors WHERE school_id = $1 AND grade = $2")
        .bind(school_id)
        .bind(grade.to_owned())
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected();
    Ok(n == 1)
}

/// Every school's named grades: (school id, school path, school stages, grades).
pub async fn all_assigned(c: &mut Conn) -> Result<Vec<(i64, String, String, String)>> {
    let rows = sqlx::query(
        "SELECT u.id, u.path, u.stages, g.grade FROM grade_instructors g
         JOIN units u ON u.id = g.school_id ORDER BY u.id",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "id")?,
                col(r, "path")?,
                col(r, "stages")?,
                col(r, "grade")?,
            ))
        })
        .collect()
}

/// The named grades of these schools: (school id, grade).
pub async fn assigned_in(c: &mut Conn, school_ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if school_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT school_id, grade FROM grade_instructors WHERE school_id IN ({})",
        crate::placeholders(1, school_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in school_ids {
        q = q.bind(*id);
    }
    q.fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(|r| Ok((col(r, "school_id")?, col(r, "grade")?)))
        .collect()
}
