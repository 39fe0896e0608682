//! Queries of appeals: the codes at the school gate, appeals and their
//! events, notices to units and the calendar of days off.

use tongyu_domain::appeal::{Category, CodeKind, Level, Rating, Source, Status};
use tongyu_domain::{Error, Result};

use crate::{BindSubtree, Conn, DbResult, col};

mod batch;
use board::move_board;
mod board;
mod callbacks;
mod templates;

pub use batch::*;
pub use board::*;
pub use callbacks::*;
pub use templates::*;

fn bad_value(what: &str, v: &str) -> Error {
    tracing::error!(what, value = v, "unknown value stored in appeals");
    Error::internal()
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Code {
    pub id: i64,
    pub token: String,
    pub school_id: i64,
    pub kind: CodeKind,
    pub replaced_by: i64,
    pub created_at: i64,
    /// A replaced code takes appeals until then.
    pub retires_at: i64,
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
        retires_at: col(r, "retires_at")?,
    })
}

const CODE_COLS: &str = "id, token, school_id, kind, replaced_by, created_at, retires_at";

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

/// Points a code to its replacement; it takes appeals until `retires_at`.
pub async fn replace_code(c: &mut Conn, old_id: i64, new_id: i64, retires_at: i64) -> Result<()> {
    sqlx::query("UPDATE appeal_codes SET replaced_by = $1, retires_at = $3 WHERE id = $2")
        .bind(new_id)
        .bind(old_id)
        .bind(retires_at)
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

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
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
    /// A revision of the published reply waiting for sign-off (`by` 0:
    /// none); the parent reads the published reply until it is approved.
    pub revision: Revision,
    /// How many times the published reply was revised.
    pub reply_revisions: i64,
}

/// A pending revision of a published reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Revision {
    pub policy: String,
    pub status: String,
    pub next_steps: String,
    pub reason: String,
    pub by: i64,
    pub at: i64,
}

const COLS: &str = "a.id, a.tracking_code, a.source, a.external_ref, a.school_id, a.unit_id, a.level,
    a.category, a.text, a.contact_name, a.contact_phone, a.status, a.handler_id, a.urgent,
    a.escalations, a.reopened, a.clock_start, a.contact_due, a.contacted_at, a.reply_due,
    a.replied_at, a.swept_at, a.warned_due, a.contact_late, a.reply_late, a.reply_policy, a.reply_status, a.reply_next_steps,
    a.replied_by, a.rating, a.rating_comment, a.rating_due, a.rated_at, a.closed_at, a.created_at,
    a.updated_at, a.spam_by, a.spam_reason, a.spam_at, a.revision_policy, a.revision_status,
    a.revision_next_steps, a.revision_reason, a.revision_by, a.revision_at, a.reply_revisions";

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
        revision: Revision {
            policy: col(r, "revision_policy")?,
            status: col(r, "revision_status")?,
            next_steps: col(r, "revision_next_steps")?,
            reason: col(r, "revision_reason")?,
            by: col(r, "revision_by")?,
            at: col(r, "revision_at")?,
        },
        reply_revisions: col(r, "reply_revisions")?,
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

/// Appeals by id, newest first (ids not found are left out).
pub async fn get_many(c: &mut Conn, ids: &[i64]) -> Result<Vec<Appeal>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!("SELECT {COLS} FROM appeals a WHERE a.id IN ({list})");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *c)
            .await
            .db()?;
        for r in &rows {
            out.push(from_row(r)?);
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.id));
    Ok(out)
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
             spam_by = $29, spam_reason = $30, spam_at = $31, revision_policy = $32,
             revision_status = $33, revision_next_steps = $34, revision_reason = $35,
             revision_by = $36, revision_at = $37, reply_revisions = $38
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
    .bind(&a.revision.policy)
    .bind(&a.revision.status)
    .bind(&a.revision.next_steps)
    .bind(&a.revision.reason)
    .bind(a.revision.by)
    .bind(a.revision.at)
    .bind(a.reply_revisions)
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
    /// Only appeals with a clock still running, the earliest deadline
    /// first (no further pages): a handler's work in the order it is due.
    pub open_by_due: bool,
    /// Keyset: appeals with a smaller id (not with `overdue_at` or
    /// `open_by_due`).
    pub before_id: i64,
    pub limit: i64,
}

/// `next_due` of an appeal with no clock running (see the migration).
const NOTHING_DUE: i64 = 4_611_686_018_427_387_904;

/// How much work waits in some units' inboxes at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct OpenCounts {
    /// Appeals with a clock running.
    pub open: i64,
    /// Of those, with a clock past its deadline.
    pub overdue: i64,
    /// Of those, within the warning time before it (a fifth of the span,
    /// at most a day).
    pub due_soon: i64,
}

/// Counts the open appeals of these units' inboxes at `now` (one range of
/// the inbox's due index per unit).
pub async fn open_counts(c: &mut Conn, units: &[i64], now: i64) -> Result<OpenCounts> {
    if units.is_empty() {
        return Ok(OpenCounts::default());
    }
    let sql = format!(
        "SELECT COUNT(*) AS n,
             CAST(COALESCE(SUM(CASE WHEN a.next_due <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue,
             CAST(COALESCE(SUM(CASE WHEN a.next_due > $1 AND a.next_due - (CASE
                     WHEN (a.next_due - a.clock_start) / 5 > 86400 THEN 86400
                     ELSE (a.next_due - a.clock_start) / 5 END) <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT)
                 AS due_soon
         FROM appeals a WHERE a.unit_id IN ({}) AND a.next_due < {NOTHING_DUE}",
        crate::placeholders(2, units.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
    for u in units {
        q = q.bind(*u);
    }
    let r = q.fetch_one(&mut *c).await.db()?;
    Ok(OpenCounts {
        open: col(&r, "n")?,
        overdue: col(&r, "overdue")?,
        due_soon: col(&r, "due_soon")?,
    })
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
    } else if f.open_by_due {
        wheres.push(format!("a.next_due < {NOTHING_DUE}"));
    }
    let by_due = f.overdue_at.is_some() || f.open_by_due;
    let keyset = f.before_id > 0 && !by_due;
    if keyset {
        wheres.push(format!("a.id < ${next}"));
        next += 1;
    }
    sql.push_str(" WHERE ");
    sql.push_str(&wheres.join(" AND "));
    // Overdue or open ones, the earliest deadline first (one range of the
    // due index); otherwise the newest first.
    if by_due {
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

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
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
