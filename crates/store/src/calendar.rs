//! The city's calendar: the days that break the usual week (holidays, and

//! weekend days worked in their place).

use tongyu_domain::Result;
use tongyu_domain::calendar::DayKind;

use crate::{Conn, DbResult, col};

/// The calendar's exceptions to the usual week.
pub async fn calendar(c: &mut Conn) -> Result<Vec<(i64, DayKind, String)>> {
    let rows = sqlx::query("SELECT day, kind, note FROM calendar_days ORDER BY day")
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter()
        .map(|r| {
            let kind: String = col(r, "kind")?;
            Ok((
                col(r, "day")?,
                DayKind::parse(&kind).ok_or_else(|| {
                    tracing::error!(value = kind, "unknown day kind in the calendar");
                    tongyu_domain::Error::internal()
                })?,
                col(r, "note")?,
            ))
        })
        .collect()
}

pub async fn set_day(c: &mut Conn, day: i64, kind: Option<DayKind>, note: &str) -> Result<()> {
    sqlx::query("DELETE FROM calendar_days WHERE day = $1")
        .bind(day)
        .execute(&mut *c)
        .await
        .db()?;
    if let Some(k) = kind {
        sqlx::query("INSERT INTO calendar_days (day, kind, note) VALUES ($1, $2, $3)")
            .bind(day)
            .bind(k.as_str())
            .bind(note)
            .execute(&mut *c)
            .await
            .db()?;
    }
    Ok(())
}
