//! Courses: authoring, the review path (an author never reviews or
//! publishes their own course), revisions of published lessons, the five
//! steps of a required lesson and its safe Markdown.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, sql};
use crate::learning::campaign;

#[tokio::test]
async fn an_instructor_writes_a_course_and_the_district_publishes_it_in_the_browser() {
    let t = TestApp::demo().await;
    let mut author = t.browser();
    author.sign_in("instructor", crate::common::PW).await;
    let p = author.get("/courses").await;
    assert_eq!(p.status, StatusCode::OK);
    let p = author
        .post(
            "/courses",
            &[
                ("unit_id", &t.unit_id("school0").await.to_string()),
                ("title", "好习惯伴成长"),
                ("category", "self_study"),
                ("subject", "family_education"),
                ("grades", "K1"),
                ("description", "培养孩子的生活习惯"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let course_page = p
        .location
        .expect("to the course")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    author.get(&course_page).await;
    let p = author
        .post(
            &format!("{course_page}/lessons"),
            &[
                ("title", "早睡早起"),
                ("minutes", "x"),
                ("video_url", ""),
                ("body", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("分钟数"));
    let p = author
        .post(
            &format!("{course_page}/lessons"),
            &[
                ("title", "早睡早起"),
                ("minutes", "12"),
                ("video_url", ""),
                ("body", "规律作息。"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = author
        .post(&format!("{course_page}/status"), &[("status", "submitted")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // The author may not review their own course.
    let p = author
        .post(&format!("{course_page}/status"), &[("status", "reviewed")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    let mut reviewer = t.browser();
    reviewer.sign_in("district-admin", crate::common::PW).await;
    let p = reviewer.get(&course_page).await;
    assert!(
        p.body.contains("审核通过") && p.body.contains("早睡早起"),
        "{}",
        p.body
    );
    for status in ["reviewed", "published"] {
        let p = reviewer
            .post(&format!("{course_page}/status"), &[("status", status)])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{status}: {}", p.body);
    }
    let p = reviewer.get(&course_page).await;
    assert!(
        p.body.contains("已发布") && p.body.contains("撤回"),
        "{}",
        p.body
    );
    // Published, it is found.
    let parent = t.login("parent").await;
    assert!(
        crate::search::titles(&crate::search::find(&t, &parent, "早睡早起").await)
            .contains(&"早睡早起".to_owned())
    );
    // A parent has no course management.
    let mut p_browser = t.browser();
    p_browser.sign_in("parent", crate::common::PW).await;
    assert_eq!(
        p_browser.get("/courses").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn editing_a_published_lesson_makes_a_new_version_after_review() {
    let t = TestApp::demo().await;
    let (_, all, _) = campaign(&t).await;
    let admin = t.login("city-admin").await;
    let instructor = t.login("instructor").await;
    // The instructor works at a school: the city's lesson is not theirs to edit.
    let (s, _) = t
        .post(
            &format!("/api/v1/lessons/{all}"),
            &instructor,
            json!({"title": "改", "duration_s": 600}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let edit = json!({"title": "全学段：陪伴孩子的新学年（修订）", "duration_s": 600, "body": "新增一段讨论题。"});
    // Four eyes: an administrator's own revision waits for someone else.
    let (s, v) = t
        .post(&format!("/api/v1/lessons/{all}"), &admin, edit.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let own = v["revision"]["id"].as_i64().expect("revision");
    let (s, e) = t
        .post(
            &format!("/api/v1/revisions/{own}/approve"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(e["message"].as_str().unwrap_or("").contains("本人"), "{e}");
    let (s, e) = t
        .post(
            &format!("/api/v1/revisions/{own}/return"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let expert = t.login("expert").await;
    let (s, v) = t
        .post(&format!("/api/v1/lessons/{all}"), &expert, edit.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "proposed");
    assert_eq!(v["revision"]["version"], 2);
    let revision = v["revision"]["id"].as_i64().expect("revision");
    // Until it is approved parents see the published version.
    let parent = t.login("parent").await;
    let (_, mine) = t.get("/api/v1/me/lessons", &parent).await;
    let titles: Vec<&str> = mine["children"][0]["lessons"]
        .as_array()
        .expect("lessons")
        .iter()
        .filter_map(|l| l["title"].as_str())
        .collect();
    assert!(titles.contains(&"全学段：陪伴孩子的新学年"), "{mine}");
    let (s, _) = t
        .post(&format!("/api/v1/lessons/{all}"), &admin, edit)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one pending revision at a time");
    let (s, lesson) = t
        .post(
            &format!("/api/v1/revisions/{revision}/approve"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{lesson}");
    assert_eq!(
        (lesson["version"].as_i64(), lesson["title"].as_str()),
        (Some(2), Some("全学段：陪伴孩子的新学年（修订）"))
    );
    let (_, history) = t
        .get(&format!("/api/v1/lessons/{all}/revisions"), &admin)
        .await;
    let statuses: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        vec!["superseded", "approved", "returned"],
        "the replaced version is kept, and the administrator's own returned"
    );
    assert_eq!(history["items"][0]["title"], "全学段：陪伴孩子的新学年");
    assert_eq!(
        t.post(
            &format!("/api/v1/revisions/{revision}/approve"),
            &admin,
            json!({})
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The new title is what search finds now.
    assert!(
        crate::search::titles(&crate::search::find(&t, &parent, "修订").await)
            .iter()
            .any(|t| t.contains("修订"))
    );
}

#[tokio::test]
async fn a_required_lesson_has_five_steps_and_its_text_is_safe_markdown() {
    let t = TestApp::demo().await;
    let city_admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, course) = t
        .post("/api/v1/courses", &t.login("expert").await, json!({"title": "初中家长必修课", "category": "required", "subject": "family_education", "grades": "J1", "unit_id": city}))
        .await;
    let course = course["id"].as_i64().expect("id");
    // The library's micro-courses, which a micro-review opens.
    let parent = t.login("parent").await;
    let (_, shelf) = t
        .get(
            "/api/v1/library?subject=family_education&category=self_study",
            &parent,
        )
        .await;
    let micro_course = shelf["items"][0]["course"]["id"]
        .as_i64()
        .expect("the demo's micro-courses");
    let (_, micro_course) = t
        .get(&format!("/api/v1/library/courses/{micro_course}"), &parent)
        .await;
    let micro: Vec<i64> = micro_course["lessons"]
        .as_array()
        .expect("lessons")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    let oldest = *micro.iter().min().expect("the demo's micro-courses");
    let steps = json!([
        ["video_intro", "观看《青春期的孩子》短片"],
        [
            "discussion",
            "- 孩子最近和您说过什么心事？\n- 您是怎么回应的？"
        ],
        ["summary", "**倾听**先于**说教**"],
        ["practice", "本周和孩子散步一次"],
        ["micro_review", "/media/demo-lesson.wav"]
    ]);
    let lesson = |steps: Value| {
        json!({"title": "第一讲：走进青春期", "duration_s": 600,
               "body": "本讲要点：\n\n1. 接纳变化\n2. 保持沟通\n\n<script>alert(1)</script>\n\n[危险](javascript:alert(2))",
               "steps": steps})
    };
    // Four steps, a micro-review that is not a link, or one that is not a
    // micro-course of the library (nothing would record the parent's
    // progress): refused.
    let mut four = steps.clone();
    four.as_array_mut().expect("steps").remove(1);
    let mut not_a_link = steps.clone();
    not_a_link[4][1] = json!("回家看微课");
    let mut elsewhere = steps.clone();
    elsewhere[4][1] = json!("https://example.cn/micro/1");
    let mut not_library = steps.clone();
    not_library[4][1] = json!(format!(
        "/lessons/{}",
        micro.iter().max().expect("micro") + 1000
    ));
    for bad in [json!([]), four, not_a_link, elsewhere, not_library] {
        let (s, e) = t
            .post(
                &format!("/api/v1/courses/{course}/lessons"),
                &city_admin,
                lesson(bad),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["field"], "steps");
    }
    let (s, l) = t
        .post(
            &format!("/api/v1/courses/{course}/lessons"),
            &city_admin,
            lesson(steps),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    let id = l["id"].as_i64().expect("id");
    for status in ["submitted", "reviewed", "published"] {
        let (s, v) = t
            .post(
                &format!("/api/v1/courses/{course}/status"),
                &city_admin,
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    // The lesson page shows the five steps in order, the Markdown rendered
    // and nothing of the author's HTML or script links.
    let mut b = t.browser();
    b.sign_in("parent", crate::common::PW).await;
    let p = b.get(&format!("/lessons/{id}")).await;
    assert_eq!(p.status, StatusCode::OK);
    let order: Vec<usize> = ["视频导课", "现场讨论", "课堂总结", "拓展训练", "微课巩固"]
        .iter()
        .map(|s| p.body.find(s).expect("each step is shown"))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "in the method's order"
    );
    assert!(p.body.contains("<strong>倾听</strong>"));
    assert!(p.body.contains("<li>接纳变化</li>"));
    // The media address became the micro-course playing it: the parent
    // follows it into the player, which records what they watch.
    assert!(
        p.body.contains(&format!("href=\"/lessons/{oldest}\"")),
        "{}",
        p.body
    );
    let micro_page = b.get(&format!("/lessons/{oldest}")).await;
    assert!(
        micro_page.body.contains("id=\"player\"") && micro_page.body.contains("已看 0%"),
        "the player reports: {}",
        micro_page.body
    );
    let (s, r) = t
        .post(
            "/api/v1/progress",
            &t.login("parent").await,
            json!({"lesson_id": oldest, "segments": [[0, 30]]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["covered_s"], 30);
    assert!(!p.body.contains("<script>alert(1)"));
    assert!(p.body.contains(">危险</a>"), "the link text stays");
    assert!(!p.body.contains("href=\"javascript:"));

    // A new version carries new steps once approved.
    let (s, v) = t
        .post(
            &format!("/api/v1/lessons/{id}"),
            &t.login("expert").await,
            json!({"title": "第一讲：走进青春期", "duration_s": 600, "body": "",
                   "steps": [["video_intro", "新的导课短片"], ["discussion", "讨论"], ["summary", "总结"],
                             ["practice", "练习"], ["micro_review", format!("/lessons/{}", micro[0])]]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rev = v["revision"]["id"].as_i64().expect("revision");
    let (s, _) = t
        .post(
            &format!("/api/v1/revisions/{rev}/approve"),
            &city_admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let p = b.get(&format!("/lessons/{id}")).await;
    assert!(p.body.contains("新的导课短片"));
    assert!(p.body.contains(&format!("href=\"/lessons/{}\"", micro[0])));
}

#[tokio::test]
async fn an_administrator_does_not_review_or_publish_their_own_course() {
    let t = TestApp::demo().await;
    let admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, c) = t
        .post("/api/v1/courses", &admin, json!({"title": "自己编写的课程", "category": "self_study", "subject": "mental_health", "unit_id": city}))
        .await;
    let course = c["id"].as_i64().expect("id");
    let (s, _) = t
        .post(
            &format!("/api/v1/courses/{course}/lessons"),
            &admin,
            json!({"title": "第一节", "duration_s": 300}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = t
        .post(
            &format!("/api/v1/courses/{course}/status"),
            &admin,
            json!({"status": "submitted"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for status in ["reviewed", "published"] {
        let (s, e) = t
            .post(
                &format!("/api/v1/courses/{course}/status"),
                &admin,
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{status}: {e}");
        assert!(
            e["message"].as_str().unwrap_or("").contains("编写者本人"),
            "{e}"
        );
    }
    // The page offers the author no such button and says who decides.
    let mut b = t.browser();
    b.sign_in("city-admin", crate::common::PW).await;
    let p = b.get(&format!("/courses/{course}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        !p.body.contains("审核通过") && !p.body.contains(">发布<"),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("须由本级或上级的其他管理员审核"),
        "{}",
        p.body
    );
    let (_, v) = t.get(&format!("/api/v1/courses/{course}"), &admin).await;
    assert_eq!(v["course"]["status"], "submitted", "{v}");
    let denied = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE result = 'denied' AND object_type = 'course'",
        &[],
    )
    .await;
    assert_eq!(denied, 2);
}

#[tokio::test]
async fn a_lesson_is_edited_from_its_course_page_and_a_published_one_waits_for_review() {
    let t = TestApp::demo().await;
    let (_, all, _) = campaign(&t).await;
    let mut b = t.browser();
    b.sign_in("expert", crate::common::PW).await;
    let form = b.get(&format!("/lessons/{all}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"revision-note\""), "{}", form.body);
    assert!(form.body.contains("value=\"全学段：陪伴孩子的新学年\""));
    // A bad duration: the message, and what was typed stays.
    let p = b
        .post(
            &format!("/lessons/{all}/edit"),
            &[
                ("title", "全学段：陪伴孩子的新学年（修订）"),
                ("minutes", "十"),
                ("body", "新增讨论题。"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("时长请填写分钟数") && p.body.contains("新增讨论题。"));
    let p = b
        .post(
            &format!("/lessons/{all}/edit"),
            &[
                ("title", "全学段：陪伴孩子的新学年（修订）"),
                ("minutes", "10"),
                ("body", "新增讨论题。"),
            ],
        )
        .await;
    let to = p.location.expect("back to the course");
    assert!(to.ends_with("msg=proposed"), "{to}");
    let course = b.get(&to).await;
    assert!(course.body.contains("修改已提交"), "{}", course.body);
    assert!(
        course
            .body
            .contains(&format!("href=\"/lessons/{all}/edit\""))
    );
    // Parents keep the published version until a reviewer approves.
    let parent = t.login("parent").await;
    let (_, mine) = t.get("/api/v1/me/lessons", &parent).await;
    assert!(
        mine.to_string().contains("全学段：陪伴孩子的新学年\""),
        "{mine}"
    );
    let admin = t.login("city-admin").await;
    let (_, history) = t
        .get(&format!("/api/v1/lessons/{all}/revisions"), &admin)
        .await;
    assert_eq!(history["items"][0]["status"], "submitted", "{history}");
    // Someone who does not write courses gets no form.
    let mut parent_b = t.browser();
    parent_b.sign_in("parent", crate::common::PW).await;
    assert_ne!(
        parent_b.get(&format!("/lessons/{all}/edit")).await.status,
        StatusCode::OK
    );
}
