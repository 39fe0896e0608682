//! The guidance centres through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_service::guidance_center::{self as guidance, CenterView, NewCenter, NewServiceInput};

use crate::AppState;
use crate::api::{ApiJson, Created, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/guidance/{unit_id}",
            "市或区(市)的协同育人指导中心：档案、教研员、本学年服务统计与记录；市级另列未建中心的区(市)",
        )
        .returns::<CenterView>(200)
        .errors(&[ErrorCode::ValidationFailed]),
        Op::put("/guidance/{unit_id}", "建立或修改指导中心档案（含家庭教育科）")
            .body::<NewCenter>()
            .no_content(),
        Op::post(
            "/guidance/{unit_id}/services",
            "记录指导中心的一次服务（咨询、讲座、培训、进校指导）",
        )
        .body::<NewServiceInput>()
        .returns::<Created>(201),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/guidance/{unit_id}", get(show).put(save))
        .route("/guidance/{unit_id}/services", post(service))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
) -> ApiResult<Json<CenterView>> {
    Ok(Json(guidance::show(&state.app, &user.ctx, unit).await?))
}

async fn save(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
    ApiJson(b): ApiJson<NewCenter>,
) -> ApiResult<axum::response::Response> {
    guidance::save(&state.app, &user.ctx, unit, &b).await?;
    Ok(no_content())
}

async fn service(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
    ApiJson(b): ApiJson<NewServiceInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = guidance::record_service(&state.app, &user.ctx, unit, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
