//! Chinese search over published courses and lessons.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{PW, TestApp};

async fn publish(t: &TestApp, title: &str, subject: &str, lessons: &[(&str, &str)]) -> i64 {
    let admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (s, c) = t
        .post("/api/v1/courses", &t.login("expert").await, json!({"title": title, "category": "self_study", "subject": subject, "unit_id": city, "description": "家长自修课程"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().expect("id");
    for (lt, body) in lessons {
        let (s, v) = t
            .post(
                &format!("/api/v1/courses/{id}/lessons"),
                &admin,
                json!({"title": lt, "duration_s": 300, "body": body}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    for status in ["submitted", "reviewed", "published"] {
        assert_eq!(
            t.post(
                &format!("/api/v1/courses/{id}/status"),
                &admin,
                json!({"status": status})
            )
            .await
            .0,
            StatusCode::OK
        );
    }
    id
}

pub(crate) async fn find(t: &TestApp, token: &str, query: &str) -> Value {
    let q = serde_urlencoded::to_string([("q", query)]).expect("query");
    let (s, v) = t.get(&format!("/api/v1/search?{q}"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

pub(crate) fn titles(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| {
            h["title"]
                .as_array()
                .expect("parts")
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<String>()
        })
        .collect()
}

#[tokio::test]
async fn two_character_words_are_found_and_marked() {
    let t = TestApp::demo().await;
    publish(
        &t,
        "校园安全与家庭守护",
        "family_education",
        &[("上学路上的安全", "交通安全要从小事做起，家长以身作则。")],
    )
    .await;
    let parent = t.login("parent").await;
    let v = find(&t, &parent, "安全").await;
    let found = titles(&v);
    assert!(
        found.contains(&"校园安全与家庭守护".to_owned())
            && found.contains(&"上学路上的安全".to_owned()),
        "{v}"
    );
    let marked: Vec<&str> = v["hits"][0]["title"]
        .as_array()
        .expect("parts")
        .iter()
        .filter(|p| p["mark"] == true)
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert_eq!(marked, vec!["安全"]);
    // The demo's first lesson is indexed too.
    assert!(
        titles(&find(&t, &parent, "幼小衔接").await)
            .iter()
            .any(|t| t.contains("幼小衔接"))
    );
}

#[tokio::test]
async fn snippets_show_lesson_text_as_read_not_its_markdown() {
    let t = TestApp::demo().await;
    publish(
        &t,
        "亲子阅读入门",
        "family_education",
        &[(
            "睡前共读",
            "## 共读的方法\n\n**共读**时请[放下手机](https://example.cn/phone)，让孩子翻页。",
        )],
    )
    .await;
    let parent = t.login("parent").await;
    let v = find(&t, &parent, "共读").await;
    let hit = v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["kind"] == "lesson")
        .cloned()
        .expect("the lesson is found");
    let snippet: String = hit["snippet"]
        .as_array()
        .expect("parts")
        .iter()
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert_eq!(snippet, "共读的方法 共读时请放下手机，让孩子翻页。", "{v}");
    // The address behind a link is no word of the lesson.
    assert!(titles(&find(&t, &parent, "example").await).is_empty());
}

#[tokio::test]
async fn drafts_and_withdrawn_courses_are_not_found() {
    let t = TestApp::demo().await;
    let admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, draft) = t.post("/api/v1/courses", &t.login("expert").await, json!({"title": "青春期沟通草稿", "category": "keynote", "subject": "mental_health", "unit_id": city})).await;
    t.post(
        &format!("/api/v1/courses/{}/lessons", draft["id"]),
        &admin,
        json!({"title": "青春期沟通", "duration_s": 300}),
    )
    .await;
    let parent = t.login("parent").await;
    assert!(titles(&find(&t, &parent, "青春期").await).is_empty());
    let id = publish(
        &t,
        "青春期的情绪管理",
        "mental_health",
        &[("和青春期孩子沟通", "倾听比说教更重要。")],
    )
    .await;
    assert_eq!(titles(&find(&t, &parent, "青春期").await).len(), 2);
    assert_eq!(
        t.post(
            &format!("/api/v1/courses/{id}/status"),
            &admin,
            json!({"status": "withdrawn"})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert!(titles(&find(&t, &parent, "青春期").await).is_empty());
}

#[tokio::test]
async fn filters_relaxed_matches_and_suggestions() {
    let t = TestApp::demo().await;
    publish(
        &t,
        "生涯启蒙：职业小体验",
        "career_education",
        &[("认识父母的职业", "家长职业讲师团走进课堂。")],
    )
    .await;
    publish(
        &t,
        "考试焦虑的应对",
        "mental_health",
        &[("考前减压", "规律作息，适度运动。")],
    )
    .await;
    let parent = t.login("parent").await;
    let (_, v) = t
        .get(
            "/api/v1/search?q=%E8%81%8C%E4%B8%9A&subject=mental_health",
            &parent,
        )
        .await;
    assert!(
        v["hits"].as_array().expect("hits").is_empty(),
        "the subject filter excludes career courses: {v}"
    );
    let (_, v) = t
        .get(
            "/api/v1/search?q=%E8%81%8C%E4%B8%9A&subject=career_education",
            &parent,
        )
        .await;
    assert!(!v["hits"].as_array().expect("hits").is_empty());
    // No document has both words: the ones with either are offered.
    let v = find(&t, &parent, "焦虑 职业").await;
    assert_eq!(v["relaxed"], true, "{v}");
    assert!(titles(&v).len() >= 2);
    // Nothing at all: suggestions instead.
    let v = find(&t, &parent, "火星探险").await;
    assert!(v["hits"].as_array().expect("hits").is_empty());
    assert!(
        !v["suggestions"].as_array().expect("suggestions").is_empty(),
        "{v}"
    );
    // Operators and quotes are just text.
    let v = find(&t, &parent, "\"焦虑\" OR 1=1 -- )(*").await;
    assert!(titles(&v).contains(&"考试焦虑的应对".to_owned()), "{v}");
    let (s, e) = t
        .get(&format!("/api/v1/search?q={}", "长".repeat(101)), &parent)
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("q"))
    );
}

#[tokio::test]
async fn the_search_page_marks_what_matched() {
    let t = TestApp::demo().await;
    publish(
        &t,
        "亲子阅读的习惯",
        "family_education",
        &[("睡前亲子阅读", "每天十五分钟。")],
    )
    .await;
    let mut b = t.browser();
    b.sign_in("parent", PW).await;
    let p = b.get("/search?q=%E9%98%85%E8%AF%BB").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("<mark>阅读</mark>"), "{}", p.body);
    let p = b.get("/search?q=%E7%81%AB%E6%98%9F").await;
    assert!(
        p.body.contains("没有找到") && p.body.contains("看看这些课程"),
        "{}",
        p.body
    );
}

#[tokio::test]
async fn a_word_in_the_title_ranks_first_and_newer_comes_before_older() {
    let t = TestApp::demo().await;
    publish(
        &t,
        "家庭教育漫谈",
        "family_education",
        &[
            ("周末安排", "周末和孩子沟通的时间要固定。"),
            ("亲子沟通的技巧", "多听少说，先共情。"),
            ("睡前阅读", "每天阅读十分钟，顺便沟通一天的心情。"),
        ],
    )
    .await;
    let parent = t.login("parent").await;
    let v = find(&t, &parent, "沟通").await;
    let found = titles(&v);
    assert_eq!(
        found[0], "亲子沟通的技巧",
        "the newest title match first: {v}"
    );
    let ours: Vec<&String> = found
        .iter()
        .filter(|t| ["亲子沟通的技巧", "睡前阅读", "周末安排"].contains(&t.as_str()))
        .collect();
    assert_eq!(ours, vec!["亲子沟通的技巧", "睡前阅读", "周末安排"], "{v}");
    // Every title match comes before every body-only match.
    let title_hits = found.iter().take_while(|t| t.contains("沟通")).count();
    assert!(
        found[title_hits..].iter().all(|t| !t.contains("沟通")),
        "{v}"
    );
    // With two words, documents holding both come before those with one.
    let v = find(&t, &parent, "沟通 阅读").await;
    assert_eq!(titles(&v)[0], "睡前阅读", "{v}");
}
