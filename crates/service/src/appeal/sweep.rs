//! The clocks: warnings before a deadline, escalation past it, closing a
//! reply the parent did not rate in time.

use super::*;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct SweepReport {
    pub warned: usize,
    pub escalated: usize,
    pub overdue_at_top: usize,
    pub closed_without_rating: usize,
}

/// Runs the clocks: an open appeal past a deadline escalates one level
/// (the city's stays, flagged); a reply not rated in time closes as "no
/// feedback". Safe to run from several instances: each appeal is changed
/// in a transaction that first re-reads it.
pub async fn sweep(app: &App) -> Result<SweepReport> {
    let now = app.now();
    let mut report = SweepReport::default();
    let mut c = app.db.read().await?;
    let mut soon = store::due_soon(&mut c, now, 500).await?;
    soon.extend(store::reply_due_soon_at_top(&mut c, now, 500).await?);
    let mut due = store::overdue(&mut c, now, 500).await?;
    due.extend(store::overdue_replies_at_top(&mut c, now, 500).await?);
    let expired = store::rating_expired(&mut c, now, 500).await?;
    drop(c);
    for early in soon {
        let mut tx = app.db.write().await?;
        let Some(mut a) = store::get(&mut tx, early.id).await? else {
            continue;
        };
        // The contact clock runs until it is met or, at the city, flagged.
        let next =
            if a.contacted_at == 0 && a.contact_due < a.reply_due && a.contact_due > a.swept_at {
                a.contact_due
            } else {
                a.reply_due
            };
        if !a.status.is_open() || a.warned_due >= next || next <= now {
            continue;
        }
        a.warned_due = next;
        let what = if a.contacted_at == 0 && next == a.contact_due {
            "联系家长"
        } else {
            "答复"
        };
        store::notify(
            &mut tx,
            a.unit_id,
            a.id,
            &format!("即将超时：请在 {} 前{what}", format_local_minute(next)),
            now,
        )
        .await?;
        store::save(&mut tx, &a, now).await?;
        tx.commit().await.db()?;
        report.warned += 1;
    }
    for stale in due {
        let mut tx = app.db.write().await?;
        let Some(mut a) = store::get(&mut tx, stale.id).await? else {
            continue;
        };
        let contact_over =
            a.contacted_at == 0 && a.contact_due <= now && a.contact_due > a.swept_at;
        let reply_over = a.replied_at == 0 && a.reply_due <= now && a.reply_due > a.swept_at;
        if !a.status.is_open() || !(contact_over || reply_over) {
            continue;
        }
        if contact_over {
            a.contact_late = true;
        }
        if reply_over {
            a.reply_late = true;
        }
        a.swept_at = now;
        let what = if contact_over {
            "未在时限内联系家长"
        } else {
            "未在时限内答复"
        };
        if a.level.above().is_some() {
            escalate(&mut tx, app, &mut a, &format!("{what}（已超时）"), now).await?;
            report.escalated += 1;
        } else {
            store::add_event(
                &mut tx,
                &NewEvent {
                    appeal_id: a.id,
                    kind: "overdue",
                    public: true,
                    actor_id: 0,
                    unit_id: a.unit_id,
                    text: &format!("{what}，已超时"),
                },
                now,
            )
            .await?;
            store::notify(&mut tx, a.unit_id, a.id, &format!("{what}，已超时"), now).await?;
            report.overdue_at_top += 1;
        }
        store::save(&mut tx, &a, now).await?;
        audit::commit_audited(tx, &system_entry(app, "appeal.overdue", a.id, a.unit_id)).await?;
    }
    for stale in expired {
        let mut tx = app.db.write().await?;
        let Some(mut a) = store::get(&mut tx, stale.id).await? else {
            continue;
        };
        if a.status != Status::Replied || a.rating_due > now {
            continue;
        }
        a.status = Status::Closed;
        a.rating = Some(Rating::NoFeedback);
        a.closed_at = now;
        store::add_event(
            &mut tx,
            &NewEvent {
                appeal_id: a.id,
                kind: "closed",
                public: true,
                actor_id: 0,
                unit_id: a.unit_id,
                text: "评价期限已过，诉求按“未评价”办结",
            },
            now,
        )
        .await?;
        store::save(&mut tx, &a, now).await?;
        audit::commit_audited(
            tx,
            &system_entry(app, "appeal.closed_no_feedback", a.id, a.unit_id),
        )
        .await?;
        report.closed_without_rating += 1;
    }
    Ok(report)
}

/// An appeal's entry by the system (its clocks).
pub(crate) fn system_entry(app: &App, action: &str, id: i64, unit_id: i64) -> AuditEntry {
    audit::system(app, action, "appeal", id, Some(unit_id))
}

/// The appeal clocks as a periodic job: what the sweep did, in a line.
pub async fn sweep_job(app: &App) -> Result<String> {
    let r = sweep(app).await?;
    Ok(format!(
        "提醒 {}，升级 {}，市级超时 {}，未评价结办 {}",
        r.warned, r.escalated, r.overdue_at_top, r.closed_without_rating
    ))
}
