//! Benchmarks of the foundation, each a ratio against a baseline measured
//! in the same run on the same machine:
//!
//! - import: guardian rows imported per second (validation, new parent
//!   accounts, links, grants, rollups) ÷ the same rows written by a raw
//!   batched insert into the same database. Goal ≥ 0.3.
//! - org (also `board`): the org browser page of a district, and the first
//!   lesson board of the city and of a district, at a large scale ÷ the same
//!   pages at demo scale. Goal ≤ 1.5.
//! - search: p95 of searches over 100,000 documents ÷ over 1,000. Goal ≤ 3.
//! - progress: acknowledged, durable progress reports per second through
//!   the real server over loopback ÷ the same server's no-op POST. Goal ≥ 0.6.
//! - appeals: durable public submissions per second through the real
//!   server over loopback ÷ the same server's no-op POST (goal ≥ 0.3); and
//!   a unit's inbox with 1,000,000 appeals in the city ÷ with 1,000 (goal
//!   ≤ 1.5).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tongyu_domain::account::Role;
use tongyu_domain::import::ImportKind;
use tongyu_service::demo::{self, DemoScale};
use tongyu_service::{App, Settings, SystemClock};
use tongyu_store::account::{NO_PASSWORD, NewAccount};
use tongyu_store::{Db, DbOptions, DbResult};
use tower::ServiceExt;

type AnyError = Box<dyn std::error::Error>;

const PW: &str = "Bench-Password-2026";

/// A fresh database: a SQLite file in `dir`, or a fresh schema on the
/// PostgreSQL server at `pg`.
async fn fresh(dir: &std::path::Path, name: &str, pg: Option<&str>) -> Result<App, AnyError> {
    let url = match pg {
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
    };
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
        ..Settings::default()
    };
    Ok(App::new(db, Arc::new(SystemClock), settings))
}

fn quiet(_: &str, _: u64, _: u64) {}

pub async fn run(
    which: &str,
    rows: usize,
    large: &str,
    pg: Option<String>,
    seconds: u64,
    clients: usize,
) -> Result<(), AnyError> {
    let dir = std::env::temp_dir().join(format!("tongyu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "backend: {}",
        if pg.is_some() { "postgres" } else { "sqlite" }
    );
    if which == "import" || which == "all" {
        import(&dir, rows, pg.as_deref()).await?;
    }
    if which == "org" || which == "board" || which == "all" {
        org(&dir, large, pg.as_deref()).await?;
    }
    if which == "search" || which == "all" {
        search(&dir, pg.as_deref()).await?;
    }
    if which == "progress" || which == "all" {
        progress(&dir, large, pg.as_deref(), seconds, clients).await?;
    }
    if which == "appeals" || which == "all" {
        appeals(&dir, pg.as_deref(), seconds, clients).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn import(dir: &std::path::Path, rows: usize, pg: Option<&str>) -> Result<(), AnyError> {
    let app = fresh(dir, "import", pg).await?;
    demo::generate(&app, DemoScale::demo(), PW, &quiet).await?;
    // Students to attach parents to, and a class per student for the grants.
    let students: Vec<(String, i64, i64)> = {
        let mut c = app.db.read().await?;
        let mut out = Vec::new();
        for sid in 1..=rows.min(15_000) as i64 {
            if let Some(s) = tongyu_store::student::get(&mut c, sid).await? {
                out.push((s.external_id.unwrap_or_default(), s.id, s.class_id));
            }
        }
        out
    };
    let pick = |i: usize| &students[i % students.len()];

    // Baseline: the same kinds of rows, straight into the tables in batches.
    let now = unix_now();
    let started = Instant::now();
    let mut tx = app.db.write().await?;
    let accounts: Vec<NewAccount> = (0..rows)
        .map(|i| NewAccount {
            username: format!("bench-parent-{i}"),
            phone: Some(app.seal_phone(&format!("150{i:08}"))),
            display_name: "基准家长".into(),
            password_hash: NO_PASSWORD.into(),
            must_change_password: false,
            external_id: None,
            created_by: None,
        })
        .collect();
    let ids = tongyu_store::account::insert_many(&mut tx, &accounts, now).await?;
    let links: Vec<(i64, i64, String)> = ids
        .iter()
        .enumerate()
        .map(|(i, (_, id))| (pick(i).1, *id, "父亲".into()))
        .collect();
    tongyu_store::student::insert_links_many(&mut tx, &links, now).await?;
    let grants: Vec<(i64, Role, i64)> = ids
        .iter()
        .enumerate()
        .map(|(i, (_, id))| (*id, Role::Parent, pick(i).2))
        .collect();
    tongyu_store::account::insert_grants_many(&mut tx, &grants, now).await?;
    tx.commit().await.db()?;
    let raw = started.elapsed();

    // The import of a file of the same size, through the whole use case.
    let mut csv = String::from("学生学籍号,家长姓名,手机号,关系\n");
    for i in 0..rows {
        csv.push_str(&format!("{},导入家长,151{i:08},母亲\n", pick(i).0));
    }
    let ctx = tongyu_service::import::operator_ctx(&app).await?;
    let started = Instant::now();
    let out = tongyu_service::import::run(
        &app,
        &ctx,
        ImportKind::Guardians,
        csv.as_bytes(),
        &|_, _| {},
    )
    .await?;
    let imported = started.elapsed();
    if !out.ok() || out.created != rows {
        return Err(format!(
            "the import did not create {rows} rows: {:?}",
            out.errors.first()
        )
        .into());
    }
    let raw_rate = rows as f64 / raw.as_secs_f64();
    let import_rate = rows as f64 / imported.as_secs_f64();
    println!("import of {rows} parent accounts with their links and grants:");
    println!(
        "  raw batched insert   {raw_rate:>10.0} rows/s  ({:.2} s)",
        raw.as_secs_f64()
    );
    println!(
        "  import (checked)     {import_rate:>10.0} rows/s  ({:.2} s)",
        imported.as_secs_f64()
    );
    println!(
        "  ratio import/raw     {:>10.2}   (goal >= 0.30)",
        import_rate / raw_rate
    );
    app.db.close().await;
    Ok(())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Times a page for a signed-in user; returns (median, p95, size in bytes).
async fn page_times(
    app: &App,
    username: &str,
    path: &str,
    requests: usize,
) -> Result<(Duration, Duration, usize), AnyError> {
    let origin = tongyu_service::Origin::default();
    let login = tongyu_service::auth::login(
        app,
        &origin,
        username,
        PW,
        tongyu_service::auth::SessionKind::Web,
    )
    .await?;
    let router = tongyu_web::router(tongyu_web::AppState::new(
        app.clone(),
        tongyu_web::WebConfig::default(),
    ));
    let mut times = Vec::with_capacity(requests);
    let mut size = 0;
    for i in 0..requests + 20 {
        let req = axum::http::Request::builder()
            .uri(path)
            .header("cookie", format!("tongyu_session={}", login.token))
            .body(axum::body::Body::empty())?;
        let t = Instant::now();
        let res = router.clone().oneshot(req).await?;
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        let took = t.elapsed();
        if status != axum::http::StatusCode::OK {
            return Err(format!("{path} answered {status}").into());
        }
        size = body.len();
        if i >= 20 {
            times.push(took);
        }
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() * 95 / 100], size))
}

/// The pages the benchmark times at one scale: (label, user, path).
async fn pages_of(app: &App) -> Result<Vec<(&'static str, &'static str, String)>, AnyError> {
    let mut c = app.db.read().await?;
    let city = tongyu_store::org::city(&mut c).await?.ok_or("no city")?.id;
    let d0 = tongyu_store::org::get_by_external_id(&mut c, "d0")
        .await?
        .ok_or("no district d0")?
        .id;
    let campaign = tongyu_store::learning::list_campaigns(&mut c)
        .await?
        .first()
        .ok_or("no campaign")?
        .id;
    Ok(vec![
        (
            "org browser page of a district",
            "district-admin",
            format!("/org/{d0}"),
        ),
        (
            "campaign board of the city",
            "city-admin",
            format!("/campaigns/{campaign}/board/{city}"),
        ),
        (
            "campaign board of a district",
            "district-admin",
            format!("/campaigns/{campaign}/board/{d0}"),
        ),
    ])
}

/// The parents of the first `n` demo phones finish the lesson for everyone,
/// so that the boards have completions to show.
async fn some_completions(app: &App, n: usize) -> Result<(), AnyError> {
    let origin = tongyu_service::Origin::default();
    let lesson = {
        let mut c = app.db.read().await?;
        let campaign = tongyu_store::learning::list_campaigns(&mut c)
            .await?
            .first()
            .ok_or("no campaign")?
            .id;
        let targets = tongyu_store::learning::targets_of_campaign(&mut c, campaign).await?;
        targets
            .iter()
            .find(|t| t.grade.is_empty())
            .ok_or("no lesson for all")?
            .lesson_id
    };
    for i in 1..=n {
        let login = format!("139{i:08}");
        let out = tongyu_service::auth::login(
            app,
            &origin,
            &login,
            PW,
            tongyu_service::auth::SessionKind::Api,
        )
        .await?;
        let session = tongyu_service::auth::authenticate(app, &out.token).await?;
        let ctx = tongyu_service::Ctx {
            actor: session.actor,
            origin: origin.clone(),
            factor_at: 0,
        };
        for from in (0..600).step_by(30) {
            let r = tongyu_service::learning::Report {
                lesson_id: lesson,
                segments: vec![[from as f64, (from + 30) as f64]],
            };
            tongyu_service::learning::report(app, &ctx, &r).await?;
        }
    }
    Ok(())
}

async fn org(dir: &std::path::Path, large: &str, pg: Option<&str>) -> Result<(), AnyError> {
    let mut results = Vec::new();
    for (name, scale) in [
        ("demo", DemoScale::demo()),
        (large, DemoScale::parse(large)?),
    ] {
        let app = fresh(dir, &format!("pages_{name}"), pg).await?;
        let started = Instant::now();
        eprintln!("generating the {name} city...");
        demo::generate(&app, scale, PW, &quiet).await?;
        let generated = started.elapsed();
        some_completions(&app, 20).await?;
        let students = app.db.query_i64("SELECT COUNT(*) FROM students").await?;
        let guardians = app.db.query_i64("SELECT COUNT(*) FROM guardians").await?;
        let mut times = Vec::new();
        for (label, user, path) in pages_of(&app).await? {
            times.push((label, page_times(&app, user, &path, 300).await?));
        }
        app.db.close().await;
        results.push((name, students, guardians, generated, times));
    }
    let (_, small_students, _, _, small) = &results[0];
    let (large_name, large_students, large_guardians, generated, big) = &results[1];
    println!(
        "pages at demo scale ({small_students} students) and {large_name} scale ({large_students} students, \
         {large_guardians} guardians; generated in {:.0} s); median / p95 of 300 requests:",
        generated.as_secs_f64()
    );
    for ((label, (sm, sp, _)), (_, (lm, lp, _))) in small.iter().zip(big) {
        println!("  {label}");
        println!(
            "    demo {:>7.3} / {:>7.3} ms   {large_name} {:>7.3} / {:>7.3} ms   ratio {:.2} (goal <= 1.50)",
            ms(*sm),
            ms(*sp),
            ms(*lm),
            ms(*lp),
            ms(*lm) / ms(*sm)
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sends POSTs on one keep-alive connection until the deadline; counts the
/// 2xx answers. `body(i)` makes the i-th body.
async fn post_loop(
    addr: std::net::SocketAddr,
    path: String,
    token: String,
    deadline: Instant,
    body: impl Fn(u64) -> String,
) -> Result<u64, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut acked = 0u64;
    let mut i = 0u64;
    while Instant::now() < deadline {
        let b = body(i);
        i += 1;
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        );
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut have = 0usize;
        let (head_end, length) = loop {
            let n = s.read(&mut buf[have..]).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            have += n;
            if let Some(p) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..p]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if head.starts_with("http/1.1 2") {
                    acked += 1;
                } else if i == 1 {
                    let body = String::from_utf8_lossy(&buf[p + 4..have]).into_owned();
                    return Err(format!(
                        "{path} answered {}: {body}",
                        head.lines().next().unwrap_or("")
                    ));
                }
                break (p + 4, len);
            }
        };
        while have < head_end + length {
            let n = s.read(&mut buf[have..]).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            have += n;
        }
    }
    Ok(acked)
}

/// A progress report: ten seconds further into the lesson each time,
/// round and round.
fn report_body(lesson: i64, i: u64) -> String {
    let from = (i * 10) % 600;
    format!(
        "{{\"lesson_id\":{lesson},\"segments\":[[{from},{}]]}}",
        from + 10
    )
}

/// Runs one connection per token for `time`, posting progress reports;
/// returns 2xx answers per second.
async fn load(
    addr: std::net::SocketAddr,
    path: &str,
    tokens: &[String],
    time: Duration,
    lesson: i64,
) -> Result<f64, AnyError> {
    load_with(addr, path, tokens, time, move |_, i| report_body(lesson, i)).await
}

/// Runs one connection per token for `time`; `body(connection, i)` makes
/// each request's body. Returns 2xx answers per second.
async fn load_with(
    addr: std::net::SocketAddr,
    path: &str,
    tokens: &[String],
    time: Duration,
    body: impl Fn(usize, u64) -> String + Clone + Send + 'static,
) -> Result<f64, AnyError> {
    let deadline = Instant::now() + time;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let (path, token) = (path.to_owned(), token.clone());
        let body = body.clone();
        tasks.push(tokio::spawn(post_loop(
            addr,
            path,
            token,
            deadline,
            move |i| body(n, i),
        )));
    }
    let mut total = 0u64;
    for t in tasks {
        total += t.await?.map_err(|e| -> AnyError { e.into() })?;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

async fn progress(
    dir: &std::path::Path,
    scale: &str,
    pg: Option<&str>,
    seconds: u64,
    clients: usize,
) -> Result<(), AnyError> {
    let app = fresh(dir, &format!("progress_{scale}"), pg).await?;
    eprintln!("generating the {scale} city for the progress benchmark...");
    demo::generate(&app, DemoScale::parse(scale)?, PW, &quiet).await?;
    let lesson = {
        let mut c = app.db.read().await?;
        let campaign = tongyu_store::learning::list_campaigns(&mut c)
            .await?
            .into_iter()
            .next()
            .ok_or("no campaign")?;
        let targets = tongyu_store::learning::targets_of_campaign(&mut c, campaign.id).await?;
        targets
            .iter()
            .find(|t| t.grade.is_empty())
            .ok_or("no lesson for all")?
            .lesson_id
    };
    // One signed-in parent per connection.
    let origin = tongyu_service::Origin::default();
    let mut tokens = Vec::with_capacity(clients);
    for i in 1..=clients {
        let login = format!("139{i:08}");
        let out = tongyu_service::auth::login(
            &app,
            &origin,
            &login,
            PW,
            tongyu_service::auth::SessionKind::Api,
        )
        .await?;
        tokens.push(out.token);
    }
    let config = tongyu_web::WebConfig {
        bench_routes: true,
        ..tongyu_web::WebConfig::default()
    };
    let router = tongyu_web::router(tongyu_web::AppState::new(app.clone(), config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let rounds = seconds.max(1);
    let mut paired = Paired { rounds: Vec::new() };
    for round in 1..=rounds {
        eprintln!("round {round} of {rounds}: the no-op POST, then progress reports...");
        let noop = load(addr, "/api/v1/bench/noop", &tokens, ROUND, lesson).await?;
        let reports = load(addr, "/api/v1/progress", &tokens, ROUND, lesson).await?;
        paired.rounds.push((noop, reports));
    }
    server.abort();
    let rows = app
        .db
        .query_i64("SELECT COUNT(*) FROM lesson_progress")
        .await?;
    println!(
        "progress reports over loopback, {clients} connections, {rounds} rounds of 1 s each way:"
    );
    paired.print(
        "progress, durable",
        &format!("{rows} parent-lesson rows"),
        "ratio progress/no-op",
        ">= 0.60",
    );
    app.db.close().await;
    Ok(())
}

/// Words of family education, to make documents and queries from.
const VOCAB: &[&str] = &[
    "孩子",
    "家长",
    "学习",
    "习惯",
    "沟通",
    "情绪",
    "焦虑",
    "安全",
    "阅读",
    "运动",
    "睡眠",
    "手机",
    "游戏",
    "作业",
    "考试",
    "压力",
    "陪伴",
    "鼓励",
    "批评",
    "规则",
    "自律",
    "责任",
    "劳动",
    "家务",
    "饮食",
    "健康",
    "心理",
    "青春期",
    "叛逆",
    "同伴",
    "友谊",
    "欺凌",
    "网络",
    "视力",
    "专注",
    "兴趣",
    "特长",
    "生涯",
    "职业",
    "理想",
    "衔接",
    "入学",
    "幼儿园",
    "小学",
    "初中",
    "高中",
    "升学",
    "选科",
    "志愿",
    "亲子",
    "父亲",
    "母亲",
    "祖辈",
    "隔代",
    "教养",
    "榜样",
    "倾听",
    "表达",
    "合作",
    "分享",
    "感恩",
    "挫折",
    "韧性",
    "自信",
    "独立",
    "时间",
    "管理",
    "计划",
    "目标",
    "反思",
];

fn synthetic(rng: &mut impl rand_like::Rng, words: usize) -> String {
    (0..words)
        .map(|_| VOCAB[rng.below(VOCAB.len())])
        .collect::<Vec<_>>()
        .join("")
}

mod rand_like {
    /// A small deterministic generator, enough for benchmark text.
    pub trait Rng {
        fn below(&mut self, n: usize) -> usize;
    }
    pub struct XorShift(pub u64);
    impl Rng for XorShift {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }
}

async fn add_docs(
    app: &App,
    from: usize,
    to: usize,
    rng: &mut rand_like::XorShift,
) -> Result<(), AnyError> {
    let now = unix_now();
    let mut tx = app.db.write().await?;
    for i in from..to {
        let title = synthetic(rng, 4);
        let body = synthetic(rng, 30);
        let doc = tongyu_store::search::Doc {
            kind: "lesson",
            ref_id: i as i64,
            course_id: (i / 10) as i64,
            words: tongyu_domain::search::index_words(&format!("{title} {body}")),
            title,
            body,
            category: "self_study".into(),
            subject: "family_education".into(),
            grades: String::new(),
        };
        tongyu_store::search::upsert(&mut tx, &doc, now).await?;
        if i % 5000 == 4999 {
            tx.commit().await.db()?;
            tx = app.db.write().await?;
            eprintln!("  {} documents", i + 1);
        }
    }
    tx.commit().await.db()?;
    app.db.analyze().await?;
    Ok(())
}

/// p95 of `n` searches of one or two vocabulary words.
async fn search_p95(
    app: &App,
    n: usize,
    rng: &mut rand_like::XorShift,
) -> Result<Duration, AnyError> {
    use rand_like::Rng;
    let ctx = tongyu_service::import::operator_ctx(app).await?;
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let q = if i % 2 == 0 {
            VOCAB[rng.below(VOCAB.len())].to_owned()
        } else {
            format!(
                "{} {}",
                VOCAB[rng.below(VOCAB.len())],
                VOCAB[rng.below(VOCAB.len())]
            )
        };
        let query = tongyu_service::search::Query {
            q,
            ..Default::default()
        };
        let t = Instant::now();
        tongyu_service::search::search(app, &ctx, &query).await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[n * 95 / 100])
}

pub async fn search(dir: &std::path::Path, pg: Option<&str>) -> Result<(), AnyError> {
    let app = fresh(dir, "search", pg).await?;
    demo::generate(&app, DemoScale::tiny(), PW, &quiet).await?;
    let mut rng = rand_like::XorShift(20_260_901);
    add_docs(&app, 0, 1_000, &mut rng).await?;
    let small = search_p95(&app, 400, &mut rng).await?;
    eprintln!("indexing 99,000 more documents...");
    add_docs(&app, 1_000, 100_000, &mut rng).await?;
    let large = search_p95(&app, 400, &mut rng).await?;
    println!("search, p95 of 400 queries of one or two words:");
    println!("  1,000 documents     {:>8.3} ms", ms(small));
    println!("  100,000 documents   {:>8.3} ms", ms(large));
    println!(
        "  ratio               {:>8.2}   (goal <= 3.00)",
        ms(large) / ms(small)
    );
    app.db.close().await;
    Ok(())
}

/// A round of a paired measurement: the no-op load and the measured load
/// take turns a second at a time, so both see the machine as it was. A
/// shared machine's speed drifts by a quarter for seconds at a time, more
/// than the difference being measured, and a round of several seconds may
/// catch a slow spell on one side only.
const ROUND: Duration = Duration::from_secs(1);

/// Per-round rates, (no-op, measured), and the median of the rounds' ratios.
struct Paired {
    rounds: Vec<(f64, f64)>,
}

impl Paired {
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    }
    fn noop(&self) -> f64 {
        Self::median(self.rounds.iter().map(|r| r.0).collect())
    }
    fn measured(&self) -> f64 {
        Self::median(self.rounds.iter().map(|r| r.1).collect())
    }
    fn ratio(&self) -> f64 {
        Self::median(
            self.rounds
                .iter()
                .map(|(n, m)| if *n > 0.0 { m / n } else { 0.0 })
                .collect(),
        )
    }
    /// The lowest and highest of the rounds, as "low-high".
    fn range(&self, pick: impl Fn(&(f64, f64)) -> f64, precision: usize) -> String {
        let v: Vec<f64> = self.rounds.iter().map(pick).collect();
        let low = v.iter().copied().fold(f64::INFINITY, f64::min);
        let high = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{low:.precision$}-{high:.precision$}")
    }
    /// The three lines every throughput benchmark prints.
    fn print(&self, measured: &str, stored: &str, ratio: &str, goal: &str) {
        let n = self.rounds.len();
        println!(
            "  no-op POST (same server)     {:>10.0} req/s  (median of {n} rounds; {})",
            self.noop(),
            self.range(|r| r.0, 0)
        );
        println!(
            "  {measured:<28} {:>10.0} req/s  (median of {n} rounds; {}; {stored})",
            self.measured(),
            self.range(|r| r.1, 0)
        );
        println!(
            "  {ratio:<28} {:>10.2}   (median of the rounds' ratios, {}; goal {goal})",
            self.ratio(),
            self.range(|(n, m)| if *n > 0.0 { m / n } else { 0.0 }, 2)
        );
    }
}

/// Inserts `n` appeals spread over the schools (nine in ten at school
/// level, one in ten at the school's district bureau), in one statement per
/// school, numbered from `from`.
async fn add_appeals(
    app: &App,
    schools: &[(i64, i64)],
    from: usize,
    n: usize,
) -> Result<(), AnyError> {
    let now = unix_now();
    let per = n / schools.len();
    let extra = n % schools.len();
    let mut next = from;
    for (k, (school, district)) in schools.iter().enumerate() {
        let count = per + usize::from(k < extra);
        if count == 0 {
            continue;
        }
        // Rows made in SQL (every value an integer formatted here): a
        // counter from `next` to `next + count - 1`.
        let (first, last) = (next, next + count - 1);
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT CAST({first} AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < {last})
             INSERT INTO appeals (tracking_code, source, school_id, unit_id, level, category, text,
                 contact_name, contact_phone, dedupe_key, status, clock_start, contact_due, reply_due,
                 created_at, updated_at)
             SELECT 'B' || CAST(i AS TEXT), 'qr', {school},
                    CASE WHEN i % 10 = 0 THEN {district} ELSE {school} END,
                    CASE WHEN i % 10 = 0 THEN 'district' ELSE 'school' END,
                    'teaching', '基准诉求：希望学校增加课后服务的兴趣课程 ' || CAST(i AS TEXT), '', '',
                    'bench' || CAST(i AS TEXT), 'received', {now} - i,
                    CASE WHEN i % 20 = 0 THEN {now} - 3600 ELSE {now} + 86400 END, {now} + 432000,
                    {now} - i, {now} - i
             FROM n"
        );
        app.db.execute_raw(&sql).await?;
        next += count;
    }
    let mut tx = app.db.write().await?;
    tongyu_store::appeal::recount_board(&mut tx).await?;
    tx.commit().await.db()?;
    app.db.analyze().await?;
    Ok(())
}

/// Public submissions through the real server (durable, with their audit
/// entries) ÷ the no-op POST; then a school's and a district's inbox with
/// 1,000 and with 1,000,000 appeals in the city.
async fn appeals(
    dir: &std::path::Path,
    pg: Option<&str>,
    seconds: u64,
    clients: usize,
) -> Result<(), AnyError> {
    let app = fresh(dir, "appeals", pg).await?;
    eprintln!("generating the demo city for the appeal benchmark...");
    demo::generate(&app, DemoScale::demo(), PW, &quiet).await?;
    let origin = tongyu_service::Origin::default();
    let admin = tongyu_service::auth::login(
        &app,
        &origin,
        "school-admin",
        PW,
        tongyu_service::auth::SessionKind::Api,
    )
    .await?;
    let ctx = tongyu_service::Ctx {
        actor: tongyu_service::auth::authenticate(&app, &admin.token)
            .await?
            .actor,
        origin,
        factor_at: 0,
    };
    let school = ctx
        .actor
        .grants
        .first()
        .ok_or("school-admin has no grant")?
        .unit_id;
    let codes = tongyu_service::appeal::school_codes(&app, &ctx, school).await?;
    let qr = codes
        .iter()
        .find(|c| c.kind == tongyu_domain::appeal::CodeKind::School)
        .ok_or("no school code")?
        .token
        .clone();

    // Submissions: every connection a different phone, every text new.
    let config = tongyu_web::WebConfig {
        bench_routes: true,
        ..tongyu_web::WebConfig::default()
    };
    let state = tongyu_web::AppState::with_public_limits(
        app.clone(),
        config,
        tongyu_web::throttle::PublicLimits::unlimited(),
    );
    let router = tongyu_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let tokens: Vec<String> = (0..clients).map(|_| "public".to_owned()).collect();
    let before = app.db.query_i64("SELECT COUNT(*) FROM appeals").await?;
    let rounds = seconds.max(1);
    let mut paired = Paired { rounds: Vec::new() };
    for round in 1..=rounds {
        eprintln!("round {round} of {rounds}: the no-op POST, then public submissions...");
        let noop = load_with(addr, "/api/v1/bench/noop", &tokens, ROUND, |_, i| {
            report_body(1, i)
        })
        .await?;
        let qr = qr.clone();
        let submitted = load_with(
            addr,
            "/api/v1/public/appeals",
            &tokens,
            ROUND,
            move |n, i| {
                format!(
                    "{{\"qr_token\":\"{qr}\",\"category\":\"teaching\",\"text\":\"希望学校增加课后服务的兴趣课程，第{round}轮第{i}次反映。\",\"contact_phone\":\"136{n:08}\"}}"
                )
            },
        )
        .await?;
        paired.rounds.push((noop, submitted));
        if pg.is_some() {
            // What autovacuum does within a minute of such growth. Without
            // it, PostgreSQL keeps the plans it made when the table was
            // nearly empty: its foreign-key check from each new event to its
            // appeal scans every appeal (38 ms a batch at 40,000 appeals).
            app.db.execute_raw("ANALYZE appeals").await?;
        }
    }
    server.abort();
    let rows = app.db.query_i64("SELECT COUNT(*) FROM appeals").await? - before;
    println!(
        "public appeal submissions over loopback, {clients} connections, {rounds} rounds of 1 s each way:"
    );
    paired.print(
        "appeals, durable",
        &format!("{rows} appeals stored"),
        "ratio appeals/no-op",
        ">= 0.30",
    );

    // Inboxes: the appeals above are cleared, then 1,000 spread over the
    // city, then 999,000 more.
    app.db.execute_raw("DELETE FROM appeal_events").await?;
    app.db.execute_raw("DELETE FROM appeal_keywords").await?;
    app.db.execute_raw("DELETE FROM appeals").await?;
    let schools: Vec<(i64, i64)> = {
        let mut c = app.db.read().await?;
        let city = tongyu_store::org::city(&mut c).await?.ok_or("no city")?;
        let all = tongyu_store::org::search(
            &mut c,
            std::slice::from_ref(&city.path),
            Some(tongyu_domain::org::UnitKind::School),
            "",
            100_000,
        )
        .await?;
        all.iter()
            .map(|s| {
                let district = tongyu_domain::org::path_ids(&s.path)
                    .get(1)
                    .copied()
                    .unwrap_or(city.id);
                (s.id, district)
            })
            .collect()
    };
    let pages = [
        ("school inbox (API)", "school-admin", "/api/v1/appeals"),
        ("school inbox page", "school-admin", "/appeals"),
        ("district inbox (API)", "district-admin", "/api/v1/appeals"),
        (
            "district, overdue only (API)",
            "district-admin",
            "/api/v1/appeals?overdue=true&limit=20",
        ),
        (
            "city board (API)",
            "city-admin",
            "/api/v1/units/CITY/appeal-board",
        ),
    ];
    // The measured school holds 500 of the first 1,000 (so its first page,
    // and its district's, are full at both sizes); the rest are spread.
    let own = schools
        .iter()
        .copied()
        .find(|(s, _)| *s == school)
        .ok_or("the school is not in the city")?;
    add_appeals(&app, &[own], 1, 500).await?;
    let mut results = Vec::new();
    for (label, total) in [("1,000", 1_000usize), ("1,000,000", 1_000_000)] {
        let have = app.db.query_i64("SELECT COUNT(*) FROM appeals").await? as usize;
        let started = Instant::now();
        add_appeals(&app, &schools, have + 1, total - have).await?;
        eprintln!(
            "{label} appeals in the city ({} added in {:.1} s)",
            total - have,
            started.elapsed().as_secs_f64()
        );
        let city_id = {
            let mut c = app.db.read().await?;
            tongyu_store::org::city(&mut c).await?.ok_or("no city")?.id
        };
        let mut times = Vec::new();
        for (_, user, path) in &pages {
            let path = path.replace("CITY", &city_id.to_string());
            let n = if path.contains("board") { 20 } else { 300 };
            times.push(page_times(&app, user, &path, n).await?);
        }
        results.push(times);
    }
    println!(
        "a unit's inbox, median / p95 of 300 requests, 1,000 vs 1,000,000 appeals in the city:"
    );
    for (k, (label, _, _)) in pages.iter().enumerate() {
        let (sm, sp, _) = results[0][k];
        let (lm, lp, _) = results[1][k];
        println!(
            "  {label:<30} {:>7.3} / {:>7.3} ms   {:>7.3} / {:>7.3} ms   ratio {:.2} (goal <= 1.50)",
            ms(sm),
            ms(sp),
            ms(lm),
            ms(lp),
            ms(lm) / ms(sm)
        );
    }
    app.db.close().await;
    Ok(())
}
