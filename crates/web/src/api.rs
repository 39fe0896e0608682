//! The JSON API under `/api/v1`, described by `/api/openapi.json`.
//! Errors are `{"code", "message"}` with a stable code.

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;
use tongyu_domain::{Error, ErrorCode};

use crate::AppState;
use crate::error::ApiError;

/// `/api/v1` (the modules' routes), the OpenAPI document and its explorer.
pub fn routes(state: AppState, modules: Router<AppState>) -> Router<AppState> {
    let bench = state.config.bench_routes;
    let v1 = modules
        .merge(if bench {
            Router::new().route("/bench/noop", axum::routing::post(noop))
        } else {
            Router::new()
        })
        .fallback(not_found);
    Router::new()
        .nest("/v1", v1)
        .merge(crate::openapi::routes())
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError(Error::with_message(ErrorCode::NotFound, "没有这个接口"))
}

/// A JSON body whose rejections carry our stable codes: a malformed body is
/// `bad_request`, a body of the wrong shape `validation_failed`, an
/// oversized one `payload_too_large`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(ApiError(json_error(&rej))),
        }
    }
}

fn json_error(rej: &JsonRejection) -> Error {
    match rej {
        JsonRejection::JsonDataError(e) => Error::with_message(
            ErrorCode::ValidationFailed,
            format!("请求内容不符合要求：{}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => Error::with_message(
            ErrorCode::BadRequest,
            "请求须为 JSON（Content-Type: application/json）",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Error::new(ErrorCode::PayloadTooLarge)
        }
        _ => Error::with_message(ErrorCode::BadRequest, "JSON 格式不正确"),
    }
}

/// A list answered as `{"items": [...]}`.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}List")]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> Items<T> {
    pub fn of(items: Vec<T>) -> axum::Json<Self> {
        axum::Json(Self { items })
    }
}

/// What a creation answers when the new thing's id is all there is to say.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Created {
    pub id: i64,
}

/// 204 No Content.
pub fn no_content() -> axum::response::Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Query parameters whose rejection is a JSON `bad_request`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError(Error::with_message(
                ErrorCode::BadRequest,
                format!("查询参数有误：{}", e.body_text()),
            ))),
        }
    }
}

/// The benchmark's baseline: parse a progress report's body, do nothing.
async fn noop(ApiJson(_): ApiJson<tongyu_service::learning::Report>) -> axum::response::Response {
    no_content()
}
