//! Master-teacher studios.

pub mod api;
pub mod pages;
