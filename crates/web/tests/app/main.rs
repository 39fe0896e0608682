//! The platform driven through its router, on SQLite by default and on
//! PostgreSQL when `TONGYU_TEST_DATABASE_URL` names one.

mod activation;
mod api_errors;
mod appeal;
mod audit;
mod auth;
mod authz;
mod caches;
mod campaign;
mod certification;
mod common;
mod contract;
mod contribution;
mod coordination_group;
mod course;
mod delivery;
mod expert_pool;
mod home;
mod import;
mod jobs;
mod learning;
mod library;
mod manual;
mod media;
mod org;
mod parent_committee;
mod plan;
mod sealing;
mod search;
mod snapshots;
mod student;
mod studio;
mod training;
mod trust;
mod work_group;
