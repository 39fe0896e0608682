//! Required-course delivery: the head teacher's plan and the yearly
//! minimum with its rollups, check-in by QR code, two-way ratings, the
//! effect questionnaire, workload and the growth record, and who may see
//! and do what.
//!
//! The demo gives the head teacher's class a required course with two
//! sessions held (the demo parent came to both) and two to come.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{PW, START, TestApp, factory, peek};

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// The demo's required course.
async fn required_course(t: &TestApp, token: &str) -> i64 {
    let class = t.login_unit(token).await;
    let (s, plan) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    plan["courses"][0][0].as_i64().expect("a required course")
}

async fn plan(t: &TestApp, token: &str, class: i64, body: Value) -> (StatusCode, Value) {
    t.post(&format!("/api/v1/classes/{class}/sessions"), token, body)
        .await
}

async fn set_status(t: &TestApp, token: &str, session: i64, to: &str) -> (StatusCode, Value) {
    t.post(
        &format!("/api/v1/sessions/{session}/status"),
        token,
        json!({ "status": to }),
    )
    .await
}

fn school_and_district(t: &tongyu_domain::org::Unit) -> (i64, i64) {
    let ids = tongyu_domain::org::path_ids(&t.path);
    (ids[3], ids[1])
}

#[tokio::test]
async fn held_sessions_count_toward_the_yearly_minimum_and_roll_up() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let course = required_course(&t, &teacher).await;
    let (school, district) = school_and_district(&t.unit(class).await);
    let district_admin = t.login("district-admin").await;

    // The demo class has held 2 of 4 sessions: flagged to school and district.
    let (_, plan0) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    assert_eq!(
        plan0["tally"],
        json!({"sessions": 2, "hours": 4, "sessions_planned": 2, "hours_planned": 4})
    );
    assert_eq!(plan0["met"], false);
    let (s, d) = t
        .get(
            &format!("/api/v1/units/{district}/delivery"),
            &district_admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["unit"]["met"], 0);
    assert!(d["unit"]["flagged"].as_i64().expect("flagged") > 0);
    // Its two sessions to come would meet the minimum: on track.
    assert_eq!(d["unit"]["on_track"], 1, "{d}");

    // A session that has not started cannot be marked held.
    let upcoming: Vec<i64> = plan0["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter(|r| r["session"]["status"] == "planned")
        .map(|r| r["session"]["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(upcoming.len(), 2);
    let (s, e) = set_status(&t, &teacher, upcoming[0], "held").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "validation_failed");

    // Plan two more this week (2 hours and 1 hour), hold them: 4 sessions, 7 hours.
    let mut new = Vec::new();
    let mut titles = Vec::new();
    for (hours, ago) in [(2, 3 * DAY), (1, 2 * DAY + HOUR)] {
        let (s, v) = plan(
            &t,
            &teacher,
            class,
            json!({"course_id": course, "starts_at": START - ago, "class_hours": hours, "place": "阶梯教室"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "planned");
        new.push(v["id"].as_i64().expect("id"));
        titles.push(v["title"].as_str().expect("title").to_owned());
    }
    for id in &new {
        let (s, v) = set_status(&t, &teacher, *id, "held").await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, p) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    assert_eq!(
        p["tally"],
        json!({"sessions": 4, "hours": 7, "sessions_planned": 2, "hours_planned": 4})
    );
    assert_eq!(p["met"], false, "4 sessions but only 7 hours");

    // Re-planned to 2 hours (undo, edit, hold again): the minimum is met,
    // and the school, district and city count the class.
    let (s, _) = set_status(&t, &teacher, new[1], "planned").await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = t
        .post(
            &format!("/api/v1/sessions/{}", new[1]),
            &teacher,
            json!({"course_id": course, "starts_at": START - 2 * DAY, "class_hours": 2, "place": "阶梯教室"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["title"], titles[1], "re-planned, it keeps its title");
    assert_eq!(
        titles,
        vec!["第5次课", "第6次课"],
        "numbered after the demo's four"
    );
    let (s, _) = set_status(&t, &teacher, new[1], "held").await;
    assert_eq!(s, StatusCode::OK);
    // Marking it held twice counts once.
    let (s, _) = set_status(&t, &teacher, new[1], "held").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, p) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    assert_eq!(
        p["tally"],
        json!({"sessions": 4, "hours": 8, "sessions_planned": 2, "hours_planned": 4})
    );
    assert_eq!(p["met"], true);
    for unit in [school, district] {
        let (_, d) = t
            .get(&format!("/api/v1/units/{unit}/delivery"), &district_admin)
            .await;
        assert_eq!(d["unit"]["met"], 1, "unit {unit}: {d}");
    }
    let (_, d) = t
        .get(&format!("/api/v1/units/{school}/delivery"), &district_admin)
        .await;
    let flagged_first = d["children"][0]["flagged"].as_i64().expect("flagged");
    assert!(flagged_first >= 1, "flagged units come first: {d}");

    // Cancelling a planned session changes nothing; undoing a held one does.
    let (s, _) = set_status(&t, &teacher, upcoming[1], "cancelled").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = set_status(&t, &teacher, new[0], "planned").await;
    assert_eq!(s, StatusCode::OK);
    let (_, d) = t
        .get(
            &format!("/api/v1/units/{district}/delivery"),
            &district_admin,
        )
        .await;
    assert_eq!(d["unit"]["met"], 0);
    let (s, _) = set_status(&t, &teacher, new[0], "held").await;
    assert_eq!(s, StatusCode::OK);

    // The rollups equal a recount from the classes' tallies.
    let check = tongyu_service::delivery::check_rollups(&t.app, 2026)
        .await
        .expect("rollups");
    assert_eq!(check.kept, check.recounted);
    let kept = check.kept;
    assert_eq!(kept.get(&district), Some(&vec![1, 1]), "met, and on track");

    // The school moves to another district: the counts follow it.
    let city_admin = t.login("city-admin").await;
    let (elsewhere, new_district) = {
        let d = factory::another_district(&t.app, district).await;
        (peek::children(&t.app, d.id).await[0].id, d.id)
    };
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{school}/move"),
            &city_admin,
            json!({ "parent_id": elsewhere }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let check = tongyu_service::delivery::check_rollups(&t.app, 2026)
        .await
        .expect("rollups");
    assert_eq!(check.kept, check.recounted);
    let kept = check.kept;
    assert_eq!(kept.get(&district), None);
    assert_eq!(kept.get(&new_district), Some(&vec![1, 1]));

    // The teacher's workload: every held session's class hours, credited to
    // whoever marked it held (the demo's two were 2 hours each).
    let (_, w) = t.get("/api/v1/me/workload", &teacher).await;
    assert_eq!(
        w["items"],
        json!([{"school_year": 2026, "sessions": 4, "class_hours": 8, "training_sessions": 0,
                "training_hours": 0, "lectures": 0, "lecture_hours": 0}])
    );
    let school_admin = t.login("school-admin").await;
    let (s, w) = t
        .get(&format!("/api/v1/units/{school}/workload"), &school_admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w["items"][0]["hours"], 8);
    assert_eq!(w["items"][0]["name"], "班主任（演示）");
}

#[tokio::test]
async fn bad_plans_are_refused_with_clear_codes() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let course = required_course(&t, &teacher).await;
    let ok =
        json!({"course_id": course, "starts_at": START + DAY, "class_hours": 2, "place": "教室"});
    let cases = [
        (
            json!({"course_id": course, "starts_at": START + DAY, "class_hours": 2}),
            "place",
        ),
        (
            json!({"course_id": course, "starts_at": START + DAY, "class_hours": 9, "place": "教室"}),
            "class_hours",
        ),
        (
            json!({"course_id": course, "starts_at": START + DAY, "class_hours": 2, "online_url": "javascript:alert(1)"}),
            "online_url",
        ),
        (
            json!({"course_id": 999_999, "starts_at": START + DAY, "class_hours": 2, "place": "教室"}),
            "course_id",
        ),
        (
            json!({"course_id": course, "starts_at": 0, "class_hours": 2, "place": "教室"}),
            "starts_at",
        ),
    ];
    for (body, field) in cases {
        let (s, e) = plan(&t, &teacher, class, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {e}");
        assert_eq!(e["code"], "validation_failed");
        assert_eq!(e["field"], field, "{e}");
    }
    // A keynote course is not the required course.
    let (s, e) = plan(
        &t,
        &teacher,
        class,
        json!({"course_id": 1, "starts_at": START + DAY, "class_hours": 2, "place": "教室"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // Another class is not the head teacher's: it does not exist for them.
    let other = factory::another_class(&t.app, class).await.id;
    let (s, _) = plan(&t, &teacher, other, ok.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The school's administrator may stand in; a parent may not plan.
    let school_admin = t.login("school-admin").await;
    let (s, v) = plan(&t, &school_admin, other, ok.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let parent = t.login("parent").await;
    let (s, _) = plan(&t, &parent, class, ok).await;
    assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND));
    // Nor see a session's roster.
    let sid = v["id"].as_i64().expect("id");
    let (s, _) = t.get(&format!("/api/v1/sessions/{sid}"), &parent).await;
    assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND));
    // A district sees its schools' compliance, not another district's.
    let district_admin = t.login("district-admin").await;
    let other_district = {
        let mine = school_and_district(&t.unit(class).await).1;
        factory::another_district(&t.app, mine).await.id
    };
    let (s, _) = t
        .get(
            &format!("/api/v1/units/{other_district}/delivery"),
            &district_admin,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn parents_check_in_by_qr_code_rate_and_keep_it_in_their_growth_record() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let course = required_course(&t, &teacher).await;
    let starts = START + 2 * HOUR;
    let (_, v) = plan(
        &t,
        &teacher,
        class,
        json!({"course_id": course, "starts_at": starts, "class_hours": 2, "online_url": "https://meeting.example.cn/8848"}),
    )
    .await;
    let sid = v["id"].as_i64().expect("id");
    let (s, d) = t.get(&format!("/api/v1/sessions/{sid}"), &teacher).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let url = d["checkin_url"].as_str().expect("checkin url").to_owned();
    let token = url.trim_start_matches("/checkin/").to_owned();
    assert!(token.len() >= 24, "unguessable: {token}");

    // Sessions time out while the clock moves on: sign in afresh each time.
    let checkin = |tok: String| {
        let t = &t;
        async move {
            let parent = t.login("parent").await;
            t.post("/api/v1/checkin", &parent, json!({ "token": tok }))
                .await
        }
    };
    // Too early: check-in opens 30 minutes before.
    let (s, e) = checkin(token.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    t.clock.advance(2 * HOUR - 20 * 60);
    let teacher = t.login("head-teacher").await;
    let (s, v) = checkin(token.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["new"], true);
    let (_, v) = checkin(token.clone()).await;
    assert_eq!(v["new"], false, "a second scan changes nothing");
    // A bad code, and a parent of another class.
    let (s, _) = checkin("not-a-real-code".into()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let other_class = factory::another_class(&t.app, class).await.id;
    let outsider = t
        .login(&factory::parent_in(&t.app, other_class, "").await.username)
        .await;
    let (s, e) = t
        .post("/api/v1/checkin", &outsider, json!({ "token": token }))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");

    // The head teacher sees who came (by QR) and rates participation.
    let (_, d) = t.get(&format!("/api/v1/sessions/{sid}"), &teacher).await;
    let me = d["families"]
        .as_array()
        .expect("families")
        .iter()
        .find(|f| f["present"] == true)
        .expect("the parent is present")
        .clone();
    assert_eq!(me["method"], "qr");
    let parent_id = me["account_id"].as_i64().expect("id");

    // Rating: only once it has started, only by a parent who came.
    let parent = t.login("parent").await;
    let (s, e) = t
        .post(
            &format!("/api/v1/sessions/{sid}/rating"),
            &parent,
            json!({"score": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "not started yet: {e}");
    t.clock.advance(30 * 60);
    let parent = t.login("parent").await;
    let teacher = t.login("head-teacher").await;
    let classmate = t
        .login(&factory::parent_in(&t.app, class, "parent").await.username)
        .await;
    for (score, want) in [(0, 422), (6, 422), (4, 204)] {
        let (s, e) = t
            .post(
                &format!("/api/v1/sessions/{sid}/rating"),
                &parent,
                json!({"score": score, "comment": "很有收获"}),
            )
            .await;
        assert_eq!(s.as_u16(), want, "score {score}: {e}");
    }
    let (s, _) = t
        .post(
            &format!("/api/v1/sessions/{sid}/rating"),
            &classmate,
            json!({"score": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "did not come");

    // The teacher's attendance sheet: the classmate marked present, a
    // stranger refused, participation rated.
    let classmate_id = {
        let (_, me) = t.get("/api/v1/me", &classmate).await;
        me["id"].as_i64().expect("id")
    };
    let (s, e) = t
        .post(
            &format!("/api/v1/sessions/{sid}/attendance"),
            &teacher,
            json!({"present": [{"account_id": parent_id, "participation": 5}, {"account_id": 1, "participation": 3}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = t
        .post(
            &format!("/api/v1/sessions/{sid}/attendance"),
            &teacher,
            json!({"present": [{"account_id": parent_id, "participation": 5}, {"account_id": classmate_id, "participation": 3}]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (_, d) = t.get(&format!("/api/v1/sessions/{sid}"), &teacher).await;
    let present: Vec<(i64, String, i64)> = d["families"]
        .as_array()
        .expect("families")
        .iter()
        .filter(|f| f["present"] == true)
        .map(|f| {
            (
                f["account_id"].as_i64().unwrap_or(0),
                f["method"].as_str().unwrap_or("").to_owned(),
                f["participation"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(present.len(), 2);
    assert!(present.contains(&(parent_id, "qr".into(), 5)));
    assert!(present.contains(&(classmate_id, "teacher".into(), 3)));
    assert_eq!(d["rating_mean"], 4.0);
    assert_eq!(d["ratings"], json!([{"score": 4, "comment": "很有收获"}]));
    // The classmate is marked absent again; the parent not named stays.
    let (s, e) = t
        .post(
            &format!("/api/v1/sessions/{sid}/attendance"),
            &teacher,
            json!({"present": [], "absent": [classmate_id]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (_, d) = t.get(&format!("/api/v1/sessions/{sid}"), &teacher).await;
    let present: Vec<i64> = d["families"]
        .as_array()
        .expect("families")
        .iter()
        .filter(|f| f["present"] == true)
        .filter_map(|f| f["account_id"].as_i64())
        .collect();
    assert_eq!(present, vec![parent_id]);

    // Held: the parent's growth record counts it (with the demo's two).
    let (s, _) = set_status(&t, &teacher, sid, "held").await;
    assert_eq!(s, StatusCode::OK);
    let (_, g) = t.get("/api/v1/me/growth", &parent).await;
    let year = g["years"]
        .as_array()
        .expect("years")
        .iter()
        .find(|y| y["school_year"] == 2026)
        .expect("this school year")
        .clone();
    assert_eq!(
        (year["sessions"].as_i64(), year["class_hours"].as_i64()),
        (Some(3), Some(6))
    );
    let (_, mine) = t.get("/api/v1/me/sessions", &parent).await;
    let this = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["id"] == sid)
        .expect("listed")
        .clone();
    assert_eq!(
        (this["attended"].clone(), this["my_score"].clone()),
        (json!(true), json!(4))
    );

    // Every change is in the audit log, and so is the read of the roster.
    let audit = t.login("audit-admin").await;
    let (_, log) = t.get("/api/v1/audit?limit=200", &audit).await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "delivery.plan",
        "delivery.checkin",
        "delivery.rate",
        "delivery.attendance",
        "delivery.status",
        "delivery.read_session",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[tokio::test]
async fn the_questionnaire_before_and_after_shows_the_change() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let course = required_course(&t, &teacher).await;
    let city_admin = t.login("city-admin").await;
    let parent = t.login("parent").await;
    let (school, _) = school_and_district(&t.unit(class).await);

    // A class that has held nothing yet answers the "before" round: the
    // school admin plans the first session of another class.
    let other = factory::another_class(&t.app, class).await.id;
    let school_admin = t.login("school-admin").await;
    let (s, v) = plan(
        &t,
        &school_admin,
        other,
        json!({"course_id": course, "starts_at": START - DAY, "class_hours": 2, "place": "教室"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let first = v["id"].as_i64().expect("id");
    let p2_name = factory::parent_in(&t.app, other, "").await.username;
    let p2 = t.login(&p2_name).await;
    let (_, surveys) = t.get("/api/v1/me/surveys", &p2).await;
    assert_eq!(surveys["items"][0]["phase"], "before", "{surveys}");
    assert_eq!(
        surveys["items"][0]["questions"].as_array().map(Vec::len),
        Some(3)
    );
    let answer = |tok: &str, phase: &str, answers: Value| {
        let body = json!({"phase": phase, "answers": answers});
        let tok = tok.to_owned();
        let t = &t;
        async move {
            t.post(&format!("/api/v1/classes/{other}/survey"), &tok, body)
                .await
        }
    };
    let (s, e) = answer(&p2, "before", json!([2, 3])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "every question: {e}");
    let (s, e) = answer(&p2, "before", json!([2, 3, 7])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "1 to 5: {e}");
    let (s, e) = answer(&p2, "after", json!([2, 3, 3])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "not open: {e}");
    // The parent answers on the page: every question needs an answer.
    let mut b = t.browser();
    b.sign_in(&p2_name, PW).await;
    let page = b.get(&format!("/surveys/{other}")).await;
    assert!(page.body.contains("课前问卷"), "{}", page.body);
    assert!(page.body.contains("我能耐心倾听孩子的想法"));
    let page = b
        .post(
            &format!("/surveys/{other}"),
            &[("phase", "before"), ("q0", "2")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("请回答全部题目"), "{}", page.body);
    let page = b
        .post(
            &format!("/surveys/{other}"),
            &[("phase", "before"), ("q0", "2"), ("q1", "3"), ("q2", "1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = b.get(page.location.as_deref().expect("back")).await;
    assert!(page.body.contains("感谢您填写问卷"), "{}", page.body);
    let (s, e) = answer(&p2, "before", json!([5, 5, 5])).await;
    assert_eq!(s, StatusCode::CONFLICT, "once per round: {e}");
    // The demo parent's class has held 2: no round is open for them.
    let (_, mine) = t.get("/api/v1/me/surveys", &parent).await;
    assert_eq!(mine["items"], json!([]));

    // Once parents have answered, the questions are fixed.
    let (s, e) = t
        .post(
            &format!("/api/v1/courses/{course}/questionnaire"),
            &city_admin,
            json!({"questions": ["我能耐心倾听孩子的想法"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (s, e) = t
        .post(
            &format!("/api/v1/courses/{course}/questionnaire"),
            &city_admin,
            json!({"questions": []}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // Four sessions held: the "after" round opens.
    let (s, _) = set_status(&t, &school_admin, first, "held").await;
    assert_eq!(s, StatusCode::OK);
    for k in 2..=4 {
        let (_, v) = plan(
            &t,
            &school_admin,
            other,
            json!({"course_id": course, "starts_at": START - DAY + k * HOUR * 3, "class_hours": 2, "place": "教室"}),
        )
        .await;
        let id = v["id"].as_i64().expect("id");
        let (s, _) = set_status(&t, &school_admin, id, "held").await;
        assert_eq!(s, StatusCode::OK);
    }
    let (_, surveys) = t.get("/api/v1/me/surveys", &p2).await;
    assert_eq!(surveys["items"][0]["phase"], "after", "{surveys}");
    let (s, e) = answer(&p2, "after", json!([4, 4, 4])).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");

    // The change shows for the class and for the school.
    for unit in [other, school] {
        let (s, eff) = t
            .get(
                &format!("/api/v1/courses/{course}/effect/{unit}"),
                &school_admin,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{eff}");
        let changes: Vec<f64> = eff["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .map(|q| q["change"].as_f64().expect("a change"))
            .collect();
        assert_eq!(changes, vec![2.0, 1.0, 3.0], "unit {unit}: {eff}");
    }
}

#[tokio::test]
async fn pages_take_a_head_teacher_and_a_parent_through_a_session() {
    let t = TestApp::demo().await;
    let mut hb = t.browser();
    hb.sign_in("head-teacher", PW).await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let course = required_course(&t, &teacher).await;

    let p = hb.get("/delivery").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("我的班级"), "{}", p.body);
    let p = hb.get(&format!("/delivery/classes/{class}")).await;
    assert!(p.body.contains("未达标"));
    assert!(p.body.contains("第一讲：读懂孩子的情绪"));
    // A bad time comes back as a Chinese message; a good plan is listed.
    let course_s = course.to_string();
    let p = hb
        .post(
            &format!("/delivery/classes/{class}"),
            &[
                ("course_id", &course_s),
                ("starts_at", "下周一"),
                ("class_hours", "2"),
                ("place", "教室"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("请填写上课日期和时间"));
    let p = hb
        .post(
            &format!("/delivery/classes/{class}"),
            &[
                ("course_id", &course_s),
                ("title", "<script>alert(1)</script>家长沙龙"),
                ("starts_at", "2026-09-15T10:10"),
                ("class_hours", "2"),
                ("place", "三楼会议室"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = hb.get(p.location.as_deref().expect("to the plan")).await;
    assert!(p.body.contains("已安排"));
    assert!(!p.body.contains("<script>alert(1)"), "escaped");
    let (_, plan) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    let sid = plan["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|r| {
            r["session"]["title"]
                .as_str()
                .is_some_and(|s| s.ends_with("家长沙龙"))
        })
        .and_then(|r| r["session"]["id"].as_i64())
        .expect("planned");

    // Re-planned from its page: three class hours, another room; the
    // class's planned hours follow.
    let p = hb.get(&format!("/delivery/sessions/{sid}")).await;
    assert!(p.body.contains("id=\"replan\""), "{}", p.body);
    let (_, before) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    let p = hb
        .post(
            &format!("/delivery/sessions/{sid}/replan"),
            &[
                ("starts_at", "不是时间"),
                ("class_hours", "3"),
                ("place", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("请填写上课日期和时间"));
    // (Same start, so the parents' check-in below still opens on time.)
    let when = {
        let i = p
            .body
            .find("type=\"datetime-local\" required value=\"")
            .expect("start")
            + 38;
        p.body[i..i + 16].to_owned()
    };
    let p = hb
        .post(
            &format!("/delivery/sessions/{sid}/replan"),
            &[
                ("starts_at", &when),
                ("class_hours", "3"),
                ("place", "二楼阅览室"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = hb.get(&format!("/delivery/sessions/{sid}")).await;
    assert!(
        p.body.contains("二楼阅览室") && p.body.contains("3 课时"),
        "{}",
        p.body
    );
    let (_, after) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    assert_eq!(
        after["tally"]["hours_planned"].as_i64(),
        before["tally"]["hours_planned"].as_i64().map(|h| h + 1),
        "2 → 3 class hours: {after}"
    );

    // The session sheet: QR code, five steps, attendance.
    let p = hb.get(&format!("/delivery/sessions/{sid}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("<svg"), "a QR code");
    assert!(p.body.contains("视频导课") && p.body.contains("微课巩固"));
    let checkin = {
        let i = p.body.find("href=\"/checkin/").expect("checkin link") + 6;
        let rest = &p.body[i..];
        rest[..rest.find('"').expect("end")].to_owned()
    };
    let p = hb
        .post(
            &format!("/delivery/sessions/{sid}/record"),
            &[
                ("step", "video_intro"),
                ("note_video_intro", "播放《读懂情绪》短片"),
                ("step", "discussion"),
                ("note_discussion", ""),
                ("materials", "https://example.cn/ppt"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = hb.get(&format!("/delivery/sessions/{sid}")).await;
    assert!(p.body.contains("播放《读懂情绪》短片"));
    assert!(p.body.contains("value=\"video_intro\" checked"));
    assert!(!p.body.contains("value=\"summary\" checked"));

    // The parent scans: the login comes first, then back to the check-in.
    let mut pb = t.browser();
    let p = pb.get(&checkin).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.as_deref().unwrap_or("").starts_with("/login"));
    pb.sign_in("parent", PW).await;
    let p = pb.get(&checkin).await;
    assert!(p.body.contains("确认签到"));
    let p = pb.post(&checkin, &[]).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("签到成功"), "{}", p.body);
    let p = pb.get("/my").await;
    assert!(
        p.body.contains("家长沙龙"),
        "the session is on the parent's home"
    );
    // Rate it once it has started.
    t.clock.advance(20 * 60);
    let p = pb.get(&format!("/sessions/{sid}")).await;
    assert!(p.body.contains("评价这次课"), "{}", p.body);
    let p = pb
        .post(
            &format!("/sessions/{sid}"),
            &[("score", "5"), ("comment", "<b>好</b>")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = hb.get(&format!("/delivery/sessions/{sid}")).await;
    assert!(p.body.contains("5 分："), "the comment is listed");
    assert!(!p.body.contains("<b>好</b>"), "comment shown escaped");
    assert!(p.body.contains("扫码"), "checked in by QR");
    // A sheet saved with nobody ticked leaves a QR check-in alone: only
    // parents shown on the sheet and unticked are marked absent.
    let p = hb
        .post(&format!("/delivery/sessions/{sid}/attendance"), &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = hb.get(&format!("/delivery/sessions/{sid}")).await;
    assert!(p.body.contains("扫码"), "the QR check-in stays");
    // "全部到场" ticks every family on the sheet at once; the sheet is one
    // compact line per family.
    let shown: Vec<String> = p
        .body
        .split("name=\"shown\" value=\"")
        .skip(1)
        .map(|r| r[..r.find('"').expect("end")].to_owned())
        .collect();
    assert!(shown.len() > 1, "{}", p.body);
    assert!(p.body.contains("id=\"attendance\"") && !p.body.contains("<th>到场</th>"));
    let mut fields: Vec<(&str, &str)> = shown.iter().map(|v| ("shown", v.as_str())).collect();
    fields.push(("all", "1"));
    let p = hb
        .post(&format!("/delivery/sessions/{sid}/attendance"), &fields)
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = hb.get(&format!("/delivery/sessions/{sid}")).await;
    assert!(
        p.body
            .contains(&format!("已到 {} / {}", shown.len(), shown.len())),
        "{}",
        p.body
    );

    // Held from the page; the class page counts it.
    let p = hb
        .post(
            &format!("/delivery/sessions/{sid}/status"),
            &[("status", "held")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (_, plan) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    assert_eq!(
        plan["tally"],
        json!({"sessions": 3, "hours": 7, "sessions_planned": 2, "hours_planned": 4})
    );

    // The district's compliance page and its spreadsheet.
    let mut db = t.browser();
    db.sign_in("district-admin", PW).await;
    let (school, district) = school_and_district(&t.unit(class).await);
    let p = db.get(&format!("/delivery/compliance/{district}")).await;
    assert_eq!(p.status, StatusCode::OK);
    // Held, planned and missing: the demo class has sessions to come that
    // would meet the minimum; the headers are the rows' own.
    assert!(
        p.body.contains(
            "<th>镇(街)</th><th>班级</th><th>已达标</th><th>已安排、待上完</th><th>尚缺安排</th>"
        ),
        "{}",
        p.body
    );
    let city = tongyu_domain::org::path_ids(&t.unit(district).await.path)[0];
    assert!(
        !p.body.contains(&format!("/delivery/compliance/{city}?")),
        "the city is above the district's reach"
    );
    // A school's page: every level up to the district named, and its
    // teachers' class hours.
    let p = db.get(&format!("/delivery/compliance/{school}")).await;
    let district_name = t.unit(district).await.name;
    assert!(
        p.body.contains(&format!(
            "/delivery/compliance/{district}?school_year=2026\">{district_name}</a>"
        )),
        "{}",
        p.body
    );
    assert!(p.body.contains("必修课 3 次 7 课时"), "{}", p.body);
    let p = db
        .get(&format!("/delivery/compliance/{district}/export.xlsx"))
        .await;
    assert_eq!(p.status, StatusCode::OK);

    // The head teacher's own class hours are on the entry page; an
    // administrator who teaches no class is not shown an empty tally.
    let p = hb.get("/delivery").await;
    assert!(p.body.contains("必修课 3 次，共 7 课时"), "{}", p.body);
    let p = db.get("/delivery").await;
    assert!(p.body.contains("达标情况"), "{}", p.body);
    assert!(!p.body.contains("我的工作量"), "{}", p.body);
}
