//! The audit log: append-only, each entry chained to the one before by a
//! hash, so that an edited or deleted entry breaks the chain. From
//! `audit_head.keyed_from` on, the hash is an HMAC-SHA-256 under a key kept
//! outside the database ([`crate::ChainKey`]): someone who can write to the
//! database cannot rewrite an entry and recompute the links after it.

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use tongyu_domain::{Error, Result};

use crate::rows::{Batch, Col, V};
use crate::{ChainKey, Conn, DbResult, Tx, col};

/// What happened, as the caller describes it.
#[derive(Debug, Clone, Default, serde::Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub unit_id: Option<i64>,
    /// `ok`, `denied` or `failed`.
    pub result: String,
    pub ip: String,
    pub request_id: String,
    pub detail: String,
}

/// An entry as stored, with its place in the chain.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct AuditRecord {
    pub seq: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry over the previous hash and every field, separated
/// by a unit separator that no field contains unescaped: HMAC-SHA-256 under
/// `key` for a keyed entry, plain SHA-256 for one written before keying.
pub fn chain_hash(key: Option<&ChainKey>, prev: &str, seq: i64, e: &AuditEntry) -> String {
    let fields = [
        prev.to_owned(),
        seq.to_string(),
        e.at.to_string(),
        e.actor_id.map(|i| i.to_string()).unwrap_or_default(),
        e.actor.clone(),
        e.action.clone(),
        e.object_type.clone(),
        e.object_id.clone(),
        e.unit_id.map(|i| i.to_string()).unwrap_or_default(),
        e.result.clone(),
        e.ip.clone(),
        e.request_id.clone(),
        e.detail.clone(),
    ];
    let bytes: Vec<u8> = fields
        .iter()
        .flat_map(|f| {
            let mut b = f.replace('\u{1f}', "\u{1f}\u{1f}").into_bytes();
            b.push(0x1f);
            b
        })
        .collect();
    match key {
        Some(k) => {
            let Ok(mut mac) = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&k.0[..]) else {
                unreachable!("HMAC takes a key of any length")
            };
            mac.update(&bytes);
            hex::encode(mac.finalize().into_bytes())
        }
        None => hex::encode(Sha256::digest(&bytes)),
    }
}

/// The key an entry at `seq` is hashed with: none before keying began.
fn key_for(key: Option<&ChainKey>, keyed_from: i64, seq: i64) -> Result<Option<&ChainKey>> {
    if seq < keyed_from {
        return Ok(None);
    }
    match key {
        Some(k) => Ok(Some(k)),
        None => {
            tracing::error!("the audit chain's key is not configured");
            Err(Error::internal())
        }
    }
}

/// Appends an entry inside the caller's transaction, so that a change and
/// its record commit together. The head row's update takes the lock that
/// keeps the chain a line on either backend.
pub async fn append(c: &mut Tx, e: &AuditEntry) -> Result<i64> {
    let key = c.chain_key().cloned();
    let row = sqlx::query(
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash, keyed_from",
    )
    .fetch_one(&mut **c)
    .await
    .db()?;
    let seq: i64 = col(&row, "seq")?;
    let prev: String = col(&row, "last_hash")?;
    let keyed_from: i64 = col(&row, "keyed_from")?;
    let hash = chain_hash(key_for(key.as_ref(), keyed_from, seq)?, &prev, seq, e);
    let c: &mut Conn = c;
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor, action, object_type, object_id, unit_id,
                                result, ip, request_id, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(seq)
    .bind(e.at)
    .bind(e.actor_id)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.object_type)
    .bind(&e.object_id)
    .bind(e.unit_id)
    .bind(&e.result)
    .bind(&e.ip)
    .bind(&e.request_id)
    .bind(&e.detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *c)
    .await
    .db()?;
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(seq)
}

/// Appends many entries in order, in the caller's transaction, with a few
/// statements whatever their number (a batch of the public form's writer):
/// the head moved on, the entries ([`crate::rows`] on SQLite), the head's
/// new hash.
pub async fn append_many(c: &mut Tx, entries: &[AuditEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let key = c.chain_key().cloned();
    let c: &mut Conn = c;
    let n = entries.len() as i64;
    let row = sqlx::query(
        "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, last_hash, keyed_from",
    )
    .bind(n)
    .fetch_one(&mut *c)
    .await
    .db()?;
    let last: i64 = col(&row, "seq")?;
    let mut prev: String = col(&row, "last_hash")?;
    let keyed_from: i64 = col(&row, "keyed_from")?;
    let mut rows: Vec<(i64, &AuditEntry, String, String)> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let seq = last - n + 1 + i as i64;
        let hash = chain_hash(key_for(key.as_ref(), keyed_from, seq)?, &prev, seq, e);
        rows.push((seq, e, prev, hash.clone()));
        prev = hash;
    }
    let head = "INSERT INTO audit_log (seq, at, actor_id, actor, action, object_type, object_id,
                                       unit_id, result, ip, request_id, detail, prev_hash, hash)";
    let batch = Batch {
        head,
        cols: &[
            Col::Int,
            Col::Int,
            Col::Int,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Int,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Text,
            Col::Text,
        ],
        tail: "",
    };
    crate::rows::write(c, &batch, &rows, |(seq, e, prev, hash), v| {
        v.extend([
            V::I(*seq),
            V::I(e.at),
            V::N(e.actor_id),
            V::S(&e.actor),
            V::S(&e.action),
            V::S(&e.object_type),
            V::S(&e.object_id),
            V::N(e.unit_id),
            V::S(&e.result),
            V::S(&e.ip),
            V::S(&e.request_id),
            V::S(&e.detail),
            V::S(prev),
            V::S(hash),
        ])
    })
    .await?;
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

fn record_from_row(r: &sqlx::any::AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: col(r, "seq")?,
        entry: AuditEntry {
            at: col(r, "at")?,
            actor_id: col(r, "actor_id")?,
            actor: col(r, "actor")?,
            action: col(r, "action")?,
            object_type: col(r, "object_type")?,
            object_id: col(r, "object_id")?,
            unit_id: col(r, "unit_id")?,
            result: col(r, "result")?,
            ip: col(r, "ip")?,
            request_id: col(r, "request_id")?,
            detail: col(r, "detail")?,
        },
        prev_hash: col(r, "prev_hash")?,
        hash: col(r, "hash")?,
    })
}

/// A search of the log: empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub from: i64,
    pub to: i64,
    /// Entries with `seq` below this (for paging backwards); 0 for the newest.
    pub before_seq: i64,
    pub limit: i64,
}

const AUDIT_COLS: &str = "seq, at, actor_id, actor, action, object_type, object_id, unit_id, \
                          result, ip, request_id, detail, prev_hash, hash";

/// Newest first.
pub async fn search(c: &mut Conn, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
    let sql = format!(
        "SELECT {AUDIT_COLS} FROM audit_log
         WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action LIKE $3 ESCAPE '\\')
           AND ($4 = '' OR object_type = $4) AND ($5 = '' OR object_id = $5)
           AND ($6 = 0 OR at >= $6) AND ($7 = 0 OR at < $7) AND ($8 = 0 OR seq < $8)
         ORDER BY seq DESC LIMIT $9"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(f.actor.trim())
        .bind(f.action.trim())
        .bind(crate::like_prefix(f.action.trim()))
        .bind(f.object_type.trim())
        .bind(f.object_id.trim())
        .bind(f.from)
        .bind(f.to)
        .bind(f.before_seq)
        .bind(f.limit.clamp(1, 10_000))
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(record_from_row).collect()
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub checked: i64,
    /// The first entry whose hash or link does not hold, if any.
    pub first_bad: Option<i64>,
    /// The head says there are this many entries.
    pub head_seq: i64,
}

/// The chain's head as the database holds it: (seq, last hash).
pub async fn head(c: &mut Conn) -> Result<(i64, String)> {
    let head = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *c)
        .await
        .db()?;
    Ok((col(&head, "seq")?, col(&head, "last_hash")?))
}

/// The hash of the entry at `seq`, if there is one.
pub async fn hash_at(c: &mut Conn, seq: i64) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_optional(&mut *c)
        .await
        .db()
}

/// Walks the whole chain in order, in pages, recomputing every hash (keyed
/// ones under `key`).
pub async fn verify(c: &mut Conn, key: Option<&ChainKey>) -> Result<VerifyReport> {
    let head = sqlx::query("SELECT seq, last_hash, keyed_from FROM audit_head WHERE id = 1")
        .fetch_one(&mut *c)
        .await
        .db()?;
    let head_seq: i64 = col(&head, "seq")?;
    let head_hash: String = col(&head, "last_hash")?;
    let keyed_from: i64 = col(&head, "keyed_from")?;
    let mut prev = String::new();
    let mut expect_seq = 1_i64;
    let mut checked = 0_i64;
    loop {
        let sql =
            format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 2000");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(expect_seq)
            .fetch_all(&mut *c)
            .await
            .db()?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let rec = record_from_row(r)?;
            let k = if rec.seq < keyed_from { None } else { key };
            let ok = rec.seq == expect_seq
                && rec.prev_hash == prev
                && (rec.seq < keyed_from || key.is_some())
                && chain_hash(k, &prev, rec.seq, &rec.entry) == rec.hash;
            if !ok {
                return Ok(VerifyReport {
                    checked,
                    first_bad: Some(expect_seq),
                    head_seq,
                });
            }
            prev = rec.hash;
            expect_seq += 1;
            checked += 1;
        }
    }
    // A deleted tail shows as a head that runs past the last entry.
    if checked != head_seq || prev != head_hash {
        return Ok(VerifyReport {
            checked,
            first_bad: Some(checked + 1),
            head_seq,
        });
    }
    Ok(VerifyReport {
        checked,
        first_bad: None,
        head_seq,
    })
}
