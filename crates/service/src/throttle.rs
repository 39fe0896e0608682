//! Throttles held in the database, so every instance behind a load
//! balancer counts the same events: fixed windows per key.

use tongyu_domain::throttle::Limit;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::{DbResult, verify as store};

use crate::App;

/// Counts one event against each (limit, key) and refuses when any window
/// is over its limit. The counts are written whether or not the event is
/// refused, in one transaction.
pub async fn hit(app: &App, checks: &[(Limit, &str)]) -> Result<()> {
    let now = app.now();
    let mut over = false;
    let mut tx = app.db.write().await?;
    for (limit, key) in checks {
        let window = now - now.rem_euclid(limit.window_s);
        let n = store::hit(&mut tx, &format!("{}:{key}", limit.name), window).await?;
        over |= n > limit.limit;
    }
    tx.commit().await.db()?;
    if over {
        Err(Error::new(ErrorCode::RateLimited))
    } else {
        Ok(())
    }
}

/// Counts `amount` against one window at once (kilobytes of photos, say);
/// refuses when the window then holds more than its limit. What was counted
/// stays counted.
pub async fn add(app: &App, limit: Limit, key: &str, amount: i64) -> Result<()> {
    let now = app.now();
    let window = now - now.rem_euclid(limit.window_s);
    let mut tx = app.db.write().await?;
    let n = store::add_hits(&mut tx, &format!("{}:{key}", limit.name), window, amount).await?;
    tx.commit().await.db()?;
    if n > limit.limit {
        Err(Error::new(ErrorCode::RateLimited))
    } else {
        Ok(())
    }
}

/// Is any window already at its limit? (Counts nothing.)
pub async fn reached(app: &App, checks: &[(Limit, &str)]) -> Result<bool> {
    let now = app.now();
    let mut c = app.db.read().await?;
    for (limit, key) in checks {
        let window = now - now.rem_euclid(limit.window_s);
        if store::hits(&mut c, &format!("{}:{key}", limit.name), window).await? >= limit.limit {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Removes windows more than two days old.
pub async fn purge(app: &App) -> Result<u64> {
    let mut tx = app.db.write().await?;
    let n = store::purge_throttles(&mut tx, app.now() - 2 * 86_400).await?;
    tx.commit().await.db()?;
    Ok(n)
}
