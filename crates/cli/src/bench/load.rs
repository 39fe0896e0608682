//! How the benchmarks measure: clients posting in a loop against the real
//! server over loopback, paired rounds against the no-op POST, page times.

use super::*;

/// Sends POSTs on one keep-alive connection until the deadline; counts the
/// 2xx answers. `body(i)` makes the i-th body.
pub(super) async fn post_loop(
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
pub(super) fn report_body(lesson: i64, i: u64) -> String {
    let from = (i * 10) % 600;
    format!(
        "{{\"lesson_id\":{lesson},\"segments\":[[{from},{}]]}}",
        from + 10
    )
}

/// Runs one connection per token for `time`, posting progress reports;
/// returns 2xx answers per second.
pub(super) async fn load(
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
pub(super) async fn load_with(
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

/// A round of a paired measurement: the no-op load and the measured load
/// take turns a second at a time, so both see the machine as it was. A
/// shared machine's speed drifts by a quarter for seconds at a time, more
/// than the difference being measured, and a round of several seconds may
/// catch a slow spell on one side only.
pub(super) const ROUND: Duration = Duration::from_secs(1);

/// Per-round rates, (no-op, measured), and the median of the rounds' ratios.
pub(super) struct Paired {
    pub(super) rounds: Vec<(f64, f64)>,
}

impl Paired {
    pub(super) fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    }
    pub(super) fn noop(&self) -> f64 {
        Self::median(self.rounds.iter().map(|r| r.0).collect())
    }
    pub(super) fn measured(&self) -> f64 {
        Self::median(self.rounds.iter().map(|r| r.1).collect())
    }
    pub(super) fn ratio(&self) -> f64 {
        Self::median(
            self.rounds
                .iter()
                .map(|(n, m)| if *n > 0.0 { m / n } else { 0.0 })
                .collect(),
        )
    }
    /// The lowest and highest of the rounds, as "low-high".
    pub(super) fn range(&self, pick: impl Fn(&(f64, f64)) -> f64, precision: usize) -> String {
        let v: Vec<f64> = self.rounds.iter().map(pick).collect();
        let low = v.iter().copied().fold(f64::INFINITY, f64::min);
        let high = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{low:.precision$}-{high:.precision$}")
    }
    /// The three lines every throughput benchmark prints.
    pub(super) fn print(&self, measured: &str, stored: &str, ratio: &str, goal: &str) {
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

/// Times a page for a signed-in user; returns (median, p95, size in bytes).
pub(super) async fn page_times(
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
