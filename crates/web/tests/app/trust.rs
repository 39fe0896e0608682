//! Trust: each attack that once worked, tried again and refused.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{PW, TestApp};

/// The id of the account whose username is `username`, as the city sees it.
async fn account_id(t: &TestApp, username: &str) -> i64 {
    let mut c = t.app.db.read().await.expect("conn");
    tongyu_store::account::find_for_login(&mut c, username)
        .await
        .expect("query")
        .expect("account exists")
        .0
        .id
}

#[tokio::test]
async fn login_never_sends_the_browser_to_another_site() {
    let t = TestApp::demo().await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "/ /evil.example",
    ] {
        let mut b = t.browser();
        b.get("/login").await;
        let p = b
            .post(
                "/login",
                &[("username", "teacher"), ("password", PW), ("next", next)],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(p.location.as_deref(), Some("/"), "{next:?}");
    }
    // A path of this site is kept.
    let mut b = t.browser();
    b.get("/login").await;
    let p = b
        .post(
            "/login",
            &[
                ("username", "teacher"),
                ("password", PW),
                ("next", "/org?x=1"),
            ],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/org?x=1"));
}

#[tokio::test]
async fn no_unit_administrator_resets_the_separated_administrators_or_a_peer() {
    let t = TestApp::demo().await;
    let city = t.login("city-admin").await;
    for target in ["audit-admin", "security-admin", "system-admin"] {
        let id = account_id(&t, target).await;
        for path in ["reset-password", "deactivate"] {
            let (s, v) = t
                .post(&format!("/api/v1/accounts/{id}/{path}"), &city, json!({}))
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "city-admin {path} {target}: {v}");
            assert!(v.get("initial_password").is_none());
        }
    }
    // A peer at the same level is refused too: the level above does it.
    let district = t.login("district-admin").await;
    let (s, v) = t
        .post(
            "/api/v1/accounts",
            &city,
            json!({"username": "district-peer", "display_name": "同级", "role": "district_admin",
                   "unit_id": t.unit_id("d0").await}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let peer = v["id"].as_i64().expect("id");
    let (s, _) = t
        .post(
            &format!("/api/v1/accounts/{peer}/reset-password"),
            &district,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The security administrator manages system administrators, not the audit one.
    let security = t.login("security-admin").await;
    let system = account_id(&t, "system-admin").await;
    let (s, v) = t
        .post(
            &format!("/api/v1/accounts/{system}/reset-password"),
            &security,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let audit_admin = account_id(&t, "audit-admin").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/accounts/{audit_admin}/reset-password"),
            &security,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The audit administrator still signs in with the old password, and the
    // refusals are in the log.
    let auditor = t.login("audit-admin").await;
    let (_, log) = t
        .get("/api/v1/audit?action=ManageAccounts&limit=50", &auditor)
        .await;
    let denied = log["items"]
        .as_array()
        .map(|items| items.iter().filter(|e| e["result"] == "denied").count())
        .unwrap_or(0);
    assert_eq!(denied, 8, "{log}");
}
