//! Sessions (browser and bearer) and integration tokens. Only the SHA-256
//! of a session id or token is stored, so a copy of the database opens nothing.

use tongyu_domain::Result;

use crate::{Conn, DbResult, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub account_id: i64,
    pub kind: String,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub idle_secs: i64,
    /// When the holder last gave the second factor (0: not yet).
    pub factor_at: i64,
    /// The grants the session was opened or renewed with (see
    /// `tongyu_domain::policy::grants_stamp`); empty for older sessions.
    pub grants_stamp: String,
}

#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub account_id: i64,
    pub kind: &'a str,
    pub csrf: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub idle_secs: i64,
    pub ip: &'a str,
    pub factor_at: i64,
    pub grants_stamp: &'a str,
}

pub async fn insert(c: &mut Conn, s: &NewSession<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, kind, csrf, created_at, last_seen_at,
                               expires_at, idle_secs, ip, factor_at, grants_stamp)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10)",
    )
    .bind(s.id_hash)
    .bind(s.account_id)
    .bind(s.kind)
    .bind(s.csrf)
    .bind(s.now)
    .bind(s.expires_at)
    .bind(s.idle_secs)
    .bind(s.ip)
    .bind(s.factor_at)
    .bind(s.grants_stamp)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub async fn get(c: &mut Conn, id_hash: &str) -> Result<Option<SessionRow>> {
    let row = sqlx::query(
        "SELECT account_id, kind, csrf, created_at, last_seen_at, expires_at, idle_secs, factor_at,
                grants_stamp
         FROM sessions WHERE id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.map(|r| {
        Ok(SessionRow {
            account_id: col(&r, "account_id")?,
            kind: col(&r, "kind")?,
            csrf: col(&r, "csrf")?,
            created_at: col(&r, "created_at")?,
            last_seen_at: col(&r, "last_seen_at")?,
            expires_at: col(&r, "expires_at")?,
            idle_secs: col(&r, "idle_secs")?,
            factor_at: col(&r, "factor_at")?,
            grants_stamp: col(&r, "grants_stamp")?,
        })
    })
    .transpose()
}

/// Records the grants stamp of a session opened before stamps were kept.
pub async fn set_grants_stamp(c: &mut Conn, id_hash: &str, stamp: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET grants_stamp = $1 WHERE id_hash = $2")
        .bind(stamp)
        .bind(id_hash)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub async fn touch(c: &mut Conn, id_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Ends a session; whether there was one.
pub async fn delete(c: &mut Conn, id_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of an account except `keep` (after a password change).
pub async fn delete_for_account(c: &mut Conn, account_id: i64, keep: &str) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
            .bind(account_id)
            .bind(keep)
            .execute(&mut *c)
            .await
            .db()?
            .rows_affected(),
    )
}

/// Removes sessions past their absolute expiry or idle timeout.
pub async fn purge_expired(c: &mut Conn, now: i64) -> Result<u64> {
    Ok(
        sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at + idle_secs <= $1",
        )
        .bind(now)
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected(),
    )
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct IntegrationToken {
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub created_by: i64,
    pub created_at: i64,
    pub revoked_at: i64,
}

pub async fn insert_integration_token(
    c: &mut Conn,
    name: &str,
    token_hash: &str,
    unit_id: i64,
    created_by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO integration_tokens (name, token_hash, unit_id, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(token_hash)
    .bind(unit_id)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

fn token_from_row(r: &sqlx::any::AnyRow) -> Result<IntegrationToken> {
    Ok(IntegrationToken {
        id: col(r, "id")?,
        name: col(r, "name")?,
        unit_id: col(r, "unit_id")?,
        unit_path: col(r, "path")?,
        created_by: col(r, "created_by")?,
        created_at: col(r, "created_at")?,
        revoked_at: col(r, "revoked_at")?,
    })
}

/// The live (unrevoked) token with this hash.
pub async fn find_integration_token(
    c: &mut Conn,
    token_hash: &str,
) -> Result<Option<IntegrationToken>> {
    let row = sqlx::query(
        "SELECT t.id, t.name, t.unit_id, u.path, t.created_by, t.created_at, t.revoked_at
         FROM integration_tokens t JOIN units u ON u.id = t.unit_id
         WHERE t.token_hash = $1 AND t.revoked_at = 0",
    )
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(token_from_row).transpose()
}

pub async fn get_integration_token(c: &mut Conn, id: i64) -> Result<Option<IntegrationToken>> {
    let row = sqlx::query(
        "SELECT t.id, t.name, t.unit_id, u.path, t.created_by, t.created_at, t.revoked_at
         FROM integration_tokens t JOIN units u ON u.id = t.unit_id WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(token_from_row).transpose()
}

pub async fn list_integration_tokens(c: &mut Conn) -> Result<Vec<IntegrationToken>> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, t.unit_id, u.path, t.created_by, t.created_at, t.revoked_at
         FROM integration_tokens t JOIN units u ON u.id = t.unit_id ORDER BY t.id DESC",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(token_from_row).collect()
}

pub async fn revoke_integration_token(c: &mut Conn, id: i64, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE integration_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}
