//! Appeal pages. Public, with no login: the form a gate code opens
//! (`/q/{token}`), the receipt, and the status page by tracking code
//! (`/a/{code}`) with the parent's follow-up and rating. For staff: the
//! inbox, one appeal with everything that can be done to it, the
//! schools' posters, and the oversight pages. One file per part.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::appeal::{Category, CodeKind, Reply, Status};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::appeal::{self, InboxQuery, PublicInput, RatingInput};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser, RequestMeta, cookie, set_cookie};
use crate::page::csrf::{anon_csrf, with_csrf_cookie};
use crate::page::{Nav, Opt, is_user_error, render, status_of};

mod hotline;
mod inbox;
mod oversight;
mod posters;
mod public;
mod raise;

use hotline::*;
use inbox::*;
use oversight::*;
use posters::*;
use public::*;
use raise::*;

const DEVICE_COOKIE: &str = "tongyu_device";

/// Three photos of 5 MB and the text.
const PUBLIC_FORM_LIMIT: usize = 16 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/q/{token}",
            get(form)
                .post(submit)
                .layer(axum::extract::DefaultBodyLimit::max(PUBLIC_FORM_LIMIT)),
        )
        .route("/a/{code}/photos/{n}", get(public_photo))
        .route("/appeals/{id}/photos/{n}", get(staff_photo))
        .route("/a", get(lookup))
        .route("/a/{code}", get(status_page))
        .route("/a/{code}/follow-up", post(follow_up))
        .route("/a/{code}/rating", post(rate))
        .route("/appeals", get(inbox))
        .route("/appeals/new", get(raise_form).post(raise_submit))
        .route("/appeals/posters/{unit_id}", get(posters))
        .route("/appeals/posters/{unit_id}/posters.zip", get(posters_zip))
        .route("/appeals/codes/{school_id}/rotate", post(rotate))
        .route("/appeals/codes/{school_id}/poster.svg", get(poster_svg))
        .route(
            "/appeals/templates/{unit_id}",
            get(templates_page).post(create_template),
        )
        .route(
            "/appeals/templates/{unit_id}/{id}/delete",
            post(delete_template),
        )
        .route(
            "/appeals/callbacks/{unit_id}",
            get(callbacks_page).post(draw_callbacks),
        )
        .route("/appeals/callbacks/{unit_id}/{id}", post(record_callback))
        .route("/appeals/calendar", get(calendar_page).post(set_day))
        .route("/appeals/board/{unit_id}", get(board))
        .route("/appeals/board/{unit_id}/export.xlsx", get(board_xlsx))
        .route(
            "/appeals/hotline",
            post(hotline_upload).layer(axum::extract::DefaultBodyLimit::max(
                tongyu_service::sheet::MAX_BYTES + 64 * 1024,
            )),
        )
        .route("/appeals/hotline-replies.xlsx", get(hotline_replies))
        .route("/appeals/{id}", get(show))
        .route("/appeals/{id}/{action}", post(act))
}

/// A message to show (after a redirect), and a template to start a reply
/// from.
#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct Msg {
    msg: Option<String>,
    /// A reply template to start the reply from.
    template: Option<i64>,
}

fn categories() -> Vec<Opt> {
    Category::ALL
        .iter()
        .map(|c| Opt {
            value: c.as_str().into(),
            label: c.label().into(),
        })
        .collect()
}

fn image(mime: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
