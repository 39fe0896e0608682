//! Queries of contributions and their reviews.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::contribution::{Decision, Kind, Level, Status};
use tongyu_domain::course::Subject;
use tongyu_domain::org::Stage;

use crate::{BindSubtree, Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Contribution {
    pub id: i64,
    pub kind: Kind,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub media_url: String,
    pub duration_s: i64,
    pub stage: Stage,
    pub subject: Subject,
    pub author_id: i64,
    pub unit_id: i64,
    pub status: Status,
    pub course_id: i64,
    pub published_at: i64,
    pub created_at: i64,
}

const COLS: &str = "c.id, c.kind, c.title, c.summary, c.body, c.media_url, c.duration_s, c.stage,
    c.subject, c.author_id, c.unit_id, c.status, c.course_id, c.published_at, c.created_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Contribution> {
    Ok(Contribution {
        id: col(r, "id")?,
        kind: Kind::parse(&col::<String>(r, "kind")?)?,
        title: col(r, "title")?,
        summary: col(r, "summary")?,
        body: col(r, "body")?,
        media_url: col(r, "media_url")?,
        duration_s: col(r, "duration_s")?,
        stage: Stage::parse(&col::<String>(r, "stage")?)?,
        subject: Subject::parse(&col::<String>(r, "subject")?)?,
        author_id: col(r, "author_id")?,
        unit_id: col(r, "unit_id")?,
        status: Status::parse(&col::<String>(r, "status")?)?,
        course_id: col(r, "course_id")?,
        published_at: col(r, "published_at")?,
        created_at: col(r, "created_at")?,
    })
}

/// What an author writes.
pub struct Draft<'a> {
    pub kind: Kind,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub media_url: &'a str,
    pub duration_s: i64,
    pub stage: Stage,
    pub subject: Subject,
}

pub async fn insert(
    c: &mut Conn,
    d: &Draft<'_>,
    author_id: i64,
    unit_id: i64,
    status: Status,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO contributions (kind, title, summary, body, media_url, duration_s, stage, subject,
             author_id, unit_id, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(d.kind.as_str())
    .bind(d.title)
    .bind(d.summary)
    .bind(d.body)
    .bind(d.media_url)
    .bind(d.duration_s)
    .bind(d.stage.as_str())
    .bind(d.subject.as_str())
    .bind(author_id)
    .bind(unit_id)
    .bind(status.as_str())
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Replaces a returned contribution's content and sends it back to review.
pub async fn update(c: &mut Conn, id: i64, d: &Draft<'_>, status: Status, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE contributions SET title = $1, summary = $2, body = $3, media_url = $4, duration_s = $5,
             stage = $6, subject = $7, status = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(d.title)
    .bind(d.summary)
    .bind(d.body)
    .bind(d.media_url)
    .bind(d.duration_s)
    .bind(d.stage.as_str())
    .bind(d.subject.as_str())
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Contribution>> {
    let sql = format!("SELECT {COLS} FROM contributions c WHERE c.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    r.as_ref().map(from_row).transpose()
}

pub async fn set_status(
    c: &mut Conn,
    id: i64,
    status: Status,
    course_id: i64,
    published_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE contributions SET status = $1, course_id = $2, published_at = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(course_id)
    .bind(published_at)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// An author's contributions, newest first.
pub async fn by_author(c: &mut Conn, author_id: i64, limit: i64) -> Result<Vec<Contribution>> {
    let sql = format!(
        "SELECT {COLS} FROM contributions c WHERE c.author_id = $1 ORDER BY c.id DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(author_id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(from_row).collect()
}

/// Contributions waiting at `level` from units within `root_path`, oldest first.
pub async fn queue(
    c: &mut Conn,
    level: Level,
    root_path: &str,
    limit: i64,
) -> Result<Vec<Contribution>> {
    let sql = format!(
        "SELECT {COLS} FROM contributions c JOIN units u ON u.id = c.unit_id
         WHERE c.status = $1 AND u.path >= $2 AND u.path < $3 ORDER BY c.id LIMIT $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(Status::InReview(level).as_str())
        .bind_subtree(root_path)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(from_row).collect()
}

pub struct NewReview<'a> {
    pub contribution_id: i64,
    pub level: Level,
    pub reviewer_id: i64,
    pub decision: Decision,
    pub score: i64,
    pub comment: &'a str,
}

pub async fn insert_review(c: &mut Conn, r: &NewReview<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO contribution_reviews (contribution_id, level, reviewer_id, decision, score, comment, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.contribution_id)
    .bind(r.level.as_str())
    .bind(r.reviewer_id)
    .bind(r.decision.as_str())
    .bind(r.score)
    .bind(r.comment)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Review {
    pub level: Level,
    pub reviewer_id: i64,
    pub decision: Decision,
    pub score: i64,
    pub comment: String,
    pub created_at: i64,
}

pub async fn reviews_of(c: &mut Conn, contribution_id: i64) -> Result<Vec<Review>> {
    let rows = sqlx::query(
        "SELECT level, reviewer_id, decision, score, comment, created_at FROM contribution_reviews
         WHERE contribution_id = $1 ORDER BY id",
    )
    .bind(contribution_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Review {
                level: Level::parse(&col::<String>(r, "level")?)?,
                reviewer_id: col(r, "reviewer_id")?,
                decision: Decision::parse(&col::<String>(r, "decision")?)?,
                score: col(r, "score")?,
                comment: col(r, "comment")?,
                created_at: col(r, "created_at")?,
            })
        })
        .collect()
}

/// How many contributions stand in each (kind, stage, status).
pub async fn counts(c: &mut Conn) -> Result<HashMap<(Kind, Stage, Status), i64>> {
    let rows = sqlx::query(
        "SELECT kind, stage, status, COUNT(*) AS n FROM contributions GROUP BY kind, stage, status",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(
            (
                Kind::parse(&col::<String>(&r, "kind")?)?,
                Stage::parse(&col::<String>(&r, "stage")?)?,
                Status::parse(&col::<String>(&r, "status")?)?,
            ),
            col(&r, "n")?,
        );
    }
    Ok(out)
}
