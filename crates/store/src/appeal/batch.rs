//! The public form's submissions, committed many at a time.

use super::board::{add_board, board_key, new_counts};
use super::*;
use crate::rows::{Batch, Col, V};

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
    let batch = Batch {
        head,
        cols: &[
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Int,
            Col::Int,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Lit("'received'"),
            Col::Int,
            Col::Int,
            Col::Int,
            Col::Int,
            Col::Int,
            Col::Int,
            Col::Text,
            Col::Lit("1"),
        ],
        tail: "RETURNING id, tracking_code",
    };
    let got = crate::rows::write(c, &batch, rows, |n, v| {
        v.extend([
            V::S(n.tracking_code),
            V::S(n.source.as_str()),
            V::T(n.external_ref),
            V::I(n.school_id),
            V::I(n.unit_id),
            V::S(n.level.as_str()),
            V::S(n.category.as_str()),
            V::S(n.text),
            V::S(n.contact_name),
            V::S(n.contact_phone),
            V::S(n.dedupe_key),
            V::I(i64::from(n.urgent)),
            V::I(now),
            V::I(n.contact_due),
            V::I(n.reply_due),
            V::I(now),
            V::I(now),
            V::S(n.sender_device),
        ])
    })
    .await?;
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
    let batch = Batch {
        head,
        cols: &[
            Col::Int,
            Col::Text,
            Col::Int,
            Col::Int,
            Col::Int,
            Col::Text,
            Col::Int,
        ],
        tail: "",
    };
    crate::rows::write(c, &batch, events, |(a, k, p, by, u, t), v| {
        v.extend([
            V::I(*a),
            V::S(k),
            V::I(i64::from(*p)),
            V::I(*by),
            V::I(*u),
            V::S(t),
            V::I(now),
        ])
    })
    .await?;
    Ok(())
}
