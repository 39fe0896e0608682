//! The expert pool (task 7): browsing by specialty; a school asks an
//! expert for a lecture, the expert answers from their home; no expert is
//! booked twice at the same time; a declared conflict keeps an expert off
//! the unit's panel; a lecture given is rated.

use axum::http::StatusCode;
use serde_json::json;
use tongyu_service::testkit::sql;

use crate::common::{PW, TestApp};

const HOUR: i64 = 3600;

#[tokio::test]
async fn a_school_asks_an_expert_who_answers_from_home_and_is_never_booked_twice() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let (s, list) = t.get("/api/v1/experts?q=亲子沟通", &admin).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let items = list["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|e| e["specialties"].to_string().contains("亲子沟通")),
        "{list}"
    );
    let (_, all) = t.get("/api/v1/experts", &admin).await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(40),
        "the demo's 40 experts"
    );
    let (_, local) = t.get("/api/v1/experts?pool=local", &admin).await;
    assert_eq!(local["items"].as_array().map(Vec::len), Some(25));

    // The named expert has a request waiting on their home.
    let mut expert = t.browser();
    expert.sign_in("expert", PW).await;
    let home = expert.get("/").await;
    assert!(home.body.contains("待答复的专家邀请"), "{}", home.body);
    let (_, mine) = t
        .get("/api/v1/expert-requests", &t.login("expert").await)
        .await;
    let waiting = mine["waiting"][0].clone();
    let expert_id = waiting["expert_id"].as_i64().expect("expert");
    let start = waiting["starts_at"].as_i64().expect("start");

    // A second request overlapping the first is fine while neither is accepted.
    let (s, second) = t
        .post(
            &format!("/api/v1/experts/{expert_id}/requests"),
            &admin,
            json!({"unit_id": school, "kind": "lecture", "topic": "家长会专题讲座",
                   "starts_at": start + HOUR, "ends_at": start + 3 * HOUR}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    // The expert accepts the first on the page.
    let page = expert.get("/experts").await;
    assert!(
        page.body
            .contains(waiting["topic"].as_str().expect("topic"))
    );
    let accepted = expert
        .post(
            &format!("/expert-requests/{}/answer", waiting["id"]),
            &[("accept", "1"), ("back", "/experts"), ("note", "")],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    // Accepting the overlapping one now is refused, and so is a new one.
    let (s, e) = t
        .post(
            &format!("/api/v1/expert-requests/{}/answer", second["id"]),
            &t.login("expert").await,
            json!({"accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("已有安排"),
        "{e}"
    );
    let (s, e) = t
        .post(
            &format!("/api/v1/experts/{expert_id}/requests"),
            &admin,
            json!({"unit_id": school, "kind": "lecture", "topic": "又一场讲座",
                   "starts_at": start + 30 * 60, "ends_at": start + HOUR}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    // Back to back is fine.
    let (s, _) = t
        .post(
            &format!("/api/v1/experts/{expert_id}/requests"),
            &admin,
            json!({"unit_id": school, "kind": "lecture", "topic": "接着的讲座",
                   "starts_at": start + 2 * HOUR, "ends_at": start + 3 * HOUR}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Only the expert answers their requests.
    let (s, _) = t
        .post(
            &format!("/api/v1/expert-requests/{}/answer", second["id"]),
            &admin,
            json!({"accept": false}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // After the lecture the school rates it.
    t.clock.advance(8 * 86_400);
    let admin = t.login("school-admin").await;
    let (s, e) = t
        .post(
            &format!("/api/v1/expert-requests/{}/rating", waiting["id"]),
            &admin,
            json!({"score": 4, "comment": "内容实用"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (_, profile) = t.get(&format!("/api/v1/experts/{expert_id}"), &admin).await;
    assert_eq!(profile["expert"]["ratings"], 1, "{profile}");
    assert_eq!(profile["expert"]["given"], 1);
    for action in ["expert.request", "expert.accept", "expert.rate"] {
        let n = sql::int(
            &t.app,
            "SELECT COUNT(*) FROM audit_log WHERE action = $1",
            &[action.into()],
        )
        .await;
        assert!(n >= 1, "{action}");
    }
}

#[tokio::test]
async fn a_declared_conflict_keeps_an_expert_off_the_units_panel() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let (_, list) = t.get("/api/v1/experts", &admin).await;
    let mut conflicted = 0;
    for e in list["items"].as_array().expect("items") {
        let id = e["id"].as_i64().expect("id");
        let (_, v) = t.get(&format!("/api/v1/experts/{id}"), &admin).await;
        if !v["conflicts"].as_array().map(Vec::is_empty).unwrap_or(true) {
            conflicted = id;
        }
    }
    assert!(conflicted > 0, "the demo's conflicted expert");
    let later = t.app.now() + 10 * 86_400;
    let (s, e) = t
        .post(
            &format!("/api/v1/experts/{conflicted}/requests"),
            &admin,
            json!({"unit_id": school, "kind": "panel", "topic": "家长学校评估",
                   "starts_at": later, "ends_at": later + HOUR}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("利益关系"),
        "{e}"
    );
    // A lecture is no panel; a district panel of a school below is refused too.
    let (s, _) = t
        .post(
            &format!("/api/v1/experts/{conflicted}/requests"),
            &admin,
            json!({"unit_id": school, "kind": "lecture", "topic": "家庭教育讲座",
                   "starts_at": later, "ends_at": later + HOUR}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let district = tongyu_domain::org::path_ids(&t.unit(school).await.path)[1];
    let (s, _) = t
        .post(
            &format!("/api/v1/experts/{conflicted}/requests"),
            &t.login("district-admin").await,
            json!({"unit_id": district, "kind": "panel", "topic": "全区家长学校评估",
                   "starts_at": later + 2 * HOUR, "ends_at": later + 3 * HOUR}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Bad times and someone else's unit.
    let (s, e) = t
        .post(
            &format!("/api/v1/experts/{conflicted}/requests"),
            &admin,
            json!({"unit_id": school, "kind": "lecture", "topic": "倒序",
                   "starts_at": later + HOUR, "ends_at": later}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let elsewhere = t.unit_id("school1").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/experts/{conflicted}/requests"),
            &admin,
            json!({"unit_id": elsewhere, "kind": "lecture", "topic": "冒名邀请",
                   "starts_at": later, "ends_at": later + HOUR}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Only the city adds experts; a parent cannot browse the pool.
    let (s, _) = t
        .post(
            "/api/v1/experts",
            &admin,
            json!({"account_id": 1, "profile": {"pool": "local", "specialties": "心理健康"}}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.get("/api/v1/experts", &t.login("parent").await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_pool_exports_to_a_workbook_as_filtered() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let page = b.get("/experts?pool=local").await;
    assert!(
        page.body.contains("/experts/export.xlsx?pool=local"),
        "{}",
        page.body
    );
    let x = b.get("/experts/export.xlsx?pool=local").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with("PK"), "a workbook");
}
