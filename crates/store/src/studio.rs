//! Master-teacher studios: applications, members, plans, outputs, reviews.

use tongyu_domain::Result;
use tongyu_domain::studio::{Grade, OutputKind, Status};

use crate::{Conn, DbResult, col};

/// A studio.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Studio {
    pub id: i64,
    pub name: String,
    pub lead_id: i64,
    pub lead_name: String,
    /// The lead's school or bureau.
    pub unit_id: i64,
    pub unit_name: String,
    pub focus: String,
    pub status: Status,
    pub applied_at: i64,
    pub decision_note: String,
    pub members: i64,
    pub outputs: i64,
}

const STUDIO_SELECT: &str = "SELECT s.id, s.name, s.lead_id, a.display_name, s.unit_id,
        u.name AS unit_name, s.focus, s.status, s.applied_at, s.decision_note,
        (SELECT COUNT(*) FROM studio_members m WHERE m.studio_id = s.id) AS members,
        (SELECT COUNT(*) FROM studio_outputs o WHERE o.studio_id = s.id) AS outputs
     FROM studios s JOIN accounts a ON a.id = s.lead_id JOIN units u ON u.id = s.unit_id";

fn studio_from_row(r: &sqlx::any::AnyRow) -> Result<Studio> {
    Ok(Studio {
        id: col(r, "id")?,
        name: col(r, "name")?,
        lead_id: col(r, "lead_id")?,
        lead_name: col(r, "display_name")?,
        unit_id: col(r, "unit_id")?,
        unit_name: col(r, "unit_name")?,
        focus: col(r, "focus")?,
        status: Status::parse(&col::<String>(r, "status")?)?,
        applied_at: col(r, "applied_at")?,
        decision_note: col(r, "decision_note")?,
        members: col(r, "members")?,
        outputs: col(r, "outputs")?,
    })
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Studio>> {
    let sql = format!("{STUDIO_SELECT} WHERE s.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(studio_from_row)
        .transpose()
}

/// Every studio (a city has dozens), selected first, then waiting, by name.
pub async fn all(c: &mut Conn) -> Result<Vec<Studio>> {
    let sql = format!("{STUDIO_SELECT} ORDER BY s.id");
    let mut out = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(studio_from_row)
        .collect::<Result<Vec<Studio>>>()?;
    tongyu_domain::collate::sort_by_name(&mut out, |s| &s.name);
    out.sort_by_key(|s| match s.status {
        Status::Selected => 0,
        Status::Applied => 1,
        Status::Rejected => 2,
    });
    Ok(out)
}

pub async fn count_selected(c: &mut Conn) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM studios WHERE status = 'selected'")
        .fetch_one(&mut *c)
        .await
        .db()
}

/// Whether the account leads a studio that is not rejected.
pub async fn leads_one(c: &mut Conn, account_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM studios WHERE lead_id = $1 AND status <> 'rejected'",
    )
    .bind(account_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(n > 0)
}

pub async fn insert(
    c: &mut Conn,
    name: &str,
    lead_id: i64,
    unit_id: i64,
    focus: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO studios (name, lead_id, unit_id, focus, applied_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(name)
    .bind(lead_id)
    .bind(unit_id)
    .bind(focus)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Decides an application; false when it was decided already.
pub async fn decide(c: &mut Conn, id: i64, to: Status, note: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE studios SET status = $2, decision_note = $3, decided_at = $4
         WHERE id = $1 AND status = 'applied'",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(note)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

/// A studio's members: (account id, name), by name.
pub async fn members(c: &mut Conn, studio_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT a.id, a.display_name FROM studio_members m JOIN accounts a ON a.id = m.account_id
         WHERE m.studio_id = $1",
    )
    .bind(studio_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = rows
        .iter()
        .map(|r| Ok((col(r, "id")?, col(r, "display_name")?)))
        .collect::<Result<Vec<(i64, String)>>>()?;
    tongyu_domain::collate::sort_by_name(&mut out, |m| &m.1);
    Ok(out)
}

pub async fn add_member(c: &mut Conn, studio_id: i64, account_id: i64, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO studio_members (studio_id, account_id, added_at) VALUES ($1, $2, $3)
         ON CONFLICT (studio_id, account_id) DO NOTHING",
    )
    .bind(studio_id)
    .bind(account_id)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

/// A studio's plan for a school year.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct YearPlan {
    pub school_year: i64,
    /// Markdown.
    pub body: String,
}

pub async fn plans(c: &mut Conn, studio_id: i64) -> Result<Vec<YearPlan>> {
    let rows = sqlx::query(
        "SELECT school_year, body FROM studio_plans WHERE studio_id = $1 ORDER BY school_year DESC",
    )
    .bind(studio_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(YearPlan {
                school_year: col(r, "school_year")?,
                body: col(r, "body")?,
            })
        })
        .collect()
}

pub async fn save_plan(
    c: &mut Conn,
    studio_id: i64,
    school_year: i64,
    body: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO studio_plans (studio_id, school_year, body, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (studio_id, school_year) DO UPDATE SET body = excluded.body,
           updated_at = excluded.updated_at",
    )
    .bind(studio_id)
    .bind(school_year)
    .bind(body)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// An output of a studio.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Output {
    pub id: i64,
    pub kind: OutputKind,
    /// The course or contribution it links to (0 for a lecture).
    pub ref_id: i64,
    pub title: String,
    pub held_on: String,
}

pub async fn outputs(c: &mut Conn, studio_id: i64) -> Result<Vec<Output>> {
    let rows = sqlx::query(
        "SELECT id, kind, ref_id, title, held_on FROM studio_outputs WHERE studio_id = $1
         ORDER BY id DESC",
    )
    .bind(studio_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Output {
                id: col(r, "id")?,
                kind: OutputKind::parse(&col::<String>(r, "kind")?)?,
                ref_id: col(r, "ref_id")?,
                title: col(r, "title")?,
                held_on: col(r, "held_on")?,
            })
        })
        .collect()
}

pub async fn add_output(
    c: &mut Conn,
    studio_id: i64,
    kind: OutputKind,
    ref_id: i64,
    title: &str,
    held_on: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO studio_outputs (studio_id, kind, ref_id, title, held_on, added_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(studio_id)
    .bind(kind.as_str())
    .bind(ref_id)
    .bind(title)
    .bind(held_on)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// A yearly review.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Review {
    pub school_year: i64,
    pub grade: Grade,
    pub note: String,
}

pub async fn reviews(c: &mut Conn, studio_id: i64) -> Result<Vec<Review>> {
    let rows = sqlx::query(
        "SELECT school_year, grade, note FROM studio_reviews WHERE studio_id = $1
         ORDER BY school_year DESC",
    )
    .bind(studio_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Review {
                school_year: col(r, "school_year")?,
                grade: Grade::parse(&col::<String>(r, "grade")?)?,
                note: col(r, "note")?,
            })
        })
        .collect()
}

pub async fn save_review(
    c: &mut Conn,
    studio_id: i64,
    school_year: i64,
    grade: Grade,
    note: &str,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO studio_reviews (studio_id, school_year, grade, note, reviewed_by, reviewed_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (studio_id, school_year) DO UPDATE SET grade = excluded.grade,
           note = excluded.note, reviewed_by = excluded.reviewed_by,
           reviewed_at = excluded.reviewed_at",
    )
    .bind(studio_id)
    .bind(school_year)
    .bind(grade.as_str())
    .bind(note)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}
