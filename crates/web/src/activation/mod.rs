//! The activation board.

pub mod api;
pub mod pages;
