//! The org tree.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::org::{Counts, Stage, Unit, UnitKind};
use tongyu_service::org::{self, UnitInput};

use crate::AppState;
use crate::api::ApiJson;
use crate::api::ApiQuery;
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get("/units", "可查看的最上层单位").returns::<UnitList>(200),
        Op::get("/units/{id}", "单位详情，及从可查看的最上层到它的各级单位")
            .returns::<UnitDetail>(200),
        Op::patch("/units/{id}", "修改单位名称或学段")
            .body::<UpdateBody>()
            .returns::<UnitView>(200),
        Op::get("/units/{id}/children", "下级单位")
            .query::<ChildrenQuery>()
            .returns::<UnitList>(200),
        Op::post("/units/{id}/children", "新增下级单位")
            .body::<UnitInput>()
            .returns::<UnitView>(201),
        Op::post("/units/{id}/move", "把学校调整到其他镇(街)")
            .body::<MoveBody>()
            .returns::<UnitView>(200),
        Op::post(
            "/units/{id}/deactivate",
            "停用单位及其下级（须再次填写单位名称）",
        )
        .body::<DeactivateBody>()
        .returns::<UnitView>(200),
        Op::post("/units/{id}/activate", "恢复启用单位").returns::<UnitView>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units", get(roots))
        .route("/units/{id}", get(show).patch(update))
        .route("/units/{id}/children", get(children).post(create_child))
        .route("/units/{id}/move", post(move_unit))
        .route("/units/{id}/deactivate", post(deactivate))
        .route("/units/{id}/activate", post(activate))
}

/// A unit as the API shows it.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct UnitView {
    id: i64,
    parent_id: Option<i64>,
    kind: UnitKind,
    name: String,
    external_id: Option<String>,
    stages: Vec<Stage>,
    /// A class's grade code (`P1`); null for other units.
    grade: Option<String>,
    /// A class's school year; null for other units.
    school_year: Option<i64>,
    active: bool,
    counts: Counts,
}

impl From<Unit> for UnitView {
    fn from(u: Unit) -> Self {
        Self {
            id: u.id,
            parent_id: u.parent_id,
            kind: u.kind,
            name: u.name,
            external_id: u.external_id,
            stages: u.stages,
            grade: Some(u.grade).filter(|g| !g.is_empty()),
            school_year: Some(u.school_year).filter(|y| *y != 0),
            active: u.active,
            counts: u.counts,
        }
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct UnitList {
    items: Vec<UnitView>,
}

impl UnitList {
    fn of(units: Vec<Unit>) -> Json<Self> {
        Json(Self {
            items: units.into_iter().map(UnitView::from).collect(),
        })
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct AncestorView {
    id: i64,
    name: String,
    kind: UnitKind,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct UnitDetail {
    #[serde(flatten)]
    unit: UnitView,
    /// From the highest unit the caller may see down to the parent.
    ancestors: Vec<AncestorView>,
    can_manage: bool,
}

/// The units the caller's view starts from.
async fn roots(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<UnitList>> {
    Ok(UnitList::of(org::home_units(&state.app, &user.ctx).await?))
}

async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<UnitDetail>> {
    let b = org::browse(&state.app, &user.ctx, id, false).await?;
    Ok(Json(UnitDetail {
        unit: b.unit.into(),
        ancestors: b
            .ancestors
            .into_iter()
            .map(|a| AncestorView {
                id: a.id,
                name: a.name,
                kind: a.kind,
            })
            .collect(),
        can_manage: b.can_manage,
    }))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ChildrenQuery {
    #[serde(default)]
    include_inactive: bool,
}

async fn children(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<ChildrenQuery>,
) -> ApiResult<Json<UnitList>> {
    let b = org::browse(&state.app, &user.ctx, id, q.include_inactive).await?;
    Ok(UnitList::of(b.children))
}

async fn create_child(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UnitInput>,
) -> ApiResult<(StatusCode, Json<UnitView>)> {
    let u = org::create_child(&state.app, &user.ctx, id, &b).await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct UpdateBody {
    name: String,
    #[serde(default)]
    stages: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<Json<UnitView>> {
    let u = org::update(&state.app, &user.ctx, id, &b.name, b.stages.as_deref()).await?;
    Ok(Json(u.into()))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct MoveBody {
    parent_id: i64,
}

async fn move_unit(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<MoveBody>,
) -> ApiResult<Json<UnitView>> {
    let u = org::move_unit(&state.app, &user.ctx, id, b.parent_id).await?;
    Ok(Json(u.into()))
}

/// The unit's name typed again: a deactivation stops everything below it.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct DeactivateBody {
    confirm_name: String,
}

async fn deactivate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DeactivateBody>,
) -> ApiResult<Json<UnitView>> {
    Ok(Json(
        org::set_active(&state.app, &user.ctx, id, false, &b.confirm_name)
            .await?
            .into(),
    ))
}

async fn activate(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<UnitView>> {
    Ok(Json(
        org::set_active(&state.app, &user.ctx, id, true, "")
            .await?
            .into(),
    ))
}
