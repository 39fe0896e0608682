pub mod api;
mod edit;
pub mod pages;
