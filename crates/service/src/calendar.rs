//! The city's calendar of holidays and make-up working days, which every
//! business-day clock follows. The rules of dates are
//! `tongyu_domain::calendar`; here the city's days are read (cached) and set.

use std::sync::Arc;

use tongyu_domain::calendar::{Calendar, DayKind, format_date, parse_date};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::calendar as store;
use tongyu_store::{Conn, DbResult, org as units};

use crate::{App, Ctx, audit};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CalendarDay {
    pub date: String,
    pub kind: DayKind,
    pub note: String,
}

pub async fn calendar(app: &App) -> Result<Vec<CalendarDay>> {
    let mut c = app.db.read().await?;
    Ok(store::calendar(&mut c)
        .await?
        .into_iter()
        .map(|(d, kind, note)| CalendarDay {
            date: format_date(d),
            kind,
            note,
        })
        .collect())
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct DayInput {
    pub date: String,
    /// `holiday`, `workday`, or empty to return the day to the usual week.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

/// Sets a day of the city's calendar. Only the city decides holidays.
pub async fn set_day(app: &App, ctx: &Ctx, input: &DayInput) -> Result<()> {
    let mut c = app.db.read().await?;
    let city = units::city(&mut c).await?.ok_or_else(Error::not_found)?;
    drop(c);
    ctx.require(app, Action::ManageAppeals, city.id, &city.path)
        .await?;
    let day =
        parse_date(&input.date).ok_or_else(|| Error::invalid("date", "日期格式应为 2026-10-01"))?;
    let kind = match input.kind.trim() {
        "" => None,
        k => Some(DayKind::parse(k).ok_or_else(|| {
            Error::invalid("kind", "类型应为 holiday（放假）或 workday（调休上班）")
        })?),
    };
    let note = input.note.trim();
    if note.chars().count() > 50 {
        return Err(Error::invalid("note", "说明不能超过50字"));
    }
    let mut tx = app.db.write().await?;
    store::set_day(&mut tx, day, kind, note).await?;
    app.caches.calendar.clear();
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "calendar.set_day",
            "calendar",
            &input.date,
            Some(city.id),
            input.kind.trim(),
        ),
    )
    .await?;
    tx.commit().await.db()
}

pub(crate) async fn load_calendar(c: &mut Conn) -> Result<Calendar> {
    let days = store::calendar(c).await?;
    Ok(Calendar::new(days.into_iter().map(|(d, k, _)| (d, k))))
}

/// The city's calendar of days off, from a short-lived cache.
pub(crate) async fn calendar_cached(app: &App) -> Result<Arc<Calendar>> {
    if let Some(c) = app.caches.calendar.get(&()) {
        return Ok(c);
    }
    let mut c = app.db.read().await?;
    let cal = Arc::new(load_calendar(&mut c).await?);
    app.caches.calendar.put((), cal.clone());
    Ok(cal)
}
