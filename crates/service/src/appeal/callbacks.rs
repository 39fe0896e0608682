//! Call-back checks: the level above draws closed appeals at random from
//! the units below it, calls the parents back and records what they say;
//! an appeal closed without a fix is reopened where it was closed.

use crate::crypto::field;
use std::collections::HashMap;

use tongyu_domain::appeal::Status;
use tongyu_domain::calendar::Calendar;
use tongyu_domain::org::{Unit, UnitKind};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::appeal::{self as store, Callback, NewEvent};
use tongyu_store::{DbResult, org as units};

use crate::{App, Ctx, audit};
use tongyu_domain::calendar::format_local_minute;

/// How far back a draw looks for closed appeals.
const DRAW_WINDOW_S: i64 = 30 * 86_400;

async fn checker(app: &App, ctx: &Ctx, unit_id: i64) -> Result<Unit> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::HandleAppeals).await?;
    if !matches!(unit.kind, UnitKind::District | UnitKind::City) {
        return Err(Error::invalid("unit_id", "回访抽查由区(市)或市教育局进行"));
    }
    Ok(unit)
}

/// Draws up to `count` (1-50) appeals closed in the last 30 days by units
/// below `unit_id` and not drawn before.
pub async fn draw(app: &App, ctx: &Ctx, unit_id: i64, count: i64) -> Result<usize> {
    let unit = checker(app, ctx, unit_id).await?;
    if !(1..=50).contains(&count) {
        return Err(Error::invalid("count", "每次抽查1到50件"));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let ids =
        store::unsampled_closed(&mut tx, &unit.path, unit.id, now - DRAW_WINDOW_S, count).await?;
    for id in &ids {
        store::insert_callback(&mut tx, *id, unit.id, now).await?;
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "appeal.callbacks_drawn",
            "unit",
            unit.id,
            Some(unit.id),
            ids.len().to_string(),
        ),
    )
    .await?;
    Ok(ids.len())
}

/// A call-back with what the checker needs to make the call.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CallbackRow {
    pub callback: Callback,
    /// The appeal's number.
    pub number: String,
    pub school_name: String,
    pub category_label: &'static str,
    pub rating_label: &'static str,
    pub contact_name: String,
    /// In full: the checker calls this number (the list's reading is audited).
    pub contact_phone: String,
    pub closed_local: String,
    pub excerpt: String,
}

pub async fn list(app: &App, ctx: &Ctx, unit_id: i64) -> Result<Vec<CallbackRow>> {
    let unit = checker(app, ctx, unit_id).await?;
    let mut c = app.db.read().await?;
    let calls = store::callbacks_of(&mut c, unit.id, 200).await?;
    let mut appeals = HashMap::new();
    for k in &calls {
        if let Some(a) = store::get(&mut c, k.appeal_id).await? {
            appeals.insert(a.id, a);
        }
    }
    let school_ids: Vec<i64> = appeals.values().map(|a| a.school_id).collect();
    let names: HashMap<i64, String> = units::get_many(&mut c, &school_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    drop(c);
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "appeal.callbacks_read",
            "unit",
            unit.id,
            Some(unit.id),
            calls.len().to_string(),
        ),
    )
    .await?;
    Ok(calls
        .into_iter()
        .filter_map(|k| {
            let a = appeals.get(&k.appeal_id)?;
            Some(CallbackRow {
                number: tongyu_domain::appeal::number(a.id),
                school_name: names.get(&a.school_id).cloned().unwrap_or_default(),
                category_label: a.category.label(),
                rating_label: a.rating.map_or("", |r| r.label()),
                contact_name: app.open(field::APPEAL_CONTACT_NAME, &a.contact_name),
                contact_phone: app.open(field::APPEAL_CONTACT_PHONE, &a.contact_phone),
                closed_local: format_local_minute(a.closed_at),
                excerpt: a.text.chars().take(60).collect(),
                callback: k,
            })
        })
        .collect())
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct OutcomeInput {
    /// `resolved`, `unresolved` or `unreachable`.
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

/// Records a call-back. `unresolved` reopens the appeal at the unit that
/// closed it, with fresh clocks, and tells that unit.
pub async fn record(app: &App, ctx: &Ctx, callback_id: i64, input: &OutcomeInput) -> Result<()> {
    let outcome = input.outcome.trim();
    if !matches!(outcome, "resolved" | "unresolved" | "unreachable") {
        return Err(Error::invalid(
            "outcome",
            "请选择回访结果：已解决、未解决或联系不上",
        ));
    }
    let note = input.note.trim();
    if outcome == "unresolved" && note.chars().count() < 4 {
        return Err(Error::invalid("note", "未解决时请记录家长反映的情况"));
    }
    let (k, unit) = crate::access::callback(app, ctx, callback_id).await?;
    checker(app, ctx, unit.id).await?;
    if !k.outcome.is_empty() {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "这次回访已记录过结果",
        ));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    store::record_callback(&mut tx, k.id, outcome, note, ctx.actor.account_id, now).await?;
    let mut a = store::get(&mut tx, k.appeal_id)
        .await?
        .ok_or_else(Error::internal)?;
    let text = match outcome {
        "resolved" => "上级回访：家长确认问题已解决".to_owned(),
        "unreachable" => "上级回访：未能联系到家长".to_owned(),
        _ => format!("上级回访：家长反映问题未解决（{note}），诉求重新办理"),
    };
    store::add_event(
        &mut tx,
        &NewEvent {
            appeal_id: a.id,
            kind: "callback",
            public: outcome == "unresolved",
            actor_id: ctx.actor.account_id,
            unit_id: unit.id,
            text: &text,
        },
        now,
    )
    .await?;
    if outcome == "unresolved" && a.status == Status::Closed {
        let days = tongyu_store::calendar::calendar(&mut tx).await?;
        let cal = Calendar::new(days.into_iter().map(|(d, k, _)| (d, k)));
        let d = app.settings.appeals.deadlines(a.level, a.category);
        a.status = Status::Received;
        a.reopened += 1;
        a.handler_id = 0;
        a.clock_start = now;
        a.contact_due = cal.add(now, d.first_contact);
        a.reply_due = cal.add(now, d.reply);
        a.contacted_at = 0;
        a.replied_at = 0;
        a.closed_at = 0;
        a.rating = None;
        a.rating_comment.clear();
        store::save(&mut tx, &a, now).await?;
        store::notify(
            &mut tx,
            a.unit_id,
            a.id,
            "上级回访发现问题未解决，请重新办理",
            now,
        )
        .await?;
    }
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "appeal.callback_recorded",
            "appeal",
            a.id,
            Some(unit.id),
            outcome,
        ),
    )
    .await?;
    tx.commit().await.db()
}
