//! The manual inside the platform: one page per role.

pub mod pages;
