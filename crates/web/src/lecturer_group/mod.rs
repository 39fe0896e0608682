//! The school's two parent lecturer groups.

pub mod api;
pub mod pages;
