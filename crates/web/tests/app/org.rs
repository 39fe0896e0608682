//! Building the tree: validation, moves, deactivation, and the rollups.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{PW, TestApp, factory, peek};

/// The rollup counters of every unit equal a recount from the rows.
async fn assert_rollups_match_recount(t: &TestApp) {
    let check = tongyu_service::org::check_counts(&t.app)
        .await
        .expect("check");
    assert!(!check.kept.is_empty());
    assert_eq!(
        check.kept, check.recounted,
        "kept counters differ from a recount"
    );
}

#[tokio::test]
async fn the_demo_city_has_the_plan_s_districts_and_consistent_counts() {
    let t = TestApp::demo().await;
    let token = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (s, v) = t
        .get(&format!("/api/v1/units/{city}/children"), &token)
        .await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    // In the order they were registered (the bureau's own), not by the
    // characters' code points (即墨区 first).
    assert_eq!(
        names,
        vec![
            "市南区",
            "市北区",
            "李沧区",
            "崂山区",
            "城阳区",
            "黄岛区",
            "即墨区",
            "胶州市",
            "平度市",
            "莱西市",
            "高新区",
        ]
    );
    let (_, c) = t.get(&format!("/api/v1/units/{city}"), &token).await;
    assert_eq!(c["counts"]["schools"], 12);
    assert!(c["counts"]["students"].as_i64().expect("students") > 0);
    assert_rollups_match_recount(&t).await;
}

#[tokio::test]
async fn building_a_school_with_grades_and_classes() {
    let t = TestApp::demo().await;
    let token = t.login("subdistrict-admin").await;
    let sub = t.unit_id("d0s0").await;
    let (s, e) = t
        .post(
            &format!("/api/v1/units/{sub}/children"),
            &token,
            json!({"name": "海滨小学", "stages": "大学"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["field"], "stages");
    let (s, e) = t
        .post(
            &format!("/api/v1/units/{sub}/children"),
            &token,
            json!({"name": "海", "stages": "primary"}),
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );
    let (s, school) = t
        .post(
            &format!("/api/v1/units/{sub}/children"),
            &token,
            json!({"name": "海滨小学", "stages": "小学"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{school}");
    assert_eq!(school["kind"], "school");
    assert_eq!(school["stages"], json!(["primary"]));
    let sid = school["id"].as_i64().expect("id");
    let (s, _) = t
        .post(
            &format!("/api/v1/units/{sub}/children"),
            &token,
            json!({"name": "海滨小学", "stages": "小学"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "same name under the same parent");
    let (s, e) = t
        .post(
            &format!("/api/v1/units/{sid}/children"),
            &token,
            json!({"name": "", "grade": "J1"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a primary school has no junior grades: {e}"
    );
    let (s, grade) = t
        .post(
            &format!("/api/v1/units/{sid}/children"),
            &token,
            json!({"name": "", "grade": "P1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(grade["name"], "一年级");
    let gid = grade["id"].as_i64().expect("id");
    let (s, class) = t
        .post(
            &format!("/api/v1/units/{gid}/children"),
            &token,
            json!({"name": "一年级3班"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(class["school_year"], 2026);
    assert_eq!(class["grade"], "P1");
    let cid = class["id"].as_i64().expect("id");
    let (s, _) = t
        .post(
            &format!("/api/v1/units/{cid}/children"),
            &token,
            json!({"name": "小组"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "nothing below a class");
    let (_, d) = t.get(&format!("/api/v1/units/{sub}"), &token).await;
    assert_eq!(d["counts"]["schools"], 3);
    assert_rollups_match_recount(&t).await;

    // A nine-year school: grades by stage and year whatever the order they
    // were made in, classes by the numbers in their names.
    let (s, both) = t
        .post(
            &format!("/api/v1/units/{sub}/children"),
            &token,
            json!({"name": "海滨九年一贯制学校", "stages": "小学,初中"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{both}");
    let both = both["id"].as_i64().expect("id");
    let mut p1 = 0;
    for code in ["J1", "P2", "P1"] {
        let (s, g) = t
            .post(
                &format!("/api/v1/units/{both}/children"),
                &token,
                json!({"name": "", "grade": code}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        if code == "P1" {
            p1 = g["id"].as_i64().expect("id");
        }
    }
    for name in ["一年级10班", "一年级2班", "一年级1班"] {
        let (s, c) = t
            .post(
                &format!("/api/v1/units/{p1}/children"),
                &token,
                json!({ "name": name }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|u| u["name"].as_str().map(str::to_owned))
            .collect()
    };
    let (_, grades) = t
        .get(&format!("/api/v1/units/{both}/children"), &token)
        .await;
    assert_eq!(names(&grades), vec!["一年级", "二年级", "初一"]);
    let (_, classes) = t.get(&format!("/api/v1/units/{p1}/children"), &token).await;
    assert_eq!(
        names(&classes),
        vec!["一年级1班", "一年级2班", "一年级10班"]
    );
}

#[tokio::test]
async fn moving_a_school_moves_its_subtree_and_its_counts() {
    let t = TestApp::demo().await;
    let city_admin = t.login("city-admin").await;
    let d0s0 = t.unit_id("d0s0").await;
    let city = t.unit_id("qingdao").await;
    let d0 = t.unit_id("d0").await;
    // A second subdistrict in district d0 to move into.
    let (_, new_sub) = t
        .post(
            &format!("/api/v1/units/{d0}/children"),
            &city_admin,
            json!({"name": "湛山街道"}),
        )
        .await;
    let new_sub = new_sub["id"].as_i64().expect("id");
    let school = t.unit(t.unit_id("school0").await).await;
    let old_sub_before = t.unit(d0s0).await.counts;
    let (s, moved) = t
        .post(
            &format!("/api/v1/units/{}/move", school.id),
            &city_admin,
            json!({"parent_id": new_sub}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["parent_id"], new_sub);
    assert_eq!(t.unit(new_sub).await.counts, school.counts);
    assert_eq!(
        t.unit(d0s0).await.counts.students,
        old_sub_before.students - school.counts.students
    );
    // Every unit below moved with it.
    let grades = peek::all_children(&t.app, school.id).await;
    let moved_school = t.unit(school.id).await;
    assert!(
        grades
            .iter()
            .all(|g| g.path.starts_with(&moved_school.path))
    );
    // A school can only go to a subdistrict.
    let (s, _) = t
        .post(
            &format!("/api/v1/units/{}/move", school.id),
            &city_admin,
            json!({"parent_id": city}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // The district administrator cannot move it to another district.
    let d1s0 = t.unit_id("d1s0").await;
    let district = t.login("district-admin").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/units/{}/move", school.id),
            &district,
            json!({"parent_id": d1s0}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_rollups_match_recount(&t).await;
}

#[tokio::test]
async fn deactivating_keeps_history_and_takes_counts_out() {
    let t = TestApp::demo().await;
    let token = t.login("district-admin").await;
    let school = t.unit(t.unit_id("school0").await).await;
    let sub_before = t.unit(school.parent_id.expect("parent")).await.counts;
    // The unit's name, typed again, or nothing happens.
    let (s, e) = t
        .post(
            &format!("/api/v1/units/{}/deactivate", school.id),
            &token,
            json!({"confirm_name": "学校"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "confirm_name");
    assert!(t.unit(school.id).await.active);
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{}/deactivate", school.id),
            &token,
            json!({"confirm_name": school.name}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["active"], false);
    let sub_after = t.unit(school.parent_id.expect("parent")).await.counts;
    assert_eq!(sub_after.schools, sub_before.schools - 1);
    assert_eq!(
        sub_after.students,
        sub_before.students - school.counts.students
    );
    // Still there, and listed when asked for.
    let (_, kids) = t
        .get(
            &format!(
                "/api/v1/units/{}/children?include_inactive=true",
                school.parent_id.expect("p")
            ),
            &token,
        )
        .await;
    assert!(
        kids["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|u| u["id"] == school.id && u["active"] == false)
    );
    let (_, kids) = t
        .get(
            &format!("/api/v1/units/{}/children", school.parent_id.expect("p")),
            &token,
        )
        .await;
    assert!(
        !kids["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|u| u["id"] == school.id)
    );
    // Its people lose access while it is inactive.
    let school_admin = t.login("school-admin").await;
    let (s, _) = t
        .get(&format!("/api/v1/units/{}", school.id), &school_admin)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t
        .post(
            &format!("/api/v1/units/{}/activate", school.id),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        t.unit(school.parent_id.expect("parent")).await.counts,
        sub_before
    );
    assert_rollups_match_recount(&t).await;
}

#[tokio::test]
async fn a_district_administrator_drills_down_in_the_browser() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    let p = b.sign_in("district-admin", PW).await;
    assert_eq!(p.location.as_deref(), Some("/"));
    // Home is the to-do list; the tree is one tap away.
    let p = b.get("/").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("待办"), "{}", p.body);
    assert!(p.body.contains("href=\"/org\""));
    let p = b.get("/org").await;
    let d0 = t.unit_id("d0").await;
    assert_eq!(p.location, Some(format!("/org/{d0}")));
    let p = b.get(&format!("/org/{d0}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("市南区") && p.body.contains("八大关街道"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("市北区"), "another district shows");
    let sub = t.unit_id("d0s0").await;
    let p = b.get(&format!("/org/{sub}")).await;
    assert!(p.body.contains("八大关第1幼儿园"), "{}", p.body);
    // Adding a school through the form.
    let p = b
        .post(
            &format!("/org/{sub}/children"),
            &[
                ("name", "八大关实验小学"),
                ("stages", "primary"),
                ("external_id", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = b
        .get(p.location.as_deref().expect("to the new school"))
        .await;
    assert!(p.body.contains("八大关实验小学") && p.body.contains("已创建"));
    // A bad form shows the page again with a Chinese message.
    let p = b
        .post(
            &format!("/org/{sub}/children"),
            &[("name", "八"), ("stages", "primary")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("名称至少2个字"));
    // Another district's unit is simply not there.
    let d1 = t.unit_id("d1").await;
    let p = b.get(&format!("/org/{d1}")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.body.contains("未找到"));
}

/// The usernames a people page lists, in order, and its links either side.
fn people_of(html: &str) -> (Vec<String>, Option<String>, Option<String>) {
    let names = html
        .split("<td data-label=\"用户名\">")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| *c != '<').collect())
        .collect();
    let link = |label: &str| {
        let end = html.find(&format!("\">{label}</a>"))?;
        let start = html[..end].rfind("href=\"")? + 6;
        Some(html[start..end].replace("&amp;", "&").replace("&#38;", "&"))
    };
    (names, link("上一页"), link("下一页"))
}

#[tokio::test]
async fn a_unit_s_people_page_by_page_forward_and_back_lists_everyone_once_in_order() {
    let t = TestApp::demo().await;
    let city = t.unit_id("qingdao").await;
    let token = t.login("city-admin").await;
    let (_, all) = t
        .get(
            &format!("/api/v1/accounts?unit_id={city}&limit=500"),
            &token,
        )
        .await;
    let expected: Vec<String> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["username"].as_str().expect("username").to_owned())
        .collect();
    assert!(
        expected.len() > 100,
        "more than two pages: {}",
        expected.len()
    );

    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    let mut path = format!("/org/{city}/people");
    let mut pages = Vec::new();
    loop {
        let p = b.get(&path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        let (names, _, next) = people_of(&p.body);
        assert!(names.len() <= 50);
        pages.push(path.clone());
        match next {
            Some(n) => path = n,
            None => break,
        }
        assert!(pages.len() < 20, "the pages end: {pages:?}");
    }
    // Forward: every account once, in order, across the pages.
    let mut forward = Vec::new();
    for p in &pages {
        forward.extend(people_of(&b.get(p).await.body).0);
    }
    assert_eq!(forward, expected);
    // Back from the last page by its "previous" links: the same pages.
    let mut back = Vec::new();
    let mut path = pages.last().expect("a page").clone();
    loop {
        let (names, prev, _) = people_of(&b.get(&path).await.body);
        back.splice(0..0, names);
        match prev {
            Some(p) => path = p,
            None => break,
        }
    }
    assert_eq!(back, expected);
}

#[tokio::test]
async fn walking_the_usernames_lists_the_same_accounts_as_gathering_them() {
    let t = TestApp::demo().await;
    let city = peek::city(&t.app).await;
    let district = peek::unit_by_external_id(&t.app, "d0").await;
    for unit in [&city, &district] {
        for role in [None, Some(tongyu_domain::account::Role::Parent)] {
            let gathered = peek::usernames_in(&t.app, unit, false, role).await;
            let walked = peek::usernames_in(&t.app, unit, true, role).await;
            assert!(!gathered.is_empty());
            assert_eq!(walked, gathered, "{} {role:?}", unit.name);
        }
    }
}

#[tokio::test]
async fn deactivating_or_moving_from_a_page_says_what_changes_and_asks_again() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("city-admin", crate::common::PW).await;
    let school = t.unit(t.unit_id("school0").await).await;
    let page = b.get(&format!("/org/{}", school.id)).await;
    assert!(!page.body.contains("确定吗"), "no bare are-you-sure");
    // (The demo's districts have one subdistrict each: where a form offers
    // others, none is chosen in advance.)
    if page
        .body
        .contains(&format!("action=\"/org/{}/move\"", school.id))
    {
        assert!(page.body.contains("<option value=\"\">请选择</option>"));
    }

    // Deactivating: the first step lists what goes dark and asks for the
    // name; a wrong name changes nothing.
    let p = b.post(&format!("/org/{}/deactivate", school.id), &[]).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body
            .contains(&format!("{} 名学生", school.counts.students))
            && p.body.contains("name=\"confirm_name\""),
        "{}",
        p.body
    );
    let p = b
        .post(
            &format!("/org/{}/deactivate", school.id),
            &[("confirm", "1"), ("confirm_name", "不是这个名字")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("请输入单位名称"), "{}", p.body);
    assert!(t.unit(school.id).await.active);

    // Moving: the first step says where from and to, and moves nothing.
    let district = tongyu_domain::org::path_ids(&school.path)[1];
    let elsewhere = factory::another_district(&t.app, district).await;
    let sub = peek::children(&t.app, elsewhere.id).await.remove(0);
    {
        let p = b
            .post(
                &format!("/org/{}/move", school.id),
                &[("parent_id", &sub.id.to_string())],
            )
            .await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.body.contains(&sub.name) && p.body.contains("确认调整"),
            "{}",
            p.body
        );
        assert_eq!(t.unit(school.id).await.parent_id, school.parent_id);
        let p = b
            .post(
                &format!("/org/{}/move", school.id),
                &[("parent_id", &sub.id.to_string()), ("confirm", "1")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert_eq!(t.unit(school.id).await.parent_id, Some(sub.id));
    }

    // With the name typed, the school and everything below it stop.
    let p = b
        .post(
            &format!("/org/{}/deactivate", school.id),
            &[("confirm", "1"), ("confirm_name", &school.name)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(!t.unit(school.id).await.active);
}
