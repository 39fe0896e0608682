pub mod pages;
mod staff;
