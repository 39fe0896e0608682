//! Classes: the roster, students, invites and guardian links.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::student::{LinkStatus, Student};
use tongyu_service::student::{self, StudentInput};

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, Created, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get("/classes/{id}/roster", "班级学生与家长（记入审计）").returns::<RosterView>(200),
        Op::post("/classes/{id}/students", "添加学生")
            .body::<StudentInput>()
            .returns::<Created>(201),
        Op::post(
            "/classes/{id}/invite",
            "生成班级邀请码（旧码过渡期内仍可用，at_once 时立即停用）",
        )
        .query::<InviteQuery>()
        .returns::<InviteView>(201),
        Op::post(
            "/guardian-requests",
            "家长凭邀请码和本人手机验证码申请绑定孩子（须同意儿童个人信息保护规则）",
        )
        .body::<LinkBody>()
        .returns::<LinkView>(201)
        .errors(&[tongyu_domain::ErrorCode::RateLimited]),
        Op::post(
            "/classes/{id}/guardians/{student}/{account}/confirm",
            "确认家长绑定",
        )
        .no_content(),
        Op::post(
            "/classes/{id}/guardians/{student}/{account}/reject",
            "拒绝家长绑定",
        )
        .no_content(),
    ]
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct GuardianView {
    student_id: i64,
    account_id: i64,
    guardian_name: String,
    /// Masked.
    phone: Option<String>,
    relation: String,
    status: LinkStatus,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct RosterView {
    class_id: i64,
    students: Vec<Student>,
    guardians: Vec<GuardianView>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct InviteView {
    code: String,
    /// Unix seconds.
    expires_at: i64,
    /// The address a parent opens (also drawn as the class's QR code).
    link: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct LinkView {
    student_id: i64,
    status: LinkStatus,
}

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
) -> ApiResult<Json<RosterView>> {
    let r = student::roster(&state.app, &user.ctx, id).await?;
    let guardians = r
        .links
        .into_iter()
        .map(|l| GuardianView {
            student_id: l.student_id,
            account_id: l.account_id,
            guardian_name: l.guardian_name,
            phone: l.guardian_phone_mask,
            relation: l.relation,
            status: l.status,
        })
        .collect();
    Ok(Json(RosterView {
        class_id: r.class.id,
        students: r.students,
        guardians,
    }))
}

async fn add_student(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StudentInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = student::add(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// How earlier invite codes stop.
#[derive(serde::Deserialize, schemars::JsonSchema, Default)]
struct InviteQuery {
    /// Earlier codes stop now (one leaked), instead of after the grace period.
    #[serde(default)]
    at_once: bool,
}

async fn invite(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<InviteQuery>,
) -> ApiResult<(StatusCode, Json<InviteView>)> {
    let inv = student::issue_invite(&state.app, &user.ctx, id, q.at_once).await?;
    let link = format!(
        "{}/join?code={}",
        state.config.public_url.trim_end_matches('/'),
        inv.code
    );
    Ok((
        StatusCode::CREATED,
        Json(InviteView {
            code: inv.code,
            expires_at: inv.expires_at,
            link,
        }),
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
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
) -> ApiResult<(StatusCode, Json<LinkView>)> {
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
        Json(LinkView {
            student_id: l.student_id,
            status: l.status,
        }),
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
