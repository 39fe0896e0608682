//! The binary as an operator uses it: init, accounts, backup, audit verify,
//! and a demo that serves.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
