//! The plan's numbers as settings: Qingdao's by default, changed by the
//! city's administrators in two steps, at once in force everywhere (the
//! yearly minimum recounted), refused to everyone else.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{PW, TestApp};

#[tokio::test]
async fn the_city_lowers_the_yearly_minimum_in_two_steps_and_every_board_follows() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let district_admin = t.login("district-admin").await;
    let district = {
        let u = t.unit(class).await;
        tongyu_domain::org::path_ids(&u.path)[1]
    };
    let (_, before) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    assert_eq!(
        before["tally"],
        json!({"sessions": 2, "hours": 4, "sessions_planned": 2, "hours_planned": 4})
    );
    assert_eq!(before["met"], false);
    let (_, plan) = t.get("/api/v1/plan", &teacher).await;
    assert_eq!(plan["plan"]["sessions_per_year"], 4, "Qingdao's by default");
    assert_eq!(plan["versions"], json!([]));

    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    let page = b.get("/plan").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("4 场、8 课时"), "{}", page.body);
    let mut fields: Vec<(String, String)> = [
        ("name", "青岛市家校社协同育人行动计划（2025—2027年）"),
        ("sessions_per_year", "2"),
        ("hours_per_year", "4"),
        ("class_hour_minutes", "45"),
        ("entry_grades", "K1 P1 J1 S1"),
        ("micro_course_goal", "1200"),
        ("lesson_plan_goal", "1000"),
        ("studio_goal", "15"),
        ("work_group_min", "6"),
        ("chair_training_hours", "4"),
        ("meeting_every_months", "6"),
        ("typical_activities_per_year", "50"),
        ("urgent_words", "自杀\n霸凌"),
        ("note", "青教发〔2025〕1号"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    // Step one shows what would change and saves nothing.
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let preview = b.post("/plan", &refs).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    for change in [
        "每学年场次：4 → 2",
        "每学年课时：8 → 4",
        "微课目标：1000 → 1200",
        "新增 霸凌",
    ] {
        assert!(preview.body.contains(change), "{change}: {}", preview.body);
    }
    assert!(preview.body.contains("确认保存"));
    let (_, still) = t.get("/api/v1/plan", &teacher).await;
    assert_eq!(
        still["plan"]["sessions_per_year"], 4,
        "not saved before confirming"
    );

    // Step two saves it, with its reason, audited.
    fields.push(("confirm".into(), "1".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = b.post("/plan", &refs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let saved = b.get("/plan?msg=saved").await;
    assert!(saved.body.contains("已保存"), "{}", saved.body);
    assert!(saved.body.contains("青教发〔2025〕1号"));
    let (_, plan) = t.get("/api/v1/plan", &teacher).await;
    assert_eq!(plan["plan"]["sessions_per_year"], 2);
    assert_eq!(plan["plan"]["urgent_words"], json!(["自杀", "霸凌"]));
    assert_eq!(plan["versions"][0]["version"], 1);
    let audited = t
        .app
        .db
        .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'plan.update'")
        .await
        .expect("count");
    assert_eq!(audited, 1);

    // In force at once: the class now meets the minimum, and the district's
    // rollup was recounted in the same change.
    let (_, after) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    assert_eq!(after["met"], true, "{after}");
    let (_, d) = t
        .get(
            &format!("/api/v1/units/{district}/delivery"),
            &district_admin,
        )
        .await;
    assert!(d["unit"]["met"].as_i64().expect("met") >= 1, "{d}");
    let year = tongyu_domain::calendar::school_year(t.app.now());
    let check = tongyu_service::delivery::check_rollups(&t.app, year)
        .await
        .expect("rollups");
    assert_eq!(check.kept, check.recounted);
    let (_, p) = t.get("/api/v1/contributions/progress", &teacher).await;
    assert_eq!(p["kinds"][0]["goal"], 1200, "{p}");
}

#[tokio::test]
async fn only_the_city_changes_the_plan_and_bad_numbers_name_their_field() {
    let t = TestApp::demo().await;
    let plan = tongyu_domain::plan::Plan::default();
    let body = |p: &tongyu_domain::plan::Plan, note: &str| json!({"plan": p, "note": note});
    for who in ["district-admin", "school-admin", "head-teacher"] {
        let token = t.login(who).await;
        let (s, v) = t
            .api(
                axum::http::Method::PUT,
                "/api/v1/plan",
                Some(&token),
                Some(body(
                    &tongyu_domain::plan::Plan {
                        sessions_per_year: 1,
                        hours_per_year: 1,
                        ..plan.clone()
                    },
                    "试试",
                )),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
    }
    let mut school = t.browser();
    school.sign_in("school-admin", PW).await;
    let page = school.get("/plan").await;
    assert_eq!(page.status, StatusCode::OK, "staff read the plan");
    assert!(!page.body.contains("查看修改内容"), "but get no form");
    let parent = t.login("parent").await;
    let (s, _) = t.get("/api/v1/plan", &parent).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let city = t.login("city-admin").await;
    let put = |b: serde_json::Value| {
        let city = city.clone();
        let t = &t;
        async move {
            t.api(
                axum::http::Method::PUT,
                "/api/v1/plan",
                Some(&city),
                Some(b),
            )
            .await
        }
    };
    let (s, v) = put(body(
        &tongyu_domain::plan::Plan {
            entry_grades: vec!["十年级".into()],
            ..plan.clone()
        },
        "新计划",
    ))
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "entry_grades");
    assert!(
        v["message"].as_str().unwrap_or("").contains("P1 一年级"),
        "{v}"
    );
    let (s, v) = put(body(
        &tongyu_domain::plan::Plan {
            sessions_per_year: 0,
            ..plan.clone()
        },
        "新计划",
    ))
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sessions_per_year"))
    );
    let (s, v) = put(body(
        &tongyu_domain::plan::Plan {
            studio_goal: 20,
            ..plan.clone()
        },
        "",
    ))
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note")),
        "a reason is asked for"
    );
    let (s, v) = put(body(&plan, "原样保存")).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing to change: {v}"
    );
    let (s, v) = put(body(
        &tongyu_domain::plan::Plan {
            studio_goal: 20,
            ..plan.clone()
        },
        "新一轮",
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plan"]["studio_goal"], 20);

    // A typed number that is no number, on the page.
    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    b.get("/plan").await;
    let p = b
        .post(
            "/plan",
            &[
                ("name", "计划"),
                ("sessions_per_year", "四"),
                ("hours_per_year", "8"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("每学年场次应为整数"), "{}", p.body);
    assert!(p.body.contains("value=\"四\""), "what was typed stays");
}
