pub mod api;
pub mod join;
pub mod pages;
