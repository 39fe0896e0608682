//! Call-backs: closed appeals a district or the city draws at random and
//! checks with the parent by phone, and what the call found.

use tongyu_domain::Result;

use crate::{BindSubtree, Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Callback {
    pub id: i64,
    pub appeal_id: i64,
    pub unit_id: i64,
    pub sampled_at: i64,
    pub outcome: String,
    pub note: String,
    pub checked_by: i64,
    pub checked_at: i64,
}

/// Closed appeals held by units in a subtree (other than `checker`),
/// closed since `since`, not yet sampled; random order, at most `limit`.
pub async fn unsampled_closed(
    c: &mut Conn,
    path: &str,
    checker: i64,
    since: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT a.id FROM appeals a JOIN units u ON u.id = a.unit_id
         WHERE a.status = 'closed' AND a.closed_at >= $1 AND u.path >= $2 AND u.path < $3 AND a.unit_id <> $4
           AND NOT EXISTS (SELECT 1 FROM appeal_callbacks k WHERE k.appeal_id = a.id)
         ORDER BY RANDOM() LIMIT $5",
    )
    .bind(since)
    .bind_subtree(path)
    .bind(checker)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()
}

pub async fn insert_callback(c: &mut Conn, appeal_id: i64, unit_id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO appeal_callbacks (appeal_id, unit_id, sampled_at) VALUES ($1, $2, $3)
         ON CONFLICT (appeal_id) DO NOTHING",
    )
    .bind(appeal_id)
    .bind(unit_id)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

fn callback_from_row(r: &sqlx::any::AnyRow) -> Result<Callback> {
    Ok(Callback {
        id: col(r, "id")?,
        appeal_id: col(r, "appeal_id")?,
        unit_id: col(r, "unit_id")?,
        sampled_at: col(r, "sampled_at")?,
        outcome: col(r, "outcome")?,
        note: col(r, "note")?,
        checked_by: col(r, "checked_by")?,
        checked_at: col(r, "checked_at")?,
    })
}

/// A unit's call-backs, those still to make first.
pub async fn callbacks_of(c: &mut Conn, unit_id: i64, limit: i64) -> Result<Vec<Callback>> {
    let rows = sqlx::query(
        "SELECT id, appeal_id, unit_id, sampled_at, outcome, note, checked_by, checked_at
         FROM appeal_callbacks WHERE unit_id = $1 ORDER BY (CASE WHEN outcome = '' THEN 0 ELSE 1 END), id DESC LIMIT $2",
    )
    .bind(unit_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(callback_from_row).collect()
}

pub async fn callback(c: &mut Conn, id: i64) -> Result<Option<Callback>> {
    let r = sqlx::query(
        "SELECT id, appeal_id, unit_id, sampled_at, outcome, note, checked_by, checked_at
         FROM appeal_callbacks WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.as_ref().map(callback_from_row).transpose()
}

pub async fn record_callback(
    c: &mut Conn,
    id: i64,
    outcome: &str,
    note: &str,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE appeal_callbacks SET outcome = $1, note = $2, checked_by = $3, checked_at = $4 WHERE id = $5",
    )
    .bind(outcome)
    .bind(note)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}
