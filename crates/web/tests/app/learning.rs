//! The first lesson of term: what each parent sees, what counts as
//! watched, and the boards that follow.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, factory, peek};

/// A published course of two lessons (600 s each) in an open campaign: one
/// lesson for every parent, one for new K1 parents. Returns (campaign,
/// lesson for all, lesson for K1).
pub(crate) async fn campaign(t: &TestApp) -> (i64, i64, i64) {
    let city_admin = t.login("city-admin").await;
    let author = t.login("expert").await;
    let city = t.unit_id("qingdao").await;
    let (s, course) = t
        .post("/api/v1/courses", &author, json!({"title": "家长开学第一课", "category": "keynote", "subject": "family_education", "unit_id": city}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{course}");
    let course = course["id"].as_i64().expect("id");
    let mut lessons = Vec::new();
    for title in ["全学段：陪伴孩子的新学年", "幼一：入园第一课"] {
        let (s, l) = t
            .post(
                &format!("/api/v1/courses/{course}/lessons"),
                &city_admin,
                json!({"title": title, "duration_s": 600}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{l}");
        lessons.push(l["id"].as_i64().expect("id"));
    }
    for status in ["submitted", "reviewed", "published"] {
        let (s, v) = t
            .post(
                &format!("/api/v1/courses/{course}/status"),
                &city_admin,
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{status}: {v}");
    }
    let now = crate::common::START;
    let (s, camp) = t
        .post("/api/v1/campaigns", &city_admin, json!({"title": "2026学年家长开学第一课", "school_year": 2026, "opens_at": now - 3600, "closes_at": now + 30 * 86400}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{camp}");
    let camp = camp["id"].as_i64().expect("id");
    let (s, v) = t
        .post(
            &format!("/api/v1/campaigns/{camp}/lessons"),
            &city_admin,
            json!({"lesson_id": lessons[0], "grade": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = t
        .post(
            &format!("/api/v1/campaigns/{camp}/lessons"),
            &city_admin,
            json!({"lesson_id": lessons[1], "grade": "K1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (camp, lessons[0], lessons[1])
}

/// Plays a lesson from start to end as a player does: a report every 30 s.
pub(crate) async fn watch(t: &TestApp, token: &str, lesson: i64, duration: i64) -> Value {
    let mut last = Value::Null;
    for a in (0..duration).step_by(30) {
        t.clock.advance(30);
        let (s, v) = report(t, token, lesson, json!([[a, (a + 30).min(duration)]])).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        last = v;
    }
    last
}

async fn report(t: &TestApp, token: &str, lesson: i64, segments: Value) -> (StatusCode, Value) {
    t.post(
        "/api/v1/progress",
        token,
        json!({"lesson_id": lesson, "segments": segments}),
    )
    .await
}

#[tokio::test]
async fn skipping_ahead_does_not_complete_and_watching_twice_counts_once() {
    let t = TestApp::demo().await;
    let (_, all, _) = campaign(&t).await;
    let parent = t.login("parent").await;
    let (s, v) = report(&t, &parent, all, json!([[0, 60]])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["covered_s"].as_i64(), v["completed"].as_bool()),
        (Some(60), Some(false))
    );
    t.clock.advance(120);
    // Jumping to the end covers only what was played there.
    let (_, v) = report(&t, &parent, all, json!([[540, 600]])).await;
    assert_eq!(
        (v["covered_s"].as_i64(), v["completed"].as_bool()),
        (Some(120), Some(false))
    );
    // Playing the whole middle at normal speed completes it.
    t.clock.advance(480);
    let (_, v) = report(&t, &parent, all, json!([[60, 540]])).await;
    assert_eq!(
        (v["covered_s"].as_i64(), v["completed"].as_bool()),
        (Some(600), Some(true))
    );
    // The same segments again change nothing.
    t.clock.advance(600);
    let (_, v) = report(&t, &parent, all, json!([[0, 600]])).await;
    assert_eq!(
        (v["covered_s"].as_i64(), v["completed"].as_bool()),
        (Some(600), Some(true))
    );
}

#[tokio::test]
async fn a_forged_report_of_the_whole_lesson_is_not_believed() {
    let t = TestApp::demo().await;
    let (_, all, _) = campaign(&t).await;
    let parent = t.login("parent").await;
    let (_, v) = report(&t, &parent, all, json!([[0, 600]])).await;
    assert_eq!(v["completed"], false, "{v}");
    assert!(v["covered_s"].as_i64().expect("covered") <= 60, "{v}");
}

/// What the parent has covered across both of the campaign's lessons.
async fn covered_total(t: &TestApp, token: &str) -> i64 {
    let (_, mine) = t.get("/api/v1/me/lessons", token).await;
    mine["children"][0]["lessons"]
        .as_array()
        .expect("lessons")
        .iter()
        .filter_map(|l| l["covered_s"].as_i64())
        .sum()
}

/// One grace: what a parent may be credited before any time has passed.
const GRACE: i64 = tongyu_domain::learning::GRACE_S * tongyu_domain::learning::MAX_RATE;

#[tokio::test]
async fn reports_back_to_back_split_or_out_of_order_gain_nothing_over_real_time() {
    let t = TestApp::demo().await;
    let (_, all, k1) = campaign(&t).await;
    let parent = t.login("parent").await;
    // Twenty back-to-back reports of 30-second segments, no time passing.
    for i in 0..20 {
        let (s, v) = report(&t, &parent, all, json!([[i * 30, i * 30 + 30]])).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["completed"], false, "{v}");
    }
    assert_eq!(covered_total(&t, &parent).await, GRACE);
    // The other lesson at the same moment: nothing more.
    report(&t, &parent, k1, json!([[0, 30]])).await;
    // Many small segments in one report, last ones first.
    let split: Vec<[i64; 2]> = (0..200).rev().map(|i| [i * 3, i * 3 + 3]).collect();
    report(&t, &parent, all, json!(split)).await;
    report(&t, &parent, k1, json!([[570, 600], [30, 60]])).await;
    assert_eq!(covered_total(&t, &parent).await, GRACE);
    // Five minutes later: five minutes at double speed at most, across both lessons.
    t.clock.advance(300);
    report(&t, &parent, all, json!([[0, 600]])).await;
    report(&t, &parent, k1, json!([[0, 600]])).await;
    assert_eq!(covered_total(&t, &parent).await, GRACE + 300 * 2);
}

#[tokio::test]
async fn reports_sent_in_parallel_gain_nothing_over_real_time() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;
    let t = TestApp::demo().await;
    let (_, all, k1) = campaign(&t).await;
    let parent = t.login("parent").await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..40i64 {
        let lesson = if i % 2 == 0 { all } else { k1 };
        let body = json!({"lesson_id": lesson, "segments": [[(i / 2) * 30, (i / 2) * 30 + 30]]});
        let req = Request::post("/api/v1/progress")
            .header(header::AUTHORIZATION, format!("Bearer {parent}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let router = t.router.clone();
        set.spawn(async move { router.oneshot(req).await.expect("answer").status() });
    }
    while let Some(status) = set.join_next().await {
        assert_eq!(status.expect("task"), StatusCode::OK);
    }
    assert_eq!(covered_total(&t, &parent).await, GRACE);
}

#[tokio::test]
async fn bad_reports_get_clear_errors_and_change_nothing() {
    let t = TestApp::demo().await;
    let (_, all, _) = campaign(&t).await;
    let parent = t.login("parent").await;
    let cases = [
        (json!([[-5, 10]]), 422, "负数"),
        (json!([[30, 10]]), 422, "之后"),
        (json!([[0, 900]]), 422, "超出"),
        (json!([]), 422, "没有播放片段"),
    ];
    for (segments, status, words) in cases {
        let (s, e) = report(&t, &parent, all, segments.clone()).await;
        assert_eq!(s.as_u16(), status, "{segments}: {e}");
        assert!(
            e["message"].as_str().unwrap_or("").contains(words),
            "{segments}: {e}"
        );
    }
    let huge: Vec<[i64; 2]> = (0..201).map(|i| [i, i + 1]).collect();
    let (s, e) = report(&t, &parent, all, json!(huge)).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let (s, _) = report(&t, &parent, 999_999, json!([[0, 10]])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = t
        .post(
            "/api/v1/progress",
            &parent,
            json!({"lesson_id": all, "segments": "lots"}),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    // Nothing was recorded by any of them.
    let (_, mine) = t.get("/api/v1/me/lessons", &parent).await;
    assert_eq!(mine["children"][0]["lessons"][0]["covered_s"], 0);
}

#[tokio::test]
async fn a_parent_sees_only_the_lessons_meant_for_their_children() {
    let t = TestApp::demo().await;
    let (camp, all, k1) = campaign(&t).await;
    // The demo parent's child is in a K1 class: both lessons.
    let parent = t.login("parent").await;
    let (_, mine) = t.get("/api/v1/me/lessons", &parent).await;
    let ids: Vec<i64> = mine["children"][0]["lessons"]
        .as_array()
        .expect("lessons")
        .iter()
        .filter(|l| l["campaign_id"] == camp)
        .filter_map(|l| l["lesson_id"].as_i64())
        .collect();
    assert_eq!(ids, vec![all, k1]);
    // A parent of a K2 child gets the lesson for all, and not the K1 one.
    let k2_parent = {
        let school = t.unit_id("school0").await;
        let class = factory::class_in_grade(&t.app, school, "K2").await;
        factory::guardian_in(&t.app, class.id).await.username
    };
    let other = t.login(&k2_parent).await;
    let (_, mine) = t.get("/api/v1/me/lessons", &other).await;
    let ids: Vec<i64> = mine["children"][0]["lessons"]
        .as_array()
        .expect("lessons")
        .iter()
        .filter(|l| l["campaign_id"] == camp)
        .filter_map(|l| l["lesson_id"].as_i64())
        .collect();
    assert_eq!(ids, vec![all]);
    let (s, e) = report(&t, &other, k1, json!([[0, 30]])).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(
        e["message"]
            .as_str()
            .expect("msg")
            .contains("不是为您的孩子安排的")
    );
    // Staff are not parents: nothing to report.
    let teacher = t.login("teacher").await;
    assert_eq!(
        report(&t, &teacher, all, json!([[0, 30]])).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn completion_rolls_up_and_the_head_teacher_sees_only_their_class() {
    let t = TestApp::demo().await;
    let (camp, all, k1) = campaign(&t).await;
    let parent = t.login("parent").await;
    for lesson in [all, k1] {
        watch(&t, &parent, lesson, 600).await;
    }
    // Both lessons are in the parent's growth record for this school year,
    // beside the two required-course sessions the demo parent attended.
    let (_, growth) = t.get("/api/v1/me/growth", &parent).await;
    assert_eq!(
        growth["years"],
        json!([{"school_year": 2026, "lessons": 2, "minutes": 20, "sessions": 2, "class_hours": 4}])
    );
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let (s, fams) = t
        .get(
            &format!("/api/v1/campaigns/{camp}/classes/{class}"),
            &teacher,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{fams}");
    let items = fams["items"].as_array().expect("families");
    let done: Vec<&Value> = items.iter().filter(|f| f["completed"] == true).collect();
    assert_eq!(done.len(), 1, "{fams}");
    assert_eq!(
        (done[0]["done"].as_i64(), done[0]["needed"].as_i64()),
        (Some(2), Some(2))
    );
    assert!(
        items
            .iter()
            .filter(|f| f["completed"] == false)
            .all(|f| f["needed"] == 2)
    );
    // Another class is not the head teacher's.
    let other_class = factory::first_class(&t.app, t.unit_id("school1").await)
        .await
        .id;
    assert_eq!(
        t.get(
            &format!("/api/v1/campaigns/{camp}/classes/{other_class}"),
            &teacher
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // The city's board shows the family in district 0 and nowhere else.
    let city_admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (s, board) = t
        .get(
            &format!("/api/v1/campaigns/{camp}/board?unit_id={city}"),
            &city_admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{board}");
    assert_eq!(board["unit"]["families_done"], 1);
    assert_eq!(board["unit"]["lessons_done"], 2);
    let d0 = t.unit_id("d0").await;
    for row in board["children"].as_array().expect("districts") {
        let expected = if row["unit_id"] == d0 { 1 } else { 0 };
        assert_eq!(row["families_done"], expected, "{row}");
    }
    // The kept rollups equal a recount from the families' tallies.
    let check = tongyu_service::learning::check_rollups(&t.app, camp)
        .await
        .expect("check");
    assert_eq!(check.kept, check.recounted);
    let kept = check.kept;
    assert!(!kept.is_empty());
    // A district administrator cannot read another district's board.
    let district = t.login("district-admin").await;
    let d1 = t.unit_id("d1").await;
    assert_eq!(
        t.get(
            &format!("/api/v1/campaigns/{camp}/board?unit_id={d1}"),
            &district
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // The school moves to district 1: its families' completions follow it.
    let school = tongyu_domain::org::path_ids(&t.unit(class).await.path)[3];
    let sub = peek::children(&t.app, d1).await[0].id;
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{school}/move"),
            &city_admin,
            json!({ "parent_id": sub }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let check = tongyu_service::learning::check_rollups(&t.app, camp)
        .await
        .expect("check");
    assert_eq!(check.kept, check.recounted);
    let kept = check.kept;
    assert_eq!(kept.get(&d1), Some(&vec![1, 2, 1]));
}

#[tokio::test]
async fn a_family_that_has_begun_counts_as_started_before_it_finishes_and_those_behind_come_first()
{
    let t = TestApp::demo().await;
    let (camp, all, _) = campaign(&t).await;
    let parent = t.login("parent").await;
    // A minute of the first lesson: started, not finished.
    t.clock.advance(60);
    let (s, v) = report(&t, &parent, all, json!([[0, 60]])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let city_admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, board) = t
        .get(
            &format!("/api/v1/campaigns/{camp}/board?unit_id={city}"),
            &city_admin,
        )
        .await;
    assert_eq!(board["unit"]["families_started"], 1, "{board}");
    assert_eq!(board["unit"]["families_done"], 0);
    // More of it does not start the family twice.
    t.clock.advance(60);
    report(&t, &parent, all, json!([[60, 120]])).await;
    let check = tongyu_service::learning::check_rollups(&t.app, camp)
        .await
        .expect("check");
    assert_eq!(check.kept, check.recounted);
    let d0 = t.unit_id("d0").await;
    assert_eq!(check.kept.get(&d0), Some(&vec![0, 0, 1]));

    // The head teacher's class: families yet to begin first, the one under
    // way after them.
    let mut b = t.browser();
    b.sign_in("head-teacher", crate::common::PW).await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let p = b.get(&format!("/campaigns/{camp}/board/{class}")).await;
    let list = &p.body[p.body.find("id=\"families\"").expect("families")..];
    let not_yet = list.find("未开始").expect("families not started");
    let begun = list.find("已开始</span>").expect("the family under way");
    assert!(not_yet < begun, "{list}");
    // The district: started beside finished, subdistricts behind first;
    // down at the class, the crumbs name every level from the district.
    let mut d = t.browser();
    d.sign_in("district-admin", crate::common::PW).await;
    let class_unit = t.unit(class).await;
    let p = d.get(&format!("/campaigns/{camp}/board/{class}")).await;
    for id in &tongyu_domain::org::path_ids(&class_unit.path)[1..5] {
        let name = t.unit(*id).await.name;
        assert!(
            p.body
                .contains(&format!("/campaigns/{camp}/board/{id}\">{name}</a>")),
            "{name}: {}",
            p.body
        );
    }
    let p = d.get(&format!("/campaigns/{camp}/board/{d0}")).await;
    assert!(p.body.contains("已开始（1 户）"), "{}", p.body);
    let (_, board) = t
        .get(
            &format!("/api/v1/campaigns/{camp}/board?unit_id={d0}"),
            &t.login("district-admin").await,
        )
        .await;
    let rows = board["children"].as_array().expect("rows");
    let keys: Vec<(bool, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["families"] == 0,
                r["permille"].as_i64().expect("p"),
                r["started_permille"].as_i64().expect("s"),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "those furthest behind first");
}

#[tokio::test]
async fn only_published_lessons_go_into_a_campaign_and_only_the_city_runs_it() {
    let t = TestApp::demo().await;
    let (camp, _, _) = campaign(&t).await;
    let city_admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, course) = t
        .post("/api/v1/courses", &t.login("expert").await, json!({"title": "草稿课程", "category": "self_study", "subject": "mental_health", "unit_id": city}))
        .await;
    let (_, lesson) = t
        .post(
            &format!("/api/v1/courses/{}/lessons", course["id"]),
            &city_admin,
            json!({"title": "草稿一节", "duration_s": 300}),
        )
        .await;
    let (s, e) = t
        .post(
            &format!("/api/v1/campaigns/{camp}/lessons"),
            &city_admin,
            json!({"lesson_id": lesson["id"], "grade": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = t
        .post(
            &format!("/api/v1/courses/{}/status", course["id"]),
            &city_admin,
            json!({"status": "published"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no publishing without review"
    );
    let school_admin = t.login("school-admin").await;
    let (s, _) = t
        .post(
            "/api/v1/campaigns",
            &school_admin,
            json!({"title": "学校自办", "school_year": 2026, "opens_at": 0, "closes_at": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_parent_s_classroom_and_player_in_the_browser() {
    use axum::body::Body;
    use axum::http::{Method, Request, header};
    let t = TestApp::demo().await;
    let (camp, all, k1) = campaign(&t).await;
    let mut b = t.browser();
    b.sign_in("parent", crate::common::PW).await;
    let p = b.get("/learn").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("全学段：陪伴孩子的新学年") && p.body.contains("幼一：入园第一课"),
        "{}",
        p.body
    );
    let p = b.get(&format!("/lessons/{all}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("已看 0%"), "{}", p.body);
    // The player's address carries its fingerprint: a phone keeps it for a
    // year, and one that holds it is told so without the body.
    let at = p.body.find("/static/player.js?v=").expect("the player");
    let player = &p.body[at..at + p.body[at..].find('"').expect("end")];
    let (s, h, js) = t
        .send(Request::get(player).body(Body::empty()).expect("req"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(js.contains("progress"), "the player script");
    assert_eq!(
        h[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let etag = h[header::ETAG].clone();
    let (s, _, body) = t
        .send(
            Request::get(player)
                .header(header::IF_NONE_MATCH, etag)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!((s, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
    // A page from before an upgrade links the old address: still served,
    // kept briefly.
    let (s, h, _) = t
        .send(
            Request::get("/static/player.js?v=0123456789abcdef")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CACHE_CONTROL], "public, max-age=300");
    // The player posts with the session cookie and the page's CSRF token.
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let post = |csrf: Option<&str>| {
        let mut r = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/progress")
            .header(header::COOKIE, cookie.clone())
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.body(Body::from(
            json!({"lesson_id": k1, "segments": [[0, 20]]}).to_string(),
        ))
        .expect("request")
    };
    let (s, _, body) = t.send(post(None)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("csrf_failed"));
    let csrf = b.csrf.clone();
    let (s, _, body) = t.send(post(Some(&csrf))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("\"covered_s\":20"));
    // A lesson that is not for the parent's children is simply not there.
    let city_admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, course) = t
        .post("/api/v1/courses", &t.login("expert").await, json!({"title": "别的课程", "category": "keynote", "subject": "career_education", "unit_id": city}))
        .await;
    let (_, other) = t
        .post(
            &format!("/api/v1/courses/{}/lessons", course["id"]),
            &city_admin,
            json!({"title": "高一新生", "duration_s": 600}),
        )
        .await;
    assert_eq!(
        b.get(&format!("/lessons/{}", other["id"])).await.status,
        StatusCode::NOT_FOUND
    );

    // Staff follow the board down to a class, where the head teacher sees families by name.
    let mut staff = t.browser();
    staff.sign_in("head-teacher", crate::common::PW).await;
    let p = staff.get("/campaigns").await;
    assert!(p.body.contains("2026学年家长开学第一课"), "{}", p.body);
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let p = staff.get(&format!("/campaigns/{camp}/board/{class}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("本班家庭") && p.body.contains("未开始"),
        "{}",
        p.body
    );
    let mut district = t.browser();
    district.sign_in("district-admin", crate::common::PW).await;
    let d0 = t.unit_id("d0").await;
    let p = district.get(&format!("/campaigns/{camp}/board/{d0}")).await;
    assert!(
        p.body.contains("下级") && p.body.contains("八大关街道"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("本班家庭"));
    let p = district
        .get(&format!("/campaigns/{camp}/board/{d0}/export.xlsx"))
        .await;
    assert_eq!(
        p.status,
        StatusCode::OK,
        "the board exports to a spreadsheet"
    );
}

#[tokio::test]
async fn the_demo_city_has_an_open_first_lesson_with_playable_media() {
    use axum::body::Body;
    use axum::http::{Request, header};
    let t = TestApp::demo().await;
    let parent = t.login("parent").await;
    let (_, mine) = t.get("/api/v1/me/lessons", &parent).await;
    let titles: Vec<&str> = mine["children"][0]["lessons"]
        .as_array()
        .expect("lessons")
        .iter()
        .filter_map(|l| l["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        vec!["全学段：新学年，和孩子一起出发", "幼一新生家长：入园第一课"],
        "{mine}"
    );
    assert!(
        mine["children"][0]["lessons"]
            .as_array()
            .expect("lessons")
            .iter()
            .all(|l| l["open"] == true)
    );
    let get = |range: Option<&str>| {
        let mut r = Request::builder().uri("/media/demo-lesson.wav");
        if let Some(v) = range {
            r = r.header(header::RANGE, v);
        }
        r.body(Body::empty()).expect("req")
    };
    let (s, h, _) = t.send(get(None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get(header::ACCEPT_RANGES).expect("ranges"), "bytes");
    let (s, h, body) = t.send(get(Some("bytes=0-3"))).await;
    assert_eq!((s, body.as_str()), (StatusCode::PARTIAL_CONTENT, "RIFF"));
    assert_eq!(
        h.get(header::CONTENT_RANGE).expect("range"),
        "bytes 0-3/4800044"
    );
    let (s, h, _) = t.send(get(Some("bytes=4800040-"))).await;
    assert_eq!(
        (
            s,
            h.get(header::CONTENT_LENGTH)
                .map(|v| v.to_str().unwrap_or(""))
        ),
        (StatusCode::PARTIAL_CONTENT, Some("4"))
    );
    assert_eq!(
        t.send(get(Some("bytes=9000000-9000010"))).await.0,
        StatusCode::RANGE_NOT_SATISFIABLE
    );
}

#[tokio::test]
async fn the_city_opens_a_campaign_and_a_school_adds_its_own_lesson_in_the_browser() {
    let t = TestApp::demo().await;
    let mut city = t.browser();
    city.sign_in("city-admin", crate::common::PW).await;
    let p = city.get("/campaigns").await;
    assert!(
        p.body.contains("新建活动") && p.body.contains("加入学段衔接课"),
        "{}",
        p.body
    );
    let p = city
        .post(
            "/campaigns",
            &[
                ("title", "2027学年家长开学第一课"),
                ("school_year", "2027"),
                ("opens", "2027-08-25"),
                ("closes", "昨天"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("开始、结束日期"));
    let p = city
        .post(
            "/campaigns",
            &[
                ("title", "2027学年家长开学第一课"),
                ("school_year", "2027"),
                ("opens", "2027-08-25"),
                ("closes", "2027-09-30"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let admin = t.login("city-admin").await;
    let (_, list) = t.get("/api/v1/campaigns", &admin).await;
    let camp = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["school_year"] == 2027)
        .expect("created")
        .clone();
    assert_eq!(
        camp["opens_at"], 1_819_123_200_i64,
        "midnight Beijing time of 2027-08-25"
    );
    // A published lesson of the demo goes in for K1 parents.
    let (_, mine) = t.get("/api/v1/me/lessons", &t.login("parent").await).await;
    let lesson = mine["children"][0]["lessons"][0]["lesson_id"]
        .as_i64()
        .expect("a lesson");
    let p = city
        .post(
            "/campaigns/lessons",
            &[
                ("campaign_id", &camp["id"].to_string()),
                ("lesson_id", &lesson.to_string()),
                ("grade", "K1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // The school adds a year-transition lesson for its K2 parents, not for K1.
    let mut school = t.browser();
    school.sign_in("school-admin", crate::common::PW).await;
    let p = school.get("/campaigns").await;
    assert!(
        p.body.contains("加入本校学年衔接课")
            && p.body.contains("中班")
            && !p.body.contains("新建活动"),
        "{}",
        p.body
    );
    let school_id = t.unit_id("school0").await.to_string();
    let fields = |grade: &'static str| {
        vec![
            ("campaign_id", camp["id"].to_string()),
            ("lesson_id", lesson.to_string()),
            ("grade", grade.to_owned()),
            ("school_id", school_id.clone()),
        ]
    };
    let f = fields("K1");
    let p = school
        .post(
            "/campaigns/lessons",
            &f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("新生年级由市级统一安排"), "{}", p.body);
    let f = fields("K2");
    let p = school
        .post(
            "/campaigns/lessons",
            &f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
}

#[tokio::test]
async fn the_parent_s_home_lists_this_term_s_lessons_with_the_started_ones_first() {
    let t = TestApp::demo().await;
    let parent = t.login("parent").await;
    let (_, mine) = t.get("/api/v1/me/lessons", &parent).await;
    let second = mine["children"][0]["lessons"][1]["lesson_id"]
        .as_i64()
        .expect("two lessons");
    t.clock.advance(30);
    let (s, _) = report(&t, &parent, second, json!([[0, 30]])).await;
    assert_eq!(s, StatusCode::OK);
    let mut b = t.browser();
    b.sign_in("parent", crate::common::PW).await;
    let p = b.get("/my").await;
    assert!(
        p.body.contains("要看的课") && p.body.contains("继续观看 · 5%"),
        "{}",
        p.body
    );
    let started = p.body.find("继续观看").expect("started lesson");
    let first_link = p.body.find("/lessons/").expect("a lesson link");
    assert!(
        p.body[first_link..].starts_with(&format!("/lessons/{second}")),
        "the started lesson comes first"
    );
    assert!(started > first_link);
}

#[tokio::test]
async fn the_library_is_recommended_by_grade_and_watching_it_counts_for_the_parent() {
    let t = TestApp::demo().await;
    let city_admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let parent = t.login("parent").await;
    // The demo's library: three of its lessons for every grade, newest
    // first (the career course is for middle and high school only).
    let (_, recs) = t.get("/api/v1/me/recommendations", &parent).await;
    assert_eq!(recs["items"].as_array().map(Vec::len), Some(3), "{recs}");
    assert_eq!(recs["items"][0]["title"], "考试前后的压力与睡眠");
    assert!(!recs.to_string().contains("选科"), "{recs}");
    // Two self-study courses: one for every grade, one for senior grades only.
    let mut lessons = Vec::new();
    for (title, grades) in [("亲子阅读十分钟", ""), ("高三家长减压课", "S3")] {
        let (_, c) = t
            .post("/api/v1/courses", &t.login("expert").await, json!({"title": title, "category": "self_study", "subject": "mental_health", "grades": grades, "unit_id": city}))
            .await;
        let c = c["id"].as_i64().expect("id");
        let (_, l) = t
            .post(
                &format!("/api/v1/courses/{c}/lessons"),
                &city_admin,
                json!({"title": title, "duration_s": 120}),
            )
            .await;
        lessons.push(l["id"].as_i64().expect("id"));
        for status in ["submitted", "reviewed", "published"] {
            t.post(
                &format!("/api/v1/courses/{c}/status"),
                &city_admin,
                json!({"status": status}),
            )
            .await;
        }
    }
    t.clock.advance(11); // past the recommendations' cache
    let (_, recs) = t.get("/api/v1/me/recommendations", &parent).await;
    let ids: Vec<i64> = recs["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["lesson_id"].as_i64())
        .collect();
    assert_eq!(ids[0], lessons[0], "the newest first");
    assert!(
        !ids.contains(&lessons[1]),
        "only what fits the child's grade"
    );
    assert_eq!(ids.len(), 3, "three per child");
    // The parent watches it: progress is kept, the growth record counts it,
    // and it is no longer recommended.
    // Half watched: it is on the home under "continue watching", not
    // among the recommendations.
    t.clock.advance(30);
    let (s, v) = report(&t, &parent, lessons[0], json!([[0, 30]])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut b = t.browser();
    b.sign_in("parent", crate::common::PW).await;
    let home = b.get("/my").await;
    let at = home.body.find("亲子阅读十分钟").expect("on the home");
    assert!(
        home.body[at..].starts_with("亲子阅读十分钟</a> <small class=\"tag\">继续观看 · 25%"),
        "{}",
        home.body
    );
    assert_eq!(
        home.body.matches("亲子阅读十分钟").count(),
        1,
        "not recommended as well"
    );
    watch(&t, &parent, lessons[0], 120).await;
    let (_, growth) = t.get("/api/v1/me/growth", &parent).await;
    assert_eq!(growth["years"][0]["lessons"], 1, "{growth}");
    let (_, recs) = t.get("/api/v1/me/recommendations", &parent).await;
    assert!(
        !recs["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["lesson_id"] == lessons[0]),
        "a finished lesson is not recommended again"
    );
    b.sign_in("parent", crate::common::PW).await;
    let p = b.get(&format!("/lessons/{}", lessons[0])).await;
    assert!(p.body.contains("已看 100%"), "{}", p.body);
}

#[tokio::test]
async fn many_parents_finishing_at_once_roll_up_exactly_once_per_child() {
    let t = TestApp::demo().await;
    let (camp, all, _) = campaign(&t).await;
    // Sixteen parents, most children with both guardians among them, all
    // watching at once: on PostgreSQL their reports go through writer lanes
    // side by side.
    let mut parents = Vec::new();
    for i in 1..=16 {
        parents.push(t.login(&format!("139{i:08}")).await);
    }
    // In step, as players are: every 30 s each parent reports the last
    // 30 s (the clock moves once a round, so how the reports interleave
    // cannot make a session look idle).
    let mut watched = Vec::new();
    for a in (0..600).step_by(30) {
        t.clock.advance(30);
        watched = futures_util::future::join_all(
            parents
                .iter()
                .map(|p| report(&t, p, all, json!([[a, a + 30]]))),
        )
        .await;
    }
    for (s, v) in &watched {
        assert_eq!(*s, StatusCode::OK, "{v}");
        assert_eq!(v["completed"], true, "{v}");
    }
    let check = tongyu_service::learning::check_rollups(&t.app, camp)
        .await
        .expect("check");
    assert_eq!(check.kept, check.recounted);
    let kept = check.kept;
    // Each child counts once, however many of its guardians finished.
    let children = t
        .app
        .db
        .query_i64(&format!(
            "SELECT COUNT(*) FROM campaign_student_lessons WHERE campaign_id = {camp} AND lesson_id = {all}"
        ))
        .await
        .expect("count");
    let city = t.unit_id("qingdao").await;
    assert!(children >= 8, "{children} children");
    assert_eq!(kept.get(&city).map(|k| k[1]), Some(children));
}

#[tokio::test]
async fn the_city_changes_a_campaign_s_dates_on_its_page_and_what_was_done_stays() {
    let t = TestApp::demo().await;
    let (camp, all, _) = campaign(&t).await;
    let parent = t.login("parent").await;
    watch(&t, &parent, all, 600).await;
    let mut b = t.browser();
    b.sign_in("city-admin", crate::common::PW).await;
    let page = b.get("/campaigns").await;
    assert!(
        page.body.contains(&format!("action=\"/campaigns/{camp}\"")),
        "{}",
        page.body
    );
    // The end before the start is refused with a message.
    let p = b
        .post(
            &format!("/campaigns/{camp}"),
            &[
                ("title", "2026学年家长开学第一课"),
                ("school_year", "2026"),
                ("opens", "2026-09-20"),
                ("closes", "2026-09-01"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("结束时间应晚于开始时间"), "{}", p.body);
    let p = b
        .post(
            &format!("/campaigns/{camp}"),
            &[
                ("title", "2026学年家长开学第一课（延长）"),
                ("school_year", "2026"),
                ("opens", "2026-09-01"),
                ("closes", "2026-11-30"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let admin = t.login("city-admin").await;
    let (_, list) = t.get("/api/v1/campaigns", &admin).await;
    let c = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == camp)
        .cloned()
        .expect("the campaign");
    assert_eq!(c["title"], "2026学年家长开学第一课（延长）");
    assert_eq!(
        c["closes_at"].as_i64(),
        tongyu_domain::calendar::parse_local_date("2026-12-01")
    );
    let check = tongyu_service::learning::check_rollups(&t.app, camp)
        .await
        .expect("check");
    assert_eq!(check.kept, check.recounted);
    assert!(!check.kept.is_empty(), "the family's lesson still counts");
    // Only the city runs campaigns.
    let district = t.login("district-admin").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/campaigns/{camp}"),
            &district,
            json!({"title": "改名", "school_year": 2026, "opens_at": 0, "closes_at": 1}),
        )
        .await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{s}"
    );
}

#[tokio::test]
async fn a_lesson_opens_where_it_stopped_and_sound_plays_in_an_audio_player() {
    let t = TestApp::demo().await;
    let parent = t.login("parent").await;
    let (_, mine) = t.get("/api/v1/me/lessons", &parent).await;
    let lesson = mine["children"][0]["lessons"][0]["lesson_id"]
        .as_i64()
        .expect("a demo lesson");
    let mut b = t.browser();
    b.sign_in("parent", crate::common::PW).await;
    let p = b.get(&format!("/lessons/{lesson}")).await;
    assert!(
        p.body.contains("<audio id=\"player\""),
        "the demo lesson is sound: {}",
        p.body
    );
    assert!(p.body.contains("data-resume=\"0\"") && !p.body.contains("id=\"resume-text\""));
    // A minute and a half, then the parent leaves.
    for a in (0..90).step_by(30) {
        t.clock.advance(30);
        let (s, v) = report(&t, &parent, lesson, json!([[a, a + 30]])).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    t.clock.advance(5);
    let (s, v) = report(&t, &parent, lesson, json!([[90, 95]])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let p = b.get(&format!("/lessons/{lesson}")).await;
    assert!(p.body.contains("data-resume=\"95\""), "{}", p.body);
    assert!(p.body.contains("从上次停下的 1:35 继续播放"), "{}", p.body);
}

#[tokio::test]
async fn parents_browse_the_library_by_subject_and_grade_and_a_course_shows_their_progress() {
    let t = TestApp::demo().await;
    let (_, all, _) = campaign(&t).await;
    let parent = t.login("parent").await;
    t.clock.advance(60);
    report(&t, &parent, all, json!([[0, 60]])).await;
    let mut b = t.browser();
    b.sign_in("parent", crate::common::PW).await;
    let home = b.get("/learn").await;
    assert!(home.body.contains("href=\"/library\""), "in the menu");
    let p = b.get("/library").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("心理健康") && p.body.contains("生涯教育"),
        "subject tabs"
    );
    assert!(p.body.contains("家长开学第一课"), "{}", p.body);
    // The course of the test campaign, with the parent's minute of it.
    let (_, cat) = t
        .get("/api/v1/library?subject=family_education", &parent)
        .await;
    let course = cat["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["course"]["title"] == "家长开学第一课")
        .cloned()
        .expect("the course listed");
    let id = course["course"]["id"].as_i64().expect("id");
    assert_eq!(course["lessons"], 2);
    let p = b.get(&format!("/library/courses/{id}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains(&format!("href=\"/lessons/{all}\"")) && p.body.contains("已看 10%"),
        "{}",
        p.body
    );
    assert!(p.body.contains("共 20 分钟"));
    // Another subject does not list it; a grade it is not for neither.
    let (_, other) = t
        .get("/api/v1/library?subject=mental_health", &parent)
        .await;
    assert!(!other.to_string().contains("\"家长开学第一课\""), "{other}");
    let (s, e) = t.get("/api/v1/library?grade=十年级", &parent).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // A course found by search opens its library page.
    let found = b
        .get("/search?q=%E5%BC%80%E5%AD%A6%E7%AC%AC%E4%B8%80%E8%AF%BE")
        .await;
    assert!(
        found
            .body
            .contains(&format!("href=\"/library/courses/{id}\"")),
        "{}",
        found.body
    );
    // Staff reach it from their menu too.
    let mut staff = t.browser();
    staff.sign_in("head-teacher", crate::common::PW).await;
    let home = staff.get("/").await;
    assert!(home.body.contains("href=\"/library\"") && home.body.contains("href=\"/search\""));
    assert_eq!(
        staff.get(&format!("/library/courses/{id}")).await.status,
        StatusCode::OK
    );
}
