//! Work credited to a teacher beside the required-course hours: training
//! sessions they presented and lectures they gave through the expert pool,
//! each counted once it is over.

use tongyu_domain::Result;

use crate::{BindSubtree, Conn, DbResult, col};

/// One piece of work delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub account_id: i64,
    pub starts_at: i64,
    pub hours: i64,
    /// A lecture of the expert pool (else a training session presented).
    pub lecture: bool,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Delivered> {
    Ok(Delivered {
        account_id: col(r, "account_id")?,
        starts_at: col(r, "starts_at")?,
        hours: col(r, "hours")?,
        lecture: col::<i64>(r, "lecture")? != 0,
    })
}

/// What a person delivered, over by `now`.
pub async fn delivered_by(c: &mut Conn, account_id: i64, now: i64) -> Result<Vec<Delivered>> {
    let rows = sqlx::query(
        "SELECT presenter_id AS account_id, starts_at, hours, CAST(0 AS BIGINT) AS lecture
         FROM training_sessions WHERE presenter_id = $1 AND ends_at <= $2
         UNION ALL
         SELECT e.account_id, q.starts_at, (q.ends_at - q.starts_at + 3599) / 3600 AS hours,
                CAST(1 AS BIGINT) AS lecture
         FROM expert_requests q JOIN experts e ON e.id = q.expert_id
         WHERE e.account_id = $1 AND q.kind = 'lecture' AND q.status = 'accepted'
           AND q.ends_at <= $2",
    )
    .bind(account_id)
    .bind(now)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(from_row).collect()
}

/// What staff of a subtree delivered between `from` and `to` (starts),
/// over by `now`.
pub async fn delivered_in(
    c: &mut Conn,
    root_path: &str,
    from: i64,
    to: i64,
    now: i64,
) -> Result<Vec<Delivered>> {
    let rows = sqlx::query(
        "WITH staff AS (SELECT DISTINCT g.account_id FROM grants g JOIN units u ON u.id = g.unit_id
                        WHERE u.path >= $1 AND u.path < $2 AND g.role <> 'parent')
         SELECT s.presenter_id AS account_id, s.starts_at, s.hours, CAST(0 AS BIGINT) AS lecture
         FROM training_sessions s JOIN staff ON staff.account_id = s.presenter_id
         WHERE s.starts_at >= $3 AND s.starts_at < $4 AND s.ends_at <= $5
         UNION ALL
         SELECT e.account_id, q.starts_at, (q.ends_at - q.starts_at + 3599) / 3600 AS hours,
                CAST(1 AS BIGINT) AS lecture
         FROM expert_requests q JOIN experts e ON e.id = q.expert_id
         JOIN staff ON staff.account_id = e.account_id
         WHERE q.kind = 'lecture' AND q.status = 'accepted'
           AND q.starts_at >= $3 AND q.starts_at < $4 AND q.ends_at <= $5",
    )
    .bind_subtree(root_path)
    .bind(from)
    .bind(to)
    .bind(now)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(from_row).collect()
}
