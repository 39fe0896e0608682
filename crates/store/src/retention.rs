//! What the retention purge reads and deletes.

use tongyu_domain::Result;

use crate::{Conn, DbResult, col};

/// Photos of appeals closed before `closed_before`: (appeal, media file, its
/// content hash), at most `limit`.
pub async fn appeal_photos_closed_before(
    c: &mut Conn,
    closed_before: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, String)>> {
    let rows = sqlx::query(
        "SELECT p.appeal_id, p.media_id, m.sha256 FROM appeal_photos p
         JOIN appeals a ON a.id = p.appeal_id JOIN media_files m ON m.id = p.media_id
         WHERE a.closed_at > 0 AND a.closed_at < $1 ORDER BY p.media_id LIMIT $2",
    )
    .bind(closed_before)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "appeal_id")?, col(r, "media_id")?, col(r, "sha256")?)))
        .collect()
}

/// Forgets an appeal's photo (the file row too); true if it was there.
pub async fn delete_appeal_photo(c: &mut Conn, appeal_id: i64, media_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM appeal_photos WHERE appeal_id = $1 AND media_id = $2")
        .bind(appeal_id)
        .bind(media_id)
        .execute(&mut *c)
        .await
        .db()?;
    sqlx::query("DELETE FROM media_files WHERE id = $1")
        .bind(media_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(done.rows_affected() == 1)
}
