//! Teachers and their roles from a sheet, with first passwords for new accounts.

use super::*;

fn parse_role(s: &str) -> Option<Role> {
    Role::ALL
        .into_iter()
        .find(|r| r.as_str() == s || r.label() == s)
        .or(match s {
            "指导教师" => Some(Role::Instructor),
            "协调员" => Some(Role::Coordinator),
            _ => None,
        })
}

pub(super) async fn import_teachers(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let ok = first_pass(rows, ImportKind::Teachers, None, &mut errors);
    let mut c = app.db.read().await?;
    let unit_of = units_by_ext(&mut c, ok.iter().map(|r| r.get("unit"))).await?;
    struct Person {
        first_row: usize,
        name: String,
        phone: Option<String>,
        username: String,
        grants: Vec<(Role, i64)>,
    }
    let mut people: HashMap<&str, Person> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for r in &ok {
        let ext = r.get("external_id");
        let Some(role) = parse_role(r.get("role")) else {
            errors.push(r.error(
                "role",
                format!(
                    "未知的角色：{}（可填：教师、班主任、家庭教育指导教师、总协调员、学校管理员）",
                    r.get("role")
                ),
            ));
            continue;
        };
        let unit = cell!(
            errors,
            r,
            "unit",
            scoped(ctx, &unit_of, r.get("unit"), None)
        );
        if !role.unit_kinds().contains(&unit.kind) {
            let kinds: Vec<&str> = role.unit_kinds().iter().map(|k| k.label()).collect();
            errors.push(r.error(
                "unit",
                format!(
                    "{}只能设在{}上，“{}”是{}",
                    role.label(),
                    kinds.join("或"),
                    unit.name,
                    unit.kind.label()
                ),
            ));
            continue;
        }
        if !ctx.actor.may_grant(role, unit.kind, &unit.path) {
            errors.push(r.error("role", format!("您不能授予{}角色", role.label())));
            continue;
        }
        let name = cell!(errors, r, "name", parse_person_name(r.get("name")));
        let phone = match r.get("phone") {
            "" => None,
            p => match parse_phone(p) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(r.error("phone", e.message));
                    continue;
                }
            },
        };
        let username = match r.get("username") {
            "" => {
                let base: String = ext
                    .to_ascii_lowercase()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                match parse_username(&format!("t{base}")) {
                    Ok(u) => u,
                    Err(_) => {
                        errors.push(r.error("username", "无法由工号生成用户名，请填写用户名"));
                        continue;
                    }
                }
            }
            u => cell!(errors, r, "username", parse_username(u)),
        };
        match people.get_mut(ext) {
            Some(p) => {
                if p.name != name || p.phone != phone || p.username != username {
                    errors.push(r.error(
                        "external_id",
                        format!(
                            "工号“{ext}”在第 {} 行的姓名、手机号或用户名与本行不同",
                            p.first_row
                        ),
                    ));
                    continue;
                }
                p.grants.push((role, unit.id));
            }
            None => {
                order.push(ext);
                people.insert(
                    ext,
                    Person {
                        first_row: r.number,
                        name,
                        phone,
                        username,
                        grants: vec![(role, unit.id)],
                    },
                );
            }
        }
    }
    // Against the database and the rest of the file: one account per
    // external id, username and phone.
    let exts: Vec<String> = order.iter().map(|s| (*s).to_owned()).collect();
    let by_ext: HashMap<String, tongyu_domain::account::Account> =
        accounts::by_external_ids(&mut c, &exts)
            .await?
            .into_iter()
            .collect();
    let names: Vec<String> = people.values().map(|p| p.username.clone()).collect();
    let by_name: HashMap<String, i64> = accounts::by_usernames(&mut c, &names)
        .await?
        .into_iter()
        .map(|a| (a.username, a.id))
        .collect();
    let phones: Vec<String> = people.values().filter_map(|p| p.phone.clone()).collect();
    let by_phone = phone_owners(app, &mut c, &phones).await?;
    drop(c);
    let mut file_names: HashMap<&str, &str> = HashMap::new();
    let mut file_phones: HashMap<&str, &str> = HashMap::new();
    for ext in &order {
        let p = &people[ext];
        let own = by_ext.get(*ext).map(|a| a.id);
        let row = ok
            .iter()
            .find(|r| r.number == p.first_row)
            .ok_or_else(Error::internal)?;
        if let Some(a) = by_ext.get(*ext)
            && a.username != p.username
            && !row.get("username").is_empty()
        {
            errors.push(row.error(
                "username",
                format!("工号“{ext}”已对应用户名“{}”", a.username),
            ));
        }
        if let Some(id) = by_name.get(&p.username)
            && Some(*id) != own
        {
            errors.push(row.error(
                "username",
                format!("用户名“{}”已被其他账号使用", p.username),
            ));
        }
        if let Some(other) = file_names.insert(p.username.as_str(), ext) {
            errors.push(row.error(
                "username",
                format!("用户名“{}”在文件中也用于工号“{other}”", p.username),
            ));
        }
        if let Some(phone) = &p.phone {
            if let Some(id) = by_phone.get(phone)
                && Some(*id) != own
            {
                errors.push(row.error(
                    "phone",
                    format!(
                        "手机号{}已绑定其他账号",
                        tongyu_domain::account::mask_phone(phone)
                    ),
                ));
            }
            if let Some(other) = file_phones.insert(phone.as_str(), ext) {
                errors.push(row.error("phone", format!("手机号在文件中也用于工号“{other}”")));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    // New accounts get a first password each; hashing runs on all cores.
    let fresh: Vec<&str> = order
        .iter()
        .copied()
        .filter(|e| !by_ext.contains_key(*e))
        .collect();
    let passwords: Vec<String> = fresh.iter().map(|_| auth::temporary_password()).collect();
    let hashes = hash_all(passwords.clone()).await?;
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut tx = app.db.write().await?;
    let new_rows: Vec<NewAccount> = fresh
        .iter()
        .zip(&hashes)
        .map(|(ext, hash)| {
            let p = &people[ext];
            NewAccount {
                username: p.username.clone(),
                phone: p.phone.as_deref().map(|p| app.seal_phone(p)),
                display_name: p.name.clone(),
                password_hash: hash.clone(),
                must_change_password: true,
                external_id: Some((*ext).to_owned()),
                created_by: Some(ctx.actor.account_id).filter(|id| *id > 0),
            }
        })
        .collect();
    let created: HashMap<String, i64> = accounts::insert_many(&mut tx, &new_rows, now)
        .await?
        .into_iter()
        .collect();
    for (password, row) in passwords.into_iter().zip(&new_rows) {
        out.credentials.push(Credential {
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            password,
        });
    }
    out.created = fresh.len();
    let mut grants = Vec::new();
    for (i, ext) in order.iter().enumerate() {
        let p = &people[ext];
        let id = match by_ext.get(*ext) {
            Some(a) => {
                if a.display_name != p.name || app.open_phone(a) != p.phone {
                    let phone = p.phone.as_deref().map(|p| app.seal_phone(p));
                    accounts::update_profile(&mut tx, a.id, &p.name, phone.as_ref()).await?;
                    out.updated += 1;
                } else {
                    out.unchanged += 1;
                }
                a.id
            }
            None => *created.get(&p.username).ok_or_else(Error::internal)?,
        };
        grants.extend(p.grants.iter().map(|(role, unit)| (id, *role, *unit)));
        tick(progress, i + 1, order.len());
    }
    accounts::insert_grants_many(&mut tx, &grants, now).await?;
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Teachers, &out, None)).await?;
    Ok(out)
}
