//! The first lesson of term, what each parent is to watch, progress reports
//! from the player, boards.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_service::learning::{self, CampaignInput, Report};

use crate::AppState;
use crate::api::{ApiJson, ApiQuery};
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list_campaigns).post(create_campaign))
        .route("/campaigns/{id}/lessons", post(add_campaign_lesson))
        .route("/campaigns/{id}/board", get(board))
        .route("/campaigns/{id}/classes/{class_id}", get(class_families))
        .route("/me/lessons", get(my_lessons))
        .route("/me/recommendations", get(my_recommendations))
        .route("/me/continue", get(my_continue))
        .route("/progress", post(progress))
}

async fn list_campaigns(State(state): State<AppState>, _user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": learning::campaigns(&state.app).await? }),
    ))
}

async fn create_campaign(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<CampaignInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(
            learning::create_campaign(&state.app, &user.ctx, &b).await?
        )),
    ))
}

#[derive(serde::Deserialize)]
struct TargetBody {
    lesson_id: i64,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    school_id: Option<i64>,
}

async fn add_campaign_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TargetBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let t = learning::add_campaign_lesson(
        &state.app,
        &user.ctx,
        id,
        b.lesson_id,
        &b.grade,
        b.school_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!(t))))
}

#[derive(serde::Deserialize)]
struct BoardQuery {
    unit_id: i64,
}

fn row_json(r: &learning::BoardRow) -> Value {
    json!({
        "unit_id": r.unit.id, "name": r.unit.name, "kind": r.unit.kind,
        "families": r.families, "families_done": r.families_done, "lessons_done": r.lessons_done,
        "permille": r.permille(),
    })
}

async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Json<Value>> {
    let (campaign, top, rows) = learning::board(&state.app, &user.ctx, id, q.unit_id).await?;
    Ok(Json(
        json!({ "campaign": campaign, "unit": row_json(&top), "children": rows.iter().map(row_json).collect::<Vec<_>>() }),
    ))
}

async fn class_families(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, class_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": learning::class_families(&state.app, &user.ctx, id, class_id).await? }),
    ))
}

async fn my_lessons(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "children": learning::my_lessons(&state.app, &user.ctx).await? }),
    ))
}

/// A batch of played segments from the player; answered once durable.
async fn progress(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<Report>,
) -> ApiResult<Json<learning::Reported>> {
    Ok(Json(learning::report(&state.app, &user.ctx, &b).await?))
}

async fn my_recommendations(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({
        "items": learning::recommendations(&state.app, &user.ctx, 3).await?,
    })))
}

async fn my_continue(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({
        "items": learning::continue_watching(&state.app, &user.ctx, 20).await?,
    })))
}
