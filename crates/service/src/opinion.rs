//! Opinion watch (舆情监测): every appeal's keywords are kept by day and
//! place as it arrives; urgent words flag it to the district at once; the
//! report shows, for the city, a district or a school, the rising topics of
//! the week or month against the four before, surges, and where the
//! appeals come from.

use std::collections::HashMap;

use tongyu_domain::appeal::Category;
use tongyu_domain::calendar::local_day;
use tongyu_domain::opinion::{Period, Signals, is_surge, is_topic_word, keywords, signals};
use tongyu_domain::org::{Unit, UnitKind, path_ids};
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

/// Appeals of one category this period.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CategoryCount {
    pub category: Category,
    pub label: &'static str,
    pub appeals: i64,
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
    /// Appeals received this period by category, the most first.
    pub categories: Vec<CategoryCount>,
}

/// The appeals behind one topic of a report.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct TopicAppeals {
    pub unit: Unit,
    pub period: Period,
    pub period_label: &'static str,
    pub word: String,
    /// Newest first, at most [`TOPIC_APPEALS`].
    pub appeals: Vec<crate::appeal::InboxRow>,
}

/// How many appeals a topic lists.
pub const TOPIC_APPEALS: i64 = 200;

/// How many topics a report lists.
const TOPICS: usize = 30;

/// The place a report covers, checked against the actor's scope.
async fn place_of(app: &App, ctx: &Ctx, unit_id: i64) -> Result<(Unit, Place)> {
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
    Ok((unit, place))
}

/// The names of the units a report speaks of: those above the unit, the
/// unit, and two levels below (a district's subdistricts and schools, a
/// city's districts and subdistricts). A topic word inside one of them says
/// where, not what.
async fn place_names(c: &mut Conn, unit: &Unit) -> Result<Vec<String>> {
    let mut names: Vec<String> = units::get_many(c, &path_ids(&unit.path))
        .await?
        .into_iter()
        .map(|u| u.name)
        .collect();
    if unit.kind != UnitKind::School {
        for child in units::children(c, unit.id, true).await? {
            if matches!(child.kind, UnitKind::Grade | UnitKind::Class) {
                continue;
            }
            if child.kind != UnitKind::School {
                names.extend(
                    units::children(c, child.id, true)
                        .await?
                        .into_iter()
                        .filter(|u| !matches!(u.kind, UnitKind::Grade | UnitKind::Class))
                        .map(|u| u.name),
                );
            }
            names.push(child.name);
        }
    }
    Ok(names)
}

/// The appeals of a place and period that named a topic word.
pub async fn topic(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    period: Period,
    word: &str,
) -> Result<TopicAppeals> {
    let word = word.trim();
    if word.is_empty() || word.chars().count() > 20 {
        return Err(Error::invalid("word", "请从报告中选择一个关键词"));
    }
    let (unit, place) = place_of(app, ctx, unit_id).await?;
    let from = local_day(app.now()) - period.days() + 1;
    let mut c = app.db.read().await?;
    let ids = store::appeals_with_word(&mut c, place, word, from, TOPIC_APPEALS).await?;
    let rows = tongyu_store::appeal::get_many(&mut c, &ids)
        .await?
        .into_iter()
        .filter(|a| a.status != tongyu_domain::appeal::Status::Spam)
        .collect();
    let appeals = crate::appeal::rows_of(&mut c, rows, app.now()).await?;
    Ok(TopicAppeals {
        unit,
        period,
        period_label: period.label(),
        word: word.to_owned(),
        appeals,
    })
}

/// The report for a city, district or school the actor handles appeals in.
pub async fn report(app: &App, ctx: &Ctx, unit_id: i64, period: Period) -> Result<Report> {
    let (unit, place) = place_of(app, ctx, unit_id).await?;
    let today = local_day(app.now());
    let current_from = today - period.days() + 1;
    let baseline_from = current_from - period.days() * Period::BASELINE_PERIODS;
    let mut c = app.db.read().await?;
    // Candidates beyond the list's length: the unit names are removed here.
    let counts = store::topic_counts(
        &mut c,
        place,
        baseline_from,
        current_from,
        3 * TOPICS as i64,
    )
    .await?;
    let names = place_names(&mut c, &unit).await?;
    let topics: Vec<Topic> = counts
        .into_iter()
        .filter(|(word, _, _)| {
            is_topic_word(word) && !names.iter().any(|n| n.contains(word.as_str()))
        })
        .take(TOPICS)
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
    let since = tongyu_domain::calendar::day_start(current_from);
    let categories = store::appeals_by_category(&mut c, &unit.path, since)
        .await?
        .into_iter()
        .filter_map(|(code, n)| {
            Category::parse(&code).map(|category| CategoryCount {
                category,
                label: category.label(),
                appeals: n,
            })
        })
        .collect();
    Ok(Report {
        categories,
        unit,
        period,
        period_label: period.label(),
        topics,
        surges,
        children,
    })
}
