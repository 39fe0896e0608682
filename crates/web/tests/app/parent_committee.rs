//! Parent committees and the parent lecturer groups (tasks 21, 22): kept by
//! the unit's staff, members and lecturers only parents of the unit, the
//! chair elected from the members, one committee per unit and year; the
//! coverage board counts schools with a committee and with both groups.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tongyu_service::testkit::{factory, peek, sql};

use crate::common::{PW, TestApp};

fn have(board: &Value, label: &str) -> i64 {
    let i = board["columns"]
        .as_array()
        .and_then(|c| c.iter().position(|c| c["label"] == label))
        .unwrap_or_else(|| panic!("no column {label}: {board}"));
    board["top"]["have"][i].as_i64().expect("a figure")
}

async fn assert_boards_equal_a_recount(t: &TestApp) {
    for (measure, check) in tongyu_service::coverage::check(&t.app)
        .await
        .expect("check")
    {
        assert!(
            check.differences().is_empty(),
            "{measure}: {:?}",
            check.differences()
        );
    }
}

async fn count(t: &TestApp, table: &str) -> i64 {
    sql::int(&t.app, &format!("SELECT COUNT(*) FROM {table}"), &[]).await
}

fn today(t: &TestApp) -> String {
    tongyu_domain::calendar::format_date(tongyu_domain::calendar::local_day(t.app.now()))
}

#[tokio::test]
async fn a_head_teacher_completes_the_class_committee_and_its_chair_is_elected() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let mut b = t.browser();
    b.sign_in("head-teacher", PW).await;
    let hub = b.get("/committees").await;
    assert_eq!(
        hub.location.as_deref(),
        Some(&*format!("/committees/{class}"))
    );
    let page = b.get(&format!("/committees/{class}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("班级家委会"), "{}", page.body);
    assert!(page.body.contains("尚未选出主任"), "{}", page.body);
    assert!(
        page.body.contains("家长（演示）"),
        "the demo parent is a member"
    );

    // A parent of the class, picked from the list.
    let (_, c) = t
        .get(&format!("/api/v1/units/{class}/committees"), &teacher)
        .await;
    let committee = c["current"]["committee"]["id"]
        .as_i64()
        .expect("a committee");
    let members_before = c["current"]["members"].as_array().map_or(0, Vec::len);
    let joining = sql::int(
        &t.app,
        "SELECT MIN(g.account_id) FROM guardians g JOIN students s ON s.id = g.student_id
         WHERE s.class_id = $1 AND g.status = 'confirmed' AND g.account_id NOT IN
           (SELECT account_id FROM committee_members WHERE committee_id = $2)",
        &[class.into(), committee.into()],
    )
    .await;
    assert!(page.body.contains(&format!("<option value=\"{joining}\"")));
    let added = b
        .post(
            &format!("/committees/{class}/{committee}/members"),
            &[
                ("account_id", &joining.to_string()),
                ("login", ""),
                ("seat", "member"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);

    // The election names a member chair.
    let elected = b
        .post(
            &format!("/committees/{class}/{committee}/elections"),
            &[
                ("held_on", &today(&t)),
                ("voters", "38"),
                ("chair_id", &joining.to_string()),
                ("note", "家长会现场投票"),
            ],
        )
        .await;
    assert_eq!(elected.status, StatusCode::SEE_OTHER, "{}", elected.body);
    let page = b.get(&format!("/committees/{class}")).await;
    let chair = peek::account(&t.app, joining).await.display_name;
    assert!(
        page.body.contains(&format!("主任：<b>{chair}</b>")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("尚未选出主任"));
    assert!(page.body.contains("38 人投票"));

    // A work record, and the export.
    let recorded = b
        .post(
            &format!("/committees/{class}/{committee}/records"),
            &[
                ("held_on", &today(&t)),
                ("kind", "supervision"),
                ("title", "午餐试吃与意见反馈"),
                ("body", "家委会成员到食堂试吃午餐。"),
                ("attendees", "6"),
            ],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let page = b.get(&format!("/committees/{class}")).await;
    assert!(page.body.contains("午餐试吃与意见反馈") && page.body.contains("参与管理与监督"));
    let x = b.get(&format!("/committees/{class}/export.xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);
    let (_, c) = t
        .get(&format!("/api/v1/committees/{committee}"), &teacher)
        .await;
    assert_eq!(
        c["members"].as_array().map_or(0, Vec::len),
        members_before + 1
    );
    assert_eq!(c["members"][0]["seat"], "chair", "the chair first: {c}");
    for action in [
        "committee.set_member",
        "committee.election",
        "committee.record",
        "committee.read",
    ] {
        let n = sql::int(
            &t.app,
            "SELECT COUNT(*) FROM audit_log WHERE action = $1",
            &[action.into()],
        )
        .await;
        assert!(n >= 1, "{action} audited");
    }
}

#[tokio::test]
async fn members_chairs_dates_and_second_committees_are_refused_with_nothing_half_saved() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    let (_, c) = t
        .get(&format!("/api/v1/units/{class}/committees"), &teacher)
        .await;
    let committee = c["current"]["committee"]["id"]
        .as_i64()
        .expect("a committee");
    let formed_on = c["current"]["committee"]["formed_on"]
        .as_str()
        .expect("date")
        .to_owned();
    let member = c["current"]["members"][0]["account_id"]
        .as_i64()
        .expect("a member");
    let other_class = factory::another_class(&t.app, class).await;
    let outsider = factory::guardian_in(&t.app, other_class.id).await;
    let insider = sql::int(
        &t.app,
        "SELECT MIN(g.account_id) FROM guardians g JOIN students s ON s.id = g.student_id
         WHERE s.class_id = $1 AND g.account_id NOT IN
           (SELECT account_id FROM committee_members WHERE committee_id = $2)",
        &[class.into(), committee.into()],
    )
    .await;
    let before = (
        count(&t, "committee_members").await,
        count(&t, "committee_elections").await,
        count(&t, "committee_records").await,
        count(&t, "parent_committees").await,
    );
    let put = |account: i64, seat: &'static str| {
        let teacher = teacher.clone();
        let t = &t;
        async move {
            t.api(
                Method::PUT,
                &format!("/api/v1/committees/{committee}/members/{account}"),
                Some(&teacher),
                Some(json!({ "seat": seat })),
            )
            .await
        }
    };
    // A parent of another class.
    let (s, v) = put(outsider.id, "member").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"].as_str().unwrap_or("").contains("学生的家长"),
        "{v}"
    );
    // A chair who is not a member.
    let (s, v) = put(insider, "chair").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "seat");
    let (s, v) = t
        .post(
            &format!("/api/v1/committees/{committee}/elections"),
            &teacher,
            json!({"held_on": formed_on, "voters": 20, "chair_id": insider}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "chair_id");
    // Dates out of order: before the committee was formed, or in the future.
    let (s, v) = t
        .post(
            &format!("/api/v1/committees/{committee}/records"),
            &teacher,
            json!({"held_on": "2001-01-01", "kind": "meeting", "title": "很早的会议"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("早于家委会成立日期"),
        "{v}"
    );
    let (s, v) = t
        .post(
            &format!("/api/v1/committees/{committee}/elections"),
            &teacher,
            json!({"held_on": "2999-01-01", "voters": 20, "chair_id": member}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // A second committee for the class and year.
    let year = tongyu_domain::calendar::school_year(t.app.now());
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{class}/committees"),
            &teacher,
            json!({"school_year": year, "formed_on": today(&t)}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("已有一届家委会"),
        "{v}"
    );
    assert_eq!(
        before,
        (
            count(&t, "committee_members").await,
            count(&t, "committee_elections").await,
            count(&t, "committee_records").await,
            count(&t, "parent_committees").await,
        ),
        "nothing saved"
    );
    // Once the chair is elected, naming another goes through an election.
    let (s, _) = t
        .post(
            &format!("/api/v1/committees/{committee}/elections"),
            &teacher,
            json!({"held_on": today(&t), "voters": 20, "chair_id": member}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = put(insider, "member").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = put(insider, "chair").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // On the page, a mistake is said in Chinese with what was typed kept.
    let mut b = t.browser();
    b.sign_in("head-teacher", PW).await;
    b.get(&format!("/committees/{class}")).await;
    let page = b
        .post(
            &format!("/committees/{class}/{committee}/records"),
            &[
                ("held_on", "2001-01-01"),
                ("kind", "meeting"),
                ("title", "开学家长会"),
                ("attendees", ""),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("早于家委会成立日期"));
    assert!(page.body.contains("value=\"开学家长会\""));
    // Above schools there are no committees.
    let district = tongyu_domain::org::path_ids(&t.unit(class).await.path)[1];
    let (s, v) = t
        .get(
            &format!("/api/v1/units/{district}/committees"),
            &t.login("district-admin").await,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn a_school_committee_counts_on_the_board_and_a_new_one_follows_a_dissolved_one() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let district = tongyu_domain::org::path_ids(&t.unit(school).await.path)[1];
    let leader = t.login("district-admin").await;
    let (_, before) = t
        .get(&format!("/api/v1/coverage/{district}"), &leader)
        .await;
    let (_, c) = t
        .get(&format!("/api/v1/units/{school}/committees"), &admin)
        .await;
    let committee = c["current"]["committee"]["id"]
        .as_i64()
        .expect("the demo's committee");
    assert_eq!(c["level"], "校级家委会");
    let (s, _) = t
        .post(
            &format!("/api/v1/committees/{committee}/dissolve"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, none) = t
        .get(&format!("/api/v1/coverage/{district}"), &leader)
        .await;
    assert_eq!(have(&none, "校级家委会"), have(&before, "校级家委会") - 1);
    // A dissolved committee is kept, and changes no more.
    let (s, _) = t
        .post(
            &format!("/api/v1/committees/{committee}/records"),
            &admin,
            json!({"held_on": today(&t), "kind": "meeting", "title": "解散后的会议"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let year = tongyu_domain::calendar::school_year(t.app.now());
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{school}/committees"),
            &admin,
            json!({"school_year": year, "formed_on": today(&t)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, again) = t
        .get(&format!("/api/v1/coverage/{district}"), &leader)
        .await;
    assert_eq!(have(&again, "校级家委会"), have(&before, "校级家委会"));
    let (_, c) = t
        .get(&format!("/api/v1/units/{school}/committees"), &admin)
        .await;
    assert_eq!(c["earlier"][0]["status"], "dissolved", "{c}");
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let old = b
        .get(&format!("/committees/{school}?committee={committee}"))
        .await;
    assert_eq!(old.status, StatusCode::OK);
    assert!(
        old.body.contains("已解散") && !old.body.contains("记录选举结果"),
        "read-only"
    );
    // A year too far ahead, and a grade's committee.
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{school}/committees"),
            &admin,
            json!({"school_year": year + 5, "formed_on": today(&t)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let grade = factory::first_class(&t.app, school)
        .await
        .parent_id
        .expect("grade");
    let (s, v) = t
        .post(
            &format!("/api/v1/units/{grade}/committees"),
            &admin,
            json!({"school_year": year, "formed_on": today(&t)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_boards_equal_a_recount(&t).await;
}

#[tokio::test]
async fn a_school_never_sees_another_schools_committees_and_a_teacher_only_reads() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let elsewhere = t.unit_id("school1").await;
    let elsewhere_class = factory::first_class(&t.app, elsewhere).await.id;
    for path in [
        format!("/api/v1/units/{elsewhere}/committees"),
        format!("/api/v1/units/{elsewhere_class}/committees"),
        format!("/api/v1/lecturer-groups/{elsewhere}"),
    ] {
        let (s, v) = t.get(&path, &admin).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    let (_, c) = t
        .get(
            &format!("/api/v1/units/{elsewhere}/committees"),
            &t.login("city-admin").await,
        )
        .await;
    let theirs = c["current"]["committee"]["id"]
        .as_i64()
        .expect("their committee");
    let (s, _) = t.get(&format!("/api/v1/committees/{theirs}"), &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A teacher of the school reads its committee but does not keep it.
    let teacher = t.login("teacher").await;
    let (s, c) = t
        .get(&format!("/api/v1/units/{school}/committees"), &teacher)
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["may_manage"], false);
    let ours = c["current"]["committee"]["id"].as_i64().expect("ours");
    let (s, _) = t
        .post(
            &format!("/api/v1/committees/{ours}/records"),
            &teacher,
            json!({"held_on": today(&t), "kind": "meeting", "title": "越权的会议"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A head teacher keeps the class's committee, not the school's.
    let (s, _) = t
        .post(
            &format!("/api/v1/committees/{ours}/records"),
            &t.login("head-teacher").await,
            json!({"held_on": today(&t), "kind": "meeting", "title": "越级的会议"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn both_lecturer_groups_are_staffed_by_the_schools_parents_and_counted() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let district = tongyu_domain::org::path_ids(&t.unit(school).await.path)[1];
    let leader = t.login("district-admin").await;
    let (_, before) = t
        .get(&format!("/api/v1/coverage/{district}"), &leader)
        .await;
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let page = b.get(&format!("/lecturer-groups/{school}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("家长职业体验讲师团还没有讲师"),
        "{}",
        page.body
    );

    // A parent of another school cannot lecture here.
    let stranger = factory::guardian_in(
        &t.app,
        factory::first_class(&t.app, t.unit_id("school1").await)
            .await
            .id,
    )
    .await;
    let refused = b
        .post(
            &format!("/lecturer-groups/{school}/lecturers"),
            &[
                ("kind", "career"),
                ("login", &stranger.username),
                ("specialty", "医生"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("没有已确认绑定的本校孩子"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"医生\""));

    // The demo parent joins the career group: the school has both.
    let added = b
        .post(
            &format!("/lecturer-groups/{school}/lecturers"),
            &[
                ("kind", "career"),
                ("login", "parent"),
                ("specialty", "消防员"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = b.get(&format!("/lecturer-groups/{school}")).await;
    assert!(page.body.contains("均已组建"), "{}", page.body);
    let (_, after) = t
        .get(&format!("/api/v1/coverage/{district}"), &leader)
        .await;
    assert_eq!(
        have(&after, "家长讲师“双团”"),
        have(&before, "家长讲师“双团”") + 1
    );

    // A lecture by a lecturer of the group named; not by one of the other.
    let parent = peek::account_by_username(&t.app, "parent").await;
    let (s, v) = t
        .post(
            &format!("/api/v1/lecturer-groups/{school}/lectures"),
            &admin,
            json!({"kind": "experience", "lecturer_id": parent.id, "held_on": today(&t),
                   "audience": "students", "title": "消防安全进课堂"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = t
        .post(
            &format!("/api/v1/lecturer-groups/{school}/lectures"),
            &admin,
            json!({"kind": "career", "lecturer_id": parent.id, "held_on": today(&t),
                   "audience": "students", "title": "消防安全进课堂", "attendees": 45}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, g) = t
        .get(&format!("/api/v1/lecturer-groups/{school}"), &admin)
        .await;
    assert_eq!(g["both"], true);
    assert_eq!(g["lectures"][0]["title"], "消防安全进课堂");
    let x = b
        .get(&format!("/lecturer-groups/{school}/export.xlsx"))
        .await;
    assert_eq!(x.status, StatusCode::OK);

    // Without its only lecturer the career group is gone again.
    let (s, _) = t
        .api(
            Method::DELETE,
            &format!(
                "/api/v1/lecturer-groups/{school}/career/lecturers/{}",
                parent.id
            ),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, last) = t
        .get(&format!("/api/v1/coverage/{district}"), &leader)
        .await;
    assert_eq!(
        have(&last, "家长讲师“双团”"),
        have(&before, "家长讲师“双团”")
    );
    assert_boards_equal_a_recount(&t).await;
}
