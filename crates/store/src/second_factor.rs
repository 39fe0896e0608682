//! Administrators' second factors: an encrypted TOTP secret, the last time
//! step accepted, and the keyed hashes of unused recovery codes.

use tongyu_domain::Result;

use crate::{Conn, DbResult, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    pub account_id: i64,
    /// Encrypted at rest; only the service's key opens it.
    pub secret: String,
    /// 0 while set-up waits for its first code.
    pub confirmed_at: i64,
    pub last_step: i64,
    /// Keyed hashes of the unused recovery codes, space-separated.
    pub recovery: String,
}

pub async fn get(c: &mut Conn, account_id: i64) -> Result<Option<Factor>> {
    let r = sqlx::query(
        "SELECT account_id, secret, confirmed_at, last_step, recovery FROM second_factors
         WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.map(|r| {
        Ok(Factor {
            account_id: col(&r, "account_id")?,
            secret: col(&r, "secret")?,
            confirmed_at: col(&r, "confirmed_at")?,
            last_step: col(&r, "last_step")?,
            recovery: col(&r, "recovery")?,
        })
    })
    .transpose()
}

/// Starts (or restarts) a set-up with a new secret; a confirmed factor is
/// left alone (false).
pub async fn begin(c: &mut Conn, account_id: i64, secret: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO second_factors (account_id, secret, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret,
             created_at = excluded.created_at, last_step = 0, recovery = ''
         WHERE second_factors.confirmed_at = 0",
    )
    .bind(account_id)
    .bind(secret)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(done.rows_affected() == 1)
}

/// Confirms a set-up with its first accepted step and the recovery codes.
pub async fn confirm(
    c: &mut Conn,
    account_id: i64,
    step: i64,
    recovery: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE second_factors SET confirmed_at = $1, last_step = $2, recovery = $3
         WHERE account_id = $4 AND confirmed_at = 0",
    )
    .bind(now)
    .bind(step)
    .bind(recovery)
    .bind(account_id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(done.rows_affected() == 1)
}

/// Takes a time step: true only if it is later than every step taken
/// before, so a code is good once even when sent twice side by side.
pub async fn take_step(c: &mut Conn, account_id: i64, step: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE second_factors SET last_step = $1 WHERE account_id = $2 AND last_step < $1
           AND confirmed_at > 0",
    )
    .bind(step)
    .bind(account_id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the unused recovery codes, if they are still `before`.
pub async fn set_recovery(
    c: &mut Conn,
    account_id: i64,
    before: &str,
    after: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE second_factors SET recovery = $1 WHERE account_id = $2 AND recovery = $3",
    )
    .bind(after)
    .bind(account_id)
    .bind(before)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(done.rows_affected() == 1)
}

/// Removes an account's factor (a lost phone): the next sign-in sets up anew.
pub async fn remove(c: &mut Conn, account_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM second_factors WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(done.rows_affected() == 1)
}
