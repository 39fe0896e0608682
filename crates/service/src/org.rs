//! Building and browsing the org tree.

use tongyu_domain::org::{Stage, Unit, UnitKind, parse_unit_name};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::DbResult;
use tongyu_store::org::{self as units, NewUnit};

use crate::{App, Ctx, audit};

/// The org counts as kept and as recounted from the rows (the recount runs
/// in a transaction rolled back, so nothing changes).
pub async fn check_counts(app: &App) -> Result<tongyu_store::rollup::Check> {
    let mut tx = app.db.write().await?;
    let check = units::check_counts(&mut tx).await?;
    tx.rollback().await.db()?;
    Ok(check)
}

/// What the org browser shows of one unit.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Browse {
    pub unit: Unit,
    /// From the highest unit the actor may see down to the unit's parent.
    pub ancestors: Vec<Unit>,
    pub children: Vec<Unit>,
    pub can_manage: bool,
}

pub async fn browse(app: &App, ctx: &Ctx, id: i64, include_inactive: bool) -> Result<Browse> {
    let unit = crate::access::unit(app, ctx, id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let ancestors = units::get_many(&mut c, &unit.ancestor_ids())
        .await?
        .into_iter()
        .filter(|a| ctx.actor.can(Action::ViewUnit, &a.path))
        .collect();
    let children = units::children(&mut c, unit.id, include_inactive).await?;
    let can_manage = ctx.actor.can(Action::ManageUnit, &unit.path);
    Ok(Browse {
        unit,
        ancestors,
        children,
        can_manage,
    })
}

/// The units above `unit` the actor may view, from the highest down to its
/// parent, as (id, name): a board's breadcrumbs, naming every level.
pub(crate) async fn ancestors_in_view(
    c: &mut tongyu_store::Conn,
    ctx: &Ctx,
    unit: &Unit,
) -> Result<Vec<(i64, String)>> {
    let mut above = units::get_many(c, &unit.ancestor_ids()).await?;
    above.retain(|a| a.id != unit.id && ctx.actor.can(Action::ViewUnit, &a.path));
    above.sort_by_key(|a| a.depth);
    Ok(above.into_iter().map(|a| (a.id, a.name)).collect())
}

/// The way up from a unit the actor may view, for a page's breadcrumbs.
pub async fn crumbs(app: &App, ctx: &Ctx, unit_id: i64) -> Result<Vec<(i64, String)>> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    ancestors_in_view(&mut c, ctx, &unit).await
}

/// The units the actor's view starts from: the roots of their subtrees.
pub async fn home_units(app: &App, ctx: &Ctx) -> Result<Vec<Unit>> {
    let ids: Vec<i64> = ctx
        .actor
        .scope(Action::ViewUnit)
        .iter()
        .filter_map(|p| tongyu_domain::org::path_ids(p).last().copied())
        .collect();
    let mut c = app.db.read().await?;
    units::get_many(&mut c, &ids).await
}

/// Searches units by name within the actor's view.
pub async fn search(app: &App, ctx: &Ctx, kind: Option<UnitKind>, q: &str) -> Result<Vec<Unit>> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = app.db.read().await?;
    units::search(&mut c, &ctx.actor.scope(Action::ViewUnit), kind, q, 50).await
}

/// What a form or API body gives for a new unit.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct UnitInput {
    pub name: String,
    #[serde(default)]
    pub external_id: Option<String>,
    /// Schools: comma-separated stages.
    #[serde(default)]
    pub stages: Option<String>,
    /// Grades: the grade code.
    #[serde(default)]
    pub grade: Option<String>,
    /// Classes: the school year (defaults to the current one).
    #[serde(default)]
    pub school_year: Option<i64>,
}

pub(crate) fn parse_external_id(raw: Option<&str>) -> Result<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > 64 || s.chars().any(char::is_control) => {
            Err(Error::invalid("external_id", "外部编号不能超过64个字符"))
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// Validates a new child of `parent` and makes it.
pub async fn create_child(app: &App, ctx: &Ctx, parent_id: i64, input: &UnitInput) -> Result<Unit> {
    let parent = crate::access::unit(app, ctx, parent_id, Action::ManageUnit).await?;
    if !parent.active {
        return Err(Error::invalid("parent", "上级单位已停用，不能新增下级"));
    }
    let kind = parent
        .kind
        .child()
        .ok_or_else(|| Error::invalid("parent", "班级下不能再建下级单位"))?;
    let now = app.now();
    let mut new = NewUnit {
        kind,
        name: String::new(),
        external_id: parse_external_id(input.external_id.as_deref())?,
        stages: Vec::new(),
        grade: String::new(),
        school_year: 0,
    };
    match kind {
        UnitKind::School => {
            new.name = parse_unit_name(&input.name)?;
            new.stages = Stage::parse_list(input.stages.as_deref().unwrap_or(""))?;
        }
        UnitKind::Grade => {
            let g =
                tongyu_domain::org::Grade::parse(input.grade.as_deref().unwrap_or(&input.name))?;
            if !parent.stages.contains(&g.stage) {
                return Err(Error::invalid(
                    "grade",
                    format!("本校没有{}学段", g.stage.label()),
                ));
            }
            new.grade = g.code();
            new.name = if input.name.trim().is_empty()
                || input.name.trim().eq_ignore_ascii_case(&g.code())
            {
                g.label()
            } else {
                parse_unit_name(&input.name)?
            };
        }
        UnitKind::Class => {
            new.grade = parent.grade.clone();
            new.name = parse_unit_name(&input.name)?;
            new.school_year = match input.school_year {
                Some(y) if (2000..=2100).contains(&y) => y,
                Some(_) => {
                    return Err(Error::invalid(
                        "school_year",
                        "学年应为2000到2100之间的年份",
                    ));
                }
                None => tongyu_domain::calendar::school_year(now),
            };
        }
        UnitKind::District | UnitKind::Subdistrict => new.name = parse_unit_name(&input.name)?,
        UnitKind::City => return Err(Error::internal()),
    }
    let mut tx = app.db.write().await?;
    let siblings = units::children(&mut tx, parent.id, true).await?;
    if siblings.iter().any(|s| {
        s.name == new.name
            && s.school_year == new.school_year
            && (kind != UnitKind::Grade || s.grade == new.grade)
    }) || (kind == UnitKind::Grade && siblings.iter().any(|s| s.grade == new.grade))
    {
        return Err(Error::conflict(format!(
            "{}下已有同名的{}",
            parent.name,
            kind.label()
        )));
    }
    let unit = units::insert(&mut tx, Some(&parent), &new, now).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "unit.create",
            "unit",
            unit.id,
            Some(unit.id),
            &unit.name,
        ),
    )
    .await?;
    Ok(unit)
}

/// Who may edit, move or deactivate a unit: an administrator above it (the
/// city, which has nothing above, by its own administrator).
async fn require_above(app: &App, ctx: &Ctx, unit: &Unit) -> Result<()> {
    let mut c = app.db.read().await?;
    let parent = match unit.parent_id {
        Some(p) => units::get(&mut c, p).await?.ok_or_else(Error::internal)?,
        None => unit.clone(),
    };
    drop(c);
    ctx.require(app, Action::ManageUnit, parent.id, &parent.path)
        .await
}

/// Renames a unit; schools may change their stages too.
pub async fn update(
    app: &App,
    ctx: &Ctx,
    id: i64,
    name: &str,
    stages: Option<&str>,
) -> Result<Unit> {
    let unit = crate::access::unit(app, ctx, id, Action::ViewUnit).await?;
    require_above(app, ctx, &unit).await?;
    let name = parse_unit_name(name)?;
    let stages = match (unit.kind, stages) {
        (UnitKind::School, Some(s)) => Stage::parse_list(s)?,
        _ => unit.stages.clone(),
    };
    let mut tx = app.db.write().await?;
    units::update(&mut tx, unit.id, &name, &stages, app.now()).await?;
    let detail = format!("{} → {}", unit.name, name);
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "unit.update",
            "unit",
            unit.id,
            Some(unit.id),
            detail,
        ),
    )
    .await?;
    let updated = units::get(&mut tx, unit.id)
        .await?
        .ok_or_else(Error::internal)?;
    if updated.kind == UnitKind::School && updated.stages != unit.stages {
        // Its grades changed: so may whether each has an instructor.
        crate::grade_instructor::refresh_school(&mut tx, &updated).await?;
    }
    tx.commit().await.db()?;
    Ok(updated)
}

/// Moves a school to another subdistrict (the only move the plan needs);
/// the actor must manage both the old and the new place.
pub async fn move_unit(app: &App, ctx: &Ctx, id: i64, new_parent_id: i64) -> Result<Unit> {
    let unit = crate::access::unit(app, ctx, id, Action::ViewUnit).await?;
    require_above(app, ctx, &unit).await?;
    let target = crate::access::unit(app, ctx, new_parent_id, Action::ManageUnit).await?;
    if unit.kind != UnitKind::School || target.kind != UnitKind::Subdistrict {
        return Err(Error::invalid("parent", "只能把学校移到另一个镇(街)下"));
    }
    if !target.active {
        return Err(Error::invalid("parent", "目标镇(街)已停用"));
    }
    if unit.parent_id == Some(target.id) {
        return Ok(unit);
    }
    let mut tx = app.db.write().await?;
    units::move_to(&mut tx, &unit, &target, app.now()).await?;
    let detail = format!("{} → {}", unit.parent_id.unwrap_or_default(), target.id);
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "unit.move",
            "unit",
            unit.id,
            Some(unit.id),
            detail,
        ),
    )
    .await?;
    let moved = units::get(&mut tx, unit.id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_all().await;
    Ok(moved)
}

/// Deactivates or reactivates a unit. A unit with history is never deleted.
/// Deactivates (or activates again) a unit and everything below it. A
/// deactivation names what goes dark, so it asks for the unit's name typed
/// again (`confirm_name`): one click on the wrong row does not stop a
/// district.
pub async fn set_active(
    app: &App,
    ctx: &Ctx,
    id: i64,
    active: bool,
    confirm_name: &str,
) -> Result<Unit> {
    let unit = crate::access::unit(app, ctx, id, Action::ViewUnit).await?;
    if unit.parent_id.is_none() {
        return Err(Error::invalid("id", "不能停用全市"));
    }
    require_above(app, ctx, &unit).await?;
    if !active && confirm_name.trim() != unit.name {
        return Err(Error::invalid(
            "confirm_name",
            format!("请输入单位名称“{}”以确认停用", unit.name),
        ));
    }
    let mut tx = app.db.write().await?;
    units::set_active(&mut tx, &unit, active, app.now()).await?;
    let action = if active {
        "unit.activate"
    } else {
        "unit.deactivate"
    };
    audit::append(
        &mut tx,
        &audit::entry(app, ctx, action, "unit", unit.id, Some(unit.id), &unit.name),
    )
    .await?;
    let u = units::get(&mut tx, unit.id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_all().await;
    Ok(u)
}

/// Creates the city, the root of the tree, in an empty database (from the
/// command line; audited as the operator).
pub async fn create_city(app: &App, name: &str) -> Result<Unit> {
    let name = parse_unit_name(name)?;
    let mut tx = app.db.write().await?;
    if units::city(&mut tx).await?.is_some() {
        return Err(Error::conflict("城市已经存在"));
    }
    let new = NewUnit {
        kind: UnitKind::City,
        name,
        external_id: None,
        stages: Vec::new(),
        grade: String::new(),
        school_year: 0,
    };
    let city = units::insert(&mut tx, None, &new, app.now()).await?;
    let origin = crate::Origin {
        ip: "cli".into(),
        request_id: String::new(),
    };
    let mut e = audit::anonymous(app, &origin, audit::SYSTEM, "unit.create", "ok");
    e.object_type = "unit".into();
    e.object_id = city.id.to_string();
    e.unit_id = Some(city.id);
    e.detail = city.name.clone();
    audit::commit_audited(tx, &e).await?;
    Ok(city)
}
