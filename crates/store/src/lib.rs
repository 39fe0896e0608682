//! The database: one store, two backends.
//!
//! Every query is written once, in the SQL that SQLite and PostgreSQL share,
//! with `$1`-style placeholders (SQLite reads `$N` as the N-th argument too).
//! Values cross the driver boundary as integers, floats, text and bytes only,
//! which is all that sqlx's `Any` driver carries. Where the dialects really
//! differ, a query asks [`Db::backend`]. The batching writers' bulk inserts
//! on SQLite are the one place with nameless `?` placeholders (`rows`).

pub mod account;
pub mod activation;
pub mod appeal;
pub mod audit;
pub mod cache_feed;
pub mod calendar;
pub mod certification;
pub mod contribution;
pub mod coordination_group;
pub mod course;
pub mod coverage;
pub mod delivery;
pub mod expert_pool;
pub mod grade_instructor;
pub mod guidance_center;
pub mod import;
pub mod jobs;
pub mod learning;
pub mod library;
pub mod media;
pub mod migrate;
pub mod opinion;
pub mod org;
pub mod parent_committee;
pub mod plan;
pub mod retention;
pub mod rollup;
mod rows;
pub mod sealing;
pub mod search;
pub mod second_factor;
pub mod session;
pub mod student;
pub mod studio;
pub mod training;
pub mod verify;
pub mod watch;
pub mod work_group;
pub mod workload;
mod write;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool};
use tongyu_domain::{Error, ErrorCode};

pub use sqlx::Any;
pub use write::{Durable, Tx};

/// A connection on either backend; a `Tx` derefs to one.
pub type Conn = AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The pools and the backend they talk to.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads (and, on PostgreSQL, writes).
    pool: AnyPool,
    /// Write transactions. On SQLite, one connection: SQLite has one writer
    /// at a time anyway, and writers then queue in order for it instead of
    /// sleeping on the file lock; its page cache stays warm because no
    /// other connection changes the file under it. On PostgreSQL, the same
    /// pool as reads.
    writer: AnyPool,
    /// SQLite in a file: makes the writer's commits durable (module `write`).
    log_sync: Option<std::sync::Arc<write::LogSync>>,
    backend: Backend,
    /// See [`Db::write_lanes`].
    write_lanes: usize,
    /// The audit chain's key, from configuration (never the database).
    chain_key: Option<ChainKey>,
}

/// The key of the audit chain's HMAC. Its debug form prints nothing of it.
#[derive(Clone)]
pub struct ChainKey(pub std::sync::Arc<[u8; 32]>);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(***)")
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
        }
    }
}

impl Db {
    /// Opens the database named by the URL (`sqlite://PATH` or a bare path
    /// opens SQLite and creates the file; `postgres://` opens PostgreSQL),
    /// then brings its schema up to date.
    pub async fn connect(opts: &DbOptions) -> Result<Db, Error> {
        let db = Db::open(opts).await?;
        migrate::run(&db).await?;
        Ok(db)
    }

    /// Opens the database without touching its schema (for administration,
    /// such as making a schema for a test).
    pub async fn connect_raw(url: &str) -> Result<Db, Error> {
        Db::open(&DbOptions {
            url: url.to_owned(),
            max_connections: 2,
        })
        .await
    }

    /// Runs one statement written by the operator, not by a user.
    pub async fn execute_raw(&self, sql: &str) -> Result<(), Error> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }

    /// Refreshes the planner's statistics after a bulk load, so that the
    /// next queries use the indexes the data now calls for. On SQLite it
    /// also merges the full-text index's segments into one and folds the
    /// write-ahead log back into the database file, so reads after a bulk
    /// load do not walk many segments or a long log.
    pub async fn analyze(&self) -> Result<(), Error> {
        sqlx::query("ANALYZE").execute(&self.pool).await.db()?;
        if self.backend == Backend::Sqlite {
            sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
                .execute(&self.pool)
                .await
                .db()?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await
                .db()?;
        }
        Ok(())
    }

    /// On SQLite, copies what the write-ahead log holds back into the
    /// database file without waiting for (or holding up) the writer, on a
    /// reading connection: so the writer's own commits seldom reach the
    /// log's size at which SQLite would checkpoint inside a commit. The
    /// frames copied; nothing on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<i64, Error> {
        if self.backend != Backend::Sqlite || self.log_sync.is_none() {
            return Ok(0);
        }
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&self.pool)
            .await
            .db()?;
        use sqlx::Row;
        row.try_get::<i64, _>(2).db()
    }

    /// One integer from a statement written by the operator (counts in
    /// tests, tools and benchmarks).
    pub async fn query_i64(&self, sql: &str) -> Result<i64, Error> {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.pool)
            .await
            .db()
    }

    async fn open(opts: &DbOptions) -> Result<Db, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&opts.url);
        let url = match backend {
            Backend::Postgres => opts.url.clone(),
            Backend::Sqlite => sqlite_url(&opts.url)?,
        };
        let connect = AnyConnectOptions::from_str(&url).map_err(|e| {
            Error::with_message(ErrorCode::Internal, format!("数据库地址无效：{e}"))
        })?;
        let pool = Db::new_pool(backend, &connect, 0, opts.max_connections, false).await?;
        let (writer, log_sync) = match backend {
            // Kept open, so that `try_write` finds it idle rather than absent.
            Backend::Sqlite => {
                let sync =
                    write::sqlite_file(&url).map(|f| std::sync::Arc::new(write::LogSync::new(f)));
                (
                    Db::new_pool(backend, &connect, 1, 1, sync.is_some()).await?,
                    sync,
                )
            }
            Backend::Postgres => (pool.clone(), None),
        };
        let write_lanes = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => (opts.max_connections as usize / 2).clamp(1, 4),
        };
        Ok(Db {
            pool,
            writer,
            log_sync,
            backend,
            write_lanes,
            chain_key: None,
        })
    }

    async fn new_pool(
        backend: Backend,
        connect: &AnyConnectOptions,
        min_connections: u32,
        max_connections: u32,
        synced_apart: bool,
    ) -> Result<AnyPool, Error> {
        AnyPoolOptions::new()
            // A SQLite connection is a file handle in this process: there is
            // no server that could have dropped it, so no ping before use.
            .test_before_acquire(backend == Backend::Postgres)
            .min_connections(min_connections)
            .max_connections(max_connections)
            // SQLite's writers queue for its one connection, and may wait
            // long under a big import. On PostgreSQL a connection is only
            // missing when the server is (a restart, a fail-over): a request
            // then answers 503 within seconds instead of hanging.
            .acquire_timeout(Duration::from_secs(match backend {
                Backend::Sqlite => 30,
                Backend::Postgres => 3,
            }))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer. FULL
                        // makes every commit durable before it returns; the
                        // writer's commits are made durable apart from the
                        // commit instead (module `write`), so NORMAL there.
                        let synchronous = if synced_apart {
                            "PRAGMA synchronous = NORMAL"
                        } else {
                            "PRAGMA synchronous = FULL"
                        };
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            synchronous,
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 10000",
                            // Reads through the OS page cache shared by every
                            // connection. Each connection keeps SQLite's own
                            // page cache at its default size (2 MB): with 32 MB,
                            // every write commit walked the cache's hash table
                            // (ADR 0016).
                            "PRAGMA mmap_size = 1073741824",
                            "PRAGMA wal_autocheckpoint = 10000",
                            // Statement journals (a multi-row insert's undo
                            // within its transaction) stay in memory instead
                            // of spilling to a temporary file past 64 KiB.
                            "PRAGMA temp_store = MEMORY",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(connect.clone())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot open the database");
                Error::with_message(ErrorCode::Internal, format!("无法打开数据库：{e}"))
            })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The same database, appending to the audit chain under `key`.
    pub fn with_chain_key(mut self, key: [u8; 32]) -> Db {
        self.chain_key = Some(ChainKey(std::sync::Arc::new(key)));
        self
    }

    pub fn chain_key(&self) -> Option<&ChainKey> {
        self.chain_key.as_ref()
    }

    /// How many write transactions a batching writer may keep going side
    /// by side: one on SQLite (one writer connection); on PostgreSQL up to
    /// four, and at most half the pool (a batch's round trips and commit
    /// overlap another's; the other half serves everything else).
    pub fn write_lanes(&self) -> usize {
        self.write_lanes
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads and then writes never
    /// fails on a lock upgrade.
    pub async fn write(&self) -> Result<Tx, Error> {
        let tx = match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await.db()?,
            Backend::Postgres => self.writer.begin().await.db()?,
        };
        Ok(Tx::new(tx, self.log_sync.clone(), self.chain_key.clone()))
    }

    /// A write transaction if one can begin at once, without waiting for
    /// another writer; `None` when the writer is busy (possibly with the
    /// caller's own transaction). PostgreSQL, with many writers, always
    /// begins one.
    pub async fn try_write(&self) -> Result<Option<Tx>, Error> {
        let tx = match self.backend {
            Backend::Sqlite => self.writer.try_begin_with("BEGIN IMMEDIATE").await.db()?,
            Backend::Postgres => Some(self.writer.begin().await.db()?),
        };
        Ok(tx.map(|t| Tx::new(t, self.log_sync.clone(), self.chain_key.clone())))
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<Any>, Error> {
        self.pool.acquire().await.db()
    }

    /// Is the database answering?
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

fn sqlite_url(raw: &str) -> Result<String, Error> {
    let path = raw
        .strip_prefix("sqlite://")
        .or_else(|| raw.strip_prefix("sqlite:"))
        .unwrap_or(raw);
    let (file, query) = match path.split_once('?') {
        Some((f, q)) => (f, Some(q)),
        None => (path, None),
    };
    if file.is_empty() {
        return Err(Error::with_message(
            ErrorCode::Internal,
            "SQLite 数据库路径为空",
        ));
    }
    if let Some(parent) = std::path::Path::new(file).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            Error::with_message(ErrorCode::Internal, format!("无法创建数据目录：{e}"))
        })?;
    }
    Ok(match query {
        Some(q) => format!("sqlite://{file}?{q}"),
        None => format!("sqlite://{file}?mode=rwc"),
    })
}

/// Maps database errors to the domain's: a broken unique key is a conflict,
/// anything else is logged and shown as an internal error.
pub trait DbResult<T> {
    fn db(self) -> Result<T, Error>;
}

/// Is this the database being out of reach for a while (restarting,
/// failing over, refusing connections), rather than a fault of the request?
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: 57P01 admin shutdown, 57P02 crash shutdown, 57P03
        // cannot connect now; class 08 connection exceptions.
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    #[track_caller]
    fn db(self) -> Result<T, Error> {
        self.map_err(|e| {
            if let sqlx::Error::Database(d) = &e
                && d.is_unique_violation()
            {
                return Error::conflict("内容已存在（与现有数据重复）");
            }
            if unreachable(&e) {
                tracing::warn!(error = %e, "the database is out of reach");
                return Error::new(tongyu_domain::ErrorCode::Unavailable);
            }
            let loc = std::panic::Location::caller();
            tracing::error!(error = %e, at = %loc, "database error");
            Error::internal()
        })
    }
}

/// Reads a column, turning a decoding failure into an internal error.
pub(crate) fn col<'r, T>(row: &'r sqlx::any::AnyRow, name: &str) -> Result<T, Error>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    row.try_get::<T, _>(name).db()
}

/// Placeholders `$from, $from+1, …` for an IN list of `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Is this connection to PostgreSQL? (For the few statements whose text
/// differs between the backends.)
pub(crate) fn is_postgres(c: &Conn) -> bool {
    c.backend_name() == "PostgreSQL"
}

impl Db {
    /// Writes a consistent copy of a SQLite database to `dest` (`VACUUM
    /// INTO`), while the platform keeps running. PostgreSQL is backed up
    /// with `pg_dump` instead.
    pub async fn backup_sqlite(&self, dest: &str) -> Result<(), Error> {
        if self.backend != Backend::Sqlite {
            return Err(Error::with_message(
                ErrorCode::BadRequest,
                "PostgreSQL 请使用 pg_dump 备份",
            ));
        }
        if std::path::Path::new(dest).exists() {
            return Err(Error::with_message(
                ErrorCode::Conflict,
                format!("备份文件已存在：{dest}"),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(dest)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }
}

/// Binds a subtree of the org tree to a query's next two placeholders, as
/// `path >= $n AND path < $n+1` asks: the root's materialised path and the
/// first path past its subtree.
pub(crate) trait BindSubtree: Sized {
    fn bind_subtree(self, root: &str) -> Self;
}

impl BindSubtree for rows::Q<'_> {
    fn bind_subtree(self, root: &str) -> Self {
        self.bind(root.to_owned())
            .bind(tongyu_domain::org::path_upper_bound(root))
    }
}

impl<O> BindSubtree for sqlx::query::QueryScalar<'_, sqlx::Any, O, sqlx::any::AnyArguments> {
    fn bind_subtree(self, root: &str) -> Self {
        self.bind(root.to_owned())
            .bind(tongyu_domain::org::path_upper_bound(root))
    }
}

/// A LIKE pattern matching `s` anywhere, its own `%`, `_` and `\` taken
/// literally (use with `ESCAPE '\'`).
pub(crate) fn like_contains(s: &str) -> String {
    format!("%{}%", like_escape(s))
}

/// A LIKE pattern matching values that start with `s` (use with `ESCAPE '\'`).
pub(crate) fn like_prefix(s: &str) -> String {
    format!("{}%", like_escape(s))
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
