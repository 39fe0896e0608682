//! The one access gate. A service loads whatever a caller names (a unit, a
//! class, a course or lesson, a class session, an appeal, a template, a
//! contribution, an account) through here, with the action it means to take,
//! and gets it back only if the caller may:
//!
//! - outside the caller's view (no grant of theirs covers the object's unit)
//!   the answer is `not_found`, the same as for an id that does not exist,
//!   so ids reveal nothing;
//! - in view, but the action is not one the caller's roles allow there, the
//!   answer is `forbidden`;
//! - either refusal is recorded in the audit log as denied.
//!
//! The roles each action needs are in [`tongyu_domain::policy::Action`];
//! rules that depend on the object itself (a contribution's author, a
//! parent's own child, an appeal's secret, an account's rank) are here too,
//! so that no service decides access by hand.

use std::collections::HashMap;
use tongyu_domain::account::Account;

use tongyu_domain::org::{Unit, UnitKind, path_ids};
use tongyu_domain::policy::{Access, Action};
use tongyu_domain::{Error, Result};
use tongyu_store::Conn;
use tongyu_store::course::{self as courses, Course, Lesson};
use tongyu_store::{account as accounts, org as units, student as students};

use crate::{App, Ctx, audit};

/// Whether a unit lies in the caller's view: one of their grants covers it
/// for browsing (parents and the audit administrator browse no units).
pub fn in_view(ctx: &Ctx, path: &str) -> bool {
    ctx.actor.can(Action::ViewUnit, path)
}

/// The decision for `action` on an object of `kind` held by `unit`.
pub async fn decide(
    app: &App,
    ctx: &Ctx,
    kind: &str,
    id: i64,
    unit: &Unit,
    action: Action,
) -> Result<()> {
    decide_at(app, ctx, kind, id, unit.id, &unit.path, action).await
}

/// [`decide`], for an object whose unit is known by id and path only.
pub async fn decide_at(
    app: &App,
    ctx: &Ctx,
    kind: &str,
    id: i64,
    unit_id: i64,
    path: &str,
    action: Action,
) -> Result<()> {
    if ctx.actor.can(action, path) {
        return Ok(());
    }
    audit::record_denied(app, ctx, action, kind, &id.to_string(), Some(unit_id)).await;
    if in_view(ctx, path) {
        Err(Error::forbidden())
    } else {
        Err(Error::not_found())
    }
}

/// A check of an action at a unit the caller did not name (the city's
/// calendar, the audit log, a campaign the city runs): `forbidden` when
/// not allowed, recorded as denied; there is nothing to hide.
pub async fn require(app: &App, ctx: &Ctx, action: Action, unit_id: i64, path: &str) -> Result<()> {
    if ctx.actor.can(action, path) {
        return Ok(());
    }
    audit::record_denied(
        app,
        ctx,
        action,
        "unit",
        &unit_id.to_string(),
        Some(unit_id),
    )
    .await;
    Err(Error::forbidden())
}

/// A unit, for `action` on it.
pub async fn unit(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<Unit> {
    let found = {
        let mut c = app.db.read().await?;
        units::get(&mut c, id).await?
    };
    let Some(unit) = found else {
        return Err(Error::not_found());
    };
    decide(app, ctx, "unit", id, &unit, action).await?;
    Ok(unit)
}

/// A unit that must be of `kind` (a class for a roster, a school for its
/// gate codes): another kind in view is a mistake of the caller's, said so.
pub async fn unit_of_kind(
    app: &App,
    ctx: &Ctx,
    id: i64,
    kind: UnitKind,
    action: Action,
) -> Result<Unit> {
    let unit = unit(app, ctx, id, action).await?;
    if unit.kind != kind {
        let (field, message) = match kind {
            UnitKind::Class => ("class_id", "请选择一个班级"),
            UnitKind::School => ("school_id", "请选择一所学校"),
            _ => ("unit_id", "请选择正确的单位"),
        };
        return Err(Error::invalid(field, message));
    }
    Ok(unit)
}

/// A class, for `action` on it.
pub async fn class(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<Unit> {
    unit_of_kind(app, ctx, id, UnitKind::Class, action).await
}

/// A class session (a course delivered to a class), for `action` on its class.
pub async fn class_session(
    app: &App,
    ctx: &Ctx,
    id: i64,
    action: Action,
) -> Result<(tongyu_store::delivery::Session, Unit)> {
    let found = {
        let mut c = app.db.read().await?;
        tongyu_store::delivery::get_session(&mut c, id).await?
    };
    let Some(s) = found else {
        return Err(Error::not_found());
    };
    let class = class(app, ctx, s.class_id, action).await?;
    Ok((s, class))
}

/// A course, for `action` on its owner unit.
pub async fn course(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<(Course, Unit)> {
    let found = {
        let mut c = app.db.read().await?;
        match courses::get_course(&mut c, id).await? {
            Some(course) => {
                let unit = units::get(&mut c, course.owner_unit_id).await?;
                unit.map(|u| (course, u))
            }
            None => None,
        }
    };
    let Some((course, unit)) = found else {
        return Err(Error::not_found());
    };
    decide(app, ctx, "course", id, &unit, action).await?;
    Ok((course, unit))
}

/// A lesson, for `action` on its course's owner unit.
pub async fn lesson(
    app: &App,
    ctx: &Ctx,
    id: i64,
    action: Action,
) -> Result<(Lesson, Course, Unit)> {
    let found = {
        let mut c = app.db.read().await?;
        courses::get_lesson(&mut c, id).await?
    };
    let Some(lesson) = found else {
        return Err(Error::not_found());
    };
    let (course, unit) = course(app, ctx, lesson.course_id, action).await?;
    Ok((lesson, course, unit))
}

/// An appeal, for `action`, read inside the caller's transaction (so that
/// what is checked is what is then changed).
pub async fn appeal(
    app: &App,
    ctx: &Ctx,
    c: &mut Conn,
    id: i64,
    action: Action,
) -> Result<(tongyu_store::appeal::Appeal, Unit)> {
    let Some(a) = tongyu_store::appeal::get(c, id).await? else {
        return Err(Error::not_found());
    };
    let Some(unit) = units::get(c, a.unit_id).await? else {
        return Err(Error::not_found());
    };
    if !ctx.actor.can(action, &unit.path) {
        // An appeal is a parent's words: staff who may not act on it learn
        // nothing of it, not even that it exists.
        audit::record_denied(app, ctx, action, "appeal", &id.to_string(), Some(unit.id)).await;
        return Err(Error::not_found());
    }
    Ok((a, unit))
}

/// May the actor review at `level` a contribution from a unit at `path`?
pub(crate) fn reviews_contributions_at(
    actor: &tongyu_domain::policy::Actor,
    level: tongyu_domain::contribution::Level,
    path: &str,
) -> bool {
    let roles = Action::ReviewContributions.roles();
    actor.grants.iter().any(|g| {
        roles.contains(&g.role)
            && g.unit_kind == level.unit_kind()
            && tongyu_domain::org::path_within(path, &g.unit_path)
    })
}

/// A contribution and its unit, if the actor may read it: its author, a
/// reviewer above it, or anyone once published.
pub async fn contribution(
    app: &App,
    ctx: &Ctx,
    id: i64,
) -> Result<(tongyu_store::contribution::Contribution, Unit)> {
    let mut c = app.db.read().await?;
    let item = tongyu_store::contribution::get(&mut c, id)
        .await?
        .ok_or_else(Error::not_found)?;
    let unit = units::get(&mut c, item.unit_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let reviewer = [
        tongyu_domain::contribution::Level::School,
        tongyu_domain::contribution::Level::District,
        tongyu_domain::contribution::Level::City,
    ]
    .into_iter()
    .any(|l| reviews_contributions_at(&ctx.actor, l, &unit.path));
    if item.author_id == ctx.actor.account_id
        || item.status == tongyu_domain::contribution::Status::Published
        || reviewer
    {
        Ok((item, unit))
    } else {
        Err(Error::not_found())
    }
}

/// An appeal by the parent's secret (the code in their receipt link): the
/// parent's right to follow, rate and add to it, whoever holds the link.
/// Staff never see the secret; an appeal marked as spam is gone.
pub async fn appeal_by_secret(c: &mut Conn, code: &str) -> Result<tongyu_store::appeal::Appeal> {
    let code = crate::appeal::normalize_tracking_code(code);
    let not_found = || {
        Error::with_message(
            tongyu_domain::ErrorCode::NotFound,
            "没有找到这个查询码对应的诉求，请核对后重试",
        )
    };
    if !tongyu_domain::appeal::is_tracking_code(&code) {
        return Err(not_found());
    }
    match tongyu_store::appeal::by_tracking_code(c, &code).await? {
        Some(a) if a.status != tongyu_domain::appeal::Status::Spam => Ok(a),
        _ => Err(not_found()),
    }
}

/// A call-back of the checking unit (a district or the city), for whoever
/// handles appeals there.
pub async fn callback(
    app: &App,
    ctx: &Ctx,
    id: i64,
) -> Result<(tongyu_store::appeal::Callback, Unit)> {
    let found = {
        let mut c = app.db.read().await?;
        tongyu_store::appeal::callback(&mut c, id).await?
    };
    let Some(k) = found else {
        return Err(Error::not_found());
    };
    let unit = unit(app, ctx, k.unit_id, Action::HandleAppeals).await?;
    Ok((k, unit))
}

/// A reply template usable for an appeal held by `unit_id`: one of that
/// unit's or of a unit above it.
pub async fn template(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    id: i64,
) -> Result<tongyu_store::appeal::Template> {
    let unit = unit(app, ctx, unit_id, Action::HandleAppeals).await?;
    let mut c = app.db.read().await?;
    match tongyu_store::appeal::template(&mut c, id).await? {
        Some(t) if path_ids(&unit.path).contains(&t.unit_id) => Ok(t),
        _ => Err(Error::not_found()),
    }
}

/// An import job, for the account that started it only (its report holds
/// the first passwords of the accounts it made).
pub async fn import_job(app: &App, ctx: &Ctx, id: i64) -> Result<tongyu_store::import::ImportJob> {
    let mut c = app.db.read().await?;
    tongyu_store::import::get(&mut c, id)
        .await?
        .filter(|j| j.created_by == ctx.actor.account_id)
        .ok_or_else(Error::not_found)
}

/// An account, for `action` on it: hidden when out of the caller's view,
/// refused (audited) when in view but out of reach, as a peer, a superior
/// or one of the separated administrators is
/// ([`tongyu_domain::policy::Actor::account_access`]).
pub async fn account(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<Account> {
    let (account, grants) = {
        let mut c = app.db.read().await?;
        let Some(account) = accounts::get(&mut c, id).await? else {
            return Err(Error::not_found());
        };
        (account, accounts::grants_of(&mut c, id).await?)
    };
    match ctx.actor.account_access(id, &grants, action) {
        Access::Allowed => Ok(account),
        Access::Hidden => Err(Error::not_found()),
        Access::Refused => {
            audit::record_denied(app, ctx, action, "account", &id.to_string(), None).await;
            Err(Error::forbidden())
        }
    }
}

/// Whether `action` on the account would be allowed (to show or hide a
/// button; nothing is recorded).
pub async fn may_touch_account(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<bool> {
    let mut c = app.db.read().await?;
    let grants = accounts::grants_of(&mut c, id).await?;
    Ok(ctx.actor.account_access(id, &grants, action) == Access::Allowed)
}

// ------------------------------------------------------------- parents

/// A parent's child (a confirmed guardian link) with its class: what a
/// parent's rights rest on.
#[derive(Debug, Clone)]
pub(crate) struct Child {
    pub student_id: i64,
    pub name: String,
    pub class: Unit,
    pub school_id: i64,
}

/// A parent's children with their classes, shared from the short-lived cache.
pub(crate) async fn children(app: &App, account_id: i64) -> Result<std::sync::Arc<Vec<Child>>> {
    if let Some(kids) = app.caches.children.get(&account_id) {
        return Ok(kids);
    }
    let since = std::time::Instant::now();
    let mut c = app.db.read().await?;
    let kids = students::children_of(&mut c, account_id).await?;
    let ids: Vec<i64> = kids.iter().map(|k| k.class_id).collect();
    let classes: HashMap<i64, Unit> = units::get_many(&mut c, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let out: Vec<Child> = kids
        .into_iter()
        .filter_map(|k| {
            let class = classes.get(&k.class_id)?.clone();
            let school_id = path_ids(&class.path).get(3).copied().unwrap_or(0);
            Some(Child {
                student_id: k.id,
                name: k.name,
                class,
                school_id,
            })
        })
        .collect();
    let out = std::sync::Arc::new(out);
    app.caches
        .children
        .put_read_since(account_id, out.clone(), since);
    Ok(out)
}

/// The caller's own child in a class, if they have one there: a parent's
/// right to a class's sessions and lessons.
pub(crate) async fn own_child_in(app: &App, ctx: &Ctx, class_id: i64) -> Result<Option<i64>> {
    Ok(children(app, ctx.actor.account_id)
        .await?
        .iter()
        .find(|k| k.class.id == class_id)
        .map(|k| k.student_id))
}

/// The units of the caller's view where they may take `action` (the roots
/// of their subtrees); empty is a refusal, recorded.
pub async fn scope(app: &App, ctx: &Ctx, kind: &str, action: Action) -> Result<Vec<String>> {
    let roots = ctx.actor.scope(action);
    if roots.is_empty() {
        audit::record_denied(app, ctx, action, kind, "", None).await;
        return Err(Error::forbidden());
    }
    Ok(roots)
}
