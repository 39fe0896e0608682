//! Training (tasks 4, 6, 21): a head teacher checks in by the session's QR
//! code within its window and the hours are credited; online sessions
//! count once their lesson is played to the end; the targets board follows
//! attendance and chairs, and equals a recount; bad input and scope.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tongyu_service::testkit::{peek, sql};

use crate::common::{PW, TestApp};

async fn assert_board_equals_a_recount(t: &TestApp) {
    for (target, check) in tongyu_service::training::check(&t.app)
        .await
        .expect("check")
    {
        assert!(
            check.differences().is_empty(),
            "{target}: {:?}",
            check.differences()
        );
    }
}

/// (people, done) of a target on a unit's board.
fn figure(board: &Value, target: usize) -> (i64, i64) {
    let f = &board["top"]["figures"][target];
    (f[0].as_i64().expect("people"), f[1].as_i64().expect("done"))
}

async fn five_step(t: &TestApp) -> (i64, i64, i64) {
    let city = t.unit_id("qingdao").await;
    let (_, p) = t
        .get("/api/v1/training/programmes", &t.login("city-admin").await)
        .await;
    let programme = p["run"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == "five_step"))
        .expect("the demo's five-step programme")["id"]
        .as_i64()
        .expect("id");
    let (_, v) = t
        .get(
            &format!("/api/v1/training/programmes/{programme}"),
            &t.login("city-admin").await,
        )
        .await;
    let now = t.app.now();
    let open = v["sessions"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|s| {
                s["starts_at"].as_i64().unwrap_or(0) <= now
                    && s["ends_at"].as_i64().unwrap_or(0) >= now
            })
        })
        .expect("a session under way")["id"]
        .as_i64()
        .expect("id");
    (city, programme, open)
}

#[tokio::test]
async fn a_head_teacher_checks_in_by_the_code_and_the_hours_are_credited() {
    let t = TestApp::demo().await;
    let (_, programme, open) = five_step(&t).await;
    let city_admin = t.login("city-admin").await;
    let (s, v) = t
        .get(&format!("/api/v1/training/sessions/{open}"), &city_admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["checkin_token"]
        .as_str()
        .expect("the organiser sees the code")
        .to_owned();
    // The organiser's page shows the code to scan.
    let mut organiser = t.browser();
    organiser.sign_in("city-admin", PW).await;
    let page = organiser.get(&format!("/training/sessions/{open}")).await;
    assert!(
        page.body.contains("<svg") && page.body.contains(&format!("/t/{token}\">签到链接")),
        "{}",
        page.body
    );

    // The head teacher sees the programme, and the code is not shown to them.
    let teacher = t.login("head-teacher").await;
    let (_, mine) = t
        .get(&format!("/api/v1/training/sessions/{open}"), &teacher)
        .await;
    assert_eq!(mine["checkin_token"], Value::Null, "{mine}");
    let mut b = t.browser();
    b.sign_in("head-teacher", PW).await;
    let hub = b.get("/training").await;
    assert!(
        hub.body.contains("班主任家庭教育指导“五步法”培训"),
        "{}",
        hub.body
    );
    b.get(&format!("/t/{token}")).await;
    let done = b.post(&format!("/t/{token}"), &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("签到成功，记入 2 学时"), "{}", done.body);
    let again = b.post(&format!("/t/{token}"), &[]).await;
    assert!(again.body.contains("您已经签到过了"));
    let (_, record) = t.get("/api/v1/training/me", &teacher).await;
    // The demo head teacher already holds the 8 hours of the lecturer course.
    assert_eq!(record["total_hours"], 2 + 8, "{record}");
    assert_eq!(record["programmes"][0]["completed"], false, "2 of 6 hours");
    let page = b.get(&format!("/training/programmes/{programme}")).await;
    assert!(page.body.contains("<b>2</b> / 6"), "{}", page.body);

    // The board counts the teacher as started, not done; the two earlier
    // lectures, recorded by the organiser, complete the programme.
    let class = t.login_unit(&teacher).await;
    let district = tongyu_domain::org::path_ids(&t.unit(class).await.path)[1];
    let leader = t.login("district-admin").await;
    let (_, before) = t
        .get(&format!("/api/v1/training/board/{district}"), &leader)
        .await;
    let me = peek::account_by_username(&t.app, "head-teacher").await;
    let (_, v) = t
        .get(
            &format!("/api/v1/training/programmes/{programme}"),
            &city_admin,
        )
        .await;
    for s in v["sessions"].as_array().expect("sessions") {
        let id = s["id"].as_i64().expect("id");
        if id == open {
            continue;
        }
        let (st, body) = t
            .post(
                &format!("/api/v1/training/sessions/{id}/attendance"),
                &city_admin,
                json!({"account_id": me.id}),
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    }
    let (_, record) = t.get("/api/v1/training/me", &teacher).await;
    assert_eq!(record["programmes"][0]["completed"], true, "{record}");
    let (_, after) = t
        .get(&format!("/api/v1/training/board/{district}"), &leader)
        .await;
    assert_eq!(figure(&after, 0).1, figure(&before, 0).1 + 1, "{after}");
    assert_eq!(figure(&after, 0).0, figure(&before, 0).0);
    assert_board_equals_a_recount(&t).await;
    let page = organiser.get(&format!("/training/board/{district}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("班主任完成“五步法”培训"));
    let n = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'training.attend'",
        &[],
    )
    .await;
    assert_eq!(n, 3);
}

#[tokio::test]
async fn check_in_keeps_to_its_window_and_its_people() {
    let t = TestApp::demo().await;
    let (_, programme, _) = five_step(&t).await;
    let city_admin = t.login("city-admin").await;
    let (_, v) = t
        .get(
            &format!("/api/v1/training/programmes/{programme}"),
            &city_admin,
        )
        .await;
    let past = v["sessions"][0]["id"].as_i64().expect("the first lecture");
    let (_, s) = t
        .get(&format!("/api/v1/training/sessions/{past}"), &city_admin)
        .await;
    let token = s["checkin_token"].as_str().expect("code").to_owned();
    let (st, e) = t
        .post(
            "/api/v1/training/check-in",
            &t.login("teacher").await,
            json!({"token": token}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("签到已结束"),
        "{e}"
    );
    // A parent is no staff.
    let (st, e) = t
        .post(
            "/api/v1/training/check-in",
            &t.login("parent").await,
            json!({"token": token}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    // A district's programme is for its own people.
    let (_, p) = t
        .get(
            "/api/v1/training/programmes",
            &t.login("district-admin").await,
        )
        .await;
    let visits = p["run"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == "home_visit"))
        .expect("the district's programme")["id"]
        .as_i64()
        .expect("id");
    let elsewhere = t.unit_id("school1").await;
    let stranger = tongyu_service::testkit::factory::first_class(&t.app, elsewhere).await;
    let stranger =
        peek::account_by_username(&t.app, &format!("class{}-teacher", stranger.id)).await;
    let (st, _) = t
        .get(
            &format!("/api/v1/training/programmes/{visits}"),
            &t.login_with(&stranger.username, PW).await,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Bad input on a programme and a session, nothing saved.
    let before = sql::int(&t.app, "SELECT COUNT(*) FROM training_sessions", &[]).await;
    let now = t.app.now();
    for (body, field) in [
        (
            json!({"title": "倒序的场次", "starts_at": now + 7200, "ends_at": now + 3600, "mode": "in_person", "hours": 2}),
            "ends_at",
        ),
        (
            json!({"title": "没有课程的线上场次", "starts_at": now, "ends_at": now + 3600, "mode": "online", "hours": 1}),
            "lesson_id",
        ),
        (
            json!({"title": "学时过多", "starts_at": now, "ends_at": now + 3600, "mode": "in_person", "hours": 40}),
            "hours",
        ),
    ] {
        let (st, e) = t
            .post(
                &format!("/api/v1/training/programmes/{programme}/sessions"),
                &city_admin,
                body,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["field"], field, "{e}");
    }
    assert_eq!(
        sql::int(&t.app, "SELECT COUNT(*) FROM training_sessions", &[]).await,
        before
    );
    let city = t.unit_id("qingdao").await;
    let (st, e) = t
        .post(
            &format!("/api/v1/units/{city}/training-programmes"),
            &city_admin,
            json!({"kind": "chair", "title": "家委会主任短训", "target_hours": 2}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("不少于 4 学时"),
        "{e}"
    );
    // A head teacher runs no programme.
    let (st, _) = t
        .post(
            &format!("/api/v1/units/{city}/training-programmes"),
            &t.login("head-teacher").await,
            json!({"kind": "other", "title": "自办培训", "target_hours": 2}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_online_session_counts_once_its_lesson_is_played_to_the_end() {
    let t = TestApp::demo().await;
    let (_, programme, _) = five_step(&t).await;
    let city_admin = t.login("city-admin").await;
    // A published library lesson, in no campaign.
    let lesson = sql::int(
        &t.app,
        "SELECT MIN(l.id) FROM lessons l WHERE l.status = 'published'
           AND l.id NOT IN (SELECT lesson_id FROM campaign_lessons)",
        &[],
    )
    .await;
    let duration = sql::int(
        &t.app,
        "SELECT duration_s FROM lessons WHERE id = $1",
        &[lesson.into()],
    )
    .await;
    let now = t.app.now();
    let (st, v) = t
        .post(
            &format!("/api/v1/training/programmes/{programme}/sessions"),
            &city_admin,
            json!({"title": "线上补课", "starts_at": now - 3600, "ends_at": now + 3600,
                   "mode": "online", "lesson_id": lesson, "hours": 2}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let session = v["id"].as_i64().expect("id");
    let teacher = t.login("teacher").await;
    let (st, e) = t
        .post(
            &format!("/api/v1/training/sessions/{session}/complete"),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("请先完整观看"),
        "{e}"
    );
    crate::learning::watch(&t, &teacher, lesson, duration).await;
    let (st, done) = t
        .post(
            &format!("/api/v1/training/sessions/{session}/complete"),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!(done["new"], true);
    let (_, record) = t.get("/api/v1/training/me", &teacher).await;
    assert_eq!(record["sessions"][0]["method"], "online", "{record}");
    assert_board_equals_a_recount(&t).await;
}

#[tokio::test]
async fn chairs_are_counted_from_the_committees_and_trained_ones_from_their_hours() {
    let t = TestApp::demo().await;
    let city_admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, before) = t
        .get(&format!("/api/v1/training/board/{city}"), &city_admin)
        .await;
    let (people, done) = figure(&before, 2);
    assert!(
        people > 0 && done > 0 && done < people,
        "a part-trained city: {before}"
    );
    // A committee elects a new chair: still one chair, now untrained.
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let (_, c) = t
        .get(&format!("/api/v1/units/{school}/committees"), &admin)
        .await;
    let committee = c["current"]["committee"]["id"].as_i64().expect("committee");
    let member = c["current"]["members"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["seat"] != "chair"))
        .expect("a member")["account_id"]
        .as_i64()
        .expect("id");
    let today =
        tongyu_domain::calendar::format_date(tongyu_domain::calendar::local_day(t.app.now()));
    let (st, _) = t
        .post(
            &format!("/api/v1/committees/{committee}/elections"),
            &admin,
            json!({"held_on": today, "voters": 30, "chair_id": member}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, after) = t
        .get(&format!("/api/v1/training/board/{city}"), &city_admin)
        .await;
    assert_eq!(figure(&after, 2).0, people, "one chair per committee");
    assert_board_equals_a_recount(&t).await;
    // The new chair's hours, recorded by the organiser, train them.
    let (_, p) = t.get("/api/v1/training/programmes", &city_admin).await;
    let chairs = p["run"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == "chair"))
        .expect("the chairs' programme")["id"]
        .as_i64()
        .expect("id");
    let (_, v) = t
        .get(
            &format!("/api/v1/training/programmes/{chairs}"),
            &city_admin,
        )
        .await;
    let session = v["sessions"][0]["id"].as_i64().expect("session");
    let (st, e) = t
        .post(
            &format!("/api/v1/training/sessions/{session}/attendance"),
            &city_admin,
            json!({"account_id": member}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{e}");
    let (_, trained) = t
        .get(&format!("/api/v1/training/board/{city}"), &city_admin)
        .await;
    assert_eq!(figure(&trained, 2).1, figure(&after, 2).1 + 1, "{trained}");
    // Twice is refused.
    let (st, _) = t
        .post(
            &format!("/api/v1/training/sessions/{session}/attendance"),
            &city_admin,
            json!({"account_id": member}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_board_equals_a_recount(&t).await;
    // A school sees its people's records, not another school's.
    let teacher = peek::account_by_username(&t.app, "teacher").await;
    let (st, _) = t
        .get(&format!("/api/v1/training/people/{}", teacher.id), &admin)
        .await;
    assert_eq!(st, StatusCode::OK);
    let elsewhere =
        tongyu_service::testkit::factory::first_class(&t.app, t.unit_id("school1").await).await;
    let stranger =
        peek::account_by_username(&t.app, &format!("class{}-teacher", elsewhere.id)).await;
    let (st, _) = t
        .api(
            Method::GET,
            &format!("/api/v1/training/people/{}", stranger.id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_organiser_exports_who_attended_and_a_participant_cannot() {
    let t = TestApp::demo().await;
    let programme = sql::int(
        &t.app,
        "SELECT MIN(id) FROM training_programmes WHERE kind = 'instructor'",
        &[],
    )
    .await;
    let path = format!("/training/programmes/{programme}/export.xlsx");
    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    let page = b.get(&format!("/training/programmes/{programme}")).await;
    assert!(page.body.contains(&path), "{}", page.body);
    let before = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'training.export'",
        &[],
    )
    .await;
    let x = b.get(&path).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with("PK"), "a workbook");
    assert_eq!(
        sql::int(
            &t.app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'training.export'",
            &[],
        )
        .await,
        before + 1
    );
    let mut h = t.browser();
    h.sign_in("head-teacher", PW).await;
    let refused = h.get(&path).await;
    assert!(
        matches!(
            refused.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ),
        "{}",
        refused.status
    );
}
