//! The coordination groups and their joint meetings through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_service::coordination_group::{
    self as coordination, GroupView, MeetingDetail, NewDepartment, NewItem, NewMeeting,
};

use crate::AppState;
use crate::api::{ApiJson, Created, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/coordination/{unit_id}",
            "市或区(市)的协同育人工作协调小组：组长、成员单位、联席会议、未完成事项；市级另含各区(市)情况",
        )
        .returns::<GroupView>(200)
        .errors(&[ErrorCode::ValidationFailed]),
        Op::put("/coordination/{unit_id}", "填写协调小组的组长与成立日期")
            .body::<GroupBody>()
            .no_content(),
        Op::post("/coordination/{unit_id}/departments", "添加成员单位及联络人")
            .body::<NewDepartment>()
            .returns::<Created>(201),
        Op::delete(
            "/coordination/{unit_id}/departments/{id}",
            "移除未出席过会议的成员单位",
        )
        .no_content()
        .errors(&[ErrorCode::Conflict]),
        Op::post(
            "/coordination/{unit_id}/meetings",
            "记录一次联席会议：日期、议程、纪要（Markdown）与出席单位",
        )
        .body::<NewMeeting>()
        .returns::<Created>(201),
        Op::get("/joint-meetings/{id}", "联席会议的纪要、出席情况与决定事项")
            .returns::<MeetingDetail>(200),
        Op::post(
            "/joint-meetings/{id}/items",
            "添加会议决定事项：责任单位（本级或下级）与完成时限",
        )
        .body::<NewItem>()
        .returns::<Created>(201),
        Op::post(
            "/meeting-items/{id}/done",
            "责任单位或协调小组标记事项完成，并说明完成情况",
        )
        .body::<DoneBody>()
        .no_content()
        .errors(&[ErrorCode::Conflict]),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coordination/{unit_id}", get(show).put(save_group))
        .route("/coordination/{unit_id}/departments", post(add_department))
        .route(
            "/coordination/{unit_id}/departments/{id}",
            delete(remove_department),
        )
        .route("/coordination/{unit_id}/meetings", post(record_meeting))
        .route("/joint-meetings/{id}", get(meeting))
        .route("/joint-meetings/{id}/items", post(add_item))
        .route("/meeting-items/{id}/done", post(close_item))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(coordination::show(&state.app, &user.ctx, unit).await?))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct GroupBody {
    /// Who leads the group (`分管副市长 …`).
    lead: String,
    /// `YYYY-MM-DD`.
    set_up_on: String,
}

async fn save_group(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<axum::response::Response> {
    coordination::save_group(&state.app, &user.ctx, unit, &b.lead, &b.set_up_on).await?;
    Ok(no_content())
}

async fn add_department(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
    ApiJson(b): ApiJson<NewDepartment>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = coordination::add_department(&state.app, &user.ctx, unit, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn remove_department(
    State(state): State<AppState>,
    user: ApiUser,
    Path((unit, id)): Path<(i64, i64)>,
) -> ApiResult<axum::response::Response> {
    coordination::remove_department(&state.app, &user.ctx, unit, id).await?;
    Ok(no_content())
}

async fn record_meeting(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
    ApiJson(b): ApiJson<NewMeeting>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = coordination::record_meeting(&state.app, &user.ctx, unit, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn meeting(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<MeetingDetail>> {
    Ok(Json(
        coordination::meeting(&state.app, &user.ctx, id).await?,
    ))
}

async fn add_item(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewItem>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = coordination::add_item(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct DoneBody {
    /// What was done.
    note: String,
}

async fn close_item(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DoneBody>,
) -> ApiResult<axum::response::Response> {
    coordination::close_item(&state.app, &user.ctx, id, &b.note).await?;
    Ok(no_content())
}
