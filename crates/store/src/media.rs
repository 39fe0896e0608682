//! Queries of uploaded files and lesson attachments.

use tongyu_domain::Result;
use tongyu_domain::media::MediaKind;

use crate::{Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct MediaFile {
    pub id: i64,
    pub token: String,
    #[serde(skip)]
    pub sha256: String,
    pub kind: MediaKind,
    pub mime: String,
    pub size: i64,
    pub filename: String,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<MediaFile> {
    Ok(MediaFile {
        id: col(r, "id")?,
        token: col(r, "token")?,
        sha256: col(r, "sha256")?,
        kind: MediaKind::parse(&col::<String>(r, "kind")?)?,
        mime: col(r, "mime")?,
        size: col(r, "size")?,
        filename: col(r, "filename")?,
    })
}

pub struct NewFile<'a> {
    pub token: &'a str,
    pub sha256: &'a str,
    pub kind: MediaKind,
    pub mime: &'a str,
    pub size: i64,
    pub filename: &'a str,
    pub uploaded_by: i64,
}

pub async fn insert(c: &mut Conn, n: &NewFile<'_>, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO media_files (token, sha256, kind, mime, size, filename, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(n.token)
    .bind(n.sha256)
    .bind(n.kind.as_str())
    .bind(n.mime)
    .bind(n.size)
    .bind(n.filename)
    .bind(n.uploaded_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn by_token(c: &mut Conn, token: &str) -> Result<Option<MediaFile>> {
    let r = sqlx::query(
        "SELECT id, token, sha256, kind, mime, size, filename FROM media_files WHERE token = $1",
    )
    .bind(token)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.as_ref().map(from_row).transpose()
}

pub async fn attach(
    c: &mut Conn,
    lesson_id: i64,
    media_id: i64,
    title: &str,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO lesson_attachments (lesson_id, media_id, title, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(lesson_id)
    .bind(media_id)
    .bind(title)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// A lesson's attachments: (title, file), in the order added.
pub async fn attachments_of(c: &mut Conn, lesson_id: i64) -> Result<Vec<(String, MediaFile)>> {
    let rows = sqlx::query(
        "SELECT a.title, m.id, m.token, m.sha256, m.kind, m.mime, m.size, m.filename
         FROM lesson_attachments a JOIN media_files m ON m.id = a.media_id
         WHERE a.lesson_id = $1 ORDER BY a.id",
    )
    .bind(lesson_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "title")?, from_row(r)?)))
        .collect()
}

/// How many stored files still have this content.
pub async fn count_by_sha(c: &mut Conn, sha256: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM media_files WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(&mut *c)
        .await
        .db()
}
