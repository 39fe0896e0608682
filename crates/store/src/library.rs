//! A reader's favourites in the library (收藏).

use tongyu_domain::Result;

use crate::course::{Course, course_from_row};
use crate::{Conn, DbResult, col};

/// Keeps a course among a reader's favourites; false if it already was.
pub async fn add_favourite(
    c: &mut Conn,
    account_id: i64,
    course_id: i64,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO library_favourites (account_id, course_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (account_id, course_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(course_id)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

/// Lets a course go from a reader's favourites; false if it was not there.
pub async fn remove_favourite(c: &mut Conn, account_id: i64, course_id: i64) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM library_favourites WHERE account_id = $1 AND course_id = $2")
            .bind(account_id)
            .bind(course_id)
            .execute(&mut *c)
            .await
            .db()?
            .rows_affected()
            > 0,
    )
}

pub async fn is_favourite(c: &mut Conn, account_id: i64, course_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM library_favourites WHERE account_id = $1 AND course_id = $2",
    )
    .bind(account_id)
    .bind(course_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(n > 0)
}

/// A reader's favourite courses still published, the latest kept first,
/// each with its number of published lessons.
pub async fn favourites(c: &mut Conn, account_id: i64, limit: i64) -> Result<Vec<(Course, i64)>> {
    let rows = sqlx::query(
        "SELECT k.id, k.title, k.description, k.category, k.subject, k.grades, k.owner_unit_id,
                k.status, k.created_by,
                (SELECT COUNT(*) FROM lessons l WHERE l.course_id = k.id AND l.status = 'published')
                    AS lessons
         FROM library_favourites f JOIN courses k ON k.id = f.course_id
         WHERE f.account_id = $1 AND k.status = 'published'
         ORDER BY f.created_at DESC, k.id DESC LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((course_from_row(r)?, col(r, "lessons")?)))
        .collect()
}
