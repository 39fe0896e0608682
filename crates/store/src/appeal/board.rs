//! The appeal board's counts per school (or district) and month: kept in
//! the transaction of every change, recounted and compared.

use super::*;
use crate::rollup::APPEAL_BOARD;
use crate::rows::V;

/// The counts a board row is made of, for the appeals concerning one
/// school (or, naming no school, held by one district).
#[derive(Debug, Clone, Default, serde::Serialize, schemars::JsonSchema)]
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
    /// The counters in the order of [`APPEAL_BOARD`]'s columns.
    pub fn counters(&self) -> [i64; 10] {
        [
            self.total,
            self.contact_due,
            self.contact_on_time,
            self.reply_due,
            self.reply_on_time,
            self.escalated,
            self.rated,
            self.pleased,
            self.answered,
            self.reopened,
        ]
    }

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

// ---------------------------------------------------------------- board rollups

/// Which rollup row an appeal counts in: the school it concerns (or the
/// unit holding it, naming none) and its month of receipt.
pub(super) fn board_key(school_id: i64, unit_id: i64, created_at: i64) -> (i64, i64) {
    let holder = if school_id > 0 { school_id } else { unit_id };
    let (y, m, _) =
        tongyu_domain::calendar::civil_from_days(tongyu_domain::calendar::local_day(created_at));
    (holder, y * 100 + i64::from(m))
}

/// A new appeal's counts: one received, nothing else yet.
pub(super) fn new_counts() -> BoardCounts {
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
pub(super) async fn move_board(
    c: &mut Conn,
    before: Option<&Appeal>,
    after: Option<&Appeal>,
) -> Result<()> {
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

pub(super) async fn add_board(c: &mut Conn, rows: &[((i64, i64), BoardCounts)]) -> Result<()> {
    for ((holder, month), d) in rows {
        APPEAL_BOARD
            .add(c, &[V::I(*month)], &[*holder], &d.counters())
            .await?;
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

/// The board's rollups over a subtree as kept, and as counted from the
/// appeals themselves (rows with nothing in them left out).
pub async fn check_board(c: &mut Conn, path: &str) -> Result<crate::rollup::Check> {
    fn by_holder(rows: Vec<(i64, BoardCounts)>) -> std::collections::HashMap<i64, Vec<i64>> {
        rows.into_iter()
            .map(|(holder, d)| (holder, d.counters().to_vec()))
            .filter(|(_, v)| v.iter().any(|n| *n != 0))
            .collect()
    }
    Ok(crate::rollup::Check {
        kept: by_holder(board_rollups(c, path, 0).await?),
        recounted: by_holder(board_counts(c, path, 0).await?),
    })
}

/// Rebuilds the rollups from the appeals (after a bulk load, or to check them).
pub async fn recount_board(c: &mut Conn) -> Result<()> {
    APPEAL_BOARD.clear(c).await?;
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
