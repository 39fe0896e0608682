//! Trust: each attack that once worked, tried again and refused.

use axum::http::StatusCode;
use serde_json::json;

use tongyu_domain::account::Role;

use crate::common::{PW, TestApp, factory, peek, sql};

/// The id of the account whose username is `username`, as the city sees it.
async fn account_id(t: &TestApp, username: &str) -> i64 {
    peek::account_by_username(&t.app, username).await.id
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
    let peer = factory::staff(
        &t.app,
        "district-peer",
        Role::DistrictAdmin,
        t.unit_id("d0").await,
    )
    .await
    .id;
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

/// A school imports a father with his phone and his child.
async fn imported_father(t: &TestApp) {
    let admin = t.login("school-admin").await;
    let class = t.login_unit(&t.login("head-teacher").await).await;
    let (s, v) = t
        .post(
            &format!("/api/v1/classes/{class}/students"),
            &admin,
            json!({"name": "林小雨", "external_id": "TRUST-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let job = t
        .import(
            &admin,
            "guardians",
            "学生学籍号,家长姓名,手机号,关系\nTRUST-1,林海,13612345678,父亲\n".into(),
        )
        .await;
    assert_eq!(job["errors"].as_array().map(Vec::len), Some(0), "{job}");
}

async fn ask(t: &TestApp, phone: &str) -> (StatusCode, serde_json::Value) {
    t.api(
        axum::http::Method::POST,
        "/api/v1/auth/codes",
        None,
        Some(json!({ "phone": phone })),
    )
    .await
}

async fn try_code(t: &TestApp, code: &str) -> (StatusCode, serde_json::Value) {
    t.api(
        axum::http::Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({"phone": "13612345678", "sms_code": code,
                     "display_name": "林海", "password": "Lin-Hai-Family-1"})),
    )
    .await
}

#[tokio::test]
async fn an_imported_parent_s_account_opens_only_with_a_code_sent_to_the_phone() {
    let t = TestApp::demo().await;
    imported_father(&t).await;
    // Knowing the number is not enough: no code, a made-up code, a code for
    // something else.
    for code in ["", "123456", "999999"] {
        let (s, v) = t
            .api(
                axum::http::Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({"phone": "13612345678", "sms_code": code,
                             "display_name": "冒充者", "password": "Someone-Else-22"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{code}: {v}");
        assert_eq!(v["field"], "sms_code", "{v}");
    }
    assert!(t.sms.sent().is_empty(), "nothing was sent");
    // Asking for a code looks the same for a known and an unknown number.
    let (s1, known) = ask(&t, "13612345678").await;
    let (s2, unknown) = ask(&t, "13787654321").await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(known["valid_s"], unknown["valid_s"]);
    assert_eq!(known["retry_after_s"], unknown["retry_after_s"]);
    assert_eq!(known["phone"], "136****5678");
    // Five wrong answers spend the code; the right one then fails too.
    let code = t.last_code("13612345678");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(
            try_code(&t, wrong).await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(
        try_code(&t, &code).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A second code within the minute is refused; after it, a new one works,
    // but not once five minutes have passed.
    let (s, v) = ask(&t, "13612345678").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    t.clock.advance(61);
    ask(&t, "13612345678").await;
    t.clock.advance(5 * 60 + 1);
    let late = t.last_code("13612345678");
    assert_eq!(
        try_code(&t, &late).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    ask(&t, "13612345678").await;
    let (s, v) = try_code(&t, &t.last_code("13612345678")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The account the school made is the one accepted, with its child.
    let token = v["token"].as_str().expect("token");
    let (_, mine) = t.get("/api/v1/me/lessons", token).await;
    assert_eq!(mine["children"][0]["name"], "林小雨", "{mine}");
    let (_, me) = t.get("/api/v1/me", token).await;
    assert!(
        !me["username"]
            .as_str()
            .unwrap_or("")
            .contains("13612345678"),
        "{me}"
    );
}

#[tokio::test]
async fn text_messages_go_out_once_are_retried_and_never_log_the_code() {
    let t = TestApp::demo().await;
    t.sms.set_failing(true);
    let (s, _) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/codes",
            None,
            Some(json!({"phone": "13787654321"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::ACCEPTED,
        "the request is taken even if the provider is down"
    );
    assert!(t.sms.sent().is_empty());
    t.sms.set_failing(false);
    // Not yet due: the sender waits before trying again.
    assert_eq!(
        tongyu_service::sms::deliver_due(&t.app)
            .await
            .expect("round"),
        0
    );
    t.clock.advance(31);
    assert_eq!(
        tongyu_service::sms::deliver_due(&t.app)
            .await
            .expect("round"),
        1
    );
    assert_eq!(
        tongyu_service::sms::deliver_due(&t.app)
            .await
            .expect("round"),
        0
    );
    assert_eq!(t.sms.sent().len(), 1, "sent once");
    let code = t.last_code("13787654321");
    // The outbox keeps no code once sent; the audit log never had it.
    let params = sql::texts(&t.app, "SELECT params FROM sms_outbox", &[]).await;
    assert_eq!(params, vec![String::new()]);
    let details = sql::texts(
        &t.app,
        "SELECT actor || ' ' || detail || ' ' || object_id FROM audit_log",
        &[],
    )
    .await;
    assert!(
        details.iter().any(|d| d.contains("137****4321")),
        "{details:?}"
    );
    assert!(!details.iter().any(|d| d.contains(&code)), "{details:?}");
    assert!(
        !details.iter().any(|d| d.contains("13787654321")),
        "{details:?}"
    );
}

/// What the stand-in SMS service received: the form's fields.
type Received = std::sync::Arc<std::sync::Mutex<Vec<Vec<(String, String)>>>>;

/// A local stand-in for the SMS service: it checks each request's
/// signature as the service would and answers in its format; the first
/// `fail_first` requests are refused as the service refuses a bad template.
async fn sms_stand_in(secret: &'static str, fail_first: usize) -> (String, Received) {
    use axum::routing::post;
    let got: Received = Default::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/",
        post(move |body: String| {
            let seen = seen.clone();
            async move {
                let fields: Vec<(String, String)> =
                    serde_urlencoded::from_str(&body).expect("a form");
                let signature = fields
                    .iter()
                    .find(|(k, _)| k == "Signature")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                let signed: Vec<(String, String)> =
                    fields.iter().filter(|(k, _)| k != "Signature").cloned().collect();
                let expected =
                    tongyu_service::sms::aliyun_signature("POST", &signed, secret);
                let n = {
                    let mut v = seen.lock().expect("lock");
                    v.push(fields);
                    v.len()
                };
                let answer = if signature != expected {
                    json!({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"})
                } else if n <= fail_first {
                    json!({"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"})
                } else {
                    json!({"Code": "OK", "Message": "OK", "BizId": format!("biz-{n}"), "RequestId": "r"})
                };
                axum::Json(answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), got)
}

fn aliyun(endpoint: String, secret: &str) -> tongyu_service::sms::Aliyun {
    tongyu_service::sms::Aliyun {
        endpoint,
        access_key_id: "LTAI-test".into(),
        access_key_secret: secret.into(),
        sign_name: "同育".into(),
        template_verify: "SMS_100".into(),
        template_appeal_link: "SMS_200".into(),
        region: "cn-hangzhou".into(),
    }
}

#[tokio::test]
async fn codes_go_through_the_sms_service_signed_as_it_specifies() {
    let t = TestApp::empty().await;
    let (endpoint, got) = sms_stand_in("s3cret", 1).await;
    let app = t
        .app
        .clone()
        .with_sms(std::sync::Arc::new(aliyun(endpoint.clone(), "s3cret")));
    let origin = tongyu_service::Origin {
        ip: "127.0.0.9".into(),
        request_id: "r1".into(),
    };
    let sent = tongyu_service::verify::send_code(
        &app,
        &origin,
        "13900000077",
        tongyu_domain::verify::Purpose::Register,
    )
    .await
    .expect("taken");
    assert_eq!(sent.phone, "139****0077");
    // The service refused the first try; the sender tries again later.
    assert_eq!(got.lock().expect("lock").len(), 1);
    t.clock.advance(31);
    assert_eq!(
        tongyu_service::sms::deliver_due(&app).await.expect("round"),
        1
    );
    let requests = got.lock().expect("lock").clone();
    assert_eq!(requests.len(), 2);
    let field = |k: &str| {
        requests[1]
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(field("Action"), "SendSms");
    assert_eq!(field("PhoneNumbers"), "13900000077");
    assert_eq!(field("SignName"), "同育");
    assert_eq!(field("TemplateCode"), "SMS_100");
    assert_eq!(field("SignatureMethod"), "HMAC-SHA1");
    let param: serde_json::Value = serde_json::from_str(&field("TemplateParam")).expect("json");
    assert_eq!(param["code"].as_str().map(str::len), Some(6));
    // A wrong secret is refused by the service, and the message waits.
    let wrong = t
        .app
        .clone()
        .with_sms(std::sync::Arc::new(aliyun(endpoint, "not-the-secret")));
    t.clock.advance(61);
    tongyu_service::verify::send_code(
        &wrong,
        &origin,
        "13900000077",
        tongyu_domain::verify::Purpose::Register,
    )
    .await
    .expect("taken, to be retried");
    let pending = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM sms_outbox WHERE status = 'pending'",
        &[],
    )
    .await;
    assert_eq!(pending, 1);
}

#[tokio::test]
async fn pages_carry_a_policy_without_inline_script_and_no_inline_handlers() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("school-admin", PW).await;
    let school = t.unit_id("school0").await;
    let req = axum::http::Request::builder()
        .uri("/login")
        .body(axum::body::Body::empty())
        .expect("request");
    let (_, headers, _) = t.send(req).await;
    let csp = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("a policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("object-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(
        headers.get("referrer-policy").map(|v| v.as_bytes()),
        Some(&b"same-origin"[..])
    );
    assert!(
        headers.get("strict-transport-security").is_none(),
        "plain HTTP here"
    );
    // No page relies on inline script or style the policy would block.
    for path in [
        format!("/org/{school}"),
        format!("/org/{school}/people"),
        "/learn".to_owned(),
        "/appeals".to_owned(),
        "/me".to_owned(),
    ] {
        let p = b.get(&path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        for bad in [
            " onsubmit=",
            " onclick=",
            " onchange=",
            " style=\"",
            "<script>",
        ] {
            assert!(!p.body.contains(bad), "{path} has {bad}");
        }
    }
}

#[tokio::test]
async fn secure_deployments_send_hsts_and_host_only_cookies() {
    let t = TestApp::demo().await;
    let state = tongyu_web::AppState::new(
        t.app.clone(),
        tongyu_web::WebConfig {
            secure_cookies: true,
            ..tongyu_web::WebConfig::default()
        },
    );
    let router = tongyu_web::router(state);
    let body =
        serde_urlencoded::to_string([("username", "teacher"), ("password", PW), ("next", "/")])
            .expect("form");
    use tower::ServiceExt;
    let res = router
        .clone()
        .oneshot(
            axum::http::Request::get("/login")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    assert!(res.headers().get("strict-transport-security").is_some());
    let csrf_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-tongyu_csrf="))
        .expect("a host-only CSRF cookie")
        .to_owned();
    assert!(csrf_cookie.contains("Secure") && csrf_cookie.contains("Path=/"));
    let token = csrf_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("value");
    // A cookie without the prefix (as a sibling host could set) is ignored.
    let res = router
        .clone()
        .oneshot(
            axum::http::Request::post("/login")
                .header("cookie", format!("tongyu_csrf={token}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!("_csrf={token}&{body}")))
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = router
        .oneshot(
            axum::http::Request::post("/login")
                .header("cookie", format!("__Host-tongyu_csrf={token}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!("_csrf={token}&{body}")))
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-tongyu_session="))
        .expect("a host-only session cookie")
        .to_owned();
    assert!(session.contains("HttpOnly") && session.contains("Secure"));
}

/// The code an authenticator app shows for `secret` now.
fn app_code(t: &TestApp, secret: &str) -> String {
    use tongyu_service::second_factor::{code_at, from_base32, step_of};
    code_at(&from_base32(secret).expect("base32"), step_of(t.app.now()))
}

async fn api_login(t: &TestApp, username: &str) -> serde_json::Value {
    let (s, v) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": PW})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn administrators_set_up_a_second_factor_and_give_it_at_every_sign_in() {
    let t = TestApp::demo().await;
    // A password alone opens nothing for an administrator.
    let v = api_login(&t, "district-admin").await;
    assert_eq!(v["second_factor"], "setup");
    let pending = v["token"].as_str().expect("token").to_owned();
    let (s, e) = t.get("/api/v1/units", &pending).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("second_factor_required"))
    );
    // Set-up: the secret, then its first code; ten recovery codes once.
    let (s, setup) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/second-factor/setup",
            Some(&pending),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{setup}");
    let secret = setup["secret"].as_str().expect("secret").to_owned();
    assert!(
        setup["uri"]
            .as_str()
            .unwrap_or("")
            .starts_with("otpauth://totp/")
    );
    let (s, e) = t
        .post(
            "/api/v1/auth/second-factor",
            &pending,
            json!({"code": "000000"}),
        )
        .await;
    if app_code(&t, &secret) != "000000" {
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    }
    let (s, given) = t
        .post(
            "/api/v1/auth/second-factor",
            &pending,
            json!({"code": app_code(&t, &secret)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{given}");
    let recovery: Vec<String> = given["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    assert_eq!(recovery.len(), 10);
    let token = given["token"].as_str().expect("token").to_owned();
    assert_ne!(token, pending, "the session id is new");
    assert_eq!(
        t.get("/api/v1/units", &pending).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.get("/api/v1/units", &token).await.0, StatusCode::OK);
    // Next sign-in: a code is good once.
    let again = api_login(&t, "district-admin").await;
    assert_eq!(again["second_factor"], "verify");
    let next = again["token"].as_str().expect("token").to_owned();
    let (s, _) = t
        .post(
            "/api/v1/auth/second-factor",
            &next,
            json!({"code": app_code(&t, &secret)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the same code twice");
    t.clock.advance(30);
    let (s, v) = t
        .post(
            "/api/v1/auth/second-factor",
            &next,
            json!({"code": app_code(&t, &secret)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A recovery code stands in for the app, once.
    let third = api_login(&t, "district-admin").await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (s, _) = t
        .post(
            "/api/v1/auth/second-factor",
            &third,
            json!({"code": recovery[0]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let fourth = api_login(&t, "district-admin").await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (s, _) = t
        .post(
            "/api/v1/auth/second-factor",
            &fourth,
            json!({"code": recovery[0]}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a recovery code is spent"
    );
    // Parents and teachers are not asked.
    assert!(api_login(&t, "teacher").await["second_factor"].is_null());
}

#[tokio::test]
async fn wrong_codes_lock_the_account_like_wrong_passwords() {
    let t = TestApp::demo().await;
    let token = api_login(&t, "school-admin").await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (_, setup) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/second-factor/setup",
            Some(&token),
            None,
        )
        .await;
    let secret = setup["secret"].as_str().expect("secret").to_owned();
    let right = app_code(&t, &secret);
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };
    for _ in 0..5 {
        t.post("/api/v1/auth/second-factor", &token, json!({"code": wrong}))
            .await;
    }
    // Locked: the session is gone and the password no longer signs in.
    let (s, _) = t
        .post("/api/v1/auth/second-factor", &token, json!({"code": right}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "school-admin", "password": PW})),
        )
        .await;
    assert_ne!(s, StatusCode::OK);
}

#[tokio::test]
async fn the_second_factor_in_the_browser_and_again_before_sensitive_actions() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.get("/login").await;
    let p = b
        .post(
            "/login",
            &[
                ("username", "school-admin"),
                ("password", PW),
                ("next", "/org"),
            ],
        )
        .await;
    let to = p.location.expect("redirect");
    assert!(to.starts_with("/second-factor?"), "{to}");
    // Nothing else opens before it.
    let p = b.get("/appeals").await;
    assert!(
        p.location
            .as_deref()
            .unwrap_or("")
            .starts_with("/second-factor")
    );
    let p = b.get(&to).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("设置动态口令") && p.body.contains("<svg"),
        "{}",
        p.body
    );
    let secret = p
        .body
        .split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the secret as text")
        .to_owned();
    // A wrong first code keeps the same secret on screen.
    let p = b
        .post("/second-factor", &[("code", "12"), ("next", "/org")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(&secret));
    let p = b
        .post(
            "/second-factor",
            &[("code", &app_code(&t, &secret)), ("next", "/org")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("恢复码") && p.body.matches("<li><code>").count() == 10);
    assert!(p.body.contains("href=\"/org\""));
    let p = b.get("/org").await;
    assert!(
        matches!(p.status, StatusCode::OK | StatusCode::SEE_OTHER),
        "{}",
        p.status
    );
    // Ten minutes later, revealing a phone asks for the factor again and
    // comes back to the account's page.
    t.clock.advance(600);
    let admin = t.login("school-admin").await;
    let (_, list) = t.get("/api/v1/accounts?role=parent&limit=5", &admin).await;
    let id = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["phone"] != ""))
        .and_then(|a| a["id"].as_i64())
        .expect("a parent with a phone");
    let p = b.get(&format!("/accounts/{id}")).await;
    assert_eq!(p.status, StatusCode::OK);
    let p = b.post(&format!("/accounts/{id}/phone"), &[]).await;
    let to = p.location.expect("to the second factor");
    assert_eq!(
        to,
        format!("/second-factor?next=%2Faccounts%2F{id}"),
        "and back to the account"
    );
    let auditor = t.login("audit-admin").await;
    let (_, log) = t
        .get("/api/v1/audit?action=account.reveal_phone", &auditor)
        .await;
    assert_eq!(
        log["items"].as_array().map(Vec::len),
        Some(0),
        "nothing revealed"
    );
    b.get(&to).await;
    t.clock.advance(30);
    let p = b
        .post(
            "/second-factor",
            &[
                ("code", &app_code(&t, &secret)),
                ("next", &format!("/accounts/{id}")),
            ],
        )
        .await;
    assert_eq!(
        p.location.as_deref(),
        Some(format!("/accounts/{id}").as_str())
    );
    b.get(&format!("/accounts/{id}")).await;
    let p = b.post(&format!("/accounts/{id}/phone"), &[]).await;
    assert!(
        matches!(p.status, StatusCode::OK | StatusCode::SEE_OTHER),
        "{}",
        p.status
    );
    let (_, log) = t
        .get("/api/v1/audit?action=account.reveal_phone", &auditor)
        .await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(1), "{log}");
}

#[test]
fn the_client_address_is_the_right_most_one_no_trusted_proxy_added() {
    use tongyu_web::extract::{Cidr, client_ip};
    let proxies = [
        Cidr::parse("10.0.0.0/8").expect("net"),
        Cidr::parse("::1").expect("one"),
    ];
    let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("ip");
    // From a proxy: the client is what it appended, whatever the client
    // put in front of it.
    assert_eq!(
        client_ip(Some(ip("10.0.0.5")), "6.6.6.6, 203.0.113.7", &proxies),
        Some(ip("203.0.113.7"))
    );
    // Through two proxies of ours.
    assert_eq!(
        client_ip(
            Some(ip("10.0.0.5")),
            "1.2.3.4, 203.0.113.7, 10.0.0.9",
            &proxies
        ),
        Some(ip("203.0.113.7"))
    );
    // Not from a proxy: the header is the client's own words.
    assert_eq!(
        client_ip(Some(ip("198.51.100.2")), "10.0.0.1", &proxies),
        Some(ip("198.51.100.2"))
    );
    assert_eq!(
        client_ip(Some(ip("::1")), "garbage", &proxies),
        Some(ip("::1"))
    );
    assert!(Cidr::parse("10.0.0.0/33").is_none() && Cidr::parse("nope").is_none());
    assert!(
        Cidr::parse("0.0.0.0/0")
            .expect("all")
            .contains(ip("8.8.8.8"))
    );
}

#[tokio::test]
async fn limits_hold_in_the_database_for_every_instance() {
    let t = TestApp::demo().await;
    // A second instance on the same database: its own router and memory.
    let other = tongyu_web::router(tongyu_web::AppState::new(
        t.app.clone(),
        tongyu_web::WebConfig::default(),
    ));
    let send = |router: axum::Router, phone: &'static str| async move {
        use tower::ServiceExt;
        router
            .oneshot(
                axum::http::Request::post("/api/v1/auth/codes")
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(
                        json!({ "phone": phone }).to_string(),
                    ))
                    .expect("request"),
            )
            .await
            .expect("answer")
            .status()
    };
    // One code a minute per phone, wherever the request lands.
    assert_eq!(
        send(t.router.clone(), "13711112222").await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        send(other.clone(), "13711112222").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Sign-in failures lock the account across instances and answer like
    // a wrong password.
    let bad = json!({"username": "teacher", "password": "not-the-password"});
    for i in 0..6 {
        let router = if i % 2 == 0 {
            t.router.clone()
        } else {
            other.clone()
        };
        use tower::ServiceExt;
        let res = router
            .oneshot(
                axum::http::Request::post("/api/v1/auth/login")
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(bad.to_string()))
                    .expect("request"),
            )
            .await
            .expect("answer");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let (s, e) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "teacher", "password": PW})),
        )
        .await;
    let (s2, e2) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "no-such-user", "password": PW})),
        )
        .await;
    assert_eq!((s, &e), (s2, &e2), "locked looks like wrong: {e}");
    assert_eq!(e["code"], "invalid_credentials");
}

#[tokio::test]
async fn a_parent_moves_to_a_new_phone_with_a_code_and_can_close_the_account() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("13900000001", PW).await;
    let p = b.get("/me").await;
    assert!(p.body.contains("更换手机号") && p.body.contains("注销账号"));
    // The code goes to the new number; the password is asked again.
    let p = b.post("/me/phone/code", &[("phone", "13512340000")]).await;
    assert!(p.body.contains("验证码已发送至 135****0000"), "{}", p.body);
    let code = t.last_code("13512340000");
    let p = b
        .post(
            "/me/phone",
            &[
                ("phone", "13512340000"),
                ("sms_code", &code),
                ("password", "wrong-password"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = b
        .post(
            "/me/phone",
            &[
                ("phone", "13512340000"),
                ("sms_code", &code),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("手机号已更换") && p.body.contains("135****0000"));
    t.login_with("13512340000", PW).await;
    // Someone else's number cannot be taken, even with its code.
    t.clock.advance(61);
    b.post("/me/phone/code", &[("phone", "13900000002")]).await;
    let p = b
        .post(
            "/me/phone",
            &[
                ("phone", "13900000002"),
                ("sms_code", &t.last_code("13900000002")),
                ("password", PW),
            ],
        )
        .await;
    assert!(p.body.contains("已被其他账号使用"), "{}", p.body);
    // Closing: the password and a tick; then the account is gone.
    let p = b
        .post("/me/close", &[("password", PW), ("confirm", "1")])
        .await;
    assert_eq!(p.location.as_deref(), Some("/login?closed=1"));
    let (s, _) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "13512340000", "password": PW})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let auditor = t.login("audit-admin").await;
    let (_, log) = t.get("/api/v1/audit?action=account.c", &auditor).await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["account.close", "account.change_phone"],
        "{log}"
    );
    // Staff close nothing of their own.
    let mut staff = t.browser();
    staff.sign_in("teacher", PW).await;
    assert!(!staff.get("/me").await.body.contains("注销账号"));
    let p = staff
        .post("/me/close", &[("password", PW), ("confirm", "1")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_children_s_privacy_notice_is_public() {
    let t = TestApp::empty().await;
    let mut b = t.browser();
    let p = b.get("/privacy/children").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("儿童个人信息保护规则"));
    assert!(
        p.body
            .contains(tongyu_domain::student::CHILDREN_NOTICE_VERSION)
    );
}

#[tokio::test]
async fn the_security_administrator_resets_a_lost_second_factor() {
    let t = TestApp::demo().await;
    // The district administrator sets up a factor.
    let pending = api_login(&t, "district-admin").await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (_, setup) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/second-factor/setup",
            Some(&pending),
            None,
        )
        .await;
    let secret = setup["secret"].as_str().expect("secret").to_owned();
    let (s, _) = t
        .post(
            "/api/v1/auth/second-factor",
            &pending,
            json!({"code": app_code(&t, &secret)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let id = account_id(&t, "district-admin").await;
    // The city administrator cannot remove it; the security administrator can.
    let city = t.login("city-admin").await;
    let (s, _) = t
        .post(
            &format!("/api/v1/accounts/{id}/second-factor/reset"),
            &city,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut b = t.browser();
    b.sign_in("security-admin", PW).await;
    let p = b.get(&format!("/accounts/{id}")).await;
    assert!(p.body.contains("重置动态口令"), "{}", p.body);
    let p = b
        .post(&format!("/accounts/{id}/second-factor/reset"), &[])
        .await;
    assert_eq!(p.location, Some(format!("/accounts/{id}?msg=factor_reset")));
    // Next sign-in sets one up again.
    assert_eq!(
        api_login(&t, "district-admin").await["second_factor"],
        "setup"
    );
}

#[tokio::test]
async fn a_session_gets_a_new_id_when_its_grants_change() {
    let t = TestApp::demo().await;
    let mut b = t.browser();
    b.sign_in("teacher", PW).await;
    let first = b.cookies.get("tongyu_session").cloned().expect("a session");
    assert_eq!(b.get("/me").await.status, StatusCode::OK);
    let bearer = t.login("teacher").await;
    let teacher = account_id(&t, "teacher").await;
    let school = t.unit_id("school0").await;

    // The city gives the teacher a second role.
    let city = t.login("city-admin").await;
    let (s, v) = t
        .post(
            &format!("/api/v1/accounts/{teacher}/grants"),
            &city,
            json!({"role": "instructor", "unit_id": school}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The browser's next request is answered with a new session id and
    // sent again; the old id opens nothing any more.
    let page = b.get("/me").await;
    assert_eq!(page.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(page.location.as_deref(), Some("/me"));
    let second = b.cookies.get("tongyu_session").cloned().expect("a session");
    assert_ne!(first, second);
    assert_eq!(b.get("/me").await.status, StatusCode::OK);
    let mut stale = t.browser();
    stale.cookies.insert("tongyu_session".into(), first);
    let page = stale.get("/me").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap_or_default().starts_with("/login"));
    // A bearer session ends: its client signs in again.
    let (s, v) = t.get("/api/v1/me", &bearer).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(v["code"], "session_expired");

    // Taking the role away renews it again.
    let (s, _) = t
        .api(
            axum::http::Method::DELETE,
            &format!("/api/v1/accounts/{teacher}/grants/instructor/{school}"),
            Some(&city),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(b.get("/me").await.status, StatusCode::TEMPORARY_REDIRECT);
    assert_ne!(b.cookies.get("tongyu_session"), Some(&second));
    assert_eq!(b.get("/me").await.status, StatusCode::OK);
    let renewals = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.session_renewed' AND actor = 'teacher'",
        &[],
    )
    .await;
    assert_eq!(renewals, 2);
}
