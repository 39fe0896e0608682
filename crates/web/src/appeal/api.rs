//! Appeals: the public side (no account: submit, status, follow-up,
//! rating) and the staff side (inbox, one appeal, the actions on it,
//! appeals raised on a parent's behalf, gate codes, the calendar).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_domain::appeal::{CodeKind, Reply};
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::appeal::{self, InboxQuery, OnBehalfInput, PublicInput, RatingInput};

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, no_content};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiIntegration, ApiUser, RequestMeta};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/public/appeals", post(submit))
        .route("/public/appeals/{code}", get(status))
        .route("/public/appeals/{code}/rating", post(rate))
        .route("/public/appeals/{code}/follow-up", post(follow_up))
        .route("/appeals", get(inbox).post(raise))
        .route("/appeals/notices", get(notices))
        .route("/appeals/sweep", post(sweep))
        .route("/appeals/{id}", get(detail))
        .route("/appeals/{id}/reply", post(reply))
        .route("/appeals/{id}/assign", post(assign))
        .route("/appeals/{id}/contact", post(contact))
        .route("/appeals/{id}/note", post(note))
        .route("/appeals/{id}/transfer", post(transfer))
        .route("/appeals/{id}/sign-off", post(sign_off))
        .route("/appeals/{id}/spam", post(spam))
        .route("/appeals/{id}/spam/decision", post(spam_decision))
        .route("/appeals/spam-pending", get(spam_pending))
        .route("/schools/{id}/appeal-codes", get(codes))
        .route("/schools/{id}/appeal-codes/{kind}/rotate", post(rotate))
        .route("/calendar", get(calendar).post(set_day))
        .route("/appeals/import", post(import_tickets))
        .route(
            "/appeals/import/file",
            post(import_file).layer(axum::extract::DefaultBodyLimit::max(
                tongyu_service::sheet::MAX_BYTES,
            )),
        )
        .route("/appeals/hotline-replies.xlsx", get(hotline_replies))
        .route("/units/{id}/opinion", get(opinion))
        .route(
            "/units/{id}/appeal-templates",
            get(templates).post(create_template),
        )
        .route(
            "/appeal-templates/{id}",
            axum::routing::delete(delete_template),
        )
        .route("/units/{id}/appeal-callbacks", get(callbacks))
        .route("/units/{id}/appeal-callbacks/draw", post(draw_callbacks))
        .route("/appeal-callbacks/{id}", post(record_callback))
        .route("/units/{id}/appeal-board", get(board))
        .route("/units/{id}/appeal-board.xlsx", get(board_xlsx))
}

#[derive(serde::Deserialize, Default)]
struct SinceQuery {
    #[serde(default)]
    since: String,
}

async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        tongyu_service::appeal::board::board(&state.app, &user.ctx, id, &q.since).await?
    )))
}

async fn board_xlsx(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> ApiResult<axum::response::Response> {
    let (name, bytes) =
        tongyu_service::appeal::board::export(&state.app, &user.ctx, id, &q.since).await?;
    Ok(crate::export::xlsx(&name, bytes))
}

#[derive(serde::Deserialize)]
struct TicketsBody {
    tickets: Vec<tongyu_service::appeal::hotline::Ticket>,
}

/// 12345 tickets from the hotline's system (integration token). Each
/// ticket gets its own outcome; importing again changes nothing.
async fn import_tickets(
    State(state): State<AppState>,
    caller: ApiIntegration,
    ApiJson(b): ApiJson<TicketsBody>,
) -> ApiResult<Json<Value>> {
    let results = tongyu_service::appeal::hotline::import_by_token(
        &state.app,
        &caller.meta.origin(),
        &caller.token.name,
        &caller.token.unit_path,
        &b.tickets,
    )
    .await?;
    Ok(Json(json!({ "results": results })))
}

/// A spreadsheet of tickets (the body: .xlsx or UTF-8 CSV) uploaded by staff.
async fn import_file(
    State(state): State<AppState>,
    user: ApiUser,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    if body.is_empty() {
        return Err(ApiError(Error::invalid("file", "请求体中没有文件")));
    }
    let results =
        tongyu_service::appeal::hotline::import_file(&state.app, &user.ctx, &body).await?;
    Ok(Json(json!({ "results": results })))
}

async fn hotline_replies(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<axum::response::Response> {
    let bytes = tongyu_service::appeal::hotline::export_replies(&state.app, &user.ctx).await?;
    Ok(crate::export::xlsx("12345工单答复.xlsx", bytes))
}

#[derive(serde::Deserialize, Default)]
struct PeriodQuery {
    #[serde(default)]
    period: String,
}

async fn opinion(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Value>> {
    let period = tongyu_domain::opinion::Period::parse(&q.period);
    Ok(Json(json!(
        tongyu_service::opinion::report(&state.app, &user.ctx, id, period).await?
    )))
}

fn limited() -> ApiError {
    ApiError(Error::with_message(
        ErrorCode::RateLimited,
        "提交过于频繁，请稍后再试",
    ))
}

async fn submit(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(b): ApiJson<PublicInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let r = appeal::submit(&state.app, &meta.origin(), &b).await?;
    let status = if r.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!(r))))
}

async fn status(
    State(state): State<AppState>,
    meta: RequestMeta,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    if !state.public_limits.lookup_per_ip.allow(&meta.ip) {
        return Err(limited());
    }
    Ok(Json(json!(appeal::public_status(&state.app, &code).await?)))
}

async fn rate(
    State(state): State<AppState>,
    meta: RequestMeta,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<RatingInput>,
) -> ApiResult<Json<Value>> {
    let s = appeal::rate(&state.app, &meta.origin(), &code, &b).await?;
    Ok(Json(json!({"status": s})))
}

#[derive(serde::Deserialize)]
struct TextBody {
    text: String,
}

async fn follow_up(
    State(state): State<AppState>,
    meta: RequestMeta,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<TextBody>,
) -> ApiResult<axum::response::Response> {
    appeal::follow_up(&state.app, &meta.origin(), &code, &b.text).await?;
    Ok(no_content())
}

async fn inbox(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Value>> {
    let rows = appeal::inbox(&state.app, &user.ctx, &q).await?;
    Ok(Json(json!({ "appeals": rows })))
}

async fn notices(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({
        "notices": appeal::notices(&state.app, &user.ctx).await?
    })))
}

async fn raise(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<OnBehalfInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let r = appeal::raise(&state.app, &user.ctx, &b).await?;
    let status = if r.existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!(r))))
}

/// Runs the deadline clocks now (the server also runs them every minute).
async fn sweep(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    if user
        .ctx
        .actor
        .scope(tongyu_domain::policy::Action::ManageAppeals)
        .is_empty()
    {
        return Err(ApiError(Error::forbidden()));
    }
    Ok(Json(json!(appeal::sweep(&state.app).await?)))
}

async fn detail(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        appeal::detail(&state.app, &user.ctx, id).await?
    )))
}

async fn reply(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Reply>,
) -> ApiResult<Json<Value>> {
    let s = appeal::reply(&state.app, &user.ctx, id, &b).await?;
    Ok(Json(json!({"status": s})))
}

#[derive(serde::Deserialize)]
struct AssignBody {
    handler_id: i64,
}

async fn assign(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AssignBody>,
) -> ApiResult<axum::response::Response> {
    appeal::assign(&state.app, &user.ctx, id, b.handler_id).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize)]
struct ContactBody {
    note: String,
    #[serde(default)]
    public: bool,
}

async fn contact(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ContactBody>,
) -> ApiResult<axum::response::Response> {
    appeal::contact(&state.app, &user.ctx, id, &b.note, b.public).await?;
    Ok(no_content())
}

async fn note(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TextBody>,
) -> ApiResult<axum::response::Response> {
    appeal::note(&state.app, &user.ctx, id, &b.text).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize)]
struct TransferBody {
    unit_id: i64,
    reason: String,
}

async fn transfer(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TransferBody>,
) -> ApiResult<axum::response::Response> {
    appeal::transfer(&state.app, &user.ctx, id, b.unit_id, &b.reason).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize)]
struct SignOffBody {
    approve: bool,
    #[serde(default)]
    comment: String,
}

async fn sign_off(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SignOffBody>,
) -> ApiResult<Json<Value>> {
    let s = appeal::sign_off(&state.app, &user.ctx, id, b.approve, &b.comment).await?;
    Ok(Json(json!({"status": s})))
}

#[derive(serde::Deserialize)]
struct ReasonBody {
    reason: String,
}

async fn spam(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> ApiResult<axum::response::Response> {
    appeal::spam::propose(&state.app, &user.ctx, id, &b.reason).await?;
    Ok(axum::response::IntoResponse::into_response(
        StatusCode::ACCEPTED,
    ))
}

#[derive(serde::Deserialize)]
struct SpamDecisionBody {
    confirm: bool,
    #[serde(default)]
    comment: String,
}

async fn spam_decision(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SpamDecisionBody>,
) -> ApiResult<axum::response::Response> {
    appeal::spam::decide(&state.app, &user.ctx, id, b.confirm, &b.comment).await?;
    Ok(no_content())
}

async fn spam_pending(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"items": appeal::spam::pending(&state.app, &user.ctx).await?}),
    ))
}

fn code_json(state: &AppState, c: &tongyu_service::appeal::Code) -> Value {
    json!({
        "kind": c.kind,
        "token": c.token,
        "url": format!("{}/q/{}", state.config.public_url, c.token),
        "created_at": c.created_at,
    })
}

async fn codes(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let codes = appeal::school_codes(&state.app, &user.ctx, id).await?;
    let list: Vec<Value> = codes.iter().map(|c| code_json(&state, c)).collect();
    Ok(Json(json!({ "codes": list })))
}

async fn rotate(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, kind)): Path<(i64, String)>,
) -> ApiResult<Json<Value>> {
    let kind = CodeKind::parse(&kind)
        .ok_or_else(|| ApiError(Error::invalid("kind", "二维码类型应为 school 或 bureau")))?;
    let c = appeal::rotate_code(&state.app, &user.ctx, id, kind).await?;
    Ok(Json(code_json(&state, &c)))
}

async fn calendar(State(state): State<AppState>, _user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "days": tongyu_service::calendar::calendar(&state.app).await? }),
    ))
}

async fn set_day(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<tongyu_service::calendar::DayInput>,
) -> ApiResult<axum::response::Response> {
    tongyu_service::calendar::set_day(&state.app, &user.ctx, &b).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize, Default)]
struct CategoryQuery {
    #[serde(default)]
    category: String,
}

async fn templates(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<CategoryQuery>,
) -> ApiResult<Json<Value>> {
    let category = tongyu_domain::appeal::Category::parse(q.category.trim());
    let list =
        tongyu_service::appeal::templates::available(&state.app, &user.ctx, id, category).await?;
    Ok(Json(json!({ "templates": list })))
}

async fn create_template(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<tongyu_service::appeal::templates::TemplateInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let tid = tongyu_service::appeal::templates::create(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": tid }))))
}

async fn delete_template(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    tongyu_service::appeal::templates::delete(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}

async fn callbacks(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let list = tongyu_service::appeal::callbacks::list(&state.app, &user.ctx, id).await?;
    Ok(Json(json!({ "callbacks": list })))
}

#[derive(serde::Deserialize)]
struct DrawBody {
    count: i64,
}

async fn draw_callbacks(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DrawBody>,
) -> ApiResult<Json<Value>> {
    let n = tongyu_service::appeal::callbacks::draw(&state.app, &user.ctx, id, b.count).await?;
    Ok(Json(json!({ "drawn": n })))
}

async fn record_callback(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<tongyu_service::appeal::callbacks::OutcomeInput>,
) -> ApiResult<axum::response::Response> {
    tongyu_service::appeal::callbacks::record(&state.app, &user.ctx, id, &b).await?;
    Ok(no_content())
}
