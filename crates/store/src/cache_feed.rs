//! The change feed behind the instances' caches: a change that others may
//! hold cached is written here, and each instance reads what is new.

use sqlx::Row;

use tongyu_domain::Result;

use crate::{Conn, DbResult};

/// One change: what kind of cached thing, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub at: i64,
}

pub async fn record(c: &mut Conn, kind: &str, key: &str, at: i64) -> Result<()> {
    sqlx::query("INSERT INTO cache_feed (kind, cache_key, at) VALUES ($1, $2, $3)")
        .bind(kind)
        .bind(key)
        .bind(at)
        .execute(&mut *c)
        .await
        .db()
        .map(|_| ())
}

/// Changes made at or after `at`, oldest first, at most `limit`.
pub async fn since(c: &mut Conn, at: i64, limit: i64) -> Result<Vec<Change>> {
    let rows = sqlx::query(
        "SELECT id, kind, cache_key, at FROM cache_feed WHERE at >= $1 ORDER BY at, id LIMIT $2",
    )
    .bind(at)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Change {
                id: r.try_get("id").db()?,
                kind: r.try_get("kind").db()?,
                key: r.try_get("cache_key").db()?,
                at: r.try_get("at").db()?,
            })
        })
        .collect()
}

/// Drops changes made before `at`.
pub async fn prune(c: &mut Conn, at: i64) -> Result<u64> {
    sqlx::query("DELETE FROM cache_feed WHERE at < $1")
        .bind(at)
        .execute(&mut *c)
        .await
        .db()
        .map(|r| r.rows_affected())
}
