//! Instructor certification through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use tongyu_domain::ErrorCode;
use tongyu_domain::certification::Level;
use tongyu_service::certification::{
    self as certification, ApplicationView, Certificate, CertificateView, Decided, Overview,
    PublicCertificate,
};
use tongyu_service::grade_instructor::{self, Gaps, SchoolGrades};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, Created, Items, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/certification",
            "指导师认定：等级与条件、我的证书、下一步的条件对照、我的申请、待我审核的申请",
        )
        .returns::<Overview>(200),
        Op::put(
            "/certification/levels/{rank}",
            "市级设置某一等级的名称、条件与有效期",
        )
        .body::<Level>()
        .returns::<Level>(200),
        Op::post(
            "/certification/applications",
            "申请认定（或续期）：证明材料由平台数据自动生成，未达条件时说明所缺",
        )
        .body::<ApplyBody>()
        .returns::<Created>(201)
        .errors(&[ErrorCode::Conflict]),
        Op::get(
            "/certification/applications/{id}",
            "一份申请：证明材料、条件对照与审核经过",
        )
        .returns::<ApplicationView>(200),
        Op::post(
            "/certification/applications/{id}/decision",
            "审核：先由区(市)审核，再由市级认定并发证；不能审核自己的申请",
        )
        .body::<DecisionBody>()
        .returns::<Decided>(200)
        .errors(&[ErrorCode::Conflict]),
        Op::post(
            "/certification/applications/{id}/withdraw",
            "申请人撤回审核中的申请",
        )
        .no_content()
        .errors(&[ErrorCode::Conflict]),
        Op::get("/certificates/{id}", "一本证书及其当前状态").returns::<CertificateView>(200),
        Op::post(
            "/certificates/{id}/revoke",
            "市级撤销证书：须再次填写证书编号确认，并写明理由",
        )
        .body::<RevokeBody>()
        .no_content()
        .errors(&[ErrorCode::Conflict]),
        Op::get("/units/{id}/certificates", "本单位及下级的持证人员")
            .returns::<Items<Certificate>>(200),
        Op::get(
            "/schools/{school_id}/grade-instructors",
            "学校各年级的家庭教育指导教师",
        )
        .returns::<SchoolGrades>(200),
        Op::put(
            "/schools/{school_id}/grade-instructors/{grade}",
            "为一个年级指定指导教师（须为本校教职工）",
        )
        .body::<AssignBody>()
        .no_content(),
        Op::delete(
            "/schools/{school_id}/grade-instructors/{grade}",
            "取消一个年级的指导教师",
        )
        .no_content(),
        Op::get(
            "/units/{id}/grade-instructor-gaps",
            "尚有年级未配备指导教师的学校及所缺年级",
        )
        .query::<GapsQuery>()
        .returns::<Gaps>(200),
        Op::get(
            "/public/certificates/{serial}",
            "证书验证（无需登录）：仅持证人姓名、等级、发证单位与有效期",
        )
        .returns::<PublicCertificate>(200)
        .public(),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/certification", get(overview))
        .route("/certification/levels/{rank}", put(level))
        .route("/certification/applications", post(apply))
        .route("/certification/applications/{id}", get(application))
        .route("/certification/applications/{id}/decision", post(decide))
        .route("/certification/applications/{id}/withdraw", post(withdraw))
        .route("/certificates/{id}", get(certificate))
        .route("/certificates/{id}/revoke", post(revoke))
        .route("/units/{id}/certificates", get(certificates))
        .route("/schools/{school_id}/grade-instructors", get(grades))
        .route(
            "/schools/{school_id}/grade-instructors/{grade}",
            put(assign).merge(delete(unassign)),
        )
        .route("/units/{id}/grade-instructor-gaps", get(gaps))
        .route("/public/certificates/{serial}", get(verify))
}

async fn overview(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Overview>> {
    Ok(Json(certification::overview(&state.app, &user.ctx).await?))
}

async fn level(
    State(state): State<AppState>,
    user: ApiUser,
    Path(rank): Path<i64>,
    ApiJson(b): ApiJson<Level>,
) -> ApiResult<Json<Level>> {
    let l = Level { rank, ..b };
    Ok(Json(
        certification::update_level(&state.app, &user.ctx, l).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CertificationApplyBody")]
struct ApplyBody {
    /// The level applied for (1 to 5): the next one, or the one held to renew it.
    level: i64,
    #[serde(default)]
    statement: String,
}

async fn apply(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<ApplyBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = certification::apply(&state.app, &user.ctx, b.level, &b.statement).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn application(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(
        certification::application(&state.app, &user.ctx, id).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CertificationDecisionBody")]
struct DecisionBody {
    approve: bool,
    /// Required when turning an application down: the applicant reads it.
    #[serde(default)]
    note: String,
}

async fn decide(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<Decided>> {
    Ok(Json(
        certification::decide(&state.app, &user.ctx, id, b.approve, &b.note).await?,
    ))
}

async fn withdraw(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    certification::withdraw(&state.app, &user.ctx, id).await?;
    Ok(no_content())
}

async fn certificate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<CertificateView>> {
    Ok(Json(
        certification::certificate(&state.app, &user.ctx, id).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct RevokeBody {
    reason: String,
    /// The certificate's serial, typed again.
    confirm: String,
}

async fn revoke(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RevokeBody>,
) -> ApiResult<axum::response::Response> {
    certification::revoke(&state.app, &user.ctx, id, &b.reason, &b.confirm).await?;
    Ok(no_content())
}

async fn certificates(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Items<Certificate>>> {
    Ok(Json(Items {
        items: certification::certificates(&state.app, &user.ctx, id).await?,
    }))
}

async fn grades(
    State(state): State<AppState>,
    user: ApiUser,
    Path(school_id): Path<i64>,
) -> ApiResult<Json<SchoolGrades>> {
    Ok(Json(
        grade_instructor::school_grades(&state.app, &user.ctx, school_id).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "GradeInstructorBody")]
struct AssignBody {
    /// A staff member of the school.
    account_id: i64,
}

async fn assign(
    State(state): State<AppState>,
    user: ApiUser,
    Path((school_id, grade)): Path<(i64, String)>,
    ApiJson(b): ApiJson<AssignBody>,
) -> ApiResult<axum::response::Response> {
    let who = Who::Account(b.account_id);
    grade_instructor::assign(&state.app, &user.ctx, school_id, &grade, &who).await?;
    Ok(no_content())
}

async fn unassign(
    State(state): State<AppState>,
    user: ApiUser,
    Path((school_id, grade)): Path<(i64, String)>,
) -> ApiResult<axum::response::Response> {
    grade_instructor::unassign(&state.app, &user.ctx, school_id, &grade).await?;
    Ok(no_content())
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
#[schemars(rename = "GradeGapsQuery")]
struct GapsQuery {
    /// At most this many schools (default 200, at most 5000).
    limit: Option<i64>,
}

async fn gaps(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<GapsQuery>,
) -> ApiResult<Json<Gaps>> {
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    Ok(Json(
        grade_instructor::gaps(&state.app, &user.ctx, id, limit).await?,
    ))
}

async fn verify(
    State(state): State<AppState>,
    Path(serial): Path<String>,
) -> ApiResult<Json<PublicCertificate>> {
    Ok(Json(certification::verify(&state.app, &serial).await?))
}
