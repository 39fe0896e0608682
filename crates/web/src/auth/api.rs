//! Sign in and out, passwords, and who am I.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_domain::verify::Purpose;
use tongyu_service::auth::{self, SessionKind};

use crate::AppState;
use crate::api::{ApiJson, no_content};
use crate::error::ApiResult;
use crate::extract::{ApiIntegration, ApiUser, RequestMeta};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/codes", post(send_code))
        .route("/auth/register", post(register))
        .route("/me/codes", post(send_own_code))
        .route("/auth/second-factor/setup", post(second_factor_setup))
        .route("/auth/second-factor", post(second_factor))
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
    let owed = out.owed(&state.app).await?;
    Ok(Json(json!({
        "token": out.token,
        "expires_at": out.expires_at,
        "must_change_password": out.account.must_change_password,
        // "setup" or "verify": the token opens nothing else until
        // `POST /auth/second-factor` answers with a new one.
        "second_factor": owed.map(|o| o.as_str()),
    })))
}

/// An administrator's authenticator set-up: the secret and its address.
async fn second_factor_setup(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<(StatusCode, Json<tongyu_service::second_factor::Setup>)> {
    let setup = tongyu_service::second_factor::begin_setup(&state.app, &user.session).await?;
    Ok((StatusCode::CREATED, Json(setup)))
}

#[derive(serde::Deserialize)]
struct FactorBody {
    /// Six digits from the app, or a recovery code.
    code: String,
}

/// Gives the second factor: the session is replaced by the one returned.
async fn second_factor(
    State(state): State<AppState>,
    user: ApiUser,
    meta: RequestMeta,
    ApiJson(b): ApiJson<FactorBody>,
) -> ApiResult<Json<Value>> {
    let given =
        tongyu_service::second_factor::give(&state.app, &meta.origin(), &user.session, &b.code)
            .await?;
    Ok(Json(json!({
        "token": given.login.token,
        "expires_at": given.login.expires_at,
        "recovery_codes": given.recovery_codes,
    })))
}

#[derive(serde::Deserialize)]
struct CodeBody {
    phone: String,
}

/// A sign-up code to a phone. The answer is the same whether or not the
/// number is registered.
async fn send_code(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(b): ApiJson<CodeBody>,
) -> ApiResult<(StatusCode, Json<tongyu_service::verify::CodeSent>)> {
    let sent =
        tongyu_service::verify::send_code(&state.app, &meta.origin(), &b.phone, Purpose::Register)
            .await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

#[derive(serde::Deserialize)]
struct OwnCodeBody {
    /// `bind` (to ask for a child's link).
    purpose: String,
}

/// A code to the signed-in account's own phone.
async fn send_own_code(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<OwnCodeBody>,
) -> ApiResult<(StatusCode, Json<tongyu_service::verify::CodeSent>)> {
    let purpose = Purpose::parse(&b.purpose)?;
    if purpose != Purpose::Bind {
        return Err(
            tongyu_domain::Error::invalid("purpose", "这里只能获取绑定孩子的验证码").into(),
        );
    }
    let sent = tongyu_service::student::send_own_code(&state.app, &user.ctx, purpose).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// Signs up with a proven phone; answers with a session token.
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(b): ApiJson<tongyu_service::student::Registration>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let origin = meta.origin();
    let account = tongyu_service::student::register_parent(&state.app, &origin, &b).await?;
    let out = auth::login(
        &state.app,
        &origin,
        &account.username,
        &b.password,
        SessionKind::Api,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": account.id,
            "username": account.username,
            "token": out.token,
            "expires_at": out.expires_at,
        })),
    ))
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
