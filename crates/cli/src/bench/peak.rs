//! peak: the first lesson of term as it comes, on one machine, measured as
//! one load. Simulated parents, signed in with a browser session each, load
//! their home and the lesson page and report progress as the player does
//! (cookie and CSRF header, the next 30 s of the lesson each time, under the
//! real credit rules); staff load their homes and boards; the public sends
//! a few appeals. Every class is offered at a fixed rate (open loop: a
//! request's time counts from when it was due, so a stalled server cannot
//! hide its backlog), the heartbeat rate rising step by step. The answer is
//! the highest heartbeat rate at which every class still has p99 ≤ 50 ms
//! and gets what it asked for, as a ratio to the same server's no-op POST
//! measured in the same run. See `docs/benchmarks.md`.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// The design load's mix, as requests per heartbeat.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    /// Page views of parents (their home and the lesson page, in turn): a
    /// parent arrives, loads two pages, then watches a 600 s lesson with a
    /// heartbeat every 30 s: 2 pages per 20 heartbeats.
    pub pages: f64,
    /// Staff homes and boards: every bureau and school refreshing.
    pub staff: f64,
    /// Public appeals.
    pub appeals: f64,
    /// Seconds between a parent's heartbeats (the player reports every 30 s).
    pub heartbeat_s: f64,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            pages: 0.1,
            staff: 0.01,
            appeals: 0.001,
            heartbeat_s: 30.0,
        }
    }
}

impl Mix {
    /// `pages=0.1,staff=0.01,appeals=0.001,heartbeat_s=30`, any part left
    /// out as default.
    pub fn parse(s: &str) -> Result<Mix, AnyError> {
        let mut m = Mix::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("mix part “{part}” is not name=value"))?;
            let v: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("mix value “{v}” is not a number"))?;
            if !(0.0..=600.0).contains(&v) {
                return Err(format!("mix value {v} is out of range 0-600").into());
            }
            match k.trim() {
                "pages" => m.pages = v,
                "staff" => m.staff = v,
                "appeals" => m.appeals = v,
                "heartbeat_s" if v >= 1.0 => m.heartbeat_s = v,
                other => return Err(format!("unknown mix part “{other}”").into()),
            }
        }
        Ok(m)
    }
}

/// The goal every class must meet at a step.
const P99_GOAL: Duration = Duration::from_millis(50);

/// One kept-alive HTTP/1.1 connection.
struct Conn {
    s: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr) -> Result<Conn, String> {
        let s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Conn {
            s,
            buf: vec![0u8; 64 * 1024],
        })
    }

    /// Sends a request and reads its whole answer; returns the status.
    async fn call(&mut self, req: &[u8]) -> Result<u16, String> {
        self.s.write_all(req).await.map_err(|e| e.to_string())?;
        let mut have = 0usize;
        loop {
            if have == self.buf.len() {
                self.buf.resize(have * 2, 0);
            }
            let n = self
                .s
                .read(&mut self.buf[have..])
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            have += n;
            let Some(p) = self.buf[..have].windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&self.buf[..p]).to_ascii_lowercase();
            let status: u16 = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let chunked = head.contains("transfer-encoding: chunked");
            let body_start = p + 4;
            loop {
                let done = match (length, chunked) {
                    (Some(len), _) => have >= body_start + len,
                    (None, true) => self.buf[body_start..have].ends_with(b"0\r\n\r\n"),
                    (None, false) => true,
                };
                if done {
                    return Ok(status);
                }
                if have == self.buf.len() {
                    self.buf.resize(have * 2, 0);
                }
                let n = self
                    .s
                    .read(&mut self.buf[have..])
                    .await
                    .map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("the server closed the connection mid-answer".into());
                }
                have += n;
            }
        }
    }
}

/// Makes the i-th request of a class.
type Make = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

/// A class of requests offered at a fixed rate over some connections.
struct Class {
    name: &'static str,
    rate: f64,
    conns: usize,
    make: Make,
}

/// What a class got at one step.
struct Outcome {
    name: &'static str,
    offered: f64,
    /// Requests due in the step.
    due: u64,
    /// Answers (2xx) per second.
    answered: f64,
    errors: u64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// Moments answers came back, for the longest pause.
    done_at: Vec<Instant>,
}

impl Outcome {
    fn meets_goal(&self) -> bool {
        let answered = self.done_at.len() as f64;
        self.errors == 0
            && (self.due == 0 || (self.p99 <= P99_GOAL && answered >= self.due as f64 * 0.95))
    }
}

/// Offers each class its rate for `time`: request k of a class is due at
/// `start + k / rate` and goes out on connection `k % conns` once that
/// connection is free; its time is from when it was due.
async fn offer(
    servers: &Servers,
    classes: &[Class],
    time: Duration,
) -> Result<Vec<Outcome>, AnyError> {
    let start = Instant::now() + Duration::from_millis(50);
    let mut handles = Vec::new();
    for (ci, class) in classes.iter().enumerate() {
        if class.rate <= 0.0 {
            continue;
        }
        let total = (class.rate * time.as_secs_f64()).floor() as u64;
        let conns = class.conns.clamp(1, total.max(1) as usize);
        for j in 0..conns {
            let make = class.make.clone();
            let rate = class.rate;
            let addr = server_for(servers, j);
            handles.push((
                ci,
                tokio::spawn(async move {
                    let mut c = Conn::open(addr).await?;
                    let mut lat = Vec::new();
                    let mut done = Vec::new();
                    let mut errors = 0u64;
                    let mut k = j as u64;
                    while k < total {
                        let due = start + Duration::from_secs_f64(k as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                        let req = make(k);
                        match c.call(&req).await {
                            Ok(s) if (200..300).contains(&s) => {
                                let now = Instant::now();
                                lat.push(now - due);
                                done.push(now);
                            }
                            Ok(s) => {
                                if errors == 0 {
                                    eprintln!("  a request answered {s}");
                                }
                                errors += 1;
                            }
                            Err(e) => return Err(e),
                        }
                        k += conns as u64;
                    }
                    Ok::<_, String>((lat, done, errors))
                }),
            ));
        }
    }
    let mut per: Vec<(Vec<Duration>, Vec<Instant>, u64)> = classes
        .iter()
        .map(|_| (Vec::new(), Vec::new(), 0))
        .collect();
    for (ci, h) in handles {
        let (lat, done, errors) = h.await?.map_err(|e| -> AnyError { e.into() })?;
        per[ci].0.extend(lat);
        per[ci].1.extend(done);
        per[ci].2 += errors;
    }
    let secs = time.as_secs_f64();
    Ok(classes
        .iter()
        .zip(per)
        .filter(|(c, _)| c.rate > 0.0)
        .map(|(c, (mut lat, mut done, errors))| {
            lat.sort();
            done.sort();
            let at = |q: f64| {
                lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
                    .copied()
                    .unwrap_or_default()
            };
            Outcome {
                name: c.name,
                offered: c.rate,
                due: (c.rate * secs).floor() as u64,
                answered: lat.len() as f64 / secs,
                errors,
                p50: at(0.5),
                p99: at(0.99),
                max: lat.last().copied().unwrap_or_default(),
                done_at: done,
            }
        })
        .collect())
}

/// The longest time no answer of a class came back, while requests were
/// due every `1 / rate` seconds.
fn longest_pause(done: &[Instant]) -> Duration {
    done.windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default()
}

fn get(path: &str, cookie: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\nCookie: tongyu_session={cookie}\r\n\r\n")
        .into_bytes()
}

fn post_json(path: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Settings of the peak benchmark.
pub struct PeakArgs {
    pub scale: String,
    pub pg: Option<String>,
    /// Seconds each step of the ladder runs.
    pub seconds: u64,
    /// Connections carrying heartbeats (pages get a quarter as many).
    pub clients: usize,
    /// Simulated parents, each with a browser session (as many as the
    /// scale has, at most); a step uses as many as its heartbeat rate
    /// takes at one heartbeat each `mix.heartbeat_s`.
    pub parents: usize,
    pub mix: Mix,
    /// Servers sharing the database (PostgreSQL only), each with its own
    /// connections, caches and writers, as `tongyu serve` instances are;
    /// the load is spread over them connection by connection.
    pub instances: usize,
}

/// The servers under load: connection `j` goes to `servers[j % len]`.
type Servers = Arc<Vec<std::net::SocketAddr>>;

fn server_for(servers: &Servers, j: usize) -> std::net::SocketAddr {
    servers[j % servers.len()]
}

pub(super) async fn peak(dir: &std::path::Path, a: &PeakArgs) -> Result<(), AnyError> {
    if a.instances > 1 && a.pg.is_none() {
        return Err("several instances share a database only on PostgreSQL: add --postgres".into());
    }
    let url = super::fresh_url(dir, &format!("peak_{}", a.scale), a.pg.as_deref()).await?;
    // Boards shared for a second, as `tongyu serve` runs them.
    let instance = || async {
        let app = super::open(&url).await?;
        Ok::<_, AnyError>(tongyu_service::App::new(
            app.db.clone(),
            app.clock.clone(),
            tongyu_service::Settings {
                board_snapshot_ms: tongyu_service::Settings::default().board_snapshot_ms,
                ..(*app.settings).clone()
            },
        ))
    };
    let app = instance().await?;
    eprintln!("generating the {} city for the peak benchmark...", a.scale);
    demo::generate(&app, DemoScale::parse(&a.scale)?, PW, &quiet).await?;
    let (campaign, lesson) = {
        let mut c = app.db.read().await?;
        let campaign = tongyu_store::learning::list_campaigns(&mut c)
            .await?
            .into_iter()
            .next()
            .ok_or("no campaign")?;
        let targets = tongyu_store::learning::targets_of_campaign(&mut c, campaign.id).await?;
        let lesson = targets
            .iter()
            .find(|t| t.grade.is_empty())
            .ok_or("no lesson for all")?
            .lesson_id;
        (campaign.id, lesson)
    };
    // Parents: the demo's parent-1, parent-2…, as many as the scale has.
    let guardians = app
        .db
        .query_i64("SELECT COUNT(*) FROM accounts WHERE username LIKE 'parent-%'")
        .await? as usize;
    let n = a.parents.min(guardians).max(1);
    eprintln!("signing in {n} simulated parents...");
    let mut parents: Vec<(String, String)> = Vec::with_capacity(n);
    for chunk in (1..=n).collect::<Vec<_>>().chunks(2_000) {
        let logins: Vec<String> = chunk.iter().map(|i| format!("parent-{i}")).collect();
        for s in tongyu_service::auth::open_sessions_unchecked(
            &app,
            &logins,
            tongyu_service::auth::SessionKind::Web,
        )
        .await?
        {
            parents.push((s.token, s.csrf));
        }
    }
    let parents = Arc::new(parents);
    // Staff: each leader's home and board.
    let origin = tongyu_service::Origin::default();
    let city = app
        .db
        .query_i64("SELECT id FROM units WHERE parent_id IS NULL")
        .await?;
    let d0 = app
        .db
        .query_i64(&format!(
            "SELECT MIN(id) FROM units WHERE parent_id = {city}"
        ))
        .await?;
    let mut staff: Vec<(String, String)> = Vec::new();
    for (user, pages) in [
        (
            "city-admin",
            vec![
                "/".to_owned(),
                format!("/campaigns/{campaign}/board/{city}"),
            ],
        ),
        (
            "district-admin",
            vec!["/".to_owned(), format!("/campaigns/{campaign}/board/{d0}")],
        ),
        ("school-admin", vec!["/".to_owned(), "/appeals".to_owned()]),
        ("head-teacher", vec!["/".to_owned()]),
    ] {
        let login = tongyu_service::auth::login(
            &app,
            &origin,
            user,
            PW,
            tongyu_service::auth::SessionKind::Web,
        )
        .await?;
        for p in pages {
            staff.push((login.token.clone(), p));
        }
    }
    let staff = Arc::new(staff);
    // A gate code for public appeals.
    let qr = {
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
            origin: origin.clone(),
            factor_at: 0,
        };
        let school = ctx
            .actor
            .grants
            .first()
            .ok_or("school-admin has no grant")?
            .unit_id;
        tongyu_service::appeal::school_codes(&app, &ctx, school)
            .await?
            .into_iter()
            .find(|c| c.kind == tongyu_domain::appeal::CodeKind::School)
            .ok_or("no school code")?
            .token
    };

    let config = tongyu_web::WebConfig {
        bench_routes: true,
        ..tongyu_web::WebConfig::default()
    };
    let state = tongyu_web::AppState::with_public_limits(
        app.clone(),
        config,
        tongyu_web::throttle::PublicLimits::unlimited(),
    );
    let mut apps = vec![app.clone()];
    for _ in 1..a.instances.max(1) {
        apps.push(instance().await?);
    }
    let mut addrs = Vec::new();
    let mut running = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        let state = if i == 0 {
            state.clone()
        } else {
            tongyu_web::AppState::with_public_limits(
                app.clone(),
                tongyu_web::WebConfig {
                    bench_routes: true,
                    ..tongyu_web::WebConfig::default()
                },
                tongyu_web::throttle::PublicLimits::unlimited(),
            )
        };
        let router = tongyu_web::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        addrs.push(listener.local_addr()?);
        // As `tongyu serve` runs it: the change feed followed, the log
        // checkpointed off the request path.
        running.push(tongyu_service::upkeep::start(
            app.clone(),
            std::time::Duration::from_secs(1),
        ));
        running.push(tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        }));
    }
    let servers: Servers = Arc::new(addrs);
    let addr = servers[0];

    // The baseline: the no-op POST, closed loop, as many connections.
    let tokens: Vec<String> = parents
        .iter()
        .cycle()
        .take(a.clients)
        .map(|(t, _)| t.clone())
        .collect();
    let mut noops = Vec::new();
    for _ in 0..3 {
        noops.push(load(addr, "/api/v1/bench/noop", &tokens, ROUND, lesson).await?);
    }
    let noop = Paired::median(noops);
    println!(
        "peak mix at {} scale: {n} parents signed in, {} heartbeat connections; per heartbeat {} page views, {} staff pages, {} public appeals; {} instance(s)",
        a.scale,
        a.clients,
        a.mix.pages,
        a.mix.staff,
        a.mix.appeals,
        servers.len()
    );
    println!("  no-op POST (same server, closed loop)  {noop:>8.0} req/s");

    pages_alone(&servers, &apps, a, &parents, lesson).await?;

    // Every parent has opened the lesson and reported once before the
    // ladder, as at a peak where most are in the middle of it: a first
    // report (the family started, its rollups) is one in twenty of a
    // 600 s lesson's, not every one.
    eprintln!("every parent reports once before the steps...");
    let warm_tokens: Vec<String> = (0..a.clients.max(1)).map(|i| i.to_string()).collect();
    let p = parents.clone();
    load_with_headers(&servers, &warm_tokens, parents.len() as u64, move |k| {
        heartbeat_request(&p, p.len() as u64, 0, k, lesson)
    })
    .await?;

    let step_time = Duration::from_secs(a.seconds.max(1));
    let mut best: Option<(f64, Vec<Outcome>, Duration)> = None;
    let mut first_failure: Option<(f64, Vec<Outcome>)> = None;
    // Steps of a twentieth of the no-op POST's rate.
    for step in 1..=20u32 {
        let rate = noop * f64::from(step) / 20.0;
        // A heartbeat each `heartbeat_s` per parent: as many parents as
        // that takes, or all there are (each then reports more often).
        let used = ((rate * a.mix.heartbeat_s) as usize).clamp(1, parents.len()) as u64;
        let classes = classes(
            rate,
            u64::from(step),
            used,
            a,
            &parents,
            &staff,
            &qr,
            lesson,
        );
        let outcomes = offer(&servers, &classes, step_time).await?;
        let pause = outcomes
            .iter()
            .find(|o| o.name == "heartbeat")
            .map(|o| longest_pause(&o.done_at))
            .unwrap_or_default();
        let ok = outcomes.iter().all(Outcome::meets_goal);
        println!(
            "  step {step:>2}: heartbeats offered {rate:>8.0}/s  {}  longest pause {:.1} ms",
            if ok { "ok" } else { "over the goal" },
            ms(pause)
        );
        for o in &outcomes {
            println!(
                "      {:<10} {:>8.1}/s of {:>8.1}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.1} ms{}",
                o.name,
                o.answered,
                o.offered,
                ms(o.p50),
                ms(o.p99),
                ms(o.max),
                if o.errors > 0 {
                    format!("  {} errors", o.errors)
                } else {
                    String::new()
                }
            );
        }
        if ok {
            best = Some((rate, outcomes, pause));
        } else {
            first_failure = Some((rate, outcomes));
            break;
        }
    }
    for r in running {
        r.abort();
    }
    match &best {
        Some((rate, outcomes, pause)) => {
            println!(
                "  highest heartbeat rate with every class at p99 <= 50 ms: {rate:.0}/s = {:.2} x the no-op POST (goal >= 0.50)",
                rate / noop
            );
            for o in outcomes {
                println!(
                    "    {:<10} {:>8.1}/s  p50 {:.2} ms  p99 {:.2} ms",
                    o.name,
                    o.answered,
                    ms(o.p50),
                    ms(o.p99)
                );
            }
            println!(
                "  longest write-path pause at that rate: {:.1} ms (goal <= 50 ms)",
                ms(*pause)
            );
        }
        None => println!(
            "  no step met the goal: even {:.0} heartbeats/s (a twentieth of the no-op POST) went over p99 50 ms",
            first_failure.as_ref().map_or(0.0, |f| f.0)
        ),
    }
    let rows = app
        .db
        .query_i64("SELECT COUNT(*) FROM lesson_progress")
        .await?;
    println!("  {rows} parent-lesson progress rows at the end");
    app.db.close().await;
    Ok(())
}

/// The `k`-th heartbeat of a step among `used` parents: the parent's next
/// 30 s of the 600 s lesson (`step` segments on from where it began).
fn heartbeat_request(
    parents: &[(String, String)],
    used: u64,
    step: u64,
    k: u64,
    lesson: i64,
) -> Vec<u8> {
    let (token, csrf) = &parents[(k % used) as usize];
    let from = ((step + k / used) * 30) % 600;
    post_json(
        "/api/v1/progress",
        &format!("Cookie: tongyu_session={token}\r\nX-CSRF-Token: {csrf}\r\n"),
        &format!(
            "{{\"lesson_id\":{lesson},\"segments\":[[{from},{}]]}}",
            from + 30
        ),
    )
}

/// Sends `total` requests made by `make(i)` over one connection per token,
/// as fast as they are answered (closed loop, not measured).
async fn load_with_headers(
    servers: &Servers,
    tokens: &[String],
    total: u64,
    make: impl Fn(u64) -> Vec<u8> + Clone + Send + Sync + 'static,
) -> Result<(), AnyError> {
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for j in 0..tokens.len() {
        let (make, sent) = (make.clone(), sent.clone());
        let addr = server_for(servers, j);
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await?;
            loop {
                let k = sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if k >= total {
                    break;
                }
                let status = c.call(&make(k)).await?;
                if !(200..300).contains(&status) {
                    return Err(format!("a warm-up report answered {status}"));
                }
            }
            Ok::<_, String>(())
        }));
    }
    for t in tasks {
        t.await?.map_err(|e| -> AnyError { e.into() })?;
    }
    Ok(())
}

/// A parent's pages against a static file, each alone in closed loop
/// over as many connections, in rounds taken in turn (medians): what a
/// page costs beyond answering at all. The home is measured twice: on a
/// first visit (each request a parent not seen before, while there are
/// some) and on a return (a thousand parents coming back), each with the
/// share of homes answered from the cache.
async fn pages_alone(
    servers: &Servers,
    apps: &[tongyu_service::App],
    a: &PeakArgs,
    parents: &Arc<Vec<(String, String)>>,
    lesson: i64,
) -> Result<(), AnyError> {
    let path_for = |path: String, among: usize| -> Make {
        let p = parents.clone();
        let among = among.clamp(1, p.len()) as u64;
        Arc::new(move |k| get(&path, &p[(k % among) as usize].0))
    };
    // A parent not seen before, across rounds too.
    let first = {
        let p = parents.clone();
        let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let make: Make = Arc::new(move |_| {
            let k = seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            get("/my", &p[(k % p.len() as u64) as usize].0)
        });
        make
    };
    let all = parents.len();
    let kinds: [(&str, Make, &str); 5] = [
        ("static file", path_for("/static/app.css".into(), all), ""),
        ("home /my, first", first, "  (goal >= 0.50)"),
        (
            "home /my, return",
            path_for("/my".into(), 1_000),
            "  (goal >= 0.50)",
        ),
        (
            "lesson page",
            path_for(format!("/lessons/{lesson}"), all),
            "  (goal >= 0.70)",
        ),
        ("classroom /learn", path_for("/learn".into(), all), ""),
    ];
    let homes = || -> (u64, u64) {
        apps.iter()
            .flat_map(|app| app.cache_stats())
            .filter(|s| s.name == "homes")
            .fold((0, 0), |(h, m), s| (h + s.hits, m + s.misses))
    };
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    let mut hits = vec![(0u64, 0u64); kinds.len()];
    for _ in 0..3 {
        for (i, (_, make, _)) in kinds.iter().enumerate() {
            let before = homes();
            rates[i].push(closed_loop(servers, a.clients, ROUND, make.clone()).await?);
            let after = homes();
            hits[i].0 += after.0 - before.0;
            hits[i].1 += after.1 - before.1;
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rates: Vec<f64> = rates.iter_mut().map(median).collect();
    println!("  pages alone (closed loop, {} connections):", a.clients);
    for (i, (name, _, goal)) in kinds.iter().enumerate() {
        let (h, m) = hits[i];
        let cached = if h + m > 0 {
            format!(
                ", homes from the cache {:.0}%",
                h as f64 * 100.0 / (h + m) as f64
            )
        } else {
            String::new()
        };
        println!(
            "    {name:<20} {:>8.0} req/s = {:.2} x the static file{goal}{cached}",
            rates[i],
            rates[i] / rates[0]
        );
    }
    Ok(())
}

/// Requests made by `make` over `conns` connections, each sent when the
/// last is answered, for `time`: the rate answered with 2xx.
async fn closed_loop(
    servers: &Servers,
    conns: usize,
    time: Duration,
    make: Make,
) -> Result<f64, AnyError> {
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for j in 0..conns.max(1) {
        let (make, next) = (make.clone(), next.clone());
        let addr = server_for(servers, j);
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await?;
            let mut ok = 0u64;
            while started.elapsed() < time {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let status = c.call(&make(k)).await?;
                if !(200..300).contains(&status) {
                    return Err(format!("a page answered {status}"));
                }
                ok += 1;
            }
            Ok::<u64, String>(ok)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await?.map_err(|e| -> AnyError { e.into() })?;
    }
    Ok(ok as f64 / started.elapsed().as_secs_f64())
}

/// The classes of one step, for a heartbeat rate.
#[allow(clippy::too_many_arguments)]
fn classes(
    rate: f64,
    step: u64,
    used: u64,
    a: &PeakArgs,
    parents: &Arc<Vec<(String, String)>>,
    staff: &Arc<Vec<(String, String)>>,
    qr: &str,
    lesson: i64,
) -> Vec<Class> {
    let p = parents.clone();
    let heartbeat: Make = Arc::new(move |k| heartbeat_request(&p, used, step, k, lesson));
    let p = parents.clone();
    let pages: Make = Arc::new(move |k| {
        let n = p.len() as u64;
        let (token, _) = &p[((k / 2) % n.min(used)) as usize];
        if k % 2 == 0 {
            get("/my", token)
        } else {
            get(&format!("/lessons/{lesson}"), token)
        }
    });
    let s = staff.clone();
    let staff_pages: Make = Arc::new(move |k| {
        let (token, path) = &s[(k % s.len() as u64) as usize];
        get(path, token)
    });
    let qr = qr.to_owned();
    let appeals: Make = Arc::new(move |k| {
        post_json(
            "/api/v1/public/appeals",
            "",
            &format!(
                "{{\"qr_token\":\"{qr}\",\"category\":\"teaching\",\"text\":\"希望学校增加课后服务的兴趣课程，第{k}次反映。\",\"contact_phone\":\"137{:08}\"}}",
                k % 100_000_000
            ),
        )
    });
    vec![
        Class {
            name: "heartbeat",
            rate,
            conns: a.clients,
            make: heartbeat,
        },
        Class {
            name: "page",
            rate: rate * a.mix.pages,
            conns: (a.clients / 4).max(1),
            make: pages,
        },
        Class {
            name: "staff",
            rate: rate * a.mix.staff,
            conns: 4,
            make: staff_pages,
        },
        Class {
            name: "appeal",
            rate: rate * a.mix.appeals,
            conns: 2,
            make: appeals,
        },
    ]
}
