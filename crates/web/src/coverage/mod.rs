//! The coverage board: what every school is to have, counted up the tree.

pub mod api;
pub mod pages;
