//! The test kit (cargo feature `testkit`, for test code only): a database
//! of its own for every test on either backend, cloned from a template so
//! that a test pays neither for the migrations nor for the demo city; ways
//! to look at what the platform kept; the usual actors of the demo city.
//!
//! Web and command-line tests drive the platform through its pages and its
//! API; this kit is how they set up and look underneath without depending
//! on the store crate.

pub mod database;
pub mod factory;
pub mod peek;
pub mod sql;
pub mod tamper;

pub use database::TestDatabase;

/// Every demo account's password in tests.
pub const PW: &str = "Test-Passw0rd-Qd";
/// 2026-09-15 10:00 Beijing time: where every test's clock starts.
pub const START: i64 = 1_789_437_600;

/// The backend tests run on: `TONGYU_TEST_DATABASE_URL` (a `postgres://`
/// URL), or a SQLite file per test when it is unset.
pub fn backend_url() -> Option<String> {
    std::env::var("TONGYU_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}
