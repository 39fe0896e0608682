//! Work that keeps an instance healthy off the request path: following the
//! change feed of the caches shared with other instances, folding SQLite's
//! write-ahead log back into the database file, and pruning the feed.

use std::collections::HashSet;
use std::time::Duration;

use tongyu_store::{DbResult, cache_feed};

use crate::{App, Forget};

/// How far back each read of the feed looks: changes committed late (a
/// slow transaction, a clock a little behind) are still seen; those seen
/// already are skipped by id.
const FEED_WINDOW_S: i64 = 10;

/// How long the feed keeps a change.
const FEED_KEEP_S: i64 = 86_400;

/// The most changes one read of the feed applies; past that, everything
/// cached is forgotten (a bulk change touches many accounts anyway).
const FEED_BATCH: i64 = 5_000;

/// Follows the change feed and checkpoints the log every `every`, until the
/// process ends.
pub fn start(app: App, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut follower = Follower::new(&app);
        let mut rounds: u64 = 0;
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = follower.round(&app).await {
                tracing::warn!(error = %e, "could not read the cache change feed");
            }
            match app.db.checkpoint().await {
                Ok(frames) if frames > 0 => {
                    tracing::debug!(frames, "write-ahead log checkpointed");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "write-ahead log checkpoint failed"),
            }
            rounds += 1;
            if rounds.is_multiple_of(3_600) {
                prune(&app).await;
            }
        }
    })
}

/// What one instance has read of the feed.
pub struct Follower {
    /// Reads look back from here.
    since: i64,
    /// Changes applied within the window (not applied again).
    seen: HashSet<i64>,
}

impl Follower {
    /// Follows from now: what is cached here was read after anything older.
    pub fn new(app: &App) -> Follower {
        Follower {
            since: app.now(),
            seen: HashSet::new(),
        }
    }

    /// Reads what is new and forgets it here; how many changes applied.
    pub async fn round(&mut self, app: &App) -> tongyu_domain::Result<usize> {
        let now = app.now();
        let from = self.since - FEED_WINDOW_S;
        let changes = {
            let mut c = app.db.read().await?;
            cache_feed::since(&mut c, from, FEED_BATCH).await?
        };
        let mut applied = 0;
        if changes.len() as i64 >= FEED_BATCH {
            app.caches.forget(&Forget::All);
            applied = changes.len();
            self.seen = changes.iter().map(|c| c.id).collect();
            self.since = changes.last().map_or(now, |c| c.at.max(self.since));
            return Ok(applied);
        }
        for change in &changes {
            if !self.seen.insert(change.id) {
                continue;
            }
            if let Some(f) = Forget::from_feed(&change.kind, &change.key) {
                app.caches.forget(&f);
                applied += 1;
            }
        }
        self.since = self.since.max(now);
        let keep_from = self.since - FEED_WINDOW_S;
        let recent: HashSet<i64> = changes
            .iter()
            .filter(|c| c.at >= keep_from)
            .map(|c| c.id)
            .collect();
        self.seen.retain(|id| recent.contains(id));
        Ok(applied)
    }
}

async fn prune(app: &App) {
    let before = app.now() - FEED_KEEP_S;
    let done = async {
        let mut tx = app.db.write().await?;
        let n = cache_feed::prune(&mut tx, before).await?;
        tx.commit().await.db()?;
        Ok::<u64, tongyu_domain::Error>(n)
    }
    .await;
    if let Err(e) = done {
        tracing::warn!(error = %e, "could not prune the cache change feed");
    }
}
