//! The school's parent lecturer groups through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use tongyu_domain::lecturer_group::GroupKind;
use tongyu_service::lecturer_group::{self as groups, Lecturer, NewLectureInput, SchoolGroups};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::api::{ApiJson, Created, no_content};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/lecturer-groups/{school_id}",
            "学校的家长经验分享讲师团与家长职业体验讲师团：讲师与讲座（读取记入审计）",
        )
        .returns::<SchoolGroups>(200)
        .errors(&[tongyu_domain::ErrorCode::ValidationFailed]),
        Op::put(
            "/lecturer-groups/{school_id}/{kind}/lecturers/{account_id}",
            "将有本校孩子的家长聘为讲师团讲师，或修改其分享主题 / 职业",
        )
        .body::<LecturerBody>()
        .returns::<Lecturer>(200),
        Op::delete(
            "/lecturer-groups/{school_id}/{kind}/lecturers/{account_id}",
            "将讲师移出讲师团（已讲的讲座保留）",
        )
        .no_content(),
        Op::post(
            "/lecturer-groups/{school_id}/lectures",
            "记录家长讲师的一次讲座（面向家长或学生）",
        )
        .body::<NewLectureInput>()
        .returns::<Created>(201),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lecturer-groups/{school_id}", get(show))
        .route(
            "/lecturer-groups/{school_id}/{kind}/lecturers/{account_id}",
            put(set_lecturer).delete(remove_lecturer),
        )
        .route("/lecturer-groups/{school_id}/lectures", post(lecture))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(school): Path<i64>,
) -> ApiResult<Json<SchoolGroups>> {
    Ok(Json(groups::show(&state.app, &user.ctx, school).await?))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct LecturerBody {
    /// The topic shared (experience) or the profession (career).
    specialty: String,
}

async fn set_lecturer(
    State(state): State<AppState>,
    user: ApiUser,
    Path((school, kind, account)): Path<(i64, GroupKind, i64)>,
    ApiJson(b): ApiJson<LecturerBody>,
) -> ApiResult<Json<Lecturer>> {
    Ok(Json(
        groups::set_lecturer(
            &state.app,
            &user.ctx,
            school,
            kind,
            &Who::Account(account),
            &b.specialty,
        )
        .await?,
    ))
}

async fn remove_lecturer(
    State(state): State<AppState>,
    user: ApiUser,
    Path((school, kind, account)): Path<(i64, GroupKind, i64)>,
) -> ApiResult<axum::response::Response> {
    groups::remove_lecturer(&state.app, &user.ctx, school, kind, account).await?;
    Ok(no_content())
}

async fn lecture(
    State(state): State<AppState>,
    user: ApiUser,
    Path(school): Path<i64>,
    ApiJson(b): ApiJson<NewLectureInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = groups::record_lecture(&state.app, &user.ctx, school, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
