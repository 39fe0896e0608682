//! After a reply is published: staff see it read-only, change it only
//! through 修改答复 (with a reason the parent reads, and the sign-off rules
//! of the level), and the parent sees the revision.

use super::*;
use crate::common::PW;

fn revised(reason: &str) -> Value {
    let mut r = good_reply();
    r["next_steps"] =
        json!("本周五起家委会志愿者轮值护学，一周后学校回访家长并在家长群公布调整效果。");
    r["reason"] = json!(reason);
    r
}

#[tokio::test]
async fn a_published_reply_is_read_only_and_a_revision_reaches_the_parent() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let code = submit(&t, &qr, "13900003333").await;
    let id = id_of(&t, &code).await;
    let (s, e) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");

    // The page shows what the parent reads, without the reply form.
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let p = b.get(&format!("/appeals/{id}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"published-reply\""), "{}", p.body);
    assert!(
        !p.body.contains(&format!("action=\"/appeals/{id}/reply\"")),
        "no second reply form once published"
    );
    assert!(p.body.contains("修改答复"));
    let published = p.body.find("id=\"published-reply\"").expect("reply");
    let contact = p.body.find("<h2>联系家长</h2>").expect("contact form");
    assert!(published < contact, "the published reply comes first");

    // Replying again is refused; a revision is the way.
    let (s, e) = t
        .post(&format!("/api/v1/appeals/{id}/reply"), &admin, good_reply())
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("修改答复"),
        "{e}"
    );

    // Bad revisions: no reason, or nothing changed. On the page the typed
    // text stays and the form stays open.
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/revise"),
            &admin,
            revised("改"),
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let mut same = good_reply();
    same["reason"] = json!("核对后无需修改");
    let (s, e) = t
        .post(&format!("/api/v1/appeals/{id}/revise"), &admin, same)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let next = revised("x")["next_steps"]
        .as_str()
        .expect("text")
        .to_owned();
    let p = b
        .post(
            &format!("/appeals/{id}/revise"),
            &[
                ("reason", "短"),
                ("policy", good_reply()["policy"].as_str().expect("p")),
                ("status", good_reply()["status"].as_str().expect("s")),
                ("next_steps", &next),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("请写明修改原因"), "{}", p.body);
    assert!(p.body.contains("<details id=\"revise\" open>"));
    assert!(p.body.contains(&next), "what was typed stays");

    // Rating window restarts from the revision.
    t.clock.advance(3 * 86_400);
    b.sign_in("school-admin", PW).await;
    b.get(&format!("/appeals/{id}")).await;
    let p = b
        .post(
            &format!("/appeals/{id}/revise"),
            &[
                ("reason", "护学时间提前到本周五"),
                ("policy", good_reply()["policy"].as_str().expect("p")),
                ("status", good_reply()["status"].as_str().expect("s")),
                ("next_steps", &next),
            ],
        )
        .await;
    assert_eq!(
        p.location.as_deref(),
        Some(format!("/appeals/{id}?msg=revised").as_str())
    );
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["reply"]["next_steps"], next.as_str());
    assert_eq!(st["reply_revisions"], 1);
    let events = st["events"].as_array().expect("events");
    assert!(
        events.iter().any(|e| e["text"]
            .as_str()
            .unwrap_or("")
            .contains("护学时间提前到本周五")),
        "the parent reads why: {st}"
    );
    assert!(
        !events
            .iter()
            .any(|e| e["text"].as_str().unwrap_or("").contains("修改前的答复")),
        "the superseded text is staff-only"
    );
    let p = b.get(&format!("/a/{code}")).await;
    assert!(p.body.contains("id=\"revised\""), "{}", p.body);
    let admin = t.login("school-admin").await;
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert!(
        d["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["text"]
                .as_str()
                .unwrap_or("")
                .contains("两周后学校回访家长")),
        "the first reply stays in the record: {d}"
    );
    // Six days later the parent has not rated: a week from the revision,
    // not from the first reply, so it is still open.
    t.clock.advance(5 * 86_400);
    tongyu_service::appeal::sweep(&t.app).await.expect("sweep");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["status"], "replied", "{st}");
    let (s, r) = rate(&t, &code, json!({"rating": "satisfied"})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("closed")));
    // Rated and closed: no more revisions.
    let admin = t.login("school-admin").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/revise"),
            &admin,
            revised("再次修改内容"),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_revision_at_a_signed_off_level_waits_and_its_author_cannot_approve_it() {
    let t = TestApp::demo_with(|s| s.appeals.sign_off = vec![Level::School]).await;
    let admin = t.login("school-admin").await;
    let coordinator = t.login("coordinator").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let code = submit(&t, &qr, "").await;
    let id = id_of(&t, &code).await;
    t.post(
        &format!("/api/v1/appeals/{id}/reply"),
        &coordinator,
        good_reply(),
    )
    .await;
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/sign-off"),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // The coordinator revises: it waits, the parent still reads the first.
    let (s, r) = t
        .post(
            &format!("/api/v1/appeals/{id}/revise"),
            &coordinator,
            revised("护学时间提前到本周五"),
        )
        .await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("replied")));
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["reply"]["next_steps"], good_reply()["next_steps"]);
    assert_eq!(st["reply_revisions"], 0);
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/revise"),
            &coordinator,
            revised("又想改一次内容"),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one revision waits at a time");
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert_eq!(d["revision"]["reason"], "护学时间提前到本周五");
    assert_eq!(d["can_sign_off"], true);

    // Returned: dropped; the parent's reply unchanged.
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/sign-off"),
            &admin,
            json!({"approve": false, "comment": "时间还未与交警确认"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert!(d["revision"].is_null(), "{d}");
    assert_eq!(d["row"]["status"], "replied");

    // The administrator revises and may not approve their own revision.
    let (s, _) = t
        .post(
            &format!("/api/v1/appeals/{id}/revise"),
            &admin,
            revised("已与交警确认时间"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/sign-off"),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["reply_revisions"], 0, "not published: {st}");

    // Another signer at the school approves it; the parent sees it.
    let second = tongyu_service::testkit::factory::staff(
        &t.app,
        "school-admin-2",
        tongyu_domain::account::Role::SchoolAdmin,
        school,
    )
    .await;
    assert!(second.id > 0);
    let other = t.login("school-admin-2").await;
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/sign-off"),
            &other,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["reply_revisions"], 1);
    assert_eq!(st["reply"]["next_steps"], revised("x")["next_steps"]);
    rollups_match(&t).await;
}
