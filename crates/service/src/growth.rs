//! A parent's growth record (家长成长数据库): lessons completed and
//! required-course sessions attended, year by year. It belongs to the
//! parent, so it stays when a child changes school.

use tongyu_domain::Result;

use crate::{App, Ctx};

/// One school year of a parent's growth record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct GrowthYear {
    pub school_year: i64,
    pub lessons: i64,
    /// Learning time in minutes.
    pub minutes: i64,
    /// Sessions of the required course attended, and their class hours.
    pub sessions: i64,
    pub class_hours: i64,
}

/// A parent's learning record across school years, newest first. It
/// belongs to the parent, so it stays when a child changes school.
pub async fn growth_record(app: &App, ctx: &Ctx) -> Result<Vec<GrowthYear>> {
    let mut c = app.db.read().await?;
    let done = tongyu_store::learning::completions_of(&mut c, ctx.actor.account_id).await?;
    let mut years: Vec<GrowthYear> = Vec::new();
    for (at, duration) in done {
        let year = tongyu_domain::calendar::school_year(at);
        match years.iter_mut().find(|y| y.school_year == year) {
            Some(y) => {
                y.lessons += 1;
                y.minutes += duration / 60;
            }
            None => years.push(GrowthYear {
                school_year: year,
                lessons: 1,
                minutes: duration / 60,
                sessions: 0,
                class_hours: 0,
            }),
        }
    }
    drop(c);
    for (year, (sessions, hours)) in crate::delivery::attended_by(app, ctx.actor.account_id).await?
    {
        match years.iter_mut().find(|y| y.school_year == year) {
            Some(y) => {
                y.sessions = sessions;
                y.class_hours = hours;
            }
            None => years.push(GrowthYear {
                school_year: year,
                lessons: 0,
                minutes: 0,
                sessions,
                class_hours: hours,
            }),
        }
    }
    years.sort_by_key(|y| std::cmp::Reverse(y.school_year));
    Ok(years)
}
