//! The second factor an administrator gives at sign-in, and again before
//! sensitive actions (ADR 0019).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tongyu_domain::ErrorCode;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser, RequestMeta, SESSION_COOKIE, set_cookie};
use crate::page::{Nav, render, safe_next};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/second-factor",
        get(second_factor_form).post(second_factor),
    )
}

#[derive(Template)]
#[template(path = "second_factor/index.html")]
struct SecondFactorPage {
    nav: Nav,
    next: String,
    setup: Option<tongyu_service::second_factor::Setup>,
    qr: String,
    error: Option<String>,
    recovery_codes: Vec<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct NextQuery {
    next: Option<String>,
}

/// The second factor an administrator owes: set-up (a new secret, as a QR
/// code and as text) or a code from the app.
async fn second_factor_form(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<NextQuery>,
) -> PageResult<Response> {
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    second_factor_page(&state, &user, next, None, StatusCode::OK).await
}

async fn second_factor_page(
    state: &AppState,
    user: &PageUser,
    next: String,
    error: Option<String>,
    status: StatusCode,
) -> PageResult<Response> {
    use tongyu_service::second_factor::{self as factor, Owed};
    let owed = factor::owed(
        &state.app,
        user.session.account.id,
        user.session.actor.is_admin(),
    )
    .await?;
    let setup = match owed {
        Some(Owed::Setup) => Some(factor::begin_setup(&state.app, &user.session).await?),
        _ => None,
    };
    let qr = setup
        .as_ref()
        .map(|s| crate::page::qr::qr_svg(&s.uri))
        .unwrap_or_default();
    let page = SecondFactorPage {
        nav: Nav::for_user(user),
        next,
        setup,
        qr,
        error,
        recovery_codes: Vec::new(),
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct SecondFactorForm {
    code: String,
    #[serde(default)]
    next: String,
}

async fn second_factor(
    State(state): State<AppState>,
    user: PageUser,
    meta: RequestMeta,
    CsrfForm(f): CsrfForm<SecondFactorForm>,
) -> PageResult<Response> {
    let next = safe_next(&f.next);
    match tongyu_service::second_factor::give(&state.app, &meta.origin(), &user.session, &f.code)
        .await
    {
        Ok(given) => {
            let age = given.login.expires_at - state.app.now();
            let cookie = set_cookie(&state, SESSION_COOKIE, &given.login.token, Some(age));
            let mut res = if given.recovery_codes.is_empty() {
                Redirect::to(&next).into_response()
            } else {
                let mut nav = Nav::for_user(&user);
                nav.csrf = given.login.csrf.clone();
                render(&SecondFactorPage {
                    nav,
                    next,
                    setup: None,
                    qr: String::new(),
                    error: None,
                    recovery_codes: given.recovery_codes,
                })?
                .into_response()
            };
            res.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(res)
        }
        Err(e) if e.code == ErrorCode::Internal => Err(PageError(e)),
        Err(e) => {
            // A failed set-up code keeps the same secret on screen.
            let status = crate::page::status_of(Some(&e));
            let owed = tongyu_service::second_factor::owed(
                &state.app,
                user.session.account.id,
                user.session.actor.is_admin(),
            )
            .await?;
            if owed == Some(tongyu_service::second_factor::Owed::Setup) {
                return second_factor_page(&state, &user, next, Some(e.message), status).await;
            }
            let page = SecondFactorPage {
                nav: Nav::for_user(&user),
                next,
                setup: None,
                qr: String::new(),
                error: Some(e.message),
                recovery_codes: Vec::new(),
            };
            Ok((status, render(&page)?).into_response())
        }
    }
}
