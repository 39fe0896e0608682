//! The second step of an action that breaks something already handed out
//! (a poster on the gate, an invite in a parents' group, a school's place
//! in the tree, a unit's accounts): a page that says what stops working
//! and asks again, posting the same form with `confirm=1`.

use askama::Template;
use axum::response::{IntoResponse, Response};

use super::{Nav, Opt, render};
use crate::error::PageResult;

#[derive(Template)]
#[template(path = "page/confirm.html")]
pub struct Confirm {
    pub nav: Nav,
    pub title: String,
    /// What stops working or changes, one line each.
    pub consequences: Vec<String>,
    /// Where the form posts.
    pub action: String,
    /// Fields carried over from the first step: (name, value).
    pub fields: Vec<(String, String)>,
    /// A choice between ways of doing it (radio `mode`), the first checked.
    pub choices: Vec<Opt>,
    /// A value to type again before it goes ahead (field `confirm_name`):
    /// (what to type, the label).
    pub typed: Option<(String, String)>,
    pub button: String,
    /// Where "取消" leads.
    pub cancel: String,
    pub error: Option<String>,
}

impl Confirm {
    pub fn new(nav: Nav, title: impl Into<String>, action: impl Into<String>) -> Confirm {
        Confirm {
            nav,
            title: title.into(),
            consequences: Vec::new(),
            action: action.into(),
            fields: Vec::new(),
            choices: Vec::new(),
            typed: None,
            button: "确认".into(),
            cancel: "/".into(),
            error: None,
        }
    }

    pub fn respond(self) -> PageResult<Response> {
        let status = if self.error.is_some() {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        } else {
            axum::http::StatusCode::OK
        };
        Ok((status, render(&self)?).into_response())
    }
}

/// A form's answer to the second step: `confirm=1` once the page above was
/// seen and its button pressed.
pub fn confirmed(v: &str) -> bool {
    v == "1"
}
