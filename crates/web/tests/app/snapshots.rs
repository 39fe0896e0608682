//! What people see, kept as snapshots: key API bodies, and the visible
//! text of key pages (what a person reads, without markup, tokens or
//! scripts). A change shows as a diff in review; accept an intended one
//! with `INSTA_UPDATE=always cargo test` and commit the `.snap` files.

use crate::common::{PW, TestApp};

/// The text a person reads on a page: the title, then each line of text
/// between tags, trimmed, scripts and styles left out.
fn visible_text(html: &str) -> String {
    let mut out = Vec::new();
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while let Some(open) = rest.find('<') {
        if skip_until.is_none() {
            let text = rest[..open]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if !text.is_empty() {
                out.push(text);
            }
        }
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match (skip_until, name.as_str()) {
            (None, "script" | "style") if !tag.starts_with('/') => {
                skip_until = Some(if name == "script" { "script" } else { "style" });
            }
            (Some(n), _) if tag.starts_with('/') && name == n => skip_until = None,
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.join("\n")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

#[tokio::test]
async fn the_api_tells_a_head_teacher_who_they_are_and_the_city_its_plan() {
    let t = TestApp::demo().await;
    let teacher = t.login("head-teacher").await;
    let (_, me) = t.get("/api/v1/me", &teacher).await;
    insta::assert_json_snapshot!("me_head_teacher", me);
    let city = t.login("city-admin").await;
    let (_, plan) = t.get("/api/v1/plan", &city).await;
    insta::assert_json_snapshot!("plan", plan);
}

#[tokio::test]
async fn the_sign_in_page_and_the_homes_of_a_head_teacher_a_district_leader_and_a_parent_read_as_they_should()
 {
    let t = TestApp::demo().await;
    let mut anonymous = t.browser();
    let login = anonymous.get("/login").await;
    insta::assert_snapshot!("page_login", visible_text(&login.body));

    let mut teacher = t.browser();
    teacher.sign_in("head-teacher", PW).await;
    let home = teacher.get("/").await;
    assert_eq!(home.status, 200, "the head teacher's home did not open");
    insta::assert_snapshot!("page_home_head_teacher", visible_text(&home.body));

    let mut leader = t.browser();
    leader.sign_in("district-admin", PW).await;
    let home = leader.get("/").await;
    assert_eq!(home.status, 200, "the district leader's home did not open");
    insta::assert_snapshot!("page_home_district_leader", visible_text(&home.body));

    let mut parent = t.browser();
    parent.sign_in("parent", PW).await;
    let home = parent.get("/my").await;
    insta::assert_snapshot!("page_home_parent", visible_text(&home.body));
}

#[test]
fn visible_text_keeps_words_and_drops_markup_and_scripts() {
    let html = "<html><head><title>同育</title><style>p{}</style></head>\
                <body><p class=\"x\">家长 &amp; 老师</p><script>var a = '<b>';</script>\
                <a href=\"/my\">我的</a></body></html>";
    assert_eq!(visible_text(html), "同育\n家长 & 老师\n我的");
}
