//! What leaders read: the board from city to school, and opinion watch.

use super::*;

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
    assert!(
        page.body.contains("新出现"),
        "no history reads as new, not 0.0"
    );
    // Categories are counted; a topic opens the appeals that named it.
    let bullying = r["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["category"] == "bullying")
        .cloned()
        .expect("bullying counted");
    assert!(bullying["appeals"].as_i64().expect("n") >= 8, "{bullying}");
    assert!(page.body.contains("id=\"categories\""));
    let link = format!("/appeals/opinion/{d0}/topic?period=week&amp;word=%E9%A3%9F%E5%A0%82");
    assert!(page.body.contains(&link), "{}", page.body);
    let topic = b
        .get(&format!(
            "/appeals/opinion/{d0}/topic?period=week&word=%E9%A3%9F%E5%A0%82"
        ))
        .await;
    assert_eq!(topic.status, StatusCode::OK);
    // The six of today, and the demo's own canteen appeals.
    let listed = topic.body.matches("<li><a href=\"/appeals/").count();
    assert!(listed >= 6, "{}", topic.body);
    assert!(topic.body.contains("变质"));
    let (s, v) = t
        .get(
            &format!("/api/v1/units/{d0}/opinion/topic?word=%E9%A3%9F%E5%A0%82"),
            &district,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["appeals"].as_array().expect("appeals").len(), listed);
    let (s, _) = t.get(&format!("/api/v1/units/{d0}/opinion"), &admin).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t
        .get(&format!("/api/v1/units/{d0}/opinion/topic?word=x"), &admin)
        .await;
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
    // B, reopened, waits for the district's contact: pending, not on time.
    assert_eq!(total["awaiting_contact"], 1, "{board}");
    // Two new appeals still in time count as pending, not as on time.
    submit(&t, &qr, "13400000004").await;
    submit(&t, &qr, "13400000005").await;
    let (_, board) = t
        .get(&format!("/api/v1/units/{school}/appeal-board"), &city)
        .await;
    let total = &board["total"];
    assert_eq!(total["contact_on_time"], 500, "{board}");
    assert_eq!(total["awaiting_contact"], 3, "{board}");
    // C's reply clock started again at the district too.
    assert_eq!(total["awaiting_reply"], 4, "{board}");
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
    let page = browser.get(&format!("/appeals/board/{school}")).await;
    assert!(
        page.body
            .contains("50.0%</b>按时联系<small>另 3 件待联系</small>"),
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
    // Not the words of every appeal, grades, times or the city's places.
    let names: Vec<String> = peek::children(&t.app, d0)
        .await
        .into_iter()
        .map(|u| u.name)
        .collect();
    for w in &words {
        assert!(
            tongyu_domain::opinion::is_topic_word(w),
            "{w} is not a topic: {r}"
        );
        assert!(
            !names.iter().any(|n| n.contains(w)),
            "{w} names a place: {r}"
        );
    }
}

#[tokio::test]
async fn the_board_is_counted_once_for_every_request_in_its_second_and_says_when() {
    let t = TestApp::demo().await;
    let shared = t.reopen(|s| s.board_snapshot_ms = 300);
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let city = shared.login("city-admin").await;
    let city_id = shared.login_unit(&city).await;
    let board = || async {
        let (s, b) = shared
            .get(&format!("/api/v1/units/{city_id}/appeal-board"), &city)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    };
    let first = board().await;
    let total = |b: &Value| b["total"]["counts"]["total"].as_i64().expect("total");
    submit(&t, &qr, "13700001111").await;
    let again = board().await;
    assert_eq!(again["computed_at"], first["computed_at"], "one snapshot");
    assert_eq!(total(&again), total(&first));
    let mut b = shared.browser();
    b.sign_in("city-admin", PW).await;
    let page = b.get(&format!("/appeals/board/{city_id}")).await;
    assert!(page.body.contains("统计于 "), "{}", page.body);
    // The next snapshot counts the new appeal, as a recount does.
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let fresh = board().await;
    assert_eq!(total(&fresh), total(&first) + 1);
    let check = tongyu_service::appeal::board::check(&t.app)
        .await
        .expect("check");
    assert_eq!(check.kept, check.recounted);
}
