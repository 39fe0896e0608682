//! A school's organisation (task 3): the coordinator, the work group of at
//! least six and the term plan, kept by the school's leaders, counted up the
//! tree on the coverage board, refused across schools, audited.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tongyu_service::testkit::{factory, peek, sql};

use crate::common::{PW, TestApp};

/// The named school's id (the school administrator's grant).
async fn named_school(t: &TestApp) -> i64 {
    let admin = t.login("school-admin").await;
    t.login_unit(&admin).await
}

/// A head teacher of `school` not yet in its group.
async fn another_head_teacher(t: &TestApp, school: i64) -> tongyu_domain::account::Account {
    let path = t.unit(school).await.path;
    let id = sql::int(
        &t.app,
        "SELECT MIN(g.account_id) FROM grants g JOIN units u ON u.id = g.unit_id
         WHERE g.role = 'head_teacher' AND u.path LIKE $1 AND g.account_id NOT IN
           (SELECT account_id FROM work_group_members WHERE school_id = $2)",
        &[format!("{path}%").into(), school.into()],
    )
    .await;
    peek::account(&t.app, id).await
}

/// The board's figure for a unit: schools having the measure at `column`.
fn have(board: &Value, column: usize) -> i64 {
    board["top"]["have"][column].as_i64().expect("a figure")
}

async fn audited(t: &TestApp, action: &str) -> i64 {
    sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE action = $1",
        &[action.into()],
    )
    .await
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

#[tokio::test]
async fn a_school_administrator_completes_the_group_and_every_board_follows() {
    let t = TestApp::demo().await;
    let school = named_school(&t).await;
    let unit = t.unit(school).await;
    let ids = tongyu_domain::org::path_ids(&unit.path);
    let (city, district) = (ids[0], ids[1]);
    let district_admin = t.login("district-admin").await;
    let city_admin = t.login("city-admin").await;
    let (s, before) = t
        .get(&format!("/api/v1/coverage/{district}"), &district_admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{before}");
    let (_, city_before) = t
        .get(&format!("/api/v1/coverage/{city}"), &city_admin)
        .await;
    assert_boards_equal_a_recount(&t).await;

    // The administrator's home lists what the school lacks, each a tap
    // from its page; the district leader's home gives the district's figure.
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let home = b.get("/").await;
    assert!(home.body.contains("学校组织待完善"), "{}", home.body);
    assert!(
        home.body.contains(&format!(
            "<a href=\"/work-group/{school}\">工作小组 5 人，不足 6 人</a>"
        )),
        "{}",
        home.body
    );
    let mut leader = t.browser();
    leader.sign_in("district-admin", PW).await;
    let home = leader.get("/").await;
    assert!(
        home.body.contains("学校组织：工作小组人数达标的学校"),
        "{}",
        home.body
    );
    assert!(
        home.body
            .contains(&format!("href=\"/coverage/{district}\""))
    );

    // The school's page says what is missing, first.
    let hub = b.get("/work-group").await;
    assert_eq!(
        hub.location.as_deref(),
        Some(&*format!("/work-group/{school}"))
    );
    let page = b.get(&format!("/work-group/{school}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("工作小组 5 人，不足 6 人"),
        "{}",
        page.body
    );
    assert!(page.body.contains("本学期家庭教育工作计划未填写"));
    assert!(
        !page.body.contains("尚未明确总协调员"),
        "the demo names one"
    );
    assert!(
        page.body.contains("协调员（演示）"),
        "the coordinator is listed"
    );

    // Adding a sixth member from the school's staff fills the group.
    let newcomer = another_head_teacher(&t, school).await;
    assert!(
        page.body.contains(&format!("value=\"{}\"", newcomer.id)),
        "the school's staff are offered"
    );
    let done = b
        .post(
            &format!("/work-group/{school}/members"),
            &[
                ("account_id", &newcomer.id.to_string()),
                ("duty", "head_teacher"),
                ("login", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = b.get(done.location.as_deref().expect("back")).await;
    assert!(page.body.contains("已加入工作小组"), "{}", page.body);
    assert!(!page.body.contains("不足 6 人"), "{}", page.body);
    assert!(page.body.contains(&newcomer.display_name));

    // The term's plan, in Markdown, shown rendered.
    let (year, term) = tongyu_domain::calendar::Term::of(t.app.now());
    let saved = b
        .post(
            &format!("/work-group/{school}/plan"),
            &[
                ("term", &format!("{year}-{}", term.as_str())),
                (
                    "body",
                    "## 本学期安排\n\n1. 召开家长会\n2. 班主任家访全覆盖",
                ),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = b.get(&format!("/work-group/{school}")).await;
    assert!(page.body.contains("<h2>本学期安排</h2>"), "{}", page.body);
    assert!(
        page.body.contains("工作小组 6 人，本学期工作计划已填写"),
        "{}",
        page.body
    );
    let home = b.get("/").await;
    assert!(
        !home
            .body
            .contains(&format!("href=\"/work-group/{school}\"")),
        "nothing left to do for the group: {}",
        home.body
    );

    // The district's and the city's boards count the school at once.
    let (_, after) = t
        .get(&format!("/api/v1/coverage/{district}"), &district_admin)
        .await;
    assert_eq!(have(&after, 0), have(&before, 0), "coordinator unchanged");
    assert_eq!(have(&after, 1), have(&before, 1) + 1, "group now full");
    assert_eq!(have(&after, 2), have(&before, 2) + 1, "plan saved");
    let (_, city_after) = t
        .get(&format!("/api/v1/coverage/{city}"), &city_admin)
        .await;
    assert_eq!(have(&city_after, 1), have(&city_before, 1) + 1);
    assert_boards_equal_a_recount(&t).await;
    // The district's page lists its units, those with gaps first, and the
    // export carries the same figures.
    let mut d = t.browser();
    d.sign_in("district-admin", PW).await;
    let board = d.get(&format!("/coverage/{district}")).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(board.body.contains("学校组织覆盖") && board.body.contains("工作小组人数达标"));
    let x = d.get(&format!("/coverage/{district}/export.xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);

    // Each change is audited, and so is each read of the members.
    assert_eq!(audited(&t, "work_group.set_member").await, 1);
    assert_eq!(audited(&t, "work_group.plan_create").await, 1);
    assert!(audited(&t, "work_group.read").await >= 3);

    // A higher floor in the plan is in force at once: the group of six
    // falls short of seven, and every board is recounted.
    let plan = tongyu_domain::plan::Plan {
        work_group_min: 7,
        ..Default::default()
    };
    let (s, v) = t
        .api(
            Method::PUT,
            "/api/v1/plan",
            Some(&city_admin),
            Some(json!({"plan": plan, "note": "青教发〔2026〕7号"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, higher) = t
        .get(&format!("/api/v1/coverage/{district}"), &district_admin)
        .await;
    assert!(have(&higher, 1) < have(&after, 1), "{higher}");
    assert_boards_equal_a_recount(&t).await;
    let page = b.get(&format!("/work-group/{school}")).await;
    assert!(
        page.body.contains("工作小组 6 人，不足 7 人"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_member_must_belong_to_the_school_and_nothing_half_saved() {
    let t = TestApp::demo().await;
    let school = named_school(&t).await;
    let admin = t.login("school-admin").await;
    let members = || async {
        sql::int(
            &t.app,
            "SELECT COUNT(*) FROM work_group_members WHERE school_id = $1",
            &[school.into()],
        )
        .await
    };
    let start = members().await;
    let other_school = t.unit_id("school1").await;
    let stranger = peek::account_by_username(
        &t.app,
        &format!(
            "class{}-teacher",
            factory::first_class(&t.app, other_school).await.id
        ),
    )
    .await;
    let put = |account: i64, duty: &'static str| {
        let admin = admin.clone();
        let t = &t;
        async move {
            t.api(
                Method::PUT,
                &format!("/api/v1/work-groups/{school}/members/{account}"),
                Some(&admin),
                Some(json!({ "duty": duty })),
            )
            .await
        }
    };
    // Staff of another school.
    let (s, v) = put(stranger.id, "head_teacher").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "validation_failed");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("不是本校教职工"),
        "{v}"
    );
    // A parent of another school as the committee's representative.
    let outsider =
        factory::guardian_in(&t.app, factory::first_class(&t.app, other_school).await.id).await;
    let (s, v) = put(outsider.id, "committee").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("不是本校学生的家长"),
        "{v}"
    );
    // A parent of this school, but as its coordinator.
    let parent = peek::account_by_username(&t.app, "parent").await;
    let (s, v) = put(parent.id, "coordinator").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // A second coordinator.
    let teacher = peek::account_by_username(&t.app, "teacher").await;
    let (s, v) = put(teacher.id, "coordinator").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["message"].as_str().unwrap_or("").contains("总协调员已是"),
        "{v}"
    );
    // An unknown duty.
    let (s, v) = put(teacher.id, "janitor").await;
    assert_eq!(s.as_u16() / 100, 4, "{v}");
    assert_eq!(members().await, start, "nothing saved");
    assert_eq!(audited(&t, "work_group.set_member").await, 0);

    // On the page, the mistake is said in Chinese with what was typed kept.
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    b.get(&format!("/work-group/{school}")).await;
    let page = b
        .post(
            &format!("/work-group/{school}/members"),
            &[
                ("account_id", ""),
                ("login", "nobody-here"),
                ("duty", "committee"),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("找不到这个账号"), "{}", page.body);
    assert!(page.body.contains("value=\"nobody-here\""));
    // The parent of this school joins by username as the committee's
    // representative.
    let ok = b
        .post(
            &format!("/work-group/{school}/members"),
            &[
                ("account_id", ""),
                ("login", "parent"),
                ("duty", "committee"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(members().await, start + 1);
    // A plan too short, and one for a past term.
    let short = b
        .post(
            &format!("/work-group/{school}/plan"),
            &[("term", "2026-first"), ("body", "家长会")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("至少10个字"), "{}", short.body);
    let (s, v) = t
        .api(
            Method::PUT,
            &format!("/api/v1/work-groups/{school}/plans/2019/first"),
            Some(&admin),
            Some(json!({"body": "二〇一九年的计划，早已过去的学期。"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "term");
    assert_boards_equal_a_recount(&t).await;
}

#[tokio::test]
async fn a_school_sees_only_its_own_group_and_a_district_its_schools() {
    let t = TestApp::demo().await;
    let school = named_school(&t).await;
    let other_district_school = t.unit_id("school1").await;
    let admin = t.login("school-admin").await;
    for path in [
        format!("/api/v1/work-groups/{other_district_school}"),
        format!("/api/v1/coverage/{other_district_school}"),
    ] {
        let (s, v) = t.get(&path, &admin).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    let teacher = peek::account_by_username(&t.app, "teacher").await;
    let (s, _) = t
        .api(
            Method::PUT,
            &format!(
                "/api/v1/work-groups/{other_district_school}/members/{teacher}",
                teacher = teacher.id
            ),
            Some(&admin),
            Some(json!({"duty": "leader"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The district sees its own school's group; not the other district's.
    let district_admin = t.login("district-admin").await;
    let (s, g) = t
        .get(&format!("/api/v1/work-groups/{school}"), &district_admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["standing"]["members"], 5);
    let (s, _) = t
        .get(
            &format!("/api/v1/work-groups/{other_district_school}"),
            &district_admin,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A teacher sees the school but not its people; a head teacher's view
    // is the class.
    let (s, _) = t
        .get(
            &format!("/api/v1/work-groups/{school}"),
            &t.login("teacher").await,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t
        .get(
            &format!("/api/v1/work-groups/{school}"),
            &t.login("head-teacher").await,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A class is not a school.
    let class = factory::first_class(&t.app, school).await;
    let (s, v) = t
        .get(&format!("/api/v1/work-groups/{}", class.id), &admin)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn the_coordinator_named_by_the_school_gets_the_role_to_keep_the_group() {
    let t = TestApp::demo().await;
    let school = named_school(&t).await;
    let admin = t.login("school-admin").await;
    let coordinator = peek::account_by_username(&t.app, "coordinator").await;
    let teacher = peek::account_by_username(&t.app, "teacher").await;
    let district = tongyu_domain::org::path_ids(&t.unit(school).await.path)[1];
    let district_admin = t.login("district-admin").await;
    let (_, before) = t
        .get(&format!("/api/v1/coverage/{district}"), &district_admin)
        .await;
    // The teacher may not keep the group yet.
    let teacher_token = t.login("teacher").await;
    let try_plan = || async {
        let (year, term) = tongyu_domain::calendar::Term::of(t.app.now());
        t.api(
            Method::PUT,
            &format!(
                "/api/v1/work-groups/{school}/plans/{year}/{}",
                term.as_str()
            ),
            Some(&teacher_token),
            Some(json!({"body": "十月开展班主任家访，十一月召开家长会。"})),
        )
        .await
        .0
    };
    assert_eq!(try_plan().await, StatusCode::FORBIDDEN);
    // The demo's coordinator steps down: the school has none.
    let (s, _) = t
        .api(
            Method::DELETE,
            &format!("/api/v1/work-groups/{school}/members/{}", coordinator.id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, g) = t
        .get(&format!("/api/v1/work-groups/{school}"), &admin)
        .await;
    assert!(g["gaps"].to_string().contains("尚未明确总协调员"), "{g}");
    let (_, none) = t
        .get(&format!("/api/v1/coverage/{district}"), &district_admin)
        .await;
    assert_eq!(have(&none, 0), have(&before, 0) - 1);
    // The teacher is named, and given the coordinator's role at the school.
    let (s, v) = t
        .api(
            Method::PUT,
            &format!("/api/v1/work-groups/{school}/members/{}", teacher.id),
            Some(&admin),
            Some(json!({"duty": "coordinator"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["granted_coordinator"], true);
    // A new role ends the sessions opened without it; signed in again, the
    // teacher keeps the group.
    let teacher_token = t.login("teacher").await;
    let (year, term) = tongyu_domain::calendar::Term::of(t.app.now());
    let (s, v) = t
        .api(
            Method::PUT,
            &format!(
                "/api/v1/work-groups/{school}/plans/{year}/{}",
                term.as_str()
            ),
            Some(&teacher_token),
            Some(json!({"body": "十月开展班主任家访，十一月召开家长会。"})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "the new role is in force: {v}");
    let (_, again) = t
        .get(&format!("/api/v1/coverage/{district}"), &district_admin)
        .await;
    assert_eq!(have(&again, 0), have(&before, 0));
    assert_eq!(
        have(&again, 2),
        have(&before, 2) + 1,
        "plan saved by the coordinator"
    );
    // Removing someone not in the group is a plain not-found.
    let (s, _) = t
        .api(
            Method::DELETE,
            &format!("/api/v1/work-groups/{school}/members/{}", coordinator.id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_boards_equal_a_recount(&t).await;
}
