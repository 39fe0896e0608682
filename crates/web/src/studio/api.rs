//! Master-teacher studios through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_domain::studio::Grade;
use tongyu_service::studio::{self as studios, NewOutput, PublicStudio, StudioView, Studios};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::api::{ApiJson, Created, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/studios",
            "名师工作室：已入选、待遴选与未入选，及行动计划目标数",
        )
        .returns::<Studios>(200),
        Op::post("/studios", "教师申报主持名师工作室")
            .body::<ApplyBody>()
            .returns::<Created>(201)
            .errors(&[ErrorCode::Conflict]),
        Op::get("/studios/{id}", "工作室：成员、年度计划、成果与年度考核")
            .returns::<StudioView>(200),
        Op::post(
            "/studios/{id}/decision",
            "市级遴选：入选（不超过目标数）或不入选",
        )
        .body::<DecisionBody>()
        .no_content()
        .errors(&[ErrorCode::Conflict]),
        Op::post("/studios/{id}/members", "主持人添加成员（教职工）")
            .body::<MemberBody>()
            .no_content()
            .errors(&[ErrorCode::Conflict]),
        Op::put("/studios/{id}/plan", "主持人填写本学年工作计划（Markdown）")
            .body::<PlanBody>()
            .no_content(),
        Op::post(
            "/studios/{id}/outputs",
            "关联成果：已发布的课程、成员已发布的微课教案，或讲座",
        )
        .body::<NewOutput>()
        .returns::<Created>(201),
        Op::put("/studios/{id}/review", "市级年度考核")
            .body::<ReviewBody>()
            .no_content()
            .errors(&[ErrorCode::Conflict]),
        Op::get("/public/studios/{id}", "已入选工作室的公开页面（无需登录）")
            .returns::<PublicStudio>(200)
            .public(),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studios", get(list).post(apply))
        .route("/studios/{id}", get(show))
        .route("/studios/{id}/decision", post(decide))
        .route("/studios/{id}/members", post(member))
        .route("/studios/{id}/plan", put(plan))
        .route("/studios/{id}/outputs", post(output))
        .route("/studios/{id}/review", put(review))
        .route("/public/studios/{id}", get(public))
}

async fn list(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Studios>> {
    Ok(Json(studios::list(&state.app, &user.ctx).await?))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "StudioApplyBody")]
struct ApplyBody {
    name: String,
    /// The studio's research focus.
    focus: String,
}

async fn apply(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<ApplyBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = studios::apply(&state.app, &user.ctx, &b.name, &b.focus).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<StudioView>> {
    Ok(Json(studios::show(&state.app, &user.ctx, id).await?))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "StudioDecisionBody")]
struct DecisionBody {
    select: bool,
    #[serde(default)]
    note: String,
}

async fn decide(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<axum::response::Response> {
    studios::decide(&state.app, &user.ctx, id, b.select, &b.note).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "StudioMemberBody")]
struct MemberBody {
    account_id: i64,
}

async fn member(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<axum::response::Response> {
    studios::add_member(&state.app, &user.ctx, id, &Who::Account(b.account_id)).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "StudioPlanBody")]
struct PlanBody {
    body: String,
}

async fn plan(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<PlanBody>,
) -> ApiResult<axum::response::Response> {
    studios::save_plan(&state.app, &user.ctx, id, &b.body).await?;
    Ok(no_content())
}

async fn output(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewOutput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = studios::add_output(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "StudioReviewBody")]
struct ReviewBody {
    grade: Grade,
    #[serde(default)]
    note: String,
}

async fn review(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReviewBody>,
) -> ApiResult<axum::response::Response> {
    studios::review(&state.app, &user.ctx, id, b.grade, &b.note).await?;
    Ok(no_content())
}

async fn public(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<PublicStudio>> {
    Ok(Json(studios::public(&state.app, id).await?))
}
