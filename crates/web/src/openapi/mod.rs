//! The OpenAPI document, derived from the operations each module states
//! beside its handlers (`<module>/api.rs`, `operations()`), and its
//! explorer.

mod document;
mod operation;

pub use operation::{Operation, Payload, SchemaFn, tagged};

use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(document))
        .route("/docs", get(docs))
        .route("/docs/swagger-ui-bundle.js", get(swagger_js))
        .route("/docs/swagger-ui.css", get(swagger_css))
        .route("/docs/init.js", get(swagger_init))
}

/// Swagger UI over the document; its assets are compiled in (see
/// `crates/web/vendor/swagger-ui/README.md`).
async fn docs() -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
        )],
        axum::response::Html(
            r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>同育 API 文档</title><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script></body></html>"#,
        ),
    )
}

fn asset(content_type: &'static str, body: &'static [u8]) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn swagger_js() -> axum::response::Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../../vendor/swagger-ui/swagger-ui-bundle.js"),
    )
}

async fn swagger_css() -> axum::response::Response {
    asset(
        "text/css; charset=utf-8",
        include_bytes!("../../vendor/swagger-ui/swagger-ui.css"),
    )
}

async fn swagger_init() -> axum::response::Response {
    asset(
        "text/javascript; charset=utf-8",
        b"window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n",
    )
}

/// The document, built once.
pub fn build() -> &'static Value {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| document::build(&crate::api_operations()))
}

async fn document() -> Json<&'static Value> {
    Json(build())
}
