//! 12345: hotline tickets uploaded as CSV or .xlsx, and the replies
//! exported back.

use super::*;

#[derive(Template)]
#[template(path = "appeal/hotline.html")]
struct HotlinePage {
    nav: Nav,
    results: Vec<tongyu_service::appeal::hotline::TicketResult>,
    created: usize,
    existing: usize,
    failed: usize,
}

/// A multipart form: `_csrf` and `file` (CSV or .xlsx of 12345 tickets).
pub(super) async fn hotline_upload(
    State(state): State<AppState>,
    user: PageUser,
    form: axum::extract::Multipart,
) -> PageResult<Response> {
    let (mut csrf, mut file) = (String::new(), Vec::new());
    let mut form = crate::multipart::Form::new(form, 4);
    loop {
        let part = match form
            .next_part("file", tongyu_service::sheet::MAX_BYTES)
            .await
        {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(crate::multipart::PartError::TooLarge(_)) => {
                return Err(PageError(Error::new(ErrorCode::PayloadTooLarge)));
            }
            Err(_) => {
                return Err(PageError(Error::with_message(
                    ErrorCode::BadRequest,
                    "上传的表单不完整，或文件超过 20 MB",
                )));
            }
        };
        match part.name.as_str() {
            "_csrf" => csrf = part.text(),
            "file" => file = part.bytes,
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

pub(super) async fn hotline_replies(
    State(state): State<AppState>,
    user: PageUser,
) -> PageResult<Response> {
    let bytes = tongyu_service::appeal::hotline::export_replies(&state.app, &user.ctx).await?;
    Ok(crate::export::xlsx("12345工单答复.xlsx", bytes))
}
