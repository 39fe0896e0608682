//! Replies: the three-part reply, its sign-off where the level asks for
//! one, and revising a published reply before the parent rates it.

use super::inbox::{finish, for_change, staff_event};
use super::*;
use tongyu_store::appeal::Revision;

/// Writes the three-part reply. Where the level asks for a sign-off it
/// waits for one; otherwise the parent sees it at once and may rate it.
pub async fn reply(app: &App, ctx: &Ctx, id: i64, r: &Reply) -> Result<Status> {
    let r = r.check()?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, _) = for_change(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    if a.status == Status::Replied {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "答复已发布，家长正在查看；如需更改，请使用“修改答复”",
        ));
    }
    a.reply_policy = r.policy;
    a.reply_status = r.status;
    a.reply_next_steps = r.next_steps;
    a.replied_by = ctx.actor.account_id;
    if a.handler_id == 0 {
        a.handler_id = ctx.actor.account_id;
    }
    if app.settings.appeals.sign_off.contains(&a.level) {
        a.status = Status::AwaitingSignOff;
        staff_event(
            &mut tx,
            ctx,
            &a,
            "reply_drafted",
            false,
            "答复已提交，等待审核",
            now,
        )
        .await?;
    } else {
        publish(&mut tx, app, ctx, &mut a, now).await?;
    }
    let status = a.status;
    finish(app, ctx, tx, &a, "appeal.replied", status.as_str(), now).await?;
    Ok(status)
}

async fn publish(c: &mut Conn, app: &App, ctx: &Ctx, a: &mut Appeal, now: i64) -> Result<()> {
    let cal = crate::calendar::load_calendar(c).await?;
    a.status = Status::Replied;
    a.replied_at = now;
    if now > a.reply_due {
        a.reply_late = true;
    }
    if a.contacted_at == 0 {
        // A reply reaches the parent: that is contact too.
        a.contacted_at = now;
        if now > a.contact_due {
            a.contact_late = true;
        }
    }
    a.rating_due = cal.add(now, app.settings.appeals.rating_window);
    staff_event(
        c,
        ctx,
        a,
        "replied",
        true,
        "已答复，请查看答复内容并评价",
        now,
    )
    .await
}

/// Revises a published reply while the parent has not yet rated it. The
/// reason is shown to the parent beside the revised reply. Where the level
/// asks for a sign-off the revision waits for one, and the parent reads the
/// published reply until it is approved; otherwise it replaces the reply at
/// once. Either way the text the parent read first stays in the record.
pub async fn revise(app: &App, ctx: &Ctx, id: i64, r: &Reply, reason: &str) -> Result<Status> {
    let r = r.check()?;
    let reason = reason.trim();
    let n = reason.chars().count();
    if !(4..=200).contains(&n) {
        return Err(Error::invalid(
            "reason",
            "请写明修改原因（4–200字），家长会看到",
        ));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, _) = for_change(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    if a.status != Status::Replied {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "只有已发布、等待家长评价的答复可以修改",
        ));
    }
    if a.revision.by > 0 {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "已有一份修改等待审核，审核后才能再改",
        ));
    }
    if r.policy == a.reply_policy
        && r.status == a.reply_status
        && r.next_steps == a.reply_next_steps
    {
        return Err(Error::invalid("policy", "修改后的答复与已发布的答复相同"));
    }
    let revision = Revision {
        policy: r.policy,
        status: r.status,
        next_steps: r.next_steps,
        reason: reason.to_owned(),
        by: ctx.actor.account_id,
        at: now,
    };
    let pending = app.settings.appeals.sign_off.contains(&a.level);
    if pending {
        staff_event(
            &mut tx,
            ctx,
            &a,
            "revision_drafted",
            false,
            &format!("修改后的答复已提交，等待审核（原因：{reason}）"),
            now,
        )
        .await?;
        a.revision = revision;
    } else {
        apply_revision(&mut tx, app, ctx, &mut a, revision, now).await?;
    }
    let status = a.status;
    finish(
        app,
        ctx,
        tx,
        &a,
        "appeal.reply_revised",
        if pending { "pending" } else { "published" },
        now,
    )
    .await?;
    Ok(status)
}

/// Puts a revision in place of the published reply: the old text goes into
/// the staff record, the parent is told why, and the rating window starts
/// again so the parent rates what they now read.
async fn apply_revision(
    c: &mut Conn,
    app: &App,
    ctx: &Ctx,
    a: &mut Appeal,
    rev: Revision,
    now: i64,
) -> Result<()> {
    staff_event(
        c,
        ctx,
        a,
        "reply_superseded",
        false,
        &format!(
            "修改前的答复——政策规定：{}；当前工作情况：{}；下一步解决措施：{}",
            a.reply_policy, a.reply_status, a.reply_next_steps
        ),
        now,
    )
    .await?;
    a.reply_policy = rev.policy;
    a.reply_status = rev.status;
    a.reply_next_steps = rev.next_steps;
    a.reply_revisions += 1;
    a.revision = Revision::default();
    let cal = crate::calendar::load_calendar(c).await?;
    a.rating_due = cal.add(now, app.settings.appeals.rating_window);
    staff_event(
        c,
        ctx,
        a,
        "reply_revised",
        true,
        &format!("答复已修改（{}），请查看修改后的答复并评价", rev.reason),
        now,
    )
    .await
}

/// A supervisor approves a waiting reply or revision (the parent sees it)
/// or sends it back with a comment. Whoever wrote it does not approve it.
pub async fn sign_off(
    app: &App,
    ctx: &Ctx,
    id: i64,
    approve: bool,
    comment: &str,
) -> Result<Status> {
    let comment = comment.trim();
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, _) = for_change(app, ctx, &mut tx, id, Action::SignOffAppeals).await?;
    let revision = a.status == Status::Replied && a.revision.by > 0;
    let author = if revision {
        a.revision.by
    } else if a.status == Status::AwaitingSignOff {
        a.replied_by
    } else {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "这件诉求没有待审核的答复",
        ));
    };
    if approve && author == ctx.actor.account_id {
        drop(tx);
        return Err(audit::refuse(
            app,
            ctx,
            Action::SignOffAppeals,
            "appeal",
            id,
            Some(a.unit_id),
            "答复须由另一位负责人审核，不能审核自己写的答复",
        )
        .await);
    }
    if !approve && comment.chars().count() < 4 {
        return Err(Error::invalid("comment", "退回时请写明需要修改的地方"));
    }
    match (approve, revision) {
        (true, true) => {
            staff_event(
                &mut tx,
                ctx,
                &a,
                "signed_off",
                false,
                "修改后的答复审核通过",
                now,
            )
            .await?;
            let rev = std::mem::take(&mut a.revision);
            apply_revision(&mut tx, app, ctx, &mut a, rev, now).await?;
        }
        (true, false) => {
            staff_event(&mut tx, ctx, &a, "signed_off", false, "答复审核通过", now).await?;
            publish(&mut tx, app, ctx, &mut a, now).await?;
        }
        (false, true) => {
            a.revision = Revision::default();
            staff_event(
                &mut tx,
                ctx,
                &a,
                "sign_off_returned",
                false,
                &format!("修改后的答复退回，家长看到的仍是原答复：{comment}"),
                now,
            )
            .await?;
        }
        (false, false) => {
            a.status = Status::InProgress;
            staff_event(
                &mut tx,
                ctx,
                &a,
                "sign_off_returned",
                false,
                &format!("答复退回：{comment}"),
                now,
            )
            .await?;
        }
    }
    let status = a.status;
    finish(
        app,
        ctx,
        tx,
        &a,
        "appeal.signed_off",
        match (approve, revision) {
            (true, true) => "revision approved",
            (true, false) => "approved",
            (false, true) => "revision returned",
            (false, false) => "returned",
        },
        now,
    )
    .await?;
    Ok(status)
}
