pub mod api;
pub mod pages;
mod parent;
