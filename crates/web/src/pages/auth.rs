//! Sign in and out, passwords, one's own account, and parents joining.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::ErrorCode;
use tongyu_domain::account::{Role, mask_phone};
use tongyu_domain::verify::Purpose;
use tongyu_service::auth::{self, SessionKind};
use tongyu_service::clock::format_local;
use tongyu_service::{Ctx, student};

use super::{Nav, notice, render, safe_next};
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
        .route(
            "/second-factor",
            get(second_factor_form).post(second_factor),
        )
        .route("/password", get(password_form).post(change_password))
        .route("/me", get(me))
        .route("/me/phone/code", post(phone_code))
        .route("/me/phone", post(change_phone))
        .route("/me/close", post(close_account))
        .route("/privacy/children", get(children_notice))
        .route("/my", get(my))
        .route("/join", get(join_form).post(join))
        .route("/join/code", post(join_code))
        .route("/register", post(register))
        .route("/register/code", post(register_code))
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
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    nav: Nav,
    next: String,
    setup: Option<tongyu_service::second_factor::Setup>,
    qr: String,
    error: Option<String>,
    recovery_codes: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
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
        .map(|s| super::classes::qr_svg(&s.uri))
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

#[derive(serde::Deserialize)]
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
            let status = super::status_of(Some(&e));
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

pub struct GrantView {
    pub role: String,
    pub role_label: String,
    pub unit_id: i64,
    pub unit_name: String,
}

#[derive(Template)]
#[template(path = "me.html")]
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
        phone: a
            .phone
            .as_deref()
            .map(mask_phone)
            .unwrap_or_else(|| "未填写".into()),
        last_login: if a.last_login_at > 0 {
            format_local(a.last_login_at)
        } else {
            "—".into()
        },
        grants: row
            .grants
            .iter()
            .map(|g| GrantView {
                role: g.role.as_str().into(),
                role_label: g.role.label().into(),
                unit_id: g.unit_id,
                unit_name: g.unit_name.clone(),
            })
            .collect(),
    })
}

#[derive(serde::Deserialize)]
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
            let status = super::status_of(Some(&e));
            Ok((
                status,
                me_page(&state, &user, f.phone, None, Some(e.message)).await?,
            )
                .into_response())
        }
    }
}

#[derive(serde::Deserialize)]
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
            let status = super::status_of(Some(&e));
            Ok((
                status,
                me_page(&state, &user, String::new(), None, Some(e.message)).await?,
            )
                .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "privacy_children.html")]
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

#[derive(Template)]
#[template(path = "join.html")]
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

#[derive(serde::Deserialize, Default)]
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
            .phone
            .as_deref()
            .map(mask_phone)
            .unwrap_or_default(),
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

async fn optional_user(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    meta: &RequestMeta,
) -> Option<PageUser> {
    let token = cookie(state, headers, SESSION_COOKIE)?;
    let session = auth::authenticate(&state.app, &token).await.ok()?;
    let ctx = Ctx {
        actor: session.actor.clone(),
        origin: meta.origin(),
        factor_at: session.factor_at,
    };
    Some(PageUser { session, ctx })
}

async fn join_form(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: axum::http::HeaderMap,
    Query(q): Query<JoinQuery>,
) -> PageResult<Response> {
    let user = optional_user(&state, &headers, &meta).await;
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

#[derive(serde::Deserialize)]
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
            let status = super::status_of(Some(&e));
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
fn code_outcome(
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
            let status = super::status_of(Some(&e));
            Ok((None, Some(e.message), status))
        }
    }
}

#[derive(serde::Deserialize)]
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
            let status = super::status_of(Some(&e));
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
