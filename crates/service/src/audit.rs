//! Writing and reading the audit log.

use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::DbResult;
use tongyu_store::audit::{AuditEntry, VerifyReport};
/// What the audit log is searched by and what it shows.
pub use tongyu_store::audit::{AuditFilter, AuditRecord};

use crate::{App, Ctx, Origin};

/// An entry for an action by an authenticated actor.
pub fn entry(
    app: &App,
    ctx: &Ctx,
    action: &str,
    object_type: &str,
    object_id: impl ToString,
    unit_id: Option<i64>,
    detail: impl Into<String>,
) -> AuditEntry {
    AuditEntry {
        at: app.now(),
        actor_id: Some(ctx.actor.account_id),
        actor: ctx.actor.username.clone(),
        action: action.to_owned(),
        object_type: object_type.to_owned(),
        object_id: object_id.to_string(),
        unit_id,
        result: "ok".into(),
        ip: ctx.origin.ip.clone(),
        request_id: ctx.origin.request_id.clone(),
        detail: detail.into(),
    }
}

/// An entry for an event with no authenticated actor (a login attempt).
pub fn anonymous(
    app: &App,
    origin: &Origin,
    actor: &str,
    action: &str,
    result: &str,
) -> AuditEntry {
    AuditEntry {
        at: app.now(),
        actor_id: None,
        actor: actor.to_owned(),
        action: action.to_owned(),
        object_type: "account".into(),
        object_id: String::new(),
        unit_id: None,
        result: result.to_owned(),
        ip: origin.ip.clone(),
        request_id: origin.request_id.clone(),
        detail: String::new(),
    }
}

pub async fn append(c: &mut tongyu_store::Tx, e: &AuditEntry) -> Result<i64> {
    tongyu_store::audit::append(c, e).await
}

/// The name of the one identity that is no person: the platform's own
/// background work, and the command line run by the operator at the
/// console (its entries' address reads `cli`).
pub const SYSTEM: &str = "system";

/// The one identity of work nobody asked for in a request (the clocks of
/// appeals, retention, resealing): an entry by `system` on `object_type`
/// `object_id`, held by `unit_id` where there is one.
pub fn system(
    app: &App,
    action: &str,
    object_type: &str,
    object_id: impl ToString,
    unit_id: Option<i64>,
) -> AuditEntry {
    AuditEntry {
        at: app.now(),
        actor_id: None,
        actor: SYSTEM.into(),
        action: action.to_owned(),
        object_type: object_type.to_owned(),
        object_id: object_id.to_string(),
        unit_id,
        result: "ok".into(),
        ip: String::new(),
        request_id: String::new(),
        detail: String::new(),
    }
}

/// Appends the change's entry and commits: the ending of every change, so
/// that a change and its record land together or not at all.
pub async fn commit_audited(mut tx: tongyu_store::Tx, e: &AuditEntry) -> Result<()> {
    append(&mut tx, e).await?;
    tx.commit().await.db()
}

/// Appends one entry in its own transaction (reads and refusals).
pub async fn append_alone(app: &App, e: &AuditEntry) -> Result<()> {
    commit_audited(app.db.write().await?, e).await
}

/// Refuses an action that the caller's role allows but this case does not
/// (four eyes: one's own reply, course or revision): recorded as denied,
/// answered 403 with `message`.
pub async fn refuse(
    app: &App,
    ctx: &Ctx,
    action: Action,
    object_type: &str,
    object_id: i64,
    unit_id: Option<i64>,
    message: &str,
) -> tongyu_domain::Error {
    record_denied(
        app,
        ctx,
        action,
        object_type,
        &object_id.to_string(),
        unit_id,
    )
    .await;
    tongyu_domain::Error::with_message(tongyu_domain::ErrorCode::Forbidden, message)
}

/// Records a refused action. A failure to record is logged, not raised:
/// the refusal stands either way. A refusal can happen inside the caller's
/// own write transaction (a scope check on a row it has just read), and on
/// SQLite that transaction holds the one writer: then, or whenever another
/// writer is busy, the entry is written by a task of its own as soon as the
/// writer is free, instead of waiting for a transaction that waits for us.
pub async fn record_denied(
    app: &App,
    ctx: &Ctx,
    action: Action,
    object_type: &str,
    object_id: &str,
    unit_id: Option<i64>,
) {
    let mut e = entry(
        app,
        ctx,
        &format!("{action:?}"),
        object_type,
        object_id,
        unit_id,
        "",
    );
    e.result = "denied".into();
    let written = match app.db.try_write().await {
        Ok(Some(mut tx)) => append(&mut tx, &e).await.and(tx.commit().await.db()),
        Ok(None) => {
            let app = app.clone();
            tokio::spawn(async move {
                if let Err(err) = append_alone(&app, &e).await {
                    tracing::error!(error = %err, "could not record a refused action");
                }
            });
            Ok(())
        }
        Err(err) => Err(err),
    };
    if let Err(err) = written {
        tracing::error!(error = %err, "could not record a refused action");
    }
}

/// Searches the log (audit administrators only).
/// Searches the log; the read is itself an entry (what was asked for, and
/// how many entries were shown).
pub async fn search(app: &App, ctx: &Ctx, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
    let city = city_path(app).await?;
    ctx.require(app, Action::ReadAudit, 0, &city).await?;
    let records = {
        let mut c = app.db.read().await?;
        tongyu_store::audit::search(&mut c, filter).await?
    };
    let detail = format!(
        "actor={} action={} object={}:{} from={} to={} before={}: {} 条",
        filter.actor,
        filter.action,
        filter.object_type,
        filter.object_id,
        filter.from,
        filter.to,
        filter.before_seq,
        records.len()
    );
    append_alone(
        app,
        &entry(app, ctx, "audit.read", "audit", "", None, detail),
    )
    .await?;
    Ok(records)
}

/// The entries for an export (CSV or spreadsheet): the second factor must
/// be fresh, and the export itself is an entry.
pub async fn search_for_export(
    app: &App,
    ctx: &Ctx,
    filter: &AuditFilter,
) -> Result<Vec<AuditRecord>> {
    let records = search(app, ctx, filter).await?;
    crate::second_factor::require_fresh(app, ctx)?;
    append_alone(
        app,
        &entry(
            app,
            ctx,
            "audit.export",
            "audit",
            "",
            None,
            format!("{} 条", records.len()),
        ),
    )
    .await?;
    Ok(records)
}

/// The chain's head as written outside the database: where it stood, and
/// an HMAC of that under the server's key, so that neither the database
/// nor the file alone can be changed to match the other.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct HeadMark {
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub mac: String,
}

fn head_mac(app: &App, seq: i64, hash: &str, at: i64) -> String {
    app.settings
        .secret
        .keyed_hash("audit-head", &format!("{seq}:{hash}:{at}"))
}

/// Writes the chain's head to `path` (whole, by rename) and to the log.
pub async fn mark_head(app: &App, path: &std::path::Path) -> Result<HeadMark> {
    let (seq, hash) = {
        let mut c = app.db.read().await?;
        tongyu_store::audit::head(&mut c).await?
    };
    let at = app.now();
    let mark = HeadMark {
        mac: head_mac(app, seq, &hash, at),
        seq,
        hash,
        at,
    };
    let text = serde_json::to_string(&mark).map_err(|_| Error::internal())?;
    let tmp = path.with_extension("tmp");
    let write = async {
        tokio::fs::write(&tmp, text.as_bytes()).await?;
        tokio::fs::File::open(&tmp).await?.sync_all().await?;
        tokio::fs::rename(&tmp, path).await
    };
    if let Err(e) = write.await {
        tracing::error!(error = %e, path = %path.display(), "cannot write the audit head");
        return Err(Error::internal());
    }
    tracing::info!(seq = mark.seq, hash = %mark.hash, "audit head");
    Ok(mark)
}

/// What a head written outside the database says of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkCheck {
    /// No head has been written at that path.
    Missing,
    /// The file is not one this server wrote (its MAC does not hold).
    Forged,
    /// The chain holds the entry the head names, with the same hash.
    Holds(HeadMark),
    /// The chain no longer holds that entry as it was: rewritten or cut.
    Broken(HeadMark),
}

/// Compares the head written at `path` with the chain in the database.
pub async fn check_mark(app: &App, path: &std::path::Path) -> Result<MarkCheck> {
    let Ok(text) = tokio::fs::read_to_string(path).await else {
        return Ok(MarkCheck::Missing);
    };
    let Ok(mark) = serde_json::from_str::<HeadMark>(&text) else {
        return Ok(MarkCheck::Forged);
    };
    if !crate::crypto::same(&mark.mac, &head_mac(app, mark.seq, &mark.hash, mark.at)) {
        return Ok(MarkCheck::Forged);
    }
    if mark.seq == 0 {
        return Ok(MarkCheck::Holds(mark));
    }
    let mut c = app.db.read().await?;
    Ok(
        match tongyu_store::audit::hash_at(&mut c, mark.seq).await? {
            Some(h) if h == mark.hash => MarkCheck::Holds(mark),
            _ => MarkCheck::Broken(mark),
        },
    )
}

/// Checks the whole chain.
pub async fn verify(app: &App) -> Result<VerifyReport> {
    let mut c = app.db.read().await?;
    tongyu_store::audit::verify(&mut c, app.db.chain_key()).await
}

pub(crate) async fn city_path(app: &App) -> Result<String> {
    let mut c = app.db.read().await?;
    Ok(tongyu_store::org::city(&mut c)
        .await?
        .ok_or_else(Error::not_found)?
        .path)
}
