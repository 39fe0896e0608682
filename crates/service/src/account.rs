//! Accounts and grants, managed by administrators within their subtree.

use tongyu_domain::account::{
    Account, Role, check_password, parse_person_name, parse_phone, parse_username,
};
use tongyu_domain::org::Unit;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::DbResult;
use tongyu_store::account::{self as accounts, NewAccount};
/// What the account list takes and gives.
pub use tongyu_store::account::{AccountFilter, AccountRow, GrantLabel};

use crate::{App, Ctx, audit, auth};

/// What a form or API body gives for a new account.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct AccountInput {
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    pub role: String,
    pub unit_id: i64,
    /// Leave empty to have a temporary password made.
    #[serde(default)]
    pub password: Option<String>,
}

/// A new account and the password to hand to its owner, shown once.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Created {
    pub account: Account,
    pub initial_password: String,
}

pub(crate) fn parse_optional_phone(raw: Option<&str>) -> Result<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(p) => parse_phone(p).map(Some),
    }
}

/// Creates an account with one grant. The administrator must cover the
/// unit and may not grant a role above their own; the owner must change
/// the password at first login.
pub async fn create(app: &App, ctx: &Ctx, input: &AccountInput) -> Result<Created> {
    let username = parse_username(&input.username)?;
    let display_name = parse_person_name(&input.display_name)?;
    let phone = parse_optional_phone(input.phone.as_deref())?;
    let role = Role::parse(&input.role)?;
    let unit = crate::access::unit(app, ctx, input.unit_id, Action::ViewUnit).await?;
    require_grantable(app, ctx, role, &unit).await?;
    let password = match input.password.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => {
            check_password(p, &username)?;
            p.to_owned()
        }
        _ => auth::temporary_password(),
    };
    let hash = auth::hash_password_async(password.clone()).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    if accounts::get_by_username(&mut tx, &username)
        .await?
        .is_some()
    {
        return Err(Error::invalid("username", "该用户名已被使用"));
    }
    let id = accounts::insert(
        &mut tx,
        &NewAccount {
            username,
            phone: phone.map(|p| app.seal_phone(&p)),
            display_name,
            password_hash: hash,
            must_change_password: true,
            external_id: None,
            created_by: Some(ctx.actor.account_id),
        },
        now,
    )
    .await
    .map_err(|e| match e.code {
        tongyu_domain::ErrorCode::Conflict => Error::invalid("phone", "该手机号已绑定其他账号"),
        _ => e,
    })?;
    accounts::insert_grant(&mut tx, id, role, unit.id, Some(ctx.actor.account_id), now).await?;
    let detail = format!("{} @ {}", role.as_str(), unit.name);
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "account.create",
            "account",
            id,
            Some(unit.id),
            detail,
        ),
    )
    .await?;
    let account = accounts::require(&mut tx, id).await?;
    tx.commit().await.db()?;
    Ok(Created {
        account,
        initial_password: password,
    })
}

async fn require_grantable(app: &App, ctx: &Ctx, role: Role, unit: &Unit) -> Result<()> {
    ctx.require(app, Action::ManageAccounts, unit.id, &unit.path)
        .await?;
    if !role.unit_kinds().contains(&unit.kind) {
        let kinds: Vec<&str> = role.unit_kinds().iter().map(|k| k.label()).collect();
        return Err(Error::invalid(
            "role",
            format!("{}只能设在{}上", role.label(), kinds.join("或")),
        ));
    }
    if !ctx.actor.may_grant(role, unit.kind, &unit.path) {
        audit::record_denied(
            app,
            ctx,
            Action::ManageAccounts,
            "role",
            role.as_str(),
            Some(unit.id),
        )
        .await;
        return Err(Error::with_message(
            tongyu_domain::ErrorCode::Forbidden,
            format!("不能授予{}角色", role.label()),
        ));
    }
    Ok(())
}

/// The account if the actor may take `action` on it (the access gate's
/// rule for accounts: [`crate::access::account`]).
pub async fn manageable(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<Account> {
    crate::access::account(app, ctx, id, action).await
}

/// Like [`manageable`], for showing or hiding a button: no audit entry.
pub async fn may_manage(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<bool> {
    crate::access::may_touch_account(app, ctx, id, action).await
}

/// One account with its grants, for the account page.
pub async fn get(app: &App, ctx: &Ctx, id: i64) -> Result<AccountRow> {
    let mut c = app.db.read().await?;
    let account = accounts::get(&mut c, id)
        .await?
        .ok_or_else(Error::not_found)?;
    let paths = accounts::grant_paths(&mut c, id).await?;
    let own = id == ctx.actor.account_id;
    if !own && !paths.iter().any(|p| ctx.actor.can(Action::ViewAccounts, p)) {
        return Err(Error::not_found());
    }
    let grants = accounts::grant_labels(&mut c, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(AccountRow { account, grants })
}

/// Accounts with a grant inside the actor's subtree, optionally narrowed to
/// one unit's subtree. Phone numbers stay masked.
/// Above how many parents a unit's accounts are listed by walking the
/// usernames (`AccountFilter::walk`).
const WALK_FROM: i64 = 5_000;

pub async fn list(
    app: &App,
    ctx: &Ctx,
    unit_id: Option<i64>,
    filter: &AccountFilter,
) -> Result<Vec<AccountRow>> {
    let mut roots = ctx.actor.scope(Action::ViewAccounts);
    // A large unit listed whole walks the usernames in order (a page is
    // found at once); a small one, or a narrowing filter, gathers its few
    // accounts and sorts them.
    let mut walk = false;
    if let Some(uid) = unit_id {
        let unit = crate::access::unit(app, ctx, uid, Action::ViewAccounts).await?;
        walk = filter.q.trim().is_empty()
            && filter.role.is_none_or(|r| r == Role::Parent)
            && unit.counts.guardians > WALK_FROM;
        roots = vec![unit.path];
    }
    if roots.is_empty() {
        return Err(Error::forbidden());
    }
    let rows = {
        let mut filter = filter.clone();
        filter.walk = walk;
        if let Ok(phone) = tongyu_domain::account::parse_phone(&filter.q) {
            filter.phone_key = Some(app.phone_lookup(&phone));
        }
        let mut c = app.db.read().await?;
        accounts::list_in_scope(&mut c, &roots, &filter).await?
    };
    // A search by a whole phone number finds a person by it: audited.
    if tongyu_domain::account::parse_phone(&filter.q).is_ok() {
        audit::append_alone(
            app,
            &audit::entry(
                app,
                ctx,
                "account.search_phone",
                "account",
                0,
                unit_id,
                format!("{} 条", rows.len()),
            ),
        )
        .await?;
    }
    Ok(rows)
}

/// Every account of a unit's subtree as a spreadsheet (phones masked),
/// at most 200,000 rows; the export is audited with its row count.
pub async fn export(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    role: Option<Role>,
    q: &str,
) -> Result<Vec<u8>> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    crate::second_factor::require_fresh(app, ctx)?;
    let now = app.now();
    let mut rows = Vec::new();
    // Page by username, so that each page costs the same however deep.
    let mut after = String::new();
    loop {
        let filter = AccountFilter {
            role,
            q: q.to_owned(),
            limit: 1000,
            after: after.clone(),
            ..AccountFilter::default()
        };
        let page = list(app, ctx, Some(unit.id), &filter).await?;
        let n = page.len();
        if let Some(last) = page.last() {
            after = last.account.username.clone();
        }
        for r in page {
            let a = &r.account;
            rows.push(vec![
                a.display_name.clone(),
                a.username.clone(),
                a.masked_phone(),
                r.grants
                    .iter()
                    .map(|g| format!("{}（{}）", g.role.label(), g.unit_name))
                    .collect::<Vec<_>>()
                    .join("、"),
                status_label(a.active, a.is_locked(now)).into(),
            ]);
        }
        if n < 1000 || rows.len() >= 200_000 {
            break;
        }
    }
    let bytes =
        crate::sheet::write_xlsx("人员", &["姓名", "用户名", "手机号", "角色", "状态"], &rows)?;
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "account.export",
            "unit",
            unit.id,
            Some(unit.id),
            format!("{} 条", rows.len()),
        ),
    )
    .await?;
    Ok(bytes)
}

/// An account's state in words.
pub fn status_label(active: bool, locked: bool) -> &'static str {
    if !active {
        "已停用"
    } else if locked {
        "已锁定"
    } else {
        "正常"
    }
}

/// Shows an account's full phone number to an administrator who manages it;
/// the read is audited.
pub async fn reveal_phone(app: &App, ctx: &Ctx, id: i64) -> Result<Option<String>> {
    let account = manageable(app, ctx, id, Action::ManageAccounts).await?;
    crate::second_factor::require_fresh(app, ctx)?;
    audit::append_alone(
        app,
        &audit::entry(app, ctx, "account.reveal_phone", "account", id, None, ""),
    )
    .await?;
    Ok(app.open_phone(&account))
}

pub async fn add_grant(
    app: &App,
    ctx: &Ctx,
    account_id: i64,
    role: &str,
    unit_id: i64,
) -> Result<()> {
    let role = Role::parse(role)?;
    // An account that holds no role yet (a parent who signed up) may be
    // given one by any administrator; others only within the subtree.
    let account = match manageable(app, ctx, account_id, Action::ManageAccounts).await {
        Ok(a) => a,
        Err(e) => {
            let mut c = app.db.read().await?;
            match accounts::get(&mut c, account_id).await? {
                Some(a) if accounts::grant_paths(&mut c, a.id).await?.is_empty() => a,
                _ => return Err(e),
            }
        }
    };
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    require_grantable(app, ctx, role, &unit).await?;
    let mut tx = app.db.write().await?;
    if accounts::insert_grant(
        &mut tx,
        account.id,
        role,
        unit.id,
        Some(ctx.actor.account_id),
        app.now(),
    )
    .await?
    {
        let detail = format!("{} @ {}", role.as_str(), unit.name);
        audit::append(
            &mut tx,
            &audit::entry(
                app,
                ctx,
                "grant.add",
                "account",
                account.id,
                Some(unit.id),
                detail,
            ),
        )
        .await?;
    }
    tx.commit().await.db()?;
    app.forget_account(account.id).await;
    Ok(())
}

pub async fn remove_grant(
    app: &App,
    ctx: &Ctx,
    account_id: i64,
    role: &str,
    unit_id: i64,
) -> Result<()> {
    let role = Role::parse(role)?;
    let account = manageable(app, ctx, account_id, Action::ManageAccounts).await?;
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    require_grantable(app, ctx, role, &unit).await?;
    if account.id == ctx.actor.account_id && role.is_unit_admin() {
        return Err(Error::invalid("role", "不能撤销自己的管理员角色"));
    }
    let mut tx = app.db.write().await?;
    if accounts::delete_grant(&mut tx, account.id, role, unit.id).await? {
        let detail = format!("{} @ {}", role.as_str(), unit.name);
        audit::append(
            &mut tx,
            &audit::entry(
                app,
                ctx,
                "grant.remove",
                "account",
                account.id,
                Some(unit.id),
                detail,
            ),
        )
        .await?;
    }
    tx.commit().await.db()?;
    app.forget_account(account.id).await;
    Ok(())
}

/// Sets a new temporary password, to be changed at next login; ends the
/// account's sessions.
pub async fn reset_password(app: &App, ctx: &Ctx, id: i64) -> Result<String> {
    let account = manageable(app, ctx, id, Action::ManageAccounts).await?;
    crate::second_factor::require_fresh(app, ctx)?;
    let password = auth::temporary_password();
    let hash = auth::hash_password_async(password.clone()).await?;
    let mut tx = app.db.write().await?;
    accounts::set_password(&mut tx, account.id, &hash, true).await?;
    accounts::unlock(&mut tx, account.id).await?;
    tongyu_store::session::delete_for_account(&mut tx, account.id, "").await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "account.reset_password",
            "account",
            account.id,
            None,
            "",
        ),
    )
    .await?;
    app.forget_account(account.id).await;
    Ok(password)
}

pub async fn unlock(app: &App, ctx: &Ctx, id: i64) -> Result<()> {
    let account = manageable(app, ctx, id, Action::UnlockAccount).await?;
    let mut tx = app.db.write().await?;
    accounts::unlock(&mut tx, account.id).await?;
    audit::append(
        &mut tx,
        &audit::entry(app, ctx, "account.unlock", "account", account.id, None, ""),
    )
    .await?;
    tx.commit().await.db()
}

pub async fn set_active(app: &App, ctx: &Ctx, id: i64, active: bool) -> Result<()> {
    let account = manageable(app, ctx, id, Action::ManageAccounts).await?;
    if account.id == ctx.actor.account_id {
        return Err(Error::invalid("id", "不能停用自己的账号"));
    }
    let mut tx = app.db.write().await?;
    accounts::set_active(&mut tx, account.id, active).await?;
    if !active {
        tongyu_store::session::delete_for_account(&mut tx, account.id, "").await?;
    }
    let action = if active {
        "account.activate"
    } else {
        "account.deactivate"
    };
    audit::commit_audited(
        tx,
        &audit::entry(app, ctx, action, "account", account.id, None, ""),
    )
    .await?;
    app.forget_account(account.id).await;
    Ok(())
}

/// Creates an account from the command line (the first city administrator,
/// and the system, security and audit administrators), bypassing the tree's
/// chain of command. Audited as the operator.
pub async fn create_from_cli(
    app: &App,
    username: &str,
    display_name: &str,
    role: Role,
    unit_id: i64,
    password: &str,
    must_change: bool,
) -> Result<Account> {
    let username = parse_username(username)?;
    let display_name = parse_person_name(display_name)?;
    check_password(password, &username)?;
    let hash = auth::hash_password_async(password.to_owned()).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let unit = tongyu_store::org::get(&mut tx, unit_id)
        .await?
        .ok_or_else(Error::not_found)?;
    if !role.unit_kinds().contains(&unit.kind) {
        return Err(Error::invalid("role", "角色与单位类型不符"));
    }
    let id = accounts::insert(
        &mut tx,
        &NewAccount {
            username: username.clone(),
            phone: None,
            display_name,
            password_hash: hash,
            must_change_password: must_change,
            external_id: None,
            created_by: None,
        },
        now,
    )
    .await?;
    accounts::insert_grant(&mut tx, id, role, unit.id, None, now).await?;
    let mut e = audit::anonymous(
        app,
        &crate::Origin {
            ip: "cli".into(),
            request_id: String::new(),
        },
        audit::SYSTEM,
        "account.create",
        "ok",
    );
    e.object_id = id.to_string();
    e.unit_id = Some(unit.id);
    e.detail = format!("{username}: {}", role.as_str());
    audit::append(&mut tx, &e).await?;
    let account = accounts::require(&mut tx, id).await?;
    tx.commit().await.db()?;
    Ok(account)
}

fn cli_entry(app: &App, action: &str, id: i64) -> tongyu_store::audit::AuditEntry {
    let mut e = audit::anonymous(
        app,
        &crate::Origin {
            ip: "cli".into(),
            request_id: String::new(),
        },
        audit::SYSTEM,
        action,
        "ok",
    );
    e.object_id = id.to_string();
    e
}

/// Resets a password from the command line (audited as the operator).
pub async fn cli_reset_password(app: &App, id: i64, password: &str) -> Result<()> {
    let hash = auth::hash_password_async(password.to_owned()).await?;
    let mut tx = app.db.write().await?;
    accounts::set_password(&mut tx, id, &hash, true).await?;
    accounts::unlock(&mut tx, id).await?;
    tongyu_store::session::delete_for_account(&mut tx, id, "").await?;
    audit::append(&mut tx, &cli_entry(app, "account.reset_password", id)).await?;
    tx.commit().await.db()?;
    app.forget_account(id).await;
    Ok(())
}

/// Unlocks an account from the command line (audited as the operator).
pub async fn cli_unlock(app: &App, id: i64) -> Result<()> {
    let mut tx = app.db.write().await?;
    accounts::unlock(&mut tx, id).await?;
    audit::append(&mut tx, &cli_entry(app, "account.unlock", id)).await?;
    tx.commit().await.db()
}

/// Gives an existing account, named by its username or phone, a role on a
/// unit (the "add a person" form of a unit's people page).
pub async fn grant_by_login(
    app: &App,
    ctx: &Ctx,
    login: &str,
    role: &str,
    unit_id: i64,
) -> Result<()> {
    let login = login.trim().to_ascii_lowercase();
    let found = {
        let mut c = app.db.read().await?;
        accounts::find_for_login(&mut c, &login, &app.login_phone_lookup(&login))
            .await?
            .map(|(a, _)| a)
    };
    let account = found.ok_or_else(|| {
        Error::invalid("username", format!("没有用户名或手机号为“{login}”的账号"))
    })?;
    add_grant(app, ctx, account.id, role, unit_id).await
}

/// Moves one's own account to a new phone number: the current password
/// again, and a code sent to the new number. Every other session ends.
pub async fn change_own_phone(
    app: &App,
    ctx: &Ctx,
    session: &crate::auth::Session,
    new_phone: &str,
    sms_code: &str,
    password: &str,
) -> Result<()> {
    let phone = parse_phone(new_phone)?;
    tongyu_domain::verify::parse_code(sms_code)?;
    {
        let mut c = app.db.read().await?;
        if accounts::by_phone_keys(&mut c, &[app.phone_lookup(&phone)])
            .await?
            .iter()
            .any(|(_, a)| a.id != session.account.id)
        {
            return Err(Error::invalid("phone", "该手机号已被其他账号使用"));
        }
    }
    auth::check_own_password(app, &session.account, "password", password).await?;
    crate::verify::check_code(
        app,
        &phone,
        tongyu_domain::verify::Purpose::ChangePhone,
        sms_code,
    )
    .await?;
    let old = session.account.masked_phone();
    let mut tx = app.db.write().await?;
    accounts::set_phone(&mut tx, session.account.id, &app.seal_phone(&phone)).await?;
    tongyu_store::session::delete_for_account(&mut tx, session.account.id, &session.id_hash)
        .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "account.change_phone",
            "account",
            session.account.id,
            None,
            format!("{old} → {}", tongyu_domain::account::mask_phone(&phone)),
        ),
    )
    .await?;
    app.forget_account(session.account.id).await;
    Ok(())
}

/// A parent closes their own account (PIPL's right to deletion): the
/// password again; the name and phone are erased, the account can no longer
/// sign in, and every session ends. Staff accounts are closed by their
/// administrators instead.
pub async fn close_own(
    app: &App,
    ctx: &Ctx,
    session: &crate::auth::Session,
    password: &str,
) -> Result<()> {
    if session.actor.grants.iter().any(|g| g.role != Role::Parent) {
        return Err(Error::invalid(
            "password",
            "工作账号由所在单位的管理员停用，不能自行注销",
        ));
    }
    auth::check_own_password(app, &session.account, "password", password).await?;
    let mut tx = app.db.write().await?;
    accounts::close(&mut tx, session.account.id).await?;
    tongyu_store::session::delete_for_account(&mut tx, session.account.id, "").await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "account.close",
            "account",
            session.account.id,
            None,
            "本人申请注销",
        ),
    )
    .await?;
    app.forget_account(session.account.id).await;
    Ok(())
}
