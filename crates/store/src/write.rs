//! Write transactions, and making their commits durable.
//!
//! On SQLite the writer connection commits into the write-ahead log without
//! waiting for the disk (`synchronous = NORMAL`); [`Tx::commit`] then waits
//! for an `fdatasync` of the log that began after the commit returned. One
//! such sync covers every commit made before it began, so writers that
//! commit close together share one wait for the disk, and a batching writer
//! can begin its next batch while the last one's sync runs
//! ([`Tx::commit_deferred`]). See ADR 0015.
//!
//! On PostgreSQL a commit is durable when it returns, as always.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sqlx::{Any, AnyConnection, Transaction};

/// A write transaction on either backend; derefs to its connection.
/// Dropped without a commit, it rolls back.
pub struct Tx {
    inner: Transaction<'static, Any>,
    sync: Option<Arc<LogSync>>,
    chain_key: Option<crate::ChainKey>,
}

impl Tx {
    pub(crate) fn new(
        inner: Transaction<'static, Any>,
        sync: Option<Arc<LogSync>>,
        chain_key: Option<crate::ChainKey>,
    ) -> Tx {
        Tx {
            inner,
            sync,
            chain_key,
        }
    }

    /// The key of the audit chain (see [`crate::audit`]).
    pub fn chain_key(&self) -> Option<&crate::ChainKey> {
        self.chain_key.as_ref()
    }

    /// Commits, and returns once the commit is on disk.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.commit_deferred().await?.wait().await
    }

    /// Commits, and returns what to wait on before telling anyone the
    /// change is done. Other transactions may begin (and see the change)
    /// at once.
    pub async fn commit_deferred(self) -> Result<Durable, sqlx::Error> {
        self.inner.commit().await?;
        Ok(Durable {
            ticket: self.sync.as_ref().map(|s| s.committed()),
            sync: self.sync,
        })
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// A committed transaction on its way to the disk.
#[must_use = "a commit is not durable until this is waited on"]
pub struct Durable {
    sync: Option<Arc<LogSync>>,
    ticket: Option<u64>,
}

impl Durable {
    /// For work that committed nothing: there is nothing to wait for.
    pub fn ready() -> Durable {
        Durable {
            sync: None,
            ticket: None,
        }
    }

    /// Returns once the commit is on disk (at once on PostgreSQL).
    pub async fn wait(self) -> Result<(), sqlx::Error> {
        match (self.sync, self.ticket) {
            (Some(s), Some(t)) => s.wait(t).await,
            _ => Ok(()),
        }
    }
}

/// Syncs a SQLite database's write-ahead log for the commits before it.
#[derive(Debug)]
pub(crate) struct LogSync {
    /// The database file; its log is beside it with `-wal` appended.
    file: PathBuf,
    /// Commits made so far (each commit's ticket is this count after it).
    committed: AtomicU64,
    /// Every commit up to this ticket is on disk.
    synced: AtomicU64,
    /// One sync at a time; waiters behind it usually find their commit
    /// covered by the one before them.
    leader: tokio::sync::Mutex<()>,
    /// A sync failed: what was committed may not be on disk, so nothing is
    /// called durable any more until the process restarts.
    failed: AtomicBool,
}

impl LogSync {
    pub(crate) fn new(file: PathBuf) -> LogSync {
        LogSync {
            file,
            committed: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            leader: tokio::sync::Mutex::new(()),
            failed: AtomicBool::new(false),
        }
    }

    /// Counts a commit that has just returned; its ticket.
    fn committed(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::SeqCst) + 1
    }

    async fn wait(&self, ticket: u64) -> Result<(), sqlx::Error> {
        loop {
            if self.failed.load(Ordering::SeqCst) {
                return Err(sync_failed());
            }
            if self.synced.load(Ordering::SeqCst) >= ticket {
                return Ok(());
            }
            let _leader = self.leader.lock().await;
            if self.synced.load(Ordering::SeqCst) >= ticket {
                return Ok(());
            }
            // Every commit counted by now returned before the sync begins,
            // so its pages are in the log file the sync flushes.
            let upto = self.committed.load(Ordering::SeqCst);
            let file = self.file.clone();
            let done = tokio::task::spawn_blocking(move || sync_log(&file))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|r| r);
            if let Err(e) = done {
                tracing::error!(error = %e, file = %self.file.display(), "cannot sync the database's log to disk");
                self.failed.store(true, Ordering::SeqCst);
                return Err(sync_failed());
            }
            self.synced.fetch_max(upto, Ordering::SeqCst);
        }
    }
}

fn sync_failed() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(
        "the database's log could not be synced to disk",
    ))
}

/// `fdatasync` of the log; of the database file itself when there is no
/// log (a commit then went straight to the file).
fn sync_log(file: &std::path::Path) -> std::io::Result<()> {
    let mut wal = file.as_os_str().to_owned();
    wal.push("-wal");
    match std::fs::File::open(&wal) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::File::open(file)?.sync_data()
        }
        Err(e) => Err(e),
    }
}

/// The database file a SQLite URL names, if it is a file at all.
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let file = path.split_once('?').map_or(path, |(f, _)| f);
    if file.is_empty() || file == ":memory:" || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_url() {
        assert_eq!(
            sqlite_file("sqlite:///var/lib/tongyu/city.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/tongyu/city.db"))
        );
        assert_eq!(
            sqlite_file("sqlite://data/city.db"),
            Some(PathBuf::from("data/city.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(
            sqlite_file("sqlite://shared?mode=memory&cache=shared"),
            None
        );
    }

    #[tokio::test]
    async fn a_sqlite_commit_returns_once_its_log_is_synced() {
        let dir = std::env::temp_dir().join(format!("tongyu-commit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("t.db");
        let db = crate::Db::connect_raw(&format!("sqlite://{}", file.display()))
            .await
            .expect("open");
        db.execute_raw("CREATE TABLE t (x INTEGER)")
            .await
            .expect("table");
        let sync = db.log_sync.clone().expect("a file has a log to sync");
        let mut tx = db.write().await.expect("begin");
        // The writer leaves syncing to the commit's waiter; reads keep FULL.
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *tx)
            .await
            .expect("pragma");
        assert_eq!(level, 1, "the writer commits with synchronous = NORMAL");
        assert_eq!(db.query_i64("PRAGMA synchronous").await.expect("read"), 2);
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *tx)
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
        assert_eq!(sync.synced.load(Ordering::SeqCst), 1);

        let mut tx = db.write().await.expect("begin");
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut *tx)
            .await
            .expect("insert");
        let durable = tx.commit_deferred().await.expect("commit");
        // Committed and visible, not yet called durable.
        assert_eq!(
            db.query_i64("SELECT COUNT(*) FROM t").await.expect("count"),
            2
        );
        assert_eq!(sync.synced.load(Ordering::SeqCst), 1);
        durable.wait().await.expect("synced");
        assert_eq!(sync.synced.load(Ordering::SeqCst), 2);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn one_sync_covers_every_commit_before_it_and_a_failure_sticks() {
        let dir = std::env::temp_dir().join(format!("tongyu-logsync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("t.db");
        std::fs::write(&file, b"x").expect("file");
        let s = Arc::new(LogSync::new(file.clone()));
        let tickets: Vec<u64> = (0..5).map(|_| s.committed()).collect();
        assert_eq!(tickets, vec![1, 2, 3, 4, 5]);
        s.wait(3).await.expect("synced");
        // The sync for ticket 3 began after all five commits: it covers them.
        assert_eq!(s.synced.load(Ordering::SeqCst), 5);
        s.wait(5).await.expect("already synced");
        // Without the file there is nothing to sync to: that is a failure,
        // and it stays one.
        std::fs::remove_dir_all(&dir).expect("cleanup");
        let t = s.committed();
        assert!(s.wait(t).await.is_err());
        assert!(s.wait(1).await.is_err());
    }
}
