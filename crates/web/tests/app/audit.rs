//! The audit log: every change and every read of a child's data, chained.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{PW, TestApp, tamper};

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

#[tokio::test]
async fn a_rewritten_and_relinked_chain_is_caught_without_the_key() {
    let t = TestApp::demo().await;
    t.login("city-admin").await;
    t.login("teacher").await;
    assert_eq!(
        tongyu_service::audit::verify(&t.app)
            .await
            .expect("verify")
            .first_bad,
        None
    );
    tamper::relink_audit_from(&t.app, 3, None).await;
    let report = tongyu_service::audit::verify(&t.app).await.expect("verify");
    assert_eq!(
        report.first_bad,
        Some(3),
        "plain SHA-256 links no longer pass"
    );
    tamper::relink_audit_from(&t.app, 3, Some([7; 32])).await;
    let report = tongyu_service::audit::verify(&t.app).await.expect("verify");
    assert_eq!(report.first_bad, Some(3), "nor links under another key");
}

#[tokio::test]
async fn the_head_written_outside_the_database_catches_a_cut_tail() {
    use tongyu_service::audit::{MarkCheck, check_mark, mark_head};
    let t = TestApp::demo().await;
    t.login("city-admin").await;
    let path = t.media_dir.with_extension("head.json");
    assert_eq!(
        check_mark(&t.app, &path).await.expect("check"),
        MarkCheck::Missing
    );
    let mark = mark_head(&t.app, &path).await.expect("mark");
    assert!(matches!(
        check_mark(&t.app, &path).await.expect("check"),
        MarkCheck::Holds(_)
    ));
    // More entries after the mark are fine.
    t.login("teacher").await;
    assert!(matches!(
        check_mark(&t.app, &path).await.expect("check"),
        MarkCheck::Holds(_)
    ));
    // A writer cuts the log back before the mark and fixes the head row so
    // the chain itself still verifies: the mark outside catches it.
    let cut = mark.seq - 1;
    let before = tamper::audit_hash_at(&t.app, cut).await;
    t.app
        .db
        .execute_raw(&format!("DELETE FROM audit_log WHERE seq > {cut}"))
        .await
        .expect("cut");
    t.app
        .db
        .execute_raw(&format!(
            "UPDATE audit_head SET seq = {cut}, last_hash = '{before}' WHERE id = 1"
        ))
        .await
        .expect("head");
    assert_eq!(
        tongyu_service::audit::verify(&t.app)
            .await
            .expect("verify")
            .first_bad,
        None,
        "the chain alone looks whole"
    );
    assert!(matches!(
        check_mark(&t.app, &path).await.expect("check"),
        MarkCheck::Broken(_)
    ));
    // A mark file edited by hand does not pass either.
    let forged = std::fs::read_to_string(&path)
        .expect("mark")
        .replace(&format!("\"seq\":{}", mark.seq), &format!("\"seq\":{cut}"));
    std::fs::write(&path, forged).expect("write");
    assert_eq!(
        check_mark(&t.app, &path).await.expect("check"),
        MarkCheck::Forged
    );
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn reading_the_audit_log_is_itself_recorded() {
    let t = TestApp::demo().await;
    let auditor = t.login("audit-admin").await;
    let (s, _) = t
        .get("/api/v1/audit?action=auth.login&limit=3", &auditor)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, log) = t.get("/api/v1/audit?action=audit.read", &auditor).await;
    let items = log["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["actor"], "audit-admin");
    assert!(
        items[0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("action=auth.login")
    );
}
