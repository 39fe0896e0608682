//! Classes: the roster, students, invites and guardian links.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_service::student::{self, StudentInput};

use crate::AppState;
use crate::api::{ApiJson, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/classes/{id}/roster", get(roster))
        .route("/classes/{id}/students", post(add_student))
        .route("/classes/{id}/invite", post(invite))
        .route("/guardian-requests", post(request_link))
        .route(
            "/classes/{id}/guardians/{student}/{account}/confirm",
            post(confirm),
        )
        .route(
            "/classes/{id}/guardians/{student}/{account}/reject",
            post(reject),
        )
}

async fn roster(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let r = student::roster(&state.app, &user.ctx, id).await?;
    let links: Vec<Value> = r
        .links
        .iter()
        .map(|l| {
            json!({
                "student_id": l.student_id, "account_id": l.account_id, "guardian_name": l.guardian_name,
                "phone": l.guardian_phone_mask,
                "relation": l.relation, "status": l.status,
            })
        })
        .collect();
    Ok(Json(
        json!({ "class_id": r.class.id, "students": r.students, "guardians": links }),
    ))
}

async fn add_student(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StudentInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let sid = student::add(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": sid }))))
}

async fn invite(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let inv = student::issue_invite(&state.app, &user.ctx, id).await?;
    let link = format!(
        "{}/join?code={}",
        state.config.public_url.trim_end_matches('/'),
        inv.code
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({ "code": inv.code, "expires_at": inv.expires_at, "link": link })),
    ))
}

#[derive(serde::Deserialize)]
struct LinkBody {
    code: String,
    child_name: String,
    relation: String,
    /// The code just sent to the parent's own phone (`POST /me/codes`).
    #[serde(default)]
    sms_code: String,
    /// The guardian agrees to the children's privacy notice
    /// (`/privacy/children`, its version recorded with the consent).
    #[serde(default)]
    consent: bool,
}

async fn request_link(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<LinkBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let l = student::request_link(
        &state.app,
        &user.ctx,
        &b.code,
        &b.child_name,
        &b.relation,
        &b.sms_code,
        b.consent,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "student_id": l.student_id, "status": l.status })),
    ))
}

async fn confirm(
    State(state): State<AppState>,
    user: ApiUser,
    Path((_, sid, aid)): Path<(i64, i64, i64)>,
) -> ApiResult<axum::response::Response> {
    student::decide_link(&state.app, &user.ctx, sid, aid, true).await?;
    Ok(no_content())
}

async fn reject(
    State(state): State<AppState>,
    user: ApiUser,
    Path((_, sid, aid)): Path<(i64, i64, i64)>,
) -> ApiResult<axum::response::Response> {
    student::decide_link(&state.app, &user.ctx, sid, aid, false).await?;
    Ok(no_content())
}
