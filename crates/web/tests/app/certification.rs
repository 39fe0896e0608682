//! Instructor certification (task 6): criteria counted from the platform's
//! own rows, an application reviewed by the district and then the city, a
//! certificate whose public page shows only what it should, revocation in
//! two steps, the ladder as settings, each school's instructor per grade
//! rolled up with its gaps listed, and the workload credited for training
//! presented.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tongyu_domain::account::Role;
use tongyu_service::testkit::{factory, peek, sql};

use crate::common::{PW, TestApp};

async fn audited(t: &TestApp, action: &str) -> i64 {
    sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE action = $1",
        &[action.into()],
    )
    .await
}

async fn assert_boards_equal_a_recount(t: &TestApp) {
    for (measure, check) in tongyu_service::coverage::check(&t.app)
        .await
        .expect("check")
    {
        assert!(
            check.differences().is_empty(),
            "{measure}: {:?}",
            check.differences()
        );
    }
}

fn criterion<'a>(next: &'a Value, key: &str) -> &'a Value {
    next["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {next}"))
}

#[tokio::test]
async fn criteria_are_counted_from_the_platform_and_a_certificate_is_issued_by_district_then_city()
{
    let t = TestApp::demo().await;
    let head = peek::account_by_username(&t.app, "head-teacher").await;
    let head_token = t.login("head-teacher").await;
    let (s, o) = t.get("/api/v1/certification", &head_token).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let next = &o["next"];
    assert_eq!(next["level"]["rank"], 1, "{o}");
    // The evidence is what the rows say: training attended, required-course
    // sessions taught and held.
    let hours = sql::int(
        &t.app,
        "SELECT CAST(COALESCE(SUM(s.hours), 0) AS BIGINT) FROM training_attendance a
         JOIN training_sessions s ON s.id = a.session_id WHERE a.account_id = $1",
        &[head.id.into()],
    )
    .await;
    let held = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM delivery_sessions WHERE teacher_id = $1 AND status = 'held'",
        &[head.id.into()],
    )
    .await;
    assert!(hours >= 8 && held >= 2, "the demo head teacher qualifies");
    assert_eq!(next["evidence"]["training_hours"], hours);
    assert_eq!(next["evidence"]["sessions_held"], held);
    assert_eq!(criterion(next, "training_hours")["met"], true);
    assert_eq!(next["met"], true);

    // One more held session shows at once.
    let class = sql::int(
        &t.app,
        "SELECT MIN(class_id) FROM delivery_sessions WHERE teacher_id = $1",
        &[head.id.into()],
    )
    .await;
    let planned = sql::int(
        &t.app,
        "SELECT MIN(id) FROM delivery_sessions WHERE class_id = $1 AND status = 'planned'",
        &[class.into()],
    )
    .await;
    sql::exec(
        &t.app,
        &[(
            "UPDATE delivery_sessions SET status = 'held', teacher_id = $1 WHERE id = $2",
            vec![head.id.into(), planned.into()],
        )],
    )
    .await;
    let (_, o) = t.get("/api/v1/certification", &head_token).await;
    assert_eq!(o["next"]["evidence"]["sessions_held"], held + 1);

    // Levels are climbed one at a time.
    let (s, e) = t
        .post(
            "/api/v1/certification/applications",
            &head_token,
            json!({"level": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["message"].as_str().unwrap_or("").contains("逐级"), "{e}");

    // Parents have no part in it.
    let (s, _) = t
        .get("/api/v1/certification", &t.login("parent").await)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The instructor holds the second level and lacks the third's
    // criteria: refused with what is missing, nothing saved.
    let instructor = t.login("instructor").await;
    let (_, o) = t.get("/api/v1/certification", &instructor).await;
    assert_eq!(o["next"]["level"]["rank"], 3, "{o}");
    assert_eq!(o["next"]["met"], false);
    let (s, e) = t
        .post(
            "/api/v1/certification/applications",
            &instructor,
            json!({"level": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("尚未达到"),
        "{e}"
    );
    let instructor_id = peek::account_by_username(&t.app, "instructor").await.id;
    assert_eq!(
        sql::int(
            &t.app,
            "SELECT COUNT(*) FROM certification_applications WHERE account_id = $1",
            &[instructor_id.into()]
        )
        .await,
        0
    );

    // The head teacher applies on the page, with the evidence pre-filled;
    // their home says they may.
    let mut b = t.browser();
    b.sign_in("head-teacher", PW).await;
    let home = b.get("/").await;
    assert!(
        home.body.contains("您已达到初级讲师的认定条件"),
        "{}",
        home.body
    );
    let page = b.get("/certification").await;
    assert!(page.body.contains("申请认定初级讲师"), "{}", page.body);
    assert!(page.body.contains("id=\"criteria\""));
    let done = b
        .post(
            "/certification",
            &[("level", "1"), ("statement", "担任班主任五年。")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let id: i64 = done
        .location
        .as_deref()
        .and_then(|l| {
            l.trim_start_matches("/certification/applications/")
                .split('?')
                .next()
        })
        .and_then(|n| n.parse().ok())
        .expect("the application");
    let again = b.post("/certification", &[("level", "1")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "one open application");
    let shown = b.get(&format!("/certification/applications/{id}")).await;
    assert!(shown.body.contains("待区(市)审核"), "{}", shown.body);

    // The city cannot skip the district; the district approves.
    let city_admin = t.login("city-admin").await;
    let decide = |approve: bool, note: &str| json!({"approve": approve, "note": note});
    let (s, e) = t
        .post(
            &format!("/api/v1/certification/applications/{id}/decision"),
            &city_admin,
            decide(true, ""),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let home = b.get("/").await;
    assert!(
        !home.body.contains("认定条件"),
        "under review: {}",
        home.body
    );
    let district_admin = t.login("district-admin").await;
    let mut d = t.browser();
    d.sign_in("district-admin", PW).await;
    let home = d.get("/").await;
    assert!(
        home.body.contains("份家庭教育指导师认定申请待您审核"),
        "{}",
        home.body
    );
    let (_, o) = t.get("/api/v1/certification", &district_admin).await;
    assert!(
        o["to_review"]
            .as_array()
            .expect("queue")
            .iter()
            .any(|a| a["id"] == id),
        "the district's queue: {o}"
    );
    let (s, e) = t
        .post(
            &format!("/api/v1/certification/applications/{id}/decision"),
            &district_admin,
            decide(false, ""),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a refusal says why: {e}"
    );
    let (s, d) = t
        .post(
            &format!("/api/v1/certification/applications/{id}/decision"),
            &district_admin,
            decide(true, "同意上报"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "district_approved");
    let (s, _) = t
        .post(
            &format!("/api/v1/certification/applications/{id}/decision"),
            &district_admin,
            decide(true, ""),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the district does not certify");
    let (s, d) = t
        .post(
            &format!("/api/v1/certification/applications/{id}/decision"),
            &city_admin,
            decide(true, "认定"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "certified");
    let cert = d["certificate_id"].as_i64().expect("a certificate");
    let (s, c) = t
        .get(&format!("/api/v1/certificates/{cert}"), &head_token)
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["validity"], "valid");
    assert_eq!(c["certificate"]["level_name"], "初级讲师");
    let serial = c["certificate"]["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    for action in [
        "certification.apply",
        "certification.district",
        "certification.city",
    ] {
        assert_eq!(audited(&t, action).await, 1, "{action}");
    }
    // The holder now works towards the second level.
    let (_, o) = t.get("/api/v1/certification", &head_token).await;
    assert_eq!(o["next"]["level"]["rank"], 2, "{o}");

    // The public page: reached by the QR code, typed in any case with
    // dashes; the holder's name, level, issuer and validity, nothing else.
    let page = b.get(&format!("/certificates/{cert}")).await;
    assert!(
        page.body.contains(&format!("/cert/{serial}")),
        "{}",
        page.body
    );
    assert!(page.body.contains("<svg"), "a QR code");
    let mut anonymous = t.browser();
    let typed = tongyu_domain::appeal::format_tracking_code(&serial).to_lowercase();
    let public = anonymous.get(&format!("/cert?serial={typed}")).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    let school = peek::unit(
        &t.app,
        sql::int(
            &t.app,
            "SELECT unit_id FROM certificates WHERE id = $1",
            &[cert.into()],
        )
        .await,
    )
    .await;
    assert!(public.body.contains(&head.display_name));
    assert!(public.body.contains("初级讲师"));
    assert!(public.body.contains("有效"));
    assert!(
        !public.body.contains(&school.name),
        "no school on the public page"
    );
    assert!(!public.body.contains("head-teacher"), "no username");
    let (s, v) = t
        .api(
            Method::GET,
            &format!("/api/v1/public/certificates/{serial}"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "holder_name",
            "issued_at",
            "issuer",
            "level_name",
            "serial",
            "valid_until",
            "validity"
        ]
    );
    let wrong = anonymous.get("/cert/ABCDE-FGHJK-MNPQR").await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert!(wrong.body.contains("没有查到"), "{}", wrong.body);
    assert!(wrong.body.contains("id=\"lookup-form\""));

    // Revoking breaks a certificate handed out: the serial is typed again.
    let (s, e) = t
        .post(
            &format!("/api/v1/certificates/{cert}/revoke"),
            &city_admin,
            json!({"reason": "信息有误", "confirm": "WRONG"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = t
        .post(
            &format!("/api/v1/certificates/{cert}/revoke"),
            &district_admin,
            json!({"reason": "信息有误", "confirm": serial}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the city revokes");
    let (s, e) = t
        .post(
            &format!("/api/v1/certificates/{cert}/revoke"),
            &city_admin,
            json!({"reason": "信息有误", "confirm": typed}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let public = anonymous.get(&format!("/cert/{serial}")).await;
    assert!(public.body.contains("已撤销"), "{}", public.body);
}

#[tokio::test]
async fn reviews_stay_in_scope_and_nobody_reviews_their_own() {
    let t = TestApp::demo().await;
    let city_admin = t.login("city-admin").await;
    // The demo's applications wait for the district and for the city.
    let (_, o) = t.get("/api/v1/certification", &city_admin).await;
    let city_queue = o["to_review"].as_array().expect("queue").clone();
    assert_eq!(city_queue.len(), 2, "{o}");
    assert!(
        city_queue
            .iter()
            .all(|a| a["status"] == "district_approved")
    );
    let district_admin = t.login("district-admin").await;
    let (_, o) = t.get("/api/v1/certification", &district_admin).await;
    let district_queue = o["to_review"].as_array().expect("queue").clone();
    assert!(!district_queue.is_empty(), "{o}");
    assert!(district_queue.iter().all(|a| a["status"] == "submitted"));
    let pending = district_queue[0]["id"].as_i64().expect("id");
    let mut d = t.browser();
    d.sign_in("district-admin", PW).await;
    let x = d.get("/certification/to-review.xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with("PK"), "a workbook");
    assert_eq!(audited(&t, "certification.export").await, 1);

    // Another district's bureau and another school see nothing of it.
    let district = sql::int(
        &t.app,
        "SELECT g.unit_id FROM grants g JOIN accounts a ON a.id = g.account_id
         WHERE a.username = 'district-admin'",
        &[],
    )
    .await;
    let other = factory::another_district(&t.app, district).await;
    factory::staff(&t.app, "other-district", Role::DistrictAdmin, other.id).await;
    let outsider = t.login("other-district").await;
    let (s, _) = t
        .get(
            &format!("/api/v1/certification/applications/{pending}"),
            &outsider,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t
        .post(
            &format!("/api/v1/certification/applications/{pending}/decision"),
            &outsider,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, o) = t.get("/api/v1/certification", &outsider).await;
    assert_eq!(o["to_review"].as_array().map(Vec::len), Some(0), "{o}");
    let school_of_pending = sql::int(
        &t.app,
        "SELECT unit_id FROM certification_applications WHERE id = $1",
        &[pending.into()],
    )
    .await;
    let school_path = t.unit(school_of_pending).await.path;
    let elsewhere = sql::int(
        &t.app,
        "SELECT MIN(id) FROM units WHERE kind = 'school' AND path NOT LIKE $1",
        &[format!("{school_path}%").into()],
    )
    .await;
    factory::staff(&t.app, "other-school", Role::SchoolAdmin, elsewhere).await;
    let (s, _) = t
        .get(
            &format!("/api/v1/certification/applications/{pending}"),
            &t.login("other-school").await,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Reading someone's application is audited.
    let before = audited(&t, "certification.read").await;
    let (s, _) = t
        .get(
            &format!("/api/v1/certification/applications/{pending}"),
            &district_admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(audited(&t, "certification.read").await, before + 1);

    // A bureau member who also teaches applies: they cannot review it.
    let teaching = factory::staff(&t.app, "teaching-admin", Role::DistrictAdmin, district).await;
    sql::exec(
        &t.app,
        &[(
            "INSERT INTO grants (account_id, role, unit_id, created_at) VALUES ($1, 'teacher', $2, 0)",
            vec![teaching.id.into(), school_of_pending.into()],
        )],
    )
    .await;
    sql::exec(
        &t.app,
        &[(
            "UPDATE certification_levels SET min_training_hours = 0, min_sessions_held = 0 WHERE level_rank = 1",
            vec![],
        )],
    )
    .await;
    let token = t.login("teaching-admin").await;
    let (s, a) = t
        .post(
            "/api/v1/certification/applications",
            &token,
            json!({"level": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let own = a["id"].as_i64().expect("id");
    let (s, e) = t
        .post(
            &format!("/api/v1/certification/applications/{own}/decision"),
            &token,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, _) = t
        .post(
            &format!("/api/v1/certification/applications/{own}/withdraw"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_ladder_is_a_setting_of_the_city() {
    let t = TestApp::demo().await;
    let city_admin = t.login("city-admin").await;
    let (_, o) = t.get("/api/v1/certification", &city_admin).await;
    let mut first = o["levels"][0].clone();
    assert_eq!(first["name"], "初级讲师");
    first["name"] = json!("家庭教育初级讲师");
    first["min_training_hours"] = json!(100);
    let (s, l) = t
        .api(
            Method::PUT,
            "/api/v1/certification/levels/1",
            Some(&t.login("district-admin").await),
            Some(first.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{l}");
    let (s, l) = t
        .api(
            Method::PUT,
            "/api/v1/certification/levels/1",
            Some(&city_admin),
            Some(first.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let (_, o) = t
        .get("/api/v1/certification", &t.login("head-teacher").await)
        .await;
    assert_eq!(o["next"]["level"]["name"], "家庭教育初级讲师");
    assert_eq!(o["next"]["met"], false, "100 hours are not met");
    first["valid_years"] = json!(0);
    let (s, e) = t
        .api(
            Method::PUT,
            "/api/v1/certification/levels/1",
            Some(&city_admin),
            Some(first),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // On the page, with the rating as a decimal.
    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    let page = b.get("/certification/levels").await;
    assert!(page.body.contains("id=\"level-5\""), "{}", page.body);
    let saved = b
        .post(
            "/certification/levels",
            &[
                ("rank", "2"),
                ("name", "中级讲师"),
                ("min_training_hours", "16"),
                ("min_sessions_held", "6"),
                ("min_rating", "4.2"),
                ("min_lectures", "1"),
                ("valid_years", "3"),
                ("renewal_hours", "12"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        sql::int(
            &t.app,
            "SELECT min_rating_tenths FROM certification_levels WHERE level_rank = 2",
            &[]
        )
        .await,
        42
    );
    assert_eq!(audited(&t, "certification.level").await, 2);
}

#[tokio::test]
async fn every_grade_gets_an_instructor_and_the_gaps_are_listed_up_the_tree() {
    let t = TestApp::demo().await;
    assert_boards_equal_a_recount(&t).await;
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let unit = t.unit(school).await;
    let district = tongyu_domain::org::path_ids(&unit.path)[1];
    let district_admin = t.login("district-admin").await;
    let (s, g) = t
        .get(
            &format!("/api/v1/units/{district}/grade-instructor-gaps"),
            &district_admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    let gaps_before = g["schools_with_gaps"].as_i64().expect("gaps");
    let line = g["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["school_id"] == school)
        .cloned()
        .expect("the demo school has a gap");
    assert_eq!(line["missing"].as_array().map(Vec::len), Some(1), "{line}");
    // The administrator's home names the gap, a tap from where it is filled.
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let home = b.get("/").await;
    assert!(
        home.body.contains(&format!(
            "/certification/grades/{school}\">1 个年级未配备家庭教育指导教师"
        )),
        "{}",
        home.body
    );
    // The school's page shows the gap; its administrator fills it.
    let (_, sg) = t
        .get(
            &format!("/api/v1/schools/{school}/grade-instructors"),
            &admin,
        )
        .await;
    let open = sg["grades"]
        .as_array()
        .expect("grades")
        .iter()
        .find(|l| l["instructor"].is_null())
        .expect("an open grade");
    let grade = open["grade"].as_str().expect("code").to_owned();
    let parent = peek::account_by_username(&t.app, "parent").await;
    let path = format!("/api/v1/schools/{school}/grade-instructors/{grade}");
    let (s, e) = t
        .api(
            Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"account_id": parent.id})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a parent is no staff: {e}"
    );
    let teacher = peek::account_by_username(&t.app, "teacher").await;
    let (s, e) = t
        .api(
            Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"account_id": teacher.id})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (_, g) = t
        .get(
            &format!("/api/v1/units/{district}/grade-instructor-gaps"),
            &district_admin,
        )
        .await;
    assert_eq!(g["schools_with_gaps"], gaps_before - 1, "{g}");
    assert!(
        g["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .all(|l| l["school_id"] != school)
    );
    let (_, board) = t.get(&format!("/api/v1/coverage/{school}"), &admin).await;
    let column = board["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .position(|c| c["measure"]["kind"] == "grade_instructors")
        .expect("the column");
    assert_eq!(board["top"]["have"][column], 1, "{board}");
    assert_boards_equal_a_recount(&t).await;

    // Another school's administrator cannot name anyone here.
    let elsewhere = sql::int(
        &t.app,
        "SELECT MIN(id) FROM units WHERE kind = 'school' AND id <> $1",
        &[school.into()],
    )
    .await;
    factory::staff(&t.app, "other-school", Role::SchoolAdmin, elsewhere).await;
    let (s, _) = t
        .api(
            Method::DELETE,
            &path,
            Some(&t.login("other-school").await),
            None,
        )
        .await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{s}"
    );

    // A school that starts teaching another stage has new grades to fill.
    let city_admin = t.login("city-admin").await;
    let stages: Vec<String> = unit.stages.iter().map(|s| s.as_str().to_owned()).collect();
    let more = if stages.iter().any(|s| s == "junior") {
        format!("{},senior", stages.join(","))
    } else {
        format!("{},junior", stages.join(","))
    };
    let (s, e) = t
        .api(
            Method::PATCH,
            &format!("/api/v1/units/{school}"),
            Some(&city_admin),
            Some(json!({"name": unit.name, "stages": more})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (_, board) = t.get(&format!("/api/v1/coverage/{school}"), &admin).await;
    assert_eq!(board["top"]["have"][column], 0, "{board}");
    assert_boards_equal_a_recount(&t).await;

    // The page and the exports.
    let page = b.get(&format!("/certification/grades/{school}")).await;
    assert!(page.body.contains("未配备"), "{}", page.body);
    let mut d = t.browser();
    d.sign_in("district-admin", PW).await;
    let page = d.get(&format!("/certification/gaps/{district}")).await;
    assert!(page.body.contains(&unit.name), "{}", page.body);
    for path in [
        format!("/certification/gaps/{district}/export.xlsx"),
        format!("/certification/units/{district}/export.xlsx"),
    ] {
        let x = d.get(&path).await;
        assert_eq!(x.status, StatusCode::OK, "{path}");
        assert!(x.body.starts_with("PK"), "{path} is a workbook");
    }
}

#[tokio::test]
async fn training_presented_counts_in_the_presenters_workload() {
    let t = TestApp::demo().await;
    // The demo instructor presented the city's lecturer course: 2 × 4 hours.
    let instructor = t.login("instructor").await;
    let (s, w) = t.get("/api/v1/me/workload", &instructor).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let training: i64 = w["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|y| y["training_hours"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(training, 8, "{w}");
    // A new session with a presenter: a parent is refused, a teacher credited
    // once it is over.
    let city_admin = t.login("city-admin").await;
    let programme = sql::int(
        &t.app,
        "SELECT MIN(id) FROM training_programmes WHERE kind = 'instructor'",
        &[],
    )
    .await;
    let now = t.app.now();
    let body = |presenter: &str| {
        json!({"title": "家长课的提问设计", "starts_at": now - 7200, "ends_at": now - 3600,
               "mode": "in_person", "hours": 3, "presenter": presenter})
    };
    let (s, e) = t
        .post(
            &format!("/api/v1/training/programmes/{programme}/sessions"),
            &city_admin,
            body("parent"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = t
        .post(
            &format!("/api/v1/training/programmes/{programme}/sessions"),
            &city_admin,
            body("teacher"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let (_, w) = t
        .get("/api/v1/me/workload", &t.login("teacher").await)
        .await;
    assert_eq!(w["items"][0]["training_sessions"], 1, "{w}");
    assert_eq!(w["items"][0]["training_hours"], 3, "{w}");
    // The school's workload lists it beside the required-course hours.
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let year = tongyu_domain::calendar::school_year(now);
    let (_, rows) = t
        .get(
            &format!("/api/v1/units/{school}/workload?school_year={year}"),
            &admin,
        )
        .await;
    let teacher = peek::account_by_username(&t.app, "teacher").await;
    let row = rows["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["teacher_id"] == teacher.id)
        .cloned()
        .expect("the teacher is listed");
    assert_eq!(row["training_hours"], 3, "{row}");
}
