//! Lists as spreadsheets: every list a page shows can be downloaded as .xlsx.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// An .xlsx download.
pub fn xlsx(filename: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
