//! One's own account: what it holds, a new phone number (proven by a
//! code), closing it; and the children's privacy notice.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::ErrorCode;
use tongyu_domain::account::Role;
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::verify::Purpose;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser, SESSION_COOKIE, set_cookie};
use crate::page::{Nav, render};
use crate::student::join::code_outcome;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/phone/code", post(phone_code))
        .route("/me/phone", post(change_phone))
        .route("/me/close", post(close_account))
        .route("/privacy/children", get(children_notice))
}

pub struct GrantView {
    pub role: String,
    pub role_label: String,
    pub unit_id: i64,
    pub unit_name: String,
}

impl GrantView {
    /// An account's grants as pages list them.
    pub fn list(grants: &[tongyu_service::account::GrantLabel]) -> Vec<GrantView> {
        grants
            .iter()
            .map(|g| GrantView {
                role: g.role.as_str().into(),
                role_label: g.role.label().into(),
                unit_id: g.unit_id,
                unit_name: g.unit_name.clone(),
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "account/me.html")]
struct MePage {
    nav: Nav,
    /// Parents may close their own account.
    can_close: bool,
    new_phone: String,
    notice: Option<String>,
    error: Option<String>,
    display_name: String,
    username: String,
    phone: String,
    last_login: String,
    grants: Vec<GrantView>,
}

async fn me(
    State(state): State<AppState>,
    user: PageUser,
) -> PageResult<axum::response::Html<String>> {
    me_page(&state, &user, String::new(), None, None).await
}

async fn me_page(
    state: &AppState,
    user: &PageUser,
    new_phone: String,
    notice_text: Option<String>,
    error: Option<String>,
) -> PageResult<axum::response::Html<String>> {
    let row = tongyu_service::account::get(&state.app, &user.ctx, user.session.account.id).await?;
    let a = &row.account;
    render(&MePage {
        nav: Nav::for_user(user),
        can_close: user
            .session
            .actor
            .grants
            .iter()
            .all(|g| g.role == Role::Parent),
        new_phone,
        notice: notice_text,
        error,
        display_name: a.display_name.clone(),
        username: a.username.clone(),
        phone: a.phone_mask.clone().unwrap_or_else(|| "未填写".into()),
        last_login: if a.last_login_at > 0 {
            format_local_minute(a.last_login_at)
        } else {
            "—".into()
        },
        grants: GrantView::list(&row.grants),
    })
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct PhoneForm {
    phone: String,
    #[serde(default)]
    sms_code: String,
    #[serde(default)]
    password: String,
}

/// "获取验证码" for a new phone number: the code goes to the new number.
async fn phone_code(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<PhoneForm>,
) -> PageResult<Response> {
    let sent = tongyu_service::verify::send_code(
        &state.app,
        &user.ctx.origin,
        &f.phone,
        Purpose::ChangePhone,
    )
    .await;
    let (notice_text, error, status) = code_outcome(sent)?;
    Ok((
        status,
        me_page(&state, &user, f.phone, notice_text, error).await?,
    )
        .into_response())
}

async fn change_phone(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<PhoneForm>,
) -> PageResult<Response> {
    match tongyu_service::account::change_own_phone(
        &state.app,
        &user.ctx,
        &user.session,
        &f.phone,
        &f.sms_code,
        &f.password,
    )
    .await
    {
        Ok(()) => Ok(me_page(
            &state,
            &user,
            String::new(),
            Some("手机号已更换，其他设备上的登录已退出。".into()),
            None,
        )
        .await?
        .into_response()),
        Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
        Err(e) => {
            let status = crate::page::status_of(Some(&e));
            Ok((
                status,
                me_page(&state, &user, f.phone, None, Some(e.message)).await?,
            )
                .into_response())
        }
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct CloseForm {
    password: String,
    #[serde(default)]
    confirm: String,
}

/// A parent closes their own account; they are signed out.
async fn close_account(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<CloseForm>,
) -> PageResult<Response> {
    let result = if f.confirm != "1" {
        Err(tongyu_domain::Error::invalid(
            "confirm",
            "请勾选“我已了解注销后无法恢复”",
        ))
    } else {
        tongyu_service::account::close_own(&state.app, &user.ctx, &user.session, &f.password).await
    };
    match result {
        Ok(()) => {
            let mut res = Redirect::to("/login?closed=1").into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, "", Some(0)),
            );
            Ok(res)
        }
        Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
        Err(e) => {
            let status = crate::page::status_of(Some(&e));
            Ok((
                status,
                me_page(&state, &user, String::new(), None, Some(e.message)).await?,
            )
                .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "account/privacy_children.html")]
struct ChildrenNotice {
    nav: Nav,
    version: &'static str,
}

/// The children's privacy notice (儿童个人信息保护规则), for anyone.
async fn children_notice() -> PageResult<axum::response::Html<String>> {
    render(&ChildrenNotice {
        nav: Nav::default(),
        version: tongyu_domain::student::CHILDREN_NOTICE_VERSION,
    })
}
