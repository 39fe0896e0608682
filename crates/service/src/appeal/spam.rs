//! Marking an appeal as spam takes two people. A handler proposes it with a
//! reason; the appeal stays open, its clocks run and the parent's page shows
//! it as before. Someone who handles appeals at the level above (the
//! school's district for a school's appeal, the city for a district's; at
//! the city another person of the city) confirms, and only then it closes
//! as spam and leaves the parent's page, or rejects the mark.

use tongyu_domain::appeal::{Status, number};
use tongyu_domain::org::Unit;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::appeal::{self as store, Appeal};
use tongyu_store::org as units;
use tongyu_store::{Conn, account as accounts};

use super::inbox::{finish, for_change, staff_event};
use super::unit_for_level;
use crate::{App, Ctx, audit};

/// A handler proposes marking an appeal as spam.
pub async fn propose(app: &App, ctx: &Ctx, id: i64, reason: &str) -> Result<()> {
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(Error::invalid("reason", "请说明标记为无效的原因"));
    }
    if reason.chars().count() > 200 {
        return Err(Error::invalid("reason", "原因不超过200字"));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, _) = for_change(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    if a.spam_by > 0 {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "这件诉求已申请标记为无效，正等待上级确认",
        ));
    }
    a.spam_by = ctx.actor.account_id;
    a.spam_reason = reason.to_owned();
    a.spam_at = now;
    staff_event(
        &mut tx,
        ctx,
        &a,
        "spam_proposed",
        false,
        &format!("申请标记为无效：{reason}（待上级确认）"),
        now,
    )
    .await?;
    finish(app, ctx, tx, &a, "appeal.spam_proposed", reason, now).await
}

/// The unit whose appeal handlers decide on a spam mark.
pub(crate) async fn deciding_unit(c: &mut Conn, a: &Appeal) -> Result<Unit> {
    let here = units::get(c, a.unit_id)
        .await?
        .ok_or_else(Error::internal)?;
    match a.level.above() {
        Some(level) => unit_for_level(c, &here, level).await,
        None => Ok(here),
    }
}

/// Whether the caller may decide on this appeal's spam mark: a handler at
/// the level above who did not propose it.
pub(crate) async fn may_decide(c: &mut Conn, ctx: &Ctx, a: &Appeal) -> Result<bool> {
    if a.spam_by == 0 || a.spam_by == ctx.actor.account_id {
        return Ok(false);
    }
    let unit = deciding_unit(c, a).await?;
    Ok(ctx.actor.can(Action::HandleAppeals, &unit.path))
}

/// The level above confirms (the appeal closes as spam and leaves the
/// parent's page) or rejects (the mark is lifted; handling goes on).
pub async fn decide(app: &App, ctx: &Ctx, id: i64, confirm: bool, comment: &str) -> Result<()> {
    let comment = comment.trim();
    if !confirm && comment.chars().count() < 2 {
        return Err(Error::invalid("comment", "请说明不同意标记为无效的理由"));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    // Whoever may not handle the appeal at all learns nothing of it.
    let (mut a, _) = crate::access::appeal(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    if a.spam_by == 0 || matches!(a.status, Status::Closed | Status::Spam) {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "这件诉求没有待确认的无效标记",
        ));
    }
    if !may_decide(&mut tx, ctx, &a).await? {
        let proposer = a.spam_by == ctx.actor.account_id;
        let unit = a.unit_id;
        drop(tx);
        let message = if proposer {
            "无效标记须由上级确认，不能确认自己的申请"
        } else {
            "只有上一级负责诉求办理的人员可以确认无效标记"
        };
        return Err(audit::refuse(
            app,
            ctx,
            Action::HandleAppeals,
            "appeal",
            id,
            Some(unit),
            message,
        )
        .await);
    }
    if confirm {
        a.status = Status::Spam;
        a.closed_at = now;
        staff_event(
            &mut tx,
            ctx,
            &a,
            "spam",
            false,
            &format!("上级确认标记为无效：{}", a.spam_reason),
            now,
        )
        .await?;
        finish(app, ctx, tx, &a, "appeal.spam", comment, now).await
    } else {
        a.spam_by = 0;
        a.spam_reason.clear();
        a.spam_at = 0;
        staff_event(
            &mut tx,
            ctx,
            &a,
            "spam_rejected",
            false,
            &format!("上级不同意标记为无效：{comment}"),
            now,
        )
        .await?;
        finish(app, ctx, tx, &a, "appeal.spam_rejected", comment, now).await
    }
}

/// A spam mark waiting for the caller's decision.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Pending {
    pub id: i64,
    pub number: String,
    pub unit_name: String,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_local: String,
    pub excerpt: String,
}

/// The spam marks the caller may decide on, oldest first.
pub async fn pending(app: &App, ctx: &Ctx) -> Result<Vec<Pending>> {
    let mut c = app.db.read().await?;
    let mut found: Vec<Appeal> = Vec::new();
    for root in ctx.actor.scope(Action::HandleAppeals) {
        for a in store::spam_pending(&mut c, &root, 200).await? {
            if !found.iter().any(|f| f.id == a.id) && may_decide(&mut c, ctx, &a).await? {
                found.push(a);
            }
        }
    }
    found.sort_by_key(|a| a.spam_at);
    let mut people: Vec<i64> = found.iter().map(|a| a.spam_by).collect();
    people.sort_unstable();
    people.dedup();
    let names = accounts::display_names(&mut c, &people).await?;
    let mut out = Vec::with_capacity(found.len());
    for a in found {
        let unit_name = units::get(&mut c, a.unit_id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        out.push(Pending {
            id: a.id,
            number: number(a.id),
            unit_name,
            reason: a.spam_reason.clone(),
            proposed_by: names.get(&a.spam_by).cloned().unwrap_or_default(),
            proposed_local: tongyu_domain::calendar::format_local_minute(a.spam_at),
            excerpt: a.text.chars().take(60).collect(),
        });
    }
    Ok(out)
}
