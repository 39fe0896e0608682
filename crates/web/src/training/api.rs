//! Training through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_service::training::{
    self as training, Board, CheckedIn, NewProgramme, NewSession, Programme, ProgrammeView, Record,
    SessionView,
};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::api::{ApiJson, Created, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get("/training/programmes", "我组织的与可参加的培训项目").returns::<Programmes>(200),
        Op::post(
            "/units/{unit_id}/training-programmes",
            "市、区(市)或学校建立培训项目（五步法、家访、家委会主任、讲师培训等）",
        )
        .body::<NewProgramme>()
        .returns::<Created>(201),
        Op::get("/training/programmes/{id}", "培训项目及其场次").returns::<ProgrammeView>(200),
        Op::post(
            "/training/programmes/{id}/sessions",
            "安排培训场次：线下（扫码签到）或线上（课程库课时）",
        )
        .body::<NewSession>()
        .returns::<Created>(201),
        Op::get(
            "/training/sessions/{id}",
            "培训场次；组织者另见签到码与签到名单（记入审计）",
        )
        .returns::<SessionView>(200),
        Op::post(
            "/training/check-in",
            "扫码签到（开始前30分钟至结束后30分钟）",
        )
        .body::<CheckInBody>()
        .returns::<CheckedIn>(200),
        Op::post(
            "/training/sessions/{id}/complete",
            "线上培训：看完课程后确认完成",
        )
        .returns::<CheckedIn>(200),
        Op::post("/training/sessions/{id}/attendance", "组织者补登签到")
            .body::<RosterBody>()
            .no_content()
            .errors(&[ErrorCode::Conflict]),
        Op::get("/training/me", "我的培训记录与学时").returns::<Record>(200),
        Op::get(
            "/training/people/{account_id}",
            "教职工的培训记录（有权查看其单位人员者；记入审计）",
        )
        .returns::<Record>(200),
        Op::get(
            "/training/board/{unit_id}",
            "单位及下级的培训完成情况：班主任“五步法”、教师家访、家委会主任",
        )
        .returns::<Board>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/training/programmes", get(programmes))
        .route("/units/{unit_id}/training-programmes", post(create))
        .route("/training/programmes/{id}", get(programme))
        .route("/training/programmes/{id}/sessions", post(add_session))
        .route("/training/sessions/{id}", get(session))
        .route("/training/check-in", post(check_in))
        .route("/training/sessions/{id}/complete", post(complete))
        .route("/training/sessions/{id}/attendance", post(attendance))
        .route("/training/me", get(me))
        .route("/training/people/{account_id}", get(person))
        .route("/training/board/{unit_id}", get(board))
}

#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TrainingProgrammes")]
struct Programmes {
    run: Vec<Programme>,
    to_attend: Vec<Programme>,
}

async fn programmes(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Programmes>> {
    let (run, to_attend) = training::programmes(&state.app, &user.ctx).await?;
    Ok(Json(Programmes { run, to_attend }))
}

async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
    ApiJson(b): ApiJson<NewProgramme>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = training::create_programme(&state.app, &user.ctx, unit, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn programme(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProgrammeView>> {
    Ok(Json(training::programme(&state.app, &user.ctx, id).await?))
}

async fn add_session(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewSession>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = training::add_session(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn session(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<SessionView>> {
    Ok(Json(training::session(&state.app, &user.ctx, id).await?))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "TrainingCheckInBody")]
struct CheckInBody {
    /// The token the session's QR code carries.
    token: String,
}

async fn check_in(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<CheckInBody>,
) -> ApiResult<Json<CheckedIn>> {
    Ok(Json(
        training::check_in(&state.app, &user.ctx, &b.token).await?,
    ))
}

async fn complete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<CheckedIn>> {
    Ok(Json(
        training::complete_online(&state.app, &user.ctx, id).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "TrainingRosterBody")]
struct RosterBody {
    account_id: i64,
}

async fn attendance(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RosterBody>,
) -> ApiResult<axum::response::Response> {
    training::record_attendance(&state.app, &user.ctx, id, &Who::Account(b.account_id)).await?;
    Ok(no_content())
}

async fn me(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Record>> {
    Ok(Json(training::my_record(&state.app, &user.ctx).await?))
}

async fn person(
    State(state): State<AppState>,
    user: ApiUser,
    Path(account): Path<i64>,
) -> ApiResult<Json<Record>> {
    Ok(Json(
        training::record(&state.app, &user.ctx, account).await?,
    ))
}

async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
) -> ApiResult<Json<Board>> {
    Ok(Json(training::board(&state.app, &user.ctx, unit).await?))
}
