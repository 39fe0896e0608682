//! Import jobs: status and report, readable by any instance.

use tongyu_domain::Result;

use crate::{Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ImportJob {
    pub id: i64,
    pub kind: String,
    pub filename: String,
    pub created_by: i64,
    /// `running`, `failed` (the file had errors; nothing imported) or `done`.
    pub status: String,
    pub total: i64,
    pub done: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// JSON: the row errors, or a file-level error.
    pub report: String,
    pub created_at: i64,
    pub finished_at: i64,
}

const COLS: &str = "id, kind, filename, created_by, status, total, done, created, updated, unchanged, \
                    report, created_at, finished_at";

fn job_from_row(r: &sqlx::any::AnyRow) -> Result<ImportJob> {
    Ok(ImportJob {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        filename: col(r, "filename")?,
        created_by: col(r, "created_by")?,
        status: col(r, "status")?,
        total: col(r, "total")?,
        done: col(r, "done")?,
        created: col(r, "created")?,
        updated: col(r, "updated")?,
        unchanged: col(r, "unchanged")?,
        report: col(r, "report")?,
        created_at: col(r, "created_at")?,
        finished_at: col(r, "finished_at")?,
    })
}

pub async fn insert(
    c: &mut Conn,
    kind: &str,
    filename: &str,
    created_by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO import_jobs (kind, filename, created_by, status, created_at)
         VALUES ($1, $2, $3, 'running', $4) RETURNING id",
    )
    .bind(kind)
    .bind(filename)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn progress(c: &mut Conn, id: i64, done: i64, total: i64) -> Result<()> {
    sqlx::query("UPDATE import_jobs SET done = $1, total = $2 WHERE id = $3")
        .bind(done)
        .bind(total)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Records the outcome: counts of created, updated and unchanged rows.
pub async fn finish(
    c: &mut Conn,
    id: i64,
    status: &str,
    counts: [i64; 3],
    report: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE import_jobs SET status = $1, created = $2, updated = $3, unchanged = $4, report = $5,
                finished_at = $6, done = CASE WHEN $1 = 'done' THEN total ELSE done END WHERE id = $7",
    )
    .bind(status)
    .bind(counts[0])
    .bind(counts[1])
    .bind(counts[2])
    .bind(report)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<ImportJob>> {
    let sql = format!("SELECT {COLS} FROM import_jobs WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    row.as_ref().map(job_from_row).transpose()
}

/// An account's recent jobs, newest first.
pub async fn list_by(c: &mut Conn, created_by: i64, limit: i64) -> Result<Vec<ImportJob>> {
    let sql =
        format!("SELECT {COLS} FROM import_jobs WHERE created_by = $1 ORDER BY id DESC LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(created_by)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(job_from_row).collect()
}

/// Keeps an import's first passwords, sealed, for the importer to take once.
pub async fn put_credentials(
    c: &mut Conn,
    import_id: i64,
    owner_id: i64,
    sealed: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO import_credentials (import_id, owner_id, sealed, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (import_id) DO UPDATE SET sealed = excluded.sealed,
                                               created_at = excluded.created_at",
    )
    .bind(import_id)
    .bind(owner_id)
    .bind(sealed)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Takes an import's sealed first passwords if `owner_id` started it:
/// they are gone from the database once taken.
pub async fn take_credentials(
    c: &mut Conn,
    import_id: i64,
    owner_id: i64,
) -> Result<Option<String>> {
    sqlx::query_scalar(
        "DELETE FROM import_credentials WHERE import_id = $1 AND owner_id = $2 RETURNING sealed",
    )
    .bind(import_id)
    .bind(owner_id)
    .fetch_optional(&mut *c)
    .await
    .db()
}

/// Whether an import still holds first passwords to take.
pub async fn has_credentials(c: &mut Conn, import_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_credentials WHERE import_id = $1")
        .bind(import_id)
        .fetch_one(&mut *c)
        .await
        .db()?;
    Ok(n > 0)
}

/// First passwords nobody took by `before` are dropped.
pub async fn purge_credentials(c: &mut Conn, before: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM import_credentials WHERE created_at < $1")
            .bind(before)
            .execute(&mut *c)
            .await
            .db()?
            .rows_affected(),
    )
}

/// Sealed first passwords to reseal: (import, kept value), in pages by id.
pub async fn credentials_to_reseal(
    c: &mut Conn,
    prefix: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT import_id, sealed FROM import_credentials
         WHERE import_id > $1 AND sealed NOT LIKE $2 ORDER BY import_id LIMIT $3",
    )
    .bind(after)
    .bind(format!("{prefix}%"))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "import_id")?, col(r, "sealed")?)))
        .collect()
}

pub async fn reseal_credentials(c: &mut Conn, import_id: i64, sealed: &str) -> Result<()> {
    sqlx::query("UPDATE import_credentials SET sealed = $1 WHERE import_id = $2")
        .bind(sealed)
        .bind(import_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}
