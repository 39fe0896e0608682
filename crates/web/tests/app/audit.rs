//! The audit log: every change and every read of a child's data, chained.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{PW, TestApp};

#[tokio::test]
async fn changes_and_roster_reads_are_logged_with_who_what_and_where() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let school = t.unit_id("school0").await;
    let (s, _) = t.post("/api/v1/accounts", &admin, json!({"username": "audited-1", "display_name": "张老师", "role": "teacher", "unit_id": school})).await;
    assert_eq!(s, StatusCode::CREATED);
    let teacher = t.login("head-teacher").await;
    let class = t.login_unit(&teacher).await;
    assert_eq!(
        t.get(&format!("/api/v1/classes/{class}/roster"), &teacher)
            .await
            .0,
        StatusCode::OK
    );
    // A refused action is logged too.
    assert_eq!(
        t.get("/api/v1/audit", &teacher).await.0,
        StatusCode::FORBIDDEN
    );

    let auditor = t.login("audit-admin").await;
    let (s, log) = t.get("/api/v1/audit?limit=50", &auditor).await;
    assert_eq!(s, StatusCode::OK);
    let items = log["items"].as_array().expect("items");
    let find = |action: &str| items.iter().find(|e| e["action"] == action).cloned();
    let created = find("account.create").expect("account.create logged");
    assert_eq!(created["actor"], "school-admin");
    assert_eq!(created["unit_id"], school);
    assert_eq!(created["result"], "ok");
    assert!(!created["request_id"].as_str().unwrap_or("").is_empty());
    let read = find("student.read_roster").expect("roster read logged");
    assert_eq!(read["actor"], "head-teacher");
    assert_eq!(read["object_id"], class.to_string());
    let denied = items
        .iter()
        .find(|e| e["result"] == "denied" && e["actor"] == "head-teacher")
        .expect("refusal logged");
    assert_eq!(denied["action"], "ReadAudit");
    let logins = items
        .iter()
        .filter(|e| e["action"] == "auth.login" && e["result"] == "ok")
        .count();
    assert!(logins >= 3);
}

#[tokio::test]
async fn the_chain_verifies_and_catches_an_edited_entry() {
    let t = TestApp::demo().await;
    let admin = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    for i in 0..3 {
        t.post(
            &format!("/api/v1/units/{city}/children"),
            &admin,
            json!({"name": format!("新区{i}")}),
        )
        .await;
    }
    let report = tongyu_service::audit::verify(&t.app).await.expect("verify");
    assert_eq!(report.first_bad, None);
    assert!(report.checked >= 5, "{report:?}");
    // Someone edits entry 3 behind the platform's back.
    t.app
        .db
        .execute_raw("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
        .await
        .expect("tamper");
    let report = tongyu_service::audit::verify(&t.app).await.expect("verify");
    assert_eq!(report.first_bad, Some(3));
}

#[tokio::test]
async fn a_deleted_tail_is_caught_too() {
    let t = TestApp::demo().await;
    t.login("city-admin").await;
    t.login("teacher").await;
    let before = tongyu_service::audit::verify(&t.app).await.expect("verify");
    t.app
        .db
        .execute_raw(&format!(
            "DELETE FROM audit_log WHERE seq = {}",
            before.checked
        ))
        .await
        .expect("tamper");
    let after = tongyu_service::audit::verify(&t.app).await.expect("verify");
    assert_eq!(after.first_bad, Some(before.checked));
}

#[tokio::test]
async fn the_audit_page_and_export_are_for_the_audit_role_only() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("audit-admin", PW).await;
    let p = b.get("/audit").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("审计日志") && p.body.contains("auth.login"));
    let p = b.get("/audit/export.csv").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("序号,时间,操作人"));
    let mut other = t.browser();
    other.sign_in("city-admin", PW).await;
    assert_eq!(other.get("/audit").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        other.get("/audit/export.csv").await.status,
        StatusCode::FORBIDDEN
    );
}
