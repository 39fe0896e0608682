//! The second factor every administrator gives: a time-based one-time
//! password (RFC 6238: HMAC-SHA-1, 30-second steps, six digits) from an
//! authenticator app, set up at the first sign-in, with ten recovery codes
//! shown once. A code is good once; wrong codes count toward the account's
//! lockout like wrong passwords. Resetting a password, revealing a phone
//! and exporting personal data ask for the factor again when it is older
//! than [`FRESH_S`].

use crate::crypto::field::SECOND_FACTOR as SECRET_FIELD;
use hmac::{KeyInit, Mac};
use rand::RngCore;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::{DbResult, account as accounts, second_factor as store, session as sessions};

use crate::auth::{LoginOutcome, Session, random_token, token_hash};
use crate::{App, Ctx, Origin, audit};

/// Seconds in a time step.
pub const STEP_S: i64 = 30;
/// Steps either side of now that are still accepted (clock drift).
pub const DRIFT_STEPS: i64 = 1;
/// How long a given factor counts for a sensitive action.
pub const FRESH_S: i64 = 5 * 60;
/// Recovery codes made at set-up.
pub const RECOVERY_CODES: usize = 10;

/// RFC 4648 base32, upper case, no padding (what authenticator apps read).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Reads base32 (case, spaces and padding ignored); None for anything else.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The code for a time step: HOTP (RFC 4226) of the step, six digits.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// The step a moment falls in.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_S)
}

/// What an administrator still owes at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owed {
    /// Set up an authenticator first.
    Setup,
    /// Give a code from it.
    Verify,
}

impl Owed {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::Verify => "verify",
        }
    }
}

/// Does this account have to give a second factor, and is it set up?
pub async fn owed(app: &App, account_id: i64, is_admin: bool) -> Result<Option<Owed>> {
    if !is_admin || !app.settings.require_admin_second_factor {
        return Ok(None);
    }
    let mut c = app.db.read().await?;
    Ok(Some(match store::get(&mut c, account_id).await? {
        Some(f) if f.confirmed_at > 0 => Owed::Verify,
        _ => Owed::Setup,
    }))
}

/// A set-up in progress: the secret to enter into an app, as text and as
/// an `otpauth://` address (shown as a QR code).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Setup {
    pub secret: String,
    pub uri: String,
}

/// Starts a set-up for the signed-in administrator, or shows again the
/// secret of one not yet confirmed (a wrong first code keeps the same QR
/// code on screen).
pub async fn begin_setup(app: &App, session: &Session) -> Result<Setup> {
    let pending = {
        let mut c = app.db.read().await?;
        store::get(&mut c, session.account.id).await?
    };
    let secret = match pending {
        Some(f) if f.confirmed_at > 0 => {
            return Err(Error::with_message(
                ErrorCode::Conflict,
                "动态口令已经设置过；如手机丢失，请安全管理员为您重置",
            ));
        }
        Some(f) => match app.settings.keys.open(SECRET_FIELD, &f.secret) {
            Some(s) => s,
            None => new_secret(app, session).await?,
        },
        None => new_secret(app, session).await?,
    };
    let label = format!("同育:{}", session.account.username);
    let uri = format!(
        "otpauth://totp/{}?secret={secret}&issuer=%E5%90%8C%E8%82%B2&algorithm=SHA1&digits=6&period=30",
        crate::sms::percent_encode(&label)
    );
    Ok(Setup { secret, uri })
}

async fn new_secret(app: &App, session: &Session) -> Result<String> {
    let mut raw = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let secret = base32(&raw);
    let sealed = app.settings.keys.seal(SECRET_FIELD, &secret);
    let mut tx = app.db.write().await?;
    if !store::begin(&mut tx, session.account.id, &sealed, app.now()).await? {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "动态口令已经设置过；如手机丢失，请安全管理员为您重置",
        ));
    }
    tx.commit().await.db()?;
    Ok(secret)
}

/// The outcome of giving the factor: a new session (its id rotated), and,
/// right after set-up, the recovery codes to keep (shown this once).
#[derive(Debug, Clone)]
pub struct Given {
    pub login: LoginOutcome,
    pub recovery_codes: Vec<String>,
}

fn recovery_hash(app: &App, account_id: i64, code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    app.settings
        .secret
        .keyed_hash("recovery", &format!("{account_id}:{norm}"))
}

fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut buf = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    let s: String = buf
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}

/// Gives the second factor for a session: the first code confirms a
/// set-up; afterwards a code from the app or an unused recovery code. The
/// session is replaced by a new one (new id) that counts as verified now.
pub async fn give(app: &App, origin: &Origin, session: &Session, answer: &str) -> Result<Given> {
    let answer = answer.trim();
    let account_id = session.account.id;
    let now = app.now();
    let factor = {
        let mut c = app.db.read().await?;
        store::get(&mut c, account_id).await?
    };
    let Some(factor) = factor else {
        return Err(Error::invalid("code", "请先设置动态口令"));
    };
    let Some(secret) = app
        .settings
        .keys
        .open(SECRET_FIELD, &factor.secret)
        .and_then(|s| from_base32(&s))
    else {
        tracing::error!(
            account_id,
            "a second-factor secret does not decrypt: wrong key?"
        );
        return Err(Error::internal());
    };
    let digits: String = answer.chars().filter(|c| !c.is_whitespace()).collect();
    let mut recovery_codes = Vec::new();
    let mut how = "totp";
    let mut tx = app.db.write().await?;
    let accepted = if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let now_step = step_of(now);
        let mut ok = false;
        for step in (now_step - DRIFT_STEPS)..=(now_step + DRIFT_STEPS) {
            if crate::crypto::same(&code_at(&secret, step), &digits) {
                ok = if factor.confirmed_at == 0 {
                    recovery_codes = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
                    let hashes: Vec<String> = recovery_codes
                        .iter()
                        .map(|c| recovery_hash(app, account_id, c))
                        .collect();
                    store::confirm(&mut tx, account_id, step, &hashes.join(" "), now).await?
                } else {
                    store::take_step(&mut tx, account_id, step).await?
                };
                break;
            }
        }
        ok
    } else if factor.confirmed_at > 0 {
        how = "recovery";
        let hash = recovery_hash(app, account_id, answer);
        let left: Vec<&str> = factor
            .recovery
            .split(' ')
            .filter(|h| !h.is_empty())
            .collect();
        if left.iter().any(|h| crate::crypto::same(h, &hash)) {
            let rest: Vec<&str> = left.into_iter().filter(|h| *h != hash).collect();
            store::set_recovery(&mut tx, account_id, &factor.recovery, &rest.join(" ")).await?
        } else {
            false
        }
    } else {
        false
    };
    let mut e = audit::anonymous(
        app,
        origin,
        &session.account.username,
        "auth.second_factor",
        "failed",
    );
    e.actor_id = Some(account_id);
    e.object_id = account_id.to_string();
    e.detail = how.into();
    if !accepted {
        let locked = accounts::record_failure(
            &mut tx,
            account_id,
            app.settings.max_failed_logins,
            now + app.settings.lockout_secs,
        )
        .await?;
        if locked {
            sessions::delete_for_account(&mut tx, account_id, "").await?;
            e.detail = format!("{how}; locked");
        }
        audit::commit_audited(tx, &e).await?;
        app.forget_account(account_id).await;
        return Err(Error::invalid(
            "code",
            "动态口令不正确或已使用过，请输入验证器中当前显示的6位数字",
        ));
    }
    accounts::record_success(&mut tx, account_id, now).await?;
    // A new session id for the raised privilege; the old one ends.
    let row = sessions::get(&mut tx, &session.id_hash)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::SessionExpired))?;
    let token = random_token(32);
    let csrf = random_token(24);
    sessions::insert(
        &mut tx,
        &sessions::NewSession {
            id_hash: &token_hash(&token),
            account_id,
            kind: &row.kind,
            csrf: &csrf,
            now,
            expires_at: row.expires_at,
            idle_secs: row.idle_secs,
            ip: &origin.ip,
            factor_at: now,
            grants_stamp: &row.grants_stamp,
        },
    )
    .await?;
    sessions::delete(&mut tx, &session.id_hash).await?;
    e.result = "ok".into();
    if !recovery_codes.is_empty() {
        e.detail = "set up".into();
    }
    audit::commit_audited(tx, &e).await?;
    app.forget(crate::Forget::Session(session.id_hash.clone()))
        .await;
    Ok(Given {
        login: LoginOutcome {
            token,
            csrf,
            account: session.account.clone(),
            expires_at: row.expires_at,
        },
        recovery_codes,
    })
}

/// Refuses a sensitive action (resetting a password, revealing a phone,
/// exporting personal data) unless the actor, if an administrator, gave the
/// second factor within [`FRESH_S`].
pub fn require_fresh(app: &App, ctx: &Ctx) -> Result<()> {
    if !app.settings.require_admin_second_factor || !ctx.actor.is_admin() {
        return Ok(());
    }
    if ctx.factor_at > 0 && app.now() - ctx.factor_at <= FRESH_S {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::ReauthRequired))
    }
}

/// The security administrator removes an account's factor (a lost
/// phone): its sessions end, and its next sign-in sets one up again.
pub async fn reset(app: &App, ctx: &Ctx, account_id: i64) -> Result<()> {
    require_fresh(app, ctx)?;
    if !ctx
        .actor
        .has_role(tongyu_domain::account::Role::SecurityAdmin)
        || account_id == ctx.actor.account_id
    {
        crate::audit::record_denied(
            app,
            ctx,
            tongyu_domain::policy::Action::ManageAccounts,
            "account",
            &account_id.to_string(),
            None,
        )
        .await;
        return Err(Error::forbidden());
    }
    let mut tx = app.db.write().await?;
    if !store::remove(&mut tx, account_id).await? {
        return Err(Error::not_found());
    }
    sessions::delete_for_account(&mut tx, account_id, "").await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "account.reset_second_factor",
            "account",
            account_id,
            None,
            "",
        ),
    )
    .await?;
    app.forget_account(account_id).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B (SHA-1), the last six digits of each.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code_at(secret, step_of(time)), code, "at {time}");
        }
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            from_base32("mzxw6ytboi======").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(from_base32("MZ1"), None);
        let raw: Vec<u8> = (0..20).collect();
        assert_eq!(from_base32(&base32(&raw)), Some(raw));
    }
}
