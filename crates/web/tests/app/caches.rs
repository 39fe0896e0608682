//! What instances cache never shows one parent another's data, nor what a
//! change elsewhere has made untrue: two instances share one database, one
//! makes the changes, the other answers after reading the change feed.

use axum::http::StatusCode;
use serde_json::json;
use tongyu_service::sheet::write_xlsx;
use tongyu_service::testkit::{factory, peek};
use tongyu_service::upkeep::Follower;

use crate::common::{PW, TestApp};

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
