//! The batching writer behind hot writes (progress reports, public appeal
//! submissions): requests queue their jobs; one task per instance takes
//! every job waiting (up to a limit), applies them in one transaction and
//! answers each only once the commit is on disk. It begins the next batch
//! while the last one's commit goes to disk ([`tongyu_store::Durable`]).
//! When a batch fails, its jobs are applied again one at a time, so one bad
//! job never costs the others.

use std::future::Future;

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
}

type Reply<O> = oneshot::Sender<Result<O>>;

pub(crate) struct Writer<A: Apply> {
    tx: mpsc::Sender<(A::Job, Reply<A::Out>)>,
}

impl<A: Apply> Clone for Writer<A> {
    fn clone(&self) -> Self {
        Writer {
            tx: self.tx.clone(),
        }
    }
}

impl<A: Apply> Writer<A> {
    pub fn start(applier: A) -> Writer<A> {
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
                tracing::debug!(
                    writer = A::NAME,
                    size = batch.len(),
                    us = started.elapsed().as_micros() as u64,
                    "batch committed"
                );
                match result {
                    Ok(done) if done.outs.len() == batch.len() => {
                        // Answered once on disk; the next batch begins now.
                        tokio::spawn(async move {
                            match done.durable.wait().await.db() {
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
        Writer { tx }
    }

    /// Queues a job and waits until it is durable (or failed).
    pub async fn submit(&self, job: A::Job) -> Result<A::Out> {
        let (reply, answer) = oneshot::channel();
        self.tx
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
}
