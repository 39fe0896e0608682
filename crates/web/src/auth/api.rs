//! Sign in and out, passwords, and who am I.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_domain::verify::Purpose;
use tongyu_service::account::GrantLabel;
use tongyu_service::auth::{self, SessionKind};
use tongyu_service::second_factor::Setup;
use tongyu_service::verify::CodeSent;

use crate::AppState;
use crate::api::{ApiJson, no_content};
use crate::error::ApiResult;
use crate::extract::{ApiIntegration, ApiUser, RequestMeta};
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    use ErrorCode as E;
    vec![
        Op::post("/auth/login", "登录，返回 bearer 令牌")
            .body::<LoginBody>()
            .returns::<LoginView>(200)
            .public()
            .errors(&[E::InvalidCredentials, E::AccountLocked, E::RateLimited]),
        Op::post("/auth/logout", "退出登录（令牌失效）").no_content(),
        Op::post(
            "/auth/codes",
            "向手机号发送注册验证码（无论号码是否注册，应答相同）",
        )
        .body::<CodeBody>()
        .returns::<CodeSent>(202)
        .public()
        .errors(&[E::RateLimited]),
        Op::post(
            "/auth/register",
            "家长凭短信验证码注册或激活学校导入的账号，返回令牌",
        )
        .body::<tongyu_service::student::Registration>()
        .returns::<RegisteredView>(201)
        .public()
        .errors(&[E::RateLimited]),
        Op::post("/me/codes", "向本人手机发送验证码（purpose: bind）")
            .body::<OwnCodeBody>()
            .returns::<CodeSent>(202)
            .errors(&[E::RateLimited]),
        Op::post(
            "/auth/second-factor/setup",
            "管理员设置动态口令：返回密钥与 otpauth 地址",
        )
        .returns::<Setup>(201),
        Op::post(
            "/auth/second-factor",
            "管理员输入动态口令或恢复码，返回新令牌（设置时另返回恢复码）",
        )
        .body::<FactorBody>()
        .returns::<FactorView>(200)
        .errors(&[E::InvalidCredentials, E::AccountLocked]),
        Op::post("/auth/password", "修改自己的密码")
            .body::<PasswordBody>()
            .no_content()
            .errors(&[E::InvalidCredentials]),
        Op::get("/me", "当前账号及其角色").returns::<MeView>(200),
        Op::get("/integration/whoami", "接口令牌自身信息").returns::<IntegrationView>(200),
    ]
}

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

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct LoginView {
    token: String,
    /// Unix seconds.
    expires_at: i64,
    must_change_password: bool,
    /// `setup` or `verify`: the token opens nothing else until
    /// `POST /auth/second-factor` answers with a new one.
    second_factor: Option<&'static str>,
}

async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Json<LoginView>> {
    let out = auth::login(
        &state.app,
        &meta.origin(),
        &b.username,
        &b.password,
        SessionKind::Api,
    )
    .await?;
    let owed = out.owed(&state.app).await?;
    Ok(Json(LoginView {
        must_change_password: out.account.must_change_password,
        token: out.token,
        expires_at: out.expires_at,
        second_factor: owed.map(|o| o.as_str()),
    }))
}

/// An administrator's authenticator set-up: the secret and its address.
async fn second_factor_setup(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<(StatusCode, Json<Setup>)> {
    let setup = tongyu_service::second_factor::begin_setup(&state.app, &user.session).await?;
    Ok((StatusCode::CREATED, Json(setup)))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct FactorBody {
    /// Six digits from the app, or a recovery code.
    code: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct FactorView {
    token: String,
    expires_at: i64,
    /// Shown once, when the factor was just set up; empty otherwise.
    recovery_codes: Vec<String>,
}

/// Gives the second factor: the session is replaced by the one returned.
async fn second_factor(
    State(state): State<AppState>,
    user: ApiUser,
    meta: RequestMeta,
    ApiJson(b): ApiJson<FactorBody>,
) -> ApiResult<Json<FactorView>> {
    let given =
        tongyu_service::second_factor::give(&state.app, &meta.origin(), &user.session, &b.code)
            .await?;
    Ok(Json(FactorView {
        token: given.login.token,
        expires_at: given.login.expires_at,
        recovery_codes: given.recovery_codes,
    }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct CodeBody {
    phone: String,
}

/// A sign-up code to a phone. The answer is the same whether or not the
/// number is registered.
async fn send_code(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(b): ApiJson<CodeBody>,
) -> ApiResult<(StatusCode, Json<CodeSent>)> {
    let sent =
        tongyu_service::verify::send_code(&state.app, &meta.origin(), &b.phone, Purpose::Register)
            .await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct OwnCodeBody {
    /// `bind` (to ask for a child's link).
    purpose: String,
}

/// A code to the signed-in account's own phone.
async fn send_own_code(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<OwnCodeBody>,
) -> ApiResult<(StatusCode, Json<CodeSent>)> {
    let purpose = Purpose::parse(&b.purpose)?;
    if purpose != Purpose::Bind {
        return Err(
            tongyu_domain::Error::invalid("purpose", "这里只能获取绑定孩子的验证码").into(),
        );
    }
    let sent = tongyu_service::student::send_own_code(&state.app, &user.ctx, purpose).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct RegisteredView {
    id: i64,
    username: String,
    token: String,
    expires_at: i64,
}

/// Signs up with a proven phone; answers with a session token.
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(b): ApiJson<tongyu_service::student::Registration>,
) -> ApiResult<(StatusCode, Json<RegisteredView>)> {
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
        Json(RegisteredView {
            id: account.id,
            username: account.username,
            token: out.token,
            expires_at: out.expires_at,
        }),
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

#[derive(serde::Deserialize, schemars::JsonSchema)]
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

#[derive(serde::Serialize, schemars::JsonSchema)]
struct MeView {
    id: i64,
    username: String,
    display_name: String,
    /// Masked (`139****0001`).
    phone: String,
    must_change_password: bool,
    grants: Vec<GrantLabel>,
}

async fn me(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<MeView>> {
    let row = tongyu_service::account::get(&state.app, &user.ctx, user.session.account.id).await?;
    let a = row.account;
    Ok(Json(MeView {
        phone: a.masked_phone(),
        id: a.id,
        username: a.username,
        display_name: a.display_name,
        must_change_password: a.must_change_password,
        grants: row.grants,
    }))
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct IntegrationView {
    id: i64,
    name: String,
    unit_id: i64,
}

async fn integration_whoami(caller: ApiIntegration) -> Json<IntegrationView> {
    Json(IntegrationView {
        id: caller.token.id,
        name: caller.token.name.clone(),
        unit_id: caller.token.unit_id,
    })
}
