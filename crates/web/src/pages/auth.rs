//! Signing in and out, one's own password, and a parent's home.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::ErrorCode;
use tongyu_domain::account::Role;
use tongyu_service::auth::{self, SessionKind};
use tongyu_service::student;

use super::{Nav, render, safe_next};
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{
    CSRF_COOKIE, CsrfForm, PageUser, RequestMeta, SESSION_COOKIE, cookie, set_cookie,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/password", get(password_form).post(change_password))
        .route("/my", get(my))
        .merge(super::second_factor::routes())
        .merge(super::me::routes())
        .merge(super::join::routes())
}

async fn home(user: PageUser) -> Redirect {
    let a = &user.session.actor;
    if a.grants.iter().all(|g| g.role == Role::Parent) {
        Redirect::to("/my")
    } else {
        Redirect::to("/org")
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    expired: bool,
}

/// The CSRF token of a visitor with no session, kept in a cookie.
pub(super) fn anon_csrf(state: &AppState, headers: &axum::http::HeaderMap) -> (String, bool) {
    match cookie(state, headers, CSRF_COOKIE) {
        Some(t) if t.len() >= 16 => (t, false),
        _ => (auth::random_token(24), true),
    }
}

pub(super) fn with_csrf_cookie(
    state: &AppState,
    page: axum::response::Html<String>,
    csrf: &str,
    fresh: bool,
    status: StatusCode,
) -> Response {
    let mut res = (status, page).into_response();
    if fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(state, CSRF_COOKIE, csrf, None),
        );
    }
    res
}

#[derive(serde::Deserialize, Default)]
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

#[derive(serde::Deserialize)]
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

#[derive(serde::Deserialize)]
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
#[template(path = "password.html")]
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

#[derive(serde::Deserialize)]
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

struct ChildView {
    name: String,
    class_label: String,
}

struct TaskView {
    lesson_id: i64,
    title: String,
    child: String,
    started: bool,
    percent: i64,
}

/// A required-course session on the parent's home.
struct SessionView {
    id: i64,
    title: String,
    child: String,
    when: String,
    upcoming: bool,
    attended: bool,
    to_rate: bool,
}

#[derive(Template)]
#[template(path = "my.html")]
struct MyPage {
    nav: Nav,
    tasks: Vec<TaskView>,
    sessions: Vec<SessionView>,
    surveys: Vec<tongyu_service::delivery::Survey>,
    recommended: Vec<tongyu_service::learning::Recommendation>,
    growth: Vec<tongyu_service::learning::GrowthYear>,
    children: Vec<ChildView>,
    pending: Vec<i64>,
}

async fn my(
    State(state): State<AppState>,
    user: PageUser,
) -> PageResult<axum::response::Html<String>> {
    let kids = student::my_children(&state.app, &user.ctx).await?;
    let pending = student::my_pending(&state.app, &user.ctx).await?;
    // This term's tasks: lessons open now and not yet completed, the ones
    // already started first ("continue watching"), each lesson once.
    let mut tasks: Vec<TaskView> = Vec::new();
    for child in tongyu_service::learning::my_lessons(&state.app, &user.ctx).await? {
        for l in child.lessons.into_iter().filter(|l| l.open && !l.completed) {
            if tasks.iter().any(|t| t.lesson_id == l.lesson_id) {
                continue;
            }
            let started = l.covered_s > 0;
            let percent = if l.duration_s > 0 {
                (l.covered_s * 100 / l.duration_s).min(100)
            } else {
                0
            };
            tasks.push(TaskView {
                lesson_id: l.lesson_id,
                title: l.title,
                child: child.name.clone(),
                started,
                percent,
            });
        }
    }
    // Library lessons started and not finished ("continue watching").
    for l in tongyu_service::learning::continue_watching(&state.app, &user.ctx, 5).await? {
        if tasks.iter().any(|t| t.lesson_id == l.lesson_id) {
            continue;
        }
        tasks.push(TaskView {
            lesson_id: l.lesson_id,
            title: l.title,
            child: String::new(),
            started: true,
            percent: if l.duration_s > 0 {
                (l.covered_s * 100 / l.duration_s).min(100)
            } else {
                0
            },
        });
    }
    tasks.sort_by_key(|t| !t.started);
    let growth = tongyu_service::learning::growth_record(&state.app, &user.ctx).await?;
    // Sessions of the required course: the coming ones, and past ones the
    // parent attended but has not rated yet.
    let now = state.app.now();
    let sessions = tongyu_service::delivery::my_sessions(&state.app, &user.ctx)
        .await?
        .into_iter()
        .filter(|s| {
            s.starts_at + s.class_hours * tongyu_domain::delivery::CLASS_HOUR_S >= now
                || (s.attended && s.my_score == 0)
        })
        .map(|s| SessionView {
            id: s.id,
            upcoming: s.starts_at > now,
            to_rate: s.attended && s.my_score == 0 && s.starts_at <= now,
            attended: s.attended,
            title: s.title,
            child: s.child,
            when: tongyu_service::clock::format_local_minute(s.starts_at),
        })
        .collect();
    let surveys = tongyu_service::delivery::my_surveys(&state.app, &user.ctx)
        .await?
        .into_iter()
        .filter(|s| !s.answered)
        .collect();
    let recommended: Vec<_> = tongyu_service::learning::recommendations(&state.app, &user.ctx, 3)
        .await?
        .into_iter()
        .filter(|r| !tasks.iter().any(|t| t.lesson_id == r.lesson_id))
        .collect();
    render(&MyPage {
        nav: Nav::for_user(&user),
        tasks,
        sessions,
        surveys,
        recommended,
        growth,
        children: kids
            .into_iter()
            .map(|(s, c)| ChildView {
                name: s.name,
                class_label: c.name,
            })
            .collect(),
        pending,
    })
}
