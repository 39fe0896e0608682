//! The public side: a parent scans a gate code, writes, follows the appeal,
//! adds to it and rates the reply; limits, bad input and other parents' secrets.

use super::*;

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
    assert_eq!(code.len(), 15);
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
    // On the handler's phone, the number is one tap from a call.
    let mut handler = t.browser();
    handler.sign_in("school-admin", PW).await;
    let page = handler.get(&format!("/appeals/{id}")).await;
    assert!(
        page.body.contains("href=\"tel:13800001234\""),
        "{}",
        page.body
    );
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

    // A rotated code points to its replacement and keeps taking appeals
    // for the grace period, so posters already up are not broken at once.
    let (s, new) = t
        .post(
            &format!("/api/v1/schools/{school}/appeal-codes/school/rotate"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{new}");
    let new_token = new["token"].as_str().expect("token").to_owned();
    assert_ne!(new_token, qr);
    let page = t.browser().get(&format!("/q/{qr}")).await;
    assert!(page.body.contains("id=\"retiring\""), "{}", page.body);
    assert!(page.body.contains(&format!("/q/{new_token}")));
    let mut during = ok.clone();
    during["text"] = json!("宽限期内用旧码提交：校门口早上送孩子的车辆太多，希望安排人员疏导。");
    let (s, v) = public_post(&t, "/api/v1/public/appeals", during).await;
    assert_eq!(s, StatusCode::CREATED, "the old code still works: {v}");
    // After the grace period it only points to the new code.
    t.clock.advance(7 * 86_400 + 1);
    let page = t.browser().get(&format!("/q/{qr}")).await;
    assert!(page.body.contains("已更换"), "{}", page.body);
    assert!(page.body.contains(&format!("/q/{new_token}")));
    let (s, _) = public_post(&t, "/api/v1/public/appeals", ok.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A code misused is stopped at once.
    let admin = t.login("school-admin").await;
    let (s, newer) = t
        .post(
            &format!("/api/v1/schools/{school}/appeal-codes/school/rotate?at_once=true"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{newer}");
    let mut at_new = ok.clone();
    at_new["qr_token"] = json!(new_token);
    let (s, _) = public_post(&t, "/api/v1/public/appeals", at_new).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let new_token = newer["token"].as_str().expect("token").to_owned();

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
    let code = receipt_code(&page.body);
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
            .all(|c| c.iter().filter(|code| code.len() == 15).count() == 1
                && c.iter().all(|code| code.len() == 15 || code.is_empty())),
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
async fn a_mistyped_reference_is_forgiven_or_explained_on_the_look_up_page() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, ..) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let code = submit(&t, &qr, "13800005555").await;
    assert_eq!(code.len(), 15);
    assert!(
        code.bytes()
            .all(|c| tongyu_domain::appeal::TRACKING_ALPHABET.contains(&c))
    );
    let mut parent = t.browser();
    // Typed in lower case, in groups, with S for 5 and Z for 2.
    let typed = tongyu_domain::appeal::format_tracking_code(&code)
        .to_lowercase()
        .replacen('5', "s", 1)
        .replacen('2', "z", 1);
    let p = parent.get(&format!("/a?code={typed}")).await;
    assert_eq!(p.location, Some(format!("/a/{code}")), "{typed}");
    let p = parent.get(&format!("/a/{code}")).await;
    assert_eq!(p.status, StatusCode::OK);

    // One character wrong: the look-up page again, with what was typed
    // and what to do; nothing sends the parent to the staff sign-in.
    let wrong: String = code
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                if c == 'A' { 'B' } else { 'A' }
            } else {
                c
            }
        })
        .collect();
    for page in [
        parent.get(&format!("/a?code={wrong}")).await,
        parent.get(&format!("/a/{wrong}")).await,
    ] {
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("没有找到这个查询码"), "{}", page.body);
        assert!(page.body.contains("name=\"code\""), "the form to try again");
        assert!(page.body.contains(&format!("value=\"{wrong}\"")));
        assert!(!page.body.contains("href=\"/login"), "{}", page.body);
    }
    let short = parent.get("/a?code=AB3DE-F7HJK").await;
    assert_eq!(short.status, StatusCode::NOT_FOUND);
    assert!(short.body.contains("15 位字母和数字"), "{}", short.body);
}

#[tokio::test]
async fn replacing_a_gate_code_from_the_page_says_what_breaks_and_asks_again() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let mut b = t.browser();
    b.sign_in("school-admin", crate::common::PW).await;
    let posters = b.get(&format!("/appeals/posters/{school}")).await;
    assert!(!posters.body.contains("左边") && !posters.body.contains("右边"));
    let p = b
        .post(
            &format!("/appeals/codes/{school}/rotate"),
            &[("kind", "school")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("海报")
            && p.body.contains("value=\"grace\"")
            && p.body.contains("value=\"now\""),
        "{}",
        p.body
    );
    assert_eq!(codes(&t, &admin, school).await.0, qr, "nothing changed yet");
    let p = b
        .post(
            &format!("/appeals/codes/{school}/rotate"),
            &[("kind", "school"), ("confirm", "1"), ("mode", "now")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_ne!(codes(&t, &admin, school).await.0, qr);
    let page = t.browser().get(&format!("/q/{qr}")).await;
    assert!(
        page.body.contains("已更换"),
        "stopped at once: {}",
        page.body
    );
}
