//! Appeals (群众诉求): a parent scans one of the two codes at the school
//! gate and writes; the appeal lands in the school's inbox or its district
//! bureau's; staff contact the parent and reply with the three-part
//! explanation within the deadlines of the level; an appeal left overdue
//! escalates one level up; the parent rates the reply, and an unsatisfied
//! rating reopens it one level up. Hotline tickets and appeals taken on a
//! parent's behalf enter the same loop.

pub mod board;
pub mod callbacks;
pub mod hotline;
pub(crate) mod intake;
mod raise;
pub mod retention;
pub mod spam;
pub mod templates;

mod codes;
mod inbox;
mod public;
mod reply;
mod sweep;

pub use codes::*;
pub use inbox::*;
pub use public::*;
pub use raise::{OnBehalfInput, Raised, raise, raise_checked, raise_targets};
pub use reply::*;
pub use sweep::*;

use crate::crypto::field;
use std::collections::HashMap;

use tongyu_domain::appeal::{
    Category, ClockState, CodeKind, Deadlines, Level, Rating, Reply, Source, Status, check_name,
    check_phone, check_text, dedupe_key, mask_phone, number,
};
use tongyu_domain::calendar::{Span, format_local_minute};
use tongyu_domain::org::{Unit, UnitKind, path_ids};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::appeal::{self as store, Appeal, InboxFilter, NewAppeal, NewEvent};
/// Gate codes, unit notices and reply templates as pages show them.
pub use tongyu_store::appeal::{Code, Notice, OpenCounts, Template};
use tongyu_store::audit::AuditEntry;
use tongyu_store::{Conn, DbResult, account as accounts, org as units};

use crate::auth::random_token;
use crate::{App, Ctx, Origin, audit};

/// One rule of the deadline table: the most specific rule that matches an
/// appeal's level and category gives its clocks.
#[derive(Debug, Clone)]
pub struct DeadlineRule {
    pub level: Option<Level>,
    pub category: Option<Category>,
    pub deadlines: Deadlines,
}

/// How appeals run; from the configuration file's `[appeals]` table.
#[derive(Debug, Clone)]
pub struct AppealSettings {
    /// The clocks where no rule matches.
    pub deadlines: Deadlines,
    pub rules: Vec<DeadlineRule>,
    /// How long the parent has to rate a reply before it closes as
    /// "no feedback".
    pub rating_window: Span,
    /// Levels whose replies wait for a supervisor's sign-off.
    pub sign_off: Vec<Level>,
    /// The same text from the same phone or device within this many seconds
    /// lands on the appeal already made.
    pub dedupe_window_s: i64,
}

impl Default for AppealSettings {
    fn default() -> Self {
        let urgent = Deadlines {
            first_contact: Span::Seconds(4 * 3600),
            reply: Span::BusinessDays(2),
        };
        Self {
            deadlines: Deadlines {
                first_contact: Span::BusinessDays(1),
                reply: Span::BusinessDays(5),
            },
            // Bullying and safety cannot wait for the next working day.
            rules: [Category::Bullying, Category::Safety]
                .into_iter()
                .map(|c| DeadlineRule {
                    level: None,
                    category: Some(c),
                    deadlines: urgent,
                })
                .collect(),
            rating_window: Span::Seconds(7 * 86_400),
            sign_off: Vec::new(),
            dedupe_window_s: 24 * 3600,
        }
    }
}

impl AppealSettings {
    pub fn deadlines(&self, level: Level, category: Category) -> Deadlines {
        let score = |r: &DeadlineRule| {
            let lv = match r.level {
                Some(l) if l == level => Some(2),
                Some(_) => None,
                None => Some(0),
            };
            let ct = match r.category {
                Some(c) if c == category => Some(1),
                Some(_) => None,
                None => Some(0),
            };
            Some(lv? + ct?)
        };
        self.rules
            .iter()
            .filter_map(|r| score(r).map(|s| (s, r.deadlines)))
            .max_by_key(|(s, _)| *s)
            .map_or(self.deadlines, |(_, d)| d)
    }
}

/// A new parent's reference (`domain::appeal::TRACKING_ALPHABET`), each
/// character drawn without bias.
pub(crate) fn new_tracking_code() -> String {
    use rand::Rng;
    use tongyu_domain::appeal::{TRACKING_ALPHABET, TRACKING_LEN};
    let mut rng = rand::rngs::OsRng;
    (0..TRACKING_LEN)
        .map(|_| TRACKING_ALPHABET[rng.gen_range(0..TRACKING_ALPHABET.len())] as char)
        .collect()
}

pub use tongyu_domain::appeal::{format_tracking_code, normalize_tracking_code};

/// The unit that handles appeals of `level` for a school (or for the unit
/// an appeal sits at now): the school, its district, or the city.
async fn unit_for_level(c: &mut Conn, from: &Unit, level: Level) -> Result<Unit> {
    let want = match level {
        Level::School => UnitKind::School,
        Level::District => UnitKind::District,
        Level::City => UnitKind::City,
    };
    if from.kind == want {
        return Ok(from.clone());
    }
    let mut ids = path_ids(&from.path);
    ids.retain(|id| *id != from.id);
    let found = units::get_many(c, &ids)
        .await?
        .into_iter()
        .find(|u| u.kind == want);
    found.ok_or_else(|| {
        tracing::error!(
            unit = from.id,
            level = level.as_str(),
            "no unit at this level"
        );
        Error::internal()
    })
}

fn level_of_kind(kind: UnitKind) -> Option<Level> {
    match kind {
        UnitKind::School => Some(Level::School),
        UnitKind::District => Some(Level::District),
        UnitKind::City => Some(Level::City),
        _ => None,
    }
}

fn public_entry(origin: &Origin, app: &App, action: &str, id: i64, unit_id: i64) -> AuditEntry {
    AuditEntry {
        at: app.now(),
        actor_id: None,
        actor: "public".into(),
        action: action.to_owned(),
        object_type: "appeal".into(),
        object_id: id.to_string(),
        unit_id: Some(unit_id),
        result: "ok".into(),
        ip: origin.ip.clone(),
        request_id: origin.request_id.clone(),
        detail: String::new(),
    }
}

fn clock(start: i64, due: i64, done: i64, now: i64) -> ClockView {
    let state = ClockState::of(start, due, done, now);
    ClockView {
        due,
        due_local: format_local_minute(due),
        state,
        label: state.label(),
    }
}

fn parse_category(raw: &str) -> Result<Category> {
    Category::parse(raw.trim()).ok_or_else(|| Error::invalid("category", "请选择反映的问题类别"))
}

/// What every new appeal gets in its own transaction: its keywords for
/// opinion watch and, if it holds urgent words, a flag to the district.
async fn after_insert(
    c: &mut Conn,
    id: i64,
    text: &str,
    school_id: i64,
    district_id: i64,
    signals: &tongyu_domain::opinion::Signals,
    now: i64,
) -> Result<()> {
    crate::opinion::index_appeal(c, id, text, school_id, district_id, now).await?;
    if signals.is_urgent() {
        let words = signals.urgent.join("、");
        store::notify(
            c,
            district_id,
            id,
            &format!("紧急诉求：涉及“{words}”，请立即核实"),
            now,
        )
        .await?;
        store::add_event(
            c,
            &NewEvent {
                appeal_id: id,
                kind: "urgent",
                public: false,
                actor_id: 0,
                unit_id: district_id,
                text: &format!("含紧急词语“{words}”，已同时通知区(市)教育局"),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Moves an appeal one level up (or, at the city, keeps it there) with
/// fresh clocks, and tells both units.
async fn escalate(c: &mut Conn, app: &App, a: &mut Appeal, why: &str, now: i64) -> Result<()> {
    let from_unit = a.unit_id;
    let here = units::get(c, a.unit_id)
        .await?
        .ok_or_else(Error::internal)?;
    let (level, unit) = match a.level.above() {
        Some(l) => (l, unit_for_level(c, &here, l).await?),
        None => (a.level, here),
    };
    let cal = crate::calendar::load_calendar(c).await?;
    let d = app.settings.appeals.deadlines(level, a.category);
    a.level = level;
    a.unit_id = unit.id;
    a.status = Status::Received;
    a.handler_id = 0;
    a.escalations += 1;
    a.clock_start = now;
    a.contact_due = cal.add(now, d.first_contact);
    a.reply_due = cal.add(now, d.reply);
    a.contacted_at = 0;
    a.replied_at = 0;
    a.reply_policy.clear();
    a.reply_status.clear();
    a.reply_next_steps.clear();
    a.replied_by = 0;
    a.rating_due = 0;
    a.closed_at = 0;
    let handled_by = match level {
        Level::School => unit.name.clone(),
        _ => format!("{}教育局", unit.name),
    };
    store::add_event(
        c,
        &NewEvent {
            appeal_id: a.id,
            kind: "escalated",
            public: true,
            actor_id: 0,
            unit_id: unit.id,
            text: &format!("{why}，转由{handled_by}办理"),
        },
        now,
    )
    .await?;
    store::notify(c, unit.id, a.id, &format!("{why}，已转入本单位办理"), now).await?;
    if from_unit != unit.id {
        store::notify(
            c,
            from_unit,
            a.id,
            &format!("{why}，已上报{handled_by}"),
            now,
        )
        .await?;
    }
    Ok(())
}
