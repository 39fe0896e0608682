//! Schools, districts and subdistricts from a sheet.

use super::*;

fn parse_kind(s: &str) -> Option<UnitKind> {
    match s {
        "区" | "区(市)" | "区（市）" | "市" | "县级市" | "功能区" | "district" => {
            Some(UnitKind::District)
        }
        "镇" | "街道" | "镇街" | "镇(街)" | "镇（街）" | "subdistrict" => {
            Some(UnitKind::Subdistrict)
        }
        "学校" | "幼儿园" | "school" => Some(UnitKind::School),
        _ => None,
    }
}

struct UnitRow<'a> {
    row: &'a Row<'a>,
    ext: &'a str,
    name: String,
    kind: UnitKind,
    parent: &'a str,
    stages: Vec<Stage>,
}

pub(super) async fn import_units(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for r in first_pass(rows, ImportKind::Units, Some("external_id"), &mut errors) {
        let Some(kind) = parse_kind(r.get("kind")) else {
            errors.push(r.error(
                "kind",
                format!("类型应为“区(市)”“镇(街)”或“学校”：{}", r.get("kind")),
            ));
            continue;
        };
        let name = cell!(errors, r, "name", parse_unit_name(r.get("name")));
        let stages = if kind == UnitKind::School {
            cell!(errors, r, "stages", Stage::parse_list(r.get("stages")))
        } else {
            Vec::new()
        };
        parsed.push(UnitRow {
            row: r,
            ext: r.get("external_id"),
            name,
            kind,
            parent: r.get("parent"),
            stages,
        });
    }
    let mut c = app.db.read().await?;
    let city = units::city(&mut c).await?.ok_or_else(Error::internal)?;
    let existing = units_by_ext(&mut c, parsed.iter().flat_map(|p| [p.ext, p.parent])).await?;
    drop(c);
    let in_file: HashMap<&str, UnitKind> = parsed.iter().map(|p| (p.ext, p.kind)).collect();
    for p in &parsed {
        let r = p.row;
        let needed = match p.kind {
            UnitKind::District => UnitKind::City,
            UnitKind::Subdistrict => UnitKind::District,
            _ => UnitKind::Subdistrict,
        };
        let parent_id = if p.parent.is_empty() {
            if p.kind != UnitKind::District {
                errors.push(r.error("parent", "镇(街)和学校须填写上级外部编号"));
                continue;
            }
            if !ctx.actor.can(Action::Import, &city.path) {
                errors.push(r.error("parent", "只有市级管理员能新增区(市)"));
                continue;
            }
            Some(city.id)
        } else if let Some(k) = in_file.get(p.parent) {
            if *k != needed {
                errors.push(r.error(
                    "parent",
                    format!(
                        "上级“{}”是{}，{}的上级应是{}",
                        p.parent,
                        k.label(),
                        p.kind.label(),
                        needed.label()
                    ),
                ));
                continue;
            }
            existing.get(p.parent).map(|u| u.id)
        } else {
            Some(
                cell!(
                    errors,
                    r,
                    "parent",
                    scoped(ctx, &existing, p.parent, Some(needed))
                )
                .id,
            )
        };
        if let Some(u) = existing.get(p.ext) {
            if !ctx.actor.can(Action::Import, &u.path) {
                errors.push(r.error(
                    "external_id",
                    format!("外部编号“{}”已被您管理范围以外的单位使用", p.ext),
                ));
            } else if u.kind != p.kind {
                errors.push(r.error(
                    "external_id",
                    format!("外部编号“{}”已用于{}“{}”", p.ext, u.kind.label(), u.name),
                ));
            } else if parent_id.is_none() || u.parent_id != parent_id {
                errors.push(r.error(
                    "parent",
                    format!("“{}”已存在且上级不同；调整上级请在组织机构页面操作", u.name),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut made = existing.clone();
    let mut tx = app.db.write().await?;
    let mut done = 0;
    for kind in [UnitKind::District, UnitKind::Subdistrict, UnitKind::School] {
        for p in parsed.iter().filter(|p| p.kind == kind) {
            match existing.get(p.ext) {
                Some(u) if u.name == p.name && u.stages == p.stages => out.unchanged += 1,
                Some(u) => {
                    let stages = if kind == UnitKind::School {
                        p.stages.clone()
                    } else {
                        u.stages.clone()
                    };
                    units::update(&mut tx, u.id, &p.name, &stages, now).await?;
                    out.updated += 1;
                }
                None => {
                    let parent = if p.parent.is_empty() {
                        city.clone()
                    } else {
                        made.get(p.parent).cloned().ok_or_else(Error::internal)?
                    };
                    let new = NewUnit {
                        kind,
                        name: p.name.clone(),
                        external_id: Some(p.ext.to_owned()),
                        stages: p.stages.clone(),
                        grade: String::new(),
                        school_year: 0,
                    };
                    let u = units::insert(&mut tx, Some(&parent), &new, now).await?;
                    made.insert(p.ext.to_owned(), u);
                    out.created += 1;
                }
            }
            done += 1;
            tick(progress, done, parsed.len());
        }
    }
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Units, &out, None)).await?;
    Ok(out)
}
