//! Each person's home: what they have to do next, most urgent first.

use axum::http::StatusCode;
use serde_json::json;

use crate::appeal::{codes, good_reply, id_of, inbox_ids, schools, submit};
use crate::common::{PW, TestApp};

/// The appeals a page links to, in the order it shows them.
fn appeal_links(html: &str) -> Vec<i64> {
    html.split("href=\"/appeals/")
        .skip(1)
        .filter_map(|rest| {
            let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[id.len()..].starts_with('"').then(|| id.parse().ok())?
        })
        .collect()
}

/// The markup of the list item linking to one appeal.
fn item_of(html: &str, id: i64) -> &str {
    let at = html
        .find(&format!("href=\"/appeals/{id}\""))
        .unwrap_or_else(|| panic!("appeal {id} is not listed"));
    let start = html[..at].rfind("<li").expect("in a list item");
    &html[start..at]
}

#[tokio::test]
async fn a_handler_s_home_lists_appeals_by_deadline_late_ones_red_and_counts_them_in_the_menu() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, ..) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    // One appeal whose first contact is now late, one just in, and one
    // answered already.
    let late = id_of(&t, &submit(&t, &qr, "13800001111").await).await;
    t.clock.advance(5 * 3600);
    // (A session idles out in that time.)
    let admin = t.login("school-admin").await;
    let fresh = id_of(&t, &submit(&t, &qr, "13800002222").await).await;
    let done = id_of(&t, &submit(&t, &qr, "13800003333").await).await;
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{done}/contact"),
            &admin,
            json!({"note": "电话联系了家长"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{done}/reply"),
            &admin,
            good_reply(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["status"], "replied");

    // What is still to do, by deadline, as the API lists it.
    let due = inbox_ids(&t, &admin, "?order=due").await;
    let at = |id: i64| due.iter().position(|x| *x == id);
    assert!(at(late) < at(fresh), "{due:?}");
    assert!(at(late).is_some() && at(done).is_none(), "{due:?}");

    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    // The home shows the first of them in that order, each one tap from
    // its page.
    let listed = appeal_links(&home.body);
    assert_eq!(listed, due[..due.len().min(8)].to_vec(), "{}", home.body);
    assert!(home.body.contains(&format!("诉求：待办 {} 件", due.len())));
    // The late one is red and says what is late; the fresh one is not.
    if listed.contains(&late) {
        let item = item_of(&home.body, late);
        assert!(
            item.contains("tag late") && item.contains("已超时"),
            "{item}"
        );
    }
    if listed.contains(&fresh) {
        let item = item_of(&home.body, fresh);
        assert!(!item.contains("tag late"), "{item}");
    }
    assert!(home.body.contains("已超时 "), "the late ones are counted");

    // Every page's menu carries the count, red while something is late.
    let org = b.get(&format!("/org/{school}")).await;
    assert!(
        org.body.contains(&format!(
            "<span class=\"count late\" title=\"待办 {}",
            due.len()
        )),
        "{}",
        org.body
    );

    // The inbox puts what is still to do first, by deadline; the answered
    // one is under "all, newest first". Nobody is assigned yet.
    let inbox = b.get("/appeals").await;
    let rows = appeal_links(&inbox.body);
    assert_eq!(rows, due, "{}", inbox.body);
    assert!(inbox.body.contains("未指派"));
    let all = b.get("/appeals?order=new").await;
    assert!(appeal_links(&all.body).contains(&done));

    // Someone who handles no appeals has no such section or count.
    let mut teacher = t.browser();
    teacher.sign_in("head-teacher", PW).await;
    let home = teacher.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.body.contains("id=\"appeals\""));
    assert!(!home.body.contains("class=\"count"));
}

#[tokio::test]
async fn a_head_teacher_s_home_asks_for_the_session_just_past_and_its_attendance() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let (_, plan) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    let next = plan["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|r| r["session"]["status"] == "planned")
        .expect("a session to come")["session"]
        .clone();
    let (id, title) = (
        next["id"].as_i64().expect("id"),
        next["title"].as_str().expect("title").to_owned(),
    );
    let link = format!("href=\"/delivery/sessions/{id}\"");
    let mut b = t.browser();
    b.sign_in("head-teacher", PW).await;
    // Before it: the next session, nothing to record.
    let home = b.get("/").await;
    assert!(home.body.contains(&link) && home.body.contains("下一次课"));
    assert!(!home.body.contains("待记录"), "{}", home.body);

    // Its time has passed: the home asks to mark it held.
    let ends = next["starts_at"].as_i64().expect("start") + 3 * 3600;
    t.clock.advance(ends - t.app.now());
    let mut b = t.browser();
    b.sign_in("head-teacher", PW).await;
    let home = b.get("/").await;
    assert!(
        home.body
            .contains(&format!("<a {link}>标记已上课：{title}</a>")),
        "{}",
        home.body
    );
    // Marked held with nobody recorded: the home asks for attendance.
    let teacher = t.login("head-teacher").await;
    let (s, e) = t
        .post(
            &format!("/api/v1/sessions/{id}/status"),
            &teacher,
            json!({"status": "held"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let home = b.get("/").await;
    assert!(
        home.body
            .contains(&format!("<a {link}>记录出勤：{title}</a>")),
        "{}",
        home.body
    );
    // Recorded: nothing left about it.
    let (_, d) = t.get(&format!("/api/v1/sessions/{id}"), &teacher).await;
    let family = d["families"][0]["account_id"].as_i64().expect("a family");
    let (s, e) = t
        .post(
            &format!("/api/v1/sessions/{id}/attendance"),
            &teacher,
            json!({"present": [{"account_id": family, "participation": 4}]}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    assert!(!b.get("/").await.body.contains(&link));
}

/// Per mille as the home writes it.
fn percent(part: i64, whole: i64) -> String {
    let p = part * 1000 / whole;
    format!("{}.{}%", p / 10, p % 10)
}

#[tokio::test]
async fn a_district_leader_s_home_shows_the_plan_s_figures_with_the_lagging_units_first() {
    let t = TestApp::demo().await;
    let admin = t.login("district-admin").await;
    let district = t.login_unit(&admin).await;
    let mut b = t.browser();
    b.sign_in("district-admin", PW).await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("行动计划进展"), "{}", home.body);

    // The first lesson: the district's share of families finished, as its
    // board counts it, and the subdistrict furthest behind named first.
    let (_, campaigns) = t.get("/api/v1/campaigns", &admin).await;
    let now = t.app.now();
    let open = campaigns["items"]
        .as_array()
        .expect("campaigns")
        .iter()
        .find(|c| c["opens_at"].as_i64() <= Some(now) && c["closes_at"].as_i64() > Some(now))
        .expect("a campaign open now")["id"]
        .as_i64()
        .expect("id");
    let (_, board) = t
        .get(
            &format!("/api/v1/campaigns/{open}/board?unit_id={district}"),
            &admin,
        )
        .await;
    let (families, done, started) = (
        board["unit"]["families"].as_i64().expect("families"),
        board["unit"]["families_done"].as_i64().expect("done"),
        board["unit"]["families_started"].as_i64().expect("started"),
    );
    assert!(families > 0);
    assert!(
        home.body.contains(&format!(
            "<b class=\"big\">{}</b> <small class=\"muted\">{families} 户中 {started} 户已开始、{done} 户已完成",
            percent(done, families)
        )),
        "{}",
        home.body
    );
    let mut kids: Vec<(i64, String)> = board["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter(|r| r["families"].as_i64() > Some(0) && r["permille"].as_i64() < Some(1000))
        .map(|r| {
            (
                r["permille"].as_i64().expect("p"),
                r["name"].as_str().expect("n").to_owned(),
            )
        })
        .collect();
    kids.sort();
    if let Some((_, lowest)) = kids.first() {
        let figure = home
            .body
            .split("class=\"figure\"")
            .nth(1)
            .expect("the figure");
        let named = figure.find("最需关注").expect("lagging units named");
        assert!(figure[named..].contains(lowest.as_str()), "{figure}");
    }

    // The required course: classes on track counting what is planned,
    // held, and still to plan, as the compliance board counts them; and
    // appeals answered on time, as the appeal board.
    let (_, d) = t
        .get(&format!("/api/v1/units/{district}/delivery"), &admin)
        .await;
    let n = |k: &str| d["unit"][k].as_i64().expect(k);
    let (classes, met, on_track, off_track) =
        (n("classes"), n("met"), n("on_track"), n("off_track"));
    assert!(on_track > met, "the demo class has sessions to come: {d}");
    assert!(
        home.body.contains(&format!(
            "{classes} 个班级：已达到 {met}，已安排待上完 {}，尚缺安排 {off_track}",
            on_track - met
        )),
        "{}",
        home.body
    );
    let (_, a) = t
        .get(&format!("/api/v1/units/{district}/appeal-board"), &admin)
        .await;
    if let Some(p) = a["total"]["reply_on_time"].as_i64() {
        let shown = format!("{}.{}%", p / 10, p % 10);
        let at = home.body.find("诉求：按时答复").expect("the appeal figure");
        assert!(home.body[at..].contains(&shown), "{}", &home.body[at..]);
    }
    // Each figure opens its board.
    assert!(
        home.body
            .contains(&format!("href=\"/campaigns/{open}/board/{district}\""))
    );
    assert!(
        home.body
            .contains(&format!("href=\"/delivery/compliance/{district}\""))
    );
    assert!(
        home.body
            .contains(&format!("href=\"/appeals/board/{district}\""))
    );
}

#[tokio::test]
async fn the_demo_city_at_first_start_has_something_to_do_on_every_home_and_board() {
    let t = TestApp::demo().await;
    // The first lesson under way: districts at different levels, each with
    // families finished and more started.
    let city_admin = t.login("city-admin").await;
    let (_, campaigns) = t.get("/api/v1/campaigns", &city_admin).await;
    let camp = campaigns["items"][0]["id"].as_i64().expect("a campaign");
    let city = t.login_unit(&city_admin).await;
    let (_, board) = t
        .get(
            &format!("/api/v1/campaigns/{camp}/board?unit_id={city}"),
            &city_admin,
        )
        .await;
    let unit = &board["unit"];
    assert!(unit["families_done"].as_i64() > Some(0), "{board}");
    assert!(unit["families_started"].as_i64() > unit["families_done"].as_i64());
    let levels: std::collections::HashSet<i64> = board["children"]
        .as_array()
        .expect("districts")
        .iter()
        .filter_map(|r| r["permille"].as_i64())
        .collect();
    assert!(levels.len() > 1, "districts at different levels: {board}");
    let check = tongyu_service::learning::check_rollups(&t.app, camp)
        .await
        .expect("check");
    assert_eq!(check.kept, check.recounted);
    // Appeals at every stage in the school's inbox.
    let admin = t.login("school-admin").await;
    let (_, inbox) = t.get("/api/v1/appeals?order=new", &admin).await;
    let statuses: std::collections::HashSet<&str> = inbox["appeals"]
        .as_array()
        .expect("appeals")
        .iter()
        .filter_map(|a| a["status"].as_str())
        .collect();
    for s in ["received", "in_progress", "replied", "closed"] {
        assert!(statuses.contains(s), "{s}: {inbox}");
    }
    // Contributions waiting for the school's review.
    let (_, queue) = t.get("/api/v1/contributions", &admin).await;
    assert!(
        !queue["to_review"].as_array().expect("queue").is_empty(),
        "{queue}"
    );
}
