//! A head teacher's invite code, a parent joining, the confirmation.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{PW, TestApp, peek};

#[tokio::test]
async fn a_parent_joins_a_class_and_the_head_teacher_confirms() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let (s, inv) = t
        .post(
            &format!("/api/v1/classes/{class}/invite"),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let code = inv["code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 10);
    let (_, roster) = t
        .get(&format!("/api/v1/classes/{class}/roster"), &teacher)
        .await;
    let child = roster["students"][0]["name"]
        .as_str()
        .expect("a student")
        .to_owned();

    // The parent registers in the browser from the invite link.
    let mut b = t.browser();
    let p = b.get(&format!("/join?code={code}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("注册"));
    // "获取验证码": the same page, saying where the code went.
    let p = b
        .post(
            "/register/code",
            &[
                ("code", &code),
                ("phone", "138 0000 1234"),
                ("display_name", "刘女士"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("验证码已发送至 138****1234"), "{}", p.body);
    assert!(p.body.contains("value=\"刘女士\""), "the name is kept");
    let sms = t.last_code("13800001234");
    let p = b
        .post(
            "/register",
            &[
                ("code", &code),
                ("phone", "138 0000 1234"),
                ("sms_code", &sms),
                ("display_name", "刘女士"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("密码至少10个字符"));
    // A wrong code is refused; the right one still works after it.
    let p = b
        .post(
            "/register",
            &[
                ("code", &code),
                ("phone", "138 0000 1234"),
                ("sms_code", "000000"),
                ("display_name", "刘女士"),
                ("password", "Rainy-Harbor-88"),
            ],
        )
        .await;
    if sms != "000000" {
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("验证码不正确或已过期"), "{}", p.body);
    }
    let p = b
        .post(
            "/register",
            &[
                ("code", &code),
                ("phone", "138 0000 1234"),
                ("sms_code", &sms),
                ("display_name", "刘女士"),
                ("password", "Rainy-Harbor-88"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = b.get(p.location.as_deref().expect("back to join")).await;
    assert!(p.body.contains("孩子姓名"), "{}", p.body);
    assert!(p.body.contains("发送至 138****1234"), "{}", p.body);
    // Binding needs a code of its own, sent to the parent's phone.
    let p = b
        .post(
            "/join",
            &[
                ("code", &code),
                ("child_name", &child),
                ("relation", "母亲"),
                ("sms_code", &sms),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "a spent code");
    t.clock.advance(61);
    let p = b
        .post(
            "/join/code",
            &[
                ("code", &code),
                ("child_name", &child),
                ("relation", "母亲"),
            ],
        )
        .await;
    assert!(p.body.contains("验证码已发送至 138****1234"), "{}", p.body);
    assert!(
        p.body.contains("<option selected>母亲</option>"),
        "the form is kept"
    );
    let bind = t.last_code("13800001234");
    // Without the guardian's consent to the children's privacy notice: no.
    let p = b
        .post(
            "/join",
            &[
                ("code", &code),
                ("child_name", &child),
                ("relation", "母亲"),
                ("sms_code", &bind),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("儿童个人信息保护规则"), "{}", p.body);
    let p = b
        .post(
            "/join",
            &[
                ("code", &code),
                ("child_name", "不存在的孩子"),
                ("relation", "母亲"),
                ("sms_code", &bind),
                ("consent", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("没有这个姓名的学生"));
    let p = b
        .post(
            "/join",
            &[
                ("code", &code),
                ("child_name", &child),
                ("relation", "母亲"),
                ("sms_code", &bind),
                ("consent", "1"),
            ],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/my"));
    // The consent was recorded with the notice's version.
    {
        let students = peek::students(&t.app, class).await;
        let sid = students.iter().find(|s| s.name == child).expect("child").id;
        let consents = peek::consents(&t.app, sid).await;
        assert_eq!(consents.len(), 1);
        assert_eq!(
            consents[0].notice_version,
            tongyu_domain::student::CHILDREN_NOTICE_VERSION
        );
    }
    let p = b.get("/my").await;
    assert!(p.body.contains("等待班主任确认"));
    assert!(!p.body.contains(&format!("<b>{child}</b>")));

    // The head teacher's home says a parent waits, one tap from the class.
    let mut tb = t.browser();
    tb.sign_in("head-teacher", PW).await;
    let confirm = format!("<a href=\"/classes/{class}\">确认家长绑定（1 位）</a>");
    let home = tb.get("/").await;
    assert!(home.body.contains(&confirm), "{}", home.body);

    // The head teacher sees the request and confirms it.
    let (_, roster) = t
        .get(&format!("/api/v1/classes/{class}/roster"), &teacher)
        .await;
    let pending = roster["guardians"]
        .as_array()
        .expect("guardians")
        .iter()
        .find(|g| g["status"] == "pending")
        .cloned()
        .expect("pending");
    assert_eq!(pending["phone"], "138****1234");
    let (sid, aid) = (
        pending["student_id"].as_i64().expect("sid"),
        pending["account_id"].as_i64().expect("aid"),
    );
    let before = t.unit(class).await.counts.guardians;
    let (s, _) = t
        .post(
            &format!("/api/v1/classes/{class}/guardians/{sid}/{aid}/confirm"),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(t.unit(class).await.counts.guardians, before + 1);
    assert!(!tb.get("/").await.body.contains("确认家长绑定"));
    let p = b.get("/my").await;
    assert!(p.body.contains(&format!("<b>{child}</b>")), "{}", p.body);
    // The parent now holds the parent role on the class, and sees nothing of the tree.
    let parent = t.login_with("13800001234", "Rainy-Harbor-88").await;
    let (_, me) = t.get("/api/v1/me", &parent).await;
    assert_eq!(me["grants"][0]["role"], "parent");
    assert_eq!(
        t.get(&format!("/api/v1/classes/{class}/roster"), &parent)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_new_code_replaces_the_old_and_codes_expire() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let (_, a) = t
        .post(
            &format!("/api/v1/classes/{class}/invite"),
            &teacher,
            json!({}),
        )
        .await;
    // A leaked code is stopped at once.
    let (_, b) = t
        .post(
            &format!("/api/v1/classes/{class}/invite?at_once=true"),
            &teacher,
            json!({}),
        )
        .await;
    // An ordinary renewal lets the code before it run its grace period.
    let (s, c) = t
        .post(
            &format!("/api/v1/classes/{class}/invite"),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let parent = t.login("parent").await;
    let req = |code: &str| json!({"code": code, "child_name": "某某", "relation": "父亲", "sms_code": "123456", "consent": true});
    let (s, e) = t
        .post(
            "/api/v1/guardian-requests",
            &parent,
            req(a["code"].as_str().expect("a")),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    assert!(e["message"].as_str().expect("msg").contains("邀请码无效"));
    let (s, _) = t
        .post(
            "/api/v1/guardian-requests",
            &parent,
            req(b["code"].as_str().expect("b")),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the code works; the child's name does not"
    );
    t.clock.advance(15 * 24 * 3600);
    let parent = t.login("parent").await;
    let (s, _) = t
        .post(
            "/api/v1/guardian-requests",
            &parent,
            req(b["code"].as_str().expect("b")),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_class_page_shows_the_invite_qr_and_pending_requests() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("head-teacher", PW).await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let p = b.get(&format!("/classes/{class}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("生成邀请码"));
    let p = b.post(&format!("/classes/{class}/invite"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = b.get(p.location.as_deref().expect("back")).await;
    assert!(p.body.contains("<svg"), "QR code rendered");
    assert!(p.body.contains("/join?code="));
    // Replacing a code already handed out takes a second step that says
    // what breaks; nothing changes before it.
    let code_before = p
        .body
        .split("/join?code=")
        .nth(1)
        .map(|r| r[..10].to_owned());
    let p = b.post(&format!("/classes/{class}/invite"), &[]).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("重新生成班级邀请码") && p.body.contains("旧邀请码"),
        "{}",
        p.body
    );
    let again = b.get(&format!("/classes/{class}")).await;
    assert_eq!(
        again
            .body
            .split("/join?code=")
            .nth(1)
            .map(|r| r[..10].to_owned()),
        code_before,
        "nothing changed yet"
    );
    let p = b
        .post(
            &format!("/classes/{class}/invite"),
            &[("confirm", "1"), ("mode", "grace")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let again = b.get(&format!("/classes/{class}")).await;
    assert_ne!(
        again
            .body
            .split("/join?code=")
            .nth(1)
            .map(|r| r[..10].to_owned()),
        code_before
    );
}

#[tokio::test]
async fn class_lists_run_in_pinyin_order() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let school = t.login("school-admin").await;
    let mine = ["张伟", "王芳", "李娜", "章程", "陈静"];
    for name in mine {
        let (s, v) = t
            .post(
                &format!("/api/v1/classes/{class}/students"),
                &school,
                json!({ "name": name }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (_, roster) = t
        .get(&format!("/api/v1/classes/{class}/roster"), &teacher)
        .await;
    let names: Vec<&str> = roster["students"]
        .as_array()
        .expect("students")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let added: Vec<&str> = names.iter().copied().filter(|n| mine.contains(n)).collect();
    // chen, li, wang, zhang cheng, zhang wei: not the characters' code order.
    assert_eq!(
        added,
        vec!["陈静", "李娜", "王芳", "章程", "张伟"],
        "{roster}"
    );
    // The demo's own children fall in line with them.
    let keys: Vec<String> = names
        .iter()
        .map(|n| tongyu_domain::collate::name_key(n))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
}
