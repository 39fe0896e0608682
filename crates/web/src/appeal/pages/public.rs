//! The parent's side, with no login: the form a gate code opens, the
//! receipt, the status page by tracking code with the follow-up and the
//! rating, and the photos the parent sent.

use super::*;
use crate::multipart::{self, PartError};

#[derive(Template)]
#[template(path = "appeal/form.html")]
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
    /// The code was replaced and its grace period is over: the page only
    /// points to the new one.
    replaced_by: Option<String>,
    /// The code was replaced and still takes appeals: the new code, and
    /// until when the old one works.
    retiring: Option<(String, String)>,
    /// The privacy box was ticked (kept after a validation error).
    consent: bool,
}

/// What a page shows of a replaced code: past its grace period only the
/// new one; inside it the form, with the new one and the date.
fn replaced(target: &appeal::CodeTarget, now: i64) -> (Option<String>, Option<(String, String)>) {
    match &target.replaced_by {
        Some(new) if target.takes_appeals(now) => (
            None,
            Some((
                new.clone(),
                tongyu_domain::calendar::format_local_minute(target.retires_at),
            )),
        ),
        Some(new) => (Some(new.clone()), None),
        None => (None, None),
    }
}

#[derive(serde::Deserialize, Default, Clone, schemars::JsonSchema)]
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
pub(super) struct PublicForm(FormInput);

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
        let expected =
            cookie(state, req.headers(), crate::extract::CSRF_COOKIE).unwrap_or_default();
        let form = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| PageError(Error::new(ErrorCode::BadRequest)))?;
        let too_large = || {
            PageError(Error::with_message(
                ErrorCode::PayloadTooLarge,
                "照片太大：每张不超过 5 MB，最多3张",
            ))
        };
        let refuse = |e: PartError| match e {
            PartError::TooLarge(name) if name == "photo" || name.is_empty() => too_large(),
            PartError::TooLarge(_) => PageError(Error::with_message(
                ErrorCode::PayloadTooLarge,
                "填写的内容太长",
            )),
            PartError::TooMany => PageError(Error::invalid("photo", "最多上传3张照片")),
            PartError::Malformed => PageError(Error::with_message(
                ErrorCode::BadRequest,
                "提交的内容不完整，请重试",
            )),
        };
        // The form's fields, three photos and room for a browser's extras.
        let mut form = multipart::Form::new(form, 16);
        let mut f = FormInput::default();
        let mut csrf = String::new();
        let mut photo_parts = 0;
        while let Some(mut field) = form.next().await.map_err(refuse)? {
            let name = field.name().unwrap_or("").to_owned();
            if name == "photo" {
                // One photo too many is still read (the page then says so
                // with the text kept); more than that is refused outright.
                photo_parts += 1;
                if photo_parts > tongyu_domain::appeal::MAX_PHOTOS + 1 {
                    return Err(refuse(PartError::TooMany));
                }
                let bytes =
                    multipart::bytes(&mut field, tongyu_domain::appeal::PHOTO_MAX_BYTES as usize)
                        .await
                        .map_err(refuse)?;
                // A file input left empty still sends an empty part.
                if !bytes.is_empty() {
                    f.photos.push(bytes);
                }
                continue;
            }
            let text = multipart::text(&mut field, multipart::TEXT_LIMIT)
                .await
                .map_err(refuse)?;
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

pub(super) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult<Response> {
    let target = appeal::resolve_code(&state.app, &token).await?;
    let (csrf, fresh) = anon_csrf(&state, &headers);
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
        replaced_by: None,
        retiring: None,
        consent: false,
    };
    let (replaced_by, retiring) = replaced(&target, state.app.now());
    let page = FormPage {
        replaced_by,
        retiring,
        ..page
    };
    let mut res = with_csrf_cookie(&state, render(&page)?, &csrf, fresh, StatusCode::OK);
    if cookie(&state, &headers, DEVICE_COOKIE).is_none() {
        let device = tongyu_service::auth::random_token(16);
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, DEVICE_COOKIE, &device, Some(365 * 86_400)),
        );
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "appeal/receipt.html")]
struct ReceiptPage {
    nav: Nav,
    code: String,
    /// The code in groups of five, easier to copy by hand.
    code_grouped: String,
    number: String,
    link: String,
    addressee: String,
    duplicate: bool,
    contact_due: String,
    reply_due: String,
}

pub(super) async fn submit(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(token): Path<String>,
    PublicForm(f): PublicForm,
) -> PageResult<Response> {
    let input = PublicInput {
        qr_token: token.clone(),
        category: f.category.clone(),
        text: f.text.clone(),
        contact_name: f.contact_name.clone(),
        contact_phone: f.contact_phone.clone(),
        device: cookie(&state, &headers, DEVICE_COOKIE).unwrap_or_default(),
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
                code_grouped: appeal::format_tracking_code(&r.tracking_code),
                code: r.tracking_code,
                number: r.number,
                addressee: r.addressee,
                duplicate: r.duplicate,
                contact_due: tongyu_domain::calendar::format_local_minute(r.contact_due),
                reply_due: tongyu_domain::calendar::format_local_minute(r.reply_due),
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
            let (csrf, _) = anon_csrf(&state, &headers);
            let retiring = replaced(&target, state.app.now()).1;
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
                retiring,
                consent: f.consent == "1",
            };
            Ok((status_of(Some(&e)), render(&page)?).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct LookupQuery {
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "appeal/lookup.html")]
struct LookupPage {
    nav: Nav,
    /// What was typed, shown again with the error.
    code: String,
    error: Option<String>,
}

/// The look-up form, with what went wrong (404) or empty (200).
fn lookup_page(code: &str, error: Option<&str>) -> PageResult<Response> {
    let page = LookupPage {
        nav: Nav::default(),
        code: code.to_owned(),
        error: error.map(str::to_owned),
    };
    let status = if error.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)?).into_response())
}

/// A form to type a reference; a reference that names an appeal goes to
/// its page, one that does not is shown again with what to check.
pub(super) async fn lookup(
    State(state): State<AppState>,
    meta: RequestMeta,
    Query(q): Query<LookupQuery>,
) -> PageResult<Response> {
    let code = appeal::normalize_tracking_code(&q.code);
    if q.code.trim().is_empty() {
        return lookup_page("", None);
    }
    if !tongyu_domain::appeal::is_tracking_code(&code) {
        return lookup_page(
            &q.code,
            Some("查询码是 15 位字母和数字（如 AB3DE-F7HJK-8MNPQ），请核对后重新输入。"),
        );
    }
    if !state.public_limits.lookup_per_ip.allow(&meta.ip) {
        return Err(PageError(Error::with_message(
            ErrorCode::RateLimited,
            "查询过于频繁，请稍后再试",
        )));
    }
    match appeal::public_status(&state.app, &code).await {
        Ok(_) => Ok(Redirect::to(&format!("/a/{code}")).into_response()),
        Err(e) if e.code == ErrorCode::NotFound => lookup_page(&q.code, Some(&e.message)),
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "appeal/status.html")]
struct StatusPage {
    nav: Nav,
    csrf: String,
    s: appeal::PublicStatus,
    notice: Option<String>,
    error: Option<String>,
}

pub(super) async fn status_page(
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
    let s = match appeal::public_status(&state.app, code).await {
        Ok(s) => s,
        // A link typed wrong lands on the look-up form, not a bare error.
        Err(e) if e.code == ErrorCode::NotFound => {
            return lookup_page(code, Some(&e.message));
        }
        Err(e) => return Err(PageError(e)),
    };
    let (csrf, fresh) = anon_csrf(state, headers);
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

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct FollowUpForm {
    #[serde(default)]
    text: String,
}

pub(super) async fn follow_up(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(code): Path<String>,
    CsrfForm(f): CsrfForm<FollowUpForm>,
) -> PageResult<Response> {
    match appeal::follow_up(&state.app, &meta.origin(), &code, &f.text).await {
        Ok(()) => Ok(Redirect::to(&format!("/a/{code}?msg=added")).into_response()),
        Err(e) if is_user_error(&e) => {
            status_view(&state, &meta, &headers, &code, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

pub(super) async fn rate(
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

pub(super) async fn public_photo(
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
