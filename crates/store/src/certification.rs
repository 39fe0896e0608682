//! Instructor certification: the ladder's settings, the evidence counted
//! from the platform's own rows, applications and their reviews,
//! certificates, and each school's instructor per grade.

use tongyu_domain::Result;
use tongyu_domain::certification::{Evidence, Level, Status, average_tenths};

use crate::{BindSubtree, Conn, DbResult, col};

fn level_from_row(r: &sqlx::any::AnyRow) -> Result<Level> {
    Ok(Level {
        rank: col(r, "level_rank")?,
        code: col(r, "code")?,
        name: col(r, "name")?,
        min_training_hours: col(r, "min_training_hours")?,
        min_sessions_held: col(r, "min_sessions_held")?,
        min_rating_tenths: col(r, "min_rating_tenths")?,
        min_lectures: col(r, "min_lectures")?,
        needs_studio: col::<i64>(r, "needs_studio")? != 0,
        valid_years: col(r, "valid_years")?,
        renewal_hours: col(r, "renewal_hours")?,
    })
}

/// The ladder, lowest first.
pub async fn levels(c: &mut Conn) -> Result<Vec<Level>> {
    let rows = sqlx::query(
        "SELECT level_rank, code, name, min_training_hours, min_sessions_held, min_rating_tenths,
                min_lectures, needs_studio, valid_years, renewal_hours
         FROM certification_levels ORDER BY level_rank",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(level_from_row).collect()
}

/// Saves a level's name and criteria; false when no such rank.
pub async fn update_level(c: &mut Conn, l: &Level, by: i64, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE certification_levels SET name = $1, min_training_hours = $2, min_sessions_held = $3,
            min_rating_tenths = $4, min_lectures = $5, needs_studio = $6, valid_years = $7,
            renewal_hours = $8, updated_by = $9, updated_at = $10
         WHERE level_rank = $11",
    )
    .bind(l.name.clone())
    .bind(l.min_training_hours)
    .bind(l.min_sessions_held)
    .bind(l.min_rating_tenths)
    .bind(l.min_lectures)
    .bind(i64::from(l.needs_studio))
    .bind(l.valid_years)
    .bind(l.renewal_hours)
    .bind(by)
    .bind(now)
    .bind(l.rank)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    Ok(n == 1)
}

/// What the platform holds of a person at `now`: training hours attended
/// since `training_since`, required-course sessions taught and held with
/// the parents' ratings of them, lectures already given, studio membership.
pub async fn evidence(
    c: &mut Conn,
    account_id: i64,
    training_since: i64,
    now: i64,
) -> Result<Evidence> {
    let training_hours: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(s.hours), 0) AS BIGINT) FROM training_attendance a
         JOIN training_sessions s ON s.id = a.session_id
         WHERE a.account_id = $1 AND a.at >= $2",
    )
    .bind(account_id)
    .bind(training_since)
    .fetch_one(&mut *c)
    .await
    .db()?;
    let sessions_held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM delivery_sessions WHERE teacher_id = $1 AND status = 'held'",
    )
    .bind(account_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    let r = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(r.score), 0) AS BIGINT) AS total
         FROM delivery_ratings r JOIN delivery_sessions s ON s.id = r.session_id
         WHERE s.teacher_id = $1 AND s.status = 'held'",
    )
    .bind(account_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    let ratings: i64 = col(&r, "n")?;
    let total: i64 = col(&r, "total")?;
    let lectures: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM training_sessions WHERE presenter_id = $1 AND ends_at <= $2)
              + (SELECT COUNT(*) FROM guidance_services WHERE researcher_id = $1 AND kind = 'lecture')
              + (SELECT COUNT(*) FROM expert_requests q JOIN experts e ON e.id = q.expert_id
                 WHERE e.account_id = $1 AND q.kind = 'lecture' AND q.status = 'accepted'
                   AND q.ends_at <= $2)",
    )
    .bind(account_id)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()?;
    let in_studio: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM studio_members m JOIN studios s ON s.id = m.studio_id
         WHERE m.account_id = $1 AND s.status = 'selected'",
    )
    .bind(account_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(Evidence {
        training_hours,
        sessions_held,
        ratings,
        rating_tenths: average_tenths(total, ratings),
        lectures,
        in_studio: in_studio > 0,
    })
}

/// An application with its applicant, unit and the evidence counted.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "CertificationApplication")]
pub struct Application {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub unit_id: i64,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: String,
    pub level_rank: i64,
    pub renewal: bool,
    pub statement: String,
    pub status: Status,
    pub evidence: Evidence,
    pub district_by: i64,
    pub district_at: i64,
    pub district_note: String,
    pub city_by: i64,
    pub city_at: i64,
    pub city_note: String,
    pub created_at: i64,
}

const APPLICATION_SELECT: &str = "SELECT p.id, p.account_id, a.display_name, p.unit_id,
        u.name AS unit_name, p.unit_path, p.level_rank, p.renewal, p.statement, p.status,
        p.training_hours, p.sessions_held, p.ratings, p.rating_tenths, p.lectures, p.in_studio,
        p.district_by, p.district_at, p.district_note, p.city_by, p.city_at, p.city_note,
        p.created_at
     FROM certification_applications p JOIN accounts a ON a.id = p.account_id
     JOIN units u ON u.id = p.unit_id";

fn application_from_row(r: &sqlx::any::AnyRow) -> Result<Application> {
    Ok(Application {
        id: col(r, "id")?,
        account_id: col(r, "account_id")?,
        name: col(r, "display_name")?,
        unit_id: col(r, "unit_id")?,
        unit_name: col(r, "unit_name")?,
        unit_path: col(r, "unit_path")?,
        level_rank: col(r, "level_rank")?,
        renewal: col::<i64>(r, "renewal")? != 0,
        statement: col(r, "statement")?,
        status: Status::parse(&col::<String>(r, "status")?)?,
        evidence: Evidence {
            training_hours: col(r, "training_hours")?,
            sessions_held: col(r, "sessions_held")?,
            ratings: col(r, "ratings")?,
            rating_tenths: col(r, "rating_tenths")?,
            lectures: col(r, "lectures")?,
            in_studio: col::<i64>(r, "in_studio")? != 0,
        },
        district_by: col(r, "district_by")?,
        district_at: col(r, "district_at")?,
        district_note: col(r, "district_note")?,
        city_by: col(r, "city_by")?,
        city_at: col(r, "city_at")?,
        city_note: col(r, "city_note")?,
        created_at: col(r, "created_at")?,
    })
}

/// A new application as the applicant made it.
pub struct NewApplication<'a> {
    pub account_id: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
    pub level_rank: i64,
    pub renewal: bool,
    pub statement: &'a str,
    pub evidence: Evidence,
}

pub async fn insert_application(c: &mut Conn, a: &NewApplication<'_>, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO certification_applications (account_id, unit_id, unit_path, level_rank,
            renewal, statement, status, training_hours, sessions_held, ratings, rating_tenths,
            lectures, in_studio, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8, $9, $10, $11, $12, $13)
         RETURNING id",
    )
    .bind(a.account_id)
    .bind(a.unit_id)
    .bind(a.unit_path.to_owned())
    .bind(a.level_rank)
    .bind(i64::from(a.renewal))
    .bind(a.statement.to_owned())
    .bind(a.evidence.training_hours)
    .bind(a.evidence.sessions_held)
    .bind(a.evidence.ratings)
    .bind(a.evidence.rating_tenths)
    .bind(a.evidence.lectures)
    .bind(i64::from(a.evidence.in_studio))
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn application(c: &mut Conn, id: i64) -> Result<Option<Application>> {
    let sql = format!("{APPLICATION_SELECT} WHERE p.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(application_from_row)
        .transpose()
}

/// A person's applications, the newest first.
pub async fn applications_of(c: &mut Conn, account_id: i64) -> Result<Vec<Application>> {
    let sql = format!("{APPLICATION_SELECT} WHERE p.account_id = $1 ORDER BY p.id DESC");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(application_from_row)
        .collect()
}

/// Whether a person has an application still with a reviewer.
pub async fn has_open(c: &mut Conn, account_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM certification_applications
         WHERE account_id = $1 AND status IN ('submitted', 'district_approved')",
    )
    .bind(account_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(n > 0)
}

/// Applications of a subtree in the given states, the oldest first (the
/// order they are reviewed in), at most `limit`.
pub async fn applications_in(
    c: &mut Conn,
    root_path: &str,
    statuses: &[Status],
    limit: i64,
) -> Result<Vec<Application>> {
    let list: Vec<String> = statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let sql = format!(
        "{APPLICATION_SELECT} WHERE p.unit_path >= $1 AND p.unit_path < $2
         AND p.status IN ({}) ORDER BY p.id LIMIT $3",
        list.join(", ")
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind_subtree(root_path)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(application_from_row)
        .collect()
}

/// How many applications of a subtree are in a state.
pub async fn count_in(c: &mut Conn, root_path: &str, status: Status) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM certification_applications
         WHERE unit_path >= $1 AND unit_path < $2 AND status = $3",
    )
    .bind_subtree(root_path)
    .bind(status.as_str())
    .fetch_one(&mut *c)
    .await
    .db()
}

/// The decision of the reviewer an application in state `from` waits for:
/// the district's (`Submitted`) or the city's (`DistrictApproved`). False
/// when the application was no longer waiting for it.
pub async fn decide(
    c: &mut Conn,
    id: i64,
    from: Status,
    approve: bool,
    by: i64,
    note: &str,
    now: i64,
) -> Result<bool> {
    let (step, approved) = match from {
        Status::Submitted => ("district", Status::DistrictApproved),
        Status::DistrictApproved => ("city", Status::Certified),
        _ => return Ok(false),
    };
    let to = if approve { approved } else { Status::Rejected };
    let sql = format!(
        "UPDATE certification_applications SET status = $1, {step}_by = $2, {step}_at = $3,
            {step}_note = $4 WHERE id = $5 AND status = $6"
    );
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to.as_str())
        .bind(by)
        .bind(now)
        .bind(note.to_owned())
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected();
    Ok(n == 1)
}

/// The applicant takes back an application still with a reviewer.
pub async fn withdraw(c: &mut Conn, id: i64, account_id: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE certification_applications SET status = 'withdrawn'
         WHERE id = $1 AND account_id = $2 AND status IN ('submitted', 'district_approved')",
    )
    .bind(id)
    .bind(account_id)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    Ok(n == 1)
}

/// A certificate.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Certificate {
    pub id: i64,
    /// Its public serial, printed beside the QR code of its verification page.
    pub serial: String,
    pub account_id: i64,
    pub holder_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub level_rank: i64,
    pub level_name: String,
    pub issuer: String,
    pub application_id: i64,
    pub issued_at: i64,
    pub valid_until: i64,
    pub revoked_at: i64,
    pub revoke_reason: String,
}

const CERTIFICATE_SELECT: &str = "SELECT c.id, c.serial, c.account_id, c.holder_name, c.unit_id,
        u.name AS unit_name, c.level_rank, c.level_name, c.issuer, c.application_id, c.issued_at,
        c.valid_until, c.revoked_at, c.revoke_reason
     FROM certificates c JOIN units u ON u.id = c.unit_id";

fn certificate_from_row(r: &sqlx::any::AnyRow) -> Result<Certificate> {
    Ok(Certificate {
        id: col(r, "id")?,
        serial: col(r, "serial")?,
        account_id: col(r, "account_id")?,
        holder_name: col(r, "holder_name")?,
        unit_id: col(r, "unit_id")?,
        unit_name: col(r, "unit_name")?,
        level_rank: col(r, "level_rank")?,
        level_name: col(r, "level_name")?,
        issuer: col(r, "issuer")?,
        application_id: col(r, "application_id")?,
        issued_at: col(r, "issued_at")?,
        valid_until: col(r, "valid_until")?,
        revoked_at: col(r, "revoked_at")?,
        revoke_reason: col(r, "revoke_reason")?,
    })
}

/// A certificate to issue.
pub struct NewCertificate<'a> {
    pub serial: &'a str,
    pub account_id: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
    pub level_rank: i64,
    pub level_name: &'a str,
    pub holder_name: &'a str,
    pub issuer: &'a str,
    pub application_id: i64,
    pub issued_at: i64,
    pub valid_until: i64,
}

pub async fn insert_certificate(c: &mut Conn, n: &NewCertificate<'_>) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO certificates (serial, account_id, unit_id, unit_path, level_rank, level_name,
            holder_name, issuer, application_id, issued_at, valid_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(n.serial.to_owned())
    .bind(n.account_id)
    .bind(n.unit_id)
    .bind(n.unit_path.to_owned())
    .bind(n.level_rank)
    .bind(n.level_name.to_owned())
    .bind(n.holder_name.to_owned())
    .bind(n.issuer.to_owned())
    .bind(n.application_id)
    .bind(n.issued_at)
    .bind(n.valid_until)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn certificate(c: &mut Conn, id: i64) -> Result<Option<Certificate>> {
    let sql = format!("{CERTIFICATE_SELECT} WHERE c.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(certificate_from_row)
        .transpose()
}

pub async fn by_serial(c: &mut Conn, serial: &str) -> Result<Option<Certificate>> {
    let sql = format!("{CERTIFICATE_SELECT} WHERE c.serial = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(serial.to_owned())
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(certificate_from_row)
        .transpose()
}

/// A person's certificates, the highest level and newest first.
pub async fn certificates_of(c: &mut Conn, account_id: i64) -> Result<Vec<Certificate>> {
    let sql = format!(
        "{CERTIFICATE_SELECT} WHERE c.account_id = $1 ORDER BY c.level_rank DESC, c.issued_at DESC, c.id DESC"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(certificate_from_row)
        .collect()
}

/// Certificates of a subtree, the highest level first, at most `limit`.
pub async fn certificates_in(
    c: &mut Conn,
    root_path: &str,
    limit: i64,
) -> Result<Vec<Certificate>> {
    let sql = format!(
        "{CERTIFICATE_SELECT} WHERE c.unit_path >= $1 AND c.unit_path < $2
         ORDER BY c.level_rank DESC, c.holder_name, c.id LIMIT $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind_subtree(root_path)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(certificate_from_row)
        .collect()
}

/// Revokes a certificate; false when already revoked.
pub async fn revoke(c: &mut Conn, id: i64, reason: &str, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE certificates SET revoked_at = $1, revoke_reason = $2
         WHERE id = $3 AND revoked_at = 0",
    )
    .bind(now)
    .bind(reason.to_owned())
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    Ok(n == 1)
}
