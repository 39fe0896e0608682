//! A campaign's lessons changed while families are under way: what they
//! did keeps or stops counting as the campaign now holds it, and every
//! board still equals a recount.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, sql};
use crate::learning::{campaign, watch};

/// The city's figures for a campaign, after checking that the kept
/// rollups equal a recount from the families' tallies:
/// (families done, lessons done, families started).
async fn city_figures(t: &TestApp, camp: i64) -> (i64, i64, i64) {
    let check = tongyu_service::learning::check_rollups(&t.app, camp)
        .await
        .expect("check");
    assert_eq!(check.kept, check.recounted, "rollups equal a recount");
    let admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (s, b) = t
        .get(
            &format!("/api/v1/campaigns/{camp}/board?unit_id={city}"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let n = |k: &str| b["unit"][k].as_i64().expect("a figure");
    (n("families_done"), n("lessons_done"), n("families_started"))
}

/// The demo parent's family in the head teacher's list: (done, needed, completed).
async fn family(t: &TestApp, camp: i64) -> (i64, i64, bool) {
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let (s, fams) = t
        .get(
            &format!("/api/v1/campaigns/{camp}/classes/{class}"),
            &teacher,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{fams}");
    let f: &Value = fams["items"]
        .as_array()
        .expect("families")
        .iter()
        .find(|f| f["started"] == true)
        .expect("the family that watched");
    (
        f["done"].as_i64().expect("done"),
        f["needed"].as_i64().expect("needed"),
        f["completed"] == true,
    )
}

#[tokio::test]
async fn adding_or_taking_out_a_lesson_recounts_the_families_and_taking_out_asks_first() {
    let t = TestApp::demo().await;
    let (camp, all, k1) = campaign(&t).await;
    let parent = t.login("parent").await;
    for lesson in [all, k1] {
        watch(&t, &parent, lesson, 600).await;
    }
    assert_eq!(family(&t, camp).await, (2, 2, true));
    assert_eq!(city_figures(&t, camp).await, (1, 2, 1));

    // A third lesson for every parent: the finished family has one more to do.
    let admin = t.login("city-admin").await;
    let extra = t
        .get("/api/v1/me/lessons", &parent)
        .await
        .1
        .pointer("/children/0/lessons")
        .and_then(Value::as_array)
        .and_then(|l| {
            l.iter()
                .map(|x| x["lesson_id"].as_i64().expect("id"))
                .find(|id| *id != all && *id != k1)
        })
        .expect("a lesson of the demo campaign");
    let (s, v) = t
        .post(
            &format!("/api/v1/campaigns/{camp}/lessons"),
            &admin,
            json!({"lesson_id": extra, "grade": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(family(&t, camp).await, (2, 3, false));
    assert_eq!(city_figures(&t, camp).await, (0, 2, 1));
    let (s, list) = t
        .get(&format!("/api/v1/campaigns/{camp}/lessons"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let whom: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| l["for_whom"].as_str().expect("for whom"))
        .collect();
    assert_eq!(whom, ["全体家长", "小班新生家长", "全体家长"]);

    // A school cannot take out the city's lesson.
    let school = t.login("school-admin").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/campaigns/{camp}/lessons/remove"),
            &school,
            json!({"lesson_id": k1, "grade": "K1"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut browser = t.browser();
    browser.sign_in("school-admin", crate::common::PW).await;
    let p = browser.get("/campaigns").await;
    assert!(
        p.body.contains("小班新生家长") && !p.body.contains(">移除<"),
        "{}",
        p.body
    );

    // The city takes the K1 lesson out in the browser: first it is told
    // that one family had finished it, then it confirms.
    let mut city = t.browser();
    city.sign_in("city-admin", crate::common::PW).await;
    let p = city.get("/campaigns").await;
    assert!(p.body.contains(">移除<"), "{}", p.body);
    assert!(
        p.body
            .contains(&format!("name=\"lesson_id\" value=\"{k1}\"")),
        "{}",
        p.body
    );
    let (camp_s, k1_s) = (camp.to_string(), k1.to_string());
    let fields = [
        ("campaign_id", camp_s.as_str()),
        ("lesson_id", k1_s.as_str()),
        ("grade", "K1"),
        ("school_id", "0"),
    ];
    let p = city.post("/campaigns/lessons/remove", &fields).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body.contains("幼一：入园第一课")
            && p.body.contains("已学完这节课的 1 个家庭")
            && p.body.contains("确认移除"),
        "{}",
        p.body
    );
    assert_eq!(family(&t, camp).await, (2, 3, false), "nothing yet");
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm", "1"));
    let p = city.post("/campaigns/lessons/remove", &confirmed).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = city.get("/campaigns?msg=removed").await;
    let k1_form = format!("name=\"lesson_id\" value=\"{k1}\"");
    assert!(
        p.body.contains("已移除") && !p.body.contains(&k1_form),
        "{}",
        p.body
    );
    assert_eq!(family(&t, camp).await, (1, 2, false));
    assert_eq!(city_figures(&t, camp).await, (0, 1, 1));

    // Taking out the extra lesson finishes the family again.
    let (s, v) = t
        .post(
            &format!("/api/v1/campaigns/{camp}/lessons/remove"),
            &admin,
            json!({"lesson_id": extra, "grade": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["families_undone"], 0);
    assert_eq!(family(&t, camp).await, (1, 1, true));
    assert_eq!(city_figures(&t, camp).await, (1, 1, 1));
    // Twice is not found, and nothing changes.
    let (s, v) = t
        .post(
            &format!("/api/v1/campaigns/{camp}/lessons/remove"),
            &admin,
            json!({"lesson_id": extra, "grade": ""}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let audited = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'campaign.remove_lesson' AND result = 'ok'",
        &[],
    )
    .await;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn the_demo_campaign_s_finished_families_lose_a_lesson_taken_out_and_the_board_follows() {
    let t = TestApp::demo().await;
    let admin = t.login("city-admin").await;
    let (_, list) = t.get("/api/v1/campaigns", &admin).await;
    let camp = list["items"][0]["id"].as_i64().expect("the demo campaign");
    let before = city_figures(&t, camp).await;
    assert!(before.0 > 0, "{before:?}");
    let (_, lessons) = t
        .get(&format!("/api/v1/campaigns/{camp}/lessons"), &admin)
        .await;
    let p1 = lessons["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["target"]["grade"] == "P1")
        .expect("the P1 lesson")["target"]
        .clone();
    let (s, v) = t
        .post(
            &format!("/api/v1/campaigns/{camp}/lessons/remove"),
            &admin,
            json!({"lesson_id": p1["lesson_id"], "grade": "P1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let undone = v["families_undone"].as_i64().expect("count");
    let after = city_figures(&t, camp).await;
    // Finished families stay finished (they need one lesson fewer); the
    // lessons they did of it no longer count.
    assert_eq!(after, (before.0, before.1 - undone, before.2));
}

#[tokio::test]
async fn a_board_is_counted_once_for_every_request_in_its_second_and_equals_a_recount() {
    let t = TestApp::demo().await;
    let shared = t.reopen(|s| s.board_snapshot_ms = 300);
    let (camp, all, _) = campaign(&t).await;
    let admin = shared.login("city-admin").await;
    let city = shared.unit_id("qingdao").await;
    let board = |token: String| {
        let shared = &shared;
        async move {
            let (s, b) = shared
                .get(
                    &format!("/api/v1/campaigns/{camp}/board?unit_id={city}"),
                    &token,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            b
        }
    };
    let recount = || async {
        let check = tongyu_service::learning::check_rollups(&t.app, camp)
            .await
            .expect("check");
        assert_eq!(check.kept, check.recounted, "rollups equal a recount");
        sql::int(
            &t.app,
            "SELECT COUNT(DISTINCT account_id) FROM lesson_progress WHERE lesson_id = $1 AND covered_s > 0",
            &[sql::Arg::I(all)],
        )
        .await
    };
    let started = |b: &Value| b["unit"]["families_started"].as_i64().expect("figure");
    let first = board(admin.clone()).await;
    assert_eq!(started(&first), 0);
    assert_eq!(recount().await, 0);

    // A parent starts: the board shared within its snapshot still says what
    // it counted, and says when.
    let parent = t.login("parent").await;
    watch(&t, &parent, all, 60).await;
    assert_eq!(recount().await, 1);
    let again = board(admin.clone()).await;
    assert_eq!(again["computed_at"], first["computed_at"]);
    assert_eq!(started(&again), 0, "the same snapshot");
    // The page says when it was counted.
    let mut b = shared.browser();
    b.sign_in("city-admin", crate::common::PW).await;
    let page = b.get(&format!("/campaigns/{camp}/board/{city}")).await;
    assert!(page.body.contains("统计于 "), "{}", page.body);

    // The next snapshot counts afresh and equals the recount.
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let fresh = board(admin).await;
    assert_eq!(started(&fresh), 1);
}
