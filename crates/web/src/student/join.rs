//! Parents joining: signing up with a code sent to the phone (which also
//! accepts an account a school imported) and asking to be bound to a child.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::ErrorCode;
use tongyu_domain::verify::Purpose;
use tongyu_service::auth::{self, SessionKind};
use tongyu_service::{Ctx, student};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser, RequestMeta, SESSION_COOKIE, cookie, set_cookie};
use crate::page::csrf::{anon_csrf, with_csrf_cookie};
use crate::page::{Nav, notice, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/join", get(join_form).post(join))
        .route("/join/code", post(join_code))
        .route("/register", post(register))
        .route("/register/code", post(register_code))
}

#[derive(Template)]
#[template(path = "student/join.html")]
struct JoinPage {
    nav: Nav,
    signed_in: bool,
    csrf: String,
    code: String,
    child_name: String,
    relation: String,
    phone: String,
    display_name: String,
    /// The signed-in parent's phone, masked (where the code goes).
    own_phone: String,
    class_label: Option<String>,
    next: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct JoinQuery {
    code: Option<String>,
    msg: Option<String>,
}

/// What the join page shows besides the form.
#[derive(Default)]
struct JoinState {
    code: String,
    child_name: String,
    relation: String,
    phone: String,
    display_name: String,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
}

async fn join_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    user: Option<&PageUser>,
    js: JoinState,
) -> PageResult<Response> {
    let JoinState {
        code,
        child_name,
        relation,
        phone,
        display_name,
        notice: notice_text,
        error,
        status,
    } = js;
    let class_label = if code.is_empty() {
        None
    } else {
        student::invite_class(&state.app, &code)
            .await
            .ok()
            .map(|c| c.name)
    };
    let next = serde_urlencoded::to_string([("code", code.as_str())])
        .map(|q| format!("/join?{q}"))
        .unwrap_or_default();
    let next = serde_urlencoded::to_string([("n", next)])
        .map(|s| s[2..].to_owned())
        .unwrap_or_default();
    let (csrf, fresh, nav) = match user {
        Some(u) => (u.session.csrf.clone(), false, Nav::for_user(u)),
        None => {
            let (c, f) = anon_csrf(state, headers);
            (c, f, Nav::default())
        }
    };
    let own_phone = match user {
        Some(u) => tongyu_service::account::get(&state.app, &u.ctx, u.session.account.id)
            .await?
            .account
            .masked_phone(),
        None => String::new(),
    };
    let page = JoinPage {
        nav,
        signed_in: user.is_some(),
        csrf: csrf.clone(),
        code,
        child_name,
        relation,
        phone,
        display_name,
        own_phone,
        class_label,
        next,
        notice: notice_text,
        error,
    };
    Ok(with_csrf_cookie(
        state,
        render(&page)?,
        &csrf,
        fresh,
        status,
    ))
}

/// The signed-in parent, if any; a session renewed just now answers with
/// the new cookie first.
async fn optional_user(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    meta: &RequestMeta,
    uri: &axum::http::Uri,
) -> Result<Option<PageUser>, Response> {
    let Some(token) = cookie(state, headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Ok(session) = auth::authenticate(&state.app, &token).await else {
        return Ok(None);
    };
    if let Some(token) = &session.renewed_token {
        return Err(crate::extract::renewed_session(
            state,
            uri,
            token,
            session.expires_at,
        ));
    }
    let ctx = Ctx {
        actor: session.actor.clone(),
        origin: meta.origin(),
        factor_at: session.factor_at,
    };
    Ok(Some(PageUser {
        session,
        ctx,
        appeals: None,
    }))
}

async fn join_form(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<JoinQuery>,
) -> PageResult<Response> {
    let user = match optional_user(&state, &headers, &meta, &uri).await {
        Ok(user) => user,
        Err(renewed) => return Ok(renewed),
    };
    let code = q.code.unwrap_or_default().trim().to_ascii_uppercase();
    join_page(
        &state,
        &headers,
        user.as_ref(),
        JoinState {
            code,
            notice: notice(q.msg.as_deref()),
            status: StatusCode::OK,
            ..JoinState::default()
        },
    )
    .await
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct JoinForm {
    code: String,
    child_name: String,
    relation: String,
    #[serde(default)]
    sms_code: String,
    #[serde(default)]
    consent: String,
}

async fn join(
    State(state): State<AppState>,
    user: PageUser,
    headers: axum::http::HeaderMap,
    CsrfForm(f): CsrfForm<JoinForm>,
) -> PageResult<Response> {
    match student::request_link(
        &state.app,
        &user.ctx,
        &f.code,
        &f.child_name,
        &f.relation,
        &f.sms_code,
        f.consent == "1",
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/my").into_response()),
        Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
        Err(e) => {
            let status = crate::page::status_of(Some(&e));
            join_page(
                &state,
                &headers,
                Some(&user),
                JoinState {
                    code: f.code,
                    child_name: f.child_name,
                    relation: f.relation,
                    error: Some(e.message),
                    status,
                    ..JoinState::default()
                },
            )
            .await
        }
    }
}

/// "获取验证码" on the join form: a code to the parent's own phone.
async fn join_code(
    State(state): State<AppState>,
    user: PageUser,
    headers: axum::http::HeaderMap,
    CsrfForm(f): CsrfForm<JoinForm>,
) -> PageResult<Response> {
    let sent = student::send_own_code(&state.app, &user.ctx, Purpose::Bind).await;
    let (notice_text, error, status) = code_outcome(sent)?;
    join_page(
        &state,
        &headers,
        Some(&user),
        JoinState {
            code: f.code,
            child_name: f.child_name,
            relation: f.relation,
            notice: notice_text,
            error,
            status,
            ..JoinState::default()
        },
    )
    .await
}

/// What a page says after a code was asked for.
pub fn code_outcome(
    sent: tongyu_domain::Result<tongyu_service::verify::CodeSent>,
) -> PageResult<(Option<String>, Option<String>, StatusCode)> {
    match sent {
        Ok(s) => Ok((
            Some(format!(
                "验证码已发送至 {}，{} 分钟内有效。",
                s.phone,
                s.valid_s / 60
            )),
            None,
            StatusCode::OK,
        )),
        Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
        Err(e) => {
            let status = crate::page::status_of(Some(&e));
            Ok((None, Some(e.message), status))
        }
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct RegisterForm {
    #[serde(default)]
    code: String,
    phone: String,
    #[serde(default)]
    sms_code: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
}

/// "获取验证码" on the sign-up form. The page says the same whether or not
/// the number is registered.
async fn register_code(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: axum::http::HeaderMap,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> PageResult<Response> {
    let sent =
        tongyu_service::verify::send_code(&state.app, &meta.origin(), &f.phone, Purpose::Register)
            .await;
    let (notice_text, error, status) = code_outcome(sent)?;
    join_page(
        &state,
        &headers,
        None,
        JoinState {
            code: f.code,
            phone: f.phone,
            display_name: f.display_name,
            notice: notice_text,
            error,
            status,
            ..JoinState::default()
        },
    )
    .await
}

async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: axum::http::HeaderMap,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> PageResult<Response> {
    let origin = meta.origin();
    let registration = student::Registration {
        phone: f.phone.clone(),
        sms_code: f.sms_code.clone(),
        display_name: f.display_name.clone(),
        password: f.password.clone(),
    };
    match student::register_parent(&state.app, &origin, &registration).await {
        Ok(account) => {
            let out = auth::login(
                &state.app,
                &origin,
                &account.username,
                &f.password,
                SessionKind::Web,
            )
            .await?;
            let q = serde_urlencoded::to_string([("code", f.code.as_str())]).unwrap_or_default();
            let mut res = Redirect::to(&format!("/join?{q}")).into_response();
            let age = out.expires_at - state.app.now();
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &out.token, Some(age)),
            );
            Ok(res)
        }
        Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
        Err(e) => {
            let status = crate::page::status_of(Some(&e));
            join_page(
                &state,
                &headers,
                None,
                JoinState {
                    code: f.code,
                    phone: f.phone,
                    display_name: f.display_name,
                    error: Some(e.message),
                    status,
                    ..JoinState::default()
                },
            )
            .await
        }
    }
}
