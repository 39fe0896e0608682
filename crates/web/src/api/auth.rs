//! Sign in and out, passwords, and who am I.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_service::auth::{self, SessionKind};

use super::{ApiJson, no_content};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiIntegration, ApiUser, RequestMeta};

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/auth/login",
            post(login).route_layer(axum::middleware::from_fn_with_state(
                state,
                crate::throttle::limit,
            )),
        )
        .route("/auth/logout", post(logout))
        .route("/auth/password", post(change_password))
        .route("/me", get(me))
        .route("/integration/whoami", get(integration_whoami))
}

#[derive(serde::Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let out = auth::login(
        &state.app,
        &meta.origin(),
        &b.username,
        &b.password,
        SessionKind::Api,
    )
    .await?;
    Ok(Json(json!({
        "token": out.token,
        "expires_at": out.expires_at,
        "must_change_password": out.account.must_change_password,
    })))
}

async fn logout(
    State(state): State<AppState>,
    user: ApiUser,
    meta: RequestMeta,
) -> ApiResult<axum::response::Response> {
    auth::logout(&state.app, &meta.origin(), &user.session).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize)]
struct PasswordBody {
    current: String,
    new: String,
}

async fn change_password(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<axum::response::Response> {
    auth::change_password(
        &state.app,
        &user.ctx,
        &user.session,
        &b.current,
        &b.new,
        &b.new,
    )
    .await?;
    Ok(no_content())
}

async fn me(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    let row = tongyu_service::account::get(&state.app, &user.ctx, user.session.account.id).await?;
    let a = &row.account;
    Ok(Json(json!({
        "id": a.id,
        "username": a.username,
        "display_name": a.display_name,
        "phone": a.masked_phone(),
        "must_change_password": a.must_change_password,
        "grants": row.grants.iter().map(|g| json!({
            "role": g.role, "unit_id": g.unit_id, "unit_name": g.unit_name,
        })).collect::<Vec<_>>(),
    })))
}

async fn integration_whoami(caller: ApiIntegration) -> Json<Value> {
    Json(
        json!({ "id": caller.token.id, "name": caller.token.name, "unit_id": caller.token.unit_id }),
    )
}
