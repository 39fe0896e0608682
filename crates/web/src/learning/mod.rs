pub mod api;
pub mod campaigns;
pub mod pages;
