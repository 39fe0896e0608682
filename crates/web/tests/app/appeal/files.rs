//! Files: photos checked by content and shown to the right people, stored
//! files no row names removed, and the gate posters.

use super::*;

#[tokio::test]
async fn photos_are_checked_by_content_and_shown_only_to_the_parent_and_the_handlers() {
    let t = TestApp::demo().await;
    let admin = t.login("school-admin").await;
    let (school, other_admin, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    // A PNG whose text chunk says where it was taken.
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend([0, 0, 0, 0]);
        c
    };
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend(chunk(b"IHDR", &[0; 13]));
    png.extend(chunk(b"tEXt", b"GPS\x0036.0671,120.3826"));
    let pixels: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
    png.extend(chunk(b"IDAT", &pixels));
    png.extend(chunk(b"IEND", b""));
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(300, b' ');
    let mut parent = t.browser();
    parent.get(&format!("/q/{qr}")).await;
    let text = "学校围墙有一处破损，孩子放学会从缺口钻出去，很危险，附上照片。";
    let fields = [("category", "safety"), ("text", text), ("consent", "1")];
    // A PDF named like a photo is refused, with the text kept.
    let page = parent
        .post_multipart(&format!("/q/{qr}"), &fields, &[("photo", "wall.jpg", &pdf)])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("JPG 或 PNG") && page.body.contains("围墙有一处破损"));
    let four: Vec<(&str, &str, &[u8])> =
        (0..4).map(|_| ("photo", "p.png", png.as_slice())).collect();
    let page = parent
        .post_multipart(&format!("/q/{qr}"), &fields, &four)
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("最多上传3张"));
    let page = parent
        .post_multipart(
            &format!("/q/{qr}"),
            &fields,
            &[("photo", "wall.png", &png), ("photo", "", b"")],
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let code = receipt_code(&page.body);
    let id = id_of(&t, &code).await;
    let (_, st) = public_get(&t, &format!("/api/v1/public/appeals/{code}")).await;
    assert_eq!(st["photos"], 1);
    // The parent sees it by the code; the school's handlers see it; another school does not.
    let (s, _, body) = t
        .send(
            axum::http::Request::builder()
                .uri(format!("/a/{code}/photos/1"))
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.len() > 300);
    assert!(
        !body.contains("36.0671"),
        "the photo is kept without where it was taken"
    );
    let (s, _, _) = t
        .send(
            axum::http::Request::builder()
                .uri(format!("/a/{code}/photos/2"))
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let mut staff = t.browser();
    staff.sign_in("school-admin", crate::common::PW).await;
    let page = staff.get(&format!("/appeals/{id}")).await;
    assert!(page.body.contains(&format!("/appeals/{id}/photos/1")));
    let photo = staff.get(&format!("/appeals/{id}/photos/1")).await;
    assert_eq!(photo.status, StatusCode::OK);
    let mut stranger = t.browser();
    stranger.sign_in(&other_admin, crate::common::PW).await;
    let photo = stranger.get(&format!("/appeals/{id}/photos/1")).await;
    assert_eq!(photo.status, StatusCode::NOT_FOUND);
    // A year after the appeal closed, its photos go, files and all.
    assert_eq!(
        tongyu_service::appeal::retention::purge_photos(&t.app)
            .await
            .expect("purge"),
        0
    );
    t.app
        .db
        .execute_raw(&format!(
            "UPDATE appeals SET status = 'closed', closed_at = {} WHERE id = {id}",
            START
        ))
        .await
        .expect("close");
    let files = |dir: &std::path::Path| -> usize {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name() != "tmp")
                    .map(|e| std::fs::read_dir(e.path()).map(|f| f.count()).unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0)
    };
    let before = files(&t.media_dir);
    assert!(before >= 1);
    t.clock.advance(364 * 86_400);
    assert_eq!(
        tongyu_service::appeal::retention::purge_photos(&t.app)
            .await
            .expect("purge"),
        0
    );
    t.clock.advance(2 * 86_400);
    assert_eq!(
        tongyu_service::appeal::retention::purge_photos(&t.app)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(files(&t.media_dir), before - 1, "the file is gone");
    let (s, _, _) = t
        .send(
            axum::http::Request::builder()
                .uri(format!("/a/{code}/photos/1"))
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Fails unless `xml` is well-formed: tags balanced, no attribute twice on
/// one element (a viewer refuses to draw such a file at all).
fn well_formed_xml(xml: &str) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut elements = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                elements += 1;
                for a in e.attributes() {
                    if let Err(err) = a {
                        panic!("bad attribute in <{:?}>: {err}\n{xml}", e.name());
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => panic!("not well-formed XML: {err}\n{xml}"),
        }
    }
    assert!(elements > 3, "{xml}");
}

#[tokio::test]
async fn a_district_prints_or_downloads_every_school_s_poster_at_once() {
    let t = TestApp::demo().await;
    let district = t.login("district-admin").await;
    let d0 = t.login_unit(&district).await;
    let schools_in_d0 = {
        let d = t.unit(d0).await;
        peek::schools_under(&t.app, &d.path, 500).await
    };
    let mut b = t.browser();
    b.sign_in("district-admin", crate::common::PW).await;
    let page = b.get(&format!("/appeals/posters/{d0}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("class=\"card poster\"").count(),
        schools_in_d0.len()
    );
    for s in &schools_in_d0 {
        assert!(page.body.contains(&s.name), "{} missing", s.name);
    }
    let zip = b.get(&format!("/appeals/posters/{d0}/posters.zip")).await;
    assert_eq!(zip.status, StatusCode::OK);
    assert!(zip.body.starts_with("PK"), "a zip archive");
    assert!(zip.body.matches(".svg").count() >= schools_in_d0.len());
    let one = b
        .get(&format!(
            "/appeals/codes/{}/poster.svg",
            schools_in_d0[0].id
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.contains("<svg") && one.body.contains(&schools_in_d0[0].name));
    assert!(one.body.contains("向教育局反映"));
    well_formed_xml(&one.body);
    // A school administrator may not print another school's poster.
    let admin = t.login("school-admin").await;
    let own = t.login_unit(&admin).await;
    let other = schools_in_d0
        .iter()
        .find(|s| s.id != own)
        .expect("another school");
    let mut sb = t.browser();
    sb.sign_in("school-admin", crate::common::PW).await;
    let page = sb
        .get(&format!("/appeals/codes/{}/poster.svg", other.id))
        .await;
    assert!(
        page.status == StatusCode::FORBIDDEN || page.status == StatusCode::NOT_FOUND,
        "{}",
        page.status
    );
}

#[tokio::test]
async fn stored_files_that_no_row_names_are_removed_once_a_day_old() {
    let t = TestApp::demo().await;
    let dir = t.media_dir.join("ab");
    std::fs::create_dir_all(&dir).expect("dir");
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    let orphan = dir.join(format!("ab{}", "0".repeat(62)));
    let young = dir.join(format!("ab{}", "1".repeat(62)));
    for (path, old) in [(&orphan, true), (&young, false)] {
        std::fs::write(path, b"left behind").expect("write");
        if old {
            let f = std::fs::File::options()
                .write(true)
                .open(path)
                .expect("open");
            f.set_modified(day_ago).expect("age it");
        }
    }
    // A file a row names stays, however old.
    let admin = t.login("school-admin").await;
    let (school, _, _) = schools(&t).await;
    let (qr, _) = codes(&t, &admin, school).await;
    let mut parent = t.browser();
    parent.get(&format!("/q/{qr}")).await;
    let jpeg = png_of(2048);
    let page = parent
        .post_multipart(
            &format!("/q/{qr}"),
            &[("category", "safety"), ("text", TEXT), ("consent", "1")],
            &[("photo", "a.png", &jpeg)],
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let kept: Vec<std::path::PathBuf> = std::fs::read_dir(&t.media_dir)
        .expect("media")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().len() == 2 && e.file_name() != "ab")
        .flat_map(|e| {
            std::fs::read_dir(e.path())
                .expect("dir")
                .filter_map(Result::ok)
        })
        .map(|e| e.path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let f = std::fs::File::options()
        .write(true)
        .open(&kept[0])
        .expect("open");
    f.set_modified(day_ago).expect("age it");

    let removed =
        tongyu_service::media::purge_orphans(&t.app, std::time::Duration::from_secs(86_400))
            .await
            .expect("purge");
    assert_eq!(removed, 1);
    assert!(!orphan.exists());
    assert!(young.exists(), "a young file's row may be on its way");
    assert!(kept[0].exists(), "the photo of an appeal stays");
}
