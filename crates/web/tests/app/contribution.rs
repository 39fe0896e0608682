//! Contributions: a lesson plan and a micro-course climb from school to
//! city review, are returned and revised, and once published are found in
//! search and the library; the progress page counts them.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{PW, TestApp};

fn plan_text() -> String {
    "视频导课：播放家长与孩子沟通的短片，请家长说说片中孩子的感受。\n\n现场讨论：分组交流家里最常发生的亲子冲突，记录三种应对办法。\n\n课堂总结：倾听、共情、商量规则是化解冲突的三把钥匙。".to_owned()
}

async fn submit(t: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    t.post("/api/v1/contributions", token, body).await
}

async fn review(
    t: &TestApp,
    token: &str,
    id: i64,
    decision: &str,
    score: i64,
    comment: &str,
) -> (StatusCode, Value) {
    t.post(
        &format!("/api/v1/contributions/{id}/review"),
        token,
        json!({"decision": decision, "score": score, "comment": comment}),
    )
    .await
}

#[tokio::test]
async fn a_lesson_plan_climbs_from_school_to_city_and_is_found_in_search() {
    let t = TestApp::demo().await;
    let teacher = t.login("teacher").await;
    let school = t.login_unit(&teacher).await;
    let ok = json!({"kind": "lesson_plan", "title": "化解亲子冲突的三把钥匙", "summary": "一节必修课教案",
                    "body": plan_text(), "stage": "primary", "subject": "family_education", "unit_id": school});

    // Bad submissions get a field and a Chinese message; nothing is stored.
    let mut short = ok.clone();
    short["body"] = json!("太短了");
    let mut micro = ok.clone();
    micro["kind"] = json!("micro_course");
    let mut kind = ok.clone();
    kind["kind"] = json!("poster");
    let mut stage = ok.clone();
    stage["stage"] = json!("college");
    for (body, field) in [
        (short, "body"),
        (micro, "media_url"),
        (kind, "kind"),
        (stage, "stage"),
    ] {
        let (s, e) = submit(&t, &teacher, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["field"], field, "{e}");
    }
    let (_, lists) = t.get("/api/v1/contributions", &teacher).await;
    assert_eq!(lists["mine"], json!([]));
    // A parent may not contribute.
    let parent = t.login("parent").await;
    let (s, _) = submit(&t, &parent, ok.clone()).await;
    assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND));

    let (s, c) = submit(&t, &teacher, ok.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["status"], "school_review");
    let id = c["id"].as_i64().expect("id");

    // Only the school reviews first: the district waits its turn.
    let district_admin = t.login("district-admin").await;
    let (s, _) = review(&t, &district_admin, id, "pass", 90, "").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let school_admin = t.login("school-admin").await;
    let (_, queue) = t.get("/api/v1/contributions", &school_admin).await;
    assert!(
        queue["to_review"]
            .as_array()
            .expect("queue")
            .iter()
            .any(|c| c["id"] == id),
        "{queue}"
    );
    // Returning needs a reason; then the author revises and resubmits.
    let (s, e) = review(&t, &school_admin, id, "return", 60, "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = review(&t, &school_admin, id, "pass", 101, "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, c) = review(
        &t,
        &school_admin,
        id,
        "return",
        60,
        "请补充拓展训练和微课巩固两个环节",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "returned");
    let (s, _) = review(&t, &school_admin, id, "pass", 90, "").await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not in review any more"
    );
    let mut revised = ok.clone();
    revised["body"] = json!(format!(
        "{}\n\n拓展训练：本周和孩子约定一条家庭规则。\n\n微课巩固：观看《倾听的力量》微课。",
        plan_text()
    ));
    let (s, c) = t
        .post(&format!("/api/v1/contributions/{id}"), &teacher, revised)
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "school_review");
    // Staff who neither wrote nor review it do not see it while in review.
    let outsider = t.login("head-teacher").await;
    let (s, _) = t
        .get(&format!("/api/v1/contributions/{id}"), &outsider)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // School → district → city (an expert).
    let (s, c) = review(&t, &school_admin, id, "pass", 85, "结构完整").await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "district_review");
    let (s, c) = review(&t, &district_admin, id, "pass", 88, "").await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "city_review");
    let expert = t.login("expert").await;
    let (s, c) = review(&t, &expert, id, "pass", 92, "推荐全市使用").await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "published");

    // Published: anyone signed in reads it with every level's review.
    let (s, d) = t
        .get(&format!("/api/v1/contributions/{id}"), &outsider)
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let levels: Vec<(String, String, i64)> = d["reviews"]
        .as_array()
        .expect("reviews")
        .iter()
        .map(|r| {
            (
                r["level"].as_str().unwrap_or("").to_owned(),
                r["decision"].as_str().unwrap_or("").to_owned(),
                r["score"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        levels,
        vec![
            ("school".into(), "return".into(), 60),
            ("school".into(), "pass".into(), 85),
            ("district".into(), "pass".into(), 88),
            ("city".into(), "pass".into(), 92),
        ]
    );
    // Search finds it, as a lesson plan, by a word of its text.
    let (_, found) = t
        .get(
            "/api/v1/search?q=%E5%AE%B6%E5%BA%AD%E8%A7%84%E5%88%99",
            &parent,
        )
        .await;
    let hit = found["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["kind"] == "lesson_plan")
        .expect("the plan is found")
        .clone();
    assert_eq!(hit["ref_id"], id);
    // The progress page counts it under its stage.
    let (_, p) = t.get("/api/v1/contributions/progress", &teacher).await;
    assert_eq!(p["goal"], 1000);
    let plans = p["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == "lesson_plan")
        .expect("plans")
        .clone();
    assert_eq!(plans["published"], 1);
    assert!(
        plans["by_stage"]
            .as_array()
            .expect("stages")
            .contains(&json!(["primary", 1]))
    );

    // Each step is in the audit log.
    let audit = t.login("audit-admin").await;
    let (_, log) = t
        .get("/api/v1/audit?action=contribution.review", &audit)
        .await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(4), "{log}");
}

#[tokio::test]
async fn a_micro_course_becomes_a_self_study_course_parents_can_watch() {
    let t = TestApp::demo().await;
    let instructor = t.login("instructor").await;
    let school = t.login_unit(&instructor).await;
    let (s, c) = submit(
        &t,
        &instructor,
        json!({"kind": "micro_course", "title": "三分钟学会倾听", "summary": "倾听孩子的三个小技巧",
               "media_url": "/media/demo-lesson.wav", "duration_s": 600,
               "stage": "primary", "subject": "mental_health", "unit_id": school}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().expect("id");
    for (who, score) in [
        ("school-admin", 80),
        ("district-admin", 85),
        ("city-admin", 90),
    ] {
        let token = t.login(who).await;
        let (s, v) = review(&t, &token, id, "pass", score, "").await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
    }
    let (_, d) = t
        .get(&format!("/api/v1/contributions/{id}"), &instructor)
        .await;
    assert_eq!(d["contribution"]["status"], "published");
    let course = d["contribution"]["course_id"].as_i64().expect("course");
    assert!(course > 0);
    // The library has it: a published self-study course of one lesson that
    // a parent can open and play.
    let parent = t.login("parent").await;
    let (_, found) = t
        .get(
            "/api/v1/search?q=%E5%80%BE%E5%90%AC&category=self_study",
            &parent,
        )
        .await;
    let lesson = found["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["kind"] == "lesson" && h["course_id"] == course)
        .and_then(|h| h["ref_id"].as_i64())
        .expect("the lesson is found");
    let mut b = t.browser();
    b.sign_in("parent", PW).await;
    let p = b.get(&format!("/lessons/{lesson}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("三分钟学会倾听"));
    assert!(p.body.contains("/media/demo-lesson.wav"));
}

#[tokio::test]
async fn contribution_pages_for_the_author_and_the_reviewer() {
    let t = TestApp::demo().await;
    let mut author = t.browser();
    author.sign_in("teacher", PW).await;
    let p = author.get("/contributions").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("提交审核"));
    let unit = {
        let i = p
            .body
            .find("name=\"unit_id\" value=\"")
            .expect("unit field")
            + 22;
        p.body[i..i + p.body[i..].find('"').expect("end")].to_owned()
    };
    let p = author
        .post(
            "/contributions",
            &[
                ("kind", "lesson_plan"),
                ("title", "短"),
                ("stage", "primary"),
                ("subject", "family_education"),
                ("body", ""),
                ("unit_id", &unit),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("标题"), "{}", p.body);
    let body = plan_text();
    let p = author
        .post(
            "/contributions",
            &[
                ("kind", "lesson_plan"),
                ("title", "<script>x()</script>亲子沟通"),
                ("stage", "primary"),
                ("subject", "family_education"),
                ("body", &body),
                ("unit_id", &unit),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let at = p.location.clone().expect("to the contribution");
    let p = author.get(&at).await;
    assert!(p.body.contains("已提交，等待审核"));
    assert!(!p.body.contains("<script>x()"), "escaped");
    let path = at.split('?').next().expect("path").to_owned();

    let mut reviewer = t.browser();
    reviewer.sign_in("school-admin", PW).await;
    let p = reviewer.get("/contributions").await;
    assert!(p.body.contains("待我审核"));
    let p = reviewer.get(&path).await;
    assert!(p.body.contains("退回修改"));
    let p = reviewer
        .post(
            &format!("{path}/review"),
            &[("decision", "return"), ("score", "70"), ("comment", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("修改意见"));
    let p = reviewer
        .post(
            &format!("{path}/review"),
            &[
                ("decision", "return"),
                ("score", "70"),
                ("comment", "请补充课堂总结"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = author.get(&path).await;
    assert!(p.body.contains("请补充课堂总结"));
    assert!(p.body.contains("修改后重新提交"));
    let p = author.get("/contributions/progress").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("已发布 0 / 1000"));
}
