//! Appeals from other channels: 12345 tickets by token and by file, and
//! appeals raised on a parent's behalf.

use super::*;

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
async fn staff_log_an_appeal_taken_by_phone_on_a_page_and_it_runs_like_any_other() {
    let t = TestApp::demo().await;
    let (school, _, _) = schools(&t).await;
    let mut b = t.browser();
    b.sign_in("district-admin", PW).await;
    let inbox = b.get("/appeals").await;
    assert!(
        inbox.body.contains("href=\"/appeals/new\""),
        "{}",
        inbox.body
    );
    let form = b.get("/appeals/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains(&format!("<option value=\"{school}\"")),
        "the district's schools are offered"
    );
    assert!(
        !form.body.contains("value=\"qr\""),
        "a gate code is not a source staff pick"
    );

    // Too short: the message, and what was typed is kept.
    let school_s = school.to_string();
    let p = b
        .post(
            "/appeals/new",
            &[
                ("source", "principal_mailbox"),
                ("unit_id", &school_s),
                ("category", "food"),
                ("text", "饭菜少"),
                ("contact_name", "李先生"),
                ("contact_phone", "13900007777"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("至少10个字"), "{}", p.body);
    assert!(p.body.contains("value=\"13900007777\"") && p.body.contains("李先生"));
    assert!(p.body.contains("value=\"principal_mailbox\" selected"));

    let text = "校长信箱来信：食堂午饭菜量偏少，孩子下午经常喊饿，希望学校改进。";
    let p = b
        .post(
            "/appeals/new",
            &[
                ("source", "principal_mailbox"),
                ("unit_id", &school_s),
                ("category", "food"),
                ("text", text),
                ("contact_name", "李先生"),
                ("contact_phone", "13900007777"),
            ],
        )
        .await;
    let to = p.location.expect("to the new appeal");
    assert!(to.ends_with("?msg=raised"), "{to}");
    let page = b.get(&to).await;
    assert!(
        page.body.contains("诉求已登记") && page.body.contains("校长信箱"),
        "{}",
        page.body
    );
    // The parent's link went to the phone; the school's inbox has it.
    assert!(
        t.sms.sent().iter().any(|m| m.phone == "13900007777"),
        "the parent's link went by text message"
    );
    let admin = t.login("school-admin").await;
    let id: i64 = to
        .trim_start_matches("/appeals/")
        .trim_end_matches("?msg=raised")
        .parse()
        .expect("id");
    assert!(inbox_ids(&t, &admin, "").await.contains(&id));
}
