//! Parent committees through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_domain::parent_committee::Seat;
use tongyu_service::parent_committee::{
    self as committees, CommitteeDetail, Member, NewElection, NewWork, UnitCommittees,
};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::api::{ApiJson, Created, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/units/{unit_id}/committees",
            "学校、年级或班级的家委会：本学年一届（成员、选举、工作记录）与往届（读取记入审计）",
        )
        .returns::<UnitCommittees>(200)
        .errors(&[ErrorCode::ValidationFailed]),
        Op::post(
            "/units/{unit_id}/committees",
            "组建本学年或下一学年的家委会（每个单位每学年一届）",
        )
        .body::<FormBody>()
        .returns::<Created>(201)
        .errors(&[ErrorCode::Conflict]),
        Op::get(
            "/committees/{id}",
            "一届家委会的成员、选举与工作记录（读取记入审计）",
        )
        .returns::<CommitteeDetail>(200),
        Op::put(
            "/committees/{id}/members/{account_id}",
            "将本单位学生的家长加入家委会，或调整其职务（主任须经选举产生）",
        )
        .body::<SeatBody>()
        .returns::<Member>(200)
        .errors(&[ErrorCode::Conflict]),
        Op::delete("/committees/{id}/members/{account_id}", "将家长移出家委会").no_content(),
        Op::post(
            "/committees/{id}/elections",
            "记录一次选举：日期、投票人数与当选主任（须为成员）",
        )
        .body::<NewElection>()
        .returns::<Created>(201)
        .errors(&[ErrorCode::Conflict]),
        Op::post(
            "/committees/{id}/records",
            "记录家委会的一项工作（会议、活动、监督、征集意见）",
        )
        .body::<NewWork>()
        .returns::<Created>(201)
        .errors(&[ErrorCode::Conflict]),
        Op::post("/committees/{id}/dissolve", "解散一届家委会")
            .no_content()
            .errors(&[ErrorCode::Conflict]),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{unit_id}/committees", get(of_unit).post(form))
        .route("/committees/{id}", get(show))
        .route(
            "/committees/{id}/members/{account_id}",
            put(set_member).delete(remove_member),
        )
        .route("/committees/{id}/elections", post(election))
        .route("/committees/{id}/records", post(record))
        .route("/committees/{id}/dissolve", post(dissolve))
}

async fn of_unit(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
) -> ApiResult<Json<UnitCommittees>> {
    Ok(Json(
        committees::of_unit(&state.app, &user.ctx, unit).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct FormBody {
    school_year: i64,
    /// `YYYY-MM-DD`.
    formed_on: String,
}

async fn form(
    State(state): State<AppState>,
    user: ApiUser,
    Path(unit): Path<i64>,
    ApiJson(b): ApiJson<FormBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = committees::form(&state.app, &user.ctx, unit, b.school_year, &b.formed_on).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<CommitteeDetail>> {
    Ok(Json(committees::show(&state.app, &user.ctx, id).await?.1))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct SeatBody {
    seat: Seat,
}

async fn set_member(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, account)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<SeatBody>,
) -> ApiResult<Json<Member>> {
    Ok(Json(
        committees::set_member(&state.app, &user.ctx, id, &Who::Account(account), b.seat).await?,
    ))
}

async fn remove_member(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, account)): Path<(i64, i64)>,
) -> ApiResult<axum::response::Response> {
    committees::remove_member(&state.app, &user.ctx, id, account).await?;
    Ok(no_content())
}

async fn election(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewElection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = committees::record_election(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn record(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewWork>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = committees::record_work(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn dissolve(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    committees::dissolve(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}
