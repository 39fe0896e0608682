//! The test kit's web half: the whole router driven in-process over a
//! database of the test's own (`tongyu_service::testkit`), a test clock,
//! and a browser-like client that keeps cookies and fills in CSRF tokens.
//!
//! The backend comes from `TONGYU_TEST_DATABASE_URL`: unset means a SQLite
//! file per test; a `postgres://` URL means a schema per test in that
//! database. The tiny demo city most tests start from is generated once per
//! test process and copied for each test.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tongyu_service::demo::{self, DemoScale};
use tongyu_service::testkit::{TestDatabase, database::unique};
use tongyu_service::{App, Settings, TestClock};
use tower::ServiceExt;

pub use tongyu_service::testkit::{PW, START, factory, peek, sql, tamper};

/// How often a test instance's job runner looks for due work besides
/// being woken when work is queued.
const RUNNER_POLL: std::time::Duration = std::time::Duration::from_millis(250);

pub struct TestApp {
    pub router: Router,
    pub app: App,
    pub clock: Arc<TestClock>,
    /// Every text message the platform sent.
    pub sms: Arc<tongyu_service::sms::Memory>,
    /// The database, removed with the first instance (none on a reopened one).
    _database: Option<TestDatabase>,
    pub media_dir: std::path::PathBuf,
    /// This instance's job runner (imports; no periodic job is scheduled).
    runner: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.runner.abort();
        let _ = std::fs::remove_dir_all(&self.media_dir);
    }
}

impl TestApp {
    /// An empty platform (no city yet).
    pub async fn empty() -> TestApp {
        TestApp::empty_with(|_| {}).await
    }

    /// An empty platform whose settings `adjust` changes first.
    pub async fn empty_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        TestApp::open(TestDatabase::empty().await, adjust).await
    }

    async fn open(database: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        // Errors the platform logs show in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
        let db = database.connect().await;
        let clock = Arc::new(TestClock::new(START));
        let media_dir = std::env::temp_dir().join(format!("tongyu-media-{}", unique()));
        let mut settings = Settings {
            media_dir: media_dir.clone(),
            // Boards count afresh on each request unless a test shares them.
            board_snapshot_ms: 0,
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
            _database: Some(database),
            media_dir,
        }
    }

    /// A platform with a tiny demo city; every demo account has password
    /// [`PW`]. The city is generated once per test process and each test
    /// gets its own copy of that database.
    pub async fn demo() -> TestApp {
        TestApp::open(TestDatabase::demo().await, |_| {}).await
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
            _database: None,
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
        let method_name = method.as_str().to_owned();
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match &body {
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
        crate::contract::check(&method_name, path, body.as_ref(), status.as_u16(), &v);
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
        sql::exec(
            &self.app,
            &[(
                "UPDATE sessions SET factor_at = $1 WHERE id_hash = $2",
                vec![self.app.now().into(), hash.into()],
            )],
        )
        .await;
    }

    /// The id of a unit by its external id.
    pub async fn unit_id(&self, external_id: &str) -> i64 {
        peek::unit_by_external_id(&self.app, external_id).await.id
    }

    pub async fn unit(&self, id: i64) -> tongyu_domain::org::Unit {
        peek::unit(&self.app, id).await
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
