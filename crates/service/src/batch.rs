//! The batching writer behind hot writes (progress reports, public appeal
//! submissions): requests queue their jobs; one task per instance takes
//! every job waiting (up to a limit), applies them in one transaction and
//! answers each only once the commit is on disk. It begins the next batch
//! while the last one's commit goes to disk ([`tongyu_store::Durable`]).
//! When a batch fails, its jobs are applied again one at a time, so one bad
//! job never costs the others.
//!
//! A writer may run several lanes, each such a task with its own queue
//! and its own transaction: on PostgreSQL, whose writers work side by side,
//! one batch's round trips and commit then overlap another's. Jobs with the
//! same [`Apply::lane`] key always take the same lane, in order. SQLite has
//! one writer connection, and one lane.

use std::future::Future;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};
use tongyu_domain::{Error, Result};
use tongyu_store::{DbResult, Durable};

/// A batch committed: one outcome per job, in order, and the commit on its
/// way to disk.
pub(crate) struct Applied<O> {
    pub outs: Vec<O>,
    pub durable: Durable,
}

/// What a batch writer does with a batch: one transaction, committed with
/// [`tongyu_store::Tx::commit_deferred`].
pub(crate) trait Apply: Send + Sync + 'static {
    type Job: Send + Sync + 'static;
    type Out: Send + 'static;
    /// Jobs in one transaction at most.
    const BATCH: usize;
    /// What the writer is called in the log.
    const NAME: &'static str;
    fn apply<'a>(
        &'a self,
        jobs: &'a [&'a Self::Job],
    ) -> impl Future<Output = Result<Applied<Self::Out>>> + Send + 'a;
    /// Jobs that must not be applied side by side (they touch the same
    /// rows) share this key, and so a lane.
    fn lane(_job: &Self::Job) -> u64 {
        0
    }
}

type Reply<O> = oneshot::Sender<Result<O>>;
/// A lane's queue: jobs and where to answer each.
type Lane<A> = mpsc::Sender<(<A as Apply>::Job, Reply<<A as Apply>::Out>)>;

pub(crate) struct Writer<A: Apply> {
    lanes: Vec<Lane<A>>,
    counters: Arc<Counters>,
}

impl<A: Apply> Clone for Writer<A> {
    fn clone(&self) -> Self {
        Writer {
            lanes: self.lanes.clone(),
            counters: self.counters.clone(),
        }
    }
}

/// What a writer has done since the process began, for `/metrics`.
#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    jobs: AtomicU64,
    largest: AtomicU64,
    /// Applying and committing (not the wait for the disk).
    apply_us: AtomicU64,
    /// Until the disk has it.
    durable_us: AtomicU64,
    slowest_us: AtomicU64,
}

/// A writer's figures: its queue now, and its batches so far.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterStats {
    pub name: &'static str,
    /// Jobs waiting in its queues now.
    pub queued: u64,
    pub batches: u64,
    pub jobs: u64,
    pub largest_batch: u64,
    /// Seconds spent applying and committing batches, in all.
    pub apply_seconds: f64,
    /// Seconds from a batch's start until it was on disk, in all.
    pub durable_seconds: f64,
    /// The longest a batch took until it was on disk.
    pub slowest_seconds: f64,
}

impl<A: Apply> Writer<A> {
    /// One lane.
    #[cfg(test)]
    pub fn start(applier: A) -> Writer<A> {
        Self::with_lanes(applier, 1)
    }

    /// `lanes` lanes (at least one), sharing the applier.
    pub fn with_lanes(applier: A, lanes: usize) -> Writer<A> {
        let applier = Arc::new(applier);
        let counters = Arc::new(Counters::default());
        let lanes = (0..lanes.max(1))
            .map(|_| Self::lane(applier.clone(), counters.clone()))
            .collect();
        Writer { lanes, counters }
    }

    /// Its queue now and its batches so far.
    pub fn stats(&self) -> WriterStats {
        let c = &self.counters;
        let secs = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 / 1e6;
        WriterStats {
            name: A::NAME,
            queued: self
                .lanes
                .iter()
                .map(|l| (l.max_capacity() - l.capacity()) as u64)
                .sum(),
            batches: c.batches.load(Ordering::Relaxed),
            jobs: c.jobs.load(Ordering::Relaxed),
            largest_batch: c.largest.load(Ordering::Relaxed),
            apply_seconds: secs(&c.apply_us),
            durable_seconds: secs(&c.durable_us),
            slowest_seconds: secs(&c.slowest_us),
        }
    }

    fn lane(applier: Arc<A>, counters: Arc<Counters>) -> Lane<A> {
        let (tx, mut rx) = mpsc::channel::<(A::Job, Reply<A::Out>)>(16_384);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                // When few jobs wait, let the requests already running
                // queue theirs first: a few turns of the scheduler cost
                // microseconds, and each batch fewer costs a transaction
                // and a sync (batches of about 120 progress reports instead
                // of 45 at 256 connections; ADR 0015).
                for _ in 0..4 {
                    if rx.len() >= A::BATCH / 4 {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                let mut batch = vec![first];
                while batch.len() < A::BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let jobs: Vec<&A::Job> = batch.iter().map(|(j, _)| j).collect();
                let started = std::time::Instant::now();
                let result = applier.apply(&jobs).await;
                drop(jobs);
                let applied_us = started.elapsed().as_micros() as u64;
                tracing::debug!(
                    writer = A::NAME,
                    size = batch.len(),
                    us = applied_us,
                    "batch committed"
                );
                counters.batches.fetch_add(1, Ordering::Relaxed);
                counters
                    .jobs
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                counters
                    .largest
                    .fetch_max(batch.len() as u64, Ordering::Relaxed);
                counters.apply_us.fetch_add(applied_us, Ordering::Relaxed);
                match result {
                    Ok(done) if done.outs.len() == batch.len() => {
                        // Answered once on disk; the next batch begins now.
                        let counters = counters.clone();
                        tokio::spawn(async move {
                            let durable = done.durable.wait().await.db();
                            let us = started.elapsed().as_micros() as u64;
                            counters.durable_us.fetch_add(us, Ordering::Relaxed);
                            counters.slowest_us.fetch_max(us, Ordering::Relaxed);
                            match durable {
                                Ok(()) => {
                                    for ((_, reply), o) in batch.into_iter().zip(done.outs) {
                                        let _ = reply.send(Ok(o));
                                    }
                                }
                                Err(e) => {
                                    for (_, reply) in batch {
                                        let _ = reply.send(Err(e.clone()));
                                    }
                                }
                            }
                        });
                    }
                    Ok(_) => {
                        tracing::error!(
                            writer = A::NAME,
                            "a batch answered the wrong number of jobs"
                        );
                        for (_, reply) in batch {
                            let _ = reply.send(Err(Error::internal()));
                        }
                    }
                    Err(e) if batch.len() > 1 => {
                        tracing::warn!(writer = A::NAME, error = %e, size = batch.len(), "batch failed; applying its jobs one by one");
                        for (job, reply) in batch {
                            let r = match applier.apply(&[&job]).await {
                                Ok(mut done) => done
                                    .durable
                                    .wait()
                                    .await
                                    .db()
                                    .and_then(|()| done.outs.pop().ok_or_else(Error::internal)),
                                Err(e) => Err(e),
                            };
                            let _ = reply.send(r);
                        }
                    }
                    Err(e) => {
                        tracing::error!(writer = A::NAME, error = %e, "job failed");
                        for (_, reply) in batch {
                            let _ = reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        });
        tx
    }

    /// Queues a job and waits until it is durable (or failed).
    pub async fn submit(&self, job: A::Job) -> Result<A::Out> {
        let (reply, answer) = oneshot::channel();
        let lane = (A::lane(&job) % self.lanes.len().max(1) as u64) as usize;
        self.lanes
            .get(lane)
            .ok_or_else(Error::internal)?
            .send((job, reply))
            .await
            .map_err(|_| Error::internal())?;
        answer.await.map_err(|_| Error::internal())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Doubles numbers; a batch holding a negative one fails as a whole.
    struct Doubler {
        batches: std::sync::Arc<Mutex<Vec<usize>>>,
    }

    impl Apply for Doubler {
        type Job = i64;
        type Out = i64;
        const BATCH: usize = 64;
        const NAME: &'static str = "test";
        async fn apply(&self, jobs: &[&i64]) -> Result<Applied<i64>> {
            if let Ok(mut b) = self.batches.lock() {
                b.push(jobs.len());
            }
            if jobs.iter().any(|j| **j < 0) {
                return Err(Error::invalid("job", "negative"));
            }
            Ok(Applied {
                outs: jobs.iter().map(|j| **j * 2).collect(),
                durable: Durable::ready(),
            })
        }
    }

    #[tokio::test]
    async fn jobs_waiting_together_share_a_batch_and_a_bad_one_fails_alone() {
        let batches = std::sync::Arc::new(Mutex::new(Vec::new()));
        let w = Writer::start(Doubler {
            batches: batches.clone(),
        });
        let mut tasks = Vec::new();
        for j in [1, 2, -3, 4, 5] {
            let w = w.clone();
            tasks.push(tokio::spawn(async move { w.submit(j).await }));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.expect("task").map_err(|e| e.message));
        }
        assert_eq!(
            got,
            vec![Ok(2), Ok(4), Err("negative".to_owned()), Ok(8), Ok(10)]
        );
        // One batch of five failed; then each job alone.
        let seen = batches.lock().map(|b| b.clone()).unwrap_or_default();
        assert_eq!(seen, vec![5, 1, 1, 1, 1, 1]);
    }

    /// Records each batch and how many were being applied at once; even
    /// and odd numbers take different lanes.
    struct Lanes {
        batches: std::sync::Arc<Mutex<Vec<Vec<i64>>>>,
        running: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        most: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Apply for Lanes {
        type Job = i64;
        type Out = i64;
        const BATCH: usize = 64;
        const NAME: &'static str = "lanes";
        async fn apply(&self, jobs: &[&i64]) -> Result<Applied<i64>> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.running.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(now, SeqCst);
            if let Ok(mut b) = self.batches.lock() {
                b.push(jobs.iter().map(|j| **j).collect());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            self.running.fetch_sub(1, SeqCst);
            Ok(Applied {
                outs: jobs.iter().map(|j| **j * 2).collect(),
                durable: Durable::ready(),
            })
        }
        fn lane(job: &i64) -> u64 {
            job.unsigned_abs() % 2
        }
    }

    #[tokio::test]
    async fn lanes_apply_side_by_side_and_a_key_keeps_to_its_lane_in_order() {
        let batches = std::sync::Arc::new(Mutex::new(Vec::new()));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let w = Writer::with_lanes(
            Lanes {
                batches: batches.clone(),
                running: Default::default(),
                most: most.clone(),
            },
            2,
        );
        let mut tasks = Vec::new();
        for j in 1..=12 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move { w.submit(j).await }));
            tokio::task::yield_now().await;
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.expect("task").map_err(|e| e.message));
        }
        assert_eq!(got, (1..=12).map(|j| Ok(j * 2)).collect::<Vec<_>>());
        let seen = batches.lock().map(|b| b.clone()).unwrap_or_default();
        for b in &seen {
            assert!(
                b.iter().all(|j| j % 2 == b[0] % 2),
                "a batch mixed the lanes: {seen:?}"
            );
        }
        // Within a lane, jobs were applied in the order they came.
        for parity in [0, 1] {
            let order: Vec<i64> = seen
                .iter()
                .flatten()
                .copied()
                .filter(|j| j % 2 == parity)
                .collect();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(order, sorted);
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
