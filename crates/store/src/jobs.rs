//! The job table: background work any instance may run, one at a time per
//! job, under a lease (`migrations/0022_jobs.sql`). PostgreSQL instances
//! claim with `FOR UPDATE SKIP LOCKED`, so two never wait on the same row;
//! SQLite has one writer, whose `BEGIN IMMEDIATE` already serialises claims.

use tongyu_domain::Result;

use crate::{Backend, Conn, DbResult, col};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// Seconds between runs of a periodic job; 0 for a one-off job.
    pub every_s: i64,
    /// The row the job works on (an import), 0 for none.
    pub ref_id: i64,
    /// JSON the job was given.
    pub payload: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub lease_owner: String,
    pub lease_until: i64,
    pub runs: i64,
    pub last_error: String,
    pub last_result: String,
    pub created_at: i64,
    pub started_at: i64,
    pub finished_at: i64,
}

const COLS: &str = "id, kind, every_s, ref_id, payload, status, run_at, attempts, max_attempts, \
                    lease_owner, lease_until, runs, last_error, last_result, created_at, \
                    started_at, finished_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Job> {
    Ok(Job {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        every_s: col(r, "every_s")?,
        ref_id: col(r, "ref_id")?,
        payload: col(r, "payload")?,
        status: col(r, "status")?,
        run_at: col(r, "run_at")?,
        attempts: col(r, "attempts")?,
        max_attempts: col(r, "max_attempts")?,
        lease_owner: col(r, "lease_owner")?,
        lease_until: col(r, "lease_until")?,
        runs: col(r, "runs")?,
        last_error: col(r, "last_error")?,
        last_result: col(r, "last_result")?,
        created_at: col(r, "created_at")?,
        started_at: col(r, "started_at")?,
        finished_at: col(r, "finished_at")?,
    })
}

/// A one-off job, due at `run_at`.
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub ref_id: i64,
    pub payload: &'a str,
    pub run_at: i64,
    pub max_attempts: i64,
}

pub async fn enqueue(c: &mut Conn, n: &NewJob<'_>, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, ref_id, payload, status, run_at, max_attempts, created_at)
         VALUES ($1, $2, $3, 'queued', $4, $5, $6) RETURNING id",
    )
    .bind(n.kind)
    .bind(n.ref_id)
    .bind(n.payload)
    .bind(n.run_at)
    .bind(n.max_attempts)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Makes sure the periodic job of `kind` exists and runs every `every_s`
/// seconds; a new one is first due at `first_at`. Several instances may
/// start at once: the unique index keeps one row per kind.
pub async fn schedule(
    c: &mut Conn,
    kind: &str,
    every_s: i64,
    first_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, every_s, status, run_at, max_attempts, created_at)
         VALUES ($1, $2, 'queued', $3, 3, $4)
         ON CONFLICT (kind) WHERE every_s > 0 DO UPDATE SET every_s = excluded.every_s",
    )
    .bind(kind)
    .bind(every_s)
    .bind(first_at)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Claims the job due soonest among `kinds`, queued and due, or running
/// under a lease that has run out: it is this `owner`'s until
/// `lease_until`, and its attempt is counted.
pub async fn claim(
    c: &mut Conn,
    backend: Backend,
    kinds: &[&str],
    owner: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<Job>> {
    if kinds.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 4)).collect();
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2,
                attempts = attempts + 1, started_at = $3
         WHERE id = (SELECT id FROM jobs
                     WHERE kind IN ({})
                       AND ((status = 'queued' AND run_at <= $3)
                            OR (status = 'running' AND lease_until < $3
                                AND (every_s > 0 OR attempts < max_attempts)))
                     ORDER BY run_at, id LIMIT 1{lock})
         RETURNING {COLS}",
        list.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(lease_until)
        .bind(now);
    for k in kinds {
        q = q.bind(*k);
    }
    let row = q.fetch_optional(&mut *c).await.db()?;
    row.as_ref().map(from_row).transpose()
}

/// Extends a running job's lease; false when the job is no longer this
/// owner's (its lease ran out and another instance took it).
pub async fn renew(c: &mut Conn, id: i64, owner: &str, lease_until: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE jobs SET lease_until = $1
         WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
    )
    .bind(lease_until)
    .bind(id)
    .bind(owner)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    Ok(n == 1)
}

/// How a run ended.
#[derive(Clone, Copy)]
pub enum Outcome<'a> {
    /// It did its work; `result` says what, in a line.
    Done { result: &'a str },
    /// It failed; it runs again at `retry_at` while attempts remain (a
    /// periodic job always does, its attempts counted afresh).
    Failed { error: &'a str, retry_at: i64 },
}

/// Records a run's end, if the job is still this owner's. A periodic job
/// is queued for its next run; a one-off job is done, queued again to
/// retry, or failed for good. Returns the job as it now stands.
pub async fn finish(
    c: &mut Conn,
    id: i64,
    owner: &str,
    outcome: Outcome<'_>,
    now: i64,
) -> Result<Option<Job>> {
    let sql = match outcome {
        Outcome::Done { .. } => {
            "UPDATE jobs SET
                status = CASE WHEN every_s > 0 THEN 'queued' ELSE 'done' END,
                run_at = CASE WHEN every_s > 0 THEN $1 + every_s ELSE run_at END,
                attempts = CASE WHEN every_s > 0 THEN 0 ELSE attempts END,
                lease_owner = '', lease_until = 0, runs = runs + 1,
                last_result = $2, last_error = '', finished_at = $1
             WHERE id = $3 AND lease_owner = $4 AND status = 'running'"
        }
        Outcome::Failed { .. } => {
            "UPDATE jobs SET
                status = CASE WHEN every_s > 0 OR attempts < max_attempts THEN 'queued'
                              ELSE 'failed' END,
                run_at = CASE WHEN every_s > 0 AND $5 > $1 + every_s THEN $1 + every_s
                              ELSE $5 END,
                attempts = CASE WHEN every_s > 0 AND attempts >= max_attempts THEN 0
                                ELSE attempts END,
                lease_owner = '', lease_until = 0, runs = runs + 1,
                last_error = $2, finished_at = $1
             WHERE id = $3 AND lease_owner = $4 AND status = 'running'"
        }
    };
    let mut q = match outcome {
        Outcome::Done { result } => sqlx::query(sql).bind(now).bind(result),
        Outcome::Failed { error, .. } => sqlx::query(sql).bind(now).bind(error),
    }
    .bind(id)
    .bind(owner);
    if let Outcome::Failed { retry_at, .. } = outcome {
        q = q.bind(retry_at);
    }
    let n = q.execute(&mut *c).await.db()?.rows_affected();
    if n == 0 {
        return Ok(None);
    }
    get(c, id).await
}

/// Gives up a one-off job whose lease ran out too often: claimed jobs past
/// their attempts are marked failed and returned, for their kinds to clean
/// up after them.
pub async fn abandon_exhausted(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<Job>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM jobs
         WHERE status = 'running' AND lease_until < $1 AND every_s = 0
           AND attempts >= max_attempts
         ORDER BY id LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let jobs: Vec<Job> = rows.iter().map(from_row).collect::<Result<_>>()?;
    for j in &jobs {
        sqlx::query(
            "UPDATE jobs SET status = 'failed', lease_owner = '', lease_until = 0,
                    last_error = $1, finished_at = $2
             WHERE id = $3 AND status = 'running'",
        )
        .bind("运行中断次数过多，已放弃")
        .bind(now)
        .bind(j.id)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(jobs)
}

/// Queues a failed one-off job again, with fresh attempts.
pub async fn retry(c: &mut Conn, id: i64, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, last_error = ''
         WHERE id = $2 AND status = 'failed'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    Ok(n == 1)
}

/// Makes a periodic job due now.
pub async fn run_now(c: &mut Conn, id: i64, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE jobs SET run_at = $1 WHERE id = $2 AND every_s > 0 AND status = 'queued'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    Ok(n == 1)
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Job>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM jobs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(from_row).transpose()
}

/// The jobs to show: periodic ones first, then the newest one-off jobs,
/// failed ones among them before the rest.
pub async fn list(c: &mut Conn, limit: i64) -> Result<Vec<Job>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM jobs
         ORDER BY CASE WHEN every_s > 0 THEN 0 WHEN status = 'failed' THEN 1
                       WHEN status IN ('queued', 'running') THEN 2 ELSE 3 END,
                  kind, id DESC
         LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(from_row).collect()
}

/// Finished one-off jobs older than `before` are forgotten.
pub async fn purge(c: &mut Conn, before: i64) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM jobs WHERE every_s = 0 AND status IN ('done', 'failed') AND finished_at < $1",
    )
    .bind(before)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected())
}

pub async fn put_file(c: &mut Conn, job_id: i64, bytes: &[u8]) -> Result<()> {
    sqlx::query("INSERT INTO job_files (job_id, bytes) VALUES ($1, $2)")
        .bind(job_id)
        .bind(bytes.to_vec())
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub async fn file(c: &mut Conn, job_id: i64) -> Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT bytes FROM job_files WHERE job_id = $1")
        .bind(job_id)
        .fetch_optional(&mut *c)
        .await
        .db()
}

pub async fn drop_file(c: &mut Conn, job_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM job_files WHERE job_id = $1")
        .bind(job_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}
