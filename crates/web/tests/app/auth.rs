//! Authentication: passwords, lockout, session expiry, CSRF, first login.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::{PW, TestApp};

#[tokio::test]
async fn api_login_gives_a_token_that_works_until_logout() {
    let t = TestApp::demo().await;
    let token = t.login("district-admin").await;
    let (s, me) = t.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["username"], "district-admin");
    assert_eq!(me["grants"][0]["role"], "district_admin");
    assert_eq!(me["grants"][0]["unit_name"], "市南区");
    let (s, _) = t
        .api(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = t.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(e["code"], "unauthenticated");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let t = TestApp::demo().await;
    let (s1, e1) = t
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "city-admin", "password": "nope-nope-nope"})),
        )
        .await;
    let (s2, e2) = t
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "nobody-here", "password": "nope-nope-nope"})),
        )
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(e1["code"], "invalid_credentials");
    assert_eq!(e1, e2);
}

#[tokio::test]
async fn login_by_phone_works() {
    let t = TestApp::demo().await;
    // Demo parents log in by their phone numbers.
    t.login("13900000001").await;
}

#[tokio::test]
async fn five_failures_lock_for_fifteen_minutes_then_unlock() {
    let t = TestApp::demo().await;
    let bad = json!({"username": "teacher", "password": "wrong-password-1"});
    for i in 0..4 {
        let (s, e) = t
            .api(Method::POST, "/api/v1/auth/login", None, Some(bad.clone()))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {e}");
    }
    // The fifth locks, and says no more than a wrong password does.
    let (s, e) = t
        .api(Method::POST, "/api/v1/auth/login", None, Some(bad.clone()))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(e["code"], "invalid_credentials");
    // Even the right password is refused while locked.
    let good = json!({"username": "teacher", "password": PW});
    let (s, _) = t
        .api(Method::POST, "/api/v1/auth/login", None, Some(good.clone()))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    t.clock.advance(14 * 60);
    let (s, _) = t
        .api(Method::POST, "/api/v1/auth/login", None, Some(good.clone()))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    t.clock.advance(61);
    let (s, _) = t
        .api(Method::POST, "/api/v1/auth/login", None, Some(good))
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn an_administrator_unlocks_a_locked_account() {
    let t = TestApp::demo().await;
    for _ in 0..5 {
        t.api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "teacher", "password": "wrong-password-1"})),
        )
        .await;
    }
    let school_admin = t.login("school-admin").await;
    let (_, list) = t
        .get("/api/v1/accounts?q=teacher&role=teacher", &school_admin)
        .await;
    let id = list["items"][0]["id"].as_i64().expect("teacher listed");
    assert!(
        list["items"][0]["locked_until"]
            .as_i64()
            .expect("locked_until")
            > 0
    );
    let (s, _) = t
        .post(
            &format!("/api/v1/accounts/{id}/unlock"),
            &school_admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    t.login("teacher").await;
}

#[tokio::test]
async fn idle_timeout_is_shorter_for_administrators() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let teacher = t.login("teacher").await;
    t.clock.advance(14 * 60);
    assert_eq!(t.get("/api/v1/me", &admin).await.0, StatusCode::OK);
    assert_eq!(t.get("/api/v1/me", &teacher).await.0, StatusCode::OK);
    // Each request slides the idle window; 16 quiet minutes end the admin's.
    t.clock.advance(16 * 60);
    let (s, e) = t.get("/api/v1/me", &admin).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(e["code"], "session_expired");
    assert_eq!(t.get("/api/v1/me", &teacher).await.0, StatusCode::OK);
    t.clock.advance(31 * 60);
    assert_eq!(
        t.get("/api/v1/me", &teacher).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn absolute_expiry_after_eight_hours_even_when_active() {
    let t = TestApp::demo().await;
    let token = t.login("teacher").await;
    // Active every 15 minutes for 7 h 45 min: still signed in.
    for _ in 0..31 {
        t.clock.advance(15 * 60);
        assert_eq!(t.get("/api/v1/me", &token).await.0, StatusCode::OK);
    }
    // Sixteen more minutes: past eight hours, though not idle for long.
    t.clock.advance(16 * 60);
    let (s, e) = t.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(e["code"], "session_expired");
}

#[tokio::test]
async fn page_login_sets_a_new_session_id_each_time() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    let p = b.sign_in("district-admin", PW).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let first = b
        .cookies
        .get("tongyu_session")
        .cloned()
        .expect("session cookie");
    let p = b.sign_in("district-admin", PW).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let second = b
        .cookies
        .get("tongyu_session")
        .cloned()
        .expect("session cookie");
    assert_ne!(first, second);
    // The session presented at the second login is gone.
    let mut old = t.browser();
    old.cookies.insert("tongyu_session".into(), first);
    let p = old.get("/org").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap_or_default().starts_with("/login"));
}

#[tokio::test]
async fn session_cookie_is_httponly_and_samesite() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.get("/login").await;
    let body = serde_urlencoded::to_string([
        ("_csrf", b.csrf.as_str()),
        ("username", "teacher"),
        ("password", PW),
    ])
    .expect("form");
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(
            "cookie",
            format!("tongyu_csrf={}", b.cookies["tongyu_csrf"]),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .expect("request");
    let (_, headers, _) = t.send(req).await;
    let cookie = headers
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .expect("ascii");
    assert!(cookie.starts_with("tongyu_session="));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    let city = t.unit_id("qingdao").await;
    b.get(&format!("/org/{city}")).await;
    let p = b
        .post_raw(&format!("/org/{city}/children"), &[("name", "新区")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("页面已过期"), "{}", p.body);
    let p = b
        .post_raw(
            &format!("/org/{city}/children"),
            &[("_csrf", "forged-token-value"), ("name", "新区")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // With the token the same form works.
    let p = b
        .post(&format!("/org/{city}/children"), &[("name", "新区")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // And the login form itself needs its token.
    let mut anon = t.browser();
    let p = anon
        .post_raw("/login", &[("username", "teacher"), ("password", PW)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_new_account_must_change_its_password_first() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let school = t.unit(t.login_unit(&admin).await).await;
    let (s, v) = t
        .post("/api/v1/accounts", &admin, json!({"username": "new-teacher", "display_name": "李老师", "role": "teacher", "unit_id": school.id}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let initial = v["initial_password"]
        .as_str()
        .expect("initial password")
        .to_owned();
    let token = t.login_with("new-teacher", &initial).await;
    let (s, e) = t.get(&format!("/api/v1/units/{}", school.id), &token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(e["code"], "password_change_required");
    // The rules apply to the new password.
    let (s, e) = t
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"current": initial, "new": "1234567890"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["field"], "password");
    let (s, _) = t
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"current": initial, "new": "new-teacher-pass"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "containing the username is refused"
    );
    let (s, _) = t
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"current": initial, "new": "Sea-breeze-2026"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&format!("/api/v1/units/{}", school.id), &token)
            .await
            .0,
        StatusCode::OK
    );

    // In the browser the first page is the password page.
    let mut b = t.browser();
    let (_, v) = t
        .post("/api/v1/accounts", &admin, json!({"username": "second-teacher", "display_name": "王老师", "role": "teacher", "unit_id": school.id}))
        .await;
    let p = b
        .sign_in(
            "second-teacher",
            v["initial_password"].as_str().expect("pw"),
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/password"));
    let p = b.get("/org").await;
    assert_eq!(p.location.as_deref(), Some("/password"));
}

impl TestApp {
    /// The unit of the caller's first grant.
    pub async fn login_unit(&self, token: &str) -> i64 {
        let (_, me) = self.get("/api/v1/me", token).await;
        me["grants"][0]["unit_id"].as_i64().expect("a grant")
    }
}
