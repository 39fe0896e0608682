//! The expert pool: profiles, declared conflicts and requests.

use tongyu_domain::Result;
use tongyu_domain::expert_pool::{Pool, RequestKind, RequestStatus};

use crate::{BindSubtree, Conn, DbResult, col};

/// An expert as the pool lists them.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Expert {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub pool: Pool,
    /// 职称与单位.
    pub title: String,
    pub specialties: Vec<String>,
    pub region: String,
    pub availability: String,
    pub active: bool,
    /// Lectures and panels accepted and ended.
    pub given: i64,
    /// The mean of their ratings ×100 (0 without any).
    pub rating_x100: i64,
    pub ratings: i64,
}

const EXPERT_SELECT: &str = "SELECT e.id, e.account_id, a.display_name, e.pool, e.title,
        e.specialties, e.region, e.availability, e.active,
        (SELECT COUNT(*) FROM expert_requests r WHERE r.expert_id = e.id
           AND r.status = 'accepted' AND r.ends_at < $1) AS given,
        (SELECT COUNT(*) FROM expert_requests r WHERE r.expert_id = e.id AND r.score > 0) AS ratings,
        (SELECT CAST(COALESCE(SUM(r.score), 0) AS BIGINT) FROM expert_requests r
          WHERE r.expert_id = e.id AND r.score > 0) AS score_sum
     FROM experts e JOIN accounts a ON a.id = e.account_id";

fn expert_from_row(r: &sqlx::any::AnyRow) -> Result<Expert> {
    let ratings: i64 = col(r, "ratings")?;
    let sum: i64 = col(r, "score_sum")?;
    Ok(Expert {
        id: col(r, "id")?,
        account_id: col(r, "account_id")?,
        name: col(r, "display_name")?,
        pool: Pool::parse(&col::<String>(r, "pool")?)?,
        title: col(r, "title")?,
        specialties: col::<String>(r, "specialties")?
            .split('、')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        region: col(r, "region")?,
        availability: col(r, "availability")?,
        active: col::<i64>(r, "active")? != 0,
        given: col(r, "given")?,
        rating_x100: if ratings > 0 { sum * 100 / ratings } else { 0 },
        ratings,
    })
}

/// The pool, filtered by pool and by a word in the name, title, specialties
/// or region; by name. At most `limit`.
pub async fn list(
    c: &mut Conn,
    pool: Option<Pool>,
    q: &str,
    now: i64,
    limit: i64,
) -> Result<Vec<Expert>> {
    let sql = format!(
        "{EXPERT_SELECT} WHERE e.active = 1 AND ($2 = '' OR e.pool = $2)
           AND ($3 = '' OR a.display_name LIKE $4 ESCAPE '\\' OR e.title LIKE $4 ESCAPE '\\'
                OR e.specialties LIKE $4 ESCAPE '\\' OR e.region LIKE $4 ESCAPE '\\')
         ORDER BY e.id LIMIT $5"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(pool.map_or("", Pool::as_str))
        .bind(q)
        .bind(crate::like_contains(q))
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
    let mut out = rows
        .iter()
        .map(expert_from_row)
        .collect::<Result<Vec<Expert>>>()?;
    tongyu_domain::collate::sort_by_name(&mut out, |e| &e.name);
    Ok(out)
}

pub async fn get(c: &mut Conn, id: i64, now: i64) -> Result<Option<Expert>> {
    let sql = format!("{EXPERT_SELECT} WHERE e.id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(expert_from_row)
        .transpose()
}

pub async fn by_account(c: &mut Conn, account_id: i64, now: i64) -> Result<Option<Expert>> {
    let sql = format!("{EXPERT_SELECT} WHERE e.account_id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(account_id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(expert_from_row)
        .transpose()
}

/// A profile as kept.
pub struct Profile<'a> {
    pub pool: Pool,
    pub title: &'a str,
    pub specialties: &'a [String],
    pub region: &'a str,
    pub availability: &'a str,
}

pub async fn insert(
    c: &mut Conn,
    account_id: i64,
    p: &Profile<'_>,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO experts
           (account_id, pool, title, specialties, region, availability, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(account_id)
    .bind(p.pool.as_str())
    .bind(p.title)
    .bind(p.specialties.join("、"))
    .bind(p.region)
    .bind(p.availability)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn update(c: &mut Conn, id: i64, p: &Profile<'_>) -> Result<()> {
    sqlx::query(
        "UPDATE experts SET pool = $2, title = $3, specialties = $4, region = $5, availability = $6
         WHERE id = $1",
    )
    .bind(id)
    .bind(p.pool.as_str())
    .bind(p.title)
    .bind(p.specialties.join("、"))
    .bind(p.region)
    .bind(p.availability)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// A declared conflict of interest.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Conflict {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub reason: String,
    pub declared_at: i64,
}

pub async fn conflicts(c: &mut Conn, expert_id: i64) -> Result<Vec<Conflict>> {
    let rows = sqlx::query(
        "SELECT x.id, x.unit_id, u.name, x.reason, x.declared_at
         FROM expert_conflicts x JOIN units u ON u.id = x.unit_id
         WHERE x.expert_id = $1 ORDER BY x.id",
    )
    .bind(expert_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Conflict {
                id: col(r, "id")?,
                unit_id: col(r, "unit_id")?,
                unit_name: col(r, "name")?,
                reason: col(r, "reason")?,
                declared_at: col(r, "declared_at")?,
            })
        })
        .collect()
}

pub async fn insert_conflict(
    c: &mut Conn,
    expert_id: i64,
    unit_id: i64,
    reason: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO expert_conflicts (expert_id, unit_id, reason, declared_at)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(expert_id)
    .bind(unit_id)
    .bind(reason)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Whether the expert declared a conflict with a unit on this unit's path
/// (the unit itself, one above it, or one below it).
pub async fn conflicts_with(c: &mut Conn, expert_id: i64, unit_path: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM expert_conflicts x JOIN units u ON u.id = x.unit_id
         WHERE x.expert_id = $1
           AND ((u.path >= $2 AND u.path < $3) OR $4 LIKE u.path || '%')",
    )
    .bind(expert_id)
    .bind_subtree(unit_path)
    .bind(unit_path)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(n > 0)
}

/// A request for an expert.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Request {
    pub id: i64,
    pub expert_id: i64,
    pub expert_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: RequestKind,
    pub topic: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub place: String,
    pub status: RequestStatus,
    pub answer_note: String,
    pub score: i64,
    pub comment: String,
}

const REQUEST_SELECT: &str =
    "SELECT r.id, r.expert_id, a.display_name, r.unit_id, u.name AS unit_name,
        r.kind, r.topic, r.starts_at, r.ends_at, r.place, r.status, r.answer_note, r.score,
        r.comment
     FROM expert_requests r JOIN experts e ON e.id = r.expert_id
     JOIN accounts a ON a.id = e.account_id JOIN units u ON u.id = r.unit_id";

fn request_from_row(r: &sqlx::any::AnyRow) -> Result<Request> {
    Ok(Request {
        id: col(r, "id")?,
        expert_id: col(r, "expert_id")?,
        expert_name: col(r, "display_name")?,
        unit_id: col(r, "unit_id")?,
        unit_name: col(r, "unit_name")?,
        kind: RequestKind::parse(&col::<String>(r, "kind")?)?,
        topic: col(r, "topic")?,
        starts_at: col(r, "starts_at")?,
        ends_at: col(r, "ends_at")?,
        place: col(r, "place")?,
        status: RequestStatus::parse(&col::<String>(r, "status")?)?,
        answer_note: col(r, "answer_note")?,
        score: col(r, "score")?,
        comment: col(r, "comment")?,
    })
}

pub async fn request(c: &mut Conn, id: i64) -> Result<Option<Request>> {
    let sql = format!("{REQUEST_SELECT} WHERE r.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(request_from_row)
        .transpose()
}

/// An expert's requests, the latest start first, at most `limit`.
pub async fn requests_of_expert(c: &mut Conn, expert_id: i64, limit: i64) -> Result<Vec<Request>> {
    let sql = format!(
        "{REQUEST_SELECT} WHERE r.expert_id = $1 ORDER BY r.starts_at DESC, r.id DESC LIMIT $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(expert_id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(request_from_row)
        .collect()
}

/// Requests made by units in a subtree, the latest first, at most `limit`.
pub async fn requests_within(c: &mut Conn, root_path: &str, limit: i64) -> Result<Vec<Request>> {
    let sql = format!(
        "{REQUEST_SELECT} WHERE u.path >= $1 AND u.path < $2 ORDER BY r.created_at DESC, r.id DESC LIMIT $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind_subtree(root_path)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(request_from_row)
        .collect()
}

/// The expert's accepted requests overlapping a span (other than `except`).
pub async fn booked(
    c: &mut Conn,
    expert_id: i64,
    starts_at: i64,
    ends_at: i64,
    except: i64,
) -> Result<Vec<Request>> {
    let sql = format!(
        "{REQUEST_SELECT} WHERE r.expert_id = $1 AND r.status = 'accepted' AND r.id <> $4
           AND r.starts_at < $3 AND $2 < r.ends_at ORDER BY r.starts_at"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(expert_id)
        .bind(starts_at)
        .bind(ends_at)
        .bind(except)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(request_from_row)
        .collect()
}

pub struct NewRequest<'a> {
    pub expert_id: i64,
    pub unit_id: i64,
    pub kind: RequestKind,
    pub topic: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub place: &'a str,
}

pub async fn insert_request(c: &mut Conn, r: &NewRequest<'_>, by: i64, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO expert_requests
           (expert_id, unit_id, kind, topic, starts_at, ends_at, place, requested_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(r.expert_id)
    .bind(r.unit_id)
    .bind(r.kind.as_str())
    .bind(r.topic)
    .bind(r.starts_at)
    .bind(r.ends_at)
    .bind(r.place)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Moves a request from `from` to `to`; false if it was no longer `from`.
pub async fn set_status(
    c: &mut Conn,
    id: i64,
    from: RequestStatus,
    to: RequestStatus,
    note: &str,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE expert_requests SET status = $3, answer_note = $4, answered_at = $5
         WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(note)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

pub async fn rate(c: &mut Conn, id: i64, score: i64, comment: &str) -> Result<()> {
    sqlx::query("UPDATE expert_requests SET score = $2, comment = $3 WHERE id = $1")
        .bind(id)
        .bind(score)
        .bind(comment)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Requests waiting for this expert's answer.
pub async fn waiting_for(c: &mut Conn, expert_id: i64) -> Result<Vec<Request>> {
    let sql = format!(
        "{REQUEST_SELECT} WHERE r.expert_id = $1 AND r.status = 'requested' ORDER BY r.starts_at"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(expert_id)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(request_from_row)
        .collect()
}
