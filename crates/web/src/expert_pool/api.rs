//! The expert pool through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_domain::expert_pool::Pool;
use tongyu_service::expert_pool::{
    self as experts, Expert, ExpertView, NewProfile, NewRequestInput, Request,
};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, Created, Items, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/experts",
            "专家资源库：外援专家与本土专家，可按专长、地区搜索",
        )
        .query::<ListQuery>()
        .returns::<Items<Expert>>(200),
        Op::post("/experts", "将账号纳入专家资源库（市级管理员）")
            .body::<AddBody>()
            .returns::<Created>(201)
            .errors(&[ErrorCode::Conflict]),
        Op::get(
            "/experts/{id}",
            "专家档案：专长、讲座与评价、利益关系申报、邀请记录",
        )
        .returns::<ExpertView>(200),
        Op::put("/experts/{id}", "修改专家档案（专家本人或市级管理员）")
            .body::<NewProfile>()
            .no_content(),
        Op::post("/experts/{id}/conflicts", "专家申报与某单位的利益关系")
            .body::<ConflictBody>()
            .returns::<Created>(201),
        Op::post(
            "/experts/{id}/requests",
            "学校或教育局邀请专家讲座或评审（同一时间不重复安排；有利益关系者不参加其评审）",
        )
        .body::<NewRequestInput>()
        .returns::<Created>(201)
        .errors(&[ErrorCode::Conflict]),
        Op::get("/expert-requests", "本单位发出的邀请与待我答复的邀请").returns::<Requests>(200),
        Op::post("/expert-requests/{id}/answer", "专家接受或婉拒邀请")
            .body::<AnswerBody>()
            .no_content()
            .errors(&[ErrorCode::Conflict]),
        Op::post("/expert-requests/{id}/cancel", "邀请单位撤回邀请")
            .no_content()
            .errors(&[ErrorCode::Conflict]),
        Op::post(
            "/expert-requests/{id}/rating",
            "邀请单位在讲座或评审结束后评价",
        )
        .body::<RatingBody>()
        .no_content()
        .errors(&[ErrorCode::Conflict]),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/experts", get(list).post(add))
        .route("/experts/{id}", get(show).put(update))
        .route("/experts/{id}/conflicts", post(conflict))
        .route("/experts/{id}/requests", post(request))
        .route("/expert-requests", get(requests))
        .route("/expert-requests/{id}/answer", post(answer))
        .route("/expert-requests/{id}/cancel", post(cancel))
        .route("/expert-requests/{id}/rating", post(rate))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ExpertListQuery")]
struct ListQuery {
    pool: Option<Pool>,
    #[serde(default)]
    q: String,
}

async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Items<Expert>>> {
    Ok(Items::of(
        experts::list(&state.app, &user.ctx, q.pool, &q.q).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ExpertAddBody")]
struct AddBody {
    account_id: i64,
    profile: NewProfile,
}

async fn add(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<AddBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = experts::add(
        &state.app,
        &user.ctx,
        &Who::Account(b.account_id),
        &b.profile,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ExpertView>> {
    Ok(Json(experts::show(&state.app, &user.ctx, id).await?))
}

async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewProfile>,
) -> ApiResult<axum::response::Response> {
    experts::update(&state.app, &user.ctx, id, &b).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ExpertConflictBody")]
struct ConflictBody {
    unit_id: i64,
    reason: String,
}

async fn conflict(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ConflictBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = experts::declare_conflict(&state.app, &user.ctx, id, b.unit_id, &b.reason).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn request(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewRequestInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = experts::request(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ExpertRequests")]
struct Requests {
    /// Made by the reader's units, the latest first.
    made: Vec<Request>,
    /// Waiting for the reader's answer (an expert).
    waiting: Vec<Request>,
}

async fn requests(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Requests>> {
    Ok(Json(Requests {
        made: experts::requests_made(&state.app, &user.ctx).await?,
        waiting: experts::waiting(&state.app, &user.ctx).await?,
    }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ExpertAnswerBody")]
struct AnswerBody {
    accept: bool,
    #[serde(default)]
    note: String,
}

async fn answer(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> ApiResult<axum::response::Response> {
    experts::answer(&state.app, &user.ctx, id, b.accept, &b.note).await?;
    Ok(no_content())
}

async fn cancel(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    experts::cancel(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ExpertRatingBody")]
struct RatingBody {
    score: i64,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RatingBody>,
) -> ApiResult<axum::response::Response> {
    experts::rate(&state.app, &user.ctx, id, b.score, &b.comment).await?;
    Ok(no_content())
}
