//! A unit's people, and managing accounts and grants.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::account::Role;
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::account::AccountFilter;
use tongyu_service::account::{self as accounts, AccountInput};

use super::me::GrantView;
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, grantable_roles, is_user_error, notice, render};

const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(super::me::routes())
        .merge(super::integrations::routes())
        .route("/org/{id}/people", get(people))
        .route("/org/{id}/people.xlsx", get(people_xlsx))
        .route("/org/{id}/grants", post(grant_here))
        .route("/accounts", post(create))
        .route("/accounts/{id}", get(show))
        .route("/accounts/{id}/phone", post(reveal_phone))
        .route("/accounts/{id}/reset-password", post(reset_password))
        .route("/accounts/{id}/unlock", post(unlock))
        .route(
            "/accounts/{id}/second-factor/reset",
            post(reset_second_factor),
        )
        .route("/accounts/{id}/deactivate", post(deactivate))
        .route("/accounts/{id}/activate", post(activate))
        .route("/accounts/{id}/grants/remove", post(remove_grant))
}

struct PersonView {
    id: i64,
    display_name: String,
    username: String,
    phone: String,
    roles: String,
    status: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "account/list.html")]
struct PeoplePage {
    nav: Nav,
    unit_id: i64,
    unit_name: String,
    role: String,
    q: String,
    page: i64,
    /// The pages either side, by username (a key the database walks).
    prev_href: Option<String>,
    next_href: Option<String>,
    role_filter: Vec<Opt>,
    people: Vec<PersonView>,
    grantable: Vec<Opt>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct PeopleQuery {
    role: Option<String>,
    q: Option<String>,
    /// The page's number, for show; the page itself is found by `after`
    /// or `before`.
    page: Option<i64>,
    /// The usernames after this one.
    after: Option<String>,
    /// The usernames before this one.
    before: Option<String>,
}

async fn people(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PeopleQuery>,
) -> PageResult<Response> {
    people_page(&state, &user, id, q, None).await
}

async fn people_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    q: PeopleQuery,
    error: Option<Error>,
) -> PageResult<Response> {
    let unit = tongyu_service::access::unit(&state.app, &user.ctx, id, Action::ViewUnit).await?;
    let role = match q.role.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(Role::parse(r)?),
        None => None,
    };
    let page = q.page.unwrap_or(1).max(1);
    let (after, before) = match (q.after.unwrap_or_default(), q.before.unwrap_or_default()) {
        (a, _) if !a.is_empty() => (a, String::new()),
        (_, b) => (String::new(), b),
    };
    let filter = AccountFilter {
        role,
        q: q.q.clone().unwrap_or_default(),
        limit: PAGE_SIZE + 1,
        after: after.clone(),
        before: before.clone(),
        ..AccountFilter::default()
    };
    let mut rows = accounts::list(&state.app, &user.ctx, Some(unit.id), &filter).await?;
    // One row more than a page says whether there is more that way.
    let more = rows.len() as i64 > PAGE_SIZE;
    let (has_prev, has_next) = if before.is_empty() {
        rows.truncate(PAGE_SIZE as usize);
        (!after.is_empty(), more)
    } else {
        if more {
            rows.remove(0);
        }
        (more, true)
    };
    let href = |key: &str, at: &str, n: i64| {
        let role = role.map(|r| r.as_str()).unwrap_or_default();
        let query = serde_urlencoded::to_string([
            ("role", role),
            ("q", filter.q.as_str()),
            (key, at),
            ("page", &n.to_string()),
        ])
        .unwrap_or_default();
        format!("/org/{}/people?{query}", unit.id)
    };
    let prev_href = rows
        .first()
        .filter(|_| has_prev)
        .map(|r| href("before", &r.account.username, page - 1));
    let next_href = rows
        .last()
        .filter(|_| has_next)
        .map(|r| href("after", &r.account.username, page + 1));
    let now = state.app.now();
    let status = crate::page::status_of(error.as_ref());
    let page = PeoplePage {
        nav: Nav::for_user(user),
        unit_id: unit.id,
        unit_name: unit.name.clone(),
        role: role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        q: filter.q.clone(),
        page,
        prev_href,
        next_href,
        role_filter: Role::ALL
            .iter()
            .filter(|r| !r.is_platform_admin())
            .map(|r| Opt {
                value: r.as_str().into(),
                label: r.label().into(),
            })
            .collect(),
        people: rows
            .iter()
            .map(|r| PersonView {
                id: r.account.id,
                display_name: r.account.display_name.clone(),
                username: r.account.username.clone(),
                phone: r.account.masked_phone(),
                roles: r
                    .grants
                    .iter()
                    .map(|g| format!("{}（{}）", g.role.label(), g.unit_name))
                    .collect::<Vec<_>>()
                    .join("、"),
                status: status_label(r.account.active, r.account.is_locked(now)).into(),
                active: r.account.active,
            })
            .collect(),
        grantable: grantable_roles(&user.ctx.actor, unit.kind, &unit.path),
        error: error.map(|e| e.message),
    };
    Ok((status, render(&page)?).into_response())
}

use accounts::status_label;

#[derive(Template)]
#[template(path = "account/show.html")]
struct AccountPage {
    nav: Nav,
    id: i64,
    display_name: String,
    username: String,
    phone: String,
    has_phone: bool,
    phone_revealed: bool,
    status: String,
    active: bool,
    locked: bool,
    created: String,
    last_login: String,
    grants: Vec<GrantView>,
    can_manage: bool,
    can_unlock: bool,
    /// The security administrator may remove the account's second factor.
    can_reset_factor: bool,
    new_password: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

struct Extra {
    new_password: Option<String>,
    phone: Option<String>,
    notice: Option<String>,
    error: Option<Error>,
}

async fn account_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    extra: Extra,
) -> PageResult<Response> {
    let row = accounts::get(&state.app, &user.ctx, id).await?;
    let can_manage =
        accounts::may_manage(&state.app, &user.ctx, id, Action::ManageAccounts).await?;
    let can_unlock = accounts::may_manage(&state.app, &user.ctx, id, Action::UnlockAccount).await?;
    let can_reset_factor = user
        .ctx
        .actor
        .has_role(tongyu_domain::account::Role::SecurityAdmin)
        && id != user.ctx.actor.account_id;
    let a = &row.account;
    let now = state.app.now();
    let status = crate::page::status_of(extra.error.as_ref());
    let page = AccountPage {
        nav: Nav::for_user(user),
        id: a.id,
        display_name: a.display_name.clone(),
        username: a.username.clone(),
        phone_revealed: extra.phone.is_some(),
        phone: extra
            .phone
            .clone()
            .or_else(|| a.phone_mask.clone())
            .unwrap_or_else(|| "未填写".into()),
        has_phone: a.phone_mask.is_some(),
        status: status_label(a.active, a.is_locked(now)).into(),
        active: a.active,
        locked: a.is_locked(now),
        created: format_local_minute(a.created_at),
        last_login: if a.last_login_at > 0 {
            format_local_minute(a.last_login_at)
        } else {
            "从未登录".into()
        },
        grants: GrantView::list(&row.grants),
        can_manage,
        can_unlock,
        can_reset_factor,
        new_password: extra.new_password,
        notice: extra.notice,
        error: extra.error.map(|e| e.message),
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    account_page(
        &state,
        &user,
        id,
        Extra {
            new_password: None,
            phone: None,
            notice: notice(q.msg.as_deref()),
            error: None,
        },
    )
    .await
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct CreateForm {
    unit_id: i64,
    username: String,
    display_name: String,
    #[serde(default)]
    phone: String,
    role: String,
}

async fn create(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<CreateForm>,
) -> PageResult<Response> {
    let input = AccountInput {
        username: f.username,
        display_name: f.display_name,
        phone: Some(f.phone),
        role: f.role,
        unit_id: f.unit_id,
        password: None,
    };
    match accounts::create(&state.app, &user.ctx, &input).await {
        Ok(c) => {
            account_page(
                &state,
                &user,
                c.account.id,
                Extra {
                    new_password: Some(c.initial_password),
                    phone: None,
                    notice: Some("账号已创建。".into()),
                    error: None,
                },
            )
            .await
        }
        Err(e) if is_user_error(&e) => {
            people_page(&state, &user, f.unit_id, PeopleQuery::default(), Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

async fn outcome(
    state: &AppState,
    user: &PageUser,
    id: i64,
    r: Result<(), Error>,
    msg: &str,
) -> PageResult<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{id}?msg={msg}")).into_response()),
        Err(e) if is_user_error(&e) => {
            account_page(
                state,
                user,
                id,
                Extra {
                    new_password: None,
                    phone: None,
                    notice: None,
                    error: Some(e),
                },
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn reveal_phone(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let phone = accounts::reveal_phone(&state.app, &user.ctx, id).await?;
    account_page(
        &state,
        &user,
        id,
        Extra {
            new_password: None,
            phone,
            notice: None,
            error: None,
        },
    )
    .await
}

async fn reset_password(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let pw = accounts::reset_password(&state.app, &user.ctx, id).await?;
    account_page(
        &state,
        &user,
        id,
        Extra {
            new_password: Some(pw),
            phone: None,
            notice: Some("密码已重置。".into()),
            error: None,
        },
    )
    .await
}

async fn unlock(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let r = accounts::unlock(&state.app, &user.ctx, id).await;
    outcome(&state, &user, id, r, "unlocked").await
}

/// The security administrator removes an account's second factor (a lost
/// phone): it sets one up again at its next sign-in.
async fn reset_second_factor(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let r = tongyu_service::second_factor::reset(&state.app, &user.ctx, id).await;
    outcome(&state, &user, id, r, "factor_reset").await
}

async fn deactivate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let r = accounts::set_active(&state.app, &user.ctx, id, false).await;
    outcome(&state, &user, id, r, "deactivated").await
}

async fn activate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let r = accounts::set_active(&state.app, &user.ctx, id, true).await;
    outcome(&state, &user, id, r, "activated").await
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct GrantForm {
    role: String,
    unit_id: String,
}

async fn remove_grant(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<GrantForm>,
) -> PageResult<Response> {
    let r = match f.unit_id.trim().parse::<i64>() {
        Ok(unit) => accounts::remove_grant(&state.app, &user.ctx, id, &f.role, unit).await,
        Err(_) => Err(Error::invalid("unit_id", "请填写单位编号（数字）")),
    };
    outcome(&state, &user, id, r, "revoked").await
}

/// The same list as a spreadsheet, every page of it (phones masked; audited).
async fn people_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PeopleQuery>,
) -> PageResult<Response> {
    let role = match q.role.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(Role::parse(r)?),
        None => None,
    };
    let bytes = accounts::export(
        &state.app,
        &user.ctx,
        id,
        role,
        q.q.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(crate::export::xlsx(&format!("people-{id}.xlsx"), bytes))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct GrantHereForm {
    login: String,
    role: String,
}

/// Gives an existing account a role on this unit.
async fn grant_here(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<GrantHereForm>,
) -> PageResult<Response> {
    match accounts::grant_by_login(&state.app, &user.ctx, &f.login, &f.role, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/org/{id}/people?msg=granted")).into_response()),
        Err(e) if is_user_error(&e) => {
            people_page(&state, &user, id, PeopleQuery::default(), Some(e)).await
        }
        Err(e) if e.code == ErrorCode::NotFound => {
            let e = Error::invalid("login", "找不到这个账号，或它不在您的管理范围内");
            people_page(&state, &user, id, PeopleQuery::default(), Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}
