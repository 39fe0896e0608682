//! Accounts, grants and integration tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_domain::account::Role;
use tongyu_service::account::{self as accounts, AccountInput};
use tongyu_service::account::{AccountFilter, AccountRow};
use tongyu_service::auth;

use crate::AppState;
use crate::api::ApiQuery;
use crate::api::{ApiJson, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list).post(create))
        .route("/accounts/{id}", get(show))
        .route("/accounts/{id}/phone", post(reveal_phone))
        .route("/accounts/{id}/grants", post(add_grant))
        .route(
            "/accounts/{id}/grants/{role}/{unit_id}",
            delete(remove_grant),
        )
        .route("/accounts/{id}/reset-password", post(reset_password))
        .route("/accounts/{id}/unlock", post(unlock))
        .route(
            "/accounts/{id}/second-factor/reset",
            post(reset_second_factor),
        )
        .route("/accounts/{id}/deactivate", post(deactivate))
        .route("/accounts/{id}/activate", post(activate))
        .route(
            "/integrations",
            get(list_integrations).post(create_integration),
        )
        .route("/integrations/{id}", delete(revoke_integration))
}

fn account_json(r: &AccountRow) -> Value {
    let a = &r.account;
    json!({
        "id": a.id,
        "username": a.username,
        "display_name": a.display_name,
        "phone": a.masked_phone(),
        "active": a.active,
        "locked_until": a.locked_until,
        "must_change_password": a.must_change_password,
        "last_login_at": a.last_login_at,
        "grants": r.grants.iter().map(|g| json!({"role": g.role, "unit_id": g.unit_id, "unit_name": g.unit_name})).collect::<Vec<_>>(),
    })
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    role: Option<String>,
    #[serde(default)]
    q: String,
    unit_id: Option<i64>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let role = match q.role.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(Role::parse(r)?),
        None => None,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let filter = AccountFilter {
        role,
        q: q.q,
        limit,
        offset: q.offset.unwrap_or(0).max(0),
        ..AccountFilter::default()
    };
    let rows = accounts::list(&state.app, &user.ctx, q.unit_id, &filter).await?;
    Ok(Json(
        json!({ "items": rows.iter().map(account_json).collect::<Vec<_>>(), "limit": limit, "offset": filter.offset }),
    ))
}

async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = accounts::create(&state.app, &user.ctx, &b).await?;
    let row = accounts::get(&state.app, &user.ctx, c.account.id).await?;
    let mut v = account_json(&row);
    v["initial_password"] = json!(c.initial_password);
    Ok((StatusCode::CREATED, Json(v)))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(account_json(
        &accounts::get(&state.app, &user.ctx, id).await?,
    )))
}

async fn reveal_phone(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let phone = accounts::reveal_phone(&state.app, &user.ctx, id).await?;
    Ok(Json(json!({ "phone": phone })))
}

#[derive(serde::Deserialize)]
struct GrantBody {
    role: String,
    unit_id: i64,
}

async fn add_grant(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<GrantBody>,
) -> ApiResult<Json<Value>> {
    accounts::add_grant(&state.app, &user.ctx, id, &b.role, b.unit_id).await?;
    Ok(Json(account_json(
        &accounts::get(&state.app, &user.ctx, id).await?,
    )))
}

async fn remove_grant(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, role, unit_id)): Path<(i64, String, i64)>,
) -> ApiResult<axum::response::Response> {
    accounts::remove_grant(&state.app, &user.ctx, id, &role, unit_id).await?;
    Ok(no_content())
}

async fn reset_password(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let password = accounts::reset_password(&state.app, &user.ctx, id).await?;
    Ok(Json(json!({ "initial_password": password })))
}

async fn unlock(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    accounts::unlock(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}

async fn reset_second_factor(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    tongyu_service::second_factor::reset(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}

async fn deactivate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    accounts::set_active(&state.app, &user.ctx, id, false).await?;
    Ok(no_content())
}

async fn activate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    accounts::set_active(&state.app, &user.ctx, id, true).await?;
    Ok(no_content())
}

async fn list_integrations(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    let items = auth::list_integration_tokens(&state.app, &user.ctx).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(serde::Deserialize)]
struct IntegrationBody {
    name: String,
    unit_id: i64,
}

async fn create_integration(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<IntegrationBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (t, token) =
        auth::create_integration_token(&state.app, &user.ctx, &b.name, b.unit_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": t.id, "name": t.name, "unit_id": t.unit_id, "token": token })),
    ))
}

async fn revoke_integration(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    auth::revoke_integration_token(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}
