//! Uploaded media: a file streams to a temporary file in the media
//! directory while it is hashed and its kind is told from its first bytes;
//! it is refused the moment it is of no known kind or larger than its kind
//! allows. A finished upload is synced to disk, moved to its place (named by
//! its SHA-256, so the same file twice is stored once) and only then
//! recorded, so an address handed out always has its file behind it. Files
//! are served by a random token, with range requests.
//!
//! Several instances must share the media directory (a network file
//! system or a mounted volume), as they share the database.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tongyu_domain::media::{MediaKind, SNIFF_BYTES, check_size, clean_filename, sniff};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::DbResult;
use tongyu_store::media::{self as store, MediaFile, NewFile};

use crate::{App, Ctx, audit};

/// Where a stored file lives: `<dir>/<first two hex digits>/<sha256>`.
fn stored_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

fn io_error(e: std::io::Error) -> Error {
    tracing::error!(error = %e, "media storage failed");
    Error::internal()
}

/// An upload in progress. Dropped unfinished, its temporary file goes.
pub struct Upload {
    tmp: PathBuf,
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    kind: Option<(MediaKind, &'static str)>,
    filename: String,
    done: bool,
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Starts an upload for someone who writes courses or contributions.
pub async fn begin(app: &App, ctx: &Ctx, filename: &str) -> Result<Upload> {
    if ctx.actor.scope(Action::AuthorCourses).is_empty()
        && ctx.actor.scope(Action::Contribute).is_empty()
    {
        audit::record_denied(app, ctx, Action::AuthorCourses, "media", "upload", None).await;
        return Err(Error::forbidden());
    }
    let dir = app.settings.media_dir.join("tmp");
    tokio::fs::create_dir_all(&dir).await.map_err(io_error)?;
    let tmp = dir.join(crate::auth::random_token(12));
    let file = tokio::fs::File::create(&tmp).await.map_err(io_error)?;
    Ok(Upload {
        tmp,
        file: Some(file),
        hasher: Sha256::new(),
        size: 0,
        head: Vec::with_capacity(SNIFF_BYTES),
        kind: None,
        filename: clean_filename(filename),
        done: false,
    })
}

impl Upload {
    /// Adds the next chunk; fails as soon as the file is of no known kind
    /// or too large for its kind.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<()> {
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            if self.head.len() == SNIFF_BYTES {
                self.kind = Some(sniff(&self.head, &self.filename)?);
            }
        }
        self.size += chunk.len() as u64;
        if let Some((kind, _)) = self.kind {
            check_size(kind, self.size)?;
        }
        self.hasher.update(chunk);
        let file = self.file.as_mut().ok_or_else(Error::internal)?;
        file.write_all(chunk).await.map_err(io_error)
    }

    /// Syncs the file, moves it into place and records it.
    pub async fn finish(mut self, app: &App, ctx: &Ctx) -> Result<MediaFile> {
        let (kind, mime) = match self.kind {
            Some(k) => k,
            None => sniff(&self.head, &self.filename)?,
        };
        check_size(kind, self.size)?;
        let mut file = self.file.take().ok_or_else(Error::internal)?;
        file.flush().await.map_err(io_error)?;
        file.sync_all().await.map_err(io_error)?;
        drop(file);
        let sha = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let dest = stored_path(&app.settings.media_dir, &sha);
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
        }
        tokio::fs::rename(&self.tmp, &dest)
            .await
            .map_err(io_error)?;
        self.done = true;
        let token = crate::auth::random_token(18);
        let mut tx = app.db.write().await?;
        let id = store::insert(
            &mut tx,
            &NewFile {
                token: &token,
                sha256: &sha,
                kind,
                mime,
                size: self.size as i64,
                filename: &self.filename,
                uploaded_by: ctx.actor.account_id,
            },
            app.now(),
        )
        .await?;
        audit::append(
            &mut tx,
            &audit::entry(
                app,
                ctx,
                "media.upload",
                "media",
                id,
                None,
                format!("{} {} bytes {}", mime, self.size, self.filename),
            ),
        )
        .await?;
        let out = store::by_token(&mut tx, &token)
            .await?
            .ok_or_else(Error::internal)?;
        tx.commit().await.db()?;
        Ok(out)
    }
}

/// Stores a small file held in memory (a parent's photo), durably, by its
/// hash; returns the hash. The caller records it in its own transaction.
pub(crate) async fn store_bytes(app: &App, bytes: &[u8]) -> Result<String> {
    let sha = hex::encode(Sha256::digest(bytes));
    let dest = stored_path(&app.settings.media_dir, &sha);
    if tokio::fs::try_exists(&dest).await.unwrap_or(false) {
        return Ok(sha);
    }
    let dir = app.settings.media_dir.join("tmp");
    tokio::fs::create_dir_all(&dir).await.map_err(io_error)?;
    let tmp = dir.join(crate::auth::random_token(12));
    let mut file = tokio::fs::File::create(&tmp).await.map_err(io_error)?;
    file.write_all(bytes).await.map_err(io_error)?;
    file.sync_all().await.map_err(io_error)?;
    drop(file);
    if let Some(parent) = dest.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
    }
    tokio::fs::rename(&tmp, &dest).await.map_err(io_error)?;
    Ok(sha)
}

/// Removes a stored content's file once no row names it any more.
pub(crate) async fn remove_if_orphan(app: &App, sha256: &str) -> Result<bool> {
    let left = {
        let mut c = app.db.read().await?;
        store::count_by_sha(&mut c, sha256).await?
    };
    if left > 0 || sha256.len() < 2 {
        return Ok(false);
    }
    match tokio::fs::remove_file(stored_path(&app.settings.media_dir, sha256)).await {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(e)),
    }
}

/// Removes half-written uploads left in the temporary folder for over a
/// day (an upload cut off, a crash mid-write).
pub async fn purge_temporary(app: &App) -> Result<usize> {
    let dir = app.settings.media_dir.join("tmp");
    let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
        return Ok(0);
    };
    let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    let mut n = 0;
    while let Ok(Some(e)) = entries.next_entry().await {
        let old = e
            .metadata()
            .await
            .ok()
            .and_then(|m| m.modified().ok())
            .is_some_and(|t| t < cutoff);
        if old && tokio::fs::remove_file(e.path()).await.is_ok() {
            n += 1;
        }
    }
    Ok(n)
}

/// Removes stored files that no row names and that are older than
/// `min_age` (a photo kept for an appeal that was then refused or found a
/// duplicate, a file whose row was deleted by hand). Younger files are left:
/// their rows may still be on their way in. Returns how many went.
pub async fn purge_orphans(app: &App, min_age: std::time::Duration) -> Result<usize> {
    let root = &app.settings.media_dir;
    let Ok(mut dirs) = tokio::fs::read_dir(root).await else {
        return Ok(0);
    };
    let cutoff = std::time::SystemTime::now()
        .checked_sub(min_age)
        .unwrap_or(std::time::UNIX_EPOCH);
    let mut removed = 0;
    while let Ok(Some(dir)) = dirs.next_entry().await {
        let prefix = dir.file_name().to_string_lossy().into_owned();
        // Stored files sit in folders named by their hash's first two
        // characters; `tmp` and anything else is not ours to judge here.
        if prefix.len() != 2 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(mut files) = tokio::fs::read_dir(dir.path()).await else {
            continue;
        };
        while let Ok(Some(f)) = files.next_entry().await {
            let sha = f.file_name().to_string_lossy().into_owned();
            if sha.len() != 64 || !sha.starts_with(&prefix) {
                continue;
            }
            let old = f
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .is_some_and(|t| t < cutoff);
            if old && remove_if_orphan(app, &sha).await? {
                removed += 1;
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "stored files no row names were removed");
    }
    Ok(removed)
}

/// Where a stored file is on disk, by its row.
pub(crate) fn path_of(app: &App, f: &MediaFile) -> PathBuf {
    stored_path(&app.settings.media_dir, &f.sha256)
}

/// A stored file by its token, and where it is on disk.
pub async fn open(app: &App, token: &str) -> Result<(MediaFile, PathBuf)> {
    if token.len() > 64 {
        return Err(Error::not_found());
    }
    let f = {
        let mut c = app.db.read().await?;
        store::by_token(&mut c, token).await?
    }
    .ok_or_else(Error::not_found)?;
    let path = stored_path(&app.settings.media_dir, &f.sha256);
    Ok((f, path))
}

/// The address a stored file is served at.
pub fn url_of(f: &MediaFile) -> String {
    format!("/media/f/{}", f.token)
}

/// Attaches an uploaded file to a lesson of a draft course (by an author
/// of the course).
pub async fn attach(app: &App, ctx: &Ctx, lesson_id: i64, token: &str, title: &str) -> Result<()> {
    let (lesson, course, unit) =
        crate::access::lesson(app, ctx, lesson_id, Action::AuthorCourses).await?;
    // What parents see passes review: attachments are added while the
    // course is a draft, like its lessons.
    if course.status != tongyu_domain::course::Status::Draft {
        return Err(Error::invalid(
            "lesson_id",
            "附件只能在课程为草稿时添加，请先退回修改",
        ));
    }
    let (file, _) = open(app, token)
        .await
        .map_err(|_| Error::invalid("token", "找不到这个文件，请重新上传"))?;
    let title = title.trim();
    let title = if title.is_empty() {
        file.filename.clone()
    } else {
        tongyu_domain::course::parse_title(title)?
    };
    let mut tx = app.db.write().await?;
    let id = store::attach(
        &mut tx,
        lesson.id,
        file.id,
        &title,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "lesson.attach",
            "lesson",
            lesson.id,
            Some(unit.id),
            format!("attachment {id}: {title}"),
        ),
    )
    .await?;
    tx.commit().await.db()
}

/// A lesson's attachments: (title, file).
pub async fn attachments(app: &App, lesson_id: i64) -> Result<Vec<(String, MediaFile)>> {
    let mut c = app.db.read().await?;
    store::attachments_of(&mut c, lesson_id).await
}
