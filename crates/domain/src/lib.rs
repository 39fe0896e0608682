//! The rules of tongyu with no HTTP and no SQL: types, validation and the
//! authorization policy. Every other crate asks this one what is allowed.

pub mod account;
pub mod appeal;
pub mod calendar;
pub mod certification;
pub mod collate;
pub mod contribution;
pub mod coordination_group;
pub mod course;
pub mod coverage;
pub mod delivery;
pub mod error;
pub mod expert_pool;
pub mod guidance_center;
pub mod import;
pub mod learning;
pub mod lecturer_group;
pub mod media;
pub mod opinion;
pub mod org;
pub mod parent_committee;
pub mod plan;
pub mod policy;
pub mod search;
pub mod student;
pub mod studio;
pub mod throttle;
pub mod training;
pub mod verify;
pub mod work_group;

pub use error::{Error, ErrorCode, Result};
