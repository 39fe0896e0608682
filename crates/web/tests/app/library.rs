//! The library's favourites: a parent keeps a course for later and finds
//! it under 收藏; nobody else's list shows it.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{TestApp, sql};

#[tokio::test]
async fn a_parent_keeps_a_course_under_favourites_and_lets_it_go() {
    let t = TestApp::demo().await;
    let parent = t.login("parent").await;
    let (_, cat) = t
        .get("/api/v1/library?subject=mental_health", &parent)
        .await;
    let course = cat["items"][0]["course"].clone();
    let id = course["id"]
        .as_i64()
        .expect("a mental health course in the demo");
    let title = course["title"].as_str().expect("title").to_owned();

    let mut b = t.browser();
    b.sign_in("parent", crate::common::PW).await;
    let p = b.get("/library/favourites").await;
    assert!(p.body.contains("还没有收藏的课程"), "{}", p.body);
    let p = b.get(&format!("/library/courses/{id}")).await;
    assert!(p.body.contains("☆ 收藏"), "{}", p.body);
    let p = b
        .post(
            &format!("/library/courses/{id}/favourite"),
            &[("favourite", "1")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = b.get(&format!("/library/courses/{id}")).await;
    assert!(p.body.contains("★ 已收藏"), "{}", p.body);
    let p = b.get("/library/favourites").await;
    assert!(
        p.body.contains(&format!("href=\"/library/courses/{id}\"")) && p.body.contains(&title),
        "{}",
        p.body
    );
    // Twice is still one, and through the API as on the page.
    let (s, v) = t
        .post(
            &format!("/api/v1/library/courses/{id}/favourite"),
            &parent,
            json!({"favourite": true}),
        )
        .await;
    assert_eq!((s, v["favourite"].as_bool()), (StatusCode::OK, Some(true)));
    let (_, mine) = t.get("/api/v1/me/favourites", &parent).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{mine}");
    // Another reader's favourites do not show it.
    let teacher = t.login("head-teacher").await;
    let (_, theirs) = t.get("/api/v1/me/favourites", &teacher).await;
    assert_eq!(theirs["items"], json!([]));
    // A course that does not exist cannot be kept.
    let (s, v) = t
        .post(
            "/api/v1/library/courses/999999/favourite",
            &parent,
            json!({"favourite": true}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    // Let go on the page: the list is empty again.
    let p = b
        .post(
            &format!("/library/courses/{id}/favourite"),
            &[("favourite", "0")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = b.get("/library/favourites").await;
    assert!(p.body.contains("还没有收藏的课程"), "{}", p.body);
    let audited = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('library.favourite', 'library.unfavourite')",
        &[],
    )
    .await;
    assert_eq!(audited, 2, "one each: keeping it twice changed nothing");
}

#[tokio::test]
async fn the_library_narrows_by_stage_and_the_career_shelf_is_for_middle_and_high_school() {
    let t = TestApp::demo().await;
    let parent = t.login("parent").await;
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["course"]["title"].as_str().expect("title").to_owned())
            .collect()
    };
    let (s, junior) = t
        .get(
            "/api/v1/library?subject=career_education&stage=junior",
            &parent,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{junior}");
    assert_eq!(titles(&junior), ["和孩子一起规划未来"]);
    // By its Chinese name too; a kindergarten parent has no career shelf.
    let (_, high) = t
        .get(
            "/api/v1/library?subject=career_education&stage=%E9%AB%98%E4%B8%AD",
            &parent,
        )
        .await;
    assert_eq!(titles(&high), ["和孩子一起规划未来"]);
    let (_, small) = t
        .get(
            "/api/v1/library?subject=career_education&stage=kindergarten",
            &parent,
        )
        .await;
    assert!(titles(&small).is_empty(), "{small}");
    // Courses for every grade stay on every stage's shelf.
    let (_, mental) = t
        .get(
            "/api/v1/library?subject=mental_health&stage=kindergarten",
            &parent,
        )
        .await;
    assert_eq!(titles(&mental), ["读懂孩子的情绪"]);
    let (s, e) = t.get("/api/v1/library?stage=university", &parent).await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("stage"))
    );
    let mut b = t.browser();
    b.sign_in("parent", crate::common::PW).await;
    let p = b
        .get("/library?stage=junior&subject=career_education")
        .await;
    assert!(
        p.body
            .contains("<option value=\"junior\" selected>初中</option>")
            && p.body.contains("和孩子一起规划未来"),
        "{}",
        p.body
    );
}
