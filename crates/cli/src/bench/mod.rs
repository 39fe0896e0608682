//! Benchmarks of the foundation, each a ratio against a baseline measured
//! in the same run on the same machine:
//!
//! - import: guardian rows imported per second (validation, new parent
//!   accounts, links, grants, rollups) ÷ the same rows written by a raw
//!   batched insert into the same database. Goal ≥ 0.3.
//! - org (also `board`): the org browser page of a district, the first
//!   lesson board, the coverage board (coordinators, work groups, term
//!   plans, committees, both lecturer groups) and the training board of
//!   the city and of a district, at a large scale ÷ the same
//!   pages at demo scale. Goal ≤ 1.5.
//! - search: p95 of searches over 100,000 documents ÷ over 1,000. Goal ≤ 3.
//! - progress: acknowledged, durable progress reports per second through
//!   the real server over loopback ÷ the same server's no-op POST. Goal ≥ 0.6.
//! - appeals: durable public submissions per second through the real
//!   server over loopback ÷ the same server's no-op POST (goal ≥ 0.3); and
//!   a unit's inbox with 1,000,000 appeals in the city ÷ with 1,000 (goal
//!   ≤ 1.5).
//! - peak: the first lesson of term as one load (heartbeats, parents'
//!   pages, staff boards, public appeals at once, open loop): the highest
//!   heartbeat rate with every class at p99 ≤ 50 ms ÷ the no-op POST.
//!   Goal ≥ 0.5; the longest write-path pause ≤ 50 ms.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tongyu_domain::account::Role;
use tongyu_domain::import::ImportKind;
use tongyu_service::demo::{self, DemoScale};
use tongyu_service::{App, Settings, SystemClock};
use tongyu_store::account::{NO_PASSWORD, NewAccount};
use tongyu_store::{Db, DbOptions, DbResult};
use tower::ServiceExt;

mod appeals;
mod import;
mod load;
mod org;
mod peak;
mod progress;
mod search;

use load::*;
pub use peak::{Mix, PeakArgs};

type AnyError = Box<dyn std::error::Error>;

const PW: &str = "Bench-Password-2026";

/// A fresh database: a SQLite file in `dir`, or a fresh schema on the
/// PostgreSQL server at `pg`.
async fn fresh(dir: &std::path::Path, name: &str, pg: Option<&str>) -> Result<App, AnyError> {
    let url = fresh_url(dir, name, pg).await?;
    open(&url).await
}

/// Where [`fresh`]'s database is, emptied.
async fn fresh_url(
    dir: &std::path::Path,
    name: &str,
    pg: Option<&str>,
) -> Result<String, AnyError> {
    Ok(match pg {
        Some(base) => {
            let schema = format!("bench_{name}");
            let admin = Db::connect_raw(base).await?;
            admin
                .execute_raw(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .await?;
            admin
                .execute_raw(&format!("CREATE SCHEMA {schema}"))
                .await?;
            admin.close().await;
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}options=-c%20search_path%3D{schema}")
        }
        None => {
            let f = dir.join(format!("{name}.db"));
            for s in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{s}", f.display()));
            }
            format!("sqlite://{}", f.display())
        }
    })
}

/// An instance on the database at `url`, with its own connections and
/// caches, set up for benchmarking.
async fn open(url: &str) -> Result<App, AnyError> {
    let url = url.to_owned();
    let db = Db::connect(&DbOptions {
        url,
        max_connections: 8,
    })
    .await?;
    // One load generator signs every parent in and sends every appeal from
    // one address through one gate code: the shared limits on sign-ins and
    // public appeals are lifted here.
    let unlimited = |l: tongyu_domain::throttle::Limit| tongyu_domain::throttle::Limit {
        limit: i64::MAX,
        ..l
    };
    let settings = Settings {
        appeal_limits: [
            unlimited(tongyu_domain::throttle::APPEALS_PER_ADDRESS),
            unlimited(tongyu_domain::throttle::APPEALS_PER_CODE),
        ],
        login_limit: unlimited(tongyu_domain::throttle::LOGIN_PER_ADDRESS),
        // The benchmark measures pages and writes, signed in with passwords
        // by a program: no authenticator app to ask.
        require_admin_second_factor: false,
        // Boards counted on every request: the board benchmark measures
        // the count, not the shared snapshot (the peak benchmark shares it,
        // as `tongyu serve` does).
        board_snapshot_ms: 0,
        ..Settings::default()
    };
    Ok(App::new(db, Arc::new(SystemClock), settings))
}

fn quiet(_: &str, _: u64, _: u64) {}

/// What `tongyu bench` was asked to run.
pub struct BenchArgs {
    pub which: String,
    pub rows: usize,
    pub large: String,
    pub pg: Option<String>,
    pub seconds: u64,
    pub clients: usize,
    pub parents: usize,
    pub mix: Mix,
    pub instances: usize,
}

pub async fn run(args: BenchArgs) -> Result<(), AnyError> {
    let BenchArgs {
        which,
        rows,
        large,
        pg,
        seconds,
        clients,
        parents,
        mix,
        instances,
    } = args;
    let (which, large) = (which.as_str(), large.as_str());
    let dir = std::env::temp_dir().join(format!("tongyu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "backend: {}",
        if pg.is_some() { "postgres" } else { "sqlite" }
    );
    if which == "import" || which == "all" {
        import::import(&dir, rows, pg.as_deref()).await?;
    }
    if which == "org" || which == "board" || which == "all" {
        org::org(&dir, large, pg.as_deref()).await?;
    }
    if which == "search" || which == "all" {
        search::search(&dir, pg.as_deref()).await?;
    }
    if which == "progress" || which == "all" {
        progress::progress(&dir, large, pg.as_deref(), seconds, clients).await?;
    }
    if which == "appeals" || which == "all" {
        appeals::appeals(&dir, pg.as_deref(), seconds, clients).await?;
    }
    if which == "peak" || which == "all" {
        let a = PeakArgs {
            scale: large.to_owned(),
            pg: pg.clone(),
            seconds,
            clients,
            parents,
            mix,
            instances,
        };
        peak::peak(&dir, &a).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
