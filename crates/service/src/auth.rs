//! Authentication: passwords (argon2id), logins with lockout, sessions with
//! idle and absolute expiry, bearer tokens and integration tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tongyu_domain::account::{Account, check_password};
use tongyu_domain::policy::{Action, Actor};
use tongyu_domain::{Error, ErrorCode, Result};
/// An integration token as its holder and its issuer see it (never the secret).
pub use tongyu_store::session::IntegrationToken;
use tongyu_store::session::NewSession;
use tongyu_store::{DbResult, account as accounts, session as sessions};

use crate::{App, Ctx, Origin, audit};

/// Hashes a password with argon2id and a fresh salt (PHC string format).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::internal())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashing is slow on purpose; keep it off the async workers.
pub async fn hash_password_async(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| Error::internal())?
}

async fn verify_password_async(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A random secret, URL-safe.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A one-time password for a new account or a reset: 12 characters from
/// an alphabet without look-alikes.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A username for a parent who signs up: `parent-` and eight characters
/// from an alphabet without look-alikes. It holds no phone number; parents
/// sign in with their phone.
pub fn parent_username() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut buf = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    let tail: String = buf
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("parent-{tail}")
}

/// Browser sessions (a cookie) and API sessions (a bearer token) live in the
/// same table and follow the same timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Api => "api",
        }
    }
}

/// What a successful login hands back. The token is shown once and never stored.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub csrf: String,
    pub account: Account,
    pub expires_at: i64,
}

impl LoginOutcome {
    /// What an administrator still owes before the session opens anything.
    pub async fn owed(&self, app: &App) -> Result<Option<crate::second_factor::Owed>> {
        let grants = {
            let mut c = app.db.read().await?;
            accounts::grants_of(&mut c, self.account.id).await?
        };
        crate::second_factor::owed(
            app,
            self.account.id,
            grants.iter().any(|g| g.role.is_admin()),
        )
        .await
    }
}

/// An authenticated session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub csrf: String,
    pub account: Account,
    pub actor: Actor,
    pub expires_at: i64,
    /// When the holder last gave the second factor (0: not yet).
    pub factor_at: i64,
    /// An administrator who has not given the second factor yet: the
    /// session opens nothing but the second-factor pages and sign-out.
    pub second_factor_due: bool,
    /// The account's grants changed since this browser session was opened:
    /// it now lives under this new id (the old one has ended), which the
    /// browser must be given before anything else is answered.
    pub renewed_token: Option<String>,
}

/// A hash to check against when the login names nobody, so that an unknown
/// name takes as long as a wrong password.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password("no-such-account-password").unwrap_or_default())
        .clone()
}

/// Logs in by username or phone. Five failures in a row lock the account
/// for fifteen minutes; every attempt is audited.
pub async fn login(
    app: &App,
    origin: &Origin,
    login: &str,
    password: &str,
    kind: SessionKind,
) -> Result<LoginOutcome> {
    let login = login.trim().to_ascii_lowercase();
    if login.is_empty() || password.is_empty() {
        return Err(Error::invalid("username", "请输入用户名（或手机号）和密码"));
    }
    crate::throttle::hit(app, &[(app.settings.login_limit, origin.ip.as_str())]).await?;
    let now = app.now();
    let found = {
        let mut c = app.db.read().await?;
        accounts::find_for_login(&mut c, &login, &app.login_phone_lookup(&login)).await?
    };
    let Some((account, hash)) = found else {
        verify_password_async(password.to_owned(), dummy_hash()).await;
        audit::append_alone(
            app,
            &audit::anonymous(app, origin, &login, "auth.login", "failed"),
        )
        .await?;
        return Err(Error::new(ErrorCode::InvalidCredentials));
    };
    let mut e = audit::anonymous(app, origin, &account.username, "auth.login", "failed");
    e.object_id = account.id.to_string();
    e.actor_id = Some(account.id);
    // A locked account answers exactly as a wrong password does (and takes
    // as long), so a guesser cannot tell which accounts exist or are locked.
    if account.is_locked(now) {
        verify_password_async(password.to_owned(), dummy_hash()).await;
        e.detail = "locked".into();
        audit::append_alone(app, &e).await?;
        return Err(Error::new(ErrorCode::InvalidCredentials));
    }
    let ok = verify_password_async(password.to_owned(), hash).await;
    if !ok || !account.active {
        let mut tx = app.db.write().await?;
        let locked = accounts::record_failure(
            &mut tx,
            account.id,
            app.settings.max_failed_logins,
            now + app.settings.lockout_secs,
        )
        .await?;
        e.detail = if locked {
            "wrong password; locked".into()
        } else {
            "wrong password".into()
        };
        audit::commit_audited(tx, &e).await?;
        return Err(Error::new(ErrorCode::InvalidCredentials));
    }
    let grants = {
        let mut c = app.db.read().await?;
        accounts::grants_of(&mut c, account.id).await?
    };
    let mut tx = app.db.write().await?;
    accounts::record_success(&mut tx, account.id, now).await?;
    let out = start_session(&mut tx, app, origin, account, &grants, kind).await?;
    e.result = "ok".into();
    e.detail = kind.as_str().into();
    audit::commit_audited(tx, &e).await?;
    Ok(out)
}

/// A new session for an account whose password was checked: its token
/// and CSRF token, its idle timeout by whether it administers anything.
async fn start_session(
    tx: &mut tongyu_store::Conn,
    app: &App,
    origin: &Origin,
    account: Account,
    grants: &[tongyu_domain::policy::Grant],
    kind: SessionKind,
) -> Result<LoginOutcome> {
    let now = app.now();
    let is_admin = grants.iter().any(|g| g.role.is_admin());
    let idle = if is_admin {
        app.settings.admin_idle_secs
    } else {
        app.settings.idle_secs
    };
    let token = random_token(32);
    let csrf = random_token(24);
    let expires_at = now + app.settings.absolute_secs;
    let id_hash = token_hash(&token);
    let stamp = tongyu_domain::policy::grants_stamp(grants);
    sessions::insert(
        tx,
        &NewSession {
            id_hash: &id_hash,
            account_id: account.id,
            kind: kind.as_str(),
            csrf: &csrf,
            now,
            expires_at,
            idle_secs: idle,
            ip: &origin.ip,
            factor_at: 0,
            grants_stamp: &stamp,
        },
    )
    .await?;
    Ok(LoginOutcome {
        token,
        csrf,
        account,
        expires_at,
    })
}

/// Sessions for many accounts at once, by username or phone, without their
/// passwords: for the operator's load generator on a database it made
/// itself (`tongyu bench`), where signing thousands of simulated parents in
/// one by one would spend minutes hashing. No request reaches it. Audited
/// as one entry.
pub async fn open_sessions_unchecked(
    app: &App,
    logins: &[String],
    kind: SessionKind,
) -> Result<Vec<LoginOutcome>> {
    let origin = Origin::default();
    let mut found = Vec::with_capacity(logins.len());
    {
        let mut c = app.db.read().await?;
        for login in logins {
            let login = login.trim().to_ascii_lowercase();
            let Some((account, _)) =
                accounts::find_for_login(&mut c, &login, &app.login_phone_lookup(&login)).await?
            else {
                return Err(Error::with_message(
                    ErrorCode::NotFound,
                    format!("没有账号 {login}"),
                ));
            };
            let grants = accounts::grants_of(&mut c, account.id).await?;
            found.push((account, grants));
        }
    }
    let mut tx = app.db.write().await?;
    let mut out = Vec::with_capacity(found.len());
    for (account, grants) in found {
        out.push(start_session(&mut tx, app, &origin, account, &grants, kind).await?);
    }
    let mut e = audit::anonymous(app, &origin, "tongyu bench", "auth.bench_sessions", "ok");
    e.detail = format!("{} sessions opened without passwords", out.len());
    audit::commit_audited(tx, &e).await?;
    Ok(out)
}

/// Resolves a session token. An expired session is deleted and reported as
/// `session_expired`; an unknown one as `unauthenticated`.
pub async fn authenticate(app: &App, token: &str) -> Result<Session> {
    let id_hash = token_hash(token);
    let now = app.now();
    // The session, its account and grants, as read earlier (see
    // `App::caches`: changes are forgotten as they are announced); the
    // timeouts are checked against now.
    let mut cached = app.caches.sessions.get(&id_hash);
    // Idle by the cached row, the session may yet have been used through
    // another instance since: its row decides.
    if let Some(c) = &cached
        && now < c.0.expires_at
        && now - c.0.last_seen_at >= c.0.idle_secs
    {
        app.caches.sessions.remove_where(|k, _| *k == id_hash);
        cached = None;
    }
    let from_cache = cached.is_some();
    let mut changed = !from_cache;
    let (mut row, account, grants) = match cached {
        Some(c) => (c.0.clone(), c.1.clone(), c.2.clone()),
        None => {
            let mut c = app.db.read().await?;
            let Some(row) = sessions::get(&mut c, &id_hash).await? else {
                return Err(Error::new(ErrorCode::Unauthenticated));
            };
            let account = accounts::get(&mut c, row.account_id).await?;
            let Some(account) = account.filter(|a| a.active) else {
                return Err(Error::new(ErrorCode::Unauthenticated));
            };
            let grants = accounts::grants_of(&mut c, account.id).await?;
            (row, account, grants)
        }
    };
    if now >= row.expires_at || now - row.last_seen_at >= row.idle_secs {
        app.caches.sessions.remove_where(|k, _| *k == id_hash);
        let mut tx = app.db.write().await?;
        sessions::delete(&mut tx, &id_hash).await?;
        tx.commit().await.db()?;
        return Err(Error::new(ErrorCode::SessionExpired));
    }
    // Sliding idle timeout, written at most once a minute per session.
    if now - row.last_seen_at >= 60 {
        let mut tx = app.db.write().await?;
        sessions::touch(&mut tx, &id_hash, now).await?;
        tx.commit().await.db()?;
        row.last_seen_at = now;
        changed = true;
    }
    // Grants changed since the session opened: a browser session goes on
    // under a new id, a bearer session ends (its client signs in again).
    let stamp = if from_cache {
        String::new()
    } else {
        tongyu_domain::policy::grants_stamp(&grants)
    };
    let mut renewed_token = None;
    if from_cache {
        // Checked when it was put in the cache.
    } else if row.grants_stamp.is_empty() {
        let mut tx = app.db.write().await?;
        sessions::set_grants_stamp(&mut tx, &id_hash, &stamp).await?;
        tx.commit().await.db()?;
        row.grants_stamp = stamp;
        changed = true;
    } else if row.grants_stamp != stamp {
        app.caches.sessions.remove_where(|k, _| *k == id_hash);
        let token = random_token(32);
        let mut tx = app.db.write().await?;
        sessions::delete(&mut tx, &id_hash).await?;
        let mut e = audit::anonymous(
            app,
            &Origin {
                ip: String::new(),
                request_id: String::new(),
            },
            &account.username,
            "auth.session_renewed",
            "ok",
        );
        e.actor_id = Some(account.id);
        e.object_type = "account".into();
        e.object_id = account.id.to_string();
        e.detail = format!("{} → {stamp}", row.grants_stamp);
        if row.kind == SessionKind::Web.as_str() {
            sessions::insert(
                &mut tx,
                &NewSession {
                    id_hash: &token_hash(&token),
                    account_id: account.id,
                    kind: &row.kind,
                    csrf: &row.csrf,
                    now,
                    expires_at: row.expires_at,
                    idle_secs: row.idle_secs,
                    ip: "",
                    factor_at: row.factor_at,
                    grants_stamp: &stamp,
                },
            )
            .await?;
        } else {
            e.action = "auth.session_ended".into();
        }
        audit::commit_audited(tx, &e).await?;
        if row.kind != SessionKind::Web.as_str() {
            return Err(Error::new(ErrorCode::SessionExpired));
        }
        renewed_token = Some(token);
        changed = false;
    }
    if changed {
        app.caches.sessions.put(
            id_hash.clone(),
            std::sync::Arc::new((row.clone(), account.clone(), grants.clone())),
        );
    }
    let actor = Actor {
        account_id: account.id,
        username: account.username.clone(),
        grants,
    };
    let second_factor_due =
        app.settings.require_admin_second_factor && actor.is_admin() && row.factor_at == 0;
    Ok(Session {
        id_hash,
        csrf: row.csrf,
        account,
        actor,
        expires_at: row.expires_at,
        factor_at: row.factor_at,
        second_factor_due,
        renewed_token,
    })
}

/// Ends a session.
pub async fn logout(app: &App, origin: &Origin, session: &Session) -> Result<()> {
    app.caches
        .sessions
        .remove_where(|k, _| *k == session.id_hash);
    let mut tx = app.db.write().await?;
    sessions::delete(&mut tx, &session.id_hash).await?;
    let ctx = Ctx {
        actor: session.actor.clone(),
        origin: origin.clone(),
        factor_at: session.factor_at,
    };
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            &ctx,
            "auth.logout",
            "account",
            session.account.id,
            None,
            "",
        ),
    )
    .await?;
    tx.commit().await.db()?;
    app.forget(crate::Forget::Session(session.id_hash.clone()))
        .await;
    Ok(())
}

/// Asks for one's own password again before a change to the account: a
/// validation error on `field` when it is wrong.
pub async fn check_own_password(
    app: &App,
    account: &Account,
    field: &'static str,
    password: &str,
) -> Result<()> {
    let hash = {
        let mut c = app.db.read().await?;
        accounts::find_for_login(&mut c, &account.username, "")
            .await?
            .ok_or_else(Error::not_found)?
            .1
    };
    if verify_password_async(password.to_owned(), hash).await {
        Ok(())
    } else {
        Err(Error::invalid(field, "当前密码不正确"))
    }
}

/// Changes one's own password: the current one must be right, the new one
/// must pass the rules and differ. Every other session of the account ends.
pub async fn change_password(
    app: &App,
    ctx: &Ctx,
    session: &Session,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<()> {
    if new != confirm {
        return Err(Error::invalid("confirm", "两次输入的新密码不一致"));
    }
    check_password(new, &session.account.username)?;
    if current == new {
        return Err(Error::invalid("password", "新密码不能与当前密码相同"));
    }
    check_own_password(app, &session.account, "current", current).await?;
    let new_hash = hash_password_async(new.to_owned()).await?;
    let mut tx = app.db.write().await?;
    accounts::set_password(&mut tx, session.account.id, &new_hash, false).await?;
    sessions::delete_for_account(&mut tx, session.account.id, &session.id_hash).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "account.change_password",
            "account",
            session.account.id,
            None,
            "",
        ),
    )
    .await?;
    tx.commit().await.db()?;
    app.forget_account(session.account.id).await;
    Ok(())
}

/// Issues a named integration token scoped to a unit. The token is returned
/// once; only its hash is kept.
pub async fn create_integration_token(
    app: &App,
    ctx: &Ctx,
    name: &str,
    unit_id: i64,
) -> Result<(IntegrationToken, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Error::invalid(
            "name",
            "请填写接口令牌的名称（不超过60个字）",
        ));
    }
    let unit = crate::access::unit(app, ctx, unit_id, Action::ManageIntegrations).await?;
    let token = format!("tyi_{}", random_token(32));
    let now = app.now();
    let mut tx = app.db.write().await?;
    let id = sessions::insert_integration_token(
        &mut tx,
        name,
        &token_hash(&token),
        unit.id,
        ctx.actor.account_id,
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "integration.create",
            "integration_token",
            id,
            Some(unit.id),
            name,
        ),
    )
    .await?;
    let t = sessions::get_integration_token(&mut tx, id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok((t, token))
}

pub async fn revoke_integration_token(app: &App, ctx: &Ctx, id: i64) -> Result<()> {
    let t = {
        let mut c = app.db.read().await?;
        sessions::get_integration_token(&mut c, id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    if !ctx.actor.can(Action::ManageIntegrations, &t.unit_path) {
        return Err(Error::not_found());
    }
    let mut tx = app.db.write().await?;
    sessions::revoke_integration_token(&mut tx, id, app.now()).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "integration.revoke",
            "integration_token",
            id,
            Some(t.unit_id),
            &t.name,
        ),
    )
    .await?;
    tx.commit().await.db()
}

/// The integration tokens the actor may manage.
pub async fn list_integration_tokens(app: &App, ctx: &Ctx) -> Result<Vec<IntegrationToken>> {
    let mut c = app.db.read().await?;
    let all = sessions::list_integration_tokens(&mut c).await?;
    Ok(all
        .into_iter()
        .filter(|t| ctx.actor.can(Action::ManageIntegrations, &t.unit_path))
        .collect())
}

/// Resolves an integration token.
pub async fn authenticate_integration(app: &App, token: &str) -> Result<IntegrationToken> {
    let mut c = app.db.read().await?;
    sessions::find_integration_token(&mut c, &token_hash(token))
        .await?
        .ok_or_else(|| Error::new(ErrorCode::Unauthenticated))
}

/// Forgets a session by its token without further ado (a stale cookie
/// presented at a new login).
pub async fn discard(app: &App, token: &str) -> Result<()> {
    let hash = token_hash(token);
    let mut tx = app.db.write().await?;
    let ended = sessions::delete(&mut tx, &hash).await?;
    tx.commit().await.db()?;
    // A cookie naming no session (made up, or long gone) announces nothing.
    if ended {
        app.forget(crate::Forget::Session(hash)).await;
    }
    Ok(())
}

/// Removes expired sessions.
pub async fn purge_expired(app: &App) -> Result<u64> {
    let mut tx = app.db.write().await?;
    let n = sessions::purge_expired(&mut tx, app.now()).await?;
    tx.commit().await.db()?;
    Ok(n)
}
