//! Queries of accounts and grants.

use tongyu_domain::account::{Account, Role, SealedPhone};
use tongyu_domain::org::UnitKind;
use tongyu_domain::policy::Grant;
use tongyu_domain::{Error, Result};

use crate::{BindSubtree, Conn, DbResult, col};

macro_rules! account_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "username, ",
            $p,
            "phone_mask, ",
            $p,
            "phone_sealed, ",
            $p,
            "display_name, ",
            $p,
            "must_change_password, ",
            $p,
            "active, ",
            $p,
            "failed_logins, ",
            $p,
            "locked_until, ",
            $p,
            "created_at, ",
            $p,
            "last_login_at"
        )
    };
}

fn account_from_row(row: &sqlx::any::AnyRow) -> Result<Account> {
    Ok(Account {
        id: col(row, "id")?,
        username: col(row, "username")?,
        phone_mask: col(row, "phone_mask")?,
        phone_sealed: col(row, "phone_sealed")?,
        display_name: col(row, "display_name")?,
        must_change_password: col::<i64>(row, "must_change_password")? != 0,
        active: col::<i64>(row, "active")? != 0,
        failed_logins: col(row, "failed_logins")?,
        locked_until: col(row, "locked_until")?,
        created_at: col(row, "created_at")?,
        last_login_at: col(row, "last_login_at")?,
    })
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub phone: Option<SealedPhone>,
    pub display_name: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub external_id: Option<String>,
    pub created_by: Option<i64>,
}

pub async fn insert(c: &mut Conn, new: &NewAccount, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO accounts (username, phone_key, phone_sealed, phone_mask, display_name,
                               password_hash, must_change_password, external_id, created_at,
                               created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(&new.username)
    .bind(new.phone.as_ref().map(|p| p.key.clone()))
    .bind(new.phone.as_ref().map(|p| p.sealed.clone()))
    .bind(new.phone.as_ref().map(|p| p.mask.clone()))
    .bind(&new.display_name)
    .bind(&new.password_hash)
    .bind(i64::from(new.must_change_password))
    .bind(&new.external_id)
    .bind(now)
    .bind(new.created_by)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Account>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        account_cols!(""),
        " FROM accounts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(account_from_row).transpose()
}

pub async fn get_by_username(c: &mut Conn, username: &str) -> Result<Option<Account>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        account_cols!(""),
        " FROM accounts WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(account_from_row).transpose()
}

/// The account a login name names (a username, or a phone by its look-up
/// hash), with its password hash.
pub async fn find_for_login(
    c: &mut Conn,
    login: &str,
    phone_key: &str,
) -> Result<Option<(Account, String)>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        account_cols!(""),
        ", password_hash FROM accounts WHERE username = $1 OR phone_key = $2 ORDER BY id LIMIT 1"
    ))
    .bind(login)
    .bind(phone_key)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    match row {
        Some(r) => Ok(Some((account_from_row(&r)?, col(&r, "password_hash")?))),
        None => Ok(None),
    }
}

/// Counts a failed login. At `max` failures in a row the account locks until
/// `lock_until` and the count starts again. Returns true when this failure locked it.
/// Counts a failed sign-in and, at the `max`-th in a row, locks the
/// account until `lock_until`: checked and changed in one statement, so
/// failures sent side by side to several instances are all counted.
/// Returns true when this failure locked the account.
pub async fn record_failure(c: &mut Conn, id: i64, max: i64, lock_until: i64) -> Result<bool> {
    let locked: i64 = sqlx::query_scalar(
        "UPDATE accounts SET
             failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
         WHERE id = $1
         RETURNING CASE WHEN locked_until = $3 THEN 1 ELSE 0 END",
    )
    .bind(id)
    .bind(max)
    .bind(lock_until)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(locked == 1)
}

pub async fn record_success(c: &mut Conn, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET failed_logins = 0, last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub async fn set_password(c: &mut Conn, id: i64, hash: &str, must_change: bool) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1, must_change_password = $2 WHERE id = $3")
        .bind(hash)
        .bind(i64::from(must_change))
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub async fn unlock(c: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET failed_logins = 0, locked_until = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub async fn set_active(c: &mut Conn, id: i64, active: bool) -> Result<()> {
    sqlx::query("UPDATE accounts SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    // Whom the training targets count follows the account's state.
    crate::training::refresh_people(c, &[id]).await
}

pub async fn update_profile(
    c: &mut Conn,
    id: i64,
    display_name: &str,
    phone: Option<&SealedPhone>,
) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET display_name = $1, phone_key = $2, phone_sealed = $3, phone_mask = $4
         WHERE id = $5",
    )
    .bind(display_name)
    .bind(phone.map(|p| p.key.clone()))
    .bind(phone.map(|p| p.sealed.clone()))
    .bind(phone.map(|p| p.mask.clone()))
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// The grants of an account, with the kind and path of each unit (active units only).
pub async fn grants_of(c: &mut Conn, account_id: i64) -> Result<Vec<Grant>> {
    let rows = sqlx::query(
        "SELECT g.role, g.unit_id, u.kind, u.path FROM grants g JOIN units u ON u.id = g.unit_id
         WHERE g.account_id = $1 AND u.active = 1 ORDER BY g.id",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Grant {
                role: Role::parse(&col::<String>(r, "role")?)?,
                unit_id: col(r, "unit_id")?,
                unit_kind: UnitKind::parse(&col::<String>(r, "kind")?)?,
                unit_path: col(r, "path")?,
            })
        })
        .collect()
}

/// Adds a grant; granting one that exists already changes nothing.
/// Returns true when it was new.
pub async fn insert_grant(
    c: &mut Conn,
    account_id: i64,
    role: Role,
    unit_id: i64,
    by: Option<i64>,
    now: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO grants (account_id, role, unit_id, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, role, unit_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(role.as_str())
    .bind(unit_id)
    .bind(now)
    .bind(by)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    if n > 0 && tongyu_domain::training::counted_role(role) {
        crate::training::refresh_people(c, &[account_id]).await?;
    }
    Ok(n > 0)
}

pub async fn delete_grant(c: &mut Conn, account_id: i64, role: Role, unit_id: i64) -> Result<bool> {
    let n = sqlx::query("DELETE FROM grants WHERE account_id = $1 AND role = $2 AND unit_id = $3")
        .bind(account_id)
        .bind(role.as_str())
        .bind(unit_id)
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected();
    if n > 0 && tongyu_domain::training::counted_role(role) {
        crate::training::refresh_people(c, &[account_id]).await?;
    }
    Ok(n > 0)
}

/// One row of an account list: the account and where it holds which role.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct AccountRow {
    pub account: Account,
    pub grants: Vec<GrantLabel>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct GrantLabel {
    pub role: Role,
    pub unit_id: i64,
    pub unit_name: String,
}

/// A filter of the account list.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub role: Option<Role>,
    /// Part of a username or a display name.
    pub q: String,
    /// The look-up hash of `q` when it is a whole phone number.
    pub phone_key: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// Keyset: usernames after this one (the next page).
    pub after: String,
    /// Keyset: usernames before this one (the page before), still listed
    /// in order.
    pub before: String,
    /// Walk the usernames in order, checking each account's grants, instead
    /// of gathering the scope's accounts and sorting them: for a large scope
    /// with no narrowing filter, where a page is found after a few hundred
    /// rows and the whole scope would be hundreds of thousands.
    pub walk: bool,
}

/// SQL matching grants whose unit lies inside one of `roots`; binds from `$first`.
fn scope_clause(roots: &[String], first: usize) -> String {
    roots
        .iter()
        .enumerate()
        .map(|(i, _)| {
            format!(
                "(u.path >= ${} AND u.path < ${})",
                first + 2 * i,
                first + 2 * i + 1
            )
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// Accounts with at least one grant inside `roots`, by username.
pub async fn list_in_scope(
    c: &mut Conn,
    roots: &[String],
    filter: &AccountFilter,
) -> Result<Vec<AccountRow>> {
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    // $1 role, $2 q, $3 its LIKE pattern, $4 limit, $5 offset, $6 phone
    // key; then the keyset bounds given, then the scope's paths.
    let mut next = 7;
    let mut bounds = String::new();
    for (value, op) in [(&filter.after, ">"), (&filter.before, "<")] {
        if !value.is_empty() {
            bounds.push_str(&format!(" AND a.username {op} ${next}"));
            next += 1;
        }
    }
    let grants = format!(
        "SELECT g.account_id FROM grants g JOIN units u ON u.id = g.unit_id
         WHERE ($1 = '' OR g.role = $1) AND ({})",
        scope_clause(roots, next)
    );
    let member = if filter.walk {
        format!(
            "EXISTS ({} AND g.account_id = a.id)",
            grants.replacen("SELECT g.account_id", "SELECT 1", 1)
        )
    } else {
        format!("a.id IN ({grants})")
    };
    let order = if filter.before.is_empty() {
        "ASC"
    } else {
        "DESC"
    };
    let sql = format!(
        concat!(
            "SELECT ",
            account_cols!("a."),
            " FROM accounts a WHERE {}{}
              AND ($2 = '' OR a.username LIKE $3 ESCAPE '\\' OR a.display_name LIKE $3 ESCAPE '\\' OR a.phone_key = $6)
             ORDER BY a.username {} LIMIT $4 OFFSET $5"
        ),
        member, bounds, order
    );
    let like = crate::like_contains(filter.q.trim());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(filter.role.map_or("", |r| r.as_str()))
        .bind(filter.q.trim())
        .bind(like)
        .bind(filter.limit.clamp(1, 1000))
        .bind(filter.offset.max(0))
        .bind(filter.phone_key.clone().unwrap_or_default());
    for value in [&filter.after, &filter.before] {
        if !value.is_empty() {
            q = q.bind(value.clone());
        }
    }
    for r in roots {
        q = q.bind_subtree(r);
    }
    let rows = q.fetch_all(&mut *c).await.db()?;
    let mut accounts = rows
        .iter()
        .map(account_from_row)
        .collect::<Result<Vec<_>>>()?;
    if !filter.before.is_empty() {
        accounts.reverse();
    }
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    let mut labels = grant_labels(c, &ids).await?;
    Ok(accounts
        .into_iter()
        .map(|a| {
            let grants = labels.remove(&a.id).unwrap_or_default();
            AccountRow { account: a, grants }
        })
        .collect())
}

/// The grants of several accounts, labelled with their units' names.
pub async fn grant_labels(
    c: &mut Conn,
    account_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<GrantLabel>>> {
    let mut out: std::collections::HashMap<i64, Vec<GrantLabel>> = Default::default();
    if account_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT g.account_id, g.role, g.unit_id, u.name FROM grants g
         JOIN units u ON u.id = g.unit_id WHERE g.account_id IN ({}) ORDER BY g.id",
        crate::placeholders(1, account_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in account_ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(&mut *c).await.db()? {
        out.entry(col(&r, "account_id")?)
            .or_default()
            .push(GrantLabel {
                role: Role::parse(&col::<String>(&r, "role")?)?,
                unit_id: col(&r, "unit_id")?,
                unit_name: col(&r, "name")?,
            });
    }
    Ok(out)
}

/// The paths of the units where the account holds grants (inactive ones too).
pub async fn grant_paths(c: &mut Conn, account_id: i64) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT u.path FROM grants g JOIN units u ON u.id = g.unit_id WHERE g.account_id = $1",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()
}

/// Accounts by id, for labels.
pub async fn require(c: &mut Conn, id: i64) -> Result<Account> {
    get(c, id).await?.ok_or_else(Error::not_found)
}

/// Inserts many accounts in multi-row statements; returns (username, id).
pub async fn insert_many(
    c: &mut Conn,
    rows: &[NewAccount],
    now: i64,
) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(200) {
        let values = (0..chunk.len())
            .map(|i| {
                let b = i * 9;
                let params: Vec<String> = (b + 1..=b + 9).map(|n| format!("${n}")).collect();
                format!("({}, {now})", params.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO accounts (username, phone_key, phone_sealed, phone_mask, display_name,
                                   password_hash, must_change_password, external_id, created_by,
                                   created_at)
             VALUES {values} RETURNING id, username"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.username.clone())
                .bind(r.phone.as_ref().map(|p| p.key.clone()))
                .bind(r.phone.as_ref().map(|p| p.sealed.clone()))
                .bind(r.phone.as_ref().map(|p| p.mask.clone()))
                .bind(r.display_name.clone())
                .bind(r.password_hash.clone())
                .bind(i64::from(r.must_change_password))
                .bind(r.external_id.clone())
                .bind(r.created_by);
        }
        for row in q.fetch_all(&mut *c).await.db()? {
            out.push((col(&row, "username")?, col(&row, "id")?));
        }
    }
    Ok(out)
}

/// Inserts many grants (account, role, unit) in multi-row statements;
/// grants that exist already are left as they are.
pub async fn insert_grants_many(c: &mut Conn, rows: &[(i64, Role, i64)], now: i64) -> Result<()> {
    for chunk in rows.chunks(300) {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${}, {now})", i * 3 + 1, i * 3 + 2, i * 3 + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO grants (account_id, role, unit_id, created_at) VALUES {values} ON CONFLICT (account_id, role, unit_id) DO NOTHING"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (a, r, u) in chunk {
            q = q.bind(*a).bind(r.as_str()).bind(*u);
        }
        q.execute(&mut *c).await.db()?;
    }
    let counted: Vec<i64> = rows
        .iter()
        .filter(|(_, r, _)| tongyu_domain::training::counted_role(*r))
        .map(|(a, _, _)| *a)
        .collect();
    crate::training::refresh_people(c, &counted).await
}

/// Accounts by external id.
pub async fn by_external_ids(c: &mut Conn, ids: &[String]) -> Result<Vec<(String, Account)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            concat!(
                "SELECT ",
                account_cols!(""),
                ", external_id FROM accounts WHERE external_id IN ({})"
            ),
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.clone());
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.push((col(&r, "external_id")?, account_from_row(&r)?));
        }
    }
    Ok(out)
}

/// Accounts by phone number (its look-up hash), with the hash.
pub async fn by_phone_keys(c: &mut Conn, keys: &[String]) -> Result<Vec<(String, Account)>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(500) {
        let sql = format!(
            concat!(
                "SELECT ",
                account_cols!(""),
                ", phone_key FROM accounts WHERE phone_key IN ({})"
            ),
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in chunk {
            q = q.bind(p.clone());
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.push((col(&r, "phone_key")?, account_from_row(&r)?));
        }
    }
    Ok(out)
}

/// Accounts by username.
pub async fn by_usernames(c: &mut Conn, names: &[String]) -> Result<Vec<Account>> {
    let mut out = Vec::new();
    for chunk in names.chunks(500) {
        let sql = format!(
            concat!(
                "SELECT ",
                account_cols!(""),
                " FROM accounts WHERE username IN ({})"
            ),
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for n in chunk {
            q = q.bind(n.clone());
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.push(account_from_row(&r)?);
        }
    }
    Ok(out)
}

/// Does the account have a password it can log in with? Imported parents
/// have none until they claim the account by signing up with their phone.
pub async fn has_password(c: &mut Conn, id: i64) -> Result<bool> {
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .db()?;
    Ok(hash != NO_PASSWORD)
}

/// The password hash of an account that cannot log in yet.
pub const NO_PASSWORD: &str = "!";

/// Display names of these accounts (accounts that do not exist are absent).
pub async fn display_names(
    c: &mut Conn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, display_name FROM accounts WHERE id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.insert(col(&r, "id")?, col(&r, "display_name")?);
        }
    }
    Ok(out)
}

/// Active accounts holding one of `roles` at exactly this unit: (id, name),
/// by name.
pub async fn with_roles_at(
    c: &mut Conn,
    unit_id: i64,
    roles: &[tongyu_domain::account::Role],
) -> Result<Vec<(i64, String)>> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT a.id, a.display_name FROM grants g JOIN accounts a ON a.id = g.account_id
         WHERE g.unit_id = $1 AND a.active = 1 AND g.role IN ({}) ORDER BY a.id",
        crate::placeholders(2, roles.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(unit_id);
    for r in roles {
        q = q.bind(r.as_str());
    }
    let mut people = q
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(|r| Ok((col(r, "id")?, col(r, "display_name")?)))
        .collect::<Result<Vec<(i64, String)>>>()?;
    tongyu_domain::collate::sort_by_name(&mut people, |p| &p.1);
    Ok(people)
}

/// Moves an account to another phone number.
pub async fn set_phone(c: &mut Conn, id: i64, phone: &SealedPhone) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET phone_key = $1, phone_sealed = $2, phone_mask = $3 WHERE id = $4",
    )
    .bind(&phone.key)
    .bind(&phone.sealed)
    .bind(&phone.mask)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()
    .map_err(|e| match e.code {
        tongyu_domain::ErrorCode::Conflict => Error::invalid("phone", "该手机号已被其他账号使用"),
        _ => e,
    })?;
    Ok(())
}

/// Closes an account at its holder's request: it can no longer sign in,
/// and its name and phone are gone (the username stays, so the audit log
/// still names who did what).
pub async fn close(c: &mut Conn, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET display_name = '已注销用户', phone_key = NULL, phone_sealed = NULL,
                             phone_mask = NULL, password_hash = '!',
                             active = 0 WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    crate::training::refresh_people(c, &[id]).await
}
