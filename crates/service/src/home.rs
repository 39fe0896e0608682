//! A parent's home (`/my`): what they have to do, gathered from several
//! modules, and kept per parent for [`crate::CACHE_TTL`] so a parent who
//! comes back to it costs no database read (ADR 0034).
//!
//! What is kept is what the database said, not what the page shows: which
//! sessions are still to come is decided when the page is drawn. The
//! parent's own changes forget it: a progress report at once on the
//! instance that took it (reports are too many to announce, and the other
//! instances catch up within the time to live); binding requests, check-ins,
//! ratings and survey answers through the change feed as well. Staff's
//! changes to a class (a session planned, moved or held, attendance taken)
//! forget the homes of its parents, and a questionnaire set for a course
//! forgets every home, both through the feed.

use std::sync::Arc;

use tongyu_domain::Result;

use crate::delivery::{ParentSession, Survey};
use crate::growth::GrowthYear;
use crate::learning::{ChildLessons, Recommendation, Started};
use crate::{App, Ctx};

/// A child on the parent's home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeChild {
    pub name: String,
    pub class_name: String,
}

/// What a parent's home is drawn from.
#[derive(Debug, Clone)]
pub struct ParentHome {
    pub children: Vec<HomeChild>,
    /// The children's classes: staff's changes to one forget this home.
    pub class_ids: Vec<i64>,
    /// Students the parent asked to be bound to, still awaiting a decision.
    pub pending: Vec<i64>,
    /// Campaign lessons per child, with the parent's progress.
    pub lessons: Vec<ChildLessons>,
    /// Library lessons started and not finished, the latest first.
    pub started: Vec<Started>,
    pub growth: Vec<GrowthYear>,
    /// This school year's required-course sessions of the children's classes.
    pub sessions: Vec<ParentSession>,
    /// Questionnaires open now.
    pub surveys: Vec<Survey>,
    /// Library lessons for the children's grades not yet finished.
    pub recommended: Vec<Recommendation>,
}

/// How many started library lessons the home lists.
const STARTED: i64 = 5;
/// How many lessons it recommends per child.
const RECOMMENDED: usize = 3;

/// The actor's home, from the cache when it holds it.
pub async fn parent_home(app: &App, ctx: &Ctx) -> Result<Arc<ParentHome>> {
    let id = ctx.actor.account_id;
    if let Some(home) = app.caches.homes.get(&id) {
        return Ok(home);
    }
    let since = std::time::Instant::now();
    let kids = crate::access::children(app, id).await?;
    let (pending, progress, started) = {
        let mut c = app.db.read().await?;
        (
            tongyu_store::student::pending_of(&mut c, id).await?,
            tongyu_store::learning::progress_of(&mut c, id).await?,
            tongyu_store::learning::started_of(&mut c, id, STARTED).await?,
        )
    };
    let home = Arc::new(ParentHome {
        children: kids
            .iter()
            .map(|k| HomeChild {
                name: k.name.clone(),
                class_name: k.class.name.clone(),
            })
            .collect(),
        class_ids: kids.iter().map(|k| k.class.id).collect(),
        pending,
        lessons: crate::learning::lessons_for(app, &kids, &progress).await?,
        started,
        growth: crate::growth::growth_record(app, ctx).await?,
        sessions: crate::delivery::my_sessions(app, ctx).await?,
        surveys: crate::delivery::my_surveys(app, ctx).await?,
        recommended: crate::learning::recommendations_for(app, &kids, &progress, RECOMMENDED)
            .await?,
    });
    app.caches.homes.put_read_since(id, home.clone(), since);
    Ok(home)
}
