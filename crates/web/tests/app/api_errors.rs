//! Bad input gets a stable code and the right status; the API is described.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn malformed_wrong_shaped_and_oversized_bodies() {
    let t = TestApp::demo().await;
    let token = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let send = |body: Body, ct: &'static str| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/units/{city}/children"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(body)
            .expect("request")
    };
    let (s, _, b) = t
        .send(send(Body::from("{not json"), "application/json"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b.contains("\"code\":\"bad_request\""));
    let (s, _, b) = t
        .send(send(Body::from("{\"name\": 5}"), "application/json"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.contains("\"code\":\"validation_failed\""));
    let (s, _, _) = t
        .send(send(
            Body::from("name=x"),
            "application/x-www-form-urlencoded",
        ))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let huge = format!("{{\"name\": \"{}\"}}", "长".repeat(600_000));
    let (s, _, b) = t.send(send(Body::from(huge), "application/json")).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(b.contains("payload_too_large"), "{b}");
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404_and_no_token_is_401() {
    let t = TestApp::demo().await;
    let token = t.login("city-admin").await;
    let (s, e) = t.get("/api/v1/units/999999", &token).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, _) = t.get("/api/v1/accounts/999999", &token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, page) = t
        .send(
            Request::builder()
                .uri("/no-such-page")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("您要找的页面不存在"));
    let (s, e) = t.get("/api/v1/no-such-thing", &token).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, e) = t.api(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (s, _) = t
        .api(Method::GET, "/api/v1/me", Some("made-up-token"), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, e) = t.get("/api/v1/accounts?role=emperor", &token).await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("role"))
    );
}

#[tokio::test]
async fn account_input_is_validated_field_by_field() {
    let t = TestApp::demo().await;
    let token = t.login("school-admin").await;
    let school = t.unit_id("school0").await;
    let base = json!({"username": "valid-name", "display_name": "赵老师", "role": "teacher", "unit_id": school});
    let cases = [
        ("username", json!("张三"), "username"),
        ("username", json!("ab"), "username"),
        ("phone", json!("12345"), "phone"),
        ("display_name", json!("   "), "display_name"),
        ("role", json!("king"), "role"),
        ("password", json!("1234567890"), "password"),
    ];
    for (key, value, field) in cases {
        let mut body = base.clone();
        body[key] = value.clone();
        let (s, e) = t.post("/api/v1/accounts", &token, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{key}={value}: {e}");
        assert_eq!(e["field"], field, "{key}={value}: {e}");
        assert!(
            !e["message"].as_str().unwrap_or("").is_ascii(),
            "a Chinese message: {e}"
        );
    }
    let (s, _) = t.post("/api/v1/accounts", &token, base.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = t.post("/api/v1/accounts", &token, base).await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("username")),
        "duplicate username"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_operation_and_each_exists() {
    let t = TestApp::demo().await;
    let (s, _, body) = t
        .send(
            Request::builder()
                .uri("/api/openapi.json")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(doc["openapi"], "3.0.3");
    let token = t.login("city-admin").await;
    let mut ops = tongyu_web::api_operations();
    // Signing out ends the session the others use.
    ops.sort_by_key(|op| op.path == "/auth/logout");
    let mut formed = 0;
    for op in ops {
        let (method, path) = (op.method, format!("/api/v1{}", op.path));
        let described = &doc["paths"][&path][method];
        assert!(described.is_object(), "{method} {path} not in the document");
        let concrete = path
            .replace("{role}", "teacher")
            .replace("{term}", "first")
            .replace("{kind}", "career")
            .replace(['{', '}'], "")
            .replace("idparent", "1");
        let mut concrete: String = concrete
            .split('/')
            .map(|seg| {
                if [
                    "id",
                    "student",
                    "account",
                    "unit_id",
                    "class_id",
                    "school_id",
                    "account_id",
                    "school_year",
                    "rank",
                ]
                .contains(&seg)
                {
                    "999999"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        // What a client generated from the document sends: the required
        // query parameters and a body of the described shape.
        let query: Vec<String> = described["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .map(|p| {
                let v = crate::contract::sample(&doc, &p["schema"]);
                let v = v.as_str().map(str::to_owned).unwrap_or(v.to_string());
                format!("{}={}", p["name"].as_str().unwrap_or(""), v)
            })
            .collect();
        if !query.is_empty() {
            concrete = format!("{concrete}?{}", query.join("&"));
        }
        let schema = &described["requestBody"]["content"]["application/json"]["schema"];
        let body = (!schema.is_null()).then(|| crate::contract::sample(&doc, schema));
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let (s, e) = t.api(m, &concrete, Some(&token), body.clone()).await;
        assert!(
            !(s == StatusCode::NOT_FOUND && e["message"] == "没有这个接口")
                && s != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is not routed ({s}: {e})"
        );
        let malformed = s == StatusCode::BAD_REQUEST
            || (s == StatusCode::UNPROCESSABLE_ENTITY
                && e["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("请求内容不符合要求")));
        assert!(
            !malformed,
            "{method} {path}: a request formed from the document was refused as malformed: {e}\n{body:?}"
        );
        if body.is_some() {
            formed += 1;
        }
    }
    assert!(formed > 50, "bodies formed from the document: {formed}");
}

#[tokio::test]
async fn health_and_metrics() {
    let t = TestApp::demo().await;
    let (s, _, b) = t
        .send(
            Request::builder()
                .uri("/healthz")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!((s, b.as_str()), (StatusCode::OK, "ok"));
    // Not for just anyone.
    let (s, _, _) = t
        .send(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A parent reports progress twice: the writer and the caches show it.
    let parent = t.login("parent").await;
    let lesson = t
        .get("/api/v1/me/lessons", &parent)
        .await
        .1
        .pointer("/children/0/lessons/0/lesson_id")
        .and_then(serde_json::Value::as_i64)
        .expect("a lesson of the demo campaign");
    for end in [20, 40] {
        let (s, v) = t
            .post(
                "/api/v1/progress",
                &parent,
                serde_json::json!({"lesson_id": lesson, "segments": [[0, end]]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    // The monitoring system's token opens it.
    let scraped = tongyu_web::router(tongyu_web::AppState::new(
        t.app.clone(),
        tongyu_web::WebConfig {
            metrics_token: Some("scrape-me-7f2a".into()),
            ..tongyu_web::WebConfig::default()
        },
    ));
    let get = |token: &str| {
        Request::builder()
            .uri("/metrics")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("req")
    };
    use tower::ServiceExt;
    let res = scraped.clone().oneshot(get("wrong")).await.expect("answer");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (s, _, b) = t.send(get("scrape-me-7f2a")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "this router has no token");
    let _ = b;
    let res = scraped
        .oneshot(get("scrape-me-7f2a"))
        .await
        .expect("answer");
    let s = res.status();
    let b = String::from_utf8(
        http_body_util::BodyExt::collect(res.into_body())
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    )
    .expect("text");
    assert_eq!(s, StatusCode::OK);
    // (each router counts its own requests: here the refused scrape)
    assert!(
        b.contains(
            "tongyu_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"404\"} 1"
        ),
        "{b}"
    );
    // The progress writer: nothing queued now, two reports in its batches.
    assert!(
        b.contains("tongyu_writer_queued{writer=\"progress\"} 0"),
        "{b}"
    );
    assert!(
        b.contains("tongyu_writer_jobs_total{writer=\"progress\"} 2"),
        "{b}"
    );
    assert!(b.contains("tongyu_writer_commit_seconds_sum{writer=\"progress\"}"));
    // The session was read once from the database, then from the cache.
    let figure = |name: &str| -> u64 {
        b.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {b}"))
    };
    assert!(figure("tongyu_cache_hits_total{cache=\"sessions\"}") >= 2);
    assert!(figure("tongyu_cache_misses_total{cache=\"sessions\"}") >= 1);
    // Request time by route, as a histogram.
    assert!(
        b.contains(
            "tongyu_http_request_duration_seconds_count{method=\"GET\",route=\"/metrics\"} 1"
        ),
        "{b}"
    );
}

#[tokio::test]
async fn a_flood_of_logins_from_one_address_is_slowed_down() {
    let t = TestApp::demo().await;
    let flood = || {
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                r#"{"username": "guess-who", "password": "guess-the-password"}"#,
            ))
            .expect("request")
    };
    for _ in 0..60 {
        let (s, _, _) = t.send(flood()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, b) = t.send(flood()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(b.contains("rate_limited"), "{b}");
    // The page login is throttled too, with a Chinese page.
    let mut browser = t.browser();
    browser.get("/login").await;
    let p = browser
        .post("/login", &[("username", "teacher"), ("password", "x")])
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(p.body.contains("操作过于频繁"));
    // Other calls are not affected.
    let (s, _, _) = t
        .send(
            Request::builder()
                .uri("/healthz")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let t = TestApp::empty().await;
    let get = |p: &str| Request::builder().uri(p).body(Body::empty()).expect("req");
    let (s, _, page) = t.send(get("/api/docs")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("/api/docs/swagger-ui-bundle.js"));
    let (s, h, js) = t.send(get("/api/docs/swagger-ui-bundle.js")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.get(header::CONTENT_TYPE)
            .expect("type")
            .to_str()
            .expect("ascii")
            .starts_with("text/javascript")
    );
    assert!(js.len() > 1_000_000 && js.contains("SwaggerUIBundle"));
    let (s, _, init) = t.send(get("/api/docs/init.js")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(init.contains("/api/openapi.json"));
    assert_eq!(
        t.send(get("/api/docs/swagger-ui.css")).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_of_our_own() {
    let t = TestApp::empty().await;
    let get = |id: Option<&str>| {
        let mut r = Request::builder().uri("/healthz");
        if let Some(v) = id {
            r = r.header("x-request-id", v);
        }
        r.body(Body::empty()).expect("req")
    };
    let (_, a, _) = t.send(get(None)).await;
    let (_, b, _) = t.send(get(None)).await;
    let (a, b) = (
        a.get("x-request-id").expect("id"),
        b.get("x-request-id").expect("id"),
    );
    assert_ne!(a, b);
    // A caller's id is not taken: it could forge or collide with entries of
    // the audit log.
    let (_, c, _) = t.send(get(Some("gateway-42"))).await;
    let c = c.get("x-request-id").expect("id");
    assert_ne!(c, "gateway-42");
    assert!(!c.is_empty());
}

#[tokio::test]
async fn text_goes_out_gzipped_to_a_browser_that_asks_and_small_answers_do_not() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let t = TestApp::demo().await;
    let router = tongyu_web::router(tongyu_web::AppState::new(
        t.app.clone(),
        tongyu_web::WebConfig::default(),
    ));
    let fetch = |path: &'static str, gzip: bool| {
        let router = router.clone();
        async move {
            let mut req = Request::builder().uri(path);
            if gzip {
                req = req.header(header::ACCEPT_ENCODING, "gzip, deflate, br");
            }
            let res = router
                .oneshot(req.body(Body::empty()).expect("req"))
                .await
                .expect("answer");
            let encoding = res
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap_or("").to_owned());
            let bytes = res.into_body().collect().await.expect("body").to_bytes();
            (encoding, bytes.len())
        }
    };
    for path in [
        "/api/docs/swagger-ui-bundle.js",
        "/api/openapi.json",
        "/login",
        "/static/app.css",
    ] {
        let (plain_enc, plain) = fetch(path, false).await;
        let (enc, packed) = fetch(path, true).await;
        assert_eq!(plain_enc, None, "{path}: plain unless asked");
        assert_eq!(enc.as_deref(), Some("gzip"), "{path}");
        assert!(packed < plain, "{path}: {packed} of {plain} bytes");
    }
    let (enc, _) = fetch("/healthz", true).await;
    assert_eq!(enc, None, "a tiny answer is sent as it is");
}
