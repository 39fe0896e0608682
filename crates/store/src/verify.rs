//! One-time codes, the text-message outbox and the shared throttles.

use tongyu_domain::Result;

use crate::{Conn, DbResult, col};

/// A code waiting for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneCode {
    pub id: i64,
    pub code_hash: String,
    pub expires_at: i64,
    pub tries: i64,
}

pub async fn insert_code(
    c: &mut Conn,
    phone_key: &str,
    purpose: &str,
    code_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO phone_codes (phone_key, purpose, code_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(phone_key)
    .bind(purpose)
    .bind(code_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// The newest code for the phone and purpose that is neither used nor
/// expired. Only the newest counts: asking again replaces the old code.
pub async fn live_code(
    c: &mut Conn,
    phone_key: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<PhoneCode>> {
    let row = sqlx::query(
        "SELECT id, code_hash, expires_at, tries, used_at FROM phone_codes
         WHERE phone_key = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(phone_key)
    .bind(purpose)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    let Some(r) = row else { return Ok(None) };
    let used: i64 = col(&r, "used_at")?;
    let code = PhoneCode {
        id: col(&r, "id")?,
        code_hash: col(&r, "code_hash")?,
        expires_at: col(&r, "expires_at")?,
        tries: col(&r, "tries")?,
    };
    Ok((used == 0 && code.expires_at > now).then_some(code))
}

/// Takes one try of the code, if it has any left: true when taken. A try is
/// spent before the answer is compared, so answers sent side by side get no
/// more comparisons than the limit.
pub async fn take_try(c: &mut Conn, id: i64, max_tries: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE phone_codes SET tries = tries + 1 WHERE id = $1 AND tries < $2 AND used_at = 0",
    )
    .bind(id)
    .bind(max_tries)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(done.rows_affected() == 1)
}

/// Marks a code used; false if it already was.
pub async fn use_code(c: &mut Conn, id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE phone_codes SET used_at = $1 WHERE id = $2 AND used_at = 0")
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(done.rows_affected() == 1)
}

/// Removes codes that expired before `before`.
pub async fn purge_codes(c: &mut Conn, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM phone_codes WHERE expires_at < $1")
        .bind(before)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(done.rows_affected())
}

/// A text message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    pub id: i64,
    pub phone: String,
    pub template: String,
    pub params: String,
    pub tries: i64,
}

pub async fn enqueue_sms(
    c: &mut Conn,
    phone: &str,
    template: &str,
    params: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO sms_outbox (phone, template, params, status, next_at, created_at)
         VALUES ($1, $2, $3, 'pending', $4, $4) RETURNING id",
    )
    .bind(phone)
    .bind(template)
    .bind(params)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Messages due to be sent, oldest first, whose lease has run out.
pub async fn due_sms(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM sms_outbox WHERE status = 'pending' AND next_at <= $1 AND lease_until <= $1
         ORDER BY next_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()
}

/// Claims a message for sending until `lease_until`: None when another
/// sender holds it or it is no longer pending.
pub async fn claim_sms(c: &mut Conn, id: i64, now: i64, lease_until: i64) -> Result<Option<Sms>> {
    let done = sqlx::query(
        "UPDATE sms_outbox SET lease_until = $1, tries = tries + 1
         WHERE id = $2 AND status = 'pending' AND lease_until <= $3",
    )
    .bind(lease_until)
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let r = sqlx::query("SELECT id, phone, template, params, tries FROM sms_outbox WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .db()?;
    Ok(Some(Sms {
        id: col(&r, "id")?,
        phone: col(&r, "phone")?,
        template: col(&r, "template")?,
        params: col(&r, "params")?,
        tries: col(&r, "tries")?,
    }))
}

/// A message went out: its parameters (a code) are blanked.
pub async fn sms_sent(c: &mut Conn, id: i64, provider_ref: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE sms_outbox SET status = 'sent', params = '', provider_ref = $1, sent_at = $2,
                               error = '' WHERE id = $3",
    )
    .bind(provider_ref)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// A send failed: try again at `next_at`, or give up (`failed`, parameters
/// blanked) when `give_up`.
pub async fn sms_failed(
    c: &mut Conn,
    id: i64,
    error: &str,
    next_at: i64,
    give_up: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE sms_outbox SET status = CASE WHEN $1 = 1 THEN 'failed' ELSE 'pending' END,
                               params = CASE WHEN $1 = 1 THEN '' ELSE params END,
                               error = $2, next_at = $3, lease_until = 0
         WHERE id = $4",
    )
    .bind(i64::from(give_up))
    .bind(error)
    .bind(next_at)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Counts of the outbox by status.
pub async fn outbox_counts(c: &mut Conn) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM sms_outbox GROUP BY status")
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "status")?, col(r, "n")?)))
        .collect()
}

/// Counts one event against a fixed window and returns the window's count
/// including it, in one statement: instances side by side never both see
/// the count below the limit.
pub async fn hit(c: &mut Conn, key: &str, window_start: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO throttles (key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = throttles.hits + 1
         RETURNING hits",
    )
    .bind(key)
    .bind(window_start)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Counts `n` events against a window at once (a batch of them); returns
/// the window's count including them.
pub async fn add_hits(c: &mut Conn, key: &str, window_start: i64, n: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO throttles (key, window_start, hits) VALUES ($1, $2, $3)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = throttles.hits + excluded.hits
         RETURNING hits",
    )
    .bind(key)
    .bind(window_start)
    .bind(n)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// The count of a window so far, without adding to it.
pub async fn hits(c: &mut Conn, key: &str, window_start: i64) -> Result<i64> {
    let n: Option<i64> =
        sqlx::query_scalar("SELECT hits FROM throttles WHERE key = $1 AND window_start = $2")
            .bind(key)
            .bind(window_start)
            .fetch_optional(&mut *c)
            .await
            .db()?;
    Ok(n.unwrap_or(0))
}

/// Removes windows that ended before `before`.
pub async fn purge_throttles(c: &mut Conn, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM throttles WHERE window_start < $1")
        .bind(before)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(done.rows_affected())
}
