//! Retention: what the janitor deletes once the time to keep it is over.

use tongyu_domain::Result;
use tongyu_store::{DbResult, retention as store};

use crate::{App, audit};

/// Deletes the photos of appeals closed more than
/// [`crate::Settings::appeal_photo_days`] ago, their files too once nothing
/// else names them; one audit entry says how many. Returns that number.
pub async fn purge_photos(app: &App) -> Result<usize> {
    let cutoff = app.now() - app.settings.appeal_photo_days.max(1) * 86_400;
    let mut done = 0;
    loop {
        let batch = {
            let mut c = app.db.read().await?;
            store::appeal_photos_closed_before(&mut c, cutoff, 200).await?
        };
        if batch.is_empty() {
            break;
        }
        let mut tx = app.db.write().await?;
        for (appeal, media, _) in &batch {
            store::delete_appeal_photo(&mut tx, *appeal, *media).await?;
        }
        tx.commit().await.db()?;
        for (_, _, sha) in &batch {
            crate::media::remove_if_orphan(app, sha).await?;
        }
        done += batch.len();
    }
    if done > 0 {
        let mut e = audit::system(app, "retention.purge_photos", "media", 0, None);
        e.detail = format!(
            "{done} 张诉求照片（办结超过 {} 天）",
            app.settings.appeal_photo_days
        );
        audit::append_alone(app, &e).await?;
    }
    Ok(done)
}
