//! Oversight: the board, call-back checks and the calendar
//! the business-day clocks follow.

use super::*;

#[derive(Template)]
#[template(path = "appeal/board.html")]
struct BoardPage {
    nav: Nav,
    b: tongyu_service::appeal::board::Board,
    /// When the figures were counted (Beijing time, to the second).
    computed_at: String,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct SinceParams {
    #[serde(default)]
    since: String,
}

pub(super) async fn board(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    Query(p): Query<SinceParams>,
) -> PageResult<Response> {
    let b = tongyu_service::appeal::board::board(&state.app, &user.ctx, unit_id, &p.since).await?;
    let page = BoardPage {
        nav: Nav::for_user(&user),
        computed_at: tongyu_domain::calendar::format_local(b.computed_at),
        b,
    };
    Ok(render(&page)?.into_response())
}

pub(super) async fn board_xlsx(
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

#[derive(Template)]
#[template(path = "appeal/callbacks.html")]
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

pub(super) async fn callbacks_page(
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

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct DrawForm {
    #[serde(default)]
    count: i64,
}

pub(super) async fn draw_callbacks(
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

pub(super) async fn record_callback(
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

#[derive(Template)]
#[template(path = "appeal/calendar.html")]
struct CalendarPage {
    nav: Nav,
    days: Vec<tongyu_service::calendar::CalendarDay>,
    form: tongyu_service::calendar::DayInput,
    notice: Option<String>,
    error: Option<String>,
}

async fn calendar_view(
    state: &AppState,
    user: &PageUser,
    form: tongyu_service::calendar::DayInput,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let days = tongyu_service::calendar::calendar(&state.app).await?;
    let page = CalendarPage {
        nav: Nav::for_user(user),
        days,
        form,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

pub(super) async fn calendar_page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    let notice = q.msg.map(|_| "已保存。".to_owned());
    calendar_view(&state, &user, Default::default(), notice, None).await
}

pub(super) async fn set_day(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<tongyu_service::calendar::DayInput>,
) -> PageResult<Response> {
    match tongyu_service::calendar::set_day(&state.app, &user.ctx, &f).await {
        Ok(()) => Ok(Redirect::to("/appeals/calendar?msg=saved").into_response()),
        Err(e) if is_user_error(&e) => calendar_view(&state, &user, f, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}
