//! The binary as an operator uses it: init, accounts, backup, audit verify,
//! and a demo that serves.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tongyu"));
    c.env_remove("TONGYU_DATABASE_URL").env("RUST_LOG", "warn");
    c
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tongyu-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .env("TONGYU_DATA_DIR", dir.join("data"))
        .args(args)
        .output()
        .expect("runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn init_accounts_backup_and_audit_verify() {
    let dir = tempdir("ops");
    let o = run(
        &dir,
        &[
            "init",
            "--city-name",
            "青岛市",
            "--password",
            "Harbor-Lights-2026",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已创建城市 青岛市"));
    let o = run(&dir, &["init", "--city-name", "青岛市"]);
    assert!(!o.status.success(), "a second city is refused");
    assert!(text(&o).contains("城市已经存在"), "{}", text(&o));

    let o = run(
        &dir,
        &[
            "account",
            "create",
            "--username",
            "auditor",
            "--display-name",
            "审计员",
            "--role",
            "audit_admin",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("初始密码："),
        "a password is made and shown once"
    );
    let o = run(
        &dir,
        &[
            "account",
            "create",
            "--username",
            "x",
            "--display-name",
            "某",
            "--role",
            "audit_admin",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("用户名长度"), "{}", text(&o));
    let o = run(&dir, &["account", "unlock", "--username", "city-admin"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&dir, &["account", "reset-password", "--username", "nobody"]);
    assert!(!o.status.success());

    let backup = dir.join("backup.db");
    let o = run(&dir, &["backup", "--out", backup.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(backup.metadata().expect("backup written").len() > 0);
    let o = run(&dir, &["backup", "--out", backup.to_str().expect("utf-8")]);
    assert!(!o.status.success(), "an existing file is never overwritten");

    let o = run(&dir, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("哈希链无断裂"));

    // The backup is a working database of its own.
    let o = bin()
        .current_dir(&dir)
        .env(
            "TONGYU_DATABASE_URL",
            format!("sqlite://{}", backup.display()),
        )
        .args(["audit", "verify"])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_data_key_is_replaced_and_everything_resealed() {
    let dir = tempdir("rotate");
    let o = run(
        &dir,
        &[
            "demo",
            "--scale",
            "tiny",
            "--no-serve",
            "--data-dir",
            "data",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let keys = dir.join("data").join("data.keys");
    let first = std::fs::read_to_string(&keys).expect("the demo made a key file");
    assert!(
        first.starts_with("1 ") && first.lines().count() == 1,
        "{first}"
    );

    let o = run(&dir, &["rotate-data-key"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("轮换完成"), "{}", text(&o));
    let out = text(&o);
    let resealed: i64 = out
        .split("账号手机号 ")
        .nth(1)
        .and_then(|r| r.split('，').next())
        .and_then(|n| n.trim().parse().ok())
        .expect("a count of accounts");
    assert!(resealed > 10, "{out}");
    let second = std::fs::read_to_string(&keys).expect("key file");
    assert!(
        second.starts_with("2 ") && second.lines().count() == 1,
        "{second}"
    );
    assert!(!second.contains(first.trim()), "the old key is gone");

    // The platform works on with the new key, and the rotation is in the
    // audit chain.
    let o = run(&dir, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&dir, &["rotate-data-key"]);
    assert!(
        o.status.success(),
        "a second rotation works too: {}",
        text(&o)
    );
    assert!(
        std::fs::read_to_string(&keys)
            .expect("keys")
            .starts_with("3 ")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_config_file_with_a_typo_is_reported() {
    let dir = tempdir("cfg");
    std::fs::write(dir.join("tongyu.toml"), "listne = \"127.0.0.1:9\"\n").expect("write");
    let o = run(&dir, &["migrate"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("配置文件"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_demo_serves_and_answers_health_and_login() {
    let dir = tempdir("demo");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    let mut child = bin()
        .current_dir(&dir)
        .args([
            "demo",
            "--scale",
            "tiny",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "--data-dir",
            dir.join("d").to_str().expect("utf-8"),
            "--demo-password",
            "Demo-Password-1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let mut ok = false;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Ok(resp) = http(port, "GET /healthz HTTP/1.0\r\n\r\n")
            && resp.starts_with("HTTP/1.0 200")
        {
            ok = true;
            break;
        }
    }
    let login = http(
        port,
        "POST /api/v1/auth/login HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 54\r\n\r\n{\"username\":\"city-admin\",\"password\":\"Demo-Password-1\"}",
    );
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(ok, "the demo answered /healthz; it printed:\n{stdout}");
    assert!(
        stdout.contains("city-admin") && stdout.contains("audit-admin"),
        "{stdout}"
    );
    let login = login.expect("login answered");
    assert!(
        login.starts_with("HTTP/1.0 200") && login.contains("\"token\""),
        "{login}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn http(port: u16, request: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    s.write_all(request.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// The database for a multi-instance test: a SQLite file, or a fresh
/// PostgreSQL schema when `TONGYU_TEST_DATABASE_URL` names a server.
fn shared_database(dir: &Path) -> String {
    match std::env::var("TONGYU_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(base) => {
            // A schema of its own per call: the tests of this file run in parallel.
            static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let schema = format!("cli_{}_{n}", std::process::id());
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let db = tongyu_store::Db::connect_raw(&base).await.expect("connect");
                db.execute_raw(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
                    .expect("drop");
                db.execute_raw(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("create");
                db.close().await;
            });
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}options=-c%20search_path%3D{schema}")
        }
        None => format!("sqlite://{}", dir.join("shared.db").display()),
    }
}

fn json_call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.0\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let resp = http(port, &req).expect("answer");
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

fn serve(url: &str, port: u16) -> Child {
    bin()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts")
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn two_instances_on_one_database_behave_as_one() {
    let dir = tempdir("pair");
    let url = shared_database(&dir);
    let o = bin()
        .args([
            "demo",
            "--scale",
            "tiny",
            "--no-serve",
            "--database-url",
            &url,
            "--demo-password",
            "Pair-Password-1",
        ])
        .output()
        .expect("demo");
    assert!(o.status.success(), "{}", text(&o));
    let (pa, pb) = {
        let a = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let b = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        (
            a.local_addr().expect("a").port(),
            b.local_addr().expect("b").port(),
        )
    };
    let _a = Kill(serve(&url, pa));
    let _b = Kill(serve(&url, pb));
    for port in [pa, pb] {
        for _ in 0..100 {
            if http(port, "GET /healthz HTTP/1.0\r\n\r\n")
                .is_ok_and(|r| r.starts_with("HTTP/1.0 200"))
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    // A session made on A works on B, and ends on both.
    let login = r#"{"username":"city-admin","password":"Pair-Password-1"}"#;
    let (s, v) = json_call(pa, "POST", "/api/v1/auth/login", None, login);
    assert_eq!(s, 200, "{v}");
    let token = v["token"].as_str().expect("token").to_owned();
    assert_eq!(json_call(pb, "GET", "/api/v1/me", Some(&token), "").0, 200);
    assert_eq!(
        json_call(pb, "POST", "/api/v1/auth/logout", Some(&token), "").0,
        204
    );
    assert_eq!(json_call(pa, "GET", "/api/v1/me", Some(&token), "").0, 401);
    // Failed logins count across instances: the fifth locks, wherever it lands.
    let bad = r#"{"username":"teacher","password":"not-the-password"}"#;
    for i in 0..4 {
        let port = if i % 2 == 0 { pa } else { pb };
        assert_eq!(
            json_call(port, "POST", "/api/v1/auth/login", None, bad).0,
            401
        );
    }
    assert_eq!(
        json_call(pa, "POST", "/api/v1/auth/login", None, bad).0,
        401
    );
    // Locked: the right password is refused too, answered like a wrong one.
    let good = r#"{"username":"teacher","password":"Pair-Password-1"}"#;
    let (s, v) = json_call(pb, "POST", "/api/v1/auth/login", None, good);
    assert_eq!((s, v["code"].as_str()), (401, Some("invalid_credentials")));
    // An administrator's second factor, set up on A, is given on B.
    let (_, v) = json_call(pa, "POST", "/api/v1/auth/login", None, login);
    assert_eq!(v["second_factor"], "setup", "{v}");
    let pending = v["token"].as_str().expect("token").to_owned();
    let (s, setup) = json_call(
        pa,
        "POST",
        "/api/v1/auth/second-factor/setup",
        Some(&pending),
        "",
    );
    assert_eq!(s, 201, "{setup}");
    let secret =
        tongyu_service::second_factor::from_base32(setup["secret"].as_str().expect("secret"))
            .expect("base32");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let code = tongyu_service::second_factor::code_at(
        &secret,
        tongyu_service::second_factor::step_of(now),
    );
    let (s, v) = json_call(
        pb,
        "POST",
        "/api/v1/auth/second-factor",
        Some(&pending),
        &format!(r#"{{"code":"{code}"}}"#),
    );
    assert_eq!(s, 200, "{v}");
    // Writes from both at once keep one unbroken audit chain.
    let token = v["token"].as_str().expect("token").to_owned();
    let (_, city) = json_call(pa, "GET", "/api/v1/units", Some(&token), "");
    let city = city["items"][0]["id"].as_i64().expect("city");
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let token = token.clone();
            std::thread::spawn(move || {
                let port = if i % 2 == 0 { pa } else { pb };
                let body = format!(r#"{{"name":"并发新区{i}"}}"#);
                json_call(
                    port,
                    "POST",
                    &format!("/api/v1/units/{city}/children"),
                    Some(&token),
                    &body,
                )
                .0
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread"), 201);
    }
    // An import started on A is followed on B.
    let csv = "外部编号,名称,类型,上级外部编号,学段\npair-d,并发区,区(市),,\n";
    let req = format!(
        "POST /api/v1/imports?kind=units HTTP/1.0\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{csv}",
        csv.len()
    );
    let resp = http(pa, &req).expect("import answered");
    assert!(resp.starts_with("HTTP/1.0 202"), "{resp}");
    let job: serde_json::Value =
        serde_json::from_str(resp.split_once("\r\n\r\n").map_or("", |(_, b)| b)).expect("json");
    let id = job["id"].as_i64().expect("job id");
    let mut status = String::new();
    for _ in 0..100 {
        let (_, v) = json_call(
            pb,
            "GET",
            &format!("/api/v1/imports/{id}"),
            Some(&token),
            "",
        );
        status = v["status"].as_str().unwrap_or("").to_owned();
        if status == "done" {
            assert_eq!(v["created"], 1);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        status, "done",
        "the job's outcome is visible on the other instance"
    );
    let o = bin()
        .args(["audit", "verify"])
        .env("TONGYU_DATABASE_URL", &url)
        .output()
        .expect("verify");
    assert!(o.status.success(), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn import_and_export_from_the_command_line() {
    let dir = tempdir("import");
    let o = run(
        &dir,
        &[
            "init",
            "--city-name",
            "青岛市",
            "--password",
            "Harbor-Lights-2026",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let units = dir.join("units.csv");
    std::fs::write(&units, "外部编号,名称,类型,上级外部编号,学段\nd-sn,市南区,区(市),,\ns-1,八大关街道,镇(街),d-sn,\nsch-1,八大关小学,学校,s-1,小学\n").expect("write");
    let o = run(
        &dir,
        &[
            "import",
            "--kind",
            "units",
            "--file",
            units.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("新增 3"), "{}", text(&o));
    let o = run(
        &dir,
        &[
            "import",
            "--kind",
            "units",
            "--file",
            units.to_str().expect("utf-8"),
        ],
    );
    assert!(
        text(&o).contains("未变 3"),
        "importing again changes nothing: {}",
        text(&o)
    );
    let classes = dir.join("classes.csv");
    std::fs::write(
        &classes,
        "外部编号,学校外部编号,年级,班级名称\nc-1,sch-1,P1,一年级1班\nc-2,sch-1,J1,初一1班\n",
    )
    .expect("write");
    let o = run(
        &dir,
        &[
            "import",
            "--kind",
            "classes",
            "--file",
            classes.to_str().expect("utf-8"),
        ],
    );
    assert!(
        !o.status.success(),
        "a primary school has no junior classes"
    );
    assert!(
        text(&o).contains("第 3 行") && text(&o).contains("没有初中学段"),
        "{}",
        text(&o)
    );
    let teachers = dir.join("teachers.csv");
    std::fs::write(
        &teachers,
        "工号,姓名,角色,单位外部编号\nT1,王老师,学校管理员,sch-1\n",
    )
    .expect("write");
    let passwords = dir.join("pw.xlsx");
    let o = run(
        &dir,
        &[
            "import",
            "--kind",
            "teachers",
            "--file",
            teachers.to_str().expect("utf-8"),
            "--passwords-out",
            passwords.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(passwords.exists(), "first passwords written");
    let out = dir.join("units.xlsx");
    let o = run(
        &dir,
        &[
            "export",
            "--kind",
            "units",
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let table =
        tongyu_service::sheet::read_table(&std::fs::read(&out).expect("read")).expect("workbook");
    let names: Vec<&str> = table.rows.iter().map(|(_, r)| r[3].as_str()).collect();
    assert_eq!(names, vec!["青岛市", "市南区", "八大关街道", "八大关小学"]);
    assert_eq!(table.rows[0].1[11], "0", "no students yet");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The lesson for every parent in the demo's campaign, and a parent's covered seconds of it.
fn covered(port: u16, token: &str) -> (i64, i64) {
    let (s, v) = json_call(port, "GET", "/api/v1/me/lessons", Some(token), "");
    assert_eq!(s, 200, "{v}");
    let l = &v["children"][0]["lessons"][0];
    (
        l["lesson_id"].as_i64().expect("lesson"),
        l["covered_s"].as_i64().expect("covered"),
    )
}

#[test]
fn every_acknowledged_progress_report_survives_a_kill() {
    let dir = tempdir("kill");
    let url = shared_database(&dir);
    let o = bin()
        .args([
            "demo",
            "--scale",
            "tiny",
            "--no-serve",
            "--database-url",
            &url,
            "--demo-password",
            "Kill-Password-1",
        ])
        .output()
        .expect("demo");
    assert!(o.status.success(), "{}", text(&o));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let up = |port: u16| {
        for _ in 0..100 {
            if http(port, "GET /healthz HTTP/1.0\r\n\r\n")
                .is_ok_and(|r| r.starts_with("HTTP/1.0 200"))
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the server did not come up");
    };
    let mut server = Kill(serve(&url, port));
    up(port);
    let parents: Vec<String> = (1..=8)
        .map(|i| {
            let body = format!(r#"{{"username":"139{i:08}","password":"Kill-Password-1"}}"#);
            let (s, v) = json_call(port, "POST", "/api/v1/auth/login", None, &body);
            assert_eq!(s, 200, "{v}");
            v["token"].as_str().expect("token").to_owned()
        })
        .collect();
    let (lesson, _) = covered(port, &parents[0]);
    // Each parent reports ten more seconds at a time until the server dies;
    // the largest covered figure each was told is what must survive.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = parents
        .iter()
        .cloned()
        .map(|token| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut acked = 0i64;
                let mut from = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && from < 600 {
                    let body = format!(r#"{{"lesson_id":{lesson},"segments":[[{from},{}]]}}"#, from + 10);
                    let req = format!(
                        "POST /api/v1/progress HTTP/1.0\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    match http(port, &req) {
                        Ok(r) if r.starts_with("HTTP/1.0 200") => {
                            let v: serde_json::Value =
                                serde_json::from_str(r.split_once("\r\n\r\n").map_or("", |(_, b)| b)).unwrap_or_default();
                            acked = acked.max(v["covered_s"].as_i64().unwrap_or(0));
                            from += 10;
                        }
                        _ => break,
                    }
                }
                (token, acked)
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(700));
    // SIGKILL: no graceful shutdown, no flush.
    let _ = server.0.kill();
    let _ = server.0.wait();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acked: Vec<(String, i64)> = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .collect();
    assert!(
        acked.iter().any(|(_, a)| *a > 0),
        "some reports were acknowledged before the kill"
    );
    let _again = Kill(serve(&url, port));
    up(port);
    for (token, promised) in &acked {
        let (_, stored) = covered(port, token);
        assert!(
            stored >= *promised,
            "acknowledged {promised} s, found {stored} s after the restart"
        );
    }
    let o = bin()
        .args(["audit", "verify"])
        .env("TONGYU_DATABASE_URL", &url)
        .output()
        .expect("verify");
    assert!(o.status.success(), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database of its own for the restore drill: on PostgreSQL a whole new
/// database on the test server (a backup and restore work on databases,
/// not schemas), on SQLite a file. Returns its URL and how to wipe it.
fn drill_database(dir: &Path) -> (String, Box<dyn Fn()>) {
    let Some(base) = std::env::var("TONGYU_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        let file = dir.join("drill.db");
        let url = format!("sqlite://{}", file.display());
        let wipe = move || {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        };
        return (url, Box::new(wipe));
    };
    let name = format!("tongyu_drill_{}", std::process::id());
    let (prefix, _) = base.rsplit_once('/').expect("a database URL");
    let url = format!("{prefix}/{name}");
    let admin = base.clone();
    let recreate = move |create: bool| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let name = name.clone();
        let admin = admin.clone();
        rt.block_on(async move {
            let db = tongyu_store::Db::connect_raw(&admin)
                .await
                .expect("connect");
            db.execute_raw(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .expect("drop");
            if create {
                db.execute_raw(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create");
            }
            db.close().await;
        });
    };
    recreate(true);
    (url, Box::new(move || recreate(true)))
}

fn count(url: &str, sql: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let db = tongyu_store::Db::connect_raw(url).await.expect("connect");
        let n = db.query_i64(sql).await.expect("count");
        db.close().await;
        n
    })
}

#[test]
fn a_backup_restores_into_an_empty_database_with_its_audit_chain() {
    let dir = tempdir("drill");
    let (url, wipe) = drill_database(&dir);
    let with_url = |args: &[&str]| {
        bin()
            .current_dir(&dir)
            .env("TONGYU_DATA_DIR", dir.join("data"))
            .env("TONGYU_DATABASE_URL", &url)
            .args(args)
            .output()
            .expect("runs")
    };
    let o = with_url(&[
        "demo",
        "--scale",
        "tiny",
        "--no-serve",
        "--database-url",
        &url,
        "--demo-password",
        "Drill-Password-1",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let accounts = count(&url, "SELECT COUNT(*) FROM accounts");
    let entries = count(&url, "SELECT COUNT(*) FROM audit_log");
    assert!(accounts > 10 && entries > 0);
    let backup = dir.join("drill.backup");
    let o = with_url(&["backup", "--out", backup.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", text(&o));
    // Into a database that still holds data: refused.
    let o = with_url(&["restore", "--from", backup.to_str().expect("utf-8")]);
    assert!(!o.status.success(), "{}", text(&o));
    // The disaster: the database is gone.
    wipe();
    let o = with_url(&["restore", "--from", backup.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("哈希链无断裂"), "{}", text(&o));
    assert_eq!(count(&url, "SELECT COUNT(*) FROM accounts"), accounts);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM audit_log"), entries);
    let o = with_url(&["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // Restored with another key (a lost key file): the chain says so.
    wipe();
    let o = bin()
        .current_dir(&dir)
        .env("TONGYU_DATA_DIR", dir.join("other-data"))
        .env("TONGYU_DATABASE_URL", &url)
        .args(["restore", "--from", backup.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(text(&o).contains("密钥"), "{}", text(&o));
    wipe();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The peak benchmark runs end to end at the tiny scale, a second a step,
/// so that it cannot rot; what it measures is not judged here. On
/// PostgreSQL it runs two instances sharing the database.
#[test]
fn the_peak_benchmark_runs_at_tiny_scale() {
    let dir = tempdir("peak");
    let pg = std::env::var("TONGYU_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let mut args = vec![
        "bench",
        "--which",
        "peak",
        "--large",
        "tiny",
        "--seconds",
        "1",
        "--clients",
        "8",
        "--parents",
        "50",
    ];
    if let Some(url) = &pg {
        args.extend(["--postgres", url.as_str(), "--instances", "2"]);
    }
    let o = run(&dir, &args);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let instances = if pg.is_some() { 2 } else { 1 };
    assert!(out.contains(&format!("{instances} instance(s)")), "{out}");
    assert!(
        out.contains("no-op POST (same server, closed loop)"),
        "{out}"
    );
    // Each parent page measured alone against the static file.
    for page in [
        "static file",
        "home /my, first",
        "home /my, return",
        "lesson page",
        "classroom /learn",
    ] {
        assert!(
            out.lines()
                .any(|l| l.contains(page) && l.contains("x the static file")),
            "{page} alone:\n{out}"
        );
    }
    assert!(
        out.lines()
            .any(|l| l.contains("home /my, return") && l.contains("homes from the cache")),
        "{out}"
    );
    let step = out
        .lines()
        .skip_while(|l| !l.contains("step  1:"))
        .take(5)
        .collect::<Vec<_>>()
        .join("\n");
    for class in ["heartbeat", "page", "staff", "appeal"] {
        assert!(step.contains(class), "step 1 offers {class}:\n{out}");
    }
    assert!(
        !step.contains("errors"),
        "every request answered 2xx:\n{out}"
    );
    let rows: i64 = out
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_suffix(" parent-lesson progress rows at the end")
        })
        .and_then(|n| n.trim().parse().ok())
        .expect("the progress rows are reported");
    assert!(rows > 0, "heartbeats were stored:\n{out}");
}
