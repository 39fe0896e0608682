//! Uploaded media: checked by content, refused when too large, stored
//! once, served with range requests; attachments on lessons.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::{PW, TestApp};

/// A small file that begins like an MP4 video.
fn mp4(len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2".to_vec();
    v.extend((0..len.saturating_sub(v.len())).map(|i| (i % 251) as u8));
    v
}

async fn upload(t: &TestApp, token: &str, filename: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/media?filename={filename}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(body))
        .expect("request");
    let (s, _, text) = t.send(req).await;
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn fetch(
    t: &TestApp,
    url: &str,
    range: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut b = Request::builder().uri(url);
    if let Some(r) = range {
        b = b.header(header::RANGE, r);
    }
    let res = tower::ServiceExt::oneshot(t.router.clone(), b.body(Body::empty()).expect("req"))
        .await
        .expect("answer");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

fn files_under(dir: &std::path::Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn an_upload_is_checked_by_content_and_served_with_ranges() {
    let t = TestApp::demo().await;
    let author = t.login("city-admin").await;
    let body = mp4(300_000);
    let (s, v) = upload(&t, &author, "%E7%AC%AC%E4%B8%80%E8%AE%B2.mp4", body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["kind"], "video");
    assert_eq!(v["mime"], "video/mp4");
    assert_eq!(v["size"], 300_000);
    assert_eq!(v["filename"], "第一讲.mp4");
    let url = v["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("/media/f/") && url.len() > 30, "{url}");

    // The whole file, then a range, then a range past the end.
    let (s, h, got) = fetch(&t, &url, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "video/mp4");
    assert_eq!(got, body);
    let (s, h, got) = fetch(&t, &url, Some("bytes=1000-1999")).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(h[header::CONTENT_RANGE], "bytes 1000-1999/300000");
    assert_eq!(got, body[1000..2000]);
    let (s, _, got) = fetch(&t, &url, Some("bytes=-10")).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(got, body[body.len() - 10..]);
    let (s, _, _) = fetch(&t, &url, Some("bytes=400000-")).await;
    assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE);
    let (s, _, _) = fetch(&t, "/media/f/no-such-file", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The same file again is stored once, under a new address.
    let (_, again) = upload(&t, &author, "copy.mp4", body).await;
    assert_ne!(again["url"], v["url"]);
    assert_eq!(files_under(&t.media_dir), 1, "{:?}", walk(&t.media_dir));

    // A page renamed .mp4 is refused, and leaves nothing behind.
    let (s, e) = upload(
        &t,
        &author,
        "trick.mp4",
        b"<html><script>alert(1)</script></html>".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "file");
    // A document larger than 30 MB is refused as it streams in.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(31 * 1024 * 1024, b' ');
    let (s, e) = upload(&t, &author, "huge.pdf", big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(
        files_under(&t.media_dir),
        1,
        "refused uploads leave no file"
    );

    // Only authors upload.
    let parent = t.login("parent").await;
    let (s, _) = upload(&t, &parent, "a.mp4", mp4(1000)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_lesson_plays_an_uploaded_video_and_lists_its_attachments() {
    let t = TestApp::demo().await;
    let author = t.login("expert").await;
    let publisher = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, v) = upload(&t, &author, "lesson.mp4", mp4(50_000)).await;
    let video = v["url"].as_str().expect("url").to_owned();
    let (_, pdf) = upload(&t, &author, "handout.pdf", b"%PDF-1.4\n%%EOF\n".to_vec()).await;
    let pdf_token = pdf["token"].as_str().expect("token").to_owned();
    let (_, course) = t
        .post("/api/v1/courses", &author, json!({"title": "自修微课", "category": "self_study", "subject": "mental_health", "unit_id": city}))
        .await;
    let course = course["id"].as_i64().expect("id");
    let (s, l) = t
        .post(
            &format!("/api/v1/courses/{course}/lessons"),
            &author,
            json!({"title": "情绪小课堂", "duration_s": 300, "video_url": video}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    let lesson = l["id"].as_i64().expect("id");
    let (s, e) = t
        .post(
            &format!("/api/v1/lessons/{lesson}/attachments"),
            &author,
            json!({"token": "nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = t
        .post(
            &format!("/api/v1/lessons/{lesson}/attachments"),
            &author,
            json!({"token": pdf_token, "title": "课后练习单"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    for (status, who) in [
        ("submitted", &author),
        ("reviewed", &publisher),
        ("published", &publisher),
    ] {
        let (s, e) = t
            .post(
                &format!("/api/v1/courses/{course}/status"),
                who,
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{status}: {e}");
    }
    // Published, its attachments change only through review.
    let (s, e) = t
        .post(
            &format!("/api/v1/lessons/{lesson}/attachments"),
            &author,
            json!({"token": pdf_token, "title": "另一份"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let mut b = t.browser();
    b.sign_in("parent", PW).await;
    let p = b.get(&format!("/lessons/{lesson}")).await;
    assert!(
        p.body.contains(&format!("src=\"{video}\"")),
        "the player plays the upload"
    );
    assert!(p.body.contains("课后练习单"));
    let (s, h, _) = fetch(&t, &format!("/media/f/{pdf_token}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename*=UTF-8''handout.pdf")
    );
}

/// Posts a multipart form as the browser `b` would.
async fn multipart(
    t: &TestApp,
    b: &crate::common::Browser<'_>,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, Vec<u8>),
) -> (StatusCode, String) {
    let boundary = "----tongyu-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let cookies: Vec<String> = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookies.join("; "))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    let (s, h, _) = t.send(req).await;
    (
        s,
        h.get(header::LOCATION)
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn the_course_page_uploads_media_and_attachments() {
    let t = TestApp::demo().await;
    let author = t.login("city-admin").await;
    let city = t.unit_id("qingdao").await;
    let (_, course) = t
        .post("/api/v1/courses", &author, json!({"title": "上传测试课程", "category": "self_study", "subject": "family_education", "unit_id": city}))
        .await;
    let course = course["id"].as_i64().expect("id");
    let mut b = t.browser();
    b.sign_in("city-admin", PW).await;
    b.get(&format!("/courses/{course}")).await;
    let csrf = b.csrf.clone();
    let path = format!("/courses/{course}/media");

    // Without the form's token nothing is stored.
    let (s, _) = multipart(
        &t,
        &b,
        &path,
        &[("_csrf", "forged"), ("purpose", "lesson_media")],
        ("a.mp4", mp4(2000)),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(files_under(&t.media_dir), 0);
    // Not a video: a Chinese message, nothing stored.
    let (s, to) = multipart(
        &t,
        &b,
        &path,
        &[("_csrf", &csrf), ("purpose", "lesson_media")],
        ("a.mp4", b"just text".to_vec()),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let p = b.get(&to).await;
    assert!(p.body.contains("不支持的文件"), "{}", p.body);
    // A video: its address goes into the lesson form.
    let (s, to) = multipart(
        &t,
        &b,
        &path,
        &[("_csrf", &csrf), ("purpose", "lesson_media")],
        ("第一讲.mp4", mp4(4000)),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(to.contains("media=/media/f/"), "{to}");
    let p = b.get(&to).await;
    let url = to.split("media=").nth(1).expect("address").to_owned();
    assert!(
        p.body.contains(&format!(
            "name=\"video_url\" maxlength=\"500\" value=\"{url}\""
        )),
        "{}",
        p.body
    );
    // Add a lesson with it, then an attachment.
    let p = b
        .post(
            &format!("/courses/{course}/lessons"),
            &[("title", "第一讲"), ("minutes", "5"), ("video_url", &url)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = b.get(&format!("/courses/{course}")).await;
    let lesson = {
        let i = p.body.find("href=\"/lessons/").expect("lesson link") + 15;
        p.body[i..i + p.body[i..].find('"').expect("end")].to_owned()
    };
    let csrf = b.csrf.clone();
    let (s, to) = multipart(
        &t,
        &b,
        &path,
        &[
            ("_csrf", &csrf),
            ("purpose", "attachment"),
            ("lesson_id", &lesson),
            ("title", "练习单"),
        ],
        ("sheet.pdf", b"%PDF-1.4\n%%EOF".to_vec()),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(to.contains("msg=attached"), "{to}");
    let p = b.get(&format!("/courses/{course}")).await;
    assert!(p.body.contains("练习单"));
    assert_eq!(files_under(&t.media_dir), 2);
}
