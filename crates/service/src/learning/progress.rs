//! The batching writer of progress reports.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::learning::{Coverage, is_complete};
use tongyu_store::learning as store;
use tongyu_store::{Db, DbResult};

/// A child whose campaign tally a completed lesson counts toward.
#[derive(Debug, Clone)]
pub struct Credit {
    pub campaign_id: i64,
    pub student_id: i64,
    pub class_id: i64,
    /// The class and every unit above it.
    pub unit_ids: Vec<i64>,
    /// How many lessons the campaign holds for the child.
    pub needed: i64,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub account_id: i64,
    pub lesson_id: i64,
    pub duration_s: i64,
    pub spans: Vec<(i64, i64)>,
    pub credits: Vec<Credit>,
    pub now: i64,
}

/// Applies batches of reports.
pub struct Progress {
    pub db: Db,
}

/// Groups reports into transactions; answers each after its commit.
pub(crate) type Writer = crate::batch::Writer<Progress>;

impl crate::batch::Apply for Progress {
    type Job = Event;
    type Out = (i64, bool);
    const BATCH: usize = 512;
    const NAME: &'static str = "progress";
    /// A parent's reports stay in order, in one lane.
    fn lane(job: &Event) -> u64 {
        job.account_id.unsigned_abs()
    }
    fn apply<'a>(
        &'a self,
        jobs: &'a [&'a Event],
    ) -> impl std::future::Future<Output = Result<crate::batch::Applied<(i64, bool)>>> + Send + 'a
    {
        apply(&self.db, jobs)
    }
}

/// Applies a batch in one transaction: coverage per parent and lesson,
/// then, for lessons just completed, the children's tallies and the
/// rollups, summed per unit before they are written.
async fn apply(db: &Db, events: &[&Event]) -> Result<crate::batch::Applied<(i64, bool)>> {
    let mut tx = db.write().await?;
    let mut keys: Vec<(i64, i64)> = events.iter().map(|e| (e.account_id, e.lesson_id)).collect();
    keys.sort_unstable();
    keys.dedup();
    // Read every row the batch touches at once, merge in memory (two
    // reports of one parent and lesson apply in order), write once.
    let mut state = store::get_progress_many(&mut tx, &keys).await?;
    // Each parent's clock, for all their lessons: what a report may credit.
    let mut parents: Vec<i64> = keys.iter().map(|(a, _)| *a).collect();
    parents.dedup();
    let mut clocks = tongyu_store::watch::get_clocks_many(&mut tx, &parents).await?;
    let mut out = Vec::with_capacity(events.len());
    let mut deltas: HashMap<i64, HashMap<i64, store::CampaignCounts>> = HashMap::new();
    // Per child: started (lesson 0, first) and lessons completed, in
    // one order so that lanes side by side (PostgreSQL) never wait on
    // each other's rows in a circle.
    let mut steps: Vec<(&Credit, i64, i64)> = Vec::new();
    for e in events {
        let old = state
            .get(&(e.account_id, e.lesson_id))
            .cloned()
            .unwrap_or_default();
        let mut cov = Coverage::decode(&old.spans);
        let clock = clocks.entry(e.account_id).or_default();
        let credited = cov.add_within(&e.spans, clock.budget(e.now));
        clock.spend(credited);
        let covered = cov.covered();
        let complete_now = old.completed_at == 0 && is_complete(covered, e.duration_s);
        let p = store::Progress {
            spans: cov.encode(),
            covered_s: covered,
            completed_at: if complete_now {
                e.now
            } else {
                old.completed_at
            },
            last_report_at: e.now,
        };
        // The first credited seconds on a lesson start the family (a
        // completion does too, for a lesson begun before its child was
        // bound); a family already started is not counted again.
        if (old.covered_s == 0 && covered > 0) || complete_now {
            steps.extend(e.credits.iter().map(|cr| (cr, 0, e.now)));
        }
        if complete_now {
            steps.extend(e.credits.iter().map(|cr| (cr, e.lesson_id, e.now)));
        }
        out.push((covered, p.completed_at > 0));
        state.insert((e.account_id, e.lesson_id), p);
    }
    steps.sort_by_key(|(cr, lesson, _)| (cr.campaign_id, cr.student_id, *lesson));
    steps.dedup_by_key(|(cr, lesson, _)| (cr.campaign_id, cr.student_id, *lesson));
    for (cr, lesson_id, now) in steps {
        if lesson_id == 0 {
            let started = store::mark_started(
                &mut tx,
                cr.campaign_id,
                cr.student_id,
                cr.class_id,
                cr.needed,
                now,
            )
            .await?;
            if started {
                let units = deltas.entry(cr.campaign_id).or_default();
                for u in &cr.unit_ids {
                    units.entry(*u).or_default().families_started += 1;
                }
            }
            continue;
        }
        if !store::mark_student_lesson(&mut tx, cr.campaign_id, cr.student_id, lesson_id, now)
            .await?
        {
            continue; // another guardian finished it for this child already
        }
        let family_done = store::count_student_lesson(
            &mut tx,
            cr.campaign_id,
            cr.student_id,
            cr.class_id,
            cr.needed,
            now,
        )
        .await?;
        let units = deltas.entry(cr.campaign_id).or_default();
        for u in &cr.unit_ids {
            let d = units.entry(*u).or_default();
            d.lessons_done += 1;
            if family_done {
                d.families_done += 1;
            }
        }
    }
    let rows: Vec<((i64, i64), store::Progress)> = keys
        .iter()
        .filter_map(|k| state.remove(k).map(|p| (*k, p)))
        .collect();
    store::put_progress_many(&mut tx, &rows).await?;
    let clocks: Vec<(i64, _)> = parents
        .iter()
        .filter_map(|a| clocks.get(a).map(|w| (*a, *w)))
        .collect();
    tongyu_store::watch::put_clocks_many(&mut tx, &clocks).await?;
    let mut campaigns: Vec<_> = deltas.iter().collect();
    campaigns.sort_by_key(|(campaign, _)| **campaign);
    for (campaign, units) in campaigns {
        store::add_rollups(&mut tx, *campaign, units).await?;
    }
    let durable = tx.commit_deferred().await.db()?;
    Ok(crate::batch::Applied { outs: out, durable })
}
