//! Guardians bound to their children from a sheet.

use super::*;

pub(super) async fn import_guardians(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let ok = first_pass(rows, ImportKind::Guardians, None, &mut errors);
    let mut c = app.db.read().await?;
    let exts: Vec<String> = ok
        .iter()
        .map(|r| r.get("student").to_owned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (kids, classes) = students_with_classes(&mut c, &exts).await?;
    struct LinkRow {
        student: i64,
        class: i64,
        phone: String,
        relation: String,
    }
    let mut parsed = Vec::new();
    let mut pairs: HashMap<(i64, String), usize> = HashMap::new();
    let mut names: HashMap<String, (String, usize)> = HashMap::new();
    for r in ok {
        let student = match kids.get(r.get("student")) {
            Some(s)
                if s.active
                    && classes
                        .get(&s.class_id)
                        .is_some_and(|u| ctx.actor.can(Action::Import, &u.path)) =>
            {
                s
            }
            _ => {
                errors.push(r.error(
                    "student",
                    format!(
                        "找不到学籍号为“{}”的学生（或不在您的管理范围内）",
                        r.get("student")
                    ),
                ));
                continue;
            }
        };
        let name = cell!(errors, r, "name", parse_person_name(r.get("name")));
        let phone = cell!(errors, r, "phone", parse_phone(r.get("phone")));
        let relation = cell!(errors, r, "relation", parse_relation(r.get("relation")));
        if let Some(first) = pairs.insert((student.id, phone.clone()), r.number) {
            errors.push(r.error("phone", format!("同一学生与同一手机号在第 {first} 行已有")));
            continue;
        }
        match names.get(&phone) {
            Some((n, first)) if *n != name => {
                errors.push(r.error(
                    "name",
                    format!("同一手机号在第 {first} 行的家长姓名是“{n}”"),
                ));
                continue;
            }
            Some(_) => {}
            None => {
                names.insert(phone.clone(), (name.clone(), r.number));
            }
        }
        parsed.push(LinkRow {
            student: student.id,
            class: student.class_id,
            phone,
            relation,
        });
    }
    let phones: Vec<String> = names.keys().cloned().collect();
    let by_phone = phone_owners(app, &mut c, &phones).await?;
    let student_ids: Vec<i64> = parsed
        .iter()
        .map(|p| p.student)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let links: HashMap<(i64, i64), LinkStatus> = students::links_of_students(&mut c, &student_ids)
        .await?
        .into_iter()
        .map(|(s, a, st)| ((s, a), st))
        .collect();
    drop(c);
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut tx = app.db.write().await?;
    let fresh: Vec<(&String, &String)> = names
        .iter()
        .filter(|(phone, _)| !by_phone.contains_key(*phone))
        .map(|(phone, (name, _))| (phone, name))
        .collect();
    let new_accounts: Vec<NewAccount> = fresh
        .iter()
        .map(|(phone, name)| NewAccount {
            // Parents sign in with their phone; the username holds none of it.
            username: crate::auth::parent_username(),
            phone: Some(app.seal_phone(phone)),
            display_name: (*name).clone(),
            password_hash: NO_PASSWORD.to_owned(),
            must_change_password: false,
            external_id: None,
            created_by: Some(ctx.actor.account_id).filter(|id| *id > 0),
        })
        .collect();
    let mut account_of: HashMap<String, i64> = by_phone;
    let phone_of: HashMap<&str, &str> = new_accounts
        .iter()
        .zip(&fresh)
        .map(|(a, (phone, _))| (a.username.as_str(), phone.as_str()))
        .collect();
    for (username, id) in accounts::insert_many(&mut tx, &new_accounts, now).await? {
        let phone = phone_of
            .get(username.as_str())
            .ok_or_else(Error::internal)?;
        account_of.insert((*phone).to_owned(), id);
    }
    let mut new_links = Vec::new();
    let mut grants = Vec::new();
    let mut per_class: HashMap<i64, i64> = HashMap::new();
    for (i, p) in parsed.iter().enumerate() {
        let account = *account_of.get(&p.phone).ok_or_else(Error::internal)?;
        match links.get(&(p.student, account)) {
            Some(LinkStatus::Confirmed) => out.unchanged += 1,
            Some(_) => {
                students::upsert_link(
                    &mut tx,
                    p.student,
                    account,
                    &p.relation,
                    LinkStatus::Confirmed,
                    None,
                    now,
                )
                .await?;
                out.updated += 1;
                *per_class.entry(p.class).or_default() += 1;
                grants.push((account, Role::Parent, p.class));
            }
            None => {
                new_links.push((p.student, account, p.relation.clone()));
                out.created += 1;
                *per_class.entry(p.class).or_default() += 1;
                grants.push((account, Role::Parent, p.class));
            }
        }
        tick(progress, i + 1, parsed.len());
    }
    students::insert_links_many(&mut tx, &new_links, now).await?;
    accounts::insert_grants_many(&mut tx, &grants, now).await?;
    for (class_id, n) in per_class {
        let class = classes.get(&class_id).ok_or_else(Error::internal)?;
        let mut ids = class.ancestor_ids();
        ids.push(class.id);
        units::add_counts(
            &mut tx,
            &ids,
            Counts {
                guardians: n,
                ..Counts::default()
            },
        )
        .await?;
    }
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Guardians, &out, None)).await?;
    Ok(out)
}
