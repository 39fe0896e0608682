//! What instances cache never shows one parent another's data, nor what a
//! change elsewhere has made untrue: two instances share one database, one
//! makes the changes, the other answers after reading the change feed.

use axum::http::StatusCode;
use serde_json::json;
use tongyu_service::sheet::write_xlsx;
use tongyu_service::testkit::{factory, peek};
use tongyu_service::upkeep::Follower;

use crate::common::{PW, START, TestApp};

#[tokio::test]
async fn two_parents_of_one_child_each_see_their_own_and_a_move_reaches_every_instance() {
    let t = TestApp::demo().await;
    let other = t.reopen(|_| {});
    let mut follower = Follower::new(&other.app);
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let p1 = peek::account_by_username(&t.app, "parent").await;
    let links = peek::guardian_links(&t.app, class).await;
    let kids = peek::students(&t.app, class).await;
    let x_id = links
        .iter()
        .find(|l| l.account_id == p1.id)
        .expect("a child")
        .student_id;
    // A parent of another child of the class, and of no child of the first.
    let p2_link = links
        .iter()
        .find(|l| {
            l.student_id != x_id
                && !links
                    .iter()
                    .any(|m| m.account_id == l.account_id && m.student_id == x_id)
        })
        .expect("another parent");
    let p2 = peek::account(&t.app, p2_link.account_id).await;
    let kid = |id: i64| kids.iter().find(|k| k.id == id).expect("student").clone();
    let (x, y) = (kid(x_id), kid(p2_link.student_id));

    // Each parent's home through the other instance: their own child only.
    let mut b1 = other.browser();
    b1.sign_in("parent", PW).await;
    let mut b2 = other.browser();
    b2.sign_in(&p2.username, PW).await;
    // Home and classroom both: the classroom reads the cached children.
    let mine = |body: &str, kid: &str| {
        body.contains(&format!("<b>{kid}</b>")) || body.contains(&format!("<h1>{kid} <small"))
    };
    for page in ["/my", "/learn"] {
        let home = b1.get(page).await.body;
        assert!(mine(&home, &x.name) && !mine(&home, &y.name), "{home}");
        let home = b2.get(page).await.body;
        assert!(mine(&home, &y.name) && !mine(&home, &x.name), "{home}");
    }

    // The school binds the second parent to the first one's child too.
    let admin = t.login("school-admin").await;
    let phone = t.app.open_phone(&p2).expect("a phone");
    let sheet = write_xlsx(
        "家长",
        &["学生学籍号", "家长姓名", "手机号", "关系"],
        &[vec![
            x.external_id.clone().expect("an external id"),
            p2.display_name.clone(),
            phone,
            "母亲".into(),
        ]],
    )
    .expect("xlsx");
    let job = t.import(&admin, "guardians", sheet).await;
    assert_eq!(job["status"], "done", "{job}");
    assert!(follower.round(&other.app).await.expect("feed") > 0);
    for page in ["/my", "/learn"] {
        let home = b2.get(page).await.body;
        assert!(mine(&home, &x.name) && mine(&home, &y.name), "{home}");
        let home = b1.get(page).await.body;
        assert!(
            !mine(&home, &y.name),
            "never the other parent's child: {home}"
        );
    }

    // The first parent watches a lesson: the shared child's lesson shows
    // each parent's own progress.
    let token1 = t.login("parent").await;
    let lesson = t
        .get("/api/v1/me/lessons", &token1)
        .await
        .1
        .pointer("/children/0/lessons/0/lesson_id")
        .and_then(serde_json::Value::as_i64)
        .expect("a lesson");
    let (s, v) = t
        .post(
            "/api/v1/progress",
            &token1,
            json!({"lesson_id": lesson, "segments": [[0, 60]]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let page = b1.get(&format!("/lessons/{lesson}")).await.body;
    assert!(!page.contains("已看 0%"), "{page}");
    let page = b2.get(&format!("/lessons/{lesson}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("已看 0%"), "{}", page.body);

    // The child moves to another class: both parents' homes say so, on the
    // instance that did not make the change too.
    let to = factory::another_class(&t.app, class).await;
    let sheet = write_xlsx(
        "学生",
        &["学籍号", "姓名", "性别", "班级外部编号"],
        &[vec![
            x.external_id.clone().expect("an external id"),
            x.name.clone(),
            x.gender.clone(),
            to.external_id.clone().expect("an external id"),
        ]],
    )
    .expect("xlsx");
    let job = t.import(&admin, "students", sheet).await;
    assert_eq!(job["updated"], 1, "{job}");
    assert!(follower.round(&other.app).await.expect("feed") > 0);
    let moved = format!("<h1>{} <small class=\"tag\">{}</small>", x.name, to.name);
    for b in [&mut b1, &mut b2] {
        let home = b.get("/learn").await.body;
        assert!(home.contains(&moved), "the new class: {home}");
    }

    // Signing out through one instance ends the session on the other.
    let token = other.login("parent").await;
    assert_eq!(other.get("/api/v1/me", &token).await.0, StatusCode::OK);
    let (s, _) = t.post("/api/v1/auth/logout", &token, json!({})).await;
    assert!(s.is_success(), "{s}");
    follower.round(&other.app).await.expect("feed");
    assert_eq!(
        other.get("/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// How often a parent's home was answered from the cache on this instance.
fn home_hits(app: &tongyu_service::App) -> u64 {
    app.cache_stats()
        .iter()
        .find(|s| s.name == "homes")
        .expect("the homes cache")
        .hits
}

/// The task line of a lesson on a parent's home.
fn task_line(home: &str, lesson: i64) -> &str {
    let at = home
        .find(&format!("href=\"/lessons/{lesson}\""))
        .unwrap_or_else(|| panic!("lesson {lesson} on the home: {home}"));
    let rest = &home[at..];
    &rest[..rest.find("</li>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn a_parents_home_is_kept_until_their_own_change_or_their_class_changes() {
    let t = TestApp::demo().await;
    let other = t.reopen(|_| {});
    let mut follower = Follower::new(&other.app);
    let mut b = other.browser();
    b.sign_in("parent", PW).await;

    // A second look at the home is answered from the cache, and the same.
    let first = b.get("/my").await.body;
    let hits = home_hits(&other.app);
    assert_eq!(b.get("/my").await.body, first);
    assert_eq!(home_hits(&other.app), hits + 1, "kept");

    // The parent starts a lesson on this instance: the home says so at once.
    let token = other.login("parent").await;
    let (_, mine) = other.get("/api/v1/me/lessons", &token).await;
    let lesson = mine["children"]
        .as_array()
        .expect("children")
        .iter()
        .flat_map(|c| c["lessons"].as_array().expect("lessons").iter())
        .find(|l| l["open"] == true && l["completed"] == false && l["covered_s"] == 0)
        .and_then(|l| l["lesson_id"].as_i64())
        .expect("a lesson not started");
    assert!(!task_line(&first, lesson).contains("继续观看"), "{first}");
    let (s, v) = other
        .post(
            "/api/v1/progress",
            &token,
            json!({"lesson_id": lesson, "segments": [[0, 120]]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let home = b.get("/my").await.body;
    assert!(task_line(&home, lesson).contains("继续观看"), "{home}");

    // The head teacher plans a session through the first instance: once
    // this one has read the feed, the parent's home lists it.
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let (_, plan) = t
        .get(&format!("/api/v1/classes/{class}/sessions"), &teacher)
        .await;
    let course = plan["courses"][0][0].as_i64().expect("a required course");
    let (s, v) = t
        .post(
            &format!("/api/v1/classes/{class}/sessions"),
            &teacher,
            json!({"course_id": course, "starts_at": START + 3 * 86_400, "class_hours": 1, "place": "阶梯教室"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let session = format!("href=\"/sessions/{}\"", v["id"]);
    assert!(follower.round(&other.app).await.expect("feed") > 0);
    let home = b.get("/my").await.body;
    assert!(home.contains(&session), "the new session: {home}");
}
