//! Classes from a sheet.

use super::*;

pub(super) async fn import_classes(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let ok = first_pass(rows, ImportKind::Classes, Some("external_id"), &mut errors);
    let mut c = app.db.read().await?;
    let existing = units_by_ext(
        &mut c,
        ok.iter()
            .flat_map(|r| [r.get("external_id"), r.get("school")]),
    )
    .await?;
    drop(c);
    let default_year = tongyu_domain::calendar::school_year(app.now());
    struct ClassRow<'a> {
        ext: &'a str,
        school: Unit,
        grade: Grade,
        name: String,
        year: i64,
    }
    let mut parsed = Vec::new();
    for r in ok {
        let school = cell!(
            errors,
            r,
            "school",
            scoped(ctx, &existing, r.get("school"), Some(UnitKind::School))
        )
        .clone();
        let grade = match Grade::parse(r.get("grade")) {
            Ok(g) if school.stages.contains(&g.stage) => g,
            Ok(g) => {
                errors.push(r.error(
                    "grade",
                    format!("{}没有{}学段", school.name, g.stage.label()),
                ));
                continue;
            }
            Err(e) => {
                errors.push(r.error("grade", e.message));
                continue;
            }
        };
        let name = cell!(errors, r, "name", parse_unit_name(r.get("name")));
        let year = match r.get("school_year") {
            "" => default_year,
            y => match y.parse::<i64>() {
                Ok(y) if (2000..=2100).contains(&y) => y,
                _ => {
                    errors.push(r.error(
                        "school_year",
                        format!("学年应为年份，如 {default_year}：{y}"),
                    ));
                    continue;
                }
            },
        };
        let ext = r.get("external_id");
        if let Some(u) = existing.get(ext)
            && (u.kind != UnitKind::Class
                || !u.path.starts_with(&school.path)
                || u.grade != grade.code())
        {
            errors.push(r.error(
                "external_id",
                format!("外部编号“{ext}”已用于其他单位“{}”", u.name),
            ));
            continue;
        }
        parsed.push(ClassRow {
            ext,
            school,
            grade,
            name,
            year,
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
    let mut grades: HashMap<(i64, String), Unit> = HashMap::new();
    let mut tx = app.db.write().await?;
    for (i, p) in parsed.iter().enumerate() {
        if let Some(u) = existing.get(p.ext) {
            if u.name == p.name {
                out.unchanged += 1;
            } else {
                units::update(&mut tx, u.id, &p.name, &[], now).await?;
                out.updated += 1;
            }
        } else {
            let key = (p.school.id, p.grade.code());
            if !grades.contains_key(&key) {
                let found = units::children(&mut tx, p.school.id, true)
                    .await?
                    .into_iter()
                    .find(|g| g.grade == key.1);
                let grade = match found {
                    Some(g) => g,
                    None => {
                        let new = NewUnit {
                            kind: UnitKind::Grade,
                            name: p.grade.label(),
                            external_id: None,
                            stages: Vec::new(),
                            grade: p.grade.code(),
                            school_year: 0,
                        };
                        units::insert(&mut tx, Some(&p.school), &new, now).await?
                    }
                };
                grades.insert(key.clone(), grade);
            }
            let grade = grades.get(&key).ok_or_else(Error::internal)?;
            let new = NewUnit {
                kind: UnitKind::Class,
                name: p.name.clone(),
                external_id: Some(p.ext.to_owned()),
                stages: Vec::new(),
                grade: p.grade.code(),
                school_year: p.year,
            };
            units::insert(&mut tx, Some(grade), &new, now).await?;
            out.created += 1;
        }
        tick(progress, i + 1, parsed.len());
    }
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Classes, &out, None)).await?;
    Ok(out)
}
