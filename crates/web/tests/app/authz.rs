//! The authorization matrix: every role against every action, on units
//! inside and outside its subtree.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, factory, sql};

const ACTIONS: [&str; 8] = [
    "view class",
    "create class",
    "list accounts",
    "read roster",
    "create account",
    "issue invite",
    "read audit",
    "keep work group",
];

/// What each role gets, action by action, on a class and school inside its
/// subtree (the demo's first school) .
const INSIDE: &[(&str, [u16; 8])] = &[
    ("city-admin", [200, 201, 200, 200, 201, 201, 403, 200]),
    ("district-admin", [200, 201, 200, 200, 201, 201, 403, 200]),
    (
        "subdistrict-admin",
        [200, 201, 200, 200, 201, 201, 403, 200],
    ),
    ("school-admin", [200, 201, 200, 200, 201, 201, 403, 200]),
    ("coordinator", [200, 403, 200, 200, 403, 403, 403, 200]),
    ("head-teacher", [200, 404, 404, 200, 404, 201, 403, 404]),
    ("instructor", [200, 403, 403, 200, 403, 403, 403, 403]),
    ("teacher", [200, 403, 403, 200, 403, 403, 403, 403]),
    ("expert", [200, 403, 403, 403, 403, 403, 403, 403]),
    ("parent", [404, 404, 404, 404, 404, 404, 403, 404]),
    ("system-admin", [200, 403, 200, 403, 403, 403, 403, 403]),
    ("security-admin", [200, 403, 200, 403, 403, 403, 403, 403]),
    ("audit-admin", [404, 404, 404, 404, 404, 404, 200, 404]),
];

/// Roles whose grant is the whole city see the other district as inside.
const CITY_WIDE: &[&str] = &[
    "city-admin",
    "expert",
    "system-admin",
    "security-admin",
    "audit-admin",
];

struct Target {
    class: i64,
    grade: i64,
    school: i64,
    /// The class's head teacher, a member any keeper of the group may add.
    head_teacher: i64,
}

async fn target(t: &TestApp, school_ext: &str) -> Target {
    let school = t.unit_id(school_ext).await;
    let class = factory::first_class(&t.app, school).await;
    let head_teacher = tongyu_service::testkit::peek::account_by_username(
        &t.app,
        &format!("class{}-teacher", class.id),
    )
    .await
    .id;
    Target {
        class: class.id,
        grade: class.parent_id.expect("a grade"),
        school,
        head_teacher,
    }
}

async fn run(t: &TestApp, token: &str, who: &str, tag: &str, x: &Target) -> [u16; 8] {
    let name = format!("{who}-{tag}");
    let r = [
        t.get(&format!("/api/v1/units/{}", x.class), token).await.0,
        t.post(&format!("/api/v1/units/{}/children", x.grade), token, json!({"name": format!("{name}班")})).await.0,
        t.get(&format!("/api/v1/accounts?unit_id={}", x.school), token).await.0,
        t.get(&format!("/api/v1/classes/{}/roster", x.class), token).await.0,
        t.post(
            "/api/v1/accounts",
            token,
            json!({"username": format!("m-{name}"), "display_name": "矩阵", "role": "teacher", "unit_id": x.school}),
        )
        .await
        .0,
        t.api(Method::POST, &format!("/api/v1/classes/{}/invite", x.class), Some(token), None).await.0,
        t.get("/api/v1/audit?limit=5", token).await.0,
        t.api(
            Method::PUT,
            &format!("/api/v1/work-groups/{}/members/{}", x.school, x.head_teacher),
            Some(token),
            Some(json!({"duty": "head_teacher"})),
        )
        .await
        .0,
    ];
    r.map(|s: StatusCode| s.as_u16())
}

#[tokio::test]
async fn every_role_against_every_action_inside_and_outside_its_subtree() {
    let t = TestApp::demo().await;
    // school0 is the named accounts' school (district d0); school1 lies in district d1.
    let inside = target(&t, "school0").await;
    let outside = target(&t, "school1").await;
    let mut failures = Vec::new();
    for (who, expected) in INSIDE {
        let token = t.login(who).await;
        let got = run(&t, &token, who, "in", &inside).await;
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            if g != e {
                failures.push(format!(
                    "{who} / {} inside: got {g}, expected {e}",
                    ACTIONS[i]
                ));
            }
        }
        let expected_out: [u16; 8] = if CITY_WIDE.contains(who) {
            *expected
        } else {
            let mut e = [404; 8];
            e[6] = 403;
            e
        };
        let got = run(&t, &token, who, "out", &outside).await;
        for (i, (g, e)) in got.iter().zip(&expected_out).enumerate() {
            if g != e {
                failures.push(format!(
                    "{who} / {} outside: got {g}, expected {e}",
                    ACTIONS[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn nobody_grants_a_role_above_their_own() {
    let t = TestApp::demo().await;
    let city = t.unit_id("qingdao").await;
    let d0 = t.unit_id("d0").await;
    let d0s0 = t.unit_id("d0s0").await;
    let school = t.unit_id("school0").await;
    let cases = [
        ("district-admin", "city_admin", city, 404),
        ("district-admin", "district_admin", d0, 201),
        ("district-admin", "subdistrict_admin", d0s0, 201),
        ("district-admin", "audit_admin", city, 404),
        ("school-admin", "subdistrict_admin", d0s0, 404),
        ("school-admin", "school_admin", school, 201),
        ("school-admin", "district_admin", d0, 404),
        ("subdistrict-admin", "district_admin", d0, 404),
        ("city-admin", "audit_admin", city, 403),
        ("city-admin", "head_teacher", school, 422),
    ];
    for (i, (who, role, unit, expected)) in cases.iter().enumerate() {
        let token = t.login(who).await;
        let (s, v) = t
            .post("/api/v1/accounts", &token, json!({"username": format!("rank-{i}"), "display_name": "测试", "role": role, "unit_id": unit}))
            .await;
        assert_eq!(s.as_u16(), *expected, "{who} granting {role}: {v}");
    }
}

#[tokio::test]
async fn administrators_cannot_touch_accounts_above_them() {
    let t = TestApp::demo().await;
    let school_admin = t.login("school-admin").await;
    let city_admin = t.login("city-admin").await;
    let (_, list) = t
        .get("/api/v1/accounts?q=district-admin", &city_admin)
        .await;
    let district_admin_id = list["items"][0]["id"].as_i64().expect("listed");
    for path in ["reset-password", "unlock", "deactivate"] {
        let (s, v) = t
            .post(
                &format!("/api/v1/accounts/{district_admin_id}/{path}"),
                &school_admin,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    // The district administrator is not even in the school's list.
    let (_, list) = t
        .get("/api/v1/accounts?q=district-admin", &school_admin)
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    // The city administrator may reset it.
    let (s, v) = t
        .post(
            &format!("/api/v1/accounts/{district_admin_id}/reset-password"),
            &city_admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["initial_password"].as_str().map(str::len), Some(12));
}

#[tokio::test]
async fn phones_are_masked_and_revealing_one_is_audited() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (_, list) = t.get("/api/v1/accounts?role=parent&limit=3", &admin).await;
    let first = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["phone"] != ""))
        .expect("a parent with a phone");
    let masked = first["phone"].as_str().expect("phone");
    assert!(masked.contains("****") && masked.len() == 11, "{masked}");
    let id = first["id"].as_i64().expect("id");
    let (s, v) = t
        .post(&format!("/api/v1/accounts/{id}/phone"), &admin, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let phone = v["phone"].as_str().expect("full phone");
    assert_eq!(phone.len(), 11);
    assert!(!phone.contains('*'));
    let audit = t.login("audit-admin").await;
    let (_, log) = t
        .get("/api/v1/audit?action=account.reveal_phone", &audit)
        .await;
    assert_eq!(log["items"][0]["object_id"], id.to_string());
    assert_eq!(log["items"][0]["actor"], "school-admin");
}

#[tokio::test]
async fn an_administrator_adds_an_existing_account_to_a_unit_by_username_or_phone() {
    let t = TestApp::demo().await;
    // Someone who signed up on their own and holds no role yet.
    let mut visitor = t.browser();
    let p = visitor
        .register("", "13955556666", "孙老师", "Sun-Teacher-2026")
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let mut b = t.browser();
    b.sign_in("school-admin", crate::common::PW).await;
    let school = t.unit_id("school0").await;
    b.get(&format!("/org/{school}/people")).await;
    let p = b
        .post(
            &format!("/org/{school}/grants"),
            &[("login", "13955556666"), ("role", "teacher")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = b
        .post(
            &format!("/org/{school}/grants"),
            &[("login", "nobody-at-all"), ("role", "teacher")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("没有用户名或手机号为"), "{}", p.body);
    // The district administrator, above the school, cannot be pulled in.
    let p = b
        .post(
            &format!("/org/{school}/grants"),
            &[("login", "district-admin"), ("role", "teacher")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("不在您的管理范围内"), "{}", p.body);
    let token = t.login_with("13955556666", "Sun-Teacher-2026").await;
    let (_, me) = t.get("/api/v1/me", &token).await;
    assert_eq!(me["grants"][0]["role"], "teacher");
    assert_eq!(me["grants"][0]["unit_id"], school);
}

#[tokio::test]
async fn integration_tokens_are_scoped_shown_once_and_revocable() {
    let t = TestApp::demo().await;
    let district = t.login("district-admin").await;
    let d0 = t.unit_id("d0").await;
    let d1 = t.unit_id("d1").await;
    let (s, v) = t
        .post(
            "/api/v1/integrations",
            &district,
            json!({"name": "12345 热线", "unit_id": d0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().expect("token shown once").to_owned();
    assert!(token.starts_with("tyi_"));
    let id = v["id"].as_i64().expect("id");
    let (s, who) = t.get("/api/v1/integration/whoami", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (who["name"].as_str(), who["unit_id"].as_i64()),
        (Some("12345 热线"), Some(d0))
    );
    // It is not an account: account endpoints refuse it.
    let (s, e) = t.get("/api/v1/me", &token).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    // The list never shows the secret again.
    let (_, list) = t.get("/api/v1/integrations", &district).await;
    assert_eq!(list["items"][0]["name"], "12345 热线");
    assert!(list["items"][0].get("token").is_none());
    // Another district is out of reach; a school administrator may not issue one.
    assert_eq!(
        t.post(
            "/api/v1/integrations",
            &district,
            json!({"name": "x", "unit_id": d1})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let school = t.login("school-admin").await;
    let school_id = t.unit_id("school0").await;
    assert_eq!(
        t.post(
            "/api/v1/integrations",
            &school,
            json!({"name": "x", "unit_id": school_id})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post(
            "/api/v1/integrations",
            &district,
            json!({"name": "", "unit_id": d0})
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Revoked, it stops working at once.
    assert_eq!(
        t.api(
            Method::DELETE,
            &format!("/api/v1/integrations/{id}"),
            Some(&district),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.get("/api/v1/integration/whoami", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

const OBJECT_ACTIONS: [&str; 12] = [
    "read course",
    "add lesson",
    "publish course",
    "read appeal",
    "appeal templates",
    "class plan",
    "appeal codes",
    "plan session",
    "sign off reply",
    "add student",
    "contribute",
    "integration token",
];

/// Each role, object kind by object kind, on objects of the demo's first
/// school (inside the named accounts' subtree). The requests are made to
/// fail after the gate where the role may act: a draft course cannot go
/// straight to published (422), a session without a course is refused
/// (422), an appeal with no reply has nothing to sign off (409), a student
/// or a contribution without a name or title is refused (422). The other
/// actions have tests of their own: unlocking accounts
/// (`administrators_cannot_touch_accounts_above_them`), imports, the city's
/// campaigns and contribution review.
const OBJECTS_INSIDE: &[(&str, [u16; 12])] = &[
    (
        "city-admin",
        [200, 201, 422, 200, 200, 200, 200, 403, 409, 422, 403, 201],
    ),
    (
        "district-admin",
        [200, 201, 422, 200, 200, 200, 200, 403, 409, 422, 403, 201],
    ),
    (
        "subdistrict-admin",
        [200, 201, 403, 404, 403, 200, 403, 403, 404, 422, 403, 403],
    ),
    (
        "school-admin",
        [200, 201, 403, 200, 200, 200, 200, 422, 409, 422, 403, 403],
    ),
    (
        "coordinator",
        [200, 201, 403, 200, 200, 200, 403, 422, 404, 403, 422, 403],
    ),
    (
        "head-teacher",
        [404, 404, 404, 404, 404, 200, 404, 422, 404, 403, 404, 404],
    ),
    (
        "instructor",
        [200, 201, 403, 404, 403, 200, 403, 422, 404, 403, 422, 403],
    ),
    (
        "teacher",
        [200, 403, 403, 404, 403, 200, 403, 403, 404, 403, 422, 403],
    ),
    (
        "expert",
        [200, 201, 403, 404, 403, 200, 403, 403, 404, 403, 422, 403],
    ),
    (
        "parent",
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "system-admin",
        [200, 403, 403, 404, 403, 200, 403, 403, 404, 403, 403, 201],
    ),
    (
        "security-admin",
        [200, 403, 403, 404, 403, 200, 403, 403, 404, 403, 403, 403],
    ),
    (
        "audit-admin",
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    ),
];

struct Objects {
    course: i64,
    appeal: i64,
    school: i64,
    class: i64,
}

/// A draft course and an appeal at a school, made by its administrator and
/// a parent at its gate.
async fn objects(t: &TestApp, school_ext: &str, admin: &str) -> Objects {
    let x = target(t, school_ext).await;
    let token = t.login(admin).await;
    let (s, c) = t
        .post("/api/v1/courses", &token, json!({"title": "矩阵课程", "category": "self_study", "subject": "mental_health", "unit_id": x.school}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (_, codes) = t
        .get(
            &format!("/api/v1/schools/{}/appeal-codes", x.school),
            &token,
        )
        .await;
    let qr = codes["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["kind"] == "school")
        .and_then(|c| c["token"].as_str())
        .expect("the school's code")
        .to_owned();
    let (s, a) = t
        .api(
            Method::POST,
            "/api/v1/public/appeals",
            None,
            Some(json!({"qr_token": qr, "category": "teaching", "text": format!("希望{school_ext}增加课后服务的兴趣课程，孩子们都很期待。")})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    Objects {
        course: c["id"].as_i64().expect("course"),
        appeal: a["number"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .expect("appeal"),
        school: x.school,
        class: x.class,
    }
}

async fn run_objects(t: &TestApp, token: &str, o: &Objects) -> [u16; 12] {
    let r = [
        t.get(&format!("/api/v1/courses/{}", o.course), token)
            .await
            .0,
        t.post(
            &format!("/api/v1/courses/{}/lessons", o.course),
            token,
            json!({"title": "一节", "duration_s": 300}),
        )
        .await
        .0,
        t.post(
            &format!("/api/v1/courses/{}/status", o.course),
            token,
            json!({"status": "published"}),
        )
        .await
        .0,
        t.get(&format!("/api/v1/appeals/{}", o.appeal), token)
            .await
            .0,
        t.get(
            &format!("/api/v1/units/{}/appeal-templates", o.school),
            token,
        )
        .await
        .0,
        t.get(&format!("/api/v1/classes/{}/sessions", o.class), token)
            .await
            .0,
        t.get(&format!("/api/v1/schools/{}/appeal-codes", o.school), token)
            .await
            .0,
        t.post(
            &format!("/api/v1/classes/{}/sessions", o.class),
            token,
            json!({"course_id": 0, "lesson_id": 0, "title": "", "starts_at": crate::common::START + 86_400, "class_hours": 1}),
        )
        .await
        .0,
        t.post(
            &format!("/api/v1/appeals/{}/sign-off", o.appeal),
            token,
            json!({"approve": true}),
        )
        .await
        .0,
        t.post(
            &format!("/api/v1/classes/{}/students", o.class),
            token,
            json!({"name": ""}),
        )
        .await
        .0,
        t.post(
            "/api/v1/contributions",
            token,
            json!({"kind": "", "title": "", "stage": "", "subject": "", "unit_id": o.school}),
        )
        .await
        .0,
        t.post(
            "/api/v1/integrations",
            token,
            json!({"name": "矩阵", "unit_id": o.school}),
        )
        .await
        .0,
    ];
    r.map(|s: StatusCode| s.as_u16())
}

#[tokio::test]
async fn every_role_against_every_object_kind_inside_and_outside_its_subtree() {
    let t = TestApp::demo().await;
    let inside = objects(&t, "school0", "school-admin").await;
    let other = t.unit_id("school1").await;
    let outside = objects(&t, "school1", &format!("school{other}-admin")).await;
    let mut failures = Vec::new();
    for (who, expected) in OBJECTS_INSIDE {
        let token = t.login(who).await;
        let got = run_objects(&t, &token, &inside).await;
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            if g != e {
                failures.push(format!(
                    "{who} / {} inside: got {g}, expected {e}",
                    OBJECT_ACTIONS[i]
                ));
            }
        }
        // Outside its subtree a role sees nothing: all 404, but for the
        // roles whose grant is the whole city.
        let expected_out = if CITY_WIDE.contains(who) {
            *expected
        } else {
            [404; 12]
        };
        let got = run_objects(&t, &token, &outside).await;
        for (i, (g, e)) in got.iter().zip(&expected_out).enumerate() {
            if g != e {
                failures.push(format!(
                    "{who} / {} outside: got {g}, expected {e}",
                    OBJECT_ACTIONS[i]
                ));
            }
        }
    }
    // Every refusal was recorded.
    let denied = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE result = 'denied'",
        &[],
    )
    .await;
    assert!(denied > 50, "{denied} refusals recorded");
    assert!(
        failures.is_empty(),
        "object authorization matrix:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn integration_tokens_have_a_page_shown_once_and_revoked_in_two_steps() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("district-admin", crate::common::PW).await;
    let home = b.get("/").await;
    assert!(home.body.contains("href=\"/integrations\""), "in the menu");
    assert!(
        home.body.contains("href=\"/search\""),
        "staff search from the menu"
    );
    let page = b.get("/integrations").await;
    assert_eq!(page.status, StatusCode::OK);
    let district = t.login_unit(&t.login("district-admin").await).await;
    // A name is required; what was typed is kept.
    let p = b
        .post(
            "/integrations",
            &[("name", ""), ("unit_id", &district.to_string())],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = b
        .post(
            "/integrations",
            &[
                ("name", "12345热线工单系统"),
                ("unit_id", &district.to_string()),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let token = {
        let i = p
            .body
            .find("<code id=\"token-text\">")
            .expect("the token shown")
            + 22;
        p.body[i..i + p.body[i..].find('<').expect("end")].to_owned()
    };
    assert!(token.len() >= 32, "{token}");
    // Shown once: the list does not show it again.
    let again = b.get("/integrations").await;
    assert!(!again.body.contains(&token));
    assert!(again.body.contains("12345热线工单系统"));
    // The token works for the integration API.
    let (s, who) = t.get("/api/v1/integration/whoami", &token).await;
    assert_eq!(s, StatusCode::OK, "{who}");
    // Revoking asks first, then the token stops working.
    let id = {
        let i = again
            .body
            .find("action=\"/integrations/")
            .expect("revoke form")
            + 22;
        again.body[i..i + again.body[i..].find('/').expect("id end")].to_owned()
    };
    let p = b
        .post(
            &format!("/integrations/{id}/revoke"),
            &[("name", "12345热线工单系统")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("确认吊销"), "{}", p.body);
    let p = b
        .post(
            &format!("/integrations/{id}/revoke"),
            &[("name", "12345热线工单系统"), ("confirm", "1")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let (s, _) = t.get("/api/v1/integration/whoami", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A school's administrator has no such page.
    let mut school = t.browser();
    school.sign_in("school-admin", crate::common::PW).await;
    assert_ne!(school.get("/integrations").await.status, StatusCode::OK);
}
