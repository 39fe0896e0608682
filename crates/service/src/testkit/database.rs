//! Where a test's database lives: a SQLite file or a PostgreSQL schema of
//! its own, empty or copied from a template holding the tiny demo city.
//! The template is generated once per test process (a file copy on
//! SQLite, a schema copy on PostgreSQL), so a test's set-up does not grow
//! with the number of migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tongyu_store::{Db, DbOptions};

use super::{PW, START, backend_url};
use crate::demo::{self, DemoScale};
use crate::{App, Settings, TestClock};

static SEQ: AtomicU64 = AtomicU64::new(0);
/// Set once this process has dropped the schemas earlier runs left.
static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// A name no other test of any process running now has.
pub fn unique() -> String {
    format!(
        "{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst),
        START
    )
}

/// A test's own database. A SQLite file is removed when this is dropped;
/// a PostgreSQL schema stays until a later test process sweeps it (its
/// background tasks may still use it when the test returns).
pub struct TestDatabase {
    pub url: String,
    sqlite_file: Option<std::path::PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(f) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

impl TestDatabase {
    /// An empty database (no tables yet: the platform migrates it).
    pub async fn empty() -> TestDatabase {
        match backend_url() {
            Some(base) => TestDatabase::postgres_schema(&base).await,
            None => TestDatabase::sqlite_file(None),
        }
    }

    /// A copy of the tiny demo city; every demo account's password is
    /// [`PW`].
    pub async fn demo() -> TestDatabase {
        match backend_url() {
            Some(base) => TestDatabase::postgres_copy(&base, pg_template(&base).await).await,
            None => TestDatabase::sqlite_file(Some(sqlite_template().await)),
        }
    }

    /// A pool on this database.
    pub async fn connect(&self) -> Db {
        Db::connect(&DbOptions {
            url: self.url.clone(),
            max_connections: 4,
        })
        .await
        .expect("open test database")
    }

    /// A SQLite file of the test's own: empty, or a copy of `template`.
    fn sqlite_file(template: Option<&std::path::Path>) -> TestDatabase {
        let f = std::env::temp_dir().join(format!("tongyu-test-{}.db", unique()));
        if let Some(t) = template {
            std::fs::copy(t, &f).expect("copy the template database");
        }
        TestDatabase {
            url: format!("sqlite://{}", f.display()),
            sqlite_file: Some(f),
        }
    }

    /// An empty schema of the test's own in the PostgreSQL database.
    async fn postgres_schema(base: &str) -> TestDatabase {
        let schema = format!("t_{}", unique());
        let admin = Db::connect_raw(base).await.expect("connect to PostgreSQL");
        SWEPT.get_or_init(|| drop_stale_schemas(&admin)).await;
        admin
            .execute_raw(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create schema");
        admin.close().await;
        TestDatabase {
            url: with_search_path(base, &schema),
            sqlite_file: None,
        }
    }

    /// A schema of the test's own holding a copy of the template schema's
    /// tables and rows.
    async fn postgres_copy(base: &str, template: &str) -> TestDatabase {
        let schema = format!("t_{}", unique());
        let admin = Db::connect_raw(base).await.expect("connect to PostgreSQL");
        admin
            .execute_raw(&format!(
                "SELECT tongyu_clone_schema('{template}', '{schema}')"
            ))
            .await
            .expect("clone the template schema");
        admin.close().await;
        TestDatabase {
            url: with_search_path(base, &schema),
            sqlite_file: None,
        }
    }
}

fn with_search_path(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// The platform on `database` with the test clock at [`START`] and media
/// files under `media_dir`; used to generate the templates.
async fn generate_demo(database: &TestDatabase) -> App {
    let media_dir = std::env::temp_dir().join(format!("tongyu-media-{}", unique()));
    let settings = Settings {
        media_dir: media_dir.clone(),
        ..Settings::default()
    };
    let app = App::new(
        database.connect().await,
        Arc::new(TestClock::new(START)),
        settings,
    );
    demo::generate(&app, DemoScale::tiny(), PW, &|_, _, _| {})
        .await
        .expect("demo city");
    let _ = std::fs::remove_dir_all(&media_dir);
    app
}

/// The tiny demo city on SQLite, generated once per test process.
static SQLITE_TEMPLATE: tokio::sync::OnceCell<std::path::PathBuf> =
    tokio::sync::OnceCell::const_new();

async fn sqlite_template() -> &'static std::path::Path {
    SQLITE_TEMPLATE
        .get_or_init(|| async {
            remove_stale_templates();
            let database = TestDatabase::sqlite_file(None);
            let app = generate_demo(&database).await;
            let out = std::env::temp_dir().join(format!("tongyu-template-{}.db", unique()));
            app.db
                .execute_raw(&format!("VACUUM INTO '{}'", out.display()))
                .await
                .expect("write the template database");
            app.db.close().await;
            out
        })
        .await
}

/// Removes the SQLite templates of test processes no longer running (a
/// process cannot remove its own at exit).
fn remove_stale_templates() {
    let dir = std::env::temp_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("tongyu-template-")
            .and_then(|rest| rest.split('_').next())
        else {
            continue;
        };
        if pid.bytes().all(|b| b.is_ascii_digit())
            && std::path::Path::new("/proc").exists()
            && !std::path::Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The tiny demo city on PostgreSQL, generated once per test process into
/// a schema of its own; tests copy it with `tongyu_clone_schema`.
static PG_TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn pg_template(base: &str) -> &'static str {
    PG_TEMPLATE
        .get_or_init(|| async {
            let database = TestDatabase::postgres_schema(base).await;
            let app = generate_demo(&database).await;
            let schema = super::sql::text(&app, "SELECT current_schema()::text", &[]).await;
            app.db.close().await;
            let admin = Db::connect_raw(base).await.expect("connect to PostgreSQL");
            admin
                .execute_raw(CLONE_SCHEMA)
                .await
                .expect("install the schema copier");
            admin.close().await;
            schema
        })
        .await
}

/// Drops the schemas of test processes that are no longer running (a test
/// keeps its schema to the end, and background tasks may still use it when
/// the test returns), so a database reused run after run stays small.
/// Schemas of test processes running beside this one are kept.
async fn drop_stale_schemas(admin: &Db) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return; // no way to tell which processes run: keep everything
    };
    let live: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let stale = format!(
        "SELECT COALESCE(MIN(oid::bigint), 0) FROM pg_namespace
         WHERE nspname ~ '^t_[0-9]+_[0-9]+_[0-9]+$'
           AND split_part(nspname, '_', 2)::bigint <> ALL('{{{}}}'::bigint[])",
        live.join(",")
    );
    // One schema per transaction: a schema holds dozens of tables, and one
    // transaction dropping hundreds would run out of locks.
    while let Ok(oid) = admin.query_i64(&stale).await {
        if oid == 0 {
            break;
        }
        let drop = format!(
            "DO $$ BEGIN EXECUTE 'DROP SCHEMA ' ||
               quote_ident((SELECT nspname FROM pg_namespace WHERE oid = {oid})) || ' CASCADE';
             END $$"
        );
        if admin.execute_raw(&drop).await.is_err() {
            break;
        }
    }
}

/// Copies every table of one schema into a new one: structure (with its
/// defaults, constraints and indexes) and rows, then moves each identity
/// column's sequence past the copied ids.
const CLONE_SCHEMA: &str = r#"
CREATE OR REPLACE FUNCTION tongyu_clone_schema(src text, dst text) RETURNS void AS $$
DECLARE
    t record;
    k record;
    c record;
    cols text;
BEGIN
    EXECUTE format('CREATE SCHEMA %I', dst);
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = src LOOP
        EXECUTE format('CREATE TABLE %I.%I (LIKE %I.%I INCLUDING ALL)', dst, t.tablename, src, t.tablename);
        SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
        FROM information_schema.columns
        WHERE table_schema = src AND table_name = t.tablename AND is_generated = 'NEVER';
        EXECUTE format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %I.%I',
                       dst, t.tablename, cols, cols, src, t.tablename);
    END LOOP;
    FOR k IN SELECT cls.relname, con.conname, pg_get_constraintdef(con.oid) AS def
             FROM pg_constraint con JOIN pg_class cls ON cls.oid = con.conrelid
             WHERE con.contype = 'f'
               AND con.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = src) LOOP
        EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', dst, k.relname, k.conname,
                       replace(k.def, src || '.', dst || '.'));
    END LOOP;
    FOR c IN SELECT table_name, column_name FROM information_schema.columns
             WHERE table_schema = dst AND is_identity = 'YES' LOOP
        EXECUTE format(
            'SELECT setval(pg_get_serial_sequence(%L, %L), COALESCE((SELECT MAX(%I) FROM %I.%I), 0) + 1, false)',
            dst || '.' || c.table_name, c.column_name, c.column_name, dst, c.table_name);
    END LOOP;
END
$$ LANGUAGE plpgsql;
"#;
