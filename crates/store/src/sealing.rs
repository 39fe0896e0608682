//! Finding and rewriting sealed fields that an older data key (or no key:
//! rows from before sealing) made. A sealed value starts `v1.<key id>.`;
//! the caller passes that prefix for the current key. Rows come in pages
//! by id so a city's accounts are resealed in bounded steps.

use tongyu_domain::Result;
use tongyu_domain::account::SealedPhone;

use crate::{Conn, DbResult, col};

/// The data key every sealed value was last made with (None: never
/// recorded, as right after the migration that began sealing).
pub async fn recorded_key(c: &mut Conn) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT key_id FROM sealed_with WHERE id = 1")
        .fetch_optional(&mut *c)
        .await
        .db()
}

pub async fn record_key(c: &mut Conn, key_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO sealed_with (id, key_id) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id",
    )
    .bind(key_id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// An account phone to reseal: (account, kept value, whether it is still
/// in the clear).
pub async fn account_phones(
    c: &mut Conn,
    prefix: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, bool)>> {
    let rows = sqlx::query(
        "SELECT id, phone_sealed, phone_key FROM accounts
         WHERE id > $1 AND phone_sealed IS NOT NULL
           AND (phone_key IS NULL OR phone_sealed NOT LIKE $2)
         ORDER BY id LIMIT $3",
    )
    .bind(after)
    .bind(format!("{prefix}%"))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "id")?,
                col(r, "phone_sealed")?,
                col::<Option<String>>(r, "phone_key")?.is_none(),
            ))
        })
        .collect()
}

pub async fn set_account_phone(c: &mut Conn, id: i64, phone: &SealedPhone) -> Result<()> {
    crate::account::set_phone(c, id, phone).await
}

/// An appeal's contact to reseal: (appeal, name, phone, whether they are
/// still in the clear).
pub async fn appeal_contacts(
    c: &mut Conn,
    prefix: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String, bool)>> {
    let rows = sqlx::query(
        "SELECT id, contact_name, contact_phone, contact_sealed FROM appeals
         WHERE id > $1 AND (contact_sealed = 0
                            OR (contact_name <> '' AND contact_name NOT LIKE $2)
                            OR (contact_phone <> '' AND contact_phone NOT LIKE $2))
         ORDER BY id LIMIT $3",
    )
    .bind(after)
    .bind(format!("{prefix}%"))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "id")?,
                col(r, "contact_name")?,
                col(r, "contact_phone")?,
                col::<i64>(r, "contact_sealed")? == 0,
            ))
        })
        .collect()
}

pub async fn set_appeal_contact(c: &mut Conn, id: i64, name: &str, phone: &str) -> Result<()> {
    sqlx::query(
        "UPDATE appeals SET contact_name = $1, contact_phone = $2, contact_sealed = 1
         WHERE id = $3",
    )
    .bind(name)
    .bind(phone)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Outbox phones not sealed with the current key: (message, kept value).
pub async fn outbox_phones(
    c: &mut Conn,
    prefix: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT id, phone FROM sms_outbox WHERE id > $1 AND phone <> '' AND phone NOT LIKE $2
         ORDER BY id LIMIT $3",
    )
    .bind(after)
    .bind(format!("{prefix}%"))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "id")?, col(r, "phone")?)))
        .collect()
}

pub async fn set_outbox_phone(c: &mut Conn, id: i64, phone: &str) -> Result<()> {
    sqlx::query("UPDATE sms_outbox SET phone = $1 WHERE id = $2")
        .bind(phone)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Second-factor secrets not sealed with the current key: (account, kept
/// value).
pub async fn factor_secrets(
    c: &mut Conn,
    prefix: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT account_id, secret FROM second_factors
         WHERE account_id > $1 AND secret NOT LIKE $2 ORDER BY account_id LIMIT $3",
    )
    .bind(after)
    .bind(format!("{prefix}%"))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "account_id")?, col(r, "secret")?)))
        .collect()
}

pub async fn set_factor_secret(c: &mut Conn, account_id: i64, secret: &str) -> Result<()> {
    sqlx::query("UPDATE second_factors SET secret = $1 WHERE account_id = $2")
        .bind(secret)
        .bind(account_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}
