//! Appeals: the public side (no account: submit, status, follow-up,
//! rating) and the staff side (inbox, one appeal, the actions on it,
//! appeals raised on a parent's behalf, gate codes, the calendar).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::appeal::{CodeKind, Reply, Status};
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::appeal::board::Board;
use tongyu_service::appeal::callbacks::{CallbackRow, OutcomeInput};
use tongyu_service::appeal::hotline::{Ticket, TicketResult};
use tongyu_service::appeal::spam::Pending;
use tongyu_service::appeal::templates::TemplateInput;
use tongyu_service::appeal::{
    self, Detail, InboxQuery, InboxRow, Notice, OnBehalfInput, PublicInput, PublicStatus, Raised,
    RatingInput, Receipt, SweepReport, Template,
};
use tongyu_service::calendar::{CalendarDay, DayInput};

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, Created, Items, no_content};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiIntegration, ApiUser, RequestMeta};
use crate::openapi::Operation as Op;

const SHEETS: &[&str] = &[
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/csv",
];
const XLSX: &[&str] = &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"];

pub fn operations() -> Vec<Op> {
    use ErrorCode as E;
    vec![
        Op::post(
            "/public/appeals",
            "家长扫码提交诉求（无需登录）：返回查询码；同一内容重复提交返回原查询码（200）",
        )
        .body::<PublicInput>()
        .returns::<Receipt>(201)
        .public()
        .errors(&[E::RateLimited]),
        Op::get(
            "/public/appeals/{tracking_code}",
            "凭查询码查看诉求进度、时限与答复（无需登录）",
        )
        .returns::<PublicStatus>(200)
        .public()
        .errors(&[E::RateLimited]),
        Op::post(
            "/public/appeals/{tracking_code}/rating",
            "家长评价答复：满意、基本满意、不满意（不满意则上报重办）",
        )
        .body::<RatingInput>()
        .returns::<StatusView>(200)
        .public()
        .errors(&[E::RateLimited]),
        Op::post("/public/appeals/{tracking_code}/follow-up", "家长补充情况")
            .body::<TextBody>()
            .no_content()
            .public()
            .errors(&[E::RateLimited]),
        Op::get(
            "/appeals",
            "诉求收件箱（本单位或辖区全部；可按状态、超时筛选）",
        )
        .query::<InboxQuery>()
        .returns::<Inbox>(200),
        Op::post(
            "/appeals",
            "代家长登记诉求（12345热线、家访、校长信箱、教育局电话）；同一工单只登记一次（已登记的答 200）",
        )
        .body::<OnBehalfInput>()
        .returns::<Raised>(201),
        Op::get(
            "/appeals/notices",
            "本单位未读的诉求提醒（上报、转办、家长补充）",
        )
        .returns::<Notices>(200),
        Op::post(
            "/appeals/sweep",
            "立即运行时限检查（超时上报、未评价办结）",
        )
        .returns::<SweepReport>(200),
        Op::get("/appeals/{id}", "诉求详情与办理记录（读取记入审计）").returns::<Detail>(200),
        Op::post(
            "/appeals/{id}/reply",
            "答复（三说明：政策规定、当前工作情况、下一步解决措施）",
        )
        .body::<Reply>()
        .returns::<StatusView>(200),
        Op::post(
            "/appeals/{id}/revise",
            "修改已发布、未评价的答复（原因家长可见；本级须审核时等待审核）",
        )
        .body::<ReviseBody>()
        .returns::<StatusView>(200),
        Op::post("/appeals/{id}/assign", "指派办理人")
            .body::<AssignBody>()
            .no_content(),
        Op::post("/appeals/{id}/contact", "记录联系家长（首次联系时限停止）")
            .body::<ContactBody>()
            .no_content(),
        Op::post("/appeals/{id}/note", "内部备注（家长不可见）")
            .body::<TextBody>()
            .no_content(),
        Op::post(
            "/appeals/{id}/transfer",
            "转办给管辖范围内的学校或教育局",
        )
        .body::<TransferBody>()
        .no_content(),
        Op::post("/appeals/{id}/sign-off", "审核答复：通过发布或退回修改")
            .body::<SignOffBody>()
            .returns::<StatusView>(200),
        Op::post(
            "/appeals/{id}/spam",
            "申请标记为无效诉求（须上一级确认）",
        )
        .body::<ReasonBody>()
        .empty(202),
        Op::post(
            "/appeals/{id}/spam/decision",
            "上一级确认或驳回无效标记",
        )
        .body::<SpamDecisionBody>()
        .no_content(),
        Op::get("/appeals/spam-pending", "等待本人确认的无效标记").returns::<Items<Pending>>(200),
        Op::get(
            "/schools/{id}/appeal-codes",
            "学校的两个校门二维码（学校、教育局）",
        )
        .returns::<Codes>(200),
        Op::post(
            "/schools/{id}/appeal-codes/{kind}/rotate",
            "更换二维码（kind：school 或 bureau；旧码指向新码，过渡期内仍可提交，at_once 时立即停用）",
        )
        .query::<RotateQuery>()
        .returns::<CodeView>(200),
        Op::get("/calendar", "工作日历：节假日与调休上班日").returns::<Calendar>(200),
        Op::post("/calendar", "设置节假日或调休上班日（市级）")
            .body::<DayInput>()
            .no_content(),
        Op::post(
            "/appeals/import",
            "12345工单接入（接口令牌）：同一工单编号只登记一次",
        )
        .body::<TicketsBody>()
        .returns::<TicketResults>(200),
        Op::post("/appeals/import/file", "上传12345工单表格（CSV或Excel）")
            .upload(SHEETS)
            .returns::<TicketResults>(200),
        Op::get("/appeals/hotline-replies.xlsx", "导出12345工单答复").file(XLSX),
        Op::get(
            "/units/{id}/appeal-board",
            "诉求办理情况：按时联系、按时答复、上报、满意率、重办率，逐级下钻",
        )
        .query::<SinceQuery>()
        .returns::<Board>(200),
        Op::get("/units/{id}/appeal-board.xlsx", "导出诉求办理情况")
            .query::<SinceQuery>()
            .file(XLSX),
        Op::get(
            "/units/{id}/opinion",
            "舆情监测：近7天或30天热点话题、激增预警、来源",
        )
        .query::<PeriodQuery>()
        .returns::<tongyu_service::opinion::Report>(200),
        Op::get(
            "/units/{id}/opinion/topic",
            "舆情监测：提到某个热点词的诉求（最新的在前）",
        )
        .query::<TopicQuery>()
        .returns::<tongyu_service::opinion::TopicAppeals>(200),
        Op::get(
            "/units/{id}/appeal-templates",
            "本单位及上级单位的答复模板",
        )
        .query::<CategoryQuery>()
        .returns::<Templates>(200),
        Op::post("/units/{id}/appeal-templates", "新建答复模板")
            .body::<TemplateInput>()
            .returns::<Created>(201),
        Op::delete("/appeal-templates/{id}", "删除答复模板").no_content(),
        Op::get("/units/{id}/appeal-callbacks", "回访抽查清单").returns::<Callbacks>(200),
        Op::post(
            "/units/{id}/appeal-callbacks/draw",
            "随机抽取下级已办结诉求进行回访",
        )
        .body::<DrawBody>()
        .returns::<Drawn>(200),
        Op::post(
            "/appeal-callbacks/{id}",
            "记录回访结果（未解决则退回重办）",
        )
        .body::<OutcomeInput>()
        .no_content(),
    ]
}

/// Where an appeal stands after an action.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct StatusView {
    status: Status,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Inbox {
    appeals: Vec<InboxRow>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Notices {
    notices: Vec<Notice>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct TicketResults {
    results: Vec<TicketResult>,
}

/// A gate's QR code.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct CodeView {
    kind: CodeKind,
    token: String,
    /// What the QR code holds.
    url: String,
    created_at: i64,
}

impl CodeView {
    fn of(state: &AppState, c: appeal::Code) -> Self {
        Self {
            url: format!("{}/q/{}", state.config.public_url, c.token),
            kind: c.kind,
            token: c.token,
            created_at: c.created_at,
        }
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Codes {
    codes: Vec<CodeView>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Calendar {
    days: Vec<CalendarDay>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Templates {
    templates: Vec<Template>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Callbacks {
    callbacks: Vec<CallbackRow>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Drawn {
    /// How many appeals were drawn (fewer than asked when fewer qualify).
    drawn: usize,
}

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
        .route("/appeals/{id}/revise", post(revise))
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
        .route("/units/{id}/opinion/topic", get(opinion_topic))
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

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct SinceQuery {
    #[serde(default)]
    since: String,
}

async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> ApiResult<Json<Board>> {
    Ok(Json(
        tongyu_service::appeal::board::board(&state.app, &user.ctx, id, &q.since).await?,
    ))
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

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct TicketsBody {
    tickets: Vec<Ticket>,
}

/// 12345 tickets from the hotline's system (integration token). Each
/// ticket gets its own outcome; importing again changes nothing.
async fn import_tickets(
    State(state): State<AppState>,
    caller: ApiIntegration,
    ApiJson(b): ApiJson<TicketsBody>,
) -> ApiResult<Json<TicketResults>> {
    let results = tongyu_service::appeal::hotline::import_by_token(
        &state.app,
        &caller.meta.origin(),
        &caller.token.name,
        &caller.token.unit_path,
        &b.tickets,
    )
    .await?;
    Ok(Json(TicketResults { results }))
}

/// A spreadsheet of tickets (the body: .xlsx or UTF-8 CSV) uploaded by staff.
async fn import_file(
    State(state): State<AppState>,
    user: ApiUser,
    body: axum::body::Bytes,
) -> ApiResult<Json<TicketResults>> {
    if body.is_empty() {
        return Err(ApiError(Error::invalid("file", "请求体中没有文件")));
    }
    let results =
        tongyu_service::appeal::hotline::import_file(&state.app, &user.ctx, &body).await?;
    Ok(Json(TicketResults { results }))
}

async fn hotline_replies(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<axum::response::Response> {
    let bytes = tongyu_service::appeal::hotline::export_replies(&state.app, &user.ctx).await?;
    Ok(crate::export::xlsx("12345工单答复.xlsx", bytes))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct PeriodQuery {
    #[serde(default)]
    period: String,
}

async fn opinion(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<tongyu_service::opinion::Report>> {
    let period = tongyu_domain::opinion::Period::parse(&q.period);
    Ok(Json(
        tongyu_service::opinion::report(&state.app, &user.ctx, id, period).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct TopicQuery {
    word: String,
    #[serde(default)]
    period: String,
}

async fn opinion_topic(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<TopicQuery>,
) -> ApiResult<Json<tongyu_service::opinion::TopicAppeals>> {
    let period = tongyu_domain::opinion::Period::parse(&q.period);
    Ok(Json(
        tongyu_service::opinion::topic(&state.app, &user.ctx, id, period, &q.word).await?,
    ))
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
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let r = appeal::submit(&state.app, &meta.origin(), &b).await?;
    let status = if r.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)))
}

async fn status(
    State(state): State<AppState>,
    meta: RequestMeta,
    Path(code): Path<String>,
) -> ApiResult<Json<PublicStatus>> {
    if !state.public_limits.lookup_per_ip.allow(&meta.ip) {
        return Err(limited());
    }
    Ok(Json(appeal::public_status(&state.app, &code).await?))
}

async fn rate(
    State(state): State<AppState>,
    meta: RequestMeta,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<RatingInput>,
) -> ApiResult<Json<StatusView>> {
    let status = appeal::rate(&state.app, &meta.origin(), &code, &b).await?;
    Ok(Json(StatusView { status }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
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
) -> ApiResult<Json<Inbox>> {
    let appeals = appeal::inbox(&state.app, &user.ctx, &q).await?;
    Ok(Json(Inbox { appeals }))
}

async fn notices(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Notices>> {
    Ok(Json(Notices {
        notices: appeal::notices(&state.app, &user.ctx).await?,
    }))
}

async fn raise(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<OnBehalfInput>,
) -> ApiResult<(StatusCode, Json<Raised>)> {
    let r = appeal::raise(&state.app, &user.ctx, &b).await?;
    let status = if r.existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)))
}

/// Runs the deadline clocks now (the server also runs them every minute).
async fn sweep(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<SweepReport>> {
    if user
        .ctx
        .actor
        .scope(tongyu_domain::policy::Action::ManageAppeals)
        .is_empty()
    {
        return Err(ApiError(Error::forbidden()));
    }
    Ok(Json(appeal::sweep(&state.app).await?))
}

async fn detail(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Detail>> {
    Ok(Json(appeal::detail(&state.app, &user.ctx, id).await?))
}

async fn reply(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Reply>,
) -> ApiResult<Json<StatusView>> {
    let status = appeal::reply(&state.app, &user.ctx, id, &b).await?;
    Ok(Json(StatusView { status }))
}

/// A revised reply and why it changed (shown to the parent).
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct ReviseBody {
    policy: String,
    status: String,
    next_steps: String,
    reason: String,
}

async fn revise(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReviseBody>,
) -> ApiResult<Json<StatusView>> {
    let reply = Reply {
        policy: b.policy,
        status: b.status,
        next_steps: b.next_steps,
    };
    let status = appeal::revise(&state.app, &user.ctx, id, &reply, &b.reason).await?;
    Ok(Json(StatusView { status }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
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

#[derive(serde::Deserialize, schemars::JsonSchema)]
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

#[derive(serde::Deserialize, schemars::JsonSchema)]
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

#[derive(serde::Deserialize, schemars::JsonSchema)]
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
) -> ApiResult<Json<StatusView>> {
    let status = appeal::sign_off(&state.app, &user.ctx, id, b.approve, &b.comment).await?;
    Ok(Json(StatusView { status }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
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

#[derive(serde::Deserialize, schemars::JsonSchema)]
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

async fn spam_pending(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Items<Pending>>> {
    Ok(Items::of(
        appeal::spam::pending(&state.app, &user.ctx).await?,
    ))
}

async fn codes(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Codes>> {
    let codes = appeal::school_codes(&state.app, &user.ctx, id).await?;
    Ok(Json(Codes {
        codes: codes.into_iter().map(|c| CodeView::of(&state, c)).collect(),
    }))
}

/// How a replaced code stops.
#[derive(serde::Deserialize, schemars::JsonSchema, Default)]
struct RotateQuery {
    /// The old code stops taking appeals now (one misused), instead of
    /// after the grace period.
    #[serde(default)]
    at_once: bool,
}

async fn rotate(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, kind)): Path<(i64, String)>,
    ApiQuery(q): ApiQuery<RotateQuery>,
) -> ApiResult<Json<CodeView>> {
    let kind = CodeKind::parse(&kind)
        .ok_or_else(|| ApiError(Error::invalid("kind", "二维码类型应为 school 或 bureau")))?;
    let c = appeal::rotate_code(&state.app, &user.ctx, id, kind, q.at_once).await?;
    Ok(Json(CodeView::of(&state, c)))
}

async fn calendar(State(state): State<AppState>, _user: ApiUser) -> ApiResult<Json<Calendar>> {
    Ok(Json(Calendar {
        days: tongyu_service::calendar::calendar(&state.app).await?,
    }))
}

async fn set_day(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<DayInput>,
) -> ApiResult<axum::response::Response> {
    tongyu_service::calendar::set_day(&state.app, &user.ctx, &b).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct CategoryQuery {
    #[serde(default)]
    category: String,
}

async fn templates(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<CategoryQuery>,
) -> ApiResult<Json<Templates>> {
    let category = tongyu_domain::appeal::Category::parse(q.category.trim());
    let list =
        tongyu_service::appeal::templates::available(&state.app, &user.ctx, id, category).await?;
    Ok(Json(Templates { templates: list }))
}

async fn create_template(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = tongyu_service::appeal::templates::create(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
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
) -> ApiResult<Json<Callbacks>> {
    let callbacks = tongyu_service::appeal::callbacks::list(&state.app, &user.ctx, id).await?;
    Ok(Json(Callbacks { callbacks }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct DrawBody {
    count: i64,
}

async fn draw_callbacks(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DrawBody>,
) -> ApiResult<Json<Drawn>> {
    let drawn = tongyu_service::appeal::callbacks::draw(&state.app, &user.ctx, id, b.count).await?;
    Ok(Json(Drawn { drawn }))
}

async fn record_callback(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<OutcomeInput>,
) -> ApiResult<axum::response::Response> {
    tongyu_service::appeal::callbacks::record(&state.app, &user.ctx, id, &b).await?;
    Ok(no_content())
}
