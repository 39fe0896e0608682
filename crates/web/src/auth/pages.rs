//! Signing in and out, one's own password, and a parent's home.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::ErrorCode;
use tongyu_service::auth::{self, SessionKind};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser, RequestMeta, SESSION_COOKIE, cookie, set_cookie};
use crate::page::csrf::{anon_csrf, with_csrf_cookie};
use crate::page::{Nav, render, safe_next};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/password", get(password_form).post(change_password))
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Nav,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    expired: bool,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<LoginQuery>,
) -> PageResult<Response> {
    let (csrf, fresh) = anon_csrf(&state, &headers);
    let page = LoginPage {
        nav: Nav::default(),
        csrf: csrf.clone(),
        next: safe_next(q.next.as_deref().unwrap_or("/")),
        username: String::new(),
        error: None,
        expired: q.expired.is_some(),
    };
    Ok(with_csrf_cookie(
        &state,
        render(&page)?,
        &csrf,
        fresh,
        StatusCode::OK,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: axum::http::HeaderMap,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> PageResult<Response> {
    match auth::login(
        &state.app,
        &meta.origin(),
        &f.username,
        &f.password,
        SessionKind::Web,
    )
    .await
    {
        Ok(out) => {
            if let Some(old) = cookie(&state, &headers, SESSION_COOKIE) {
                auth::discard(&state.app, &old).await?;
            }
            let to = if out.owed(&state.app).await?.is_some() {
                let q =
                    serde_urlencoded::to_string([("next", safe_next(&f.next))]).unwrap_or_default();
                format!("/second-factor?{q}")
            } else if out.account.must_change_password {
                "/password".to_owned()
            } else {
                safe_next(&f.next)
            };
            let mut res = Redirect::to(&to).into_response();
            let age = out.expires_at - state.app.now();
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &out.token, Some(age)),
            );
            Ok(res)
        }
        Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
        Err(e) => {
            let (csrf, fresh) = anon_csrf(&state, &headers);
            let page = LoginPage {
                nav: Nav::default(),
                csrf: csrf.clone(),
                next: safe_next(&f.next),
                username: f.username,
                error: Some(e.message),
                expired: false,
            };
            let status =
                StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            Ok(with_csrf_cookie(
                &state,
                render(&page)?,
                &csrf,
                fresh,
                status,
            ))
        }
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
    user: PageUser,
    meta: RequestMeta,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    auth::logout(&state.app, &meta.origin(), &user.session).await?;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", Some(0)),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    nav: Nav,
    must_change: bool,
    error: Option<String>,
    done: bool,
}

async fn password_form(user: PageUser) -> PageResult<axum::response::Html<String>> {
    render(&PasswordPage {
        nav: Nav::for_user(&user),
        must_change: user.session.account.must_change_password,
        error: None,
        done: false,
    })
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> PageResult<Response> {
    match auth::change_password(
        &state.app,
        &user.ctx,
        &user.session,
        &f.current,
        &f.new,
        &f.confirm,
    )
    .await
    {
        Ok(()) if user.session.account.must_change_password => {
            Ok(Redirect::to("/").into_response())
        }
        Ok(()) => Ok(render(&PasswordPage {
            nav: Nav::for_user(&user),
            must_change: false,
            error: None,
            done: true,
        })?
        .into_response()),
        Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
        Err(e) => {
            let page = PasswordPage {
                nav: Nav::for_user(&user),
                must_change: user.session.account.must_change_password,
                error: Some(e.message),
                done: false,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
