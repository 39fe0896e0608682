//! The activation board: counted by the nightly job, read per unit, equal
//! to a count of the rows; the worst units first.

use axum::http::StatusCode;
use tongyu_service::testkit::sql;

use crate::common::{PW, TestApp};

#[tokio::test]
async fn the_board_counts_staff_and_parents_as_the_rows_say_and_follows_a_new_sign_in() {
    let t = TestApp::demo().await;
    let district = t.unit_id("d0").await;
    let leader = t.login("district-admin").await;
    let (s, b) = t
        .get(&format!("/api/v1/activation/{district}"), &leader)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b["computed_at"].as_i64().unwrap_or(0) > 0,
        "the demo counted it: {b}"
    );
    // The counts equal the rows.
    let path = t.unit(district).await.path;
    let like = format!("{path}%");
    let staff = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM grants g JOIN accounts a ON a.id = g.account_id
         JOIN units u ON u.id = g.unit_id
         WHERE a.active = 1 AND g.role <> 'parent' AND u.path LIKE $1",
        &[like.clone().into()],
    )
    .await;
    let bound = sql::int(
        &t.app,
        "SELECT COUNT(*) FROM (SELECT g.account_id, s.class_id FROM guardians g
           JOIN students s ON s.id = g.student_id JOIN units u ON u.id = s.class_id
           JOIN accounts a ON a.id = g.account_id
           WHERE g.status = 'confirmed' AND s.active = 1 AND a.active = 1 AND u.path LIKE $1
           GROUP BY g.account_id, s.class_id) x",
        &[like.into()],
    )
    .await;
    assert_eq!(b["top"]["counts"]["staff"], staff, "{b}");
    assert_eq!(b["top"]["counts"]["parents_bound"], bound, "{b}");
    let active_before = b["top"]["counts"]["parents_active"]
        .as_i64()
        .expect("active");
    // A parent signs in; the next count has them.
    let mut p = t.browser();
    p.sign_in("parent", PW).await;
    tongyu_service::activation::recompute(&t.app)
        .await
        .expect("count");
    let (_, after) = t
        .get(&format!("/api/v1/activation/{district}"), &leader)
        .await;
    assert_eq!(
        after["top"]["counts"]["parents_active"],
        active_before + 1,
        "{after}"
    );
    // The page lists the units below, the fewest confirmed first.
    let mut l = t.browser();
    l.sign_in("district-admin", PW).await;
    let page = l.get(&format!("/activation/{district}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("家长已确认绑定") && page.body.contains("统计时间"),
        "{}",
        page.body
    );
    let x = l.get(&format!("/activation/{district}/export.xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);
    // Another district is not in view.
    let d1 = t.unit_id("d1").await;
    let (s, _) = t.get(&format!("/api/v1/activation/{d1}"), &leader).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
