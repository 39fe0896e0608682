//! A real browser: headless Chromium, driven over WebDriver, signs in as a
//! district administrator on a phone-sized window and drills down the tree.
//! Runs with `--features browser-tests` (from `.ci/run`, which installs
//! Chromium and its driver).
#![cfg(feature = "browser-tests")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const PW: &str = "Browser-Check-2026";

/// Kills a child process when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

/// One HTTP/1.1 exchange with a local server; returns (status, body).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    // Read the head, then exactly the body its Content-Length announces (a
    // server may keep the connection open), or to the end without one.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut buf).expect("read");
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    loop {
        if length.is_some_and(|n| raw.len() - head_end >= n) {
            break;
        }
        let n = s.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&raw[head_end..]).into_owned();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(&body)
    } else {
        body
    };
    (status, body)
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&tail[..n.min(tail.len())]);
        rest = tail.get(n + 2..).unwrap_or("");
    }
    out
}

struct Driver {
    port: u16,
    session: String,
}

impl Driver {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, text) = http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        );
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status == 200, "WebDriver {method} {path}: {status} {text}");
        v["value"].clone()
    }
    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }
    fn find(&self, using: &str, value: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({ "using": using, "value": value })),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element id")
            .to_owned()
    }
    fn type_into(&self, css: &str, text: &str) {
        let e = self.find("css selector", css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }
    fn click(&self, using: &str, value: &str) {
        let e = self.find(using, value);
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})));
    }
    fn url(&self) -> String {
        self.call("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
    fn source(&self) -> String {
        self.call("GET", "/source", None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
    /// The page once it contains `text` (a click's navigation may still be
    /// under way when the click returns); fails after ten seconds.
    fn wait_for(&self, text: &str) -> String {
        let mut page = String::new();
        for _ in 0..100 {
            page = self.source();
            if page.contains(text) {
                return page;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the page never showed “{text}”:\n{page}");
    }
    /// Runs a script that answers through the callback WebDriver passes as
    /// its last argument.
    fn script_async(&self, js: &str) -> Value {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": js, "args": [] })),
        )
    }
    fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": js, "args": [] })),
        )
    }
}

#[test]
fn a_district_administrator_signs_in_and_drills_down_on_a_phone() {
    let dir = std::env::temp_dir().join(format!("tongyu-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app_port = free_port();
    let _app = Guard(
        Command::new(env!("CARGO_BIN_EXE_tongyu"))
            .args([
                "demo",
                "--scale",
                "tiny",
                "--listen",
                &format!("127.0.0.1:{app_port}"),
                "--demo-password",
                PW,
            ])
            .args(["--data-dir", dir.to_str().expect("utf-8")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("tongyu starts"),
    );
    let driver_port = free_port();
    let _driver = Guard(
        Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium chromium-driver)"),
    );
    for _ in 0..100 {
        let up = |p: u16, path: &str| {
            TcpStream::connect(("127.0.0.1", p)).is_ok() && http(p, "GET", path, None).0 == 200
        };
        if up(app_port, "/healthz") && up(driver_port, "/status") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = dir.join("chromium-profile");
    let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required",
                 format!("--user-data-dir={}", profile.display())],
        // A phone: 390 CSS pixels wide, as most parents' screens are.
        "mobileEmulation": { "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2 } }
    } } } });
    let (status, text) = http(driver_port, "POST", "/session", Some(&caps));
    assert_eq!(status, 200, "new session: {text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    let d = Driver {
        port: driver_port,
        session: v["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned(),
    };
    let base = format!("http://127.0.0.1:{app_port}");

    // A visitor is sent to the login page.
    d.go(&format!("{base}/"));
    assert!(d.url().contains("/login"), "{}", d.url());
    assert!(d.source().contains("用户名或手机号"));
    // A wrong password gets a Chinese message.
    d.type_into("input[name=username]", "district-admin");
    d.type_into("input[name=password]", "wrong-password!");
    d.click("css selector", "button[type=submit]");
    d.wait_for("用户名或密码不正确");
    // The right one asks for the second factor, set up here and now, then
    // leads home: the to-do list, which fits the phone; the district is one
    // tap away.
    d.type_into("input[name=password]", PW);
    d.click("css selector", "button[type=submit]");
    give_second_factor(&d, "district-admin");
    d.wait_for("待办");
    fits(&d, "home");
    d.click("link text", "组织机构");
    let page = d.wait_for("八大关街道");
    assert!(page.contains("市南区"), "{page}");
    assert!(!page.contains("市北区"), "another district is not shown");
    assert!(d.url().contains("/org/"));
    // Nothing is wider than the phone.
    let width = d
        .script("return document.documentElement.scrollWidth")
        .as_i64()
        .expect("width");
    let viewport = d
        .script("return window.innerWidth")
        .as_i64()
        .expect("viewport");
    let widest = d.script(
        "let w = null; for (const e of document.querySelectorAll('body *')) { const r = e.getBoundingClientRect(); \
         if (r.right > window.innerWidth + 1 && (!w || r.right > w.r)) w = { r: r.right, t: e.tagName + '.' + e.className }; } \
         return w ? w.t + ' ' + w.r : '';",
    );
    save_screenshot(&d, "district");
    assert_eq!(viewport, 390, "the phone-sized viewport");
    assert!(
        width <= viewport,
        "the page is {width}px wide on a {viewport}px screen; widest: {widest}"
    );
    // Drill down: subdistrict → school → grade.
    d.click("link text", "八大关街道");
    d.wait_for("八大关第1幼儿园");
    d.click("link text", "八大关第1幼儿园");
    let page = d.wait_for("人员与账号");
    assert!(page.contains("小班"), "{page}");
    d.click("link text", "小班");
    d.wait_for("小班1班");
    save_screenshot(&d, "grade");
    // Every other page fits the phone too.
    d.click("link text", "小班1班");
    d.wait_for("学生与家长");
    d.click("link text", "学生与家长");
    d.wait_for("家长邀请码");
    fits(&d, "class roster");
    d.click("css selector", "form[action$='/invite'] button");
    let page = d.wait_for("有效期至");
    assert!(page.contains("<svg"), "the invite QR code is drawn");
    fits(&d, "invite");
    save_screenshot(&d, "class");
    for (path, marker) in [
        ("/org", "组织机构"),
        ("/imports", "批量导入"),
        ("/me", "我的角色"),
        ("/password", "修改密码"),
        ("/delivery", "家庭教育必修课"),
    ] {
        d.go(&format!("{base}{path}"));
        d.wait_for(marker);
        fits(&d, path);
    }
    d.go(&format!("{base}/org"));
    d.click("link text", "人员与账号");
    d.wait_for("新建账号");
    fits(&d, "people");
    save_screenshot(&d, "people");

    // The district's required-course compliance, flagged classes first.
    d.go(&format!("{base}/delivery"));
    d.click("css selector", "a[href^='/delivery/compliance/']");
    d.wait_for("尚缺安排");
    fits(&d, "delivery compliance");

    // A parent browses the library: the mental health shelf, a course
    // kept among favourites, a lesson played, left and resumed.
    switch_user(&d, "parent");
    d.go(&format!("{base}/library"));
    d.wait_for("课程库");
    fits(&d, "library");
    d.click("link text", "心理健康");
    d.wait_for("读懂孩子的情绪");
    d.click("link text", "读懂孩子的情绪");
    d.wait_for("课程目录");
    fits(&d, "library course");
    d.click("css selector", "button[aria-pressed='false']");
    d.wait_for("已收藏");
    d.click("link text", "孩子发脾气时，先接住情绪");
    d.wait_for("按实际播放计算");
    let shelf_lesson = d.url();
    d.script("document.getElementById('player').play(); return true;");
    std::thread::sleep(Duration::from_secs(3));
    d.script("document.getElementById('player').pause(); return true;");
    let mut covered = 0;
    for _ in 0..50 {
        let v = d.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": "const done = arguments[arguments.length - 1]; \
                fetch('/api/v1/me/continue', {credentials: 'same-origin'}).then(r => r.json()) \
                .then(j => done(j.items.length ? j.items[0].covered_s : 0)).catch(() => done(-1));", "args": [] })),
        );
        covered = v.as_i64().unwrap_or(0);
        if covered > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        (1..=10).contains(&covered),
        "three seconds of the library lesson were recorded as {covered} s"
    );
    d.go(&format!("{base}/library/favourites"));
    d.wait_for("读懂孩子的情绪");
    d.go(&shelf_lesson);
    d.wait_for("从上次停下的");

    // A parent plays the first lesson; what was played reaches the server.
    d.go(&format!("{base}/learn"));
    d.wait_for("全学段：新学年，和孩子一起出发");
    fits(&d, "learn");
    save_screenshot(&d, "learn");
    d.click("link text", "全学段：新学年，和孩子一起出发");
    d.wait_for("按实际播放计算");
    fits(&d, "lesson");
    d.script("document.getElementById('player').play(); return true;");
    std::thread::sleep(Duration::from_secs(3));
    d.script("document.getElementById('player').pause(); return true;");
    let mut covered = 0;
    for _ in 0..50 {
        let v = d.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": "const done = arguments[arguments.length - 1]; \
                fetch('/api/v1/me/lessons', {credentials: 'same-origin'}).then(r => r.json()) \
                .then(j => done(j.children[0].lessons[0].covered_s)).catch(() => done(-1));", "args": [] })),
        );
        covered = v.as_i64().unwrap_or(0);
        if covered > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        (1..=10).contains(&covered),
        "three seconds of playback were recorded as {covered} s"
    );
    save_screenshot(&d, "lesson");
    // Left and opened again, the lesson goes on where it stopped, in an
    // audio player (the demo lesson is sound).
    let here = d.url();
    d.go(&format!("{base}/my"));
    d.wait_for("家长课堂（必修课）");
    d.go(&here);
    d.wait_for("按实际播放计算");
    assert_eq!(
        d.script("return document.getElementById('player').tagName"),
        json!("AUDIO")
    );
    let mut at = 0.0;
    for _ in 0..50 {
        at = d
            .script("return document.getElementById('player').currentTime")
            .as_f64()
            .unwrap_or(0.0);
        if at > 0.5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(at > 0.5, "resumed at {at} s, not from the start");
    // The parent's coming session of the required course.
    d.go(&format!("{base}/my"));
    d.wait_for("家长课堂（必修课）");
    fits(&d, "my");
    d.click("css selector", "a[href^='/sessions/']");
    d.wait_for("家庭教育必修课 · 为");
    fits(&d, "parent's session");

    // The head teacher's session sheet: QR code, five steps, attendance.
    switch_user(&d, "head-teacher");
    d.go(&format!("{base}/delivery"));
    d.click("css selector", "a[href^='/delivery/classes/']");
    d.wait_for("课程安排");
    fits(&d, "class plan");
    d.click("css selector", "a[href^='/delivery/sessions/']");
    let page = d.wait_for("五步教学记录");
    assert!(page.contains("<svg"), "the check-in QR code is drawn");
    fits(&d, "session sheet");
    save_screenshot(&d, "session");

    // The school's inbox and posters; then a parent scans the school's
    // code, writes without an account and gets a tracking code.
    switch_user(&d, "school-admin");
    d.go(&format!("{base}/appeals"));
    let page = d.wait_for("诉求办理");
    assert!(page.contains("校园安全"), "the demo appeals are listed");
    fits(&d, "appeal inbox");
    d.click("css selector", "a[href^='/appeals/posters/']");
    let page = d.wait_for("校门二维码海报");
    assert!(page.contains("<svg"), "the gate codes are drawn");
    poster_png(&d);
    let start = page
        .find(&format!("{base}/q/"))
        .expect("the school code's address");
    let url: String = page[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<')
        .collect();
    d.click("css selector", "form[action='/logout'] button");
    d.wait_for("家长首次使用");
    d.go(&url);
    d.wait_for("我已知晓");
    fits(&d, "public appeal form");
    d.click("css selector", "input[name=category][value=food]");
    d.type_into(
        "textarea[name=text]",
        "食堂饭菜偏咸，孩子回家说经常吃不饱，希望学校改进。",
    );
    d.click("css selector", "input[name=consent]");
    d.click("css selector", "button[type=submit]");
    let page = d.wait_for("已收到您的诉求");
    assert!(page.contains("tracking-code"), "{page}");
    fits(&d, "appeal receipt");
    let shown = d
        .script("return document.getElementById('tracking-code').textContent")
        .as_str()
        .expect("the reference shown")
        .trim()
        .to_owned();
    d.click("css selector", "a[href^='/a/']");
    d.wait_for("办理记录");
    fits(&d, "appeal status");
    save_screenshot(&d, "appeal-status");

    // Later the parent types the reference with one character wrong: the
    // look-up page says so and keeps what was typed, no staff login.
    let mut typed: Vec<char> = shown.chars().collect();
    let last = typed.len() - 1;
    typed[last] = if typed[last] == 'A' { 'B' } else { 'A' };
    let typed: String = typed.into_iter().collect();
    d.go(&format!("{base}/a"));
    d.type_into("input[name=code]", &typed);
    d.click("css selector", "button[type=submit]");
    let page = d.wait_for("没有找到这个查询码");
    assert!(!page.contains("href=\"/login"), "{page}");
    fits(&d, "appeal look-up");
    // Typed right, in lower case and without the spaces, it opens.
    d.go(&format!("{base}/a"));
    d.type_into(
        "input[name=code]",
        &shown.replace([' ', '-'], "").to_lowercase(),
    );
    d.click("css selector", "button[type=submit]");
    d.wait_for("办理记录");

    // The school's coordinator handles appeals: home lists them by
    // deadline; the most urgent opens in one tap; the reply, once sent, is
    // shown read-only with 修改答复 and no second reply form.
    d.go(&format!("{base}/login"));
    d.type_into("input[name=username]", "coordinator");
    d.type_into("input[name=password]", PW);
    d.click("css selector", "button[type=submit]");
    d.wait_for("退出");
    if d.url().contains("/second-factor") {
        give_second_factor(&d, "coordinator");
    }
    let home = d.wait_for("待办");
    assert!(home.contains("ol class=\"tasks\""), "{home}");
    fits(&d, "handler home");
    d.click("css selector", "ol.tasks a[href^='/appeals/']");
    d.wait_for("答复（三说明）");
    fits(&d, "appeal");
    d.type_into(
        "textarea[name=policy]",
        "根据《青岛市中小学校食堂管理办法》，学校食堂应保证学生吃饱吃好。",
    );
    d.type_into(
        "textarea[name=status]",
        "学校已约谈供餐负责人，本周起按年级调整份量并增加主食。",
    );
    d.type_into(
        "textarea[name=next_steps]",
        "下周家委会代表陪餐检查，两周后在家长群公布改进情况。",
    );
    d.click("css selector", "#reply-form button[type=submit]");
    let page = d.wait_for("已发布的答复");
    assert!(page.contains("修改答复"), "{page}");
    assert!(
        !page.contains("id=\"reply-form\""),
        "no second reply form once published"
    );
    fits(&d, "published reply");
    save_screenshot(&d, "reply");

    // The school's administrator completes the work group: the page says
    // it is one short; a head teacher of the school joins from the list.
    switch_user(&d, "school-admin");
    d.go(&format!("{base}/work-group"));
    let page = d.wait_for("家校社协同育人工作小组");
    assert!(page.contains("不足 6 人"), "{page}");
    fits(&d, "work group");
    d.script(
        "const s = document.querySelector('#add-member select[name=account_id]'); \
         s.selectedIndex = 1; \
         document.querySelector('#add-member select[name=duty]').value = 'head_teacher';",
    );
    d.click("css selector", "#add-member button[type=submit]");
    let page = d.wait_for("已加入工作小组");
    assert!(!page.contains("不足 6 人"), "{page}");
    fits(&d, "work group complete");
    save_screenshot(&d, "work-group");

    // The city's organiser shows the check-in code of the lecture under
    // way; a head teacher opens it on the phone and checks in.
    switch_user(&d, "city-admin");
    d.go(&format!("{base}/training"));
    d.wait_for("我组织的培训");
    d.click("partial link text", "五步法");
    d.wait_for("培训场次");
    d.click("partial link text", "第三讲");
    let page = d.wait_for("签到名单");
    assert!(page.contains("<svg"), "a QR code to scan");
    fits(&d, "training session with its code");
    let url = d
        .script("return document.getElementById('checkin-link').getAttribute('href')")
        .as_str()
        .expect("the check-in address")
        .to_owned();
    let path = &url[url.find("/t/").expect("a check-in address")..];
    switch_user(&d, "head-teacher");
    d.go(&format!("{base}{path}"));
    d.wait_for("培训签到");
    d.click("css selector", "form[action^='/t/'] button[type=submit]");
    let page = d.wait_for("签到成功");
    assert!(page.contains("记入 2 学时"), "{page}");
    fits(&d, "training check-in");
    d.go(&format!("{base}/training"));
    let page = d.wait_for("我的培训");
    // Two hours now, beside the demo's eight of the lecturer course.
    assert!(page.contains("累计 <b>10</b> 学时"), "{page}");
    save_screenshot(&d, "training");
    d.call("DELETE", "", None);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The first poster of the page drawn as a PNG (what its "下载 PNG" button
/// saves): A4 at 300 dpi, the school's name and the codes drawn, the
/// bottom margin white.
fn poster_png(d: &Driver) {
    let got = d.script_async(
        r#"var done = arguments[arguments.length - 1];
        var b = document.querySelector('[data-poster-svg]');
        window.tongyuPosterPng(b.dataset.posterSvg).then(function (png) {
          return createImageBitmap(png).then(function (bmp) {
            var c = document.createElement('canvas');
            c.width = bmp.width; c.height = bmp.height;
            var g = c.getContext('2d');
            g.drawImage(bmp, 0, 0);
            function dark(x, y, w, h) {
              var p = g.getImageData(x, y, w, h).data, n = 0;
              for (var i = 0; i < p.length; i += 4) if (p[i] < 128) n++;
              return n / (w * h);
            }
            var r = new FileReader();
            r.onload = function () {
              done({ type: png.type, width: bmp.width, height: bmp.height,
                     name: dark(0, 330, 2480, 180), qr: dark(177, 1122, 945, 945),
                     margin: dark(0, 3000, 2480, 400), data: r.result });
            };
            r.readAsDataURL(png);
          });
        }).catch(function (e) { done({ error: String(e) }); });"#,
    );
    assert_eq!(got["error"], Value::Null, "{}", got["error"]);
    assert_eq!(got["type"], "image/png", "{}", got["type"]);
    assert_eq!(
        (got["width"].as_i64(), got["height"].as_i64()),
        (Some(2480), Some(3508))
    );
    let share = |k: &str| got[k].as_f64().unwrap_or(-1.0);
    assert!(
        share("name") > 0.002,
        "the school's name is drawn: {}",
        got["name"]
    );
    assert!(
        (0.2..0.8).contains(&share("qr")),
        "the school's code is drawn: {got}"
    );
    assert!(
        share("margin") == 0.0,
        "the bottom margin is white: {}",
        got["margin"]
    );
    let data = got["data"].as_str().unwrap_or("");
    let png = base64_decode(data.trim_start_matches("data:image/png;base64,"));
    assert!(png.starts_with(b"\x89PNG"), "a PNG file");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::write(dir.join("browser-poster.png"), png);
}

/// Signs out and signs in as another demo account.
fn switch_user(d: &Driver, username: &str) {
    d.click("css selector", "form[action='/logout'] button");
    for _ in 0..100 {
        if d.url().contains("/login") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    d.wait_for("家长首次使用");
    d.type_into("input[name=username]", username);
    d.type_into("input[name=password]", PW);
    d.click("css selector", "button[type=submit]");
    d.wait_for("退出");
    if d.url().contains("/second-factor") {
        if d.source().contains("输入动态口令") {
            enter_second_factor(d, username);
        } else {
            give_second_factor(d, username);
        }
    }
}

/// The authenticator secrets of the accounts that set one up in this run,
/// with the last time step whose code was used (a code is taken once).
static SECRETS: std::sync::Mutex<Vec<(String, String, i64)>> = std::sync::Mutex::new(Vec::new());

/// A later sign-in of an administrator: the code of the secret set up
/// earlier, from a time step not used yet.
fn enter_second_factor(d: &Driver, username: &str) {
    let (secret, last) = SECRETS
        .lock()
        .expect("secrets")
        .iter()
        .find(|(u, _, _)| u == username)
        .map(|(_, s, l)| (s.clone(), *l))
        .expect("a secret set up earlier in this run");
    let step = loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs() as i64;
        let step = tongyu_service::second_factor::step_of(now);
        if step != last {
            break step;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    let code = tongyu_service::second_factor::code_at(
        &tongyu_service::second_factor::from_base32(&secret).expect("base32"),
        step,
    );
    if let Some(e) = SECRETS
        .lock()
        .expect("secrets")
        .iter_mut()
        .find(|(u, _, _)| u == username)
    {
        e.2 = step;
    }
    d.type_into("input[name=code]", &code);
    d.click(
        "css selector",
        "form[action='/second-factor'] button[type=submit]",
    );
    for _ in 0..100 {
        if !d.url().contains("/second-factor") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    d.wait_for("退出");
}

/// An administrator's first sign-in: the set-up page shows a QR code and
/// the secret as text; the code an authenticator app would show is typed
/// in, and the recovery codes are acknowledged.
fn give_second_factor(d: &Driver, username: &str) {
    let page = d.wait_for("设置动态口令");
    assert!(page.contains("<svg"), "a QR code to scan");
    save_screenshot(d, "second-factor");
    let secret = d
        .script("return document.getElementById('totp-secret').textContent")
        .as_str()
        .expect("the secret")
        .to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let code = tongyu_service::second_factor::code_at(
        &tongyu_service::second_factor::from_base32(&secret).expect("base32"),
        tongyu_service::second_factor::step_of(now),
    );
    SECRETS.lock().expect("secrets").push((
        username.to_owned(),
        secret.clone(),
        tongyu_service::second_factor::step_of(now),
    ));
    d.type_into("input[name=code]", &code);
    d.click(
        "css selector",
        "form[action='/second-factor'] button[type=submit]",
    );
    let page = d.wait_for("恢复码");
    assert_eq!(page.matches("<li><code>").count(), 10, "ten recovery codes");
    fits(d, "recovery codes");
    d.click("link text", "我已保存，继续");
}

/// Fails when the page is wider than the phone's screen.
fn fits(d: &Driver, what: &str) {
    let width = d
        .script("return document.documentElement.scrollWidth")
        .as_i64()
        .expect("width");
    assert!(
        width <= 390,
        "{what}: the page is {width}px wide on a 390px screen"
    );
}

/// Keeps a screenshot beside the build for a person to look at.
fn save_screenshot(d: &Driver, name: &str) {
    use base64_decode as decode;
    let shot = d.call("GET", "/screenshot", None);
    let b64 = shot.as_str().expect("a screenshot");
    assert!(b64.len() > 1000, "a screenshot was taken");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::write(dir.join(format!("browser-{name}.png")), decode(b64));
}

/// Standard base64, as WebDriver sends screenshots.
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
