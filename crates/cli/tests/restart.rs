//! PostgreSQL restarts under load: parents keep reporting progress while
//! the database server restarts. Every answer is a success or a 503 with a
//! stable code and `Retry-After` (never a 500), the server recovers by
//! itself, and nothing acknowledged is lost.
//!
//! It restarts the machine's PostgreSQL, so nothing else may use it at the
//! same time: it runs with `--features pg-restart-tests` as a step of its
//! own in `.ci/run`, after the suite on PostgreSQL.
#![cfg(feature = "pg-restart-tests")]

use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(port: u16, request: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(request.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// (status, Retry-After, body as JSON)
fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, bool, serde_json::Value) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.0\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let Ok(resp) = http(port, &req) else {
        return (0, false, serde_json::Value::Null);
    };
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let retry = head.to_ascii_lowercase().contains("retry-after:");
    (
        status,
        retry,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

fn pg(sql: &str, base: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let db = tongyu_store::Db::connect_raw(base).await.expect("connect");
        db.execute_raw(sql).await.expect("sql");
        db.close().await;
    });
}

/// `pg_ctlcluster ACTION` on the machine's cluster (restart, stop, start).
fn postgres(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("a PostgreSQL cluster on this machine")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .expect("a version");
    let o = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", action])
        .output()
        .expect("pg_ctlcluster");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_database_restart_under_load_answers_503_and_loses_nothing_acknowledged() {
    let base = std::env::var("TONGYU_TEST_DATABASE_URL")
        .expect("this test runs from .ci/run with TONGYU_TEST_DATABASE_URL set");
    let name = format!("tongyu_restart_{}", std::process::id());
    pg(
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        &base,
    );
    pg(&format!("CREATE DATABASE {name}"), &base);
    let url = format!("{}/{name}", base.rsplit_once('/').expect("url").0);
    let dir = std::env::temp_dir().join(format!("tongyu-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let tongyu = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tongyu"));
        c.env("TONGYU_DATA_DIR", &dir).env("RUST_LOG", "warn");
        c
    };
    let o = tongyu()
        .args([
            "demo",
            "--scale",
            "tiny",
            "--no-serve",
            "--database-url",
            &url,
        ])
        .args(["--demo-password", "Restart-Password-1"])
        .output()
        .expect("demo");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let _server = Kill(
        tongyu()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("TONGYU_DATABASE_URL", &url)
            .spawn()
            .expect("serve"),
    );
    for _ in 0..100 {
        if call(port, "GET", "/healthz", None, "").0 == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let parents: Vec<String> = (1..=6)
        .map(|i| {
            let body = format!(r#"{{"username":"139{i:08}","password":"Restart-Password-1"}}"#);
            let (s, _, v) = call(port, "POST", "/api/v1/auth/login", None, &body);
            assert_eq!(s, 200, "{v}");
            v["token"].as_str().expect("token").to_owned()
        })
        .collect();
    let (_, _, mine) = call(port, "GET", "/api/v1/me/lessons", Some(&parents[0]), "");
    let lesson = mine["children"][0]["lessons"][0]["lesson_id"]
        .as_i64()
        .expect("lesson");
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = parents
        .iter()
        .cloned()
        .map(|token| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let (mut acked, mut from, mut unavailable) = (0i64, 0i64, 0usize);
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let body = format!(
                        r#"{{"lesson_id":{lesson},"segments":[[{from},{}]]}}"#,
                        from + 5
                    );
                    let (s, retry, v) = call(port, "POST", "/api/v1/progress", Some(&token), &body);
                    match s {
                        200 => {
                            acked = acked.max(v["covered_s"].as_i64().unwrap_or(0));
                            from = (from + 5) % 590;
                        }
                        503 => {
                            assert!(retry, "a 503 says when to come back");
                            assert_eq!(v["code"], "unavailable", "{v}");
                            unavailable += 1;
                        }
                        other => seen.push((other, v.to_string())),
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                (token, acked, seen, unavailable)
            })
        })
        .collect();
    let back_to_normal = || {
        for _ in 0..100 {
            if call(port, "GET", "/healthz", None, "").0 == 200 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    };
    std::thread::sleep(Duration::from_secs(2));
    // A restart under load: a request may wait for it or answer 503.
    let began = Instant::now();
    postgres("restart");
    let restart_took = began.elapsed();
    assert!(back_to_normal(), "the server recovers by itself");
    std::thread::sleep(Duration::from_secs(2));
    // The database down for longer than a request waits: a 503 that says
    // when to come back, whatever the request.
    postgres("stop");
    std::thread::sleep(Duration::from_secs(1));
    let body = format!(r#"{{"lesson_id":{lesson},"segments":[[0,5]]}}"#);
    let (s, retry, v) = call(port, "POST", "/api/v1/progress", Some(&parents[0]), &body);
    postgres("start");
    assert_eq!(
        (s, retry, v["code"].as_str()),
        (503, true, Some("unavailable")),
        "{v}"
    );
    assert!(back_to_normal(), "the server recovers by itself");
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    let mut unavailable = 0;
    for w in workers {
        let (token, acked, seen, n) = w.join().expect("worker");
        unavailable += n;
        assert!(seen.is_empty(), "only 200 and 503 answers: {seen:?}");
        let (s, _, mine) = call(port, "GET", "/api/v1/me/lessons", Some(&token), "");
        assert_eq!(s, 200);
        let covered = mine["children"][0]["lessons"][0]["covered_s"]
            .as_i64()
            .expect("covered");
        assert!(covered >= acked, "acknowledged {acked}, kept {covered}");
    }
    eprintln!(
        "PostgreSQL restarted in {restart_took:?}, then stopped for a while; {unavailable} answers under load were 503"
    );
    drop(_server);
    pg(
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        &base,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
