//! Parent committees, their members, elections and work records; and the
//! school's two parent lecturer groups with their lectures.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::lecturer_group::{Audience, GroupKind};
use tongyu_domain::parent_committee::{RecordKind, Seat};

use crate::{Conn, DbResult, col};

/// A committee of a unit for a school year.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Committee {
    pub id: i64,
    pub unit_id: i64,
    pub school_year: i64,
    /// `active` or `dissolved`.
    pub status: String,
    /// `YYYY-MM-DD`.
    pub formed_on: String,
    pub created_at: i64,
}

const COMMITTEE_COLS: &str = "id, unit_id, school_year, status, formed_on, created_at";

fn committee_from_row(r: &sqlx::any::AnyRow) -> Result<Committee> {
    Ok(Committee {
        id: col(r, "id")?,
        unit_id: col(r, "unit_id")?,
        school_year: col(r, "school_year")?,
        status: col(r, "status")?,
        formed_on: col(r, "formed_on")?,
        created_at: col(r, "created_at")?,
    })
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Committee>> {
    let sql = format!("SELECT {COMMITTEE_COLS} FROM parent_committees WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(committee_from_row)
        .transpose()
}

/// A unit's committees, the latest school year first (the active one of a
/// year before those dissolved).
pub async fn of_unit(c: &mut Conn, unit_id: i64) -> Result<Vec<Committee>> {
    let sql = format!(
        "SELECT {COMMITTEE_COLS} FROM parent_committees WHERE unit_id = $1
         ORDER BY school_year DESC, status ASC, id DESC"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(unit_id)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(committee_from_row)
        .collect()
}

/// The unit's active committee for a school year.
pub async fn active(c: &mut Conn, unit_id: i64, school_year: i64) -> Result<Option<Committee>> {
    let sql = format!(
        "SELECT {COMMITTEE_COLS} FROM parent_committees
         WHERE unit_id = $1 AND school_year = $2 AND status = 'active'"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(unit_id)
        .bind(school_year)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(committee_from_row)
        .transpose()
}

pub async fn insert(
    c: &mut Conn,
    unit_id: i64,
    school_year: i64,
    formed_on: &str,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO parent_committees (unit_id, school_year, formed_on, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(unit_id)
    .bind(school_year)
    .bind(formed_on)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn dissolve(c: &mut Conn, id: i64, now: i64) -> Result<bool> {
    let chair = chair(c, id).await?;
    let n = sqlx::query(
        "UPDATE parent_committees SET status = 'dissolved', dissolved_at = $2
         WHERE id = $1 AND status = 'active'",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    // A chair of a dissolved committee is no longer counted by the chairs'
    // training target.
    if let Some(chair) = chair {
        crate::training::refresh_people(c, &[chair]).await?;
    }
    Ok(n > 0)
}

/// A member of a committee.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "CommitteeMember")]
pub struct Member {
    pub account_id: i64,
    pub display_name: String,
    pub seat: Seat,
    pub added_at: i64,
}

/// A committee's members: the chair, vice chairs, then members, by name.
pub async fn members(c: &mut Conn, committee_id: i64) -> Result<Vec<Member>> {
    let rows = sqlx::query(
        "SELECT m.account_id, m.seat, m.added_at, a.display_name
         FROM committee_members m JOIN accounts a ON a.id = m.account_id
         WHERE m.committee_id = $1",
    )
    .bind(committee_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Member {
                account_id: col(r, "account_id")?,
                display_name: col(r, "display_name")?,
                seat: Seat::parse(&col::<String>(r, "seat")?)?,
                added_at: col(r, "added_at")?,
            })
        })
        .collect::<Result<Vec<Member>>>()?;
    tongyu_domain::collate::sort_by_name(&mut out, |m| &m.display_name);
    out.sort_by_key(|m| Seat::ALL.iter().position(|s| *s == m.seat));
    Ok(out)
}

pub async fn seat_of(c: &mut Conn, committee_id: i64, account_id: i64) -> Result<Option<Seat>> {
    let s: Option<String> = sqlx::query_scalar(
        "SELECT seat FROM committee_members WHERE committee_id = $1 AND account_id = $2",
    )
    .bind(committee_id)
    .bind(account_id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    s.map(|s| Seat::parse(&s)).transpose()
}

/// The chair's account, if the committee has one.
pub async fn chair(c: &mut Conn, committee_id: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT account_id FROM committee_members WHERE committee_id = $1 AND seat = 'chair'",
    )
    .bind(committee_id)
    .fetch_optional(&mut *c)
    .await
    .db()
}

pub async fn upsert_member(
    c: &mut Conn,
    committee_id: i64,
    account_id: i64,
    seat: Seat,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO committee_members (committee_id, account_id, seat, added_by, added_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (committee_id, account_id) DO UPDATE SET seat = excluded.seat",
    )
    .bind(committee_id)
    .bind(account_id)
    .bind(seat.as_str())
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    crate::training::refresh_people(c, &[account_id]).await
}

pub async fn delete_member(c: &mut Conn, committee_id: i64, account_id: i64) -> Result<bool> {
    let n =
        sqlx::query("DELETE FROM committee_members WHERE committee_id = $1 AND account_id = $2")
            .bind(committee_id)
            .bind(account_id)
            .execute(&mut *c)
            .await
            .db()?
            .rows_affected();
    crate::training::refresh_people(c, &[account_id]).await?;
    Ok(n > 0)
}

/// Makes a member the chair; the chair before becomes a member.
pub async fn hand_chair(c: &mut Conn, committee_id: i64, account_id: i64) -> Result<()> {
    let before = chair(c, committee_id).await?;
    sqlx::query(
        "UPDATE committee_members SET seat = 'member'
         WHERE committee_id = $1 AND seat = 'chair' AND account_id <> $2",
    )
    .bind(committee_id)
    .bind(account_id)
    .execute(&mut *c)
    .await
    .db()?;
    sqlx::query(
        "UPDATE committee_members SET seat = 'chair' WHERE committee_id = $1 AND account_id = $2",
    )
    .bind(committee_id)
    .bind(account_id)
    .execute(&mut *c)
    .await
    .db()?;
    let mut changed = vec![account_id];
    changed.extend(before);
    crate::training::refresh_people(c, &changed).await
}

/// An election held by a committee.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Election {
    pub id: i64,
    pub held_on: String,
    pub voters: i64,
    pub chair_id: i64,
    pub chair_name: String,
    pub note: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_election(
    c: &mut Conn,
    committee_id: i64,
    held_on: &str,
    voters: i64,
    chair_id: i64,
    note: &str,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO committee_elections
           (committee_id, held_on, voters, chair_id, note, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(committee_id)
    .bind(held_on)
    .bind(voters)
    .bind(chair_id)
    .bind(note)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// A committee's elections, the latest first.
pub async fn elections(c: &mut Conn, committee_id: i64) -> Result<Vec<Election>> {
    let rows = sqlx::query(
        "SELECT e.id, e.held_on, e.voters, e.chair_id, e.note, a.display_name
         FROM committee_elections e JOIN accounts a ON a.id = e.chair_id
         WHERE e.committee_id = $1 ORDER BY e.held_on DESC, e.id DESC",
    )
    .bind(committee_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Election {
                id: col(r, "id")?,
                held_on: col(r, "held_on")?,
                voters: col(r, "voters")?,
                chair_id: col(r, "chair_id")?,
                chair_name: col(r, "display_name")?,
                note: col(r, "note")?,
            })
        })
        .collect()
}

/// A record of the committee's work.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct WorkRecord {
    pub id: i64,
    pub held_on: String,
    pub kind: RecordKind,
    pub title: String,
    pub body: String,
    pub attendees: i64,
}

pub struct NewRecord<'a> {
    pub held_on: &'a str,
    pub kind: RecordKind,
    pub title: &'a str,
    pub body: &'a str,
    pub attendees: i64,
}

pub async fn insert_record(
    c: &mut Conn,
    committee_id: i64,
    r: &NewRecord<'_>,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO committee_records
           (committee_id, held_on, kind, title, body, attendees, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(committee_id)
    .bind(r.held_on)
    .bind(r.kind.as_str())
    .bind(r.title)
    .bind(r.body)
    .bind(r.attendees)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// A committee's work records, the latest first.
pub async fn records(c: &mut Conn, committee_id: i64) -> Result<Vec<WorkRecord>> {
    let rows = sqlx::query(
        "SELECT id, held_on, kind, title, body, attendees FROM committee_records
         WHERE committee_id = $1 ORDER BY held_on DESC, id DESC",
    )
    .bind(committee_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(WorkRecord {
                id: col(r, "id")?,
                held_on: col(r, "held_on")?,
                kind: RecordKind::parse(&col::<String>(r, "kind")?)?,
                title: col(r, "title")?,
                body: col(r, "body")?,
                attendees: col(r, "attendees")?,
            })
        })
        .collect()
}

/// A parent lecturer of one of the school's groups.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Lecturer {
    pub kind: GroupKind,
    pub account_id: i64,
    pub display_name: String,
    /// The topic shared (experience) or the profession (career).
    pub specialty: String,
    pub lectures: i64,
}

/// The school's lecturers of both groups, by name.
pub async fn lecturers(c: &mut Conn, school_id: i64) -> Result<Vec<Lecturer>> {
    let rows = sqlx::query(
        "SELECT l.kind, l.account_id, l.specialty, a.display_name,
                (SELECT COUNT(*) FROM parent_lectures p
                  WHERE p.school_id = l.school_id AND p.kind = l.kind
                    AND p.lecturer_id = l.account_id) AS lectures
         FROM parent_lecturers l JOIN accounts a ON a.id = l.account_id
         WHERE l.school_id = $1",
    )
    .bind(school_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Lecturer {
                kind: GroupKind::parse(&col::<String>(r, "kind")?)?,
                account_id: col(r, "account_id")?,
                display_name: col(r, "display_name")?,
                specialty: col(r, "specialty")?,
                lectures: col(r, "lectures")?,
            })
        })
        .collect::<Result<Vec<Lecturer>>>()?;
    tongyu_domain::collate::sort_by_name(&mut out, |l| &l.display_name);
    Ok(out)
}

pub async fn upsert_lecturer(
    c: &mut Conn,
    school_id: i64,
    kind: GroupKind,
    account_id: i64,
    specialty: &str,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO parent_lecturers (school_id, kind, account_id, specialty, added_by, added_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (school_id, kind, account_id) DO UPDATE SET specialty = excluded.specialty",
    )
    .bind(school_id)
    .bind(kind.as_str())
    .bind(account_id)
    .bind(specialty)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub async fn delete_lecturer(
    c: &mut Conn,
    school_id: i64,
    kind: GroupKind,
    account_id: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "DELETE FROM parent_lecturers WHERE school_id = $1 AND kind = $2 AND account_id = $3",
    )
    .bind(school_id)
    .bind(kind.as_str())
    .bind(account_id)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

pub async fn is_lecturer(
    c: &mut Conn,
    school_id: i64,
    kind: GroupKind,
    account_id: i64,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM parent_lecturers WHERE school_id = $1 AND kind = $2 AND account_id = $3",
    )
    .bind(school_id)
    .bind(kind.as_str())
    .bind(account_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(n > 0)
}

/// How many of the two groups have a lecturer.
pub async fn groups_staffed(c: &mut Conn, school_id: i64) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(DISTINCT kind) FROM parent_lecturers WHERE school_id = $1")
        .bind(school_id)
        .fetch_one(&mut *c)
        .await
        .db()
}

/// A lecture given by a parent lecturer.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Lecture {
    pub id: i64,
    pub kind: GroupKind,
    pub lecturer_id: i64,
    pub lecturer_name: String,
    pub held_on: String,
    pub audience: Audience,
    pub title: String,
    pub attendees: i64,
}

pub struct NewLecture<'a> {
    pub kind: GroupKind,
    pub lecturer_id: i64,
    pub held_on: &'a str,
    pub audience: Audience,
    pub title: &'a str,
    pub attendees: i64,
}

pub async fn insert_lecture(
    c: &mut Conn,
    school_id: i64,
    l: &NewLecture<'_>,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO parent_lectures
           (school_id, kind, lecturer_id, held_on, audience, title, attendees, recorded_by,
            recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(school_id)
    .bind(l.kind.as_str())
    .bind(l.lecturer_id)
    .bind(l.held_on)
    .bind(l.audience.as_str())
    .bind(l.title)
    .bind(l.attendees)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// The school's lectures, the latest first, at most `limit`.
pub async fn lectures(c: &mut Conn, school_id: i64, limit: i64) -> Result<Vec<Lecture>> {
    let rows = sqlx::query(
        "SELECT p.id, p.kind, p.lecturer_id, p.held_on, p.audience, p.title, p.attendees,
                a.display_name
         FROM parent_lectures p JOIN accounts a ON a.id = p.lecturer_id
         WHERE p.school_id = $1 ORDER BY p.held_on DESC, p.id DESC LIMIT $2",
    )
    .bind(school_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Lecture {
                id: col(r, "id")?,
                kind: GroupKind::parse(&col::<String>(r, "kind")?)?,
                lecturer_id: col(r, "lecturer_id")?,
                lecturer_name: col(r, "display_name")?,
                held_on: col(r, "held_on")?,
                audience: Audience::parse(&col::<String>(r, "audience")?)?,
                title: col(r, "title")?,
                attendees: col(r, "attendees")?,
            })
        })
        .collect()
}

/// The recount of the committee and lecturer-group measures: measure key →
/// counts per unit.
pub async fn recount(c: &mut Conn) -> Result<HashMap<String, HashMap<i64, Vec<i64>>>> {
    let mut out = HashMap::new();
    let rows = sqlx::query(
        "SELECT u.path, p.school_year FROM parent_committees p JOIN units u ON u.id = p.unit_id
         WHERE p.status = 'active' AND u.kind = 'school'",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut by_year: HashMap<String, Vec<String>> = HashMap::new();
    for r in &rows {
        let key = tongyu_domain::coverage::Measure::Committee {
            school_year: col(r, "school_year")?,
        }
        .key();
        by_year.entry(key).or_default().push(col(r, "path")?);
    }
    for (key, paths) in by_year {
        out.insert(key, crate::coverage::from_school_paths(paths));
    }
    let both: Vec<String> = sqlx::query_scalar(
        "SELECT u.path FROM units u JOIN
           (SELECT school_id FROM parent_lecturers GROUP BY school_id
            HAVING COUNT(DISTINCT kind) = 2) l ON l.school_id = u.id",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    out.insert(
        tongyu_domain::coverage::Measure::LecturerGroups.key(),
        crate::coverage::from_school_paths(both),
    );
    Ok(out)
}
