//! Queries of appeals: the codes at the school gate, appeals and their
//! events, notices to units and the calendar of days off.

use tongyu_domain::appeal::{Category, CodeKind, DayKind, Level, Rating, Source, Status};
use tongyu_domain::{Error, Result};

use crate::{BindSubtree, Conn, DbResult, col};

mod callbacks;
mod templates;

pub use callbacks::*;
pub use templates::*;

fn bad_value(what: &str, v: &str) -> Error {
    tracing::error!(what, value = v, "unknown value stored in appeals");
    Error::internal()
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Code {
    pub id: i64,
    pub token: String,
    pub school_id: i64,
    pub kind: CodeKind,
    pub replaced_by: i64,
    pub created_at: i64,
}

fn code_from_row(r: &sqlx::any::AnyRow) -> Result<Code> {
    let kind: String = col(r, "kind")?;
    Ok(Code {
        id: col(r, "id")?,
        token: col(r, "token")?,
        school_id: col(r, "school_id")?,
        kind: CodeKind::parse(&kind).ok_or_else(|| bad_value("code kind", &kind))?,
        replaced_by: col::<Option<i64>>(r, "replaced_by")?.unwrap_or(0),
        created_at: col(r, "created_at")?,
    })
}

const CODE_COLS: &str = "id, token, school_id, kind, replaced_by, created_at";

pub async fn insert_code(
    c: &mut Conn,
    token: &str,
    school_id: i64,
    kind: CodeKind,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO appeal_codes (token, school_id, kind, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(token)
    .bind(school_id)
    .bind(kind.as_str())
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn replace_code(c: &mut Conn, old_id: i64, new_id: i64) -> Result<()> {
    sqlx::query("UPDATE appeal_codes SET replaced_by = $1 WHERE id = $2")
        .bind(new_id)
        .bind(old_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub async fn code_by_token(c: &mut Conn, token: &str) -> Result<Option<Code>> {
    let sql = format!("SELECT {CODE_COLS} FROM appeal_codes WHERE token = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    r.as_ref().map(code_from_row).transpose()
}

pub async fn code_by_id(c: &mut Conn, id: i64) -> Result<Option<Code>> {
    let sql = format!("SELECT {CODE_COLS} FROM appeal_codes WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    r.as_ref().map(code_from_row).transpose()
}

pub async fn current_codes(c: &mut Conn, school_id: i64) -> Result<Vec<Code>> {
    let sql = format!(
        "SELECT {CODE_COLS} FROM appeal_codes WHERE school_id = $1 AND replaced_by IS NULL ORDER BY kind"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(school_id)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(code_from_row).collect()
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Appeal {
    pub id: i64,
    pub tracking_code: String,
    pub source: Source,
    pub external_ref: String,
    pub school_id: i64,
    pub unit_id: i64,
    pub level: Level,
    pub category: Category,
    pub text: String,
    /// Sealed: the service opens it for the staff who may see it.
    pub contact_name: String,
    /// Sealed, as `contact_name`.
    pub contact_phone: String,
    pub status: Status,
    pub handler_id: i64,
    pub urgent: bool,
    pub escalations: i64,
    pub reopened: i64,
    pub clock_start: i64,
    pub contact_due: i64,
    pub contacted_at: i64,
    pub reply_due: i64,
    pub replied_at: i64,
    pub swept_at: i64,
    pub warned_due: i64,
    pub contact_late: bool,
    pub reply_late: bool,
    pub reply_policy: String,
    pub reply_status: String,
    pub reply_next_steps: String,
    pub replied_by: i64,
    pub rating: Option<Rating>,
    pub rating_comment: String,
    pub rating_due: i64,
    pub rated_at: i64,
    pub closed_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Who proposed marking it as spam (0: nobody), why and when; the
    /// level above confirms or rejects.
    pub spam_by: i64,
    pub spam_reason: String,
    pub spam_at: i64,
}

const COLS: &str = "a.id, a.tracking_code, a.source, a.external_ref, a.school_id, a.unit_id, a.level,
    a.category, a.text, a.contact_name, a.contact_phone, a.status, a.handler_id, a.urgent,
    a.escalations, a.reopened, a.clock_start, a.contact_due, a.contacted_at, a.reply_due,
    a.replied_at, a.swept_at, a.warned_due, a.contact_late, a.reply_late, a.reply_policy, a.reply_status, a.reply_next_steps,
    a.replied_by, a.rating, a.rating_comment, a.rating_due, a.rated_at, a.closed_at, a.created_at,
    a.updated_at, a.spam_by, a.spam_reason, a.spam_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Appeal> {
    let source: String = col(r, "source")?;
    let level: String = col(r, "level")?;
    let category: String = col(r, "category")?;
    let status: String = col(r, "status")?;
    let rating: String = col(r, "rating")?;
    Ok(Appeal {
        id: col(r, "id")?,
        tracking_code: col(r, "tracking_code")?,
        source: Source::parse(&source).ok_or_else(|| bad_value("source", &source))?,
        external_ref: col::<Option<String>>(r, "external_ref")?.unwrap_or_default(),
        school_id: col(r, "school_id")?,
        unit_id: col(r, "unit_id")?,
        level: Level::parse(&level).ok_or_else(|| bad_value("level", &level))?,
        category: Category::parse(&category).ok_or_else(|| bad_value("category", &category))?,
        text: col(r, "text")?,
        contact_name: col(r, "contact_name")?,
        contact_phone: col(r, "contact_phone")?,
        status: Status::parse(&status).ok_or_else(|| bad_value("status", &status))?,
        handler_id: col(r, "handler_id")?,
        urgent: col::<i64>(r, "urgent")? != 0,
        escalations: col(r, "escalations")?,
        reopened: col(r, "reopened")?,
        clock_start: col(r, "clock_start")?,
        contact_due: col(r, "contact_due")?,
        contacted_at: col(r, "contacted_at")?,
        reply_due: col(r, "reply_due")?,
        replied_at: col(r, "replied_at")?,
        swept_at: col(r, "swept_at")?,
        warned_due: col(r, "warned_due")?,
        contact_late: col::<i64>(r, "contact_late")? != 0,
        reply_late: col::<i64>(r, "reply_late")? != 0,
        reply_policy: col(r, "reply_policy")?,
        reply_status: col(r, "reply_status")?,
        reply_next_steps: col(r, "reply_next_steps")?,
        replied_by: col(r, "replied_by")?,
        rating: if rating.is_empty() {
            None
        } else {
            Some(Rating::parse(&rating).ok_or_else(|| bad_value("rating", &rating))?)
        },
        rating_comment: col(r, "rating_comment")?,
        rating_due: col(r, "rating_due")?,
        rated_at: col(r, "rated_at")?,
        closed_at: col(r, "closed_at")?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
        spam_by: col(r, "spam_by")?,
        spam_reason: col(r, "spam_reason")?,
        spam_at: col(r, "spam_at")?,
    })
}

/// A new appeal, as received.
pub struct NewAppeal<'a> {
    pub tracking_code: &'a str,
    pub source: Source,
    pub external_ref: Option<&'a str>,
    pub school_id: i64,
    pub unit_id: i64,
    pub level: Level,
    pub category: Category,
    pub text: &'a str,
    /// Sealed by the caller (the store never sees the keys).
    pub contact_name: &'a str,
    /// Sealed by the caller.
    pub contact_phone: &'a str,
    pub dedupe_key: &'a str,
    /// The keyed hash of the sending browser, or empty.
    pub sender_device: &'a str,
    pub urgent: bool,
    pub contact_due: i64,
    pub reply_due: i64,
}

/// Inserts one appeal (with its board rollup); returns its id.
pub async fn insert(c: &mut Conn, n: &NewAppeal<'_>, now: i64) -> Result<i64> {
    insert_many(c, std::slice::from_ref(n), now)
        .await?
        .remove(n.tracking_code)
        .ok_or_else(Error::internal)
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Appeal>> {
    let sql = format!("SELECT {COLS} FROM appeals a WHERE a.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    r.as_ref().map(from_row).transpose()
}

pub async fn by_tracking_code(c: &mut Conn, code: &str) -> Result<Option<Appeal>> {
    let sql = format!("SELECT {COLS} FROM appeals a WHERE a.tracking_code = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    r.as_ref().map(from_row).transpose()
}

pub async fn by_external_ref(c: &mut Conn, source: Source, r#ref: &str) -> Result<Option<Appeal>> {
    let sql = format!("SELECT {COLS} FROM appeals a WHERE a.source = $1 AND a.external_ref = $2");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(source.as_str())
        .bind(r#ref)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    r.as_ref().map(from_row).transpose()
}

/// Writes back everything that handling changes (the text, the contact and
/// where it came from never change).
pub async fn save(c: &mut Conn, a: &Appeal, now: i64) -> Result<()> {
    let before = get(c, a.id).await?.ok_or_else(Error::internal)?;
    move_board(c, Some(&before), Some(a)).await?;
    sqlx::query(
        "UPDATE appeals SET unit_id = $1, level = $2, status = $3, handler_id = $4, urgent = $5,
             escalations = $6, reopened = $7, clock_start = $8, contact_due = $9, contacted_at = $10,
             reply_due = $11, replied_at = $12, contact_late = $13, reply_late = $14,
             reply_policy = $15, reply_status = $16, reply_next_steps = $17, replied_by = $18,
             rating = $19, rating_comment = $20, rating_due = $21, rated_at = $22, closed_at = $23,
             swept_at = $24, warned_due = $25, updated_at = $26, school_id = $27,
             spam_by = $29, spam_reason = $30, spam_at = $31
         WHERE id = $28",
    )
    .bind(a.unit_id)
    .bind(a.level.as_str())
    .bind(a.status.as_str())
    .bind(a.handler_id)
    .bind(i64::from(a.urgent))
    .bind(a.escalations)
    .bind(a.reopened)
    .bind(a.clock_start)
    .bind(a.contact_due)
    .bind(a.contacted_at)
    .bind(a.reply_due)
    .bind(a.replied_at)
    .bind(i64::from(a.contact_late))
    .bind(i64::from(a.reply_late))
    .bind(&a.reply_policy)
    .bind(&a.reply_status)
    .bind(&a.reply_next_steps)
    .bind(a.replied_by)
    .bind(a.rating.map_or("", |r| r.as_str()))
    .bind(&a.rating_comment)
    .bind(a.rating_due)
    .bind(a.rated_at)
    .bind(a.closed_at)
    .bind(a.swept_at)
    .bind(a.warned_due)
    .bind(now)
    .bind(a.school_id)
    .bind(a.id)
    .bind(a.spam_by)
    .bind(&a.spam_reason)
    .bind(a.spam_at)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Open appeals inside the subtree at `root` with a spam mark waiting to be
/// confirmed, oldest proposal first.
pub async fn spam_pending(c: &mut Conn, root: &str, limit: i64) -> Result<Vec<Appeal>> {
    let sql = format!(
        "SELECT {COLS} FROM appeals a JOIN units u ON u.id = a.unit_id
         WHERE a.spam_by > 0 AND a.status NOT IN ('closed', 'spam')
           AND u.path >= $1 AND u.path < $2
         ORDER BY a.spam_at LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind_subtree(root)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(from_row).collect()
}

/// What an inbox shows.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// Only appeals in these units' inboxes; empty means "by path" below.
    pub units: Vec<i64>,
    /// Or: every appeal held by a unit in this subtree.
    pub path: Option<String>,
    /// One status; None for all but spam.
    pub status: Option<Status>,
    /// Only those with a running clock past due.
    pub overdue_at: Option<i64>,
    /// Keyset: appeals with a smaller id (not with `overdue_at`).
    pub before_id: i64,
    pub limit: i64,
}

/// The newest appeals of an inbox first. Reads only the index entries of
/// the units asked for, so its cost follows the page, not the city.
pub async fn inbox(c: &mut Conn, f: &InboxFilter) -> Result<Vec<Appeal>> {
    let mut sql = format!("SELECT {COLS} FROM appeals a");
    let mut next = 1;
    let mut wheres: Vec<String> = Vec::new();
    if !f.units.is_empty() {
        wheres.push(format!(
            "a.unit_id IN ({})",
            crate::placeholders(next, f.units.len())
        ));
        next += f.units.len();
    } else if f.path.is_some() {
        sql.push_str(" JOIN units u ON u.id = a.unit_id");
        wheres.push(format!("u.path >= ${next} AND u.path < ${}", next + 1));
        next += 2;
    } else {
        return Ok(Vec::new());
    }
    match f.status {
        Some(_) => {
            wheres.push(format!("a.status = ${next}"));
            next += 1;
        }
        None => wheres.push("a.status <> 'spam'".into()),
    }
    if f.overdue_at.is_some() {
        wheres.push(format!("a.next_due <= ${next}"));
        next += 1;
    }
    let keyset = f.before_id > 0 && f.overdue_at.is_none();
    if keyset {
        wheres.push(format!("a.id < ${next}"));
        next += 1;
    }
    sql.push_str(" WHERE ");
    sql.push_str(&wheres.join(" AND "));
    // Overdue ones, most overdue first (one range of the due index);
    // otherwise the newest first.
    if f.overdue_at.is_some() {
        sql.push_str(&format!(" ORDER BY a.next_due, a.id LIMIT ${next}"));
    } else {
        sql.push_str(&format!(" ORDER BY a.id DESC LIMIT ${next}"));
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for u in &f.units {
        q = q.bind(*u);
    }
    if f.units.is_empty()
        && let Some(p) = &f.path
    {
        q = q.bind_subtree(p);
    }
    if let Some(s) = f.status {
        q = q.bind(s.as_str());
    }
    if let Some(t) = f.overdue_at {
        q = q.bind(t);
    }
    if keyset {
        q = q.bind(f.before_id);
    }
    q = q.bind(f.limit);
    let rows = q.fetch_all(&mut *c).await.db()?;
    rows.iter().map(from_row).collect()
}

/// Appeals matching `cond` (which may use `$1`, the time), in `order`, at
/// most `limit` (`$2`): the sweep's three questions.
async fn select_at(
    c: &mut Conn,
    cond: &str,
    order: &str,
    now: i64,
    limit: i64,
) -> Result<Vec<Appeal>> {
    let sql = format!("SELECT {COLS} FROM appeals a WHERE {cond} ORDER BY {order} LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(from_row).collect()
}

/// Open appeals whose first-contact or reply clock ran out by `now` and
/// that the sweep has not acted on since (most overdue first, at most
/// `limit`).
pub async fn overdue(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<Appeal>> {
    select_at(
        c,
        "a.next_due <= $1 AND a.next_due > a.swept_at",
        "a.next_due",
        now,
        limit,
    )
    .await
}

/// The city's open appeals (no level above theirs), read through the
/// city's inbox index.
const OPEN_AT_TOP: &str = "a.unit_id IN (SELECT id FROM units WHERE parent_id IS NULL)
     AND a.status IN ('received', 'in_progress', 'awaiting_sign_off')";

/// The clock `due` (a column) is within its warning time at `$1` and not yet
/// warned about. The warning time is `domain::appeal::warn_before`'s rule (a
/// fifth of the span, at most a day), written here so that an index on the
/// clock finds them.
fn within_warning(due: &str) -> String {
    format!(
        "{due} > $1 AND {due} <= $1 + 86400 AND a.warned_due < {due}
         AND {due} - (CASE WHEN ({due} - a.clock_start) / 5 > 86400 THEN 86400
                           ELSE ({due} - a.clock_start) / 5 END) <= $1"
    )
}

/// Open appeals at the city whose reply clock ran out by `now` after the
/// sweep flagged their missed first contact: `next_due` stays on that
/// contact clock until someone contacts the parent, so [`overdue`] does not
/// find them again.
pub async fn overdue_replies_at_top(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<Appeal>> {
    let cond = format!(
        "{OPEN_AT_TOP} AND a.contact_late = 1 AND a.reply_late = 0 AND a.replied_at = 0
         AND a.reply_due <= $1"
    );
    select_at(c, &cond, "a.reply_due", now, limit).await
}

/// Open appeals at the city that missed their first contact (the sweep
/// flagged it) and whose reply clock is now within its warning time:
/// [`due_soon`] looks at `next_due`, which stays on the missed contact clock.
pub async fn reply_due_soon_at_top(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<Appeal>> {
    let cond = format!(
        "{OPEN_AT_TOP} AND a.contacted_at = 0 AND a.replied_at = 0 AND a.contact_due <= a.swept_at
         AND {}",
        within_warning("a.reply_due")
    );
    select_at(c, &cond, "a.reply_due", now, limit).await
}

/// Open appeals whose running clock is within its warning time and not
/// yet warned about ([`within_warning`]).
pub async fn due_soon(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<Appeal>> {
    select_at(c, &within_warning("a.next_due"), "a.next_due", now, limit).await
}

/// Replied appeals whose rating window closed by `now`.
pub async fn rating_expired(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<Appeal>> {
    select_at(
        c,
        "a.status = 'replied' AND a.rating_due <= $1",
        "a.id",
        now,
        limit,
    )
    .await
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub id: i64,
    pub appeal_id: i64,
    pub kind: String,
    pub public: bool,
    pub actor_id: i64,
    pub unit_id: i64,
    pub text: String,
    pub created_at: i64,
}

pub struct NewEvent<'a> {
    pub appeal_id: i64,
    pub kind: &'a str,
    pub public: bool,
    pub actor_id: i64,
    pub unit_id: i64,
    pub text: &'a str,
}

pub async fn add_event(c: &mut Conn, e: &NewEvent<'_>, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO appeal_events (appeal_id, kind, public, actor_id, unit_id, text, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.appeal_id)
    .bind(e.kind)
    .bind(i64::from(e.public))
    .bind(e.actor_id)
    .bind(e.unit_id)
    .bind(e.text)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// An appeal's events in order; `public_only` for the parent's page.
pub async fn events(c: &mut Conn, appeal_id: i64, public_only: bool) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT id, appeal_id, kind, public, actor_id, unit_id, text, created_at FROM appeal_events
         WHERE appeal_id = $1 AND ($2 = 0 OR public = 1) ORDER BY id",
    )
    .bind(appeal_id)
    .bind(i64::from(public_only))
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                id: col(r, "id")?,
                appeal_id: col(r, "appeal_id")?,
                kind: col(r, "kind")?,
                public: col::<i64>(r, "public")? != 0,
                actor_id: col(r, "actor_id")?,
                unit_id: col(r, "unit_id")?,
                text: col(r, "text")?,
                created_at: col(r, "created_at")?,
            })
        })
        .collect()
}

pub async fn add_photo(c: &mut Conn, appeal_id: i64, media_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO appeal_photos (appeal_id, media_id) VALUES ($1, $2)")
        .bind(appeal_id)
        .bind(media_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// The tokens of an appeal's photos (served at /media/f/{token}).
pub async fn photo_tokens(c: &mut Conn, appeal_id: i64) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT m.token FROM appeal_photos p JOIN media_files m ON m.id = p.media_id
         WHERE p.appeal_id = $1 ORDER BY m.id",
    )
    .bind(appeal_id)
    .fetch_all(&mut *c)
    .await
    .db()
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Notice {
    pub id: i64,
    pub unit_id: i64,
    pub appeal_id: i64,
    pub text: String,
    pub created_at: i64,
}

pub async fn notify(
    c: &mut Conn,
    unit_id: i64,
    appeal_id: i64,
    text: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO appeal_notices (unit_id, appeal_id, text, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(unit_id)
    .bind(appeal_id)
    .bind(text)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Unread notices of these units, newest first.
pub async fn unread_notices(c: &mut Conn, units: &[i64], limit: i64) -> Result<Vec<Notice>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, unit_id, appeal_id, text, created_at FROM appeal_notices
         WHERE read_at = 0 AND unit_id IN ({}) ORDER BY id DESC LIMIT ${}",
        crate::placeholders(1, units.len()),
        units.len() + 1
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for u in units {
        q = q.bind(*u);
    }
    let rows = q.bind(limit).fetch_all(&mut *c).await.db()?;
    rows.iter()
        .map(|r| {
            Ok(Notice {
                id: col(r, "id")?,
                unit_id: col(r, "unit_id")?,
                appeal_id: col(r, "appeal_id")?,
                text: col(r, "text")?,
                created_at: col(r, "created_at")?,
            })
        })
        .collect()
}

pub async fn read_notices(c: &mut Conn, units: &[i64], appeal_id: i64, now: i64) -> Result<()> {
    for u in units {
        sqlx::query(
            "UPDATE appeal_notices SET read_at = $1 WHERE unit_id = $2 AND appeal_id = $3 AND read_at = 0",
        )
        .bind(now)
        .bind(*u)
        .bind(appeal_id)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(())
}

/// The calendar's exceptions to the usual week.
pub async fn calendar(c: &mut Conn) -> Result<Vec<(i64, DayKind, String)>> {
    let rows = sqlx::query("SELECT day, kind, note FROM calendar_days ORDER BY day")
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter()
        .map(|r| {
            let kind: String = col(r, "kind")?;
            Ok((
                col(r, "day")?,
                DayKind::parse(&kind).ok_or_else(|| bad_value("day kind", &kind))?,
                col(r, "note")?,
            ))
        })
        .collect()
}

pub async fn set_day(c: &mut Conn, day: i64, kind: Option<DayKind>, note: &str) -> Result<()> {
    sqlx::query("DELETE FROM calendar_days WHERE day = $1")
        .bind(day)
        .execute(&mut *c)
        .await
        .db()?;
    if let Some(k) = kind {
        sqlx::query("INSERT INTO calendar_days (day, kind, note) VALUES ($1, $2, $3)")
            .bind(day)
            .bind(k.as_str())
            .bind(note)
            .execute(&mut *c)
            .await
            .db()?;
    }
    Ok(())
}

/// Appeals of one source held by units in a subtree, oldest first.
pub async fn by_source_within(
    c: &mut Conn,
    source: Source,
    path: &str,
    limit: i64,
) -> Result<Vec<Appeal>> {
    let sql = format!(
        "SELECT {COLS} FROM appeals a JOIN units u ON u.id = a.unit_id
         WHERE a.source = $1 AND u.path >= $2 AND u.path < $3 ORDER BY a.id LIMIT $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(source.as_str())
        .bind_subtree(path)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(from_row).collect()
}

/// The counts a board row is made of, for the appeals concerning one
/// school (or, naming no school, held by one district).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BoardCounts {
    pub total: i64,
    /// Appeals whose first contact was made or is late, and of those made in time.
    pub contact_due: i64,
    pub contact_on_time: i64,
    pub reply_due: i64,
    pub reply_on_time: i64,
    pub escalated: i64,
    pub rated: i64,
    /// Satisfied or basically satisfied.
    pub pleased: i64,
    pub answered: i64,
    pub reopened: i64,
}

impl BoardCounts {
    pub fn add(&mut self, o: &BoardCounts) {
        self.total += o.total;
        self.contact_due += o.contact_due;
        self.contact_on_time += o.contact_on_time;
        self.reply_due += o.reply_due;
        self.reply_on_time += o.reply_on_time;
        self.escalated += o.escalated;
        self.rated += o.rated;
        self.pleased += o.pleased;
        self.answered += o.answered;
        self.reopened += o.reopened;
    }
}

/// Board counts per school (or district, for appeals naming no school) in
/// a subtree, for appeals received from `from` on; spam left out.
pub async fn board_counts(c: &mut Conn, path: &str, from: i64) -> Result<Vec<(i64, BoardCounts)>> {
    let rows = sqlx::query(
        "SELECT u.id AS uid, COUNT(*) AS total,
             SUM(CASE WHEN a.contacted_at > 0 OR a.contact_late = 1 THEN 1 ELSE 0 END) AS contact_due,
             SUM(CASE WHEN a.contacted_at > 0 AND a.contact_late = 0 THEN 1 ELSE 0 END) AS contact_on_time,
             SUM(CASE WHEN a.replied_at > 0 OR a.reply_late = 1 THEN 1 ELSE 0 END) AS reply_due,
             SUM(CASE WHEN a.replied_at > 0 AND a.reply_late = 0 THEN 1 ELSE 0 END) AS reply_on_time,
             SUM(CASE WHEN a.escalations > 0 THEN 1 ELSE 0 END) AS escalated,
             SUM(CASE WHEN a.rating IN ('satisfied', 'basically_satisfied', 'unsatisfied') THEN 1 ELSE 0 END) AS rated,
             SUM(CASE WHEN a.rating IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END) AS pleased,
             SUM(CASE WHEN a.replied_at > 0 OR a.reopened > 0 THEN 1 ELSE 0 END) AS answered,
             SUM(CASE WHEN a.reopened > 0 THEN 1 ELSE 0 END) AS reopened
         FROM appeals a
         JOIN units u ON u.id = (CASE WHEN a.school_id > 0 THEN a.school_id ELSE a.unit_id END)
         WHERE u.path >= $1 AND u.path < $2 AND a.created_at >= $3 AND a.status <> 'spam'
         GROUP BY u.id",
    )
    .bind_subtree(path)
    .bind(from)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(board_row).collect()
}

// ---------------------------------------------------------------- batches
//
// The public form's writer commits many submissions in one transaction.
// Each statement below takes its rows as one JSON parameter, so a batch
// costs a handful of statements whatever its size (see learning's
// progress batches for why not one parameter per value).

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|_| Error::internal())
}

/// Appeals made since `since` under any of these dedupe keys: key →
/// (tracking code, contact due, reply due), the latest of each key.
pub async fn recent_duplicates(
    c: &mut Conn,
    keys: &[&str],
    since: i64,
) -> Result<std::collections::HashMap<String, Duplicate>> {
    let mut out = std::collections::HashMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    // The keys drive the join, one index probe each (SQLite's CROSS JOIN
    // keeps that order; with `IN (SELECT ...)` it chose to scan every
    // appeal). On PostgreSQL the probe is a LATERAL subquery with a LIMIT,
    // which the planner cannot fold into a join: as a plain join it hashed
    // the keys and scanned every appeal whenever the table's statistics
    // were older than its growth (3.4 ms at 6,000 appeals, and growing).
    // Either way the newest appeal under a key is the one kept.
    let sql = if crate::is_postgres(c) {
        "SELECT a.dedupe_key, a.id, a.tracking_code, a.sender_device, a.contact_due, a.reply_due
         FROM jsonb_array_elements_text($1::jsonb) k(v)
         CROSS JOIN LATERAL (SELECT id, dedupe_key, tracking_code, sender_device, contact_due,
                                    reply_due
                             FROM appeals
                             WHERE dedupe_key = k.v AND created_at >= $2
                             ORDER BY created_at DESC LIMIT 1) a"
    } else {
        "SELECT a.dedupe_key, a.id, a.tracking_code, a.sender_device, a.contact_due, a.reply_due
         FROM json_each($1) k CROSS JOIN appeals a
         WHERE a.dedupe_key = k.value AND a.created_at >= $2 ORDER BY a.created_at"
    };
    let rows = sqlx::query(sql)
        .bind(to_json(&keys)?)
        .bind(since)
        .fetch_all(&mut *c)
        .await
        .db()?;
    for r in &rows {
        out.insert(
            col(r, "dedupe_key")?,
            Duplicate {
                id: col(r, "id")?,
                tracking_code: col(r, "tracking_code")?,
                sender_device: col(r, "sender_device")?,
                contact_due: col(r, "contact_due")?,
                reply_due: col(r, "reply_due")?,
            },
        );
    }
    Ok(out)
}

/// An appeal already received under a duplicate key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub id: i64,
    pub tracking_code: String,
    pub sender_device: String,
    pub contact_due: i64,
    pub reply_due: i64,
}

/// Inserts many appeals in a few statements ([`crate::rows`] on SQLite);
/// returns tracking code → id.
pub async fn insert_many(
    c: &mut Conn,
    rows: &[NewAppeal<'_>],
    now: i64,
) -> Result<std::collections::HashMap<String, i64>> {
    let mut out = std::collections::HashMap::with_capacity(rows.len());
    if rows.is_empty() {
        return Ok(out);
    }
    let mut board: std::collections::HashMap<(i64, i64), BoardCounts> =
        std::collections::HashMap::new();
    for n in rows {
        board
            .entry(board_key(n.school_id, n.unit_id, now))
            .or_default()
            .add(&new_counts());
    }
    let board: Vec<((i64, i64), BoardCounts)> = board.into_iter().collect();
    add_board(c, &board).await?;
    let head =
        "INSERT INTO appeals (tracking_code, source, external_ref, school_id, unit_id, level,
             category, text, contact_name, contact_phone, dedupe_key, status, urgent, clock_start,
             contact_due, reply_due, created_at, updated_at, sender_device, contact_sealed)";
    let got = if crate::is_postgres(c) {
        let flat: Vec<serde_json::Value> = rows
            .iter()
            .map(|n| {
                serde_json::json!([
                    n.tracking_code,
                    n.source.as_str(),
                    n.external_ref,
                    n.school_id,
                    n.unit_id,
                    n.level.as_str(),
                    n.category.as_str(),
                    n.text,
                    n.contact_name,
                    n.contact_phone,
                    n.dedupe_key,
                    i64::from(n.urgent),
                    n.contact_due,
                    n.reply_due,
                    n.sender_device
                ])
            })
            .collect();
        let sql = format!(
            "{head}
             SELECT r->>0, r->>1, r->>2, (r->>3)::bigint, (r->>4)::bigint, r->>5, r->>6, r->>7, r->>8,
                    r->>9, r->>10, 'received', (r->>11)::bigint, $2, (r->>12)::bigint, (r->>13)::bigint, $2, $2,
                    r->>14, 1
             FROM jsonb_array_elements($1::jsonb) r
             RETURNING id, tracking_code"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_json(&flat)?)
            .bind(now)
            .fetch_all(&mut *c)
            .await
            .db()?
    } else {
        crate::rows::insert(
            c,
            head,
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, 1)",
            "RETURNING id, tracking_code",
            rows,
            |q, n| {
                q.bind(n.tracking_code)
                    .bind(n.source.as_str())
                    .bind(n.external_ref)
                    .bind(n.school_id)
                    .bind(n.unit_id)
                    .bind(n.level.as_str())
                    .bind(n.category.as_str())
                    .bind(n.text)
                    .bind(n.contact_name)
                    .bind(n.contact_phone)
                    .bind(n.dedupe_key)
                    .bind(i64::from(n.urgent))
                    .bind(now)
                    .bind(n.contact_due)
                    .bind(n.reply_due)
                    .bind(now)
                    .bind(now)
                    .bind(n.sender_device)
            },
        )
        .await?
    };
    for r in &got {
        out.insert(col(r, "tracking_code")?, col(r, "id")?);
    }
    if out.len() != rows.len() {
        tracing::error!(
            sent = rows.len(),
            stored = out.len(),
            "a batch of appeals was not stored whole"
        );
        return Err(Error::internal());
    }
    Ok(out)
}

/// Adds many events in a few statements: (appeal, kind, public, actor, unit, text).
pub async fn add_events_many(
    c: &mut Conn,
    events: &[(i64, &str, bool, i64, i64, &str)],
    now: i64,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let head =
        "INSERT INTO appeal_events (appeal_id, kind, public, actor_id, unit_id, text, created_at)";
    if !crate::is_postgres(c) {
        crate::rows::insert(
            c,
            head,
            "(?, ?, ?, ?, ?, ?, ?)",
            "",
            events,
            |q, (a, k, p, by, u, t)| {
                q.bind(*a)
                    .bind(*k)
                    .bind(i64::from(*p))
                    .bind(*by)
                    .bind(*u)
                    .bind(*t)
                    .bind(now)
            },
        )
        .await?;
        return Ok(());
    }
    let flat: Vec<(i64, &str, i64, i64, i64, &str)> = events
        .iter()
        .map(|(a, k, p, by, u, t)| (*a, *k, i64::from(*p), *by, *u, *t))
        .collect();
    let sql = format!(
        "{head}
         SELECT (r->>0)::bigint, r->>1, (r->>2)::bigint, (r->>3)::bigint, (r->>4)::bigint, r->>5, $2
         FROM jsonb_array_elements($1::jsonb) r"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to_json(&flat)?)
        .bind(now)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

// ---------------------------------------------------------------- board rollups

/// Which rollup row an appeal counts in: the school it concerns (or the
/// unit holding it, naming none) and its month of receipt.
fn board_key(school_id: i64, unit_id: i64, created_at: i64) -> (i64, i64) {
    let holder = if school_id > 0 { school_id } else { unit_id };
    let (y, m, _) =
        tongyu_domain::appeal::civil_from_days(tongyu_domain::appeal::local_day(created_at));
    (holder, y * 100 + i64::from(m))
}

/// A new appeal's counts: one received, nothing else yet.
fn new_counts() -> BoardCounts {
    BoardCounts {
        total: 1,
        ..BoardCounts::default()
    }
}

/// What one appeal adds to the board, as the board's query counts it.
fn counts_of(a: &Appeal) -> BoardCounts {
    if a.status == Status::Spam {
        return BoardCounts::default();
    }
    let rated = matches!(
        a.rating,
        Some(Rating::Satisfied | Rating::BasicallySatisfied | Rating::Unsatisfied)
    );
    let b = |x: bool| i64::from(x);
    BoardCounts {
        total: 1,
        contact_due: b(a.contacted_at > 0 || a.contact_late),
        contact_on_time: b(a.contacted_at > 0 && !a.contact_late),
        reply_due: b(a.replied_at > 0 || a.reply_late),
        reply_on_time: b(a.replied_at > 0 && !a.reply_late),
        escalated: b(a.escalations > 0),
        rated: b(rated),
        pleased: b(matches!(
            a.rating,
            Some(Rating::Satisfied | Rating::BasicallySatisfied)
        )),
        answered: b(a.replied_at > 0 || a.reopened > 0),
        reopened: b(a.reopened > 0),
    }
}

impl BoardCounts {
    fn negated(&self) -> BoardCounts {
        BoardCounts {
            total: -self.total,
            contact_due: -self.contact_due,
            contact_on_time: -self.contact_on_time,
            reply_due: -self.reply_due,
            reply_on_time: -self.reply_on_time,
            escalated: -self.escalated,
            rated: -self.rated,
            pleased: -self.pleased,
            answered: -self.answered,
            reopened: -self.reopened,
        }
    }
}

/// Moves an appeal's contribution from its old state to its new one.
async fn move_board(c: &mut Conn, before: Option<&Appeal>, after: Option<&Appeal>) -> Result<()> {
    let mut rows: Vec<((i64, i64), BoardCounts)> = Vec::new();
    if let Some(a) = before {
        rows.push((
            board_key(a.school_id, a.unit_id, a.created_at),
            counts_of(a).negated(),
        ));
    }
    if let Some(a) = after {
        let key = board_key(a.school_id, a.unit_id, a.created_at);
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, d)) => d.add(&counts_of(a)),
            None => rows.push((key, counts_of(a))),
        }
    }
    add_board(c, &rows).await
}

async fn add_board(c: &mut Conn, rows: &[((i64, i64), BoardCounts)]) -> Result<()> {
    for ((holder, month), d) in rows {
        sqlx::query(
            "INSERT INTO appeal_board_rollups (holder_id, month, total, contact_due, contact_on_time,
                 reply_due, reply_on_time, escalated, rated, pleased, answered, reopened)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (holder_id, month) DO UPDATE SET
                 total = appeal_board_rollups.total + excluded.total,
                 contact_due = appeal_board_rollups.contact_due + excluded.contact_due,
                 contact_on_time = appeal_board_rollups.contact_on_time + excluded.contact_on_time,
                 reply_due = appeal_board_rollups.reply_due + excluded.reply_due,
                 reply_on_time = appeal_board_rollups.reply_on_time + excluded.reply_on_time,
                 escalated = appeal_board_rollups.escalated + excluded.escalated,
                 rated = appeal_board_rollups.rated + excluded.rated,
                 pleased = appeal_board_rollups.pleased + excluded.pleased,
                 answered = appeal_board_rollups.answered + excluded.answered,
                 reopened = appeal_board_rollups.reopened + excluded.reopened",
        )
        .bind(*holder)
        .bind(*month)
        .bind(d.total)
        .bind(d.contact_due)
        .bind(d.contact_on_time)
        .bind(d.reply_due)
        .bind(d.reply_on_time)
        .bind(d.escalated)
        .bind(d.rated)
        .bind(d.pleased)
        .bind(d.answered)
        .bind(d.reopened)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(())
}

/// Board counts per holder (school, or district for appeals naming no
/// school) in a subtree, from the rollups, for months from `from_month`
/// (YYYYMM) on. (PostgreSQL sums BIGINTs as NUMERIC: cast back.)
pub async fn board_rollups(
    c: &mut Conn,
    path: &str,
    from_month: i64,
) -> Result<Vec<(i64, BoardCounts)>> {
    let rows = sqlx::query(
        "SELECT r.holder_id AS uid,
             CAST(SUM(r.total) AS BIGINT) AS total,
             CAST(SUM(r.contact_due) AS BIGINT) AS contact_due,
             CAST(SUM(r.contact_on_time) AS BIGINT) AS contact_on_time,
             CAST(SUM(r.reply_due) AS BIGINT) AS reply_due,
             CAST(SUM(r.reply_on_time) AS BIGINT) AS reply_on_time,
             CAST(SUM(r.escalated) AS BIGINT) AS escalated,
             CAST(SUM(r.rated) AS BIGINT) AS rated,
             CAST(SUM(r.pleased) AS BIGINT) AS pleased,
             CAST(SUM(r.answered) AS BIGINT) AS answered,
             CAST(SUM(r.reopened) AS BIGINT) AS reopened
         FROM appeal_board_rollups r JOIN units u ON u.id = r.holder_id
         WHERE u.path >= $1 AND u.path < $2 AND r.month >= $3
         GROUP BY r.holder_id",
    )
    .bind_subtree(path)
    .bind(from_month)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(board_row).collect()
}

fn board_row(r: &sqlx::any::AnyRow) -> Result<(i64, BoardCounts)> {
    Ok((
        col(r, "uid")?,
        BoardCounts {
            total: col(r, "total")?,
            contact_due: col(r, "contact_due")?,
            contact_on_time: col(r, "contact_on_time")?,
            reply_due: col(r, "reply_due")?,
            reply_on_time: col(r, "reply_on_time")?,
            escalated: col(r, "escalated")?,
            rated: col(r, "rated")?,
            pleased: col(r, "pleased")?,
            answered: col(r, "answered")?,
            reopened: col(r, "reopened")?,
        },
    ))
}

/// Rebuilds the rollups from the appeals (after a bulk load, or to check them).
pub async fn recount_board(c: &mut Conn) -> Result<()> {
    sqlx::query("DELETE FROM appeal_board_rollups")
        .execute(&mut *c)
        .await
        .db()?;
    let mut from_id = 0i64;
    loop {
        let sql = format!("SELECT {COLS} FROM appeals a WHERE a.id > $1 ORDER BY a.id LIMIT 5000");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from_id)
            .fetch_all(&mut *c)
            .await
            .db()?;
        if rows.is_empty() {
            break;
        }
        let mut sums: std::collections::HashMap<(i64, i64), BoardCounts> =
            std::collections::HashMap::new();
        for r in &rows {
            let a = from_row(r)?;
            from_id = a.id;
            sums.entry(board_key(a.school_id, a.unit_id, a.created_at))
                .or_default()
                .add(&counts_of(&a));
        }
        let sums: Vec<((i64, i64), BoardCounts)> = sums.into_iter().collect();
        add_board(c, &sums).await?;
    }
    Ok(())
}
