//! The usual actors of a test: the demo city's classes, parents and
//! districts found by what a test needs of them, and new staff accounts
//! made in one call. Each demo account signs in with [`super::PW`].

use tongyu_domain::account::{Account, Role};
use tongyu_domain::org::Unit;

use super::{PW, peek};
use crate::App;

/// A new staff account holding `role` at `unit`, ready to sign in with
/// [`PW`] (no first-password change). Made as the command line makes
/// accounts, so a test's set-up does not depend on the page under test.
pub async fn staff(app: &App, username: &str, role: Role, unit: i64) -> Account {
    crate::account::create_from_cli(app, username, "测试人员", role, unit, PW, false)
        .await
        .unwrap_or_else(|e| panic!("make {username}: {e:?}"))
}

/// The first class of a school's first grade.
pub async fn first_class(app: &App, school: i64) -> Unit {
    let grade = peek::children(app, school)
        .await
        .into_iter()
        .next()
        .expect("a grade");
    peek::children(app, grade.id)
        .await
        .into_iter()
        .next()
        .expect("a class")
}

/// The first class of a school's grade `grade` (such as `K2`).
pub async fn class_in_grade(app: &App, school: i64, grade: &str) -> Unit {
    let g = peek::children(app, school)
        .await
        .into_iter()
        .find(|g| g.grade == grade)
        .unwrap_or_else(|| panic!("no grade {grade}"));
    peek::children(app, g.id)
        .await
        .into_iter()
        .next()
        .expect("a class")
}

/// Another class of the same school as `class`.
pub async fn another_class(app: &App, class: i64) -> Unit {
    let unit = peek::unit(app, class).await;
    let school = tongyu_domain::org::path_ids(&unit.path)[3];
    for grade in peek::children(app, school).await {
        if let Some(k) = peek::children(app, grade.id)
            .await
            .into_iter()
            .find(|k| k.id != class)
        {
            return k;
        }
    }
    panic!("no other class beside {class}");
}

/// A guardian of the first student of `class`.
pub async fn guardian_in(app: &App, class: i64) -> Account {
    let kid = peek::students(app, class)
        .await
        .into_iter()
        .next()
        .expect("a student");
    let link = peek::guardian_links(app, class)
        .await
        .into_iter()
        .find(|l| l.student_id == kid.id)
        .expect("a guardian");
    peek::account(app, link.account_id).await
}

/// A parent linked to a child of `class` whose username is not `not`.
pub async fn parent_in(app: &App, class: i64, not: &str) -> Account {
    for l in peek::guardian_links(app, class).await {
        let a = peek::account(app, l.account_id).await;
        if a.username != not {
            return a;
        }
    }
    panic!("no other parent in class {class}");
}

/// A district of the city other than `not`.
pub async fn another_district(app: &App, not: i64) -> Unit {
    let city = peek::city(app).await;
    peek::children(app, city.id)
        .await
        .into_iter()
        .find(|d| d.id != not)
        .expect("another district")
}
