//! Required-course delivery: class plans and sessions for teachers,
//! check-in, ratings and questionnaires for parents, compliance, workload
//! and effect for administrators.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_domain::calendar::school_year;
use tongyu_service::delivery::{self, AttendanceInput, RecordInput, SessionInput};

use crate::AppState;
use crate::api::{ApiJson, ApiQuery};
use crate::error::ApiResult;
use crate::extract::ApiUser;

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

#[derive(serde::Deserialize, Default)]
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
) -> ApiResult<Json<Value>> {
    let year = year_or_now(&state, &q);
    Ok(Json(json!(
        delivery::class_plan(&state.app, &user.ctx, id, year).await?
    )))
}

async fn plan(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SessionInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let s = delivery::plan_session(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(s))))
}

async fn detail(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let d = delivery::session_detail(&state.app, &user.ctx, id).await?;
    let steps: Vec<Value> = d
        .steps
        .iter()
        .map(|(s, n)| json!({"step": s, "note": n}))
        .collect();
    let ratings: Vec<Value> = d
        .ratings
        .iter()
        .map(|(s, c)| json!({"score": s, "comment": c}))
        .collect();
    Ok(Json(json!({
        "session": d.session,
        "class": {"id": d.class.id, "name": d.class.name},
        "course_title": d.course_title,
        "steps": steps,
        "families": d.families,
        "ratings": ratings,
        "rating_mean": d.rating_mean_x100 as f64 / 100.0,
        "checkin_url": format!("/checkin/{}", d.checkin_token),
    })))
}

async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SessionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        delivery::update_session(&state.app, &user.ctx, id, &b).await?
    )))
}

#[derive(serde::Deserialize)]
struct StatusBody {
    status: String,
}

async fn status(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        delivery::set_status(&state.app, &user.ctx, id, &b.status).await?
    )))
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

#[derive(serde::Deserialize)]
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

#[derive(serde::Deserialize)]
struct CheckInBody {
    token: String,
}

async fn check_in(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<CheckInBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        delivery::check_in(&state.app, &user.ctx, &b.token).await?
    )))
}

async fn my_sessions(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": delivery::my_sessions(&state.app, &user.ctx).await? }),
    ))
}

async fn my_surveys(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": delivery::my_surveys(&state.app, &user.ctx).await? }),
    ))
}

#[derive(serde::Deserialize)]
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

#[derive(serde::Deserialize)]
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
) -> ApiResult<Json<Value>> {
    let year = year_or_now(&state, &q);
    let (unit, rows) = delivery::compliance(&state.app, &user.ctx, id, year).await?;
    let row = |r: &delivery::ComplianceRow| {
        json!({
            "unit_id": r.unit_id, "name": r.name, "kind": r.kind,
            "classes": r.classes, "met": r.met, "flagged": r.flagged(),
            "sessions": r.tally.map(|t| t.sessions), "hours": r.tally.map(|t| t.hours),
        })
    };
    Ok(Json(json!({
        "school_year": year,
        "unit": row(&unit),
        "children": rows.iter().map(row).collect::<Vec<_>>(),
    })))
}

async fn workload(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Value>> {
    let year = year_or_now(&state, &q);
    Ok(Json(json!({
        "school_year": year,
        "items": delivery::workload(&state.app, &user.ctx, id, year).await?,
    })))
}

async fn my_workload(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Value>> {
    let items: Vec<Value> = delivery::my_workload(&state.app, &user.ctx)
        .await?
        .into_iter()
        .map(|(y, n, h)| json!({"school_year": y, "sessions": n, "class_hours": h}))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn effect(
    State(state): State<AppState>,
    user: ApiUser,
    Path((course, unit)): Path<(i64, i64)>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Value>> {
    let year = year_or_now(&state, &q);
    let (questions, rows) = delivery::effect(&state.app, &user.ctx, course, unit, year).await?;
    let questions: Vec<Value> = questions
        .iter()
        .map(|q| {
            json!({
                "question": q.question, "before_n": q.before_n, "before": q.before,
                "after_n": q.after_n, "after": q.after, "change": q.change(),
            })
        })
        .collect();
    Ok(Json(
        json!({ "school_year": year, "questions": questions, "children": rows }),
    ))
}
