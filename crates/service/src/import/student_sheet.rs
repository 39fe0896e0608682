//! Students into their classes from a sheet.

use super::*;

pub(super) async fn import_students(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let ok = first_pass(rows, ImportKind::Students, Some("external_id"), &mut errors);
    let mut c = app.db.read().await?;
    let classes = units_by_ext(&mut c, ok.iter().map(|r| r.get("class"))).await?;
    let exts: Vec<String> = ok.iter().map(|r| r.get("external_id").to_owned()).collect();
    let (existing, current) = students_with_classes(&mut c, &exts).await?;
    drop(c);
    struct StudentRow<'a> {
        ext: &'a str,
        class: Unit,
        name: String,
        gender: String,
    }
    let mut parsed = Vec::new();
    for r in ok {
        let class = cell!(
            errors,
            r,
            "class",
            scoped(ctx, &classes, r.get("class"), Some(UnitKind::Class))
        )
        .clone();
        let name = cell!(errors, r, "name", parse_person_name(r.get("name")));
        let gender = cell!(errors, r, "gender", parse_gender(r.get("gender")));
        let ext = r.get("external_id");
        if let Some(s) = existing.get(ext) {
            let within = current
                .get(&s.class_id)
                .is_some_and(|u| ctx.actor.can(Action::Import, &u.path));
            if !within {
                errors.push(r.error(
                    "external_id",
                    format!("学籍号“{ext}”已登记在您管理范围以外的班级"),
                ));
                continue;
            }
        }
        parsed.push(StudentRow {
            ext,
            class,
            name,
            gender,
        });
    }
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut tx = app.db.write().await?;
    let mut fresh = Vec::new();
    let mut per_class: HashMap<i64, (Unit, i64)> = HashMap::new();
    for (i, p) in parsed.iter().enumerate() {
        match existing.get(p.ext) {
            Some(s) if s.name == p.name && s.gender == p.gender && s.class_id == p.class.id => {
                out.unchanged += 1
            }
            Some(s) => {
                let old = current.get(&s.class_id).ok_or_else(Error::internal)?;
                students::update(&mut tx, s, &p.name, &p.gender, &p.class, old, now).await?;
                out.updated += 1;
            }
            None => {
                fresh.push(NewStudent {
                    class_id: p.class.id,
                    name: p.name.clone(),
                    gender: p.gender.clone(),
                    external_id: p.ext.to_owned(),
                });
                per_class
                    .entry(p.class.id)
                    .or_insert_with(|| (p.class.clone(), 0))
                    .1 += 1;
            }
        }
        tick(progress, i + 1, parsed.len());
    }
    students::insert_many(&mut tx, &fresh, now).await?;
    out.created = fresh.len();
    for (class, n) in per_class.values() {
        let mut ids = class.ancestor_ids();
        ids.push(class.id);
        units::add_counts(
            &mut tx,
            &ids,
            Counts {
                students: *n,
                ..Counts::default()
            },
        )
        .await?;
    }
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Students, &out, None)).await?;
    Ok(out)
}
