//! The manual: a page per role, and every step's link opens a page its
//! role can use.

use axum::http::StatusCode;

use crate::common::{PW, TestApp};

#[tokio::test]
async fn every_roles_manual_links_to_pages_that_role_can_open() {
    let t = TestApp::demo().await;
    for m in tongyu_web::manual::pages::MANUALS {
        let mut b = t.browser();
        b.sign_in(m.demo_user, PW).await;
        let index = b.get("/manual").await;
        assert_eq!(index.status, StatusCode::OK);
        assert!(index.body.contains("我的角色"), "{}: {}", m.key, index.body);
        let page = b.get(&format!("/manual/{}", m.key)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", m.key);
        assert!(page.body.contains(m.title));
        for part in m.parts {
            for step in part.steps {
                assert!(page.body.contains(&format!("href=\"{}\"", step.href)));
                let mut target = b.get(step.href).await;
                for _ in 0..3 {
                    let Some(next) = target.location.clone() else {
                        break;
                    };
                    target = b.get(&next).await;
                }
                assert_eq!(
                    target.status,
                    StatusCode::OK,
                    "{} → {}: {}",
                    m.demo_user,
                    step.href,
                    target.body
                );
            }
        }
    }
    let mut b = t.browser();
    b.sign_in("teacher", PW).await;
    assert_eq!(b.get("/manual/nobody").await.status, StatusCode::NOT_FOUND);
}
