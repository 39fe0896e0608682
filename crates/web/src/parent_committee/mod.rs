//! Parent committees of schools, grades and classes.

pub mod api;
pub mod pages;
