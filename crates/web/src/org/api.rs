//! The org tree.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_domain::org::Unit;
use tongyu_service::org::{self, UnitInput};

use crate::AppState;
use crate::api::ApiJson;
use crate::api::ApiQuery;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units", get(roots))
        .route("/units/{id}", get(show).patch(update))
        .route("/units/{id}/children", get(children).post(create_child))
        .route("/units/{id}/move", post(move_unit))
        .route("/units/{id}/deactivate", post(deactivate))
        .route("/units/{id}/activate", post(activate))
}

pub fn unit_json(u: &Unit) -> Value {
    json!({
        "id": u.id,
        "parent_id": u.parent_id,
        "kind": u.kind,
        "name": u.name,
        "external_id": u.external_id,
        "stages": u.stages,
        "grade": if u.grade.is_empty() { None } else { Some(&u.grade) },
        "school_year": if u.school_year == 0 { None } else { Some(u.school_year) },
        "active": u.active,
        "counts": u.counts,
    })
}

/// The units the caller's view starts from.
async fn roots(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    let units = org::home_units(&state.app, &user.ctx).await?;
    Ok(Json(
        json!({ "items": units.iter().map(unit_json).collect::<Vec<_>>() }),
    ))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let b = org::browse(&state.app, &user.ctx, id, false).await?;
    let mut v = unit_json(&b.unit);
    v["ancestors"] = json!(
        b.ancestors
            .iter()
            .map(|a| json!({"id": a.id, "name": a.name, "kind": a.kind}))
            .collect::<Vec<_>>()
    );
    v["can_manage"] = json!(b.can_manage);
    Ok(Json(v))
}

#[derive(serde::Deserialize, Default)]
struct ChildrenQuery {
    #[serde(default)]
    include_inactive: bool,
}

async fn children(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<ChildrenQuery>,
) -> ApiResult<Json<Value>> {
    let b = org::browse(&state.app, &user.ctx, id, q.include_inactive).await?;
    Ok(Json(
        json!({ "items": b.children.iter().map(unit_json).collect::<Vec<_>>() }),
    ))
}

async fn create_child(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UnitInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let u = org::create_child(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(unit_json(&u))))
}

#[derive(serde::Deserialize)]
struct UpdateBody {
    name: String,
    #[serde(default)]
    stages: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<Json<Value>> {
    let u = org::update(&state.app, &user.ctx, id, &b.name, b.stages.as_deref()).await?;
    Ok(Json(unit_json(&u)))
}

#[derive(serde::Deserialize)]
struct MoveBody {
    parent_id: i64,
}

async fn move_unit(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<MoveBody>,
) -> ApiResult<Json<Value>> {
    let u = org::move_unit(&state.app, &user.ctx, id, b.parent_id).await?;
    Ok(Json(unit_json(&u)))
}

async fn deactivate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(unit_json(
        &org::set_active(&state.app, &user.ctx, id, false).await?,
    )))
}

async fn activate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(unit_json(
        &org::set_active(&state.app, &user.ctx, id, true).await?,
    )))
}
