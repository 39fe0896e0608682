//! A school's work group and term plans through the API.

use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_domain::calendar::Term;
use tongyu_domain::work_group::Duty;
use tongyu_service::work_group::{self, MemberSet, Who, WorkGroup};

use crate::AppState;
use crate::api::{ApiJson, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/work-groups/{school_id}",
            "学校的工作小组、缺口与各学期家庭教育工作计划（读取记入审计）",
        )
        .returns::<WorkGroup>(200)
        .errors(&[ErrorCode::ValidationFailed]),
        Op::put(
            "/work-groups/{school_id}/members/{account_id}",
            "将本校教职工（或作为家委会代表的本校家长）加入工作小组，或调整其职责",
        )
        .body::<MemberBody>()
        .returns::<MemberSet>(200)
        .errors(&[ErrorCode::Conflict]),
        Op::delete(
            "/work-groups/{school_id}/members/{account_id}",
            "将成员移出工作小组",
        )
        .no_content(),
        Op::put(
            "/work-groups/{school_id}/plans/{school_year}/{term}",
            "保存本学期或下学期的家庭教育工作计划（Markdown）",
        )
        .body::<PlanBody>()
        .no_content(),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/work-groups/{school_id}", get(show))
        .route(
            "/work-groups/{school_id}/members/{account_id}",
            put(set_member).delete(remove_member),
        )
        .route(
            "/work-groups/{school_id}/plans/{school_year}/{term}",
            put(save_plan),
        )
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(school): Path<i64>,
) -> ApiResult<Json<WorkGroup>> {
    Ok(Json(work_group::show(&state.app, &user.ctx, school).await?))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct MemberBody {
    duty: Duty,
}

async fn set_member(
    State(state): State<AppState>,
    user: ApiUser,
    Path((school, account)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<Json<MemberSet>> {
    Ok(Json(
        work_group::set_member(
            &state.app,
            &user.ctx,
            school,
            &Who::Account(account),
            b.duty,
        )
        .await?,
    ))
}

async fn remove_member(
    State(state): State<AppState>,
    user: ApiUser,
    Path((school, account)): Path<(i64, i64)>,
) -> ApiResult<axum::response::Response> {
    work_group::remove_member(&state.app, &user.ctx, school, account).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct PlanBody {
    /// Markdown.
    body: String,
}

async fn save_plan(
    State(state): State<AppState>,
    user: ApiUser,
    Path((school, year, term)): Path<(i64, i64, Term)>,
    ApiJson(b): ApiJson<PlanBody>,
) -> ApiResult<axum::response::Response> {
    work_group::save_plan(&state.app, &user.ctx, school, year, term, &b.body).await?;
    Ok(no_content())
}
