//! The appeal board: per unit, how many appeals, first contact and reply
//! on time, escalations, satisfaction and reopenings, from the city down
//! to each school, and the same as a spreadsheet.

use std::collections::HashMap;

use tongyu_domain::calendar::{civil_from_days, days_from_civil, format_date, parse_date};
use tongyu_domain::org::{Unit, UnitKind, path_ids};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::appeal::{BoardCounts, board_rollups};
use tongyu_store::org as units;

use crate::{App, Ctx, audit};

/// The board's rollups over the whole city as kept and as counted from the
/// appeals.
pub async fn check(app: &App) -> Result<tongyu_store::rollup::Check> {
    let mut c = app.db.read().await?;
    let city = units::city(&mut c).await?.ok_or_else(Error::not_found)?;
    tongyu_store::appeal::check_board(&mut c, &city.path).await
}
use tongyu_domain::calendar::school_year;

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct BoardRow {
    pub unit_id: i64,
    pub name: String,
    /// A unit with units below it on the board (not a school).
    pub drill: bool,
    pub counts: BoardCounts,
    /// Per mille, or None when there is nothing to measure yet.
    pub contact_on_time: Option<i64>,
    pub reply_on_time: Option<i64>,
    pub satisfaction: Option<i64>,
    pub reopen_rate: Option<i64>,
    pub escalation_rate: Option<i64>,
    /// Appeals whose first contact is neither made nor late yet: the
    /// on-time rate does not count them either way until their clock ends.
    pub awaiting_contact: i64,
    /// Likewise for the reply.
    pub awaiting_reply: i64,
}

fn permille(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part * 1000 / whole)
}

fn row(unit_id: i64, name: String, drill: bool, c: BoardCounts) -> BoardRow {
    BoardRow {
        unit_id,
        name,
        drill,
        contact_on_time: permille(c.contact_on_time, c.contact_due),
        reply_on_time: permille(c.reply_on_time, c.reply_due),
        satisfaction: permille(c.pleased, c.rated),
        reopen_rate: permille(c.reopened, c.answered),
        escalation_rate: permille(c.escalated, c.total),
        awaiting_contact: c.total - c.contact_due,
        awaiting_reply: c.total - c.reply_due,
        counts: c,
    }
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Board {
    pub unit: Unit,
    /// The first day counted (Beijing time), `YYYY-MM-DD`.
    pub since: String,
    pub total: BoardRow,
    pub rows: Vec<BoardRow>,
    /// Up the tree, as far as the actor may look: (id, name).
    pub ancestors: Vec<(i64, String)>,
    /// When the figures were counted (Unix time): every request for the
    /// same unit and months within [`crate::Settings::board_snapshot_ms`]
    /// shares them.
    pub computed_at: i64,
}

/// A board's figures as counted once and shared (nothing in it depends on
/// who asks).
#[derive(Debug)]
pub struct Figures {
    total: BoardRow,
    rows: Vec<BoardRow>,
    computed_at: i64,
}

/// The board of a unit in the actor's scope, for appeals received from the
/// month of `since` (`YYYY-MM-DD`, by default the first of September of
/// the current school year) on. It reads the rollups kept as appeals
/// change, a few rows per school, whatever the number of appeals.
pub async fn board(app: &App, ctx: &Ctx, unit_id: i64, since: &str) -> Result<Board> {
    let mut c = app.db.read().await?;
    let unit = units::get(&mut c, unit_id)
        .await?
        .ok_or_else(Error::not_found)?;
    drop(c);
    ctx.require(app, Action::HandleAppeals, unit.id, &unit.path)
        .await?;
    let day = if since.trim().is_empty() {
        days_from_civil(school_year(app.now()), 9, 1)
    } else {
        parse_date(since).ok_or_else(|| Error::invalid("since", "日期格式应为 2026-09-01"))?
    };
    // Counted by month of receipt, from the month of `since` on.
    let (y, m, _) = civil_from_days(day);
    let day = days_from_civil(y, m, 1);
    let month = y * 100 + i64::from(m);
    let key = (unit.id, month);
    let shared = app.settings.board_snapshot_ms > 0;
    let figures = match app.caches.appeal_boards.get(&key).filter(|_| shared) {
        Some(f) => f,
        None => {
            let f = std::sync::Arc::new(count(app, &unit, month).await?);
            if shared {
                app.caches.appeal_boards.put(key, f.clone());
            }
            f
        }
    };
    let mut c = app.db.read().await?;
    let mut ancestor_ids = path_ids(&unit.path);
    ancestor_ids.retain(|id| *id != unit.id);
    let ancestors = units::get_many(&mut c, &ancestor_ids)
        .await?
        .into_iter()
        .filter(|u| ctx.actor.can(Action::HandleAppeals, &u.path))
        .map(|u| (u.id, u.name))
        .collect();
    drop(c);
    Ok(Board {
        total: figures.total.clone(),
        rows: figures.rows.clone(),
        since: format_date(day),
        unit,
        ancestors,
        computed_at: figures.computed_at,
    })
}

/// Counts a unit's board from the month `month` (`YYYYMM`) on.
async fn count(app: &App, unit: &Unit, month: i64) -> Result<Figures> {
    let computed_at = app.now();
    let mut c = app.db.read().await?;
    let counts = board_rollups(&mut c, &unit.path, month).await?;
    // Each school's (or district's) counts go to the child of `unit` on its path.
    let ids: Vec<i64> = counts.iter().map(|(id, _)| *id).collect();
    let holders: HashMap<i64, Unit> = units::get_many(&mut c, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut by_child: HashMap<i64, BoardCounts> = HashMap::new();
    let mut total = BoardCounts::default();
    for (id, cnt) in &counts {
        total.add(cnt);
        let Some(h) = holders.get(id) else { continue };
        let path = path_ids(&h.path);
        let child = path
            .iter()
            .position(|x| *x == unit.id)
            .and_then(|i| path.get(i + 1))
            .copied()
            .unwrap_or(unit.id);
        by_child.entry(child).or_default().add(cnt);
    }
    let children: Vec<Unit> = if unit.kind == UnitKind::School {
        Vec::new()
    } else {
        units::children(&mut c, unit.id, false).await?
    };
    let mut rows: Vec<BoardRow> = children
        .into_iter()
        .filter(|u| {
            matches!(
                u.kind,
                UnitKind::District | UnitKind::Subdistrict | UnitKind::School
            )
        })
        .map(|u| {
            let cnt = by_child.remove(&u.id).unwrap_or_default();
            let drill = u.kind != UnitKind::School;
            row(u.id, u.name, drill, cnt)
        })
        .collect();
    // Appeals held by the unit itself (a district's own, naming no school).
    // (A school's own board is its total; no row repeats it.)
    if let Some(own) = by_child.remove(&unit.id)
        && unit.kind != UnitKind::School
    {
        rows.insert(
            0,
            row(unit.id, format!("{}（本级）", unit.name), false, own),
        );
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.counts.total));
    Ok(Figures {
        total: row(unit.id, unit.name.clone(), false, total),
        rows,
        computed_at,
    })
}

fn pct(v: Option<i64>) -> String {
    v.map_or("—".to_owned(), |p| format!("{:.1}%", p as f64 / 10.0))
}

/// The board as a spreadsheet (audited, like every export).
pub async fn export(app: &App, ctx: &Ctx, unit_id: i64, since: &str) -> Result<(String, Vec<u8>)> {
    let b = board(app, ctx, unit_id, since).await?;
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(b.rows.len() + 1);
    for r in b.rows.iter().chain(std::iter::once(&b.total)) {
        rows.push(vec![
            r.name.clone(),
            r.counts.total.to_string(),
            pct(r.contact_on_time),
            r.awaiting_contact.to_string(),
            pct(r.reply_on_time),
            r.awaiting_reply.to_string(),
            r.counts.escalated.to_string(),
            pct(r.satisfaction),
            pct(r.reopen_rate),
        ]);
    }
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "appeal.board_exported",
            "unit",
            b.unit.id,
            Some(b.unit.id),
            &b.since,
        ),
    )
    .await?;
    let bytes = crate::sheet::write_xlsx(
        "诉求办理",
        &[
            "单位",
            "诉求数",
            "按时联系率",
            "待联系",
            "按时答复率",
            "待答复",
            "上报次数",
            "满意率",
            "重办率",
        ],
        &rows,
    )?;
    Ok((
        format!("诉求办理-{}-{}起.xlsx", b.unit.name, b.since),
        bytes,
    ))
}
