//! Training programmes, sessions, check-in, records and the targets board.

pub mod api;
pub mod pages;
