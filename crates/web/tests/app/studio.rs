//! Master-teacher studios (task 5): an instructor applies; the city selects
//! against the plan's target of 15; the lead keeps members, plan and
//! outputs linked to what the platform holds; the public page shows the
//! studio's work and nothing else.

use axum::http::StatusCode;
use serde_json::json;
use tongyu_service::testkit::{peek, sql};

use crate::common::{PW, TestApp};

#[tokio::test]
async fn an_instructor_applies_and_the_city_selects_within_the_plans_target() {
    let t = TestApp::demo().await;
    let city_admin = t.login("city-admin").await;
    let (_, list) = t.get("/api/v1/studios", &city_admin).await;
    assert_eq!(list["selected"], 15, "the demo has the plan's 15: {list}");
    assert_eq!(list["goal"], 15);
    // The instructor applies on the page.
    let mut b = t.browser();
    b.sign_in("instructor", PW).await;
    let page = b.get("/studios").await;
    assert!(page.body.contains("申报主持工作室"), "{}", page.body);
    let short = b
        .post("/studios", &[("name", "家校共育工作室"), ("focus", "太短")])
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.body.contains("研究方向与计划") || short.body.contains("研究方向"),
        "{}",
        short.body
    );
    assert!(short.body.contains("value=\"家校共育工作室\""));
    let done = b
        .post(
            "/studios",
            &[
                ("name", "家校共育工作室"),
                ("focus", "研究家长会与家访的组织方法，形成可推广的课例。"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let id: i64 = done
        .location
        .as_deref()
        .and_then(|l| l.trim_start_matches("/studios/").split('?').next())
        .and_then(|n| n.parse().ok())
        .expect("the studio");
    let (s, _) = t
        .post(
            "/api/v1/studios",
            &t.login("instructor").await,
            json!({"name": "第二个工作室", "focus": "再申报一个工作室的研究方向。"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one studio per lead");
    // The target is reached: a 16th is refused until the plan says more.
    let (s, e) = t
        .post(
            &format!("/api/v1/studios/{id}/decision"),
            &city_admin,
            json!({"select": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("达到行动计划目标"),
        "{e}"
    );
    let plan = tongyu_domain::plan::Plan {
        studio_goal: 16,
        ..Default::default()
    };
    let (s, _) = t
        .api(
            axum::http::Method::PUT,
            "/api/v1/plan",
            Some(&city_admin),
            Some(json!({"plan": plan, "note": "扩大名师工作室遴选"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = t
        .post(
            &format!("/api/v1/studios/{id}/decision"),
            &city_admin,
            json!({"select": true, "note": "同意"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    // Only the city selects.
    let (s, _) = t
        .post(
            &format!("/api/v1/studios/{id}/decision"),
            &t.login("district-admin").await,
            json!({"select": false}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The lead keeps it: a member who is staff; outputs linked to the
    // platform's published work; a lecture.
    let lead = t.login("instructor").await;
    let teacher = peek::account_by_username(&t.app, "teacher").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/studios/{id}/members"),
            &lead,
            json!({"account_id": teacher.id}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let parent = peek::account_by_username(&t.app, "parent").await;
    let (s, e) = t
        .post(
            &format!("/api/v1/studios/{id}/members"),
            &lead,
            json!({"account_id": parent.id}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let published = sql::int(
        &t.app,
        "SELECT MIN(id) FROM courses WHERE status = 'published'",
        &[],
    )
    .await;
    let (s, e) = t
        .post(
            &format!("/api/v1/studios/{id}/outputs"),
            &lead,
            json!({"kind": "course", "ref_id": published}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let (s, e) = t
        .post(
            &format!("/api/v1/studios/{id}/outputs"),
            &lead,
            json!({"kind": "course", "ref_id": 999_999}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let today =
        tongyu_domain::calendar::format_date(tongyu_domain::calendar::local_day(t.app.now()));
    let (s, _) = t
        .post(
            &format!("/api/v1/studios/{id}/outputs"),
            &lead,
            json!({"kind": "lecture", "title": "家访的五个步骤", "held_on": today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = t
        .api(
            axum::http::Method::PUT,
            &format!("/api/v1/studios/{id}/plan"),
            Some(&lead),
            Some(json!({"body": "## 本学年\n\n每月一次课例研讨，每学期一次家长讲座。"})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Someone else may read it but not keep it.
    let (s, _) = t
        .post(
            &format!("/api/v1/studios/{id}/members"),
            &t.login("head-teacher").await,
            json!({"account_id": teacher.id}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The city reviews it for the year.
    let (s, _) = t
        .api(
            axum::http::Method::PUT,
            &format!("/api/v1/studios/{id}/review"),
            Some(&city_admin),
            Some(json!({"grade": "excellent", "note": "成果丰富"})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // The public page: the studio's work and its people's names, no login.
    let mut anyone = t.browser();
    let public = anyone.get(&format!("/p/studios/{id}")).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    assert!(public.body.contains("家校共育工作室") && public.body.contains("家访的五个步骤"));
    assert!(public.body.contains("优秀"));
    assert!(
        !public.body.contains("instructor") && !public.body.contains("teacher"),
        "no usernames"
    );
    let (s, v) = t
        .api(
            axum::http::Method::GET,
            &format!("/api/v1/public/studios/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A studio not selected has no public page.
    let waiting = sql::int(
        &t.app,
        "SELECT MIN(id) FROM studios WHERE status = 'applied'",
        &[],
    )
    .await;
    let hidden = anyone.get(&format!("/p/studios/{waiting}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_list_of_studios_exports_to_a_workbook() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    let page = b.get("/studios").await;
    assert!(page.body.contains("/studios/export.xlsx"), "{}", page.body);
    let x = b.get("/studios/export.xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with("PK"), "a workbook");
    let mut p = t.browser();
    p.sign_in("parent", PW).await;
    let refused = p.get("/studios/export.xlsx").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
