//! The expert pool and requests for experts.

pub mod api;
pub mod pages;
