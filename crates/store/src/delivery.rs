//! Queries of required-course delivery: sessions, steps, attendance,
//! ratings, the yearly tallies and their rollups, and questionnaires.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::delivery::{Phase, SessionStatus, Step, Tally};

use crate::rollup::{Check, DELIVERY, QUESTIONNAIRE, spread};
use crate::rows::V;
use crate::{BindSubtree, Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Session {
    pub id: i64,
    pub class_id: i64,
    pub school_year: i64,
    pub course_id: i64,
    pub lesson_id: i64,
    pub title: String,
    pub starts_at: i64,
    pub class_hours: i64,
    pub place: String,
    pub online_url: String,
    pub materials: String,
    pub status: SessionStatus,
    #[serde(skip)]
    pub checkin_token: String,
    pub teacher_id: i64,
    pub held_at: i64,
}

const SESSION_COLS: &str =
    "id, class_id, school_year, course_id, lesson_id, title, starts_at, class_hours,
    place, online_url, materials, status, checkin_token, teacher_id, held_at";

fn session_from_row(r: &sqlx::any::AnyRow) -> Result<Session> {
    Ok(Session {
        id: col(r, "id")?,
        class_id: col(r, "class_id")?,
        school_year: col(r, "school_year")?,
        course_id: col(r, "course_id")?,
        lesson_id: col(r, "lesson_id")?,
        title: col(r, "title")?,
        starts_at: col(r, "starts_at")?,
        class_hours: col(r, "class_hours")?,
        place: col(r, "place")?,
        online_url: col(r, "online_url")?,
        materials: col(r, "materials")?,
        status: SessionStatus::parse(&col::<String>(r, "status")?)?,
        checkin_token: col(r, "checkin_token")?,
        teacher_id: col(r, "teacher_id")?,
        held_at: col(r, "held_at")?,
    })
}

pub struct NewSession<'a> {
    pub class_id: i64,
    pub school_year: i64,
    pub course_id: i64,
    pub lesson_id: i64,
    pub title: &'a str,
    pub starts_at: i64,
    pub class_hours: i64,
    pub place: &'a str,
    pub online_url: &'a str,
    pub checkin_token: &'a str,
    pub created_by: i64,
}

pub async fn insert_session(c: &mut Conn, n: &NewSession<'_>, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO delivery_sessions (class_id, school_year, course_id, lesson_id, title, starts_at,
             class_hours, place, online_url, status, checkin_token, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'planned', $10, $11, $12, $12) RETURNING id",
    )
    .bind(n.class_id)
    .bind(n.school_year)
    .bind(n.course_id)
    .bind(n.lesson_id)
    .bind(n.title)
    .bind(n.starts_at)
    .bind(n.class_hours)
    .bind(n.place)
    .bind(n.online_url)
    .bind(n.checkin_token)
    .bind(n.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Changes what a planned session is: its course, lesson, title, time and place.
pub async fn update_session(c: &mut Conn, id: i64, n: &NewSession<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE delivery_sessions SET school_year = $1, course_id = $2, lesson_id = $3, title = $4,
             starts_at = $5, class_hours = $6, place = $7, online_url = $8, updated_at = $9
         WHERE id = $10",
    )
    .bind(n.school_year)
    .bind(n.course_id)
    .bind(n.lesson_id)
    .bind(n.title)
    .bind(n.starts_at)
    .bind(n.class_hours)
    .bind(n.place)
    .bind(n.online_url)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub async fn get_session(c: &mut Conn, id: i64) -> Result<Option<Session>> {
    let sql = format!("SELECT {SESSION_COLS} FROM delivery_sessions WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    r.as_ref().map(session_from_row).transpose()
}

pub async fn session_by_token(c: &mut Conn, token: &str) -> Result<Option<Session>> {
    let sql = format!("SELECT {SESSION_COLS} FROM delivery_sessions WHERE checkin_token = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    r.as_ref().map(session_from_row).transpose()
}

/// A class's sessions in a school year, by start time.
pub async fn sessions_of_class(
    c: &mut Conn,
    class_id: i64,
    school_year: i64,
) -> Result<Vec<Session>> {
    let sql = format!(
        "SELECT {SESSION_COLS} FROM delivery_sessions WHERE class_id = $1 AND school_year = $2
         ORDER BY starts_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(class_id)
        .bind(school_year)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(session_from_row).collect()
}

pub async fn set_session_status(
    c: &mut Conn,
    id: i64,
    status: SessionStatus,
    teacher_id: i64,
    held_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE delivery_sessions SET status = $1, teacher_id = $2, held_at = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(teacher_id)
    .bind(held_at)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub async fn set_materials(c: &mut Conn, id: i64, materials: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE delivery_sessions SET materials = $1, updated_at = $2 WHERE id = $3")
        .bind(materials)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Replaces the steps recorded as done in a session.
pub async fn replace_steps(
    c: &mut Conn,
    session_id: i64,
    steps: &[(Step, String)],
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM delivery_steps WHERE session_id = $1")
        .bind(session_id)
        .execute(&mut *c)
        .await
        .db()?;
    for (step, note) in steps {
        sqlx::query(
            "INSERT INTO delivery_steps (session_id, step, note, done_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(session_id)
        .bind(step.as_str())
        .bind(note)
        .bind(now)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(())
}

/// The steps done in these sessions: session → [(step, note)] in the method's order.
pub async fn steps_of(
    c: &mut Conn,
    session_ids: &[i64],
) -> Result<HashMap<i64, Vec<(Step, String)>>> {
    let mut out: HashMap<i64, Vec<(Step, String)>> = HashMap::new();
    for chunk in session_ids.chunks(500) {
        let sql = format!(
            "SELECT session_id, step, note FROM delivery_steps WHERE session_id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.entry(col(&r, "session_id")?)
                .or_default()
                .push((Step::parse(&col::<String>(&r, "step")?)?, col(&r, "note")?));
        }
    }
    for steps in out.values_mut() {
        steps.sort_by_key(|(s, _)| Step::ALL.iter().position(|x| x == s));
    }
    Ok(out)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Attendance {
    pub account_id: i64,
    pub student_id: i64,
    pub method: String,
    pub checked_in_at: i64,
    pub participation: i64,
}

/// Records a parent present; false if already recorded.
pub async fn check_in(
    c: &mut Conn,
    session_id: i64,
    account_id: i64,
    student_id: i64,
    method: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO delivery_attendance (session_id, account_id, student_id, method, checked_in_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, account_id) DO NOTHING",
    )
    .bind(session_id)
    .bind(account_id)
    .bind(student_id)
    .bind(method)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(done.rows_affected() > 0)
}

pub async fn remove_attendance(c: &mut Conn, session_id: i64, account_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM delivery_attendance WHERE session_id = $1 AND account_id = $2")
        .bind(session_id)
        .bind(account_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub async fn set_participation(
    c: &mut Conn,
    session_id: i64,
    account_id: i64,
    score: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE delivery_attendance SET participation = $1 WHERE session_id = $2 AND account_id = $3",
    )
    .bind(score)
    .bind(session_id)
    .bind(account_id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub async fn attendance_of(c: &mut Conn, session_id: i64) -> Result<Vec<Attendance>> {
    let rows = sqlx::query(
        "SELECT account_id, student_id, method, checked_in_at, participation
         FROM delivery_attendance WHERE session_id = $1",
    )
    .bind(session_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Attendance {
                account_id: col(r, "account_id")?,
                student_id: col(r, "student_id")?,
                method: col(r, "method")?,
                checked_in_at: col(r, "checked_in_at")?,
                participation: col(r, "participation")?,
            })
        })
        .collect()
}

/// Per session: (parents present, mean participation ×100 or 0, ratings, mean rating ×100 or 0).
pub async fn session_figures(
    c: &mut Conn,
    session_ids: &[i64],
) -> Result<HashMap<i64, (i64, i64, i64, i64)>> {
    let mut out: HashMap<i64, (i64, i64, i64, i64)> = HashMap::new();
    for chunk in session_ids.chunks(500) {
        let ph = crate::placeholders(1, chunk.len());
        let sql = format!(
            "SELECT session_id, COUNT(*) AS n,
                    CAST(COALESCE(SUM(participation), 0) AS BIGINT) AS p_sum,
                    CAST(COALESCE(SUM(CASE WHEN participation > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS p_n
             FROM delivery_attendance WHERE session_id IN ({ph}) GROUP BY session_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            let (p_sum, p_n): (i64, i64) = (col(&r, "p_sum")?, col(&r, "p_n")?);
            let e = out.entry(col(&r, "session_id")?).or_default();
            e.0 = col(&r, "n")?;
            e.1 = if p_n > 0 { p_sum * 100 / p_n } else { 0 };
        }
        let sql = format!(
            "SELECT session_id, COUNT(*) AS n, CAST(COALESCE(SUM(score), 0) AS BIGINT) AS s
             FROM delivery_ratings WHERE session_id IN ({ph}) GROUP BY session_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            let (n, s): (i64, i64) = (col(&r, "n")?, col(&r, "s")?);
            let e = out.entry(col(&r, "session_id")?).or_default();
            e.2 = n;
            e.3 = if n > 0 { s * 100 / n } else { 0 };
        }
    }
    Ok(out)
}

pub async fn rate(
    c: &mut Conn,
    session_id: i64,
    account_id: i64,
    score: i64,
    comment: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO delivery_ratings (session_id, account_id, score, comment, rated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (session_id, account_id) DO UPDATE SET
             score = excluded.score, comment = excluded.comment, rated_at = excluded.rated_at",
    )
    .bind(session_id)
    .bind(account_id)
    .bind(score)
    .bind(comment)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// A session's ratings: (account, score, comment), newest first.
pub async fn ratings_of(c: &mut Conn, session_id: i64) -> Result<Vec<(i64, i64, String)>> {
    let rows = sqlx::query(
        "SELECT account_id, score, comment FROM delivery_ratings WHERE session_id = $1 ORDER BY rated_at DESC",
    )
    .bind(session_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "account_id")?, col(r, "score")?, col(r, "comment")?)))
        .collect()
}

/// What a parent did in these sessions: session → (checked in, own rating or 0).
pub async fn parent_marks(
    c: &mut Conn,
    account_id: i64,
    session_ids: &[i64],
) -> Result<HashMap<i64, (bool, i64)>> {
    let mut out: HashMap<i64, (bool, i64)> = HashMap::new();
    for chunk in session_ids.chunks(500) {
        let ph = crate::placeholders(2, chunk.len());
        for (table, is_rating) in [("delivery_attendance", false), ("delivery_ratings", true)] {
            let what = if is_rating { "score" } else { "1" };
            let sql = format!(
                "SELECT session_id, {what} AS v FROM {table} WHERE account_id = $1 AND session_id IN ({ph})"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(account_id);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *c).await.db()? {
                let v: i64 = col(&r, "v")?;
                let e = out.entry(col(&r, "session_id")?).or_default();
                if is_rating {
                    e.1 = v;
                } else {
                    e.0 = true;
                }
            }
        }
    }
    Ok(out)
}

/// A class's tally in a school year.
pub async fn class_tally(c: &mut Conn, class_id: i64, school_year: i64) -> Result<Tally> {
    Ok(class_tallies(c, &[class_id], school_year)
        .await?
        .remove(&class_id)
        .unwrap_or_default())
}

/// The tallies of these classes in a school year (classes with none are absent).
pub async fn class_tallies(
    c: &mut Conn,
    class_ids: &[i64],
    school_year: i64,
) -> Result<HashMap<i64, Tally>> {
    let mut out = HashMap::new();
    for chunk in class_ids.chunks(500) {
        let sql = format!(
            "SELECT class_id, sessions_held, hours_held, sessions_planned, hours_planned
             FROM delivery_class_years WHERE school_year = $1 AND class_id IN ({})",
            crate::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(school_year);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.insert(
                col(&r, "class_id")?,
                Tally {
                    sessions: col(&r, "sessions_held")?,
                    hours: col(&r, "hours_held")?,
                    sessions_planned: col(&r, "sessions_planned")?,
                    hours_planned: col(&r, "hours_planned")?,
                },
            );
        }
    }
    Ok(out)
}

/// Adds a change (sessions held or planned, or taken back with negative
/// figures) to a class's tally; returns the tally after.
pub async fn add_to_tally(
    c: &mut Conn,
    class_id: i64,
    school_year: i64,
    d: Tally,
) -> Result<Tally> {
    let r = sqlx::query(
        "INSERT INTO delivery_class_years
             (class_id, school_year, sessions_held, hours_held, sessions_planned, hours_planned)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (class_id, school_year) DO UPDATE SET
             sessions_held = delivery_class_years.sessions_held + excluded.sessions_held,
             hours_held = delivery_class_years.hours_held + excluded.hours_held,
             sessions_planned = delivery_class_years.sessions_planned + excluded.sessions_planned,
             hours_planned = delivery_class_years.hours_planned + excluded.hours_planned
         RETURNING sessions_held, hours_held, sessions_planned, hours_planned",
    )
    .bind(class_id)
    .bind(school_year)
    .bind(d.sessions)
    .bind(d.hours)
    .bind(d.sessions_planned)
    .bind(d.hours_planned)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(Tally {
        sessions: col(&r, "sessions_held")?,
        hours: col(&r, "hours_held")?,
        sessions_planned: col(&r, "sessions_planned")?,
        hours_planned: col(&r, "hours_planned")?,
    })
}

/// Sets every class's planned sessions and hours from its sessions still
/// planned (after a migration, and for the demo, which writes sessions
/// directly).
pub async fn refresh_planned(c: &mut Conn) -> Result<()> {
    sqlx::query("UPDATE delivery_class_years SET sessions_planned = 0, hours_planned = 0")
        .execute(&mut *c)
        .await
        .db()?;
    sqlx::query(
        "INSERT INTO delivery_class_years
             (class_id, school_year, sessions_held, hours_held, sessions_planned, hours_planned)
         SELECT class_id, school_year, 0, 0, COUNT(*), CAST(SUM(class_hours) AS BIGINT)
         FROM delivery_sessions WHERE status = 'planned' GROUP BY class_id, school_year
         ON CONFLICT (class_id, school_year) DO UPDATE SET
             sessions_planned = excluded.sessions_planned,
             hours_planned = excluded.hours_planned",
    )
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// A unit's classes against the yearly minimum, as its rollup keeps them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetCounts {
    /// Classes that held the minimum.
    pub met: i64,
    /// Classes whose sessions held and planned reach the minimum (those
    /// met included).
    pub on_track: i64,
}

/// Adds to the counts of classes met and on track of each unit.
pub async fn add_met(c: &mut Conn, unit_ids: &[i64], school_year: i64, d: MetCounts) -> Result<()> {
    DELIVERY
        .add(c, &[V::I(school_year)], unit_ids, &[d.met, d.on_track])
        .await
}

/// Classes met and on track, per unit, in a school year.
pub async fn met_of(
    c: &mut Conn,
    unit_ids: &[i64],
    school_year: i64,
) -> Result<HashMap<i64, MetCounts>> {
    Ok(DELIVERY
        .read(c, &[V::I(school_year)], unit_ids)
        .await?
        .into_iter()
        .map(|(u, v)| {
            (
                u,
                MetCounts {
                    met: v[0],
                    on_track: v[1],
                },
            )
        })
        .collect())
}

/// The school years any class has delivery recorded in.
pub async fn delivery_years(c: &mut Conn) -> Result<Vec<i64>> {
    sqlx::query_scalar("SELECT DISTINCT school_year FROM delivery_class_years ORDER BY school_year")
        .fetch_all(&mut *c)
        .await
        .db()
}

/// Recounts the classes that met the minimum per unit (each class credits
/// every unit on its path but itself).
async fn recount_met(
    c: &mut Conn,
    school_year: i64,
    plan: &tongyu_domain::plan::Plan,
) -> Result<HashMap<i64, Vec<i64>>> {
    let rows = sqlx::query(
        "SELECT u.path,
             CASE WHEN t.sessions_held >= $2 AND t.hours_held >= $3 THEN 1 ELSE 0 END AS met,
             CASE WHEN t.sessions_held + t.sessions_planned >= $2
                   AND t.hours_held + t.hours_planned >= $3 THEN 1 ELSE 0 END AS on_track
         FROM delivery_class_years t JOIN units u ON u.id = t.class_id
         WHERE t.school_year = $1 AND t.sessions_held + t.sessions_planned >= $2
           AND t.hours_held + t.hours_planned >= $3",
    )
    .bind(school_year)
    .bind(plan.sessions_per_year)
    .bind(plan.hours_per_year)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let paths = rows
        .iter()
        .map(|r| {
            Ok((
                col(r, "path")?,
                vec![col::<i64>(r, "met")?, col::<i64>(r, "on_track")?],
            ))
        })
        .collect::<Result<Vec<(String, Vec<i64>)>>>()?;
    Ok(spread(paths, false))
}

/// Replaces a school year's counts of classes that met the minimum by a
/// recount under `plan` (after the plan's minimum changed).
pub async fn recount_met_into_rollups(
    c: &mut Conn,
    school_year: i64,
    plan: &tongyu_domain::plan::Plan,
) -> Result<()> {
    let met = recount_met(c, school_year, plan).await?;
    DELIVERY.replace(c, &[V::I(school_year)], &met).await
}

/// A school year's classes-met counts as kept and as recounted under `plan`.
pub async fn check_met(
    c: &mut Conn,
    school_year: i64,
    plan: &tongyu_domain::plan::Plan,
) -> Result<Check> {
    Ok(Check {
        kept: DELIVERY.all(c, &[V::I(school_year)]).await?,
        recounted: recount_met(c, school_year, plan).await?,
    })
}

/// Sessions and class hours one teacher taught.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taught {
    pub teacher_id: i64,
    pub sessions: i64,
    pub hours: i64,
}

/// Class hours taught per teacher in a subtree and school year.
pub async fn workload(c: &mut Conn, root_path: &str, school_year: i64) -> Result<Vec<Taught>> {
    let rows = sqlx::query(
        "SELECT s.teacher_id, COUNT(*) AS n, CAST(SUM(s.class_hours) AS BIGINT) AS h
         FROM delivery_sessions s JOIN units u ON u.id = s.class_id
         WHERE s.status = 'held' AND s.school_year = $1 AND u.path >= $2 AND u.path < $3
         GROUP BY s.teacher_id ORDER BY s.teacher_id",
    )
    .bind(school_year)
    .bind_subtree(root_path)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Taught {
                teacher_id: col(r, "teacher_id")?,
                sessions: col(r, "n")?,
                hours: col(r, "h")?,
            })
        })
        .collect()
}

/// A teacher's credited sessions in one school year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct YearWorkload {
    pub school_year: i64,
    pub sessions: i64,
    pub class_hours: i64,
    /// Training sessions presented, and their hours.
    pub training_sessions: i64,
    pub training_hours: i64,
    /// Lectures given through the expert pool, and their hours.
    pub lectures: i64,
    pub lecture_hours: i64,
}

/// A teacher's held sessions and class hours per school year, newest first.
pub async fn workload_of(c: &mut Conn, teacher_id: i64) -> Result<Vec<YearWorkload>> {
    let rows = sqlx::query(
        "SELECT school_year, COUNT(*) AS n, CAST(SUM(class_hours) AS BIGINT) AS h FROM delivery_sessions
         WHERE teacher_id = $1 AND status = 'held' GROUP BY school_year ORDER BY school_year DESC",
    )
    .bind(teacher_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(YearWorkload {
                school_year: col(r, "school_year")?,
                sessions: col(r, "n")?,
                class_hours: col(r, "h")?,
                training_sessions: 0,
                training_hours: 0,
                lectures: 0,
                lecture_hours: 0,
            })
        })
        .collect()
}

/// The held sessions a parent attended: (school year, class hours) each.
pub async fn attended_by(c: &mut Conn, account_id: i64) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT s.school_year, s.class_hours FROM delivery_attendance a
         JOIN delivery_sessions s ON s.id = a.session_id
         WHERE a.account_id = $1 AND s.status = 'held'",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "school_year")?, col(r, "class_hours")?)))
        .collect()
}

/// A course's questionnaire questions, if it has one.
pub async fn questionnaire(c: &mut Conn, course_id: i64) -> Result<Option<Vec<String>>> {
    let q: Option<String> =
        sqlx::query_scalar("SELECT questions FROM questionnaires WHERE course_id = $1")
            .bind(course_id)
            .fetch_optional(&mut *c)
            .await
            .db()?;
    Ok(q.map(|q| q.lines().map(str::to_owned).collect()))
}

pub async fn put_questionnaire(
    c: &mut Conn,
    course_id: i64,
    questions: &[String],
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO questionnaires (course_id, questions, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (course_id) DO UPDATE SET questions = excluded.questions, updated_at = excluded.updated_at",
    )
    .bind(course_id)
    .bind(questions.join("\n"))
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub async fn has_answers(c: &mut Conn, course_id: i64) -> Result<bool> {
    let n: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM questionnaire_answers WHERE course_id = $1 LIMIT 1")
            .bind(course_id)
            .fetch_optional(&mut *c)
            .await
            .db()?;
    Ok(n.is_some())
}

pub struct Answer<'a> {
    pub course_id: i64,
    pub school_year: i64,
    pub account_id: i64,
    pub phase: Phase,
    pub class_id: i64,
    pub answers: &'a [i64],
}

/// Stores a parent's answers; false if they had already answered this round.
pub async fn insert_answer(c: &mut Conn, a: &Answer<'_>, now: i64) -> Result<bool> {
    let text: Vec<String> = a.answers.iter().map(i64::to_string).collect();
    let done = sqlx::query(
        "INSERT INTO questionnaire_answers (course_id, school_year, account_id, phase, class_id, answers, answered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (course_id, school_year, account_id, phase) DO NOTHING",
    )
    .bind(a.course_id)
    .bind(a.school_year)
    .bind(a.account_id)
    .bind(a.phase.as_str())
    .bind(a.class_id)
    .bind(text.join(","))
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(done.rows_affected() > 0)
}

/// The rounds a parent has answered of a course in a school year.
pub async fn answered(
    c: &mut Conn,
    course_id: i64,
    school_year: i64,
    account_id: i64,
) -> Result<Vec<Phase>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT phase FROM questionnaire_answers WHERE course_id = $1 AND school_year = $2 AND account_id = $3",
    )
    .bind(course_id)
    .bind(school_year)
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(|p| Phase::parse(p)).collect()
}

/// Adds one parent's answers to the tallies of each unit.
pub async fn add_to_questionnaire_tallies(
    c: &mut Conn,
    a: &Answer<'_>,
    unit_ids: &[i64],
) -> Result<()> {
    for (i, v) in a.answers.iter().enumerate() {
        let key = [
            V::I(a.course_id),
            V::I(a.school_year),
            V::S(a.phase.as_str()),
            V::I(i as i64),
        ];
        QUESTIONNAIRE.add(c, &key, unit_ids, &[1, *v]).await?;
    }
    Ok(())
}

/// Tallies of these units: (unit, phase, question) → (responses, total).
pub async fn questionnaire_tallies(
    c: &mut Conn,
    course_id: i64,
    school_year: i64,
    unit_ids: &[i64],
) -> Result<HashMap<(i64, Phase, i64), (i64, i64)>> {
    let mut out = HashMap::new();
    for chunk in unit_ids.chunks(500) {
        let sql = format!(
            "SELECT unit_id, phase, question, responses, total FROM questionnaire_tallies
             WHERE course_id = $1 AND school_year = $2 AND unit_id IN ({})",
            crate::placeholders(3, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(course_id)
            .bind(school_year);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.insert(
                (
                    col(&r, "unit_id")?,
                    Phase::parse(&col::<String>(&r, "phase")?)?,
                    col(&r, "question")?,
                ),
                (col(&r, "responses")?, col(&r, "total")?),
            );
        }
    }
    Ok(out)
}

/// The required courses a class of `grade` may be taught: published, of the
/// required category, for every grade or for this one. (id, title)
pub async fn required_courses_for(c: &mut Conn, grade: &str) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT id, title, grades FROM courses WHERE category = 'required' AND status = 'published'
         ORDER BY id",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = Vec::new();
    for r in rows {
        let grades: String = col(&r, "grades")?;
        if grades.is_empty() || grades.split(',').any(|g| g == grade) {
            out.push((col(&r, "id")?, col(&r, "title")?));
        }
    }
    Ok(out)
}
