pub mod api;
mod me;
pub mod pages;
