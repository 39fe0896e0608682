//! The coordination groups and their joint meetings (task 1) and the
//! guidance centres (task 2): flags for groups that have not met in time
//! and for overdue decisions, reaching the owner's and the city's homes;
//! dates in order; scope; the centres and their services.

use axum::http::{Method, StatusCode};
use serde_json::json;
use tongyu_service::testkit::{peek, sql};

use crate::common::{PW, TestApp};

fn day(t: &TestApp, back: i64) -> String {
    tongyu_domain::calendar::format_date(tongyu_domain::calendar::local_day(t.app.now()) - back)
}

#[tokio::test]
async fn an_overdue_decision_reaches_its_owner_and_the_city_until_it_is_done() {
    let t = TestApp::demo().await;
    let city = t.unit_id("qingdao").await;
    let d0 = t.unit_id("d0").await;
    let city_admin = t.login("city-admin").await;
    let (s, g) = t
        .get(&format!("/api/v1/coordination/{city}"), &city_admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["standing"]["overdue_items"], 1, "{g}");
    assert_eq!(g["standing"]["meeting_overdue"], false);
    let item = g["open_items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["owner_unit_id"] == d0))
        .expect("the demo's overdue item")
        .clone();
    // Districts needing attention come first: none set up, or late to meet.
    let first = &g["below"][0];
    assert!(
        first["has_group"] == false || first["standing"]["meeting_overdue"] == true,
        "{first}"
    );

    // The owner's home and the city's home both list it.
    let mut district = t.browser();
    district.sign_in("district-admin", PW).await;
    let home = district.get("/").await;
    assert!(
        home.body.contains("协调小组：逾期事项与会议"),
        "{}",
        home.body
    );
    assert!(home.body.contains(item["decision"].as_str().expect("text")));
    let mut c = t.browser();
    c.sign_in("city-admin", PW).await;
    let home = c.get("/").await;
    assert!(home.body.contains(item["decision"].as_str().expect("text")));

    // The district marks it done on the meeting's page.
    let meeting = item["meeting_id"].as_i64().expect("meeting");
    let page = district.get(&format!("/joint-meetings/{meeting}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("已逾期"));
    let done = district
        .post(
            &format!("/meeting-items/{}/done", item["id"]),
            &[
                ("note", "已建成服务站点 10 个"),
                ("back", &format!("/joint-meetings/{meeting}?msg=done")),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let home = district.get("/").await;
    assert!(!home.body.contains(item["decision"].as_str().expect("text")));
    let (_, g) = t
        .get(&format!("/api/v1/coordination/{city}"), &city_admin)
        .await;
    assert_eq!(g["standing"]["overdue_items"], 0, "{g}");
    // Done once only.
    let (s, _) = t
        .post(
            &format!("/api/v1/meeting-items/{}/done", item["id"]),
            &city_admin,
            json!({"note": "再次标记"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let n = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'coordination.close_item'",
        &[],
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_district_that_has_not_met_is_flagged_until_its_meeting_is_recorded() {
    let t = TestApp::demo().await;
    let city = t.unit_id("qingdao").await;
    let city_admin = t.login("city-admin").await;
    let (_, g) = t
        .get(&format!("/api/v1/coordination/{city}"), &city_admin)
        .await;
    let late = g["below"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|b| b["has_group"] == true && b["standing"]["meeting_overdue"] == true)
        })
        .expect("a district late to meet")["unit_id"]
        .as_i64()
        .expect("id");
    let (_, dg) = t
        .get(&format!("/api/v1/coordination/{late}"), &city_admin)
        .await;
    let depts: Vec<i64> = dg["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .map(|d| d["id"].as_i64().expect("id"))
        .collect();
    // A meeting in the future, with a department of another group, or
    // before the group was set up: refused, nothing saved.
    let before = sql::int(&t.app, "SELECT COUNT(*) FROM joint_meetings", &[]).await;
    for (body, field) in [
        (
            json!({"held_on": day(&t, -3), "title": "未来的会议"}),
            "held_on",
        ),
        (
            json!({"held_on": day(&t, 1), "title": "联席会议", "present": [999_999]}),
            "present",
        ),
        (
            json!({"held_on": "2001-01-01", "title": "联席会议"}),
            "held_on",
        ),
    ] {
        let (s, v) = t
            .post(
                &format!("/api/v1/coordination/{late}/meetings"),
                &city_admin,
                body,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], field, "{v}");
    }
    assert_eq!(
        sql::int(&t.app, "SELECT COUNT(*) FROM joint_meetings", &[]).await,
        before
    );

    // Recorded on the page with the departments present.
    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    b.get(&format!("/coordination/{late}")).await;
    let mut fields = vec![
        ("held_on".to_owned(), day(&t, 1)),
        (
            "title".to_owned(),
            "区家校社协同育人工作联席会议（补开）".to_owned(),
        ),
        ("agenda".to_owned(), "研究家委会主任培训".to_owned()),
        (
            "minutes".to_owned(),
            "## 纪要\n\n各成员单位汇报工作。".to_owned(),
        ),
    ];
    fields.push((format!("dept_{}", depts[0]), "1".to_owned()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = b
        .post(&format!("/coordination/{late}/meetings"), &refs)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = b.get(saved.location.as_deref().expect("the meeting")).await;
    assert!(page.body.contains("<h2>纪要</h2>"), "{}", page.body);
    assert!(page.body.contains("出席 1 个单位"));
    let meeting: i64 = saved
        .location
        .as_deref()
        .and_then(|l| l.trim_start_matches("/joint-meetings/").split('?').next())
        .and_then(|n| n.parse().ok())
        .expect("id");
    // A decision due before the meeting is refused on the page; one owned
    // by a school of the district is kept.
    let refused = b
        .post(
            &format!("/joint-meetings/{meeting}/items"),
            &[
                ("decision", "完成家委会主任培训"),
                ("owner_unit_id", &late.to_string()),
                ("due_on", "2001-01-01"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("完成时限早于会议日期"),
        "{}",
        refused.body
    );
    let (s, v) = t
        .post(
            &format!("/api/v1/joint-meetings/{meeting}/items"),
            &city_admin,
            json!({"decision": "完成家委会主任培训", "owner_unit_id": city, "due_on": day(&t, -30)}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the city is above the district: {v}"
    );
    let (_, after) = t
        .get(&format!("/api/v1/coordination/{city}"), &city_admin)
        .await;
    let row = after["below"]
        .as_array()
        .and_then(|a| a.iter().find(|b| b["unit_id"] == late))
        .expect("the district");
    assert_eq!(row["standing"]["meeting_overdue"], false, "{row}");
}

#[tokio::test]
async fn groups_and_centres_are_seen_only_from_their_unit_and_above() {
    let t = TestApp::demo().await;
    let city = t.unit_id("qingdao").await;
    let d0 = t.unit_id("d0").await;
    let d1 = t.unit_id("d1").await;
    let district_admin = t.login("district-admin").await;
    let school_admin = t.login("school-admin").await;
    for path in [
        format!("/api/v1/coordination/{d1}"),
        format!("/api/v1/coordination/{city}"),
        format!("/api/v1/guidance/{d1}"),
    ] {
        let (s, v) = t.get(&path, &district_admin).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    let (s, _) = t
        .get(&format!("/api/v1/coordination/{d0}"), &school_admin)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = t
        .get(&format!("/api/v1/coordination/{d0}"), &district_admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A school is no place for a group.
    let school = t.login_unit(&school_admin).await;
    let (s, v) = t
        .get(&format!("/api/v1/coordination/{school}"), &school_admin)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // A teacher of the district may not change it.
    let (s, _) = t
        .api(
            Method::PUT,
            &format!("/api/v1/coordination/{d0}"),
            Some(&t.login("researcher").await),
            Some(json!({"lead": "冒名", "set_up_on": day(&t, 1)})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_district_without_a_centre_sets_one_up_and_its_researcher_records_services() {
    let t = TestApp::demo().await;
    let city = t.unit_id("qingdao").await;
    let city_admin = t.login("city-admin").await;
    let (_, c) = t
        .get(&format!("/api/v1/guidance/{city}"), &city_admin)
        .await;
    let missing = c["districts"][0].clone();
    assert_eq!(
        missing["has_center"], false,
        "districts without a centre first: {c}"
    );
    let unit = missing["unit_id"].as_i64().expect("id");
    let (s, v) = t
        .post(
            &format!("/api/v1/guidance/{unit}/services"),
            &city_admin,
            json!({"kind": "lecture", "held_on": day(&t, 1), "title": "家庭教育讲座"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no centre yet: {v}");
    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    b.get(&format!("/guidance/{unit}")).await;
    let bad = b
        .post(
            &format!("/guidance/{unit}"),
            &[
                ("name", "区协同育人指导中心"),
                ("section", "家庭教育科"),
                ("address", ""),
                ("phone", "call me"),
                ("established_on", &day(&t, 10)),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("请填写办公电话"), "{}", bad.body);
    let ok = b
        .post(
            &format!("/guidance/{unit}"),
            &[
                ("name", "区协同育人指导中心"),
                ("section", "家庭教育科"),
                ("address", "香港中路 1 号"),
                ("phone", "0532-85900000"),
                ("established_on", &day(&t, 10)),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, c) = t
        .get(&format!("/api/v1/guidance/{city}"), &city_admin)
        .await;
    let row = c["districts"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["unit_id"] == unit))
        .expect("listed");
    assert_eq!(row["has_center"], true);

    // The demo's researcher serves district d0 and records a consultation.
    let d0 = t.unit_id("d0").await;
    let researcher = t.login("researcher").await;
    let me = peek::account_by_username(&t.app, "researcher").await;
    let (_, before) = t.get(&format!("/api/v1/guidance/{d0}"), &researcher).await;
    let consultations = |v: &serde_json::Value| {
        v["totals"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["kind"] == "consultation"))
            .map(|x| x["services"].as_i64().unwrap_or(0))
            .unwrap_or(0)
    };
    let (s, v) = t
        .post(
            &format!("/api/v1/guidance/{d0}/services"),
            &researcher,
            json!({"kind": "consultation", "held_on": day(&t, 0), "title": "青春期亲子沟通咨询",
                   "people": 3, "researcher_id": me.id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, after) = t.get(&format!("/api/v1/guidance/{d0}"), &researcher).await;
    assert_eq!(consultations(&after), consultations(&before) + 1);
    assert_eq!(after["services"][0]["researcher"][1], me.display_name);
    // Not for another district, and not naming someone who is no researcher.
    let (s, _) = t
        .post(
            &format!("/api/v1/guidance/{unit}/services"),
            &researcher,
            json!({"kind": "consultation", "held_on": day(&t, 0), "title": "越区服务"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let admin = peek::account_by_username(&t.app, "district-admin").await;
    let (s, v) = t
        .post(
            &format!("/api/v1/guidance/{d0}/services"),
            &researcher,
            json!({"kind": "lecture", "held_on": day(&t, 0), "title": "家庭教育讲座", "researcher_id": admin.id}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "researcher_id");
}
