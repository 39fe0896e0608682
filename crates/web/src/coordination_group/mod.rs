//! The coordination group of the city and the districts, and its joint meetings.

pub mod api;
pub mod pages;
