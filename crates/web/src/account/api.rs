//! Accounts, grants and integration tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use tongyu_domain::account::Role;
use tongyu_service::account::{self as accounts, AccountInput};
use tongyu_service::account::{AccountFilter, AccountRow, GrantLabel};
use tongyu_service::auth;
use tongyu_service::auth::IntegrationToken;

use crate::AppState;
use crate::api::ApiQuery;
use crate::api::{ApiJson, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/accounts",
            "范围内的账号（可按角色、单位、关键词筛选，分页）",
        )
        .query::<ListQuery>()
        .returns::<AccountPage>(200),
        Op::post(
            "/accounts",
            "新建账号并授予一个角色（未给密码则生成临时密码，只返回一次）",
        )
        .body::<AccountInput>()
        .returns::<CreatedAccount>(201),
        Op::get("/accounts/{id}", "账号详情").returns::<AccountView>(200),
        Op::post("/accounts/{id}/phone", "查看完整手机号（记入审计）").returns::<PhoneView>(200),
        Op::post("/accounts/{id}/grants", "增加角色")
            .body::<GrantBody>()
            .returns::<AccountView>(200),
        Op::delete("/accounts/{id}/grants/{role}/{unit_id}", "撤销角色").no_content(),
        Op::post(
            "/accounts/{id}/reset-password",
            "重置密码（临时密码只返回一次）",
        )
        .returns::<PasswordView>(200),
        Op::post("/accounts/{id}/unlock", "解除锁定").no_content(),
        Op::post(
            "/accounts/{id}/second-factor/reset",
            "安全管理员重置动态口令（手机丢失时）",
        )
        .no_content(),
        Op::post("/accounts/{id}/deactivate", "停用账号").no_content(),
        Op::post("/accounts/{id}/activate", "启用账号").no_content(),
        Op::get("/integrations", "接口令牌列表").returns::<IntegrationList>(200),
        Op::post("/integrations", "新建接口令牌（令牌只返回一次）")
            .body::<IntegrationBody>()
            .returns::<CreatedIntegration>(201),
        Op::delete("/integrations/{id}", "吊销接口令牌").no_content(),
    ]
}

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

/// An account as staff see it: the phone masked.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct AccountView {
    id: i64,
    username: String,
    display_name: String,
    /// Masked (`139****0001`).
    phone: String,
    active: bool,
    /// Unix seconds; 0: not locked.
    locked_until: i64,
    must_change_password: bool,
    /// Unix seconds; 0: never.
    last_login_at: i64,
    grants: Vec<GrantLabel>,
}

impl From<AccountRow> for AccountView {
    fn from(r: AccountRow) -> Self {
        let a = r.account;
        Self {
            phone: a.masked_phone(),
            id: a.id,
            username: a.username,
            display_name: a.display_name,
            active: a.active,
            locked_until: a.locked_until,
            must_change_password: a.must_change_password,
            last_login_at: a.last_login_at,
            grants: r.grants,
        }
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct AccountPage {
    items: Vec<AccountView>,
    limit: i64,
    offset: i64,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct CreatedAccount {
    #[serde(flatten)]
    account: AccountView,
    /// The password to hand to the owner, shown once.
    initial_password: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct PhoneView {
    /// The whole number; null when the account has none.
    phone: Option<String>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct PasswordView {
    /// Shown once; the owner must change it at the next sign-in.
    initial_password: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct IntegrationList {
    items: Vec<IntegrationToken>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct CreatedIntegration {
    id: i64,
    name: String,
    unit_id: i64,
    /// Shown once.
    token: String,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
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
) -> ApiResult<Json<AccountPage>> {
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
    Ok(Json(AccountPage {
        items: rows.into_iter().map(AccountView::from).collect(),
        limit,
        offset: filter.offset,
    }))
}

async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<CreatedAccount>)> {
    let c = accounts::create(&state.app, &user.ctx, &b).await?;
    let row = accounts::get(&state.app, &user.ctx, c.account.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedAccount {
            account: row.into(),
            initial_password: c.initial_password,
        }),
    ))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(accounts::get(&state.app, &user.ctx, id).await?.into()))
}

async fn reveal_phone(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<PhoneView>> {
    let phone = accounts::reveal_phone(&state.app, &user.ctx, id).await?;
    Ok(Json(PhoneView { phone }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct GrantBody {
    role: String,
    unit_id: i64,
}

async fn add_grant(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<GrantBody>,
) -> ApiResult<Json<AccountView>> {
    accounts::add_grant(&state.app, &user.ctx, id, &b.role, b.unit_id).await?;
    Ok(Json(accounts::get(&state.app, &user.ctx, id).await?.into()))
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
) -> ApiResult<Json<PasswordView>> {
    let initial_password = accounts::reset_password(&state.app, &user.ctx, id).await?;
    Ok(Json(PasswordView { initial_password }))
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

async fn list_integrations(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<IntegrationList>> {
    let items = auth::list_integration_tokens(&state.app, &user.ctx).await?;
    Ok(Json(IntegrationList { items }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct IntegrationBody {
    name: String,
    unit_id: i64,
}

async fn create_integration(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<IntegrationBody>,
) -> ApiResult<(StatusCode, Json<CreatedIntegration>)> {
    let (t, token) =
        auth::create_integration_token(&state.app, &user.ctx, &b.name, b.unit_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedIntegration {
            id: t.id,
            name: t.name,
            unit_id: t.unit_id,
            token,
        }),
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
