//! Staff handling: the levels and their clocks, escalation, reopening,
//! sign-off, spam marks, templates and call-backs.

use super::*;

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
