//! Appeal pages. Public, with no login: the form a gate code opens
//! (`/q/{token}`), the receipt, and the status page by tracking code
//! (`/a/{code}`) with the parent's follow-up and rating. For staff: the
//! inbox, one appeal with everything that can be done to it, and the
//! schools' posters.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::appeal::{Category, CodeKind, Reply, Status};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::appeal::{self, InboxQuery, PublicInput, RatingInput};

use super::auth::{anon_csrf, with_csrf_cookie};
use super::{Nav, Opt, is_user_error, render, status_of};
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser, RequestMeta, cookie, set_cookie};

const DEVICE_COOKIE: &str = "tongyu_device";

/// Three photos of 5 MB and the text.
const PUBLIC_FORM_LIMIT: usize = 16 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/q/{token}",
            get(form)
                .post(submit)
                .layer(axum::extract::DefaultBodyLimit::max(PUBLIC_FORM_LIMIT)),
        )
        .route("/a/{code}/photos/{n}", get(public_photo))
        .route("/appeals/{id}/photos/{n}", get(staff_photo))
        .route("/a", get(lookup))
        .route("/a/{code}", get(status_page))
        .route("/a/{code}/follow-up", post(follow_up))
        .route("/a/{code}/rating", post(rate))
        .route("/appeals", get(inbox))
        .route("/appeals/posters/{unit_id}", get(posters))
        .route("/appeals/posters/{unit_id}/posters.zip", get(posters_zip))
        .route("/appeals/codes/{school_id}/rotate", post(rotate))
        .route("/appeals/codes/{school_id}/poster.svg", get(poster_svg))
        .route("/appeals/opinion/{unit_id}", get(opinion))
        .route(
            "/appeals/templates/{unit_id}",
            get(templates_page).post(create_template),
        )
        .route(
            "/appeals/templates/{unit_id}/{id}/delete",
            post(delete_template),
        )
        .route(
            "/appeals/callbacks/{unit_id}",
            get(callbacks_page).post(draw_callbacks),
        )
        .route("/appeals/callbacks/{unit_id}/{id}", post(record_callback))
        .route("/appeals/calendar", get(calendar_page).post(set_day))
        .route("/appeals/board/{unit_id}", get(board))
        .route("/appeals/board/{unit_id}/export.xlsx", get(board_xlsx))
        .route(
            "/appeals/hotline",
            post(hotline_upload).layer(axum::extract::DefaultBodyLimit::max(
                tongyu_service::sheet::MAX_BYTES + 64 * 1024,
            )),
        )
        .route("/appeals/hotline-replies.xlsx", get(hotline_replies))
        .route("/appeals/{id}", get(show))
        .route("/appeals/{id}/{action}", post(act))
}

fn categories() -> Vec<Opt> {
    Category::ALL
        .iter()
        .map(|c| Opt {
            value: c.as_str().into(),
            label: c.label().into(),
        })
        .collect()
}

// ---------------------------------------------------------------- public

#[derive(Template)]
#[template(path = "appeal_form.html")]
struct FormPage {
    nav: Nav,
    csrf: String,
    token: String,
    addressee: String,
    school_name: String,
    to_bureau: bool,
    categories: Vec<Opt>,
    category: String,
    text: String,
    contact_name: String,
    contact_phone: String,
    error: Option<String>,
    /// The code was replaced: the page only points to the new one.
    replaced_by: Option<String>,
}

#[derive(serde::Deserialize, Default, Clone)]
struct FormInput {
    #[serde(default)]
    category: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    consent: String,
    #[serde(skip)]
    photos: Vec<Vec<u8>>,
}

/// The public form, sent as a multipart form (with photos) or, from a
/// browser that sends none, as a plain one. Either way its `_csrf` must
/// match the visitor's cookie.
struct PublicForm(FormInput);

impl axum::extract::FromRequest<AppState> for PublicForm {
    type Rejection = PageError;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let CsrfForm(f) = CsrfForm::<FormInput>::from_request(req, state).await?;
            return Ok(PublicForm(f));
        }
        let expected = cookie(req.headers(), crate::extract::CSRF_COOKIE).unwrap_or_default();
        let mut form = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| PageError(Error::new(ErrorCode::BadRequest)))?;
        let mut f = FormInput::default();
        let mut csrf = String::new();
        loop {
            let field = match form.next_field().await {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(PageError(Error::with_message(
                        ErrorCode::PayloadTooLarge,
                        "照片太大：每张不超过 5 MB，最多3张",
                    )));
                }
                Err(_) => {
                    return Err(PageError(Error::with_message(
                        ErrorCode::BadRequest,
                        "提交的内容不完整，请重试",
                    )));
                }
            };
            let name = field.name().unwrap_or("").to_owned();
            if name == "photo" {
                let bytes = field.bytes().await.map_err(|_| {
                    PageError(Error::with_message(
                        ErrorCode::PayloadTooLarge,
                        "照片太大：每张不超过 5 MB，最多3张",
                    ))
                })?;
                // A file input left empty still sends an empty part.
                if !bytes.is_empty() {
                    f.photos.push(bytes.to_vec());
                }
                continue;
            }
            let text = field.text().await.unwrap_or_default();
            match name.as_str() {
                "_csrf" => csrf = text,
                "category" => f.category = text,
                "text" => f.text = text,
                "contact_name" => f.contact_name = text,
                "contact_phone" => f.contact_phone = text,
                "consent" => f.consent = text,
                _ => {}
            }
        }
        if expected.is_empty() || csrf != expected {
            return Err(PageError(Error::new(ErrorCode::CsrfFailed)));
        }
        Ok(PublicForm(f))
    }
}

async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult<Response> {
    let target = appeal::resolve_code(&state.app, &token).await?;
    let (csrf, fresh) = anon_csrf(&headers);
    let page = FormPage {
        nav: Nav::default(),
        csrf: csrf.clone(),
        token: target.token.clone(),
        addressee: target.addressee.clone(),
        school_name: target.school_name.clone(),
        to_bureau: target.kind == CodeKind::Bureau,
        categories: categories(),
        category: String::new(),
        text: String::new(),
        contact_name: String::new(),
        contact_phone: String::new(),
        error: None,
        replaced_by: target.replaced_by.clone(),
    };
    let mut res = with_csrf_cookie(&state, render(&page)?, &csrf, fresh, StatusCode::OK);
    if cookie(&headers, DEVICE_COOKIE).is_none() {
        let device = tongyu_service::auth::random_token(16);
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, DEVICE_COOKIE, &device, Some(365 * 86_400)),
        );
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "appeal_receipt.html")]
struct ReceiptPage {
    nav: Nav,
    code: String,
    link: String,
    addressee: String,
    duplicate: bool,
    contact_due: String,
    reply_due: String,
}

async fn submit(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(token): Path<String>,
    PublicForm(f): PublicForm,
) -> PageResult<Response> {
    let limits = &state.public_limits;
    if !limits.submit_per_ip.allow(&meta.ip) || !limits.submit_per_code.allow(&token) {
        return Err(PageError(Error::with_message(
            ErrorCode::RateLimited,
            "提交过于频繁，请稍后再试",
        )));
    }
    let input = PublicInput {
        qr_token: token.clone(),
        category: f.category.clone(),
        text: f.text.clone(),
        contact_name: f.contact_name.clone(),
        contact_phone: f.contact_phone.clone(),
        device: cookie(&headers, DEVICE_COOKIE).unwrap_or_default(),
        photos: f.photos.clone(),
    };
    let result = if f.consent != "1" {
        Err(Error::invalid("consent", "请阅读并同意说明后提交"))
    } else {
        appeal::submit(&state.app, &meta.origin(), &input).await
    };
    match result {
        Ok(r) => {
            let page = ReceiptPage {
                nav: Nav::default(),
                link: format!("{}/a/{}", state.config.public_url, r.tracking_code),
                code: r.tracking_code,
                addressee: r.addressee,
                duplicate: r.duplicate,
                contact_due: tongyu_service::clock::format_local_minute(r.contact_due),
                reply_due: tongyu_service::clock::format_local_minute(r.reply_due),
            };
            Ok((StatusCode::CREATED, render(&page)?).into_response())
        }
        Err(e)
            if matches!(
                e.code,
                ErrorCode::ValidationFailed | ErrorCode::PayloadTooLarge
            ) =>
        {
            // Show the form again with everything the parent wrote.
            let target = appeal::resolve_code(&state.app, &token).await?;
            let (csrf, _) = anon_csrf(&headers);
            let page = FormPage {
                nav: Nav::default(),
                csrf,
                token: target.token,
                addressee: target.addressee,
                school_name: target.school_name,
                to_bureau: target.kind == CodeKind::Bureau,
                categories: categories(),
                category: f.category,
                text: f.text,
                contact_name: f.contact_name,
                contact_phone: f.contact_phone,
                error: Some(e.message.clone()),
                replaced_by: None,
            };
            Ok((status_of(Some(&e)), render(&page)?).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, Default)]
struct LookupQuery {
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "appeal_lookup.html")]
struct LookupPage {
    nav: Nav,
    error: Option<String>,
}

/// A form to type a tracking code; a code given goes to its page.
async fn lookup(Query(q): Query<LookupQuery>) -> PageResult<Response> {
    let code = appeal::normalize_tracking_code(&q.code);
    if !code.is_empty() {
        return Ok(Redirect::to(&format!("/a/{code}")).into_response());
    }
    let page = LookupPage {
        nav: Nav::default(),
        error: None,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "appeal_status.html")]
struct StatusPage {
    nav: Nav,
    csrf: String,
    s: appeal::PublicStatus,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct Msg {
    msg: Option<String>,
    /// A reply template to start the reply from.
    template: Option<i64>,
}

async fn status_page(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("rated") => Some("感谢您的评价。".to_owned()),
        Some("added") => Some("已补充，办理人员会看到。".to_owned()),
        _ => None,
    };
    status_view(&state, &meta, &headers, &code, notice, None).await
}

async fn status_view(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    code: &str,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    if !state.public_limits.lookup_per_ip.allow(&meta.ip) {
        return Err(PageError(Error::with_message(
            ErrorCode::RateLimited,
            "查询过于频繁，请稍后再试",
        )));
    }
    let s = appeal::public_status(&state.app, code).await?;
    let (csrf, fresh) = anon_csrf(headers);
    let page = StatusPage {
        nav: Nav::default(),
        csrf: csrf.clone(),
        s,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok(with_csrf_cookie(
        state,
        render(&page)?,
        &csrf,
        fresh,
        status_of(error.as_ref()),
    ))
}

#[derive(serde::Deserialize, Default)]
struct FollowUpForm {
    #[serde(default)]
    text: String,
}

async fn follow_up(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<FollowUpForm>,
) -> PageResult<Response> {
    if !state.public_limits.submit_per_ip.allow(&meta.ip) {
        return Err(PageError(Error::new(ErrorCode::RateLimited)));
    }
    match appeal::follow_up(&state.app, &meta.origin(), &code, &f.text).await {
        Ok(()) => Ok(Redirect::to(&format!("/a/{code}?msg=added")).into_response()),
        Err(e) if is_user_error(&e) => {
            status_view(&state, &meta, &headers, &code, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn rate(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<RatingInput>,
) -> PageResult<Response> {
    match appeal::rate(&state.app, &meta.origin(), &code, &f).await {
        Ok(_) => Ok(Redirect::to(&format!("/a/{code}?msg=rated")).into_response()),
        Err(e) if is_user_error(&e) => {
            status_view(&state, &meta, &headers, &code, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

// ---------------------------------------------------------------- staff

#[derive(Template)]
#[template(path = "appeals.html")]
struct InboxPage {
    nav: Nav,
    rows: Vec<appeal::InboxRow>,
    notices: Vec<tongyu_store::appeal::Notice>,
    statuses: Vec<Opt>,
    status: String,
    scope: String,
    overdue: bool,
    next_before: Option<i64>,
    /// Units whose posters the actor may print: (id, name).
    poster_units: Vec<(i64, String)>,
    /// Units whose opinion report the actor may read: (id, kind label).
    report_units: Vec<(i64, String)>,
}

#[derive(serde::Deserialize, Default)]
struct InboxParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    before: i64,
}

async fn inbox(
    State(state): State<AppState>,
    user: PageUser,
    Query(p): Query<InboxParams>,
) -> PageResult<Response> {
    let q = InboxQuery {
        status: p.status.clone(),
        scope: p.scope.clone(),
        overdue: p.overdue == "1",
        before: p.before,
        limit: 50,
    };
    let rows = appeal::inbox(&state.app, &user.ctx, &q).await?;
    let notices = appeal::notices(&state.app, &user.ctx).await?;
    let next_before = (rows.len() == 50 && !q.overdue)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let roles = Action::ManageAppeals.roles();
    let poster_units = user
        .ctx
        .actor
        .grants
        .iter()
        .filter(|g| roles.contains(&g.role))
        .map(|g| (g.unit_id, g.unit_kind.label().to_owned()))
        .collect();
    let handle = Action::HandleAppeals.roles();
    let mut report_units: Vec<(i64, String)> = user
        .ctx
        .actor
        .grants
        .iter()
        .filter(|g| handle.contains(&g.role))
        .map(|g| (g.unit_id, g.unit_kind.label().to_owned()))
        .collect();
    report_units.dedup();
    let page = InboxPage {
        nav: Nav::for_user(&user),
        report_units,
        rows,
        notices,
        statuses: Status::ALL
            .iter()
            .map(|s| Opt {
                value: s.as_str().into(),
                label: s.label().into(),
            })
            .collect(),
        status: p.status,
        scope: p.scope,
        overdue: q.overdue,
        next_before,
        poster_units,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "appeal.html")]
struct ShowPage {
    nav: Nav,
    templates: Vec<tongyu_store::appeal::Template>,
    d: appeal::Detail,
    notice: Option<String>,
    error: Option<String>,
    reply: Reply,
    sign_off_needed: bool,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    let notice = q.msg.as_deref().map(|m| match m {
        "assigned" => "已指派。",
        "contacted" => "已记录联系情况。",
        "noted" => "已添加内部备注。",
        "transferred" => "已转办。",
        "replied" => "答复已提交。",
        "signed_off" => "已审核。",
        "spam" => "已标记为无效。",
        _ => "已保存。",
    });
    let draft = match q.template {
        Some(tid) => {
            let d = appeal::detail(&state.app, &user.ctx, id).await?;
            let t = tongyu_service::appeal::templates::get_for(
                &state.app,
                &user.ctx,
                d.row.unit_id,
                tid,
            )
            .await?;
            Some(Reply {
                policy: t.policy,
                status: t.status,
                next_steps: t.next_steps,
            })
        }
        None => None,
    };
    show_page(&state, &user, id, notice.map(str::to_owned), None, draft).await
}

async fn show_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice: Option<String>,
    error: Option<Error>,
    draft: Option<Reply>,
) -> PageResult<Response> {
    let d = appeal::detail(&state.app, &user.ctx, id).await?;
    let reply = draft.unwrap_or_else(|| d.reply.clone());
    let sign_off_needed = state.app.settings.appeals.sign_off.contains(&d.row.level);
    let templates = if d.can_handle {
        tongyu_service::appeal::templates::available(
            &state.app,
            &user.ctx,
            d.row.unit_id,
            Some(d.row.category),
        )
        .await?
    } else {
        Vec::new()
    };
    let page = ShowPage {
        nav: Nav::for_user(user),
        templates,
        d,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
        reply,
        sign_off_needed,
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

#[derive(serde::Deserialize, Default)]
struct ActForm {
    #[serde(default)]
    handler_id: i64,
    #[serde(default)]
    note: String,
    #[serde(default)]
    public: String,
    #[serde(default)]
    unit_id: i64,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    next_steps: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn act(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(f): CsrfForm<ActForm>,
) -> PageResult<Response> {
    let app = &state.app;
    let ctx = &user.ctx;
    let mut draft = None;
    let result = match action.as_str() {
        "assign" => appeal::assign(app, ctx, id, f.handler_id).await,
        "contact" => appeal::contact(app, ctx, id, &f.note, f.public == "1").await,
        "note" => appeal::note(app, ctx, id, &f.note).await,
        "transfer" => appeal::transfer(app, ctx, id, f.unit_id, &f.reason).await,
        "reply" => {
            let r = Reply {
                policy: f.policy.clone(),
                status: f.status.clone(),
                next_steps: f.next_steps.clone(),
            };
            draft = Some(r.clone());
            appeal::reply(app, ctx, id, &r).await.map(|_| ())
        }
        "sign-off" => appeal::sign_off(app, ctx, id, f.decision == "approve", &f.comment)
            .await
            .map(|_| ()),
        "spam" => appeal::mark_spam(app, ctx, id, &f.reason).await,
        _ => return Err(PageError(Error::not_found())),
    };
    let msg = match action.as_str() {
        "assign" => "assigned",
        "contact" => "contacted",
        "note" => "noted",
        "transfer" => "transferred",
        "reply" => "replied",
        "sign-off" => "signed_off",
        _ => "spam",
    };
    match result {
        // A transferred appeal may have left the actor's scope.
        Ok(()) if action == "transfer" => {
            Ok(Redirect::to("/appeals?msg=transferred").into_response())
        }
        Ok(()) => Ok(Redirect::to(&format!("/appeals/{id}?msg={msg}")).into_response()),
        Err(e) if is_user_error(&e) => show_page(&state, &user, id, None, Some(e), draft).await,
        Err(e) => Err(PageError(e)),
    }
}

// ---------------------------------------------------------------- posters

struct Poster {
    school_id: i64,
    school_name: String,
    school_svg: String,
    bureau_svg: String,
    school_url: String,
    bureau_url: String,
}

#[derive(Template)]
#[template(path = "appeal_posters.html")]
struct PostersPage {
    nav: Nav,
    posters: Vec<Poster>,
    unit_id: i64,
    unit_name: String,
}

fn code_url(state: &AppState, token: &str) -> String {
    format!("{}/q/{token}", state.config.public_url)
}

async fn posters(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
) -> PageResult<Response> {
    let unit = tongyu_service::org::visible_unit(&state.app, &user.ctx, unit_id).await?;
    let schools = appeal::codes_within(&state.app, &user.ctx, unit_id).await?;
    let posters = schools
        .into_iter()
        .map(|(school, codes)| {
            let url_of = |k: CodeKind| {
                codes
                    .iter()
                    .find(|c| c.kind == k)
                    .map(|c| code_url(&state, &c.token))
                    .unwrap_or_default()
            };
            let (su, bu) = (url_of(CodeKind::School), url_of(CodeKind::Bureau));
            Poster {
                school_id: school.id,
                school_name: school.name,
                school_svg: super::classes::qr_svg(&su),
                bureau_svg: super::classes::qr_svg(&bu),
                school_url: su,
                bureau_url: bu,
            }
        })
        .collect();
    let page = PostersPage {
        nav: Nav::for_user(&user),
        posters,
        unit_id,
        unit_name: unit.name,
    };
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize, Default)]
struct RotateForm {
    #[serde(default)]
    kind: String,
}

async fn rotate(
    State(state): State<AppState>,
    user: PageUser,
    Path(school_id): Path<i64>,
    CsrfForm(f): CsrfForm<RotateForm>,
) -> PageResult<Response> {
    let kind = CodeKind::parse(&f.kind)
        .ok_or_else(|| PageError(Error::invalid("kind", "请选择要更换的二维码")))?;
    appeal::rotate_code(&state.app, &user.ctx, school_id, kind).await?;
    Ok(Redirect::to(&format!("/appeals/posters/{school_id}")).into_response())
}

/// One school's poster as an SVG file: its name, both codes, and what to do.
async fn poster_svg(
    State(state): State<AppState>,
    user: PageUser,
    Path(school_id): Path<i64>,
) -> PageResult<Response> {
    let codes = appeal::school_codes(&state.app, &user.ctx, school_id).await?;
    let school = tongyu_service::org::visible_unit(&state.app, &user.ctx, school_id).await?;
    let url_of = |k: CodeKind| {
        codes
            .iter()
            .find(|c| c.kind == k)
            .map(|c| code_url(&state, &c.token))
            .unwrap_or_default()
    };
    let svg = poster(
        &school.name,
        &url_of(CodeKind::School),
        &url_of(CodeKind::Bureau),
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "image/svg+xml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"poster-{school_id}.svg\""),
            ),
        ],
        svg,
    )
        .into_response())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An A4-proportioned poster (210 × 297 units).
pub fn poster(school_name: &str, school_url: &str, bureau_url: &str) -> String {
    let inner = |url: &str| -> String {
        let svg = super::classes::qr_svg(url);
        // Nest the code's own <svg> without its XML declaration.
        match svg.find("<svg") {
            Some(i) => svg[i..].to_owned(),
            None => String::new(),
        }
    };
    let place = |svg: String, x: u32| -> String {
        svg.replacen(
            "<svg",
            &format!("<svg x=\"{x}\" y=\"95\" width=\"80\" height=\"80\""),
            1,
        )
    };
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 210 297" width="210mm" height="297mm" font-family="WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif">
<rect width="210" height="297" fill="#fff"/>
<text x="105" y="40" font-size="12" text-anchor="middle" font-weight="bold">{name}</text>
<text x="105" y="62" font-size="10" text-anchor="middle">家长诉求 扫码反映</text>
<text x="105" y="78" font-size="5" text-anchor="middle">有意见、建议或困难，请扫码填写，我们会在规定时间内联系您并答复</text>
{school}
{bureau}
<text x="55" y="185" font-size="7" text-anchor="middle">向学校反映</text>
<text x="155" y="185" font-size="7" text-anchor="middle">向教育局反映</text>
<text x="105" y="215" font-size="4.5" text-anchor="middle">可匿名反映；提交后请保存查询码，凭查询码查看办理进度和答复</text>
<text x="105" y="225" font-size="4.5" text-anchor="middle">答复包括：政策规定、当前工作情况、下一步解决措施</text>
</svg>
"##,
        name = xml_escape(school_name),
        school = place(inner(school_url), 15),
        bureau = place(inner(bureau_url), 115),
    )
}

// ---------------------------------------------------------------- opinion watch

#[derive(Template)]
#[template(path = "appeal_opinion.html")]
struct OpinionPage {
    nav: Nav,
    r: tongyu_service::opinion::Report,
    max: i64,
}

#[derive(serde::Deserialize, Default)]
struct PeriodParams {
    #[serde(default)]
    period: String,
}

async fn opinion(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    Query(p): Query<PeriodParams>,
) -> PageResult<Response> {
    let period = tongyu_domain::opinion::Period::parse(&p.period);
    let r = tongyu_service::opinion::report(&state.app, &user.ctx, unit_id, period).await?;
    let max = r.topics.iter().map(|t| t.count).max().unwrap_or(1).max(1);
    let page = OpinionPage {
        nav: Nav::for_user(&user),
        r,
        max,
    };
    Ok(render(&page)?.into_response())
}

// ---------------------------------------------------------------- 12345

#[derive(Template)]
#[template(path = "appeal_hotline.html")]
struct HotlinePage {
    nav: Nav,
    results: Vec<tongyu_service::appeal::hotline::TicketResult>,
    created: usize,
    existing: usize,
    failed: usize,
}

/// A multipart form: `_csrf` and `file` (CSV or .xlsx of 12345 tickets).
async fn hotline_upload(
    State(state): State<AppState>,
    user: PageUser,
    mut form: axum::extract::Multipart,
) -> PageResult<Response> {
    let (mut csrf, mut file) = (String::new(), Vec::new());
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Err(PageError(Error::with_message(
                    ErrorCode::BadRequest,
                    "上传的表单不完整，或文件超过 20 MB",
                )));
            }
        };
        match field.name().unwrap_or("") {
            "_csrf" => csrf = field.text().await.unwrap_or_default(),
            "file" => {
                file = field
                    .bytes()
                    .await
                    .map_err(|_| PageError(Error::new(ErrorCode::PayloadTooLarge)))?
                    .to_vec();
            }
            _ => {}
        }
    }
    if csrf.is_empty() || csrf != user.session.csrf {
        return Err(PageError(Error::new(ErrorCode::CsrfFailed)));
    }
    if file.is_empty() {
        return Err(PageError(Error::invalid("file", "请选择要导入的工单文件")));
    }
    let results =
        tongyu_service::appeal::hotline::import_file(&state.app, &user.ctx, &file).await?;
    let count = |o: &str| results.iter().filter(|r| r.outcome == o).count();
    let page = HotlinePage {
        nav: Nav::for_user(&user),
        created: count("created"),
        existing: count("existing"),
        failed: count("error"),
        results,
    };
    Ok(render(&page)?.into_response())
}

async fn hotline_replies(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let bytes = tongyu_service::appeal::hotline::export_replies(&state.app, &user.ctx).await?;
    Ok(crate::export::xlsx("12345工单答复.xlsx", bytes))
}

// ---------------------------------------------------------------- board

#[derive(Template)]
#[template(path = "appeal_board.html")]
struct BoardPage {
    nav: Nav,
    b: tongyu_service::appeal::board::Board,
}

#[derive(serde::Deserialize, Default)]
struct SinceParams {
    #[serde(default)]
    since: String,
}

async fn board(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    Query(p): Query<SinceParams>,
) -> PageResult<Response> {
    let b = tongyu_service::appeal::board::board(&state.app, &user.ctx, unit_id, &p.since).await?;
    let page = BoardPage {
        nav: Nav::for_user(&user),
        b,
    };
    Ok(render(&page)?.into_response())
}

async fn board_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    Query(p): Query<SinceParams>,
) -> PageResult<Response> {
    let (name, bytes) =
        tongyu_service::appeal::board::export(&state.app, &user.ctx, unit_id, &p.since).await?;
    Ok(crate::export::xlsx(&name, bytes))
}

/// A per-mille figure as a percentage, or a dash.
fn pct(v: &Option<i64>) -> String {
    v.map_or("—".to_owned(), |p| format!("{:.1}%", p as f64 / 10.0))
}

// ---------------------------------------------------------------- templates

#[derive(Template)]
#[template(path = "appeal_templates.html")]
struct TemplatesPage {
    nav: Nav,
    unit_id: i64,
    templates: Vec<tongyu_store::appeal::Template>,
    categories: Vec<Opt>,
    form: tongyu_service::appeal::templates::TemplateInput,
    error: Option<String>,
}

async fn templates_view(
    state: &AppState,
    user: &PageUser,
    unit_id: i64,
    form: tongyu_service::appeal::templates::TemplateInput,
    error: Option<Error>,
) -> PageResult<Response> {
    let templates =
        tongyu_service::appeal::templates::available(&state.app, &user.ctx, unit_id, None).await?;
    let page = TemplatesPage {
        nav: Nav::for_user(user),
        unit_id,
        templates,
        categories: categories(),
        form,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn templates_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
) -> PageResult<Response> {
    templates_view(&state, &user, unit_id, Default::default(), None).await
}

async fn create_template(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    CsrfForm(f): CsrfForm<tongyu_service::appeal::templates::TemplateInput>,
) -> PageResult<Response> {
    match tongyu_service::appeal::templates::create(&state.app, &user.ctx, unit_id, &f).await {
        Ok(_) => Ok(Redirect::to(&format!("/appeals/templates/{unit_id}")).into_response()),
        Err(e) if is_user_error(&e) => templates_view(&state, &user, unit_id, f, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, Default)]
struct Empty {}

async fn delete_template(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit_id, id)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    tongyu_service::appeal::templates::delete(&state.app, &user.ctx, id).await?;
    Ok(Redirect::to(&format!("/appeals/templates/{unit_id}")).into_response())
}

// ---------------------------------------------------------------- call-backs

#[derive(Template)]
#[template(path = "appeal_callbacks.html")]
struct CallbacksPage {
    nav: Nav,
    unit_id: i64,
    rows: Vec<tongyu_service::appeal::callbacks::CallbackRow>,
    notice: Option<String>,
    error: Option<String>,
}

async fn callbacks_view(
    state: &AppState,
    user: &PageUser,
    unit_id: i64,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let rows = tongyu_service::appeal::callbacks::list(&state.app, &user.ctx, unit_id).await?;
    let page = CallbacksPage {
        nav: Nav::for_user(user),
        unit_id,
        rows,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn callbacks_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    let notice = q
        .msg
        .and_then(|m| m.parse::<u32>().ok())
        .map(|n| format!("已抽取 {n} 件。"));
    callbacks_view(&state, &user, unit_id, notice, None).await
}

#[derive(serde::Deserialize, Default)]
struct DrawForm {
    #[serde(default)]
    count: i64,
}

async fn draw_callbacks(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    CsrfForm(f): CsrfForm<DrawForm>,
) -> PageResult<Response> {
    match tongyu_service::appeal::callbacks::draw(&state.app, &user.ctx, unit_id, f.count).await {
        Ok(n) => Ok(Redirect::to(&format!("/appeals/callbacks/{unit_id}?msg={n}")).into_response()),
        Err(e) if is_user_error(&e) => callbacks_view(&state, &user, unit_id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

async fn record_callback(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit_id, id)): Path<(i64, i64)>,
    CsrfForm(f): CsrfForm<tongyu_service::appeal::callbacks::OutcomeInput>,
) -> PageResult<Response> {
    match tongyu_service::appeal::callbacks::record(&state.app, &user.ctx, id, &f).await {
        Ok(()) => Ok(Redirect::to(&format!("/appeals/callbacks/{unit_id}")).into_response()),
        Err(e) if is_user_error(&e) => callbacks_view(&state, &user, unit_id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

// ---------------------------------------------------------------- photos

fn image(mime: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

async fn public_photo(
    State(state): State<AppState>,
    meta: RequestMeta,
    Path((code, n)): Path<(String, usize)>,
) -> PageResult<Response> {
    if !state.public_limits.lookup_per_ip.allow(&meta.ip) {
        return Err(PageError(Error::new(ErrorCode::RateLimited)));
    }
    let (mime, bytes) = appeal::public_photo(&state.app, &code, n).await?;
    Ok(image(mime, bytes))
}

async fn staff_photo(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, n)): Path<(i64, usize)>,
) -> PageResult<Response> {
    let (mime, bytes) = appeal::staff_photo(&state.app, &user.ctx, id, n).await?;
    Ok(image(mime, bytes))
}

/// Every school's poster in the subtree as SVG files in one zip archive.
async fn posters_zip(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
) -> PageResult<Response> {
    use std::io::Write;
    let unit = tongyu_service::org::visible_unit(&state.app, &user.ctx, unit_id).await?;
    let schools = appeal::codes_within(&state.app, &user.ctx, unit_id).await?;
    let failed = |_| PageError(Error::internal());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (school, codes) in &schools {
        let url_of = |k: CodeKind| {
            codes
                .iter()
                .find(|c| c.kind == k)
                .map(|c| code_url(&state, &c.token))
                .unwrap_or_default()
        };
        let svg = poster(
            &school.name,
            &url_of(CodeKind::School),
            &url_of(CodeKind::Bureau),
        );
        let name = format!(
            "{}-{}.svg",
            school.id,
            school.name.replace(['/', '\\'], "-")
        );
        zip.start_file(name, options).map_err(failed)?;
        zip.write_all(svg.as_bytes())
            .map_err(|_| PageError(Error::internal()))?;
    }
    let bytes = zip.finish().map_err(failed)?.into_inner();
    let filename = format!("校门二维码海报-{}.zip", unit.name);
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------- calendar

#[derive(Template)]
#[template(path = "appeal_calendar.html")]
struct CalendarPage {
    nav: Nav,
    days: Vec<tongyu_service::appeal::CalendarDay>,
    form: tongyu_service::appeal::DayInput,
    notice: Option<String>,
    error: Option<String>,
}

async fn calendar_view(
    state: &AppState,
    user: &PageUser,
    form: tongyu_service::appeal::DayInput,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let days = appeal::calendar(&state.app).await?;
    let page = CalendarPage {
        nav: Nav::for_user(user),
        days,
        form,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn calendar_page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    let notice = q.msg.map(|_| "已保存。".to_owned());
    calendar_view(&state, &user, Default::default(), notice, None).await
}

async fn set_day(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<tongyu_service::appeal::DayInput>,
) -> PageResult<Response> {
    match appeal::set_day(&state.app, &user.ctx, &f).await {
        Ok(()) => Ok(Redirect::to("/appeals/calendar?msg=saved").into_response()),
        Err(e) if is_user_error(&e) => calendar_view(&state, &user, f, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}
