//! Versions of the plan's numbers: the newest is in force.

use tongyu_domain::Result;

use crate::{Conn, DbResult, col};

/// One version of the plan as kept.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PlanVersion {
    pub version: i64,
    /// The plan as JSON.
    pub body: String,
    pub note: String,
    pub created_by: i64,
    pub created_at: i64,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<PlanVersion> {
    Ok(PlanVersion {
        version: col(r, "version")?,
        body: col(r, "body")?,
        note: col(r, "note")?,
        created_by: col(r, "created_by")?,
        created_at: col(r, "created_at")?,
    })
}

/// The version in force, if any was ever saved.
pub async fn current(c: &mut Conn) -> Result<Option<PlanVersion>> {
    let row = sqlx::query(
        "SELECT version, body, note, created_by, created_at FROM plans
         ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(from_row).transpose()
}

/// The plan in force: the newest version saved, or the defaults.
pub async fn in_force(c: &mut Conn) -> Result<tongyu_domain::plan::Plan> {
    match current(c).await? {
        Some(v) => parse(&v),
        None => Ok(tongyu_domain::plan::Plan::default()),
    }
}

/// A saved version's plan.
pub fn parse(v: &PlanVersion) -> Result<tongyu_domain::plan::Plan> {
    serde_json::from_str(&v.body).map_err(|e| {
        tracing::error!(version = v.version, error = %e, "a saved plan does not read");
        tongyu_domain::Error::internal()
    })
}

/// Every version, newest first.
pub async fn history(c: &mut Conn, limit: i64) -> Result<Vec<PlanVersion>> {
    let rows = sqlx::query(
        "SELECT version, body, note, created_by, created_at FROM plans
         ORDER BY version DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(from_row).collect()
}

/// Saves a new version; returns its number.
pub async fn insert(c: &mut Conn, body: &str, note: &str, by: i64, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO plans (body, note, created_by, created_at) VALUES ($1, $2, $3, $4)
         RETURNING version",
    )
    .bind(body)
    .bind(note)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}
