//! Appeals: a parent scans a gate code and writes; the school or the
//! district bureau contacts them and replies in three parts within the
//! deadlines; an overdue appeal escalates; the parent rates the reply and
//! an unsatisfied rating reopens it one level up.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tongyu_domain::appeal::Level;

use crate::common::{START, TestApp, peek};

const TEXT: &str = "放学时学校门口车辆乱停，孩子过马路很危险，希望学校和交警协调。";

fn good_reply() -> Value {
    json!({
        "policy": "根据《青岛市中小学校园周边交通安全管理办法》，学校应会同公安交警设置护学岗。",
        "status": "学校已与辖区交警中队联系，本周起放学时段在东门设置临时停车区和护学岗。",
        "next_steps": "下周一起家委会志愿者轮值护学，两周后学校回访家长并公布调整效果。"
    })
}

/// The school of the demo's `school-admin`, and another school's admin.
async fn schools(t: &TestApp) -> (i64, String, i64) {
    let token = t.login("school-admin").await;
    let school = t.login_unit(&token).await;
    let city = peek::city(&t.app).await;
    let all = peek::schools_under(&t.app, &city.path, 100).await;
    let other = all.iter().find(|s| s.id != school).expect("another school");
    (school, format!("school{}-admin", other.id), other.id)
}

async fn codes(t: &TestApp, admin: &str, school: i64) -> (String, String) {
    let (s, v) = t
        .get(&format!("/api/v1/schools/{school}/appeal-codes"), admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let find = |k: &str| {
        v["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|c| c["kind"] == k)
            .expect("code of kind")["token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    (find("school"), find("bureau"))
}

async fn public_post(t: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    t.api(Method::POST, path, None, Some(body)).await
}

async fn public_get(t: &TestApp, path: &str) -> (StatusCode, Value) {
    t.api(Method::GET, path, None, None).await
}

async fn submit(t: &TestApp, qr: &str, phone: &str) -> String {
    let (s, v) = public_post(
        t,
        "/api/v1/public/appeals",
        json!({"qr_token": qr, "category": "safety", "text": TEXT, "contact_name": "王女士", "contact_phone": phone}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["tracking_code"].as_str().expect("code").to_owned()
}

/// The parent's rating of a reply, by tracking code.
async fn rate(t: &TestApp, code: &str, body: Value) -> (StatusCode, Value) {
    public_post(t, &format!("/api/v1/public/appeals/{code}/rating"), body).await
}

async fn inbox_ids(t: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let (s, v) = t.get(&format!("/api/v1/appeals{query}"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["appeals"]
        .as_array()
        .expect("appeals")
        .iter()
        .map(|a| a["id"].as_i64().expect("id"))
        .collect()
}

/// The board's rollups equal a count of the appeals themselves.
async fn rollups_match(t: &TestApp) {
    let check = tongyu_service::appeal::board::check(&t.app)
        .await
        .expect("check");
    assert!(!check.recounted.is_empty());
    assert_eq!(check.kept, check.recounted);
}

async fn id_of(t: &TestApp, code: &str) -> i64 {
    peek::appeal_id(&t.app, code).await
}

#[tokio::test]
async fn a_parent_writes_to_the_school_and_follows_it_to_a_three_part_reply() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, other_admin, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;

    // The public form needs no login and names the school.
    let mut b = t.browser();
    let page = b.get(&format!("/q/{qr}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("向"), "{}", page.body);
    let school_name = t.unit(school).await.name;
    assert!(page.body.contains(&school_name));

    let code = submit(&t, &qr, "13800001234").await;
    assert_eq!(code.len(), 16);
    // The same text from the same phone lands on the same appeal; a sender
    // who knows the text and the phone does not get its link.
    let (s, again) = public_post(
        &t,
        "/api/v1/public/appeals",
        json!({"qr_token": qr, "category": "safety", "text": format!("{TEXT}！"), "contact_phone": "138 0000 1234"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["tracking_code"], "");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["number"].as_str().map(str::len), Some(8));

    // The status page shows where it is and its clocks: safety is 4 hours
    // to first contact, 2 business days to reply (from Tuesday 10:00).
    let (s, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["status"], "received");
    assert_eq!(st["first_contact"]["due"], START + 4 * 3600);
    assert_eq!(st["reply_clock"]["due"], START + 2 * 86_400);
    assert_eq!(st["handled_by"], school_name.as_str());
    assert!(st["reply"].is_null());

    // The school sees it, the phone masked; another school does not. (The
    // demo city has sample appeals of its own.)
    let id = id_of(&t, &code).await;
    assert!(inbox_ids(&t, &admin, "").await.contains(&id));
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert_eq!(d["contact_phone"], "138****1234");
    let other = t.login(&other_admin).await;
    assert!(!inbox_ids(&t, &other, "").await.contains(&id));
    let (s, _) = t.get(&format!("/api/v1/appeals/{id}"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &other, good_reply())
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The refusal came inside the reply's own write transaction; it is in
    // the audit log all the same (written as soon as that transaction ends).
    let auditor = t.login("audit-admin").await;
    let object_id = id.to_string();
    let mut refused = 0;
    for _ in 0..50 {
        let (_, log) = t.get("/api/v1/audit?limit=200", &auditor).await;
        refused = log["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| {
                e["result"] == "denied"
                    && e["object_type"] == "appeal"
                    && e["object_id"].as_str() == Some(object_id.as_str())
            })
            .count();
        if refused >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(refused, 2, "the refused read and the refused reply");
    // The district's own inbox holds only bureau-level and escalated
    // appeals; its oversight view shows the schools' too.
    let district = t.login("district-admin").await;
    assert!(!inbox_ids(&t, &district, "").await.contains(&id));
    assert!(
        inbox_ids(&t, &district, "?scope=subtree")
            .await
            .contains(&id)
    );

    // Contact stops the first clock and makes the admin the handler, who
    // sees the whole number.
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/contact"),
            &admin,
            json!({"note": "电话联系王女士，了解了具体路段"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert_eq!(d["contact_phone"], "13800001234");
    assert_eq!(d["row"]["status"], "in_progress");
    assert_eq!(d["row"]["first_contact"]["state"], "met");
    // An internal note stays internal.
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/note"),
            &admin,
            json!({"text": "内部：需与交警中队再确认"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // A reply missing a part, or with two parts the same, is refused.
    let mut thin = good_reply();
    thin["next_steps"] = json!("会处理。");
    let (s, e) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, thin)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "next_steps");
    let mut same = good_reply();
    same["status"] = same["policy"].clone();
    let (s, e) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, same)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "status");
    let (s, e) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["status"], "replied");

    // The parent reads the three parts, never the internal note, and rates.
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["status"], "replied");
    assert_eq!(st["reply"]["policy"], good_reply()["policy"]);
    assert_eq!(st["can_rate"], true);
    assert!(!st.to_string().contains("内部"), "{st}");
    let (s, r) = rate(&t, &code, json!({"rating": "satisfied"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "closed");
    let (s, _) = rate(
        &t,
        &code,
        json!({"rating": "unsatisfied", "comment": "再评一次"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Every step is in the audit log.
    for a in [
        "appeal.submitted",
        "appeal.read",
        "appeal.contacted",
        "appeal.noted",
        "appeal.replied",
        "appeal.rated",
    ] {
        let n = t
            .app
            .db
            .query_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = '{a}' AND object_id = '{id}'"
            ))
            .await
            .expect("audit");
        assert!(n >= 1, "{a} missing from the audit log");
    }
}

#[tokio::test]
async fn a_bureau_code_reaches_the_district_and_an_unanswered_appeal_climbs_to_the_city() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (_, bureau) = codes(&t, &admin, school).await;
    let (s, v) = public_post(
        &t,
        "/api/v1/public/appeals",
        json!({"qr_token": bureau, "category": "fees", "text": "学校要求统一购买校服和教辅资料，费用较高且没有公示。"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let code = v["tracking_code"].as_str().expect("code").to_owned();
    let id = id_of(&t, &code).await;

    // The school never sees what was written to its bureau.
    assert!(!inbox_ids(&t, &admin, "").await.contains(&id));
    let district = t.login("district-admin").await;
    assert!(inbox_ids(&t, &district, "").await.contains(&id));
    let city = t.login("city-admin").await;
    assert!(!inbox_ids(&t, &city, "").await.contains(&id));

    // Nothing is due yet: the sweep changes nothing.
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert_eq!(r.escalated, 0);
    // One business day later (Tuesday → Wednesday 10:00) the first-contact
    // clock has run out: the appeal goes to the city, both are told.
    t.clock.advance(86_400);
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert!(r.escalated >= 1, "{r:?}");
    // (A day later everyone signs in again.)
    let district = t.login("district-admin").await;
    let city = t.login("city-admin").await;
    assert!(!inbox_ids(&t, &district, "").await.contains(&id));
    assert!(inbox_ids(&t, &city, "").await.contains(&id));
    let (_, n) = t.get("/api/v1/appeals/notices", &city).await;
    assert!(n["notices"].to_string().contains("已转入本单位"), "{n}");
    let (_, n) = t.get("/api/v1/appeals/notices", &district).await;
    assert!(n["notices"].to_string().contains("已上报"), "{n}");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["overdue"], true);
    assert_eq!(st["level"], "city");
    assert_eq!(st["escalations"], 1);
    // The city's clocks start afresh; a second sweep at once changes nothing.
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert_eq!(r, tongyu_service::appeal::SweepReport::default());
    // At the city there is nowhere higher: overdue is flagged once.
    t.clock.advance(86_400);
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert!(r.overdue_at_top >= 1, "{r:?}");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(
        (st["level"].as_str(), st["escalations"].as_i64()),
        (Some("city"), Some(1))
    );
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert_eq!(r, tongyu_service::appeal::SweepReport::default());
    let flagged = t
        .app
        .db
        .query_i64(&format!(
            "SELECT COUNT(*) FROM appeal_events WHERE appeal_id = {id} AND kind = 'overdue'"
        ))
        .await
        .expect("events");
    assert_eq!(flagged, 1);
    // Still nobody has called: the city is warned before the reply is due,
    // and when the reply clock runs out too, that is flagged as well (the
    // board counts the reply late), once.
    let reply_due = t
        .app
        .db
        .query_i64(&format!("SELECT reply_due FROM appeals WHERE id = {id}"))
        .await
        .expect("due");
    t.clock.advance(reply_due - 3_600 - t.app.now());
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert!(r.warned >= 1, "{r:?}");
    let city = t.login("city-admin").await;
    let (_, n) = t.get("/api/v1/appeals/notices", &city).await;
    assert!(n["notices"].to_string().contains("前答复"), "{n}");
    t.clock.advance(10 * 86_400);
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert!(r.overdue_at_top >= 1, "{r:?}");
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert_eq!(r, tongyu_service::appeal::SweepReport::default());
    let texts = t
        .app
        .db
        .query_i64(&format!(
            "SELECT COUNT(*) FROM appeal_events WHERE appeal_id = {id} AND kind = 'overdue'
             AND text LIKE '%未在时限内答复%'"
        ))
        .await
        .expect("events");
    assert_eq!(texts, 1);
    let late = t
        .app
        .db
        .query_i64(&format!(
            "SELECT contact_late + reply_late FROM appeals WHERE id = {id}"
        ))
        .await
        .expect("flags");
    assert_eq!(late, 2);
}

#[tokio::test]
async fn an_unsatisfied_parent_reopens_the_appeal_one_level_up_and_silence_closes_it() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let first = submit(&t, &qr, "13900001111").await;
    let second = submit(&t, &qr, "13900002222").await;
    for code in [&first, &second] {
        let id = id_of(&t, code).await;
        let (s, e) = t
            .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
    }
    // Unsatisfied needs a reason, then reopens at the district.
    let (s, e) = rate(&t, &first, json!({"rating": "unsatisfied"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "comment");
    let (s, r) = rate(
        &t,
        &first,
        json!({"rating": "unsatisfied", "comment": "护学岗只设了两天就撤了"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "received");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{first}")).await;
    assert_eq!(st["level"], "district");
    assert!(st["reply"].is_null(), "the old reply is withdrawn: {st}");
    let district = t.login("district-admin").await;
    let id = id_of(&t, &first).await;
    assert!(inbox_ids(&t, &district, "").await.contains(&id));
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &district).await;
    assert_eq!(d["rating"], "unsatisfied");

    // The second is never rated: after the window it closes as no feedback.
    t.clock.advance(7 * 86_400 + 1);
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert!(r.closed_without_rating >= 1, "{r:?}");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{second}")).await;
    assert_eq!(st["status"], "closed");
    assert_eq!(st["rating"], "no_feedback");
    rollups_match(&t).await;
}

#[tokio::test]
async fn a_level_with_sign_off_holds_the_reply_until_a_supervisor_approves() {
    let t = TestApp::demo_with(|s| s.appeals.sign_off = vec![Level::School]).await;
    let admin = t.login("school-admin").await;
    let coordinator = t.login("coordinator").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let code = submit(&t, &qr, "").await;
    let id = id_of(&t, &code).await;
    // The coordinator may reply but not sign off.
    let (s, r) = t
        .post(
            &format!("/api/v1/appeals/{id}/reply"),
            &coordinator,
            good_reply(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "awaiting_sign_off");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert!(st["reply"].is_null(), "not published yet: {st}");
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/sign-off"),
            &coordinator,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/sign-off"),
            &admin,
            json!({"approve": false}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a return needs a comment: {e}"
    );
    let (s, r) = t
        .post(
            &format!("/api/v1/appeals/{id}/sign-off"),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "replied");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["reply"]["next_steps"], good_reply()["next_steps"]);
    // Four eyes: the administrator who writes a reply cannot approve it.
    let second = submit(&t, &qr, "13500000002").await;
    let id = id_of(&t, &second).await;
    let (s, r) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
        .await;
    assert_eq!(
        (s, r["status"].as_str()),
        (StatusCode::OK, Some("awaiting_sign_off"))
    );
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/sign-off"),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("另一位"),
        "{e}"
    );
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{second}")).await;
    assert!(st["reply"].is_null(), "still not published: {st}");
}

#[tokio::test]
async fn deadlines_skip_the_city_s_holidays_and_count_make_up_days() {
    let t = TestApp::demo().await;
    let city = t.login("city-admin").await;
    let admin = t.login("school-admin").await;
    // START is Tuesday 2026-09-15 10:00. Wednesday is made a holiday.
    let (s, e) = t
        .post(
            "/api/v1/calendar",
            &city,
            json!({"date": "2026-09-16", "kind": "holiday", "note": "演练"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (s, _) = t
        .post(
            "/api/v1/calendar",
            &admin,
            json!({"date": "2026-09-17", "kind": "holiday"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the city sets the calendar");
    let (s, e) = t
        .post(
            "/api/v1/calendar",
            &city,
            json!({"date": "2026-02-30", "kind": "holiday"}),
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("date"))
    );
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let (s, v) = public_post(
        &t,
        "/api/v1/public/appeals",
        json!({"qr_token": qr, "category": "teaching", "text": "希望学校多开设一些课后服务的兴趣课程，比如书法和围棋。"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // 1 business day: Wednesday is off, so Thursday 10:00.
    assert_eq!(v["contact_due"], START + 2 * 86_400);
    // 5 business days: Thu, Fri, Mon, Tue, Wed → Wednesday 23 September.
    assert_eq!(v["reply_due"], START + 8 * 86_400);
    let (_, cal) = t.get("/api/v1/calendar", &city).await;
    assert_eq!(cal["days"][0]["date"], "2026-09-16");
    // The city keeps the calendar on its page too.
    let mut b = t.browser();
    b.sign_in("city-admin", crate::common::PW).await;
    b.get("/appeals/calendar").await;
    let page = b
        .post(
            "/appeals/calendar",
            &[
                ("date", "2026-10-10"),
                ("kind", "workday"),
                ("note", "国庆调休"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = b.get("/appeals/calendar?msg=saved").await;
    assert!(
        page.body.contains("2026-10-10") && page.body.contains("国庆调休"),
        "{}",
        page.body
    );
    let page = b
        .post(
            "/appeals/calendar",
            &[("date", "十月一日"), ("kind", "holiday"), ("note", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("日期格式"));
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_and_parent_text_never_runs_as_script() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let ok = json!({"qr_token": qr, "category": "food", "text": "食堂饭菜偏咸，孩子回家说经常吃不饱，希望改进。"});
    for (field, value, want) in [
        ("text", json!("太短"), "text"),
        ("text", json!("长".repeat(2001)), "text"),
        ("category", json!("weather"), "category"),
        ("contact_phone", json!("12345"), "contact_phone"),
        ("contact_name", json!("名".repeat(21)), "contact_name"),
    ] {
        let mut b = ok.clone();
        b[field] = value;
        let (s, e) = public_post(&t, "/api/v1/public/appeals", b).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {e}");
        assert_eq!(e["field"], want);
        assert!(e["message"].as_str().is_some_and(|m| !m.is_ascii()), "{e}");
    }
    // An unknown code: a clear page and a stable code; no appeal is made.
    let mut b = ok.clone();
    b["qr_token"] = json!("not-a-real-token");
    let (s, e) = public_post(&t, "/api/v1/public/appeals", b).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let page = t.browser().get("/q/not-a-real-token").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("二维码无效"), "{}", page.body);
    // A tracking code that does not exist looks like any other miss.
    let (s, _) = public_get(&t, "/api/v1/public/appeals/ABCDEFGHJKLMNPQR").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = public_get(&t, "/api/v1/public/appeals/x").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A rotated code points to its replacement and takes no appeals.
    let (s, new) = t
        .post(
            &format!("/api/v1/schools/{school}/appeal-codes/school/rotate"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{new}");
    let new_token = new["token"].as_str().expect("token");
    assert_ne!(new_token, qr);
    let page = t.browser().get(&format!("/q/{qr}")).await;
    assert!(page.body.contains("已更换"), "{}", page.body);
    assert!(page.body.contains(&format!("/q/{new_token}")));
    let (s, _) = public_post(&t, "/api/v1/public/appeals", ok.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Markup in an appeal is shown as text to staff and parent alike.
    let evil = "<script>alert('x')</script> 孩子在校被同学推倒受伤，老师没有告知家长。";
    let mut b = ok.clone();
    b["qr_token"] = json!(new_token);
    b["text"] = json!(evil);
    let (s, v) = public_post(&t, "/api/v1/public/appeals", b).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let code = v["tracking_code"].as_str().expect("code").to_owned();
    let id = id_of(&t, &code).await;
    let mut staff = t.browser();
    staff.sign_in("school-admin", crate::common::PW).await;
    let page = staff.get(&format!("/appeals/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(
        page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
        "shown as text: {}",
        page.body
    );
    let page = t.browser().get(&format!("/a/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>alert"));
}

#[tokio::test]
async fn the_public_form_takes_an_appeal_and_the_status_page_takes_a_rating() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let mut parent = t.browser();
    parent.get(&format!("/q/{qr}")).await;
    // Without consent, or too short: the form comes back with what was typed.
    let page = parent
        .post(
            &format!("/q/{qr}"),
            &[
                ("category", "bullying"),
                ("text", "班上有同学经常被几个高年级学生堵在厕所里要钱。"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("同意"), "{}", page.body);
    assert!(page.body.contains("堵在厕所里要钱"));
    let page = parent
        .post(
            &format!("/q/{qr}"),
            &[
                ("category", "bullying"),
                ("text", "班上有同学经常被几个高年级学生堵在厕所里要钱。"),
                ("consent", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let start = page.body.find("id=\"tracking-code\">").expect("code shown") + 19;
    let code = page.body[start..start + 16].to_owned();
    // Sending it again from the same phone (its device cookie) lands once.
    let again = parent
        .post(
            &format!("/q/{qr}"),
            &[
                ("category", "bullying"),
                ("text", "班上有同学经常被几个高年级学生堵在厕所里要钱。"),
                ("consent", "1"),
            ],
        )
        .await;
    assert!(
        again.body.contains(&code) && again.body.contains("已经收到过"),
        "{}",
        again.body
    );

    let id = id_of(&t, &code).await;
    let mut staff = t.browser();
    staff.sign_in("school-admin", crate::common::PW).await;
    let inbox = staff.get("/appeals").await;
    assert!(inbox.body.contains("学生欺凌"), "{}", inbox.body);
    let page = staff.get(&format!("/appeals/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // A reply with an empty part comes back with the parts kept.
    let page = staff
        .post(
            &format!("/appeals/{id}/reply"),
            &[
                ("policy", good_reply()["policy"].as_str().expect("s")),
                ("status", ""),
                ("next_steps", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("当前工作情况"));
    assert!(page.body.contains("护学岗"));
    let r = good_reply();
    let page = staff
        .post(
            &format!("/appeals/{id}/reply"),
            &[
                ("policy", r["policy"].as_str().expect("s")),
                ("status", r["status"].as_str().expect("s")),
                ("next_steps", r["next_steps"].as_str().expect("s")),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    let status = parent.get(&format!("/a/{code}")).await;
    assert!(status.body.contains("下一步解决措施"), "{}", status.body);
    let page = parent
        .post(
            &format!("/a/{code}/rating"),
            &[("rating", "basically_satisfied"), ("comment", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let status = parent.get(&format!("/a/{code}?msg=rated")).await;
    assert!(status.body.contains("基本满意"));
    assert!(status.body.contains("已办结"));
}

#[tokio::test]
async fn hotline_tickets_and_other_sources_enter_once_and_transfers_stay_in_scope() {
    let t = TestApp::demo().await;
    let district = t.login("district-admin").await;
    let admin = t.login("school-admin").await;
    let (school, _, other_school) = schools(&t).await;
    let ticket = json!({"source": "hotline", "external_ref": "QD12345-20260915-0001", "unit_id": school,
                        "category": "fees", "text": "市民来电反映学校收取资料费未公示，要求核实。", "contact_phone": "13700009999"});
    let (s, first) = t.post("/api/v1/appeals", &district, ticket.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, again) = t.post("/api/v1/appeals", &district, ticket.clone()).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["existing"], true);
    let mut no_ref = ticket.clone();
    no_ref["external_ref"] = json!("");
    let (s, e) = t.post("/api/v1/appeals", &district, no_ref).await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("external_ref"))
    );
    // A school cannot raise one for another school.
    let mut elsewhere = ticket.clone();
    elsewhere["source"] = json!("principal_mailbox");
    elsewhere["external_ref"] = json!("");
    elsewhere["unit_id"] = json!(other_school);
    let (s, _) = t.post("/api/v1/appeals", &admin, elsewhere).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let id = first["id"].as_i64().expect("id");
    assert!(inbox_ids(&t, &admin, "").await.contains(&id));
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert_eq!(d["row"]["source"], "hotline");
    // The school may not hand it to a school outside its scope…
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/transfer"),
            &admin,
            json!({"unit_id": other_school, "reason": "应由该校办理"}),
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unit_id")),
        "{e}"
    );
    // …the district may, within its own.
    let other_in_district = {
        let d = t.unit(t.login_unit(&district).await).await;
        peek::schools_under(&t.app, &d.path, 50)
            .await
            .into_iter()
            .find(|s| s.id != school)
            .expect("another school in the district")
    };
    // The page offers the district's schools to hand it to.
    let mut page_user = t.browser();
    page_user.sign_in("district-admin", crate::common::PW).await;
    let page = page_user.get(&format!("/appeals/{id}")).await;
    assert!(
        page.body
            .contains(&format!("<option value=\"{}\"", other_in_district.id)),
        "{}",
        page.body
    );
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/transfer"),
            &district,
            json!({"unit_id": other_in_district.id, "reason": "涉及的是该校学生"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    assert!(!inbox_ids(&t, &admin, "").await.contains(&id));
    let other_admin = t
        .login(&format!("school{}-admin", other_in_district.id))
        .await;
    assert!(inbox_ids(&t, &other_admin, "").await.contains(&id));
    // A spam mark is proposed by the school and confirmed by the district:
    // until then the appeal stays in the inbox and on the parent's page.
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/spam"),
            &other_admin,
            json!({"reason": "重复骚扰"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert!(inbox_ids(&t, &other_admin, "").await.contains(&id));
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/spam/decision"),
            &other_admin,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not by the school itself: {e}");
    let (_, pending) = t.get("/api/v1/appeals/spam-pending", &district).await;
    assert_eq!(pending["items"][0]["id"], id, "{pending}");
    assert_eq!(pending["items"][0]["reason"], "重复骚扰");
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/spam/decision"),
            &district,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    assert!(!inbox_ids(&t, &other_admin, "").await.contains(&id));
    // Staff never held the parent's link: it went to the parent's phone.
    assert!(first.get("tracking_code").is_none(), "{first}");
    assert_eq!(first["link_sent"], true, "{first}");
    let sms = t.sms.sent();
    let link = sms
        .iter()
        .find(|m| m.phone == "13700009999")
        .and_then(|m| m.param("link"))
        .expect("the parent's link by text message");
    let code = link.rsplit('/').next().expect("code");
    let (s, _) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "spam is gone from the parent's page"
    );
    // Transfers and spam moved the board's counts along.
    rollups_match(&t).await;
}

#[tokio::test]
async fn hotline_tickets_come_in_by_token_and_by_file_once_each_and_replies_go_back() {
    let t = TestApp::demo().await;
    let district = t.login("district-admin").await;
    let d0 = t.login_unit(&district).await;
    let (school, _, _) = schools(&t).await;
    let school_unit = t.unit(school).await;
    let code = school_unit.external_id.clone().expect("school code");
    let (s, v) = t
        .post(
            "/api/v1/integrations",
            &district,
            json!({"name": "12345 热线", "unit_id": d0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().expect("token").to_owned();
    let far = {
        let city = peek::city(&t.app).await;
        peek::schools_under(&t.app, &city.path, 500)
            .await
            .into_iter()
            .find(|s| !s.path.contains(&format!("/{d0}/")))
            .expect("a school in another district")
    };
    let tickets = json!({"tickets": [
        {"ticket_no": "QD-0001", "unit": code, "category": "收费问题", "text": "市民来电反映学校代收教辅资料费，要求核实是否合规。", "contact_phone": "13600001111"},
        {"ticket_no": "QD-0002", "unit": school_unit.name, "category": "城市管理", "text": "市民来电反映学校周边早高峰拥堵，希望错峰放学。"},
        {"ticket_no": "QD-0003", "unit": "不存在的学校", "category": "其他", "text": "市民来电反映的情况无法对应到具体学校。"},
        {"ticket_no": "QD-0004", "unit": far.external_id.clone().unwrap_or_default(), "text": "另一区的学校，不在这个令牌的范围内。"}
    ]});
    let (s, r) = t
        .post("/api/v1/appeals/import", &token, tickets.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let outcomes: Vec<&str> = r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        outcomes,
        vec!["created", "created", "error", "error"],
        "{r}"
    );
    assert!(
        r["results"][2]["message"]
            .as_str()
            .unwrap_or("")
            .contains("找不到单位")
    );
    // Sent again: nothing new.
    let (_, again) = t.post("/api/v1/appeals/import", &token, tickets).await;
    let outcomes: Vec<&str> = again["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, vec!["existing", "existing", "error", "error"]);
    assert_eq!(
        again["results"][0]["appeal_id"],
        r["results"][0]["appeal_id"]
    );
    // A staff token is not an integration token.
    let (s, _) = t
        .post("/api/v1/appeals/import", &district, json!({"tickets": []}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let id = r["results"][0]["appeal_id"].as_i64().expect("id");
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &district).await;
    assert_eq!(
        (d["row"]["category"].as_str(), d["external_ref"].as_str()),
        (Some("fees"), Some("QD-0001"))
    );
    let second = r["results"][1]["appeal_id"].as_i64().expect("id");
    let (_, d) = t.get(&format!("/api/v1/appeals/{second}"), &district).await;
    assert_eq!(d["row"]["category"], "other");

    // The same tickets in a file from the school: one known, one new.
    let admin = t.login("school-admin").await;
    let csv = format!(
        "工单编号,承办单位,类别,诉求内容,联系人,联系电话\nQD-0001,{code},收费问题,市民来电反映学校代收教辅资料费，要求核实是否合规。,,\nQD-0005,{code},食堂餐饮,市民来电反映学校食堂饭菜温度偏低。,李先生,13600002222\n"
    );
    let r: (StatusCode, axum::http::HeaderMap, String) = t
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/appeals/import/file")
                .header("authorization", format!("Bearer {admin}"))
                .header("content-type", "text/csv")
                .body(axum::body::Body::from(csv))
                .expect("request"),
        )
        .await;
    let s = r.0;
    let r: Value = serde_json::from_str(&r.2).unwrap_or(Value::Null);
    assert_eq!(s, StatusCode::OK, "{r}");
    let outcomes: Vec<&str> = r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, vec!["existing", "created"], "{r}");
    assert_eq!(r["results"][1]["row"], 3);

    // Replies go back to the hotline as a spreadsheet.
    let (s, e) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (s, headers, _) = t
        .send(
            axum::http::Request::builder()
                .uri("/api/v1/appeals/hotline-replies.xlsx")
                .header("authorization", format!("Bearer {admin}"))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or("")
            .contains("spreadsheetml")
    );
}

#[tokio::test]
async fn urgent_words_flag_the_district_at_once_and_a_rising_topic_is_a_surge() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let district = t.login("district-admin").await;
    let d0 = t.login_unit(&district).await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let send = |text: &'static str, phone: String| {
        let qr = qr.clone();
        let t = &t;
        async move {
            let (s, v) = public_post(t, "/api/v1/public/appeals", json!({"qr_token": qr, "category": "bullying", "text": text, "contact_phone": phone})).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            id_of(t, v["tracking_code"].as_str().expect("code")).await
        }
    };
    let hurt = send(
        "孩子说放学后在操场被几个高年级学生殴打，身上有淤青。",
        "13500000001".into(),
    )
    .await;
    let calm = send(
        "老师说并没有殴打，只是同学之间推搡，想再确认一下情况。",
        "13500000002".into(),
    )
    .await;
    let (_, d) = t.get(&format!("/api/v1/appeals/{hurt}"), &admin).await;
    assert_eq!(d["row"]["urgent"], true);
    let (_, d) = t.get(&format!("/api/v1/appeals/{calm}"), &admin).await;
    assert_eq!(d["row"]["urgent"], false);
    // The district is told at once, though the appeal is the school's.
    assert!(!inbox_ids(&t, &district, "").await.contains(&hurt));
    let (_, n) = t.get("/api/v1/appeals/notices", &district).await;
    let notices = n["notices"].as_array().expect("notices");
    assert!(
        notices
            .iter()
            .any(|x| x["appeal_id"] == hurt && x["text"].as_str().unwrap_or("").contains("殴打")),
        "{n}"
    );
    assert!(!notices.iter().any(|x| x["appeal_id"] == calm));

    // Six parents write about the canteen today: a surge against nothing before.
    for i in 0..6 {
        send(
            "学校食堂的饭菜经常变质，孩子吃了肚子疼，食堂卫生需要整改。",
            format!("1370000000{i}"),
        )
        .await;
    }
    let (s, r) = t
        .get(
            &format!("/api/v1/units/{d0}/opinion?period=week"),
            &district,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let canteen = r["topics"]
        .as_array()
        .expect("topics")
        .iter()
        .find(|x| x["word"] == "食堂")
        .cloned()
        .expect("食堂 is a topic");
    assert!(canteen["count"].as_i64().expect("count") >= 6, "{canteen}");
    assert_eq!(canteen["surge"], true);
    assert!(
        r["surges"]
            .as_array()
            .expect("surges")
            .iter()
            .any(|x| x["word"] == "食堂")
    );
    assert!(
        r["children"]
            .as_array()
            .expect("children")
            .iter()
            .any(|x| x["unit_id"] == school)
    );
    // The page shows the same; a school may not read its district's report.
    let mut b = t.browser();
    b.sign_in("district-admin", crate::common::PW).await;
    let page = b.get(&format!("/appeals/opinion/{d0}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("激增预警") && page.body.contains("食堂"),
        "{}",
        page.body
    );
    let (s, _) = t.get(&format!("/api/v1/units/{d0}/opinion"), &admin).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Two weeks later the canteen is no longer this week's topic.
    t.clock.advance(14 * 86_400);
    let district = t.login("district-admin").await;
    let (_, r) = t
        .get(
            &format!("/api/v1/units/{d0}/opinion?period=week"),
            &district,
        )
        .await;
    assert!(
        !r["topics"]
            .as_array()
            .expect("topics")
            .iter()
            .any(|x| x["word"] == "食堂"),
        "{r}"
    );
}

#[tokio::test]
async fn the_board_counts_on_time_escalated_satisfied_and_reopened_from_city_to_school() {
    let t = TestApp::demo().await;
    let district_admin = t.login("district-admin").await;
    let d0 = t.login_unit(&district_admin).await;
    // A school outside the demo district (whose school holds the samples).
    let (school, district) = {
        let city = peek::city(&t.app).await;
        let s = peek::schools_under(&t.app, &city.path, 500)
            .await
            .into_iter()
            .find(|s| !s.path.contains(&format!("/{d0}/")))
            .expect("a school elsewhere");
        let district = tongyu_domain::org::path_ids(&s.path)[1];
        (s.id, district)
    };
    let admin_name = format!("school{school}-admin");
    let admin = t.login(&admin_name).await;
    let (qr, _) = codes(&t, &admin, school).await;
    // C is left alone a business day: it escalates, late.
    submit(&t, &qr, "13400000003").await;
    t.clock.advance(86_400);
    tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    let admin = t.login(&admin_name).await;
    // A is answered at once and the parent is satisfied; B's parent is not.
    let a = submit(&t, &qr, "13400000001").await;
    let b = submit(&t, &qr, "13400000002").await;
    for code in [&a, &b] {
        let id = id_of(&t, code).await;
        let (s, e) = t
            .post(
                &format!("/api/v1/appeals/{id}/contact"),
                &admin,
                json!({"note": "电话联系家长了解情况"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
        let (s, e) = t
            .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
    }
    rate(&t, &a, json!({"rating": "satisfied"})).await;
    rate(
        &t,
        &b,
        json!({"rating": "unsatisfied", "comment": "问题没有解决"}),
    )
    .await;

    let city = t.login("city-admin").await;
    let city_id = t.login_unit(&city).await;
    let (s, board) = t
        .get(&format!("/api/v1/units/{city_id}/appeal-board"), &city)
        .await;
    assert_eq!(s, StatusCode::OK, "{board}");
    let row = board["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["unit_id"] == district)
        .cloned()
        .expect("the district's row");
    assert_eq!(row["counts"]["total"], 3, "{row}");
    assert_eq!(row["drill"], true);
    let (_, board) = t
        .get(&format!("/api/v1/units/{school}/appeal-board"), &city)
        .await;
    let total = &board["total"];
    assert_eq!(total["counts"]["total"], 3, "{board}");
    // Contact: A in time, C late (B's clocks started again at the district).
    assert_eq!(total["contact_on_time"], 500);
    assert_eq!(total["reply_on_time"], 1000);
    assert_eq!(total["counts"]["escalated"], 2);
    assert_eq!(total["satisfaction"], 500);
    assert_eq!(total["reopen_rate"], 500);
    // The school sees its own board, not the city's; the page and the export work.
    let (s, _) = t
        .get(&format!("/api/v1/units/{city_id}/appeal-board"), &admin)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut browser = t.browser();
    browser.sign_in("city-admin", crate::common::PW).await;
    let page = browser.get(&format!("/appeals/board/{city_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("满意率") && page.body.contains(&format!("/appeals/board/{district}")),
        "{}",
        page.body
    );
    let page = browser
        .get(&format!("/appeals/board/{school}/export.xlsx"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    rollups_match(&t).await;
}

#[tokio::test]
async fn templates_start_replies_and_call_backs_catch_a_closure_without_a_fix() {
    let t = TestApp::demo().await;
    let district = t.login("district-admin").await;
    let d0 = t.login_unit(&district).await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    // The district writes a template for fee complaints; the school uses it.
    let mut tpl = good_reply();
    tpl["category"] = json!("fees");
    tpl["title"] = json!("代收费用答复");
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{d0}/appeal-templates"),
            &district,
            tpl.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let tid = v["id"].as_i64().expect("id");
    let mut thin = tpl.clone();
    thin["policy"] = json!("按规定");
    let (s, e) = t
        .post(
            &format!("/api/v1/units/{d0}/appeal-templates"),
            &district,
            thin,
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("policy"))
    );
    let (_, list) = t
        .get(
            &format!("/api/v1/units/{school}/appeal-templates?category=fees"),
            &admin,
        )
        .await;
    assert!(
        list["templates"]
            .as_array()
            .expect("list")
            .iter()
            .any(|x| x["id"] == tid),
        "{list}"
    );
    let (_, list) = t
        .get(
            &format!("/api/v1/units/{school}/appeal-templates?category=food"),
            &admin,
        )
        .await;
    assert!(
        !list["templates"]
            .as_array()
            .expect("list")
            .iter()
            .any(|x| x["id"] == tid)
    );

    let (qr, _) = codes(&t, &admin, school).await;
    let (_, v) = public_post(&t, "/api/v1/public/appeals", json!({"qr_token": qr, "category": "fees", "text": "学校代收教辅资料费，没有公示收费依据。", "contact_phone": "13300000001"})).await;
    let code = v["tracking_code"].as_str().expect("code").to_owned();
    let id = id_of(&t, &code).await;
    let mut staff = t.browser();
    staff.sign_in("school-admin", crate::common::PW).await;
    let page = staff.get(&format!("/appeals/{id}")).await;
    assert!(
        page.body.contains("代收费用答复"),
        "the template is offered"
    );
    let page = staff.get(&format!("/appeals/{id}?template={tid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("护学岗"),
        "the reply form starts from the template"
    );

    // Replied and rated: closed. The district draws it for a call-back.
    let (s, _) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
        .await;
    assert_eq!(s, StatusCode::OK);
    rate(&t, &code, json!({"rating": "basically_satisfied"})).await;
    let (s, e) = t
        .post(
            &format!("/api/v1/units/{school}/appeal-callbacks/draw"),
            &admin,
            json!({"count": 5}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a school does not check itself: {e}"
    );
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{d0}/appeal-callbacks/draw"),
            &district,
            json!({"count": 50}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["drawn"].as_i64().expect("n") >= 1);
    let (_, list) = t
        .get(&format!("/api/v1/units/{d0}/appeal-callbacks"), &district)
        .await;
    let row = list["callbacks"]
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["number"] == tongyu_domain::appeal::number(id))
        .cloned()
        .expect("drawn");
    assert_eq!(
        row["contact_phone"], "13300000001",
        "the checker calls the parent"
    );
    let cb = row["callback"]["id"].as_i64().expect("id");
    // Drawing again never draws it twice.
    let (_, v) = t
        .post(
            &format!("/api/v1/units/{d0}/appeal-callbacks/draw"),
            &district,
            json!({"count": 50}),
        )
        .await;
    let (_, list) = t
        .get(&format!("/api/v1/units/{d0}/appeal-callbacks"), &district)
        .await;
    assert_eq!(
        list["callbacks"]
            .as_array()
            .expect("list")
            .iter()
            .filter(|r| r["number"] == tongyu_domain::appeal::number(id))
            .count(),
        1,
        "{v}"
    );
    // The parent says nothing was fixed: the school handles it again.
    let (s, e) = t
        .post(
            &format!("/api/v1/appeal-callbacks/{cb}"),
            &district,
            json!({"outcome": "unresolved"}),
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
    );
    let (s, e) = t
        .post(
            &format!("/api/v1/appeal-callbacks/{cb}"),
            &district,
            json!({"outcome": "unresolved", "note": "家长说费用仍未退还"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["status"], "received");
    assert!(
        inbox_ids(&t, &admin, "?status=received")
            .await
            .contains(&id)
    );
    let (_, n) = t.get("/api/v1/appeals/notices", &admin).await;
    assert!(n["notices"].to_string().contains("回访"), "{n}");
    let (s, _) = t
        .post(
            &format!("/api/v1/appeal-callbacks/{cb}"),
            &district,
            json!({"outcome": "resolved"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_unit_is_warned_once_before_a_clock_runs_out() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let (_, v) = public_post(&t, "/api/v1/public/appeals", json!({"qr_token": qr, "category": "teaching", "text": "希望学校调整作业量，孩子每天写作业到很晚。", "contact_phone": "13200000001"})).await;
    let id = id_of(&t, v["tracking_code"].as_str().expect("code")).await;
    let warned = || async {
        t.app
            .db
            .query_i64(&format!(
                "SELECT COUNT(*) FROM appeal_notices WHERE appeal_id = {id} AND text LIKE '即将超时%'"
            ))
            .await
            .expect("notices")
    };
    // One business day to first contact: the warning comes in its last fifth.
    t.clock.advance(12 * 3600);
    tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert_eq!(warned().await, 0);
    t.clock.advance(8 * 3600);
    let r = tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert!(r.warned >= 1, "{r:?}");
    assert_eq!(warned().await, 1);
    tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    assert_eq!(warned().await, 1, "warned once");
    let admin = t.login("school-admin").await;
    let (_, n) = t.get("/api/v1/appeals/notices", &admin).await;
    assert!(n["notices"].to_string().contains("即将超时"), "{n}");
}

#[tokio::test]
async fn photos_are_checked_by_content_and_shown_only_to_the_parent_and_the_handlers() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, other_admin, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    // A PNG whose text chunk says where it was taken.
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend([0, 0, 0, 0]);
        c
    };
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend(chunk(b"IHDR", &[0; 13]));
    png.extend(chunk(b"tEXt", b"GPS\x0036.0671,120.3826"));
    let pixels: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
    png.extend(chunk(b"IDAT", &pixels));
    png.extend(chunk(b"IEND", b""));
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(300, b' ');
    let mut parent = t.browser();
    parent.get(&format!("/q/{qr}")).await;
    let text = "学校围墙有一处破损，孩子放学会从缺口钻出去，很危险，附上照片。";
    let fields = [("category", "safety"), ("text", text), ("consent", "1")];
    // A PDF named like a photo is refused, with the text kept.
    let page = parent
        .post_multipart(&format!("/q/{qr}"), &fields, &[("photo", "wall.jpg", &pdf)])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("JPG 或 PNG") && page.body.contains("围墙有一处破损"));
    let four: Vec<(&str, &str, &[u8])> =
        (0..4).map(|_| ("photo", "p.png", png.as_slice())).collect();
    let page = parent
        .post_multipart(&format!("/q/{qr}"), &fields, &four)
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("最多上传3张"));
    let page = parent
        .post_multipart(
            &format!("/q/{qr}"),
            &fields,
            &[("photo", "wall.png", &png), ("photo", "", b"")],
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let start = page.body.find("id=\"tracking-code\">").expect("code") + 19;
    let code = page.body[start..start + 16].to_owned();
    let id = id_of(&t, &code).await;
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["photos"], 1);
    // The parent sees it by the code; the school's handlers see it; another school does not.
    let (s, _, body) = t
        .send(
            axum::http::Request::builder()
                .uri(format!("/a/{code}/photos/1"))
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.len() > 300);
    assert!(
        !body.contains("36.0671"),
        "the photo is kept without where it was taken"
    );
    let (s, _, _) = t
        .send(
            axum::http::Request::builder()
                .uri(format!("/a/{code}/photos/2"))
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let mut staff = t.browser();
    staff.sign_in("school-admin", crate::common::PW).await;
    let page = staff.get(&format!("/appeals/{id}")).await;
    assert!(page.body.contains(&format!("/appeals/{id}/photos/1")));
    let photo = staff.get(&format!("/appeals/{id}/photos/1")).await;
    assert_eq!(photo.status, StatusCode::OK);
    let mut stranger = t.browser();
    stranger.sign_in(&other_admin, crate::common::PW).await;
    let photo = stranger.get(&format!("/appeals/{id}/photos/1")).await;
    assert_eq!(photo.status, StatusCode::NOT_FOUND);
    // A year after the appeal closed, its photos go, files and all.
    assert_eq!(
        tongyu_service::appeal::retention::purge_photos(&t.app)
            .await
            .expect("purge"),
        0
    );
    t.app
        .db
        .execute_raw(&format!(
            "UPDATE appeals SET status = 'closed', closed_at = {} WHERE id = {id}",
            START
        ))
        .await
        .expect("close");
    let files = |dir: &std::path::Path| -> usize {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name() != "tmp")
                    .map(|e| std::fs::read_dir(e.path()).map(|f| f.count()).unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0)
    };
    let before = files(&t.media_dir);
    assert!(before >= 1);
    t.clock.advance(364 * 86_400);
    assert_eq!(
        tongyu_service::appeal::retention::purge_photos(&t.app)
            .await
            .expect("purge"),
        0
    );
    t.clock.advance(2 * 86_400);
    assert_eq!(
        tongyu_service::appeal::retention::purge_photos(&t.app)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(files(&t.media_dir), before - 1, "the file is gone");
    let (s, _, _) = t
        .send(
            axum::http::Request::builder()
                .uri(format!("/a/{code}/photos/1"))
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn many_parents_at_once_each_get_their_own_appeal_and_the_audit_chain_holds() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let before = t
        .app
        .db
        .query_i64("SELECT COUNT(*) FROM appeals")
        .await
        .expect("count");
    // Forty parents at once, and each of the first ten sends twice. (The
    // test's requests share one address: this router has no per-address
    // limit; the end of the test shows the limit.)
    let state = tongyu_web::AppState::with_public_limits(
        t.app.clone(),
        tongyu_web::WebConfig::default(),
        tongyu_web::throttle::PublicLimits::unlimited(),
    );
    let unlimited = tongyu_web::router(state);
    let mut tasks = Vec::new();
    for i in 0..50u32 {
        let router = unlimited.clone();
        let qr = qr.clone();
        let n = i % 40;
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let body = json!({"qr_token": qr, "category": "food",
                              "text": format!("食堂第{n}号窗口的饭菜偏凉，孩子吃了胃不舒服，希望改进。"),
                              "contact_phone": format!("1310000{n:04}")});
            let req = axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/public/appeals")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .expect("request");
            let res = router.oneshot(req).await.expect("answer");
            let status = res.status();
            let bytes = http_body_util::BodyExt::collect(res.into_body())
                .await
                .expect("body")
                .to_bytes();
            let v: Value = serde_json::from_slice(&bytes).expect("json");
            (n, status, v["tracking_code"].as_str().unwrap_or("").to_owned())
        }));
    }
    let mut codes_of: std::collections::HashMap<u32, Vec<String>> = Default::default();
    for task in tasks {
        let (n, status, code) = task.await.expect("task");
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status}"
        );
        codes_of.entry(n).or_default().push(code);
    }
    // One appeal per parent: the second sending was a duplicate, and with
    // no browser to tell it from someone else's, it got no link.
    assert_eq!(codes_of.len(), 40);
    assert!(
        codes_of
            .values()
            .all(|c| c.iter().filter(|code| code.len() == 16).count() == 1
                && c.iter().all(|code| code.len() == 16 || code.is_empty())),
        "{codes_of:?}"
    );
    let after = t
        .app
        .db
        .query_i64("SELECT COUNT(*) FROM appeals")
        .await
        .expect("count");
    assert_eq!(after - before, 40);
    // Each new appeal's keywords, beside those of the demo's own canteen appeal.
    let keywords = t
        .app
        .db
        .query_i64(&format!(
            "SELECT COUNT(DISTINCT appeal_id) FROM appeal_keywords
             WHERE word = '食堂' AND appeal_id IN (SELECT id FROM appeals ORDER BY id DESC LIMIT {})",
            after - before
        ))
        .await
        .expect("count");
    assert_eq!(keywords, 40);
    let report = tongyu_service::audit::verify(&t.app).await.expect("verify");
    assert_eq!(report.first_bad, None);
    assert_eq!(report.checked, report.head_seq);
    let submitted = t
        .app
        .db
        .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'appeal.submitted'")
        .await
        .expect("count");
    assert_eq!(submitted, 40);
    // One address sending on and on is stopped with a stable code.
    let mut last = (StatusCode::OK, Value::Null);
    for i in 0..65 {
        last = public_post(
            &t,
            "/api/v1/public/appeals",
            json!({"qr_token": qr, "category": "other", "text": format!("第{i}次测试提交，内容各不相同，请忽略。")}),
        )
        .await;
    }
    assert_eq!(last.0, StatusCode::TOO_MANY_REQUESTS, "{}", last.1);
    assert_eq!(last.1["code"], "rate_limited");
}

/// Fails unless `xml` is well-formed: tags balanced, no attribute twice on
/// one element (a viewer refuses to draw such a file at all).
fn well_formed_xml(xml: &str) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut elements = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                elements += 1;
                for a in e.attributes() {
                    if let Err(err) = a {
                        panic!("bad attribute in <{:?}>: {err}\n{xml}", e.name());
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => panic!("not well-formed XML: {err}\n{xml}"),
        }
    }
    assert!(elements > 3, "{xml}");
}

#[tokio::test]
async fn a_district_prints_or_downloads_every_school_s_poster_at_once() {
    let t = TestApp::demo().await;
    let district = t.login("district-admin").await;
    let d0 = t.login_unit(&district).await;
    let schools_in_d0 = {
        let d = t.unit(d0).await;
        peek::schools_under(&t.app, &d.path, 500).await
    };
    let mut b = t.browser();
    b.sign_in("district-admin", crate::common::PW).await;
    let page = b.get(&format!("/appeals/posters/{d0}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("class=\"card poster\"").count(),
        schools_in_d0.len()
    );
    for s in &schools_in_d0 {
        assert!(page.body.contains(&s.name), "{} missing", s.name);
    }
    let zip = b.get(&format!("/appeals/posters/{d0}/posters.zip")).await;
    assert_eq!(zip.status, StatusCode::OK);
    assert!(zip.body.starts_with("PK"), "a zip archive");
    assert!(zip.body.matches(".svg").count() >= schools_in_d0.len());
    let one = b
        .get(&format!(
            "/appeals/codes/{}/poster.svg",
            schools_in_d0[0].id
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.contains("<svg") && one.body.contains(&schools_in_d0[0].name));
    assert!(one.body.contains("向教育局反映"));
    well_formed_xml(&one.body);
    // A school administrator may not print another school's poster.
    let admin = t.login("school-admin").await;
    let own = t.login_unit(&admin).await;
    let other = schools_in_d0
        .iter()
        .find(|s| s.id != own)
        .expect("another school");
    let mut sb = t.browser();
    sb.sign_in("school-admin", crate::common::PW).await;
    let page = sb
        .get(&format!("/appeals/codes/{}/poster.svg", other.id))
        .await;
    assert!(
        page.status == StatusCode::FORBIDDEN || page.status == StatusCode::NOT_FOUND,
        "{}",
        page.status
    );
}

#[tokio::test]
async fn an_anonymous_parent_hears_back_on_the_status_page_and_adds_to_the_appeal() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let code = submit(&t, &qr, "").await;
    let id = id_of(&t, &code).await;
    // No phone: the handler answers on the status page.
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/contact"),
            &admin,
            json!({"note": "您好，学校已安排值周老师放学时在东门值守", "public": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert!(st["events"].to_string().contains("值周老师"), "{st}");
    assert_eq!(st["first_contact"]["state"], "met");
    // The parent adds to it; the school is told; a short addition is refused.
    let (s, e) = public_post(
        &t,
        &format!("/api/v1/public/appeals/{code}/follow-up"),
        json!({"text": "补充"}),
    )
    .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("text"))
    );
    let (s, _) = public_post(
        &t,
        &format!("/api/v1/public/appeals/{code}/follow-up"),
        json!({"text": "今天放学时东门还是没有老师，车辆依旧乱停。"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert!(st["events"].to_string().contains("东门还是没有老师"));
    let (_, n) = t.get("/api/v1/appeals/notices", &admin).await;
    assert!(
        n["notices"]
            .as_array()
            .expect("notices")
            .iter()
            .any(|x| x["appeal_id"] == id && x["text"] == "家长补充了情况"),
        "{n}"
    );
    // Once closed, additions go to a new appeal.
    let (s, _) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
        .await;
    assert_eq!(s, StatusCode::OK);
    rate(&t, &code, json!({"rating": "satisfied"})).await;
    let (s, e) = public_post(
        &t,
        &format!("/api/v1/public/appeals/{code}/follow-up"),
        json!({"text": "问题已经解决了，谢谢学校的处理。"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    // The opinion report also reads by month.
    let district = t.login("district-admin").await;
    let d0 = t.login_unit(&district).await;
    let (s, r) = t
        .get(
            &format!("/api/v1/units/{d0}/opinion?period=month"),
            &district,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["period"], "month");
    assert!(
        r["children"]
            .as_array()
            .expect("children")
            .iter()
            .any(|x| x["unit_id"] == school)
    );
}

#[tokio::test]
async fn the_demo_appeals_are_in_the_opinion_report() {
    let t = TestApp::demo().await;
    let district = t.login("district-admin").await;
    let d0 = t.login_unit(&district).await;
    let (s, r) = t
        .get(
            &format!("/api/v1/units/{d0}/opinion?period=week"),
            &district,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let words: Vec<&str> = r["topics"]
        .as_array()
        .expect("topics")
        .iter()
        .filter_map(|x| x["word"].as_str())
        .collect();
    // The sample appeals: the canteen, the traffic at the gate, the fees.
    assert!(words.contains(&"食堂"), "{r}");
    assert!(words.len() >= 10, "{r}");
}

#[tokio::test]
async fn staff_never_hold_the_parent_s_secret_and_duplicates_stay_within_one_school() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, other_admin, other_school) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let other_admin = t.login(&other_admin).await;
    let (other_qr, _) = codes(&t, &other_admin, other_school).await;
    let send = |qr: &str, device: &str| json!({"qr_token": qr, "category": "safety", "text": TEXT, "contact_phone": "13800005555", "device": device});
    let (s, first) = public_post(
        &t,
        "/api/v1/public/appeals",
        send(&qr, "browser-of-the-parent-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let code = first["tracking_code"].as_str().expect("code").to_owned();
    // The same browser sending again gets its own link back...
    let (_, again) = public_post(
        &t,
        "/api/v1/public/appeals",
        send(&qr, "browser-of-the-parent-1"),
    )
    .await;
    assert_eq!(
        (
            again["duplicate"].as_bool(),
            again["tracking_code"].as_str()
        ),
        (Some(true), Some(code.as_str()))
    );
    // ...someone who knows the text and the phone does not.
    let (_, forged) = public_post(
        &t,
        "/api/v1/public/appeals",
        send(&qr, "attacker-browser-0000"),
    )
    .await;
    assert_eq!(
        (
            forged["duplicate"].as_bool(),
            forged["tracking_code"].as_str()
        ),
        (Some(true), Some(""))
    );
    let (_, bare) = public_post(&t, "/api/v1/public/appeals", send(&qr, "")).await;
    assert_eq!(bare["tracking_code"], "", "{bare}");
    // Through another school's code it is another appeal, with its own link.
    let (s, there) = public_post(
        &t,
        "/api/v1/public/appeals",
        send(&other_qr, "attacker-browser-0000"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{there}");
    assert_ne!(there["number"], first["number"]);
    assert_ne!(there["tracking_code"].as_str(), Some(code.as_str()));

    // The inbox, the appeal's page and its API show the number, never the link.
    let id = id_of(&t, &code).await;
    let mut staff = t.browser();
    staff.sign_in("school-admin", crate::common::PW).await;
    for path in ["/appeals".to_owned(), format!("/appeals/{id}")] {
        let p = staff.get(&path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        assert!(!p.body.contains(&code), "{path} shows the parent's secret");
    }
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert!(!d.to_string().contains(&code), "{d}");
    assert_eq!(d["row"]["number"], tongyu_domain::appeal::number(id));
    let (_, inbox) = t.get("/api/v1/appeals", &admin).await;
    assert!(!inbox.to_string().contains(&code));

    // A reference another school's appeal uses is refused, not handed over.
    let district = t.login("district-admin").await;
    let ticket = json!({"source": "home_visit", "external_ref": "HV-2026-0007", "unit_id": school,
                        "category": "fees", "text": "家访时家长反映资料费未公示。", "contact_phone": "13700001111"});
    let (s, v) = t.post("/api/v1/appeals", &admin, ticket.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mut theirs = ticket.clone();
    theirs["unit_id"] = json!(other_school);
    let (s, e) = t.post("/api/v1/appeals", &other_admin, theirs).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], "conflict", "{e}");
    assert!(e.get("id").is_none() && e.get("number").is_none(), "{e}");
    // The district above the school still finds it.
    let (s, found) = t.post("/api/v1/appeals", &district, ticket).await;
    assert_eq!(
        (s, found["id"].clone()),
        (StatusCode::OK, v["id"].clone()),
        "{found}"
    );
}

#[tokio::test]
async fn a_spam_mark_waits_for_the_level_above_which_may_reject_it() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, other_school_admin, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let code = submit(&t, &qr, "13800001234").await;
    let id = inbox_ids(&t, &admin, "").await[0];

    // The school asks; the parent's page and the school's inbox are unchanged.
    let mut school_b = t.browser();
    school_b.sign_in("school-admin", crate::common::PW).await;
    school_b.get(&format!("/appeals/{id}")).await;
    let p = school_b
        .post(&format!("/appeals/{id}/spam"), &[("reason", "广告推销")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = school_b.get(&p.location.expect("back to the appeal")).await;
    assert!(p.body.contains("待上一级确认"), "{}", p.body);
    assert!(
        !p.body.contains("确认标记为无效"),
        "no confirming one's own"
    );
    let (s, v) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(inbox_ids(&t, &admin, "").await.contains(&id));

    // Another school's staff learn nothing of it, not even that it exists.
    let stranger = t.login(&other_school_admin).await;
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/spam/decision"),
            &stranger,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");

    // The district sees it waiting, and rejects it with a reason.
    let mut district = t.browser();
    district.sign_in("district-admin", crate::common::PW).await;
    let p = district.get("/appeals").await;
    assert!(p.body.contains("待您确认的无效标记（1）"), "{}", p.body);
    assert!(p.body.contains("广告推销"));
    district.get(&format!("/appeals/{id}")).await;
    let p = district
        .post(&format!("/appeals/{id}/spam-reject"), &[("comment", "")])
        .await;
    assert!(
        p.body.contains("请说明不同意标记为无效的理由"),
        "{}",
        p.body
    );
    let p = district
        .post(
            &format!("/appeals/{id}/spam-reject"),
            &[("comment", "家长反映的是真实问题")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = district.get("/appeals").await;
    assert!(!p.body.contains("待您确认的无效标记"), "{}", p.body);
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert_eq!(d["spam_reason"], "", "{d}");
    assert!(
        d["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["text"]
                .as_str()
                .unwrap_or("")
                .contains("家长反映的是真实问题")),
        "{d}"
    );

    // Asked again and confirmed: the appeal closes and leaves the parent's page.
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/spam"),
            &admin,
            json!({"reason": "同一内容反复提交"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/spam"),
            &admin,
            json!({"reason": "再申请一次"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one mark at a time");
    district.get(&format!("/appeals/{id}")).await;
    let p = district
        .post(&format!("/appeals/{id}/spam-confirm"), &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (s, _) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!inbox_ids(&t, &admin, "").await.contains(&id));
}

/// A PNG of about `size` bytes that the photo check accepts.
fn png_of(size: usize) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend([0, 0, 0, 0]);
        c
    };
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend(chunk(b"IHDR", &[0; 13]));
    let pixels: Vec<u8> = (0..size as u32).map(|i| (i % 251) as u8).collect();
    png.extend(chunk(b"IDAT", &pixels));
    png.extend(chunk(b"IEND", b""));
    png
}

#[tokio::test]
async fn a_public_form_is_read_within_limits_and_photos_have_a_daily_quota() {
    let t = TestApp::demo_with(|s| {
        s.photo_quota = tongyu_domain::throttle::Limit {
            name: "photo-kb-ip-1d",
            window_s: 86_400,
            limit: 4,
        }
    })
    .await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let mut parent = t.browser();
    parent.get(&format!("/q/{qr}")).await;
    let text = "学校围墙有一处破损，孩子放学会从缺口钻出去，很危险，附上照片。";
    let fields = [("category", "safety"), ("text", text), ("consent", "1")];
    // A text part far over any field's size is refused as it arrives.
    let long = "长".repeat(40_000);
    let page = parent
        .post_multipart(
            &format!("/q/{qr}"),
            &[("category", "safety"), ("text", long.as_str())],
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    assert!(page.body.contains("填写的内容太长"), "{}", page.body);
    // So is a form of many parts.
    let many: Vec<(&str, &str)> = (0..20).map(|_| ("x", "1")).collect();
    let page = parent.post_multipart(&format!("/q/{qr}"), &many, &[]).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    // A photo over 5 MB stops being read at 5 MB.
    let mut huge = vec![0xFF, 0xD8, 0xFF, 0xE0];
    huge.resize(5 * 1024 * 1024 + 10, 0);
    parent.get(&format!("/q/{qr}")).await;
    let page = parent
        .post_multipart(&format!("/q/{qr}"), &fields, &[("photo", "big.jpg", &huge)])
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    assert!(page.body.contains("每张不超过 5 MB"), "{}", page.body);

    // The day's photo quota of this address: 4 KB here. A 3 KB photo fits,
    // the next does not; an appeal without photos still goes through.
    let jpeg = png_of(3 * 1024 - 100);
    parent.get(&format!("/q/{qr}")).await;
    let page = parent
        .post_multipart(&format!("/q/{qr}"), &fields, &[("photo", "a.png", &jpeg)])
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    parent.get(&format!("/q/{qr}")).await;
    let other = [
        ("category", "safety"),
        (
            "text",
            "操场跑道有破损，下雨后积水，孩子上体育课容易滑倒，请尽快修补。",
        ),
        ("consent", "1"),
    ];
    let page = parent
        .post_multipart(&format!("/q/{qr}"), &other, &[("photo", "b.png", &jpeg)])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.body.contains("不带照片提交"), "{}", page.body);
    parent.get(&format!("/q/{qr}")).await;
    let page = parent
        .post_multipart(&format!("/q/{qr}"), &other, &[])
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
}

#[tokio::test]
async fn stored_files_that_no_row_names_are_removed_once_a_day_old() {
    let t = TestApp::demo().await;
    let dir = t.media_dir.join("ab");
    std::fs::create_dir_all(&dir).expect("dir");
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    let orphan = dir.join(format!("ab{}", "0".repeat(62)));
    let young = dir.join(format!("ab{}", "1".repeat(62)));
    for (path, old) in [(&orphan, true), (&young, false)] {
        std::fs::write(path, b"left behind").expect("write");
        if old {
            let f = std::fs::File::options()
                .write(true)
                .open(path)
                .expect("open");
            f.set_modified(day_ago).expect("age it");
        }
    }
    // A file a row names stays, however old.
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let mut parent = t.browser();
    parent.get(&format!("/q/{qr}")).await;
    let jpeg = png_of(2048);
    let page = parent
        .post_multipart(
            &format!("/q/{qr}"),
            &[("category", "safety"), ("text", TEXT), ("consent", "1")],
            &[("photo", "a.png", &jpeg)],
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let kept: Vec<std::path::PathBuf> = std::fs::read_dir(&t.media_dir)
        .expect("media")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().len() == 2 && e.file_name() != "ab")
        .flat_map(|e| {
            std::fs::read_dir(e.path())
                .expect("dir")
                .filter_map(Result::ok)
        })
        .map(|e| e.path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let f = std::fs::File::options()
        .write(true)
        .open(&kept[0])
        .expect("open");
    f.set_modified(day_ago).expect("age it");

    let removed =
        tongyu_service::media::purge_orphans(&t.app, std::time::Duration::from_secs(86_400))
            .await
            .expect("purge");
    assert_eq!(removed, 1);
    assert!(!orphan.exists());
    assert!(young.exists(), "a young file's row may be on its way");
    assert!(kept[0].exists(), "the photo of an appeal stays");
}
