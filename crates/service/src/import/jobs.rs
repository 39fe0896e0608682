//! Import jobs: an uploaded sheet waits in the job table with its file;
//! whichever instance claims it checks and applies it (`crate::jobs`), as
//! the person who uploaded it. The outcome goes to the import's row, and
//! the first passwords of new accounts are sealed with the data keys until
//! that person downloads them once, or for a day.

use super::*;
use crate::crypto::field;
use crate::jobs::{self, Job};

/// The report stored with a finished job.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
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

/// Where the upload came from, for the audit entries the import writes.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Payload {
    ip: String,
    request_id: String,
}

/// Queues an import and returns its id at once; the import's row shows its
/// progress to any instance.
pub async fn start(
    app: &App,
    ctx: &Ctx,
    kind: ImportKind,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<i64> {
    crate::access::scope(app, ctx, "import", Action::Import).await?;
    let filename: String = filename
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let payload = serde_json::to_string(&Payload {
        ip: ctx.origin.ip.clone(),
        request_id: ctx.origin.request_id.clone(),
    })
    .map_err(|_| Error::internal())?;
    let mut tx = app.db.write().await?;
    let id = tongyu_store::import::insert(
        &mut tx,
        kind.as_str(),
        &filename,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    jobs::enqueue(app, &mut tx, jobs::IMPORT, id, &payload, Some(&bytes)).await?;
    tx.commit().await.db()?;
    app.jobs.wake();
    Ok(id)
}

/// The person who uploaded an import, as they stand now: an account closed
/// or stripped of the grant since then imports nothing.
async fn uploader(app: &App, account_id: i64, payload: &str) -> Result<Ctx> {
    let mut c = app.db.read().await?;
    let account = accounts::get(&mut c, account_id)
        .await?
        .filter(|a| a.active)
        .ok_or_else(|| Error::invalid("file", "上传这个文件的账号已停用，导入未进行"))?;
    let grants = accounts::grants_of(&mut c, account_id).await?;
    let p: Payload = serde_json::from_str(payload).unwrap_or_default();
    Ok(Ctx {
        actor: Actor {
            account_id,
            username: account.username,
            grants,
        },
        origin: Origin {
            ip: p.ip,
            request_id: p.request_id,
        },
        factor_at: 0,
    })
}

/// Runs a queued import (the job kind `import`). Whatever the sheet holds,
/// the outcome is recorded and the job is done; only a failure to record
/// it makes the job run again, which imports nothing twice.
pub(crate) async fn run_job(app: &App, job: &Job) -> Result<String> {
    let id = job.ref_id;
    let (row, bytes) = {
        let mut c = app.db.read().await?;
        let row = tongyu_store::import::get(&mut c, id).await?;
        let bytes = tongyu_store::jobs::file(&mut c, job.id).await?;
        (row, bytes)
    };
    let Some(row) = row else {
        return Ok(String::new());
    };
    let result = match (ImportKind::parse(&row.kind).ok(), bytes) {
        (Some(kind), Some(bytes)) => match uploader(app, row.created_by, &job.payload).await {
            Ok(ctx) => run_reporting(app, &ctx, id, kind, &bytes).await,
            Err(e) => Err(e),
        },
        _ => Err(Error::invalid("file", "导入的文件已不在，请重新上传")),
    };
    let (status, counts, report, credentials) = match result {
        Ok(o) if o.ok() => {
            let report = Report {
                credentials: o.credentials.len(),
                ..Report::default()
            };
            (
                "done",
                [o.created as i64, o.updated as i64, o.unchanged as i64],
                report,
                o.credentials,
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
            Vec::new(),
        ),
        Err(e) => (
            "failed",
            [0; 3],
            Report {
                file_error: Some(e.message),
                ..Report::default()
            },
            Vec::new(),
        ),
    };
    let json = serde_json::to_string(&report).map_err(|_| Error::internal())?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    tongyu_store::import::finish(&mut tx, id, status, counts, &json, now).await?;
    if !credentials.is_empty() {
        let plain = serde_json::to_string(&credentials).map_err(|_| Error::internal())?;
        let sealed = app.seal(field::IMPORT_CREDENTIALS, &plain);
        tongyu_store::import::put_credentials(&mut tx, id, row.created_by, &sealed, now).await?;
    }
    tongyu_store::jobs::drop_file(&mut tx, job.id).await?;
    tx.commit().await.db()?;
    app.jobs.clear_progress(id);
    Ok(format!(
        "导入 {id}：{}，新增 {}，更新 {}，未变 {}",
        if status == "done" {
            "完成"
        } else {
            "未导入"
        },
        counts[0],
        counts[1],
        counts[2]
    ))
}

/// Runs the import, keeping its progress where pages can read it: in this
/// process's memory and, on PostgreSQL, where other instances may be
/// asked, in the import's row too, from a task of its own. SQLite has one
/// writer, busy with the import itself: its progress stays in memory.
async fn run_reporting(
    app: &App,
    ctx: &Ctx,
    id: i64,
    kind: ImportKind,
    bytes: &[u8],
) -> Result<Outcome> {
    let shared = app.jobs.clone();
    let cb = move |done: u64, total: u64| shared.set_progress(id, done, total);
    let reporter = (app.db.backend() == tongyu_store::Backend::Postgres).then(|| {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
            loop {
                tick.tick().await;
                let Some((done, total)) = app.jobs.progress(id) else {
                    continue;
                };
                if let Ok(mut tx) = app.db.write().await {
                    let _ = tongyu_store::import::progress(&mut tx, id, done as i64, total as i64)
                        .await;
                    let _ = tx.commit().await;
                }
            }
        })
    });
    let result = run(app, ctx, kind, bytes, &cb).await;
    if let Some(r) = reporter {
        r.abort();
    }
    result
}

/// An import whose job was given up (its attempts spent) is marked failed,
/// so its page does not wait for ever. Its file stays with the job (until
/// old jobs are purged), so the operator may run it again.
pub(crate) async fn give_up(app: &App, job: &Job) -> Result<String> {
    let report = Report {
        file_error: Some("导入多次被中断，未完成；请重新上传文件".into()),
        ..Report::default()
    };
    let json = serde_json::to_string(&report).map_err(|_| Error::internal())?;
    let mut tx = app.db.write().await?;
    tongyu_store::import::finish(&mut tx, job.ref_id, "failed", [0; 3], &json, app.now()).await?;
    tx.commit().await.db()?;
    app.jobs.clear_progress(job.ref_id);
    Ok(String::new())
}

/// An import, for the person who started it, with its live progress when
/// it runs in this process.
pub async fn job(
    app: &App,
    ctx: &Ctx,
    id: i64,
) -> Result<(tongyu_store::import::ImportJob, Report)> {
    let mut job = crate::access::import_job(app, ctx, id).await?;
    if job.status == "running"
        && let Some((done, total)) = app.jobs.progress(id)
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

/// Whether an import's first passwords still wait to be downloaded.
pub async fn credentials_waiting(app: &App, ctx: &Ctx, id: i64) -> Result<bool> {
    let job = crate::access::import_job(app, ctx, id).await?;
    let mut c = app.db.read().await?;
    tongyu_store::import::has_credentials(&mut c, job.id).await
}

/// The actor's recent jobs.
pub async fn my_jobs(app: &App, ctx: &Ctx) -> Result<Vec<tongyu_store::import::ImportJob>> {
    let mut c = app.db.read().await?;
    tongyu_store::import::list_by(&mut c, ctx.actor.account_id, 20).await
}

/// Hands over the first passwords of a finished import once, as a
/// spreadsheet, to the person who started it; they leave the database as
/// they are handed over, in the same transaction as its audit entry.
pub async fn take_credentials(app: &App, ctx: &Ctx, id: i64) -> Result<Vec<u8>> {
    crate::second_factor::require_fresh(app, ctx)?;
    let job = crate::access::import_job(app, ctx, id).await?;
    let mut tx = app.db.write().await?;
    let gone = || {
        Error::with_message(
            tongyu_domain::ErrorCode::NotFound,
            "初始密码表已下载过或已失效；如需要，请在账号页面重置密码",
        )
    };
    let sealed = tongyu_store::import::take_credentials(&mut tx, job.id, ctx.actor.account_id)
        .await?
        .ok_or_else(gone)?;
    let list: Vec<Credential> = app
        .settings
        .keys
        .open(field::IMPORT_CREDENTIALS, &sealed)
        .and_then(|plain| serde_json::from_str(&plain).ok())
        .ok_or_else(gone)?;
    audit::commit_audited(
        tx,
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
