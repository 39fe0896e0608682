//! Training programmes, sessions and attendance; and the people each of
//! the plan's training targets counts (`training_counted`), summed up the
//! tree in `training_rollups`.
//!
//! One mechanism keeps the counts: [`refresh_people`] works out, for each
//! person it is given, where they are counted (a head teacher's class, a
//! teacher's school, a chair's committee unit) and whether they completed
//! the target, compares that with the rows kept, and adds the difference to
//! the unit and every unit above it. Whatever changes who is counted or
//! what they completed (a grant, an account's state, a committee's chair,
//! an attendance) calls it in its own transaction.

use std::collections::{HashMap, HashSet};

use tongyu_domain::Result;
use tongyu_domain::training::{Mode, ProgrammeKind, Target};

use crate::rollup::{Check, TRAINING, spread};
use crate::rows::V;
use crate::{Conn, DbResult, col};

/// A programme.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Programme {
    pub id: i64,
    pub unit_id: i64,
    pub kind: ProgrammeKind,
    pub title: String,
    pub description: String,
    pub target_hours: i64,
}

const PROGRAMME_COLS: &str = "id, unit_id, kind, title, description, target_hours";

fn programme_from_row(r: &sqlx::any::AnyRow) -> Result<Programme> {
    Ok(Programme {
        id: col(r, "id")?,
        unit_id: col(r, "unit_id")?,
        kind: ProgrammeKind::parse(&col::<String>(r, "kind")?)?,
        title: col(r, "title")?,
        description: col(r, "description")?,
        target_hours: col(r, "target_hours")?,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_programme(
    c: &mut Conn,
    unit_id: i64,
    kind: ProgrammeKind,
    title: &str,
    description: &str,
    target_hours: i64,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO training_programmes
           (unit_id, kind, title, description, target_hours, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(unit_id)
    .bind(kind.as_str())
    .bind(title)
    .bind(description)
    .bind(target_hours)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn programme(c: &mut Conn, id: i64) -> Result<Option<Programme>> {
    let sql = format!("SELECT {PROGRAMME_COLS} FROM training_programmes WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(programme_from_row)
        .transpose()
}

/// Programmes owned by these units, the newest first.
pub async fn programmes_of(c: &mut Conn, unit_ids: &[i64]) -> Result<Vec<Programme>> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PROGRAMME_COLS} FROM training_programmes WHERE unit_id IN ({}) ORDER BY id DESC",
        crate::placeholders(1, unit_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in unit_ids {
        q = q.bind(*id);
    }
    q.fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(programme_from_row)
        .collect()
}

/// A session of a programme.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TrainingSession")]
pub struct Session {
    pub id: i64,
    pub programme_id: i64,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub mode: Mode,
    pub place: String,
    /// The library lesson of an online session (0 for none).
    pub lesson_id: i64,
    pub hours: i64,
    /// Who presented it (credited as workload and as a lecture), or 0.
    pub presenter_id: i64,
    #[serde(skip)]
    pub checkin_token: String,
}

const SESSION_COLS: &str =
    "id, programme_id, title, starts_at, ends_at, mode, place, lesson_id, hours,
     presenter_id, checkin_token";

fn session_from_row(r: &sqlx::any::AnyRow) -> Result<Session> {
    Ok(Session {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        title: col(r, "title")?,
        starts_at: col(r, "starts_at")?,
        ends_at: col(r, "ends_at")?,
        mode: Mode::parse(&col::<String>(r, "mode")?)?,
        place: col(r, "place")?,
        lesson_id: col(r, "lesson_id")?,
        hours: col(r, "hours")?,
        presenter_id: col(r, "presenter_id")?,
        checkin_token: col(r, "checkin_token")?,
    })
}

pub async fn insert_session(c: &mut Conn, s: &Session, by: i64, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO training_sessions
           (programme_id, title, starts_at, ends_at, mode, place, lesson_id, hours, checkin_token,
            created_by, created_at, presenter_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(s.programme_id)
    .bind(&s.title)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(s.mode.as_str())
    .bind(&s.place)
    .bind(s.lesson_id)
    .bind(s.hours)
    .bind(&s.checkin_token)
    .bind(by)
    .bind(now)
    .bind(s.presenter_id)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn session(c: &mut Conn, id: i64) -> Result<Option<Session>> {
    let sql = format!("SELECT {SESSION_COLS} FROM training_sessions WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(session_from_row)
        .transpose()
}

pub async fn session_by_token(c: &mut Conn, token: &str) -> Result<Option<Session>> {
    let sql = format!("SELECT {SESSION_COLS} FROM training_sessions WHERE checkin_token = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(session_from_row)
        .transpose()
}

/// A programme's sessions, by start.
pub async fn sessions_of(c: &mut Conn, programme_id: i64) -> Result<Vec<Session>> {
    let sql = format!(
        "SELECT {SESSION_COLS} FROM training_sessions WHERE programme_id = $1 ORDER BY starts_at, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(programme_id)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(session_from_row)
        .collect()
}

/// The paths of the units whose active committee the account chairs.
pub async fn chaired_paths(c: &mut Conn, account_id: i64) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT u.path FROM committee_members m JOIN parent_committees k ON k.id = m.committee_id
         JOIN units u ON u.id = k.unit_id
         WHERE m.account_id = $1 AND m.seat = 'chair' AND k.status = 'active'",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()
}

/// Every chair of an active committee.
pub async fn chairs(c: &mut Conn) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT m.account_id FROM committee_members m JOIN parent_committees k ON k.id = m.committee_id
         WHERE m.seat = 'chair' AND k.status = 'active' ORDER BY m.account_id",
    )
    .fetch_all(&mut *c)
    .await
    .db()
}

/// Records an attendance; false if the person was already recorded.
pub async fn attend(
    c: &mut Conn,
    session_id: i64,
    account_id: i64,
    method: &str,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO training_attendance (session_id, account_id, method, at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_id, account_id) DO NOTHING",
    )
    .bind(session_id)
    .bind(account_id)
    .bind(method)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

/// Who attended a session: (account id, name, method, at), by name.
pub async fn attendance(c: &mut Conn, session_id: i64) -> Result<Vec<(i64, String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT a.account_id, x.display_name, a.method, a.at
         FROM training_attendance a JOIN accounts x ON x.id = a.account_id
         WHERE a.session_id = $1",
    )
    .bind(session_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok((
                col(r, "account_id")?,
                col(r, "display_name")?,
                col(r, "method")?,
                col(r, "at")?,
            ))
        })
        .collect::<Result<Vec<(i64, String, String, i64)>>>()?;
    tongyu_domain::collate::sort_by_name(&mut out, |a| &a.1);
    Ok(out)
}

/// Everyone who attended a programme's sessions: (session title, start,
/// hours, name, method, when), by session then name.
pub async fn programme_attendance(
    c: &mut Conn,
    programme_id: i64,
) -> Result<Vec<(String, i64, i64, String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT s.title, s.starts_at, s.hours, x.display_name, a.method, a.at
         FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id
         JOIN accounts x ON x.id = a.account_id
         WHERE s.programme_id = $1 ORDER BY s.starts_at, s.id",
    )
    .bind(programme_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "title")?,
                col(r, "starts_at")?,
                col(r, "hours")?,
                col(r, "display_name")?,
                col(r, "method")?,
                col(r, "at")?,
            ))
        })
        .collect()
}

/// One line of a person's training record.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Attended {
    pub session_id: i64,
    pub session_title: String,
    pub starts_at: i64,
    pub hours: i64,
    pub method: String,
    pub programme_id: i64,
    pub programme_title: String,
    pub kind: ProgrammeKind,
    pub target_hours: i64,
}

/// What a person attended, the latest first.
pub async fn attended_by(c: &mut Conn, account_id: i64) -> Result<Vec<Attended>> {
    let rows = sqlx::query(
        "SELECT s.id, s.title, s.starts_at, s.hours, a.method, p.id AS pid, p.title AS ptitle,
                p.kind, p.target_hours
         FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id
         JOIN training_programmes p ON p.id = s.programme_id
         WHERE a.account_id = $1 ORDER BY s.starts_at DESC, s.id DESC",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Attended {
                session_id: col(r, "id")?,
                session_title: col(r, "title")?,
                starts_at: col(r, "starts_at")?,
                hours: col(r, "hours")?,
                method: col(r, "method")?,
                programme_id: col(r, "pid")?,
                programme_title: col(r, "ptitle")?,
                kind: ProgrammeKind::parse(&col::<String>(r, "kind")?)?,
                target_hours: col(r, "target_hours")?,
            })
        })
        .collect()
}

/// Where each person is counted and whether they completed, as the rows
/// say now: (account, unit, measure) → done.
async fn desired(
    c: &mut Conn,
    accounts: Option<&[i64]>,
) -> Result<HashMap<(i64, i64, &'static str), bool>> {
    let filter = |col: &str, first: usize| match accounts {
        Some(ids) => format!(" AND {col} IN ({})", crate::placeholders(first, ids.len())),
        None => String::new(),
    };
    let bind_ids = |mut q: crate::rows::Q<'static>| {
        if let Some(ids) = accounts {
            for id in ids {
                q = q.bind(*id);
            }
        }
        q
    };
    // Completed programme kinds per person.
    let sql = format!(
        "SELECT a.account_id, p.kind FROM training_attendance a
         JOIN training_sessions s ON s.id = a.session_id
         JOIN training_programmes p ON p.id = s.programme_id
         WHERE 1 = 1{}
         GROUP BY a.account_id, p.id, p.kind, p.target_hours
         HAVING SUM(s.hours) >= p.target_hours",
        filter("a.account_id", 1)
    );
    let mut done: HashSet<(i64, String)> = HashSet::new();
    for r in bind_ids(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *c)
        .await
        .db()?
    {
        done.insert((col(&r, "account_id")?, col(&r, "kind")?));
    }
    let completed =
        |account: i64, t: Target| done.contains(&(account, t.kind().as_str().to_owned()));
    let mut out = HashMap::new();
    // Staff, counted where their grant is.
    let sql = format!(
        "SELECT g.account_id, g.unit_id, g.role FROM grants g JOIN accounts a ON a.id = g.account_id
         JOIN units u ON u.id = g.unit_id
         WHERE a.active = 1 AND u.active = 1
           AND g.role IN ('head_teacher', 'teacher', 'instructor'){}",
        filter("g.account_id", 1)
    );
    for r in bind_ids(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *c)
        .await
        .db()?
    {
        let (account, unit): (i64, i64) = (col(&r, "account_id")?, col(&r, "unit_id")?);
        let role = tongyu_domain::account::Role::parse(&col::<String>(&r, "role")?)?;
        for t in Target::ALL {
            if t.roles().contains(&role) {
                out.insert((account, unit, t.key()), completed(account, t));
            }
        }
    }
    // Chairs, counted at their committee's unit.
    let sql = format!(
        "SELECT m.account_id, k.unit_id FROM committee_members m
         JOIN parent_committees k ON k.id = m.committee_id
         JOIN accounts a ON a.id = m.account_id
         WHERE m.seat = 'chair' AND k.status = 'active' AND a.active = 1{}",
        filter("m.account_id", 1)
    );
    for r in bind_ids(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *c)
        .await
        .db()?
    {
        let account: i64 = col(&r, "account_id")?;
        out.insert(
            (account, col(&r, "unit_id")?, Target::Chair.key()),
            completed(account, Target::Chair),
        );
    }
    Ok(out)
}

/// Brings these people's counted rows, and the counts above them, up to
/// date (see the module's note).
pub async fn refresh_people(c: &mut Conn, accounts: &[i64]) -> Result<()> {
    let mut accounts = accounts.to_vec();
    accounts.sort_unstable();
    accounts.dedup();
    for chunk in accounts.chunks(400) {
        let want = desired(c, Some(chunk)).await?;
        let sql = format!(
            "SELECT account_id, unit_id, measure, done FROM training_counted WHERE account_id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        let mut have: HashMap<(i64, i64, String), bool> = HashMap::new();
        for r in q.fetch_all(&mut *c).await.db()? {
            have.insert(
                (
                    col(&r, "account_id")?,
                    col(&r, "unit_id")?,
                    col(&r, "measure")?,
                ),
                col::<i64>(&r, "done")? != 0,
            );
        }
        // The difference per (unit, measure): (people, done).
        let mut delta: HashMap<(i64, String), (i64, i64)> = HashMap::new();
        for ((a, u, m), d) in &have {
            let now = want.get(&(*a, *u, m.as_str()));
            if now == Some(d) {
                continue;
            }
            let e = delta.entry((*u, m.clone())).or_default();
            e.0 -= 1;
            e.1 -= i64::from(*d);
        }
        for ((a, u, m), d) in &want {
            let before = have.get(&(*a, *u, (*m).to_owned()));
            if before == Some(d) {
                continue;
            }
            let e = delta.entry((*u, (*m).to_owned())).or_default();
            e.0 += 1;
            e.1 += i64::from(*d);
        }
        delta.retain(|_, v| *v != (0, 0));
        if !delta.is_empty() {
            let unit_ids: Vec<i64> = {
                let mut v: Vec<i64> = delta.keys().map(|(u, _)| *u).collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let paths = paths_of(c, &unit_ids).await?;
            // Summed per ancestor, then added once each.
            let mut up: HashMap<(String, i64), (i64, i64)> = HashMap::new();
            for ((u, m), (p, d)) in &delta {
                let Some(path) = paths.get(u) else { continue };
                for a in tongyu_domain::org::path_ids(path) {
                    let e = up.entry((m.clone(), a)).or_default();
                    e.0 += p;
                    e.1 += d;
                }
            }
            let mut keys: Vec<&(String, i64)> = up.keys().collect();
            keys.sort();
            for k in keys {
                let (p, d) = up[k];
                if (p, d) != (0, 0) {
                    TRAINING.add(c, &[V::S(&k.0)], &[k.1], &[p, d]).await?;
                }
            }
        }
        let sql = format!(
            "DELETE FROM training_counted WHERE account_id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *c).await.db()?;
        for ((a, u, m), d) in &want {
            sqlx::query(
                "INSERT INTO training_counted (account_id, unit_id, measure, done) VALUES ($1, $2, $3, $4)",
            )
            .bind(*a)
            .bind(*u)
            .bind(*m)
            .bind(i64::from(*d))
            .execute(&mut *c)
            .await
            .db()?;
        }
    }
    Ok(())
}

/// The paths of these units, in chunks.
async fn paths_of(c: &mut Conn, ids: &[i64]) -> Result<HashMap<i64, String>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, path FROM units WHERE id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.insert(col(&r, "id")?, col(&r, "path")?);
        }
    }
    Ok(out)
}

/// Every target's counts from the rows: measure → unit → [people, done].
async fn recount(c: &mut Conn) -> Result<HashMap<String, HashMap<i64, Vec<i64>>>> {
    let want = desired(c, None).await?;
    let units: Vec<i64> = {
        let mut v: Vec<i64> = want.keys().map(|(_, u, _)| *u).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let paths = paths_of(c, &units).await?;
    let mut per: HashMap<&'static str, Vec<(String, Vec<i64>)>> = HashMap::new();
    for ((_, u, m), d) in &want {
        if let Some(p) = paths.get(u) {
            per.entry(m)
                .or_default()
                .push((p.clone(), vec![1, i64::from(*d)]));
        }
    }
    Ok(Target::ALL
        .iter()
        .map(|t| {
            (
                t.key().to_owned(),
                spread(per.remove(t.key()).unwrap_or_default(), true),
            )
        })
        .collect())
}

/// Replaces the counted rows and the counts by a recount (after the demo
/// writes its rows directly).
pub async fn recount_into(c: &mut Conn) -> Result<()> {
    let want = desired(c, None).await?;
    sqlx::query("DELETE FROM training_counted")
        .execute(&mut *c)
        .await
        .db()?;
    for ((a, u, m), d) in &want {
        sqlx::query(
            "INSERT INTO training_counted (account_id, unit_id, measure, done) VALUES ($1, $2, $3, $4)",
        )
        .bind(*a)
        .bind(*u)
        .bind(*m)
        .bind(i64::from(*d))
        .execute(&mut *c)
        .await
        .db()?;
    }
    for (m, counts) in recount(c).await? {
        TRAINING.replace(c, &[V::S(&m)], &counts).await?;
    }
    Ok(())
}

/// Each target's counts as kept beside a recount.
pub async fn check(c: &mut Conn) -> Result<Vec<(String, Check)>> {
    let mut out = Vec::new();
    for (m, recounted) in recount(c).await? {
        out.push((
            m.clone(),
            Check {
                kept: TRAINING.all(c, &[V::S(&m)]).await?,
                recounted,
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The counts of these units for a target: unit → (people, done).
pub async fn read(
    c: &mut Conn,
    target: Target,
    unit_ids: &[i64],
) -> Result<HashMap<i64, (i64, i64)>> {
    Ok(TRAINING
        .read(c, &[V::S(target.key())], unit_ids)
        .await?
        .into_iter()
        .map(|(u, v)| (u, (v[0], v[1])))
        .collect())
}
