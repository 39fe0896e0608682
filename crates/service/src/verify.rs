//! One-time codes: sent to a phone, answered once. The answer to a request
//! is the same whether or not the number belongs to anyone.

use rand::Rng;
use tongyu_domain::account::{mask_phone, parse_phone};
use tongyu_domain::verify::{
    CODE_TTL_S, MAX_TRIES, PER_ADDRESS, PER_PHONE, Purpose, parse_code, too_many_codes, wrong_code,
};
use tongyu_domain::{ErrorCode, Result};
use tongyu_store::{DbResult, verify as store};

use crate::sms::{self, Template};
use crate::{App, Origin, audit, crypto, throttle};

/// What the person who asked is told.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CodeSent {
    /// The phone, masked, as the page repeats it.
    pub phone: String,
    /// Seconds the code stays valid.
    pub valid_s: i64,
    /// Seconds before another code may be asked for this phone.
    pub retry_after_s: i64,
}

fn code_hash(app: &App, phone_key: &str, purpose: Purpose, code: &str) -> String {
    app.settings
        .secret
        .keyed_hash("code", &format!("{phone_key}:{}:{code}", purpose.as_str()))
}

/// Sends a fresh code for `purpose` to `phone` (any earlier one stops
/// counting). Limited per phone and per address; every request is audited
/// with the phone masked, never the code.
pub async fn send_code(
    app: &App,
    origin: &Origin,
    phone: &str,
    purpose: Purpose,
) -> Result<CodeSent> {
    let phone = parse_phone(phone)?;
    let phone_key = app.settings.secret.phone_key(&phone);
    let mut checks: Vec<(tongyu_domain::throttle::Limit, &str)> =
        PER_PHONE.iter().map(|l| (*l, phone_key.as_str())).collect();
    checks.push((PER_ADDRESS, origin.ip.as_str()));
    if let Err(e) = throttle::hit(app, &checks).await {
        if e.code == ErrorCode::RateLimited {
            let mut entry =
                audit::anonymous(app, origin, &mask_phone(&phone), "verify.send", "limited");
            entry.detail = purpose.as_str().into();
            audit::append_alone(app, &entry).await?;
            return Err(too_many_codes());
        }
        return Err(e);
    }
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let now = app.now();
    let mut tx = app.db.write().await?;
    store::insert_code(
        &mut tx,
        &phone_key,
        purpose.as_str(),
        &code_hash(app, &phone_key, purpose, &code),
        now,
        now + CODE_TTL_S,
    )
    .await?;
    let id = sms::enqueue(
        app,
        &mut tx,
        &phone,
        Template::Verify,
        &[("code", &code), ("purpose", purpose.label())],
        now,
    )
    .await?;
    let mut entry = audit::anonymous(app, origin, &mask_phone(&phone), "verify.send", "ok");
    entry.detail = purpose.as_str().into();
    entry.object_type = "sms".into();
    entry.object_id = id.to_string();
    audit::commit_audited(tx, &entry).await?;
    // Sent now if the provider answers; otherwise the sender retries.
    sms::deliver(app, id).await?;
    Ok(CodeSent {
        phone: mask_phone(&phone),
        valid_s: CODE_TTL_S,
        retry_after_s: PER_PHONE[0].window_s,
    })
}

/// Takes the answer to the newest code sent to `phone` for `purpose`. A
/// try is spent before the answer is compared; a right answer spends the
/// code. Wrong, spent, expired and unknown codes get one and the same error.
pub async fn check_code(app: &App, phone: &str, purpose: Purpose, answer: &str) -> Result<()> {
    let answer = parse_code(answer)?;
    let phone = parse_phone(phone)?;
    let phone_key = app.settings.secret.phone_key(&phone);
    let now = app.now();
    let mut tx = app.db.write().await?;
    let Some(code) = store::live_code(&mut tx, &phone_key, purpose.as_str(), now).await? else {
        return Err(wrong_code());
    };
    if !store::take_try(&mut tx, code.id, MAX_TRIES).await? {
        return Err(wrong_code());
    }
    let right = crypto::same(
        &code.code_hash,
        &code_hash(app, &phone_key, purpose, &answer),
    );
    if right && !store::use_code(&mut tx, code.id, now).await? {
        return Err(wrong_code());
    }
    tx.commit().await.db()?;
    if right { Ok(()) } else { Err(wrong_code()) }
}

/// Removes codes expired for a day or more.
pub async fn purge(app: &App) -> Result<u64> {
    let mut tx = app.db.write().await?;
    let n = store::purge_codes(&mut tx, app.now() - 86_400).await?;
    tx.commit().await.db()?;
    Ok(n)
}
