//! Import jobs: a sheet checked then applied in the background, its report,
//! and first passwords handed out once to the person who started it.

use super::*;

/// A job's first passwords and the account they belong to.
type Owned = (i64, Vec<Credential>);

/// This instance's running imports: their live progress, and the first
/// passwords of imported accounts until the importer downloads them once.
/// Neither leaves memory: progress also goes to the job's row on
/// PostgreSQL, where other instances may be asked; passwords never do.
#[derive(Clone, Default)]
pub struct Jobs {
    progress: std::sync::Arc<std::sync::Mutex<HashMap<i64, (u64, u64)>>>,
    credentials: std::sync::Arc<std::sync::Mutex<HashMap<i64, Owned>>>,
}

/// The report stored with a finished job.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Report {
    #[serde(default)]
    pub file_error: Option<String>,
    #[serde(default)]
    pub errors: Vec<RowError>,
    #[serde(default)]
    pub more_errors: usize,
    #[serde(default)]
    pub credentials: usize,
}

/// Starts an import in the background and returns its job id at once; the
/// job's row shows its progress to any instance.
pub async fn start(
    app: &App,
    ctx: &Ctx,
    kind: ImportKind,
    filename: &str,
    bytes: Vec<u8>,
    jobs: Jobs,
) -> Result<i64> {
    crate::access::scope(app, ctx, "import", Action::Import).await?;
    let filename: String = filename
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let id = {
        let mut tx = app.db.write().await?;
        let id = tongyu_store::import::insert(
            &mut tx,
            kind.as_str(),
            &filename,
            ctx.actor.account_id,
            app.now(),
        )
        .await?;
        tx.commit().await.db()?;
        id
    };
    let app = app.clone();
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let cb = {
            let jobs = jobs.clone();
            move |done: u64, total: u64| jobs.set_progress(id, done, total)
        };
        // On PostgreSQL other instances may be asked for the progress, so it
        // goes to the job's row too, from a task of its own. SQLite has one
        // writer, busy with the import itself: its progress stays in memory.
        let reporter = (app.db.backend() == tongyu_store::Backend::Postgres).then(|| {
            let (app, jobs) = (app.clone(), jobs.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
                loop {
                    tick.tick().await;
                    let Some((done, total)) = jobs.live(id) else {
                        continue;
                    };
                    if let Ok(mut tx) = app.db.write().await {
                        let _ =
                            tongyu_store::import::progress(&mut tx, id, done as i64, total as i64)
                                .await;
                        let _ = tx.commit().await;
                    }
                }
            })
        });
        let result = run(&app, &ctx, kind, &bytes, &cb).await;
        if let Some(r) = reporter {
            r.abort();
        }
        let (status, counts, report) = match result {
            Ok(o) if o.ok() => {
                let report = Report {
                    credentials: o.credentials.len(),
                    ..Report::default()
                };
                if !o.credentials.is_empty() {
                    jobs.put(id, ctx.actor.account_id, o.credentials.clone());
                }
                (
                    "done",
                    [o.created as i64, o.updated as i64, o.unchanged as i64],
                    report,
                )
            }
            Ok(o) => (
                "failed",
                [0; 3],
                Report {
                    errors: o.errors,
                    more_errors: o.more_errors,
                    ..Report::default()
                },
            ),
            Err(e) => (
                "failed",
                [0; 3],
                Report {
                    file_error: Some(e.message),
                    ..Report::default()
                },
            ),
        };
        let json = serde_json::to_string(&report).unwrap_or_default();
        match app.db.write().await {
            Ok(mut tx) => {
                if let Err(e) =
                    tongyu_store::import::finish(&mut tx, id, status, counts, &json, app.now())
                        .await
                {
                    tracing::error!(job = id, error = %e, "could not record the import's outcome");
                }
                let _ = tx.commit().await;
            }
            Err(e) => {
                tracing::error!(job = id, error = %e, "could not record the import's outcome")
            }
        }
        jobs.finished(id);
    });
    Ok(id)
}

/// A job, for its owner only, with its live progress when it runs here.
pub async fn job(
    app: &App,
    ctx: &Ctx,
    id: i64,
    jobs: &Jobs,
) -> Result<(tongyu_store::import::ImportJob, Report)> {
    let mut job = crate::access::import_job(app, ctx, id).await?;
    if job.status == "running"
        && let Some((done, total)) = jobs.live(id)
    {
        job.done = done as i64;
        job.total = total as i64;
    }
    let report = if job.report.is_empty() {
        Report::default()
    } else {
        serde_json::from_str(&job.report).unwrap_or_default()
    };
    Ok((job, report))
}

/// The actor's recent jobs.
pub async fn my_jobs(app: &App, ctx: &Ctx) -> Result<Vec<tongyu_store::import::ImportJob>> {
    let mut c = app.db.read().await?;
    tongyu_store::import::list_by(&mut c, ctx.actor.account_id, 20).await
}

/// Hands over the first passwords of a finished job once, as a spreadsheet;
/// the hand-over is audited.
pub async fn take_credentials(app: &App, ctx: &Ctx, id: i64, jobs: &Jobs) -> Result<Vec<u8>> {
    crate::second_factor::require_fresh(app, ctx)?;
    let list = jobs.take(id, ctx.actor.account_id).ok_or_else(|| {
        Error::with_message(
            tongyu_domain::ErrorCode::NotFound,
            "初始密码表已下载过或已失效；如需要，请在账号页面重置密码",
        )
    })?;
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "import.credentials",
            "import",
            id,
            None,
            format!("{} 个账号", list.len()),
        ),
    )
    .await?;
    let rows: Vec<Vec<String>> = list
        .into_iter()
        .map(|c| vec![c.display_name, c.username, c.password])
        .collect();
    sheet::write_xlsx(
        "初始密码",
        &["姓名", "用户名", "初始密码（首次登录须修改）"],
        &rows,
    )
}

impl Jobs {
    fn set_progress(&self, job: i64, done: u64, total: u64) {
        if let Ok(mut m) = self.progress.lock() {
            m.insert(job, (done, total));
        }
    }

    fn finished(&self, job: i64) {
        if let Ok(mut m) = self.progress.lock() {
            m.remove(&job);
        }
    }

    /// Live (done, total) of a job running on this instance.
    pub fn live(&self, job: i64) -> Option<(u64, u64)> {
        self.progress.lock().ok()?.get(&job).copied()
    }

    fn put(&self, job: i64, owner: i64, list: Vec<Credential>) {
        if let Ok(mut m) = self.credentials.lock() {
            m.insert(job, (owner, list));
        }
    }

    /// Whether a download is waiting for this owner.
    pub fn waiting(&self, job: i64, owner: i64) -> bool {
        self.credentials
            .lock()
            .map(|m| m.get(&job).is_some_and(|(o, _)| *o == owner))
            .unwrap_or(false)
    }

    /// Hands the list over once.
    pub fn take(&self, job: i64, owner: i64) -> Option<Vec<Credential>> {
        let mut m = self.credentials.lock().ok()?;
        match m.get(&job) {
            Some((o, _)) if *o == owner => m.remove(&job).map(|(_, l)| l),
            _ => None,
        }
    }
}
