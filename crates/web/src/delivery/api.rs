//! Required-course delivery: class plans and sessions for teachers,
//! check-in, ratings and questionnaires for parents, compliance, workload
//! and effect for administrators.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::calendar::school_year;
use tongyu_domain::delivery::Step;
use tongyu_domain::org::UnitKind;
use tongyu_service::delivery::{
    self, AttendanceInput, CheckIn, ClassPlan, ComplianceRow, EffectRow, FamilyAttendance,
    ParentSession, QuestionEffect, RecordInput, Session, SessionInput, Survey, WorkloadRow,
    YearWorkload,
};

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, Items};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/classes/{id}/sessions",
            "班级本学年必修课安排与达标情况（school_year 默认本学年）",
        )
        .query::<YearQuery>()
        .returns::<ClassPlan>(200),
        Op::post("/classes/{id}/sessions", "班主任安排一次必修课")
            .body::<SessionInput>()
            .returns::<Session>(201),
        Op::get(
            "/sessions/{id}",
            "一次课的详情：五步记录、出勤、评价（记入审计）",
        )
        .returns::<SessionView>(200),
        Op::post("/sessions/{id}", "修改尚未上课的安排")
            .body::<SessionInput>()
            .returns::<Session>(200),
        Op::post(
            "/sessions/{id}/status",
            "标记已上课、取消或撤回（status：planned、held、cancelled）",
        )
        .body::<StatusBody>()
        .returns::<Session>(200),
        Op::post("/sessions/{id}/record", "记录五步教学环节与课程资料")
            .body::<RecordInput>()
            .no_content(),
        Op::post("/sessions/{id}/attendance", "登记出勤与家长参与度评分")
            .body::<AttendanceInput>()
            .no_content(),
        Op::post("/sessions/{id}/rating", "家长评价一次课（1-5 分与留言）")
            .body::<RatingBody>()
            .no_content(),
        Op::post("/checkin", "家长扫码签到（token 为二维码中的签到码）")
            .body::<CheckInBody>()
            .returns::<CheckIn>(200),
        Op::get("/me/sessions", "家长：孩子班级本学年的必修课")
            .returns::<Items<ParentSession>>(200),
        Op::get("/me/surveys", "家长：现在可以填写的效果追踪问卷").returns::<Items<Survey>>(200),
        Op::post(
            "/classes/{id}/survey",
            "家长填写问卷（phase：before 或 after；answers 为每题 1-5 分）",
        )
        .body::<AnswerBody>()
        .no_content(),
        Op::post("/courses/{id}/questionnaire", "设置课程的效果追踪问卷")
            .body::<QuestionnaireBody>()
            .no_content(),
        Op::get(
            "/units/{id}/delivery",
            "必修课达标情况：逐级下钻，未达标的班级标出",
        )
        .query::<YearQuery>()
        .returns::<ComplianceView>(200),
        Op::get("/units/{id}/workload", "教师必修课课时（计入工作量）")
            .query::<YearQuery>()
            .returns::<WorkloadView>(200),
        Op::get("/me/workload", "教师：自己每学年的必修课课时").returns::<Items<YearWorkload>>(200),
        Op::get(
            "/courses/{id}/effect/{unit_id}",
            "效果追踪：课前课后各题均值与变化，及各下级单位",
        )
        .query::<YearQuery>()
        .returns::<EffectView>(200),
    ]
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct StepNote {
    step: Step,
    note: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct RatingView {
    score: i64,
    comment: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct ClassRef {
    id: i64,
    name: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct SessionView {
    session: Session,
    class: ClassRef,
    course_title: String,
    steps: Vec<StepNote>,
    families: Vec<FamilyAttendance>,
    ratings: Vec<RatingView>,
    /// Mean parent rating, 0 without ratings.
    rating_mean: f64,
    /// The address parents open to check in (the QR code's content).
    checkin_url: String,
}

/// A unit's line on the compliance board.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct ComplianceLine {
    unit_id: i64,
    name: String,
    kind: UnitKind,
    classes: i64,
    /// Classes that met the yearly minimum.
    met: i64,
    /// Classes that have not.
    flagged: i64,
    /// Classes whose sessions held and planned would meet it (met included).
    on_track: i64,
    /// Classes that would fall short even if all they planned were held.
    off_track: i64,
    /// A class's own sessions held; null for other units.
    sessions: Option<i64>,
    /// A class's own class hours; null for other units.
    hours: Option<i64>,
    /// A class's sessions still planned; null for other units.
    sessions_planned: Option<i64>,
    /// A class's class hours still planned; null for other units.
    hours_planned: Option<i64>,
}

impl From<ComplianceRow> for ComplianceLine {
    fn from(r: ComplianceRow) -> Self {
        Self {
            flagged: r.flagged(),
            on_track: r.on_track,
            off_track: r.off_track(),
            sessions: r.tally.map(|t| t.sessions),
            hours: r.tally.map(|t| t.hours),
            sessions_planned: r.tally.map(|t| t.sessions_planned),
            hours_planned: r.tally.map(|t| t.hours_planned),
            unit_id: r.unit_id,
            name: r.name,
            kind: r.kind,
            classes: r.classes,
            met: r.met,
        }
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct ComplianceView {
    school_year: i64,
    unit: ComplianceLine,
    children: Vec<ComplianceLine>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct WorkloadView {
    school_year: i64,
    items: Vec<WorkloadRow>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct QuestionView {
    question: String,
    before_n: i64,
    before: Option<f64>,
    after_n: i64,
    after: Option<f64>,
    /// After minus before, when both are known.
    change: Option<f64>,
}

impl From<QuestionEffect> for QuestionView {
    fn from(q: QuestionEffect) -> Self {
        Self {
            change: q.change(),
            question: q.question,
            before_n: q.before_n,
            before: q.before,
            after_n: q.after_n,
            after: q.after,
        }
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct EffectView {
    school_year: i64,
    questions: Vec<QuestionView>,
    children: Vec<EffectRow>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/classes/{id}/sessions", get(class_plan).post(plan))
        .route("/sessions/{id}", get(detail).post(update))
        .route("/sessions/{id}/status", post(status))
        .route("/sessions/{id}/record", post(record))
        .route("/sessions/{id}/attendance", post(attendance))
        .route("/sessions/{id}/rating", post(rate))
        .route("/checkin", post(check_in))
        .route("/me/sessions", get(my_sessions))
        .route("/me/surveys", get(my_surveys))
        .route("/classes/{id}/survey", post(answer))
        .route("/courses/{id}/questionnaire", post(set_questionnaire))
        .route("/units/{id}/delivery", get(compliance))
        .route("/units/{id}/workload", get(workload))
        .route("/me/workload", get(my_workload))
        .route("/courses/{id}/effect/{unit_id}", get(effect))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct YearQuery {
    school_year: Option<i64>,
}

fn year_or_now(state: &AppState, q: &YearQuery) -> i64 {
    q.school_year
        .unwrap_or_else(|| school_year(state.app.now()))
}

async fn class_plan(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<ClassPlan>> {
    let year = year_or_now(&state, &q);
    Ok(Json(
        delivery::class_plan(&state.app, &user.ctx, id, year).await?,
    ))
}

async fn plan(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SessionInput>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    let s = delivery::plan_session(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

async fn detail(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<SessionView>> {
    let d = delivery::session_detail(&state.app, &user.ctx, id).await?;
    Ok(Json(SessionView {
        session: d.session,
        class: ClassRef {
            id: d.class.id,
            name: d.class.name,
        },
        course_title: d.course_title,
        steps: d
            .steps
            .into_iter()
            .map(|(step, note)| StepNote { step, note })
            .collect(),
        families: d.families,
        ratings: d
            .ratings
            .into_iter()
            .map(|(score, comment)| RatingView { score, comment })
            .collect(),
        rating_mean: d.rating_mean_x100 as f64 / 100.0,
        checkin_url: format!("/checkin/{}", d.checkin_token),
    }))
}

async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SessionInput>,
) -> ApiResult<Json<Session>> {
    Ok(Json(
        delivery::update_session(&state.app, &user.ctx, id, &b).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "SessionStatusBody")]
struct StatusBody {
    status: String,
}

async fn status(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<Session>> {
    Ok(Json(
        delivery::set_status(&state.app, &user.ctx, id, &b.status).await?,
    ))
}

async fn record(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RecordInput>,
) -> ApiResult<StatusCode> {
    delivery::save_record(&state.app, &user.ctx, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn attendance(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AttendanceInput>,
) -> ApiResult<StatusCode> {
    delivery::save_attendance(&state.app, &user.ctx, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct RatingBody {
    score: i64,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RatingBody>,
) -> ApiResult<StatusCode> {
    delivery::rate(&state.app, &user.ctx, id, b.score, &b.comment).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct CheckInBody {
    token: String,
}

async fn check_in(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<CheckInBody>,
) -> ApiResult<Json<CheckIn>> {
    Ok(Json(
        delivery::check_in(&state.app, &user.ctx, &b.token).await?,
    ))
}

async fn my_sessions(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Items<ParentSession>>> {
    Ok(Items::of(
        delivery::my_sessions(&state.app, &user.ctx).await?,
    ))
}

async fn my_surveys(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Items<Survey>>> {
    Ok(Items::of(
        delivery::my_surveys(&state.app, &user.ctx).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct AnswerBody {
    phase: String,
    answers: Vec<i64>,
}

async fn answer(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> ApiResult<StatusCode> {
    delivery::answer(&state.app, &user.ctx, id, &b.phase, &b.answers).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct QuestionnaireBody {
    questions: Vec<String>,
}

async fn set_questionnaire(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<QuestionnaireBody>,
) -> ApiResult<StatusCode> {
    delivery::set_questionnaire(&state.app, &user.ctx, id, &b.questions.join("\n")).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn compliance(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<ComplianceView>> {
    let year = year_or_now(&state, &q);
    let (unit, rows) = delivery::compliance(&state.app, &user.ctx, id, year).await?;
    Ok(Json(ComplianceView {
        school_year: year,
        unit: unit.into(),
        children: rows.into_iter().map(ComplianceLine::from).collect(),
    }))
}

async fn workload(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<WorkloadView>> {
    let year = year_or_now(&state, &q);
    Ok(Json(WorkloadView {
        school_year: year,
        items: delivery::workload(&state.app, &user.ctx, id, year).await?,
    }))
}

async fn my_workload(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Items<YearWorkload>>> {
    Ok(Items::of(
        delivery::my_workload(&state.app, &user.ctx).await?,
    ))
}

async fn effect(
    State(state): State<AppState>,
    user: ApiUser,
    Path((course, unit)): Path<(i64, i64)>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<EffectView>> {
    let year = year_or_now(&state, &q);
    let (questions, rows) = delivery::effect(&state.app, &user.ctx, course, unit, year).await?;
    Ok(Json(EffectView {
        school_year: year,
        questions: questions.into_iter().map(QuestionView::from).collect(),
        children: rows,
    }))
}
