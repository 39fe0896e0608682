//! Phones and appeal contacts are sealed at rest: the database holds no
//! number or contact name in the clear, sign-in by phone and the handler's
//! view still work, and the data key can be replaced.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tongyu_service::crypto::{DataKeys, field};

use crate::common::{TestApp, peek, sql};

const PARENT_PHONE: &str = "13900000001";

/// Every kept phone, contact and second-factor secret, as the database holds them.
async fn kept_values(t: &TestApp) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for sql in [
        "SELECT COALESCE(phone_sealed, '') FROM accounts",
        "SELECT COALESCE(phone_key, '') FROM accounts",
        "SELECT contact_name FROM appeals",
        "SELECT contact_phone FROM appeals",
        "SELECT phone FROM sms_outbox",
        "SELECT secret FROM second_factors",
    ] {
        let v = sql::texts(&t.app, sql, &[]).await;
        out.extend(v.into_iter().filter(|v| !v.is_empty()));
    }
    out
}

/// Submits an appeal through the school's gate code; its id.
async fn appeal(t: &TestApp, name: &str, phone: &str) -> i64 {
    let admin = t.login("school-admin").await;
    let school = t.login_unit(&admin).await;
    let (_, v) = t
        .get(&format!("/api/v1/schools/{school}/appeal-codes"), &admin)
        .await;
    let qr = v["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["kind"] == "school")
        .expect("the school's code")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/public/appeals",
            None,
            Some(json!({"qr_token": qr, "category": "safety",
                        "text": "放学时学校门口车辆乱停，孩子过马路很危险，希望学校和交警协调。",
                        "contact_name": name, "contact_phone": phone})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["number"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .expect("number")
}

/// The school admin takes the appeal on and reads it as its handler.
async fn as_handler(t: &TestApp, id: i64) -> Value {
    let admin = t.login("school-admin").await;
    let (s, e) = t
        .post(
            &format!("/api/v1/appeals/{id}/contact"),
            &admin,
            json!({"note": "电话联系家长，了解情况"}),
        )
        .await;
    assert!(
        s == StatusCode::NO_CONTENT || s == StatusCode::CONFLICT,
        "{s} {e}"
    );
    let (s, d) = t.get(&format!("/api/v1/appeals/{id}"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    d
}

#[tokio::test]
async fn the_database_holds_no_phone_or_contact_in_the_clear() {
    let t = TestApp::demo().await;
    let id = appeal(&t, "王女士", "13800001234").await;
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/auth/codes",
            None,
            Some(json!({"phone": "13787654321"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let kept = kept_values(&t).await;
    assert!(kept.len() > 10, "{kept:?}");
    for v in &kept {
        for plain in [PARENT_PHONE, "13800001234", "13787654321", "王女士"] {
            assert!(!v.contains(plain), "{plain} kept in the clear: {v}");
        }
    }
    // What they are for still works: sign-in by phone, the text message to
    // the number, the handler's whole number and the masked form in lists.
    t.login(PARENT_PHONE).await;
    assert_eq!(t.last_code("13787654321").len(), 6);
    let d = as_handler(&t, id).await;
    assert_eq!(d["contact_phone"], "13800001234");
    assert_eq!(d["contact_name"], "王女士");
    let city = t.login("city-admin").await;
    let (_, people) = t
        .get(&format!("/api/v1/accounts?q={PARENT_PHONE}"), &city)
        .await;
    let found = &people["items"][0];
    assert_eq!(found["phone"], "139****0001", "{people}");
}

#[tokio::test]
async fn a_new_data_key_reseals_everything_and_the_old_one_is_then_useless() {
    let first = DataKeys::generate_file();
    let t = TestApp::demo_with(|s| s.keys = DataKeys::parse(&first).expect("keys")).await;
    let id = appeal(&t, "王女士", "13800001234").await;
    let before = kept_values(&t).await;
    assert!(
        before
            .iter()
            .all(|v| v.starts_with("v1.1.") || !v.starts_with("v1."))
    );

    // The rotation: a second key is added, everything is sealed with it,
    // then the file keeps the new key only.
    let both = DataKeys::add_key_file(&first).expect("add");
    let rotating = t.reopen(|s| s.keys = DataKeys::parse(&both).expect("keys"));
    let report = tongyu_service::sealing::reseal_if_needed(&rotating.app)
        .await
        .expect("reseal")
        .expect("a reseal was due");
    assert!(report.accounts > 10 && report.appeals >= 1, "{report:?}");
    assert_eq!(report.unreadable, 0);
    let only = DataKeys::current_only_file(&both).expect("only");
    let after = t.reopen(|s| s.keys = DataKeys::parse(&only).expect("keys"));
    assert_eq!(
        tongyu_service::sealing::reseal_if_needed(&after.app)
            .await
            .expect("check"),
        None,
        "nothing left to do"
    );
    for v in kept_values(&after).await {
        if v.starts_with("v1.") {
            assert!(v.starts_with("v1.2."), "{v}");
        }
    }
    after.login(PARENT_PHONE).await;
    let d = as_handler(&after, id).await;
    assert_eq!(d["contact_phone"], "13800001234");

    // The old key alone finds no account by phone and opens no contact.
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": PARENT_PHONE, "password": crate::common::PW})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let old = DataKeys::parse(&first).expect("keys");
    let phone = sql::text(
        &t.app,
        "SELECT contact_phone FROM appeals WHERE id = $1",
        &[id.into()],
    )
    .await;
    assert_eq!(old.open(field::APPEAL_CONTACT_PHONE, &phone), None);
}

#[tokio::test]
async fn values_kept_before_sealing_are_sealed_at_start() {
    let t = TestApp::demo().await;
    let id = appeal(&t, "王女士", "13800001234").await;
    let admin_id = peek::account_by_username(&t.app, "school-admin").await.id;
    // As an older version kept them: in the clear, the factor's secret
    // under the server secret.
    let legacy_factor = t
        .app
        .settings
        .secret
        .encrypt(field::SECOND_FACTOR, "JBSWY3DPEHPK3PXP");
    sql::exec(
        &t.app,
        &[
            (
                "UPDATE accounts SET phone_key = NULL, phone_mask = NULL, phone_sealed = $1 WHERE id = $2",
                vec!["13912345678".into(), admin_id.into()],
            ),
            (
                "UPDATE appeals SET contact_name = $1, contact_phone = $2, contact_sealed = 0 WHERE id = $3",
                vec!["李先生".into(), "13512345678".into(), id.into()],
            ),
            (
                "INSERT INTO second_factors (account_id, secret, created_at) VALUES ($1, $2, 0)",
                vec![admin_id.into(), legacy_factor.into()],
            ),
            ("DELETE FROM sealed_with", vec![]),
        ],
    )
    .await;

    let report = tongyu_service::sealing::reseal_if_needed(&t.app)
        .await
        .expect("reseal")
        .expect("due");
    assert_eq!(
        (report.accounts, report.appeals, report.factors),
        (1, 1, 1),
        "{report:?}"
    );
    for v in kept_values(&t).await {
        for plain in ["13912345678", "李先生", "13512345678", "JBSWY3DPEHPK3PXP"] {
            assert!(!v.contains(plain), "{plain} kept in the clear: {v}");
        }
    }
    // The admin signs in with the number, which lists show masked.
    let token = t.login_with("13912345678", crate::common::PW).await;
    let (_, me) = t.get("/api/v1/me", &token).await;
    assert_eq!(me["username"], "school-admin");
    let d = as_handler(&t, id).await;
    assert_eq!(
        (d["contact_name"].as_str(), d["contact_phone"].as_str()),
        (Some("李先生"), Some("13512345678"))
    );
    let secret = sql::text(
        &t.app,
        "SELECT secret FROM second_factors WHERE account_id = $1",
        &[admin_id.into()],
    )
    .await;
    assert_eq!(
        t.app
            .settings
            .keys
            .open(field::SECOND_FACTOR, &secret)
            .as_deref(),
        Some("JBSWY3DPEHPK3PXP")
    );
}
