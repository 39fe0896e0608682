//! The test kit: a database of its own for every test on either backend,
//! the whole router driven in-process, a test clock, and a browser-like
//! client that keeps cookies and fills in CSRF tokens.
//!
//! The backend comes from `TONGYU_TEST_DATABASE_URL`: unset means a SQLite
//! file per test; a `postgres://` URL means a schema per test in that
//! database. The tiny demo city most tests start from is generated once per
//! test process and copied for each test (a file copy on SQLite, a schema
//! copy on PostgreSQL), so a test does not pay for the migrations and the
//! generator.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tongyu_service::demo::{self, DemoScale};
use tongyu_service::{App, Settings, TestClock};
use tongyu_store::{Db, DbOptions};
use tower::ServiceExt;

pub const PW: &str = "Test-Passw0rd-Qd";
/// 2026-09-15 10:00 Beijing time.
pub const START: i64 = 1_789_437_600;

static SEQ: AtomicU64 = AtomicU64::new(0);
/// Set once this process has dropped the schemas earlier runs left.
static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// How often a test instance's job runner looks for due work besides
/// being woken when work is queued.
const RUNNER_POLL: std::time::Duration = std::time::Duration::from_millis(250);

pub struct TestApp {
    pub router: Router,
    pub app: App,
    pub clock: Arc<TestClock>,
    /// Every text message the platform sent.
    pub sms: Arc<tongyu_service::sms::Memory>,
    sqlite_file: Option<std::path::PathBuf>,
    pub media_dir: std::path::PathBuf,
    /// This instance's job runner (imports; no periodic job is scheduled).
    runner: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.runner.abort();
        let _ = std::fs::remove_dir_all(&self.media_dir);
        if let Some(f) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

fn unique() -> String {
    format!(
        "{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst),
        START
    )
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

/// Where a test's database lives.
struct Database {
    url: String,
    /// A SQLite file to remove when the test ends.
    sqlite_file: Option<std::path::PathBuf>,
}

impl Database {
    /// A SQLite file of the test's own: empty, or a copy of `template`.
    fn sqlite_file(template: Option<&std::path::Path>) -> Database {
        let f = std::env::temp_dir().join(format!("tongyu-test-{}.db", unique()));
        if let Some(t) = template {
            std::fs::copy(t, &f).expect("copy the template database");
        }
        Database {
            url: format!("sqlite://{}", f.display()),
            sqlite_file: Some(f),
        }
    }

    /// An empty schema of the test's own in the PostgreSQL database.
    async fn postgres_schema(base: &str) -> Database {
        let schema = format!("t_{}", unique());
        let admin = Db::connect_raw(base).await.expect("connect to PostgreSQL");
        SWEPT.get_or_init(|| drop_stale_schemas(&admin)).await;
        admin
            .execute_raw(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create schema");
        admin.close().await;
        Database {
            url: with_search_path(base, &schema),
            sqlite_file: None,
        }
    }

    /// A schema of the test's own holding a copy of the template schema's
    /// tables and rows.
    async fn postgres_copy(base: &str, template: &str) -> Database {
        let schema = format!("t_{}", unique());
        let admin = Db::connect_raw(base).await.expect("connect to PostgreSQL");
        admin
            .execute_raw(&format!(
                "SELECT tongyu_clone_schema('{template}', '{schema}')"
            ))
            .await
            .expect("clone the template schema");
        admin.close().await;
        Database {
            url: with_search_path(base, &schema),
            sqlite_file: None,
        }
    }
}

fn with_search_path(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// The tiny demo city on SQLite, generated once per test process.
static SQLITE_TEMPLATE: tokio::sync::OnceCell<std::path::PathBuf> =
    tokio::sync::OnceCell::const_new();

async fn sqlite_template() -> &'static std::path::Path {
    SQLITE_TEMPLATE
        .get_or_init(|| async {
            remove_stale_templates();
            let t = TestApp::empty().await;
            demo::generate(&t.app, DemoScale::tiny(), PW, &|_, _, _| {})
                .await
                .expect("demo city");
            let out = std::env::temp_dir().join(format!("tongyu-template-{}.db", unique()));
            t.app
                .db
                .execute_raw(&format!("VACUUM INTO '{}'", out.display()))
                .await
                .expect("write the template database");
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
            let t = TestApp::empty().await;
            demo::generate(&t.app, DemoScale::tiny(), PW, &|_, _, _| {})
                .await
                .expect("demo city");
            let schema: String = {
                let mut c = t.app.db.read().await.expect("conn");
                sqlx::query_scalar("SELECT current_schema()::text")
                    .fetch_one(&mut *c)
                    .await
                    .expect("the template's schema")
            };
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

pub fn backend_url() -> Option<String> {
    std::env::var("TONGYU_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

impl TestApp {
    /// An empty platform (no city yet).
    pub async fn empty() -> TestApp {
        TestApp::empty_with(|_| {}).await
    }

    /// An empty platform whose settings `adjust` changes first.
    pub async fn empty_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let database = match backend_url() {
            Some(base) => Database::postgres_schema(&base).await,
            None => Database::sqlite_file(None),
        };
        TestApp::open(database, adjust).await
    }

    async fn open(database: Database, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        // Errors the platform logs show in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
        let db = Db::connect(&DbOptions {
            url: database.url.clone(),
            max_connections: 4,
        })
        .await
        .expect("open test database");
        let clock = Arc::new(TestClock::new(START));
        let media_dir = std::env::temp_dir().join(format!("tongyu-media-{}", unique()));
        let mut settings = Settings {
            media_dir: media_dir.clone(),
            ..Settings::default()
        };
        adjust(&mut settings);
        let sms = Arc::new(tongyu_service::sms::Memory::default());
        let app = App::new(db, clock.clone(), settings).with_sms(sms.clone());
        let state = tongyu_web::AppState::new(app.clone(), tongyu_web::WebConfig::default());
        TestApp {
            router: tongyu_web::router(state),
            runner: tongyu_service::jobs::start(app.clone(), RUNNER_POLL, 2),
            app,
            clock,
            sms,
            sqlite_file: database.sqlite_file,
            media_dir,
        }
    }

    /// A platform with a tiny demo city; every demo account has password
    /// [`PW`]. The city is generated once per test process and each test
    /// gets its own copy of that database.
    pub async fn demo() -> TestApp {
        let database = match backend_url() {
            Some(base) => Database::postgres_copy(&base, pg_template(&base).await).await,
            None => Database::sqlite_file(Some(sqlite_template().await)),
        };
        TestApp::open(database, |_| {}).await
    }

    /// A tiny demo city whose settings `adjust` changes first (generated
    /// anew: settings may change what the generator writes).
    pub async fn demo_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let t = TestApp::empty_with(adjust).await;
        demo::generate(&t.app, DemoScale::tiny(), PW, &|_, _, _| {})
            .await
            .expect("demo city");
        t
    }

    /// Another instance on the same database, clock and files, with its
    /// settings changed by `adjust` (a restart with another key file).
    pub fn reopen(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = (*self.app.settings).clone();
        adjust(&mut settings);
        let app =
            App::new(self.app.db.clone(), self.clock.clone(), settings).with_sms(self.sms.clone());
        let state = tongyu_web::AppState::new(app.clone(), tongyu_web::WebConfig::default());
        TestApp {
            router: tongyu_web::router(state),
            runner: tongyu_service::jobs::start(app.clone(), RUNNER_POLL, 2),
            app,
            clock: self.clock.clone(),
            sms: self.sms.clone(),
            // The first instance removes the files.
            sqlite_file: None,
            media_dir: std::env::temp_dir().join(format!("tongyu-unused-{}", unique())),
        }
    }

    /// Stops this instance's job runner, for tests that claim and run jobs
    /// step by step.
    pub fn stop_runner(&self) {
        self.runner.abort();
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    /// A JSON API call; `token` is a bearer token.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .expect("request");
        let (status, _, text) = self.send(req).await;
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.api(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.api(Method::POST, path, Some(token), Some(body)).await
    }

    /// Logs in through the API and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        self.login_with(username, PW).await
    }

    pub async fn login_with(&self, username: &str, password: &str) -> String {
        let (s, v) = self
            .api(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login of {username} failed: {v}");
        let token = v["token"].as_str().expect("token").to_owned();
        if !v["second_factor"].is_null() {
            self.factor_given(&token).await;
        }
        token
    }

    /// Administrators give a second factor at sign-in. The kit marks it
    /// given for the session it holds, as of now, so that every other test
    /// can sign administrators in as often as it likes; the factor itself
    /// (set-up, codes good once, recovery codes, lockout) is tried in
    /// `trust.rs`.
    pub async fn factor_given(&self, token: &str) {
        let hash = tongyu_service::auth::token_hash(token);
        let mut tx = self.app.db.write().await.expect("write");
        sqlx::query("UPDATE sessions SET factor_at = $1 WHERE id_hash = $2")
            .bind(self.app.now())
            .bind(hash)
            .execute(&mut *tx)
            .await
            .expect("mark the factor");
        tx.commit().await.expect("commit");
        self.app.forget_all();
    }

    /// The id of a unit by its external id.
    pub async fn unit_id(&self, external_id: &str) -> i64 {
        let mut c = self.app.db.read().await.expect("conn");
        tongyu_store::org::get_by_external_id(&mut c, external_id)
            .await
            .expect("query")
            .expect("unit exists")
            .id
    }

    pub async fn unit(&self, id: i64) -> tongyu_domain::org::Unit {
        let mut c = self.app.db.read().await.expect("conn");
        tongyu_store::org::get(&mut c, id)
            .await
            .expect("query")
            .expect("unit exists")
    }

    /// The newest code sent to `phone`.
    pub fn last_code(&self, phone: &str) -> String {
        self.sms
            .last_code(phone)
            .expect("a code was sent to the phone")
    }

    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: HashMap::new(),
            csrf: String::new(),
            referer: String::new(),
        }
    }
}

/// A browser: keeps cookies, remembers the last form's CSRF token.
pub struct Browser<'a> {
    app: &'a TestApp,
    pub cookies: HashMap<String, String>,
    pub csrf: String,
    /// The last page fetched, sent as the Referer of the next form.
    referer: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, headers: &HeaderMap, body: &str) {
        for v in headers.get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap_or("");
            if let Some((kv, _)) = s.split_once(';')
                && let Some((k, val)) = kv.split_once('=')
            {
                if val.is_empty() || s.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
        if let Some(i) = body.find("name=\"_csrf\" value=\"") {
            let rest = &body[i + 20..];
            if let Some(end) = rest.find('"') {
                self.csrf = rest[..end].to_owned();
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.referer = format!("http://localhost{path}");
        let req = Request::builder()
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("request");
        let (status, headers, body) = self.app.send(req).await;
        self.absorb(&headers, &body);
        Page {
            status,
            location: headers
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap_or("").to_owned()),
            body,
        }
    }

    /// Posts a form with the last seen CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).expect("form");
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::REFERER, self.referer.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        let (status, headers, body) = self.app.send(req).await;
        self.absorb(&headers, &body);
        Page {
            status,
            location: headers
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap_or("").to_owned()),
            body,
        }
    }

    /// Posts a multipart form with the last seen CSRF token: text fields
    /// and files (field name, file name, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let boundary = "tongyu-test-boundary-7f3a";
        let mut body: Vec<u8> = Vec::new();
        let csrf = self.csrf.clone();
        for (k, v) in std::iter::once(("_csrf", csrf.as_str())).chain(fields.iter().copied()) {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (k, name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        let (status, headers, body) = self.app.send(req).await;
        self.absorb(&headers, &body);
        Page {
            status,
            location: headers
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap_or("").to_owned()),
            body,
        }
    }

    /// Signs up through the join page: asks for a code, then sends the form
    /// with it (`invite` is the class's invite code, or empty).
    pub async fn register(
        &mut self,
        invite: &str,
        phone: &str,
        name: &str,
        password: &str,
    ) -> Page {
        self.get("/join").await;
        let p = self
            .post(
                "/register/code",
                &[("code", invite), ("phone", phone), ("display_name", name)],
            )
            .await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let code = self.app.last_code(&digits);
        self.post(
            "/register",
            &[
                ("code", invite),
                ("phone", phone),
                ("sms_code", &code),
                ("display_name", name),
                ("password", password),
            ],
        )
        .await
    }

    /// Signs in through the login page. For an administrator, the kit
    /// marks the second factor given (see [`TestApp::factor_given`]) and
    /// answers with where the sign-in then leads.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        self.get("/login").await;
        let mut p = self
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        if let Some(next) = p
            .location
            .as_deref()
            .and_then(|l| l.strip_prefix("/second-factor?"))
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|q| q.into_iter().find(|(k, _)| k == "next").map(|(_, v)| v))
        {
            let token = self.cookies["tongyu_session"].clone();
            self.app.factor_given(&token).await;
            p.location = Some(next);
        }
        p
    }
}
