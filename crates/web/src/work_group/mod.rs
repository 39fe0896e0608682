//! A school's coordinator, work group and term plans.

pub mod api;
pub mod pages;
