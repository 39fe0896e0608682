//! The platform driven through its router, on SQLite by default and on
//! PostgreSQL when `TONGYU_TEST_DATABASE_URL` names one.

mod api_errors;
mod appeals;
mod audit;
mod auth;
mod authz;
mod common;
mod contributions;
mod delivery;
mod guardians;
mod imports;
mod learning;
mod media;
mod org;
mod sealing;
mod search;
mod trust;
