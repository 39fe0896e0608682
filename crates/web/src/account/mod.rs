pub mod api;
mod integrations;
mod me;
pub mod pages;
