//! The guidance centres of the city and the districts.

pub mod api;
pub mod pages;
