//! Background work, one mechanism for all of it: a row per job in the job
//! table (`tongyu_store::jobs`), claimed by one instance at a time under a
//! lease renewed while it runs, retried with growing pauses, listed on the
//! operator's page. Periodic jobs (the appeal clocks, the janitor, the
//! daily file sweep) are one row each that goes back to the queue after
//! every run; one-off jobs (an import) end done or failed.
//!
//! Work nobody asked for in a request is audited as the one `system`
//! identity ([`crate::audit::system`]); an import keeps the identity of
//! the person who uploaded it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::DbResult;
pub use tongyu_store::jobs::Job;
use tongyu_store::jobs::{self as store, Outcome};

use crate::{App, Ctx, audit};

/// The appeal clocks: warnings, escalation, closing unrated replies.
pub const APPEAL_SWEEP: &str = "appeal.sweep";
/// Expired sessions, spent codes, old throttle windows, photos past
/// retention, half-written uploads, old finished jobs, untaken passwords.
pub const JANITOR: &str = "janitor";
/// Stored files no row names, once a day.
pub const MEDIA_ORPHANS: &str = "media.orphans";
/// An uploaded sheet checked and applied (`crate::import`).
pub const IMPORT: &str = "import";
/// Every unit's activation counted afresh, once a day (`crate::activation`).
pub const ACTIVATION: &str = "activation";

/// How long a claim holds before another instance may take the job; the
/// runner renews it at a third of this while the job runs.
pub const LEASE: Duration = Duration::from_secs(60);

type Run = fn(App, Job) -> Pin<Box<dyn Future<Output = Result<String>> + Send>>;

/// A kind of job this build knows how to run.
pub struct Kind {
    pub name: &'static str,
    /// What the operator's page calls it.
    pub label: &'static str,
    run: Run,
    /// Called once when a one-off job is given up for good, to leave what
    /// it worked on in a clear state.
    gave_up: Option<Run>,
}

/// Every kind of job, with what runs it.
pub fn kinds() -> &'static [Kind] {
    &KINDS
}

static KINDS: [Kind; 5] = [
    Kind {
        name: APPEAL_SWEEP,
        label: "诉求时限检查",
        run: |app, _| Box::pin(async move { crate::appeal::sweep_job(&app).await }),
        gave_up: None,
    },
    Kind {
        name: JANITOR,
        label: "过期数据清理",
        run: |app, _| Box::pin(async move { janitor(&app).await }),
        gave_up: None,
    },
    Kind {
        name: MEDIA_ORPHANS,
        label: "无主文件清理",
        run: |app, _| {
            Box::pin(async move {
                let n = crate::media::purge_orphans(&app, Duration::from_secs(86_400)).await?;
                Ok(format!("删除 {n} 个文件"))
            })
        },
        gave_up: None,
    },
    Kind {
        name: ACTIVATION,
        label: "账号激活统计",
        run: |app, _| Box::pin(async move { crate::activation::recompute(&app).await }),
        gave_up: None,
    },
    Kind {
        name: IMPORT,
        label: "批量导入",
        run: |app, job| Box::pin(async move { crate::import::run_job(&app, &job).await }),
        gave_up: Some(|app, job| Box::pin(async move { crate::import::give_up(&app, &job).await })),
    },
];

fn kind_of(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The label of a kind, or its name when this build does not know it.
pub fn label(name: &str) -> &str {
    kind_of(name).map_or(name, |k| k.label)
}

/// What this process keeps about jobs: a bell that wakes its runner when
/// work is queued here, and the live progress of imports running here.
#[derive(Default)]
pub struct Shared {
    wake: tokio::sync::Notify,
    progress: Mutex<HashMap<i64, (u64, u64)>>,
}

impl Shared {
    /// Wakes this process's runner now rather than at its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn set_progress(&self, import: i64, done: u64, total: u64) {
        if let Ok(mut m) = self.progress.lock() {
            m.insert(import, (done, total));
        }
    }

    pub(crate) fn clear_progress(&self, import: i64) {
        if let Ok(mut m) = self.progress.lock() {
            m.remove(&import);
        }
    }

    /// Live (done, total) of an import running in this process.
    pub fn progress(&self, import: i64) -> Option<(u64, u64)> {
        self.progress.lock().ok()?.get(&import).copied()
    }
}

/// Makes sure each periodic job exists with its period; called by every
/// instance at start (one row per kind whoever comes first).
pub async fn schedule(app: &App, periodic: &[(&str, Duration)]) -> Result<()> {
    let now = app.now();
    let mut tx = app.db.write().await?;
    for (kind, every) in periodic {
        let every = every.as_secs().max(1) as i64;
        store::schedule(&mut tx, kind, every, now, now).await?;
    }
    tx.commit().await.db()
}

/// The periodic jobs of a serving instance, from its settings.
pub fn standard_schedule(appeal_sweep_every: Duration) -> Vec<(&'static str, Duration)> {
    vec![
        (APPEAL_SWEEP, appeal_sweep_every),
        (JANITOR, Duration::from_secs(600)),
        (MEDIA_ORPHANS, Duration::from_secs(86_400)),
        (ACTIVATION, Duration::from_secs(86_400)),
    ]
}

/// Queues a one-off job (and the file it works on), then rings this
/// process's runner. Runs in the caller's transaction.
pub async fn enqueue(
    app: &App,
    c: &mut tongyu_store::Conn,
    kind: &'static str,
    ref_id: i64,
    payload: &str,
    file: Option<&[u8]>,
) -> Result<i64> {
    let now = app.now();
    let id = store::enqueue(
        c,
        &store::NewJob {
            kind,
            ref_id,
            payload,
            run_at: now,
            max_attempts: 3,
        },
        now,
    )
    .await?;
    if let Some(bytes) = file {
        store::put_file(c, id, bytes).await?;
    }
    Ok(id)
}

/// A name for this process among the instances, for the leases it holds.
fn owner_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_default();
    format!(
        "{}{}{}-{}",
        host,
        if host.is_empty() { "" } else { "-" },
        std::process::id(),
        crate::auth::random_token(4)
    )
}

/// Runs jobs until the process ends: at most `parallel` at once, looking
/// for due work every `poll` and whenever work is queued here.
pub fn start(app: App, poll: Duration, parallel: usize) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let owner: Arc<str> = owner_name().into();
        let slots = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            match claim_next(&app, &owner).await {
                Ok(Some(job)) => {
                    let (app, owner) = (app.clone(), owner.clone());
                    tokio::spawn(async move {
                        run_one(&app, &owner, job).await;
                        drop(slot);
                    });
                    continue;
                }
                Ok(None) => drop(slot),
                Err(e) => {
                    drop(slot);
                    tracing::warn!(error = %e, "could not claim a job");
                }
            }
            if let Err(e) = abandon_exhausted(&app).await {
                tracing::warn!(error = %e, "could not give up interrupted jobs");
            }
            tokio::select! {
                _ = app.jobs.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    })
}

/// Claims the job due soonest among the kinds this build runs, for `owner`
/// (one instance's runner), under a lease of [`LEASE`].
pub async fn claim_next(app: &App, owner: &str) -> Result<Option<Job>> {
    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    let now = app.now();
    let mut tx = app.db.write().await?;
    let job = store::claim(
        &mut tx,
        app.db.backend(),
        &names,
        owner,
        now,
        now + LEASE.as_secs() as i64,
    )
    .await?;
    tx.commit().await.db()?;
    Ok(job)
}

/// Runs a claimed job, renewing its lease meanwhile, and records the end.
pub async fn run_one(app: &App, owner: &str, job: Job) {
    let Some(kind) = kind_of(&job.kind) else {
        return;
    };
    let renewer = {
        let (app, owner, id) = (app.clone(), owner.to_owned(), job.id);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LEASE / 3).await;
                let until = app.now() + LEASE.as_secs() as i64;
                let held = async {
                    let mut tx = app.db.write().await?;
                    let held = store::renew(&mut tx, id, &owner, until).await?;
                    tx.commit().await.db()?;
                    Ok::<bool, Error>(held)
                }
                .await;
                match held {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = id, "a job's lease was lost while it ran");
                        return;
                    }
                    Err(e) => tracing::warn!(job = id, error = %e, "could not renew a job's lease"),
                }
            }
        })
    };
    let started = std::time::Instant::now();
    let result = (kind.run)(app.clone(), job.clone()).await;
    renewer.abort();
    match &result {
        Err(e) => tracing::warn!(job = job.id, kind = job.kind, error = %e, "job failed"),
        Ok(s) if !s.is_empty() && job.every_s == 0 => tracing::info!(
            job = job.id,
            kind = job.kind,
            ms = started.elapsed().as_millis() as u64,
            result = s,
            "job done"
        ),
        Ok(_) => {}
    }
    if let Err(e) = finish(app, owner, &job, &result).await {
        tracing::error!(job = job.id, error = %e, "could not record a job's end");
    }
}

/// Records how a claimed job's run ended, if it is still `owner`'s: a
/// failure is retried after a pause while attempts remain, and a one-off
/// job that has spent them is given up (its kind cleans up). Returns the
/// job as it now stands.
pub async fn finish(
    app: &App,
    owner: &str,
    job: &Job,
    result: &Result<String>,
) -> Result<Option<Job>> {
    let now = app.now();
    let outcome = match result {
        Ok(summary) => Outcome::Done { result: summary },
        Err(e) => Outcome::Failed {
            error: &e.message,
            retry_at: now + backoff(job.attempts),
        },
    };
    let mut tx = app.db.write().await?;
    let ended = store::finish(&mut tx, job.id, owner, outcome, now).await?;
    tx.commit().await.db()?;
    if let Some(j) = &ended
        && j.status == "failed"
        && let Some(kind) = kind_of(&j.kind)
    {
        gave_up(app, kind, j).await;
    }
    Ok(ended)
}

/// Half a minute after the first failure, doubling, at most an hour.
fn backoff(attempts: i64) -> i64 {
    (30_i64 << attempts.clamp(1, 8).saturating_sub(1)).min(3600)
}

async fn gave_up(app: &App, kind: &Kind, job: &Job) {
    if let Some(f) = kind.gave_up
        && let Err(e) = f(app.clone(), job.clone()).await
    {
        tracing::error!(job = job.id, error = %e, "could not clean up after a job given up");
    }
}

/// One-off jobs whose lease ran out once too often (their instance kept
/// stopping under them) are given up.
async fn abandon_exhausted(app: &App) -> Result<()> {
    let now = app.now();
    let mut tx = app.db.write().await?;
    let jobs = store::abandon_exhausted(&mut tx, now, 20).await?;
    tx.commit().await.db()?;
    for j in jobs {
        if let Some(kind) = kind_of(&j.kind) {
            gave_up(app, kind, &j).await;
        }
    }
    Ok(())
}

/// Every ten minutes: what has expired goes.
async fn janitor(app: &App) -> Result<String> {
    let mut done = Vec::new();
    let sessions = crate::auth::purge_expired(app).await?;
    done.push(format!("会话 {sessions}"));
    crate::verify::purge(app).await?;
    crate::throttle::purge(app).await?;
    let photos = crate::appeal::retention::purge_photos(app).await?;
    done.push(format!("诉求照片 {photos}"));
    crate::media::purge_temporary(app).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let jobs = store::purge(&mut tx, now - 30 * 86_400).await?;
    let passwords = tongyu_store::import::purge_credentials(&mut tx, now - 86_400).await?;
    tx.commit().await.db()?;
    done.push(format!("旧任务 {jobs}"));
    done.push(format!("未领取的初始密码表 {passwords}"));
    Ok(done.join("，"))
}

/// A job as the operator's page shows it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    pub label: String,
}

/// The jobs, for the system administrator: periodic ones first, then the
/// failed, the waiting and running, and the finished.
pub async fn list(app: &App, ctx: &Ctx) -> Result<Vec<JobView>> {
    crate::access::scope(app, ctx, "jobs", Action::OperateJobs).await?;
    let mut c = app.db.read().await?;
    Ok(store::list(&mut c, 200)
        .await?
        .into_iter()
        .map(|job| JobView {
            label: label(&job.kind).to_owned(),
            job,
        })
        .collect())
}

/// Runs a job again: a failed one-off job with fresh attempts, or a
/// periodic one now. Audited.
pub async fn retry(app: &App, ctx: &Ctx, id: i64) -> Result<()> {
    crate::access::scope(app, ctx, "jobs", Action::OperateJobs).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let job = store::get(&mut tx, id)
        .await?
        .ok_or_else(Error::not_found)?;
    let queued = if job.every_s > 0 {
        store::run_now(&mut tx, id, now).await?
    } else {
        store::retry(&mut tx, id, now).await?
    };
    if !queued {
        return Err(Error::with_message(
            tongyu_domain::ErrorCode::Conflict,
            "这个任务正在运行或已完成，无需重新运行",
        ));
    }
    audit::commit_audited(
        tx,
        &audit::entry(app, ctx, "job.retry", "job", id, None, &job.kind),
    )
    .await?;
    app.jobs.wake();
    Ok(())
}
