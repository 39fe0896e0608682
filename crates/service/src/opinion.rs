//! Opinion watch (舆情监测): every appeal's keywords are kept by day and
//! place as it arrives; urgent words flag it to the district at once; the
//! report shows, for the city, a district or a school, the rising topics of
//! the week or month against the four before, surges, and where the
//! appeals come from.

use std::collections::HashMap;

use tongyu_domain::calendar::local_day;
use tongyu_domain::opinion::{Period, Signals, is_surge, keywords, signals};
use tongyu_domain::org::{Unit, UnitKind};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::opinion::{self as store, Place};
use tongyu_store::{Conn, org as units};

use crate::{App, Ctx};

/// Keywords kept per appeal.
pub(crate) const KEYWORDS: usize = 5;

/// Reads an appeal as it arrives: its signals (for the urgent flag) and
/// its keywords, kept in the caller's transaction.
pub(crate) async fn index_appeal(
    c: &mut Conn,
    appeal_id: i64,
    text: &str,
    school_id: i64,
    district_id: i64,
    now: i64,
) -> Result<()> {
    let words = keywords(text, KEYWORDS);
    store::add_keywords(c, appeal_id, &words, school_id, district_id, local_day(now)).await
}

/// The lexicon's reading of a text, with the plan's urgent words.
pub fn read(text: &str, plan: &tongyu_domain::plan::Plan) -> Signals {
    signals(text, &plan.urgent_words)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Topic {
    pub word: String,
    pub count: i64,
    /// The average count of the four periods before.
    pub baseline: f64,
    pub surge: bool,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ChildCount {
    pub unit_id: i64,
    pub name: String,
    pub appeals: i64,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "OpinionReport")]
pub struct Report {
    pub unit: Unit,
    pub period: Period,
    pub period_label: &'static str,
    pub topics: Vec<Topic>,
    pub surges: Vec<Topic>,
    /// Districts of the city or schools of a district, by appeals this period.
    pub children: Vec<ChildCount>,
}

/// The report for a city, district or school the actor handles appeals in.
pub async fn report(app: &App, ctx: &Ctx, unit_id: i64, period: Period) -> Result<Report> {
    let mut c = app.db.read().await?;
    let unit = units::get(&mut c, unit_id)
        .await?
        .ok_or_else(Error::not_found)?;
    drop(c);
    ctx.require(app, Action::HandleAppeals, unit.id, &unit.path)
        .await?;
    let place = match unit.kind {
        UnitKind::City => Place::City,
        UnitKind::District => Place::District(unit.id),
        UnitKind::School => Place::School(unit.id),
        _ => {
            return Err(Error::invalid("unit_id", "舆情报告按市、区(市)或学校查看"));
        }
    };
    let today = local_day(app.now());
    let current_from = today - period.days() + 1;
    let baseline_from = current_from - period.days() * Period::BASELINE_PERIODS;
    let mut c = app.db.read().await?;
    let counts = store::topic_counts(&mut c, place, baseline_from, current_from, 30).await?;
    let topics: Vec<Topic> = counts
        .into_iter()
        .map(|(word, count, base)| {
            let baseline = base as f64 / Period::BASELINE_PERIODS as f64;
            Topic {
                surge: is_surge(count, baseline),
                word,
                count,
                baseline,
            }
        })
        .collect();
    let surges = topics.iter().filter(|t| t.surge).cloned().collect();
    let by_child = store::appeals_by_child(&mut c, place, current_from).await?;
    let ids: Vec<i64> = by_child.iter().map(|(id, _)| *id).collect();
    let names: HashMap<i64, String> = units::get_many(&mut c, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let children = by_child
        .into_iter()
        .map(|(id, n)| ChildCount {
            unit_id: id,
            name: names.get(&id).cloned().unwrap_or_default(),
            appeals: n,
        })
        .collect();
    Ok(Report {
        unit,
        period,
        period_label: period.label(),
        topics,
        surges,
        children,
    })
}
