//! What the platform kept, read the way a test checks it: units, students,
//! guardian links, accounts, appeals, and the kept rollups beside a fresh
//! recount. Every function panics with a clear message when the row is
//! missing: in a test that is the failure to report.

use tongyu_domain::account::Account;
use tongyu_domain::org::{Unit, UnitKind};
use tongyu_domain::student::Student;
use tongyu_store::student::GuardianLink;

use crate::App;

async fn conn(app: &App) -> sqlx::pool::PoolConnection<sqlx::Any> {
    app.db.read().await.expect("conn")
}

pub async fn unit(app: &App, id: i64) -> Unit {
    tongyu_store::org::get(&mut *conn(app).await, id)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no unit {id}"))
}

pub async fn unit_by_external_id(app: &App, external_id: &str) -> Unit {
    tongyu_store::org::get_by_external_id(&mut *conn(app).await, external_id)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no unit {external_id}"))
}

pub async fn city(app: &App) -> Unit {
    tongyu_store::org::city(&mut *conn(app).await)
        .await
        .expect("query")
        .expect("a city")
}

/// The active units under `id`, in the order lists show them.
pub async fn children(app: &App, id: i64) -> Vec<Unit> {
    tongyu_store::org::children(&mut *conn(app).await, id, false)
        .await
        .expect("children")
}

/// The units under `id`, deactivated ones too.
pub async fn all_children(app: &App, id: i64) -> Vec<Unit> {
    tongyu_store::org::children(&mut *conn(app).await, id, true)
        .await
        .expect("children")
}

/// The active schools inside the subtree at `path` (at most `limit`).
pub async fn schools_under(app: &App, path: &str, limit: i64) -> Vec<Unit> {
    tongyu_store::org::search(
        &mut *conn(app).await,
        &[path.to_owned()],
        Some(UnitKind::School),
        "",
        limit,
    )
    .await
    .expect("schools")
}

/// The active students of a class.
pub async fn students(app: &App, class: i64) -> Vec<Student> {
    tongyu_store::student::list_by_class(&mut *conn(app).await, class)
        .await
        .expect("students")
}

/// The guardian links of a class's students, confirmed or not.
pub async fn guardian_links(app: &App, class: i64) -> Vec<GuardianLink> {
    tongyu_store::student::links_of_class(&mut *conn(app).await, class)
        .await
        .expect("links")
}

/// The consents given for a student.
pub async fn consents(app: &App, student: i64) -> Vec<tongyu_store::student::Consent> {
    tongyu_store::student::consents_of(&mut *conn(app).await, student)
        .await
        .expect("consents")
}

pub async fn account(app: &App, id: i64) -> Account {
    tongyu_store::account::get(&mut *conn(app).await, id)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no account {id}"))
}

pub async fn account_by_username(app: &App, username: &str) -> Account {
    tongyu_store::account::get_by_username(&mut *conn(app).await, username)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no account {username}"))
}

/// The id of the appeal a tracking code names.
pub async fn appeal_id(app: &App, tracking_code: &str) -> i64 {
    tongyu_store::appeal::by_tracking_code(&mut *conn(app).await, tracking_code)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no appeal {tracking_code}"))
        .id
}

/// The usernames of a unit's accounts, a page at a time by username, as
/// the store lists them walking the usernames (`walk`) or gathering the
/// unit's accounts and sorting them: the two must agree whatever the
/// unit's size decides in production.
pub async fn usernames_in(
    app: &App,
    unit: &Unit,
    walk: bool,
    role: Option<tongyu_domain::account::Role>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    loop {
        let filter = tongyu_store::account::AccountFilter {
            role,
            limit: 7,
            after: out.last().cloned().unwrap_or_default(),
            walk,
            ..Default::default()
        };
        let page = tongyu_store::account::list_in_scope(
            &mut *conn(app).await,
            std::slice::from_ref(&unit.path),
            &filter,
        )
        .await
        .expect("list");
        let n = page.len();
        out.extend(page.into_iter().map(|r| r.account.username));
        if n < 7 {
            return out;
        }
    }
}
