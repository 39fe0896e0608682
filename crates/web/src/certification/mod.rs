//! Instructor certification and the instructors per grade.

pub mod api;
pub mod pages;
