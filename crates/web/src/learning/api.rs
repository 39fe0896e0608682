//! The first lesson of term, what each parent is to watch, progress reports
//! from the player, boards.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tongyu_domain::org::UnitKind;
use tongyu_service::learning::{
    self, Campaign, CampaignInput, CampaignLesson, ChildLessons, FamilyRow, Recommendation, Report,
    Reported, Started, Target,
};

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, Items};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get("/campaigns", "家长开学第一课活动列表").returns::<Items<Campaign>>(200),
        Op::post("/campaigns", "市级新建家长开学第一课")
            .body::<CampaignInput>()
            .returns::<Campaign>(201),
        Op::post(
            "/campaigns/{id}",
            "市级修改活动名称、学年和起止时间（已完成的学习照常计入）",
        )
        .body::<CampaignInput>()
        .returns::<Campaign>(200),
        Op::post(
            "/campaigns/{id}/lessons",
            "加入学段衔接课（市级，按年级）或学年衔接课（学校）",
        )
        .body::<TargetBody>()
        .returns::<Target>(201),
        Op::get(
            "/campaigns/{id}/lessons",
            "活动中的课及其面向对象（本人可见范围）",
        )
        .returns::<Items<CampaignLesson>>(200),
        Op::post(
            "/campaigns/{id}/lessons/remove",
            "移除活动中的课：已学完的家庭不再计入这节课，看板随之调整（记入审计）",
        )
        .body::<TargetBody>()
        .returns::<Removed>(200),
        Op::get(
            "/campaigns/{id}/board",
            "完成情况看板：一个单位及其下级，逐级下钻",
        )
        .query::<BoardQuery>()
        .returns::<BoardView>(200),
        Op::get(
            "/campaigns/{id}/classes/{class_id}",
            "班级各家庭完成情况（记入审计）",
        )
        .returns::<Items<FamilyRow>>(200),
        Op::get("/me/lessons", "家长：每个孩子要看的课及自己的进度").returns::<MyLessons>(200),
        Op::get(
            "/me/recommendations",
            "家长：按孩子年级推荐的自修课（未看完的）",
        )
        .returns::<Items<Recommendation>>(200),
        Op::get("/me/continue", "家长：看了一部分、还没看完的课（继续观看）")
            .returns::<Items<Started>>(200),
        Op::post(
            "/progress",
            "播放器上报已播放片段（lesson_id、segments），持久化后应答",
        )
        .body::<Report>()
        .returns::<Reported>(200)
        .errors(&[tongyu_domain::ErrorCode::RateLimited]),
    ]
}

/// One unit's line on the board.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct BoardLine {
    unit_id: i64,
    name: String,
    kind: UnitKind,
    families: i64,
    families_done: i64,
    /// Families begun (finished ones included).
    families_started: i64,
    lessons_done: i64,
    /// Families done, per mille.
    permille: i64,
    /// Families started, per mille.
    started_permille: i64,
}

impl From<learning::BoardRow> for BoardLine {
    fn from(r: learning::BoardRow) -> Self {
        Self {
            permille: r.permille(),
            started_permille: r.started_permille(),
            families_started: r.families_started,
            unit_id: r.unit.id,
            name: r.unit.name,
            kind: r.unit.kind,
            families: r.families,
            families_done: r.families_done,
            lessons_done: r.lessons_done,
        }
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct BoardView {
    campaign: Campaign,
    unit: BoardLine,
    /// The units below, those furthest behind first.
    children: Vec<BoardLine>,
    /// The units above as far as the reader may look, from the top: (id, name).
    ancestors: Vec<(i64, String)>,
    /// When the figures were counted (Unix time); requests within the same
    /// second or so share them.
    computed_at: i64,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct MyLessons {
    children: Vec<ChildLessons>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list_campaigns).post(create_campaign))
        .route("/campaigns/{id}", post(update_campaign))
        .route(
            "/campaigns/{id}/lessons",
            get(campaign_lessons).post(add_campaign_lesson),
        )
        .route(
            "/campaigns/{id}/lessons/remove",
            post(remove_campaign_lesson),
        )
        .route("/campaigns/{id}/board", get(board))
        .route("/campaigns/{id}/classes/{class_id}", get(class_families))
        .route("/me/lessons", get(my_lessons))
        .route("/me/recommendations", get(my_recommendations))
        .route("/me/continue", get(my_continue))
        .route("/progress", post(progress))
}

async fn list_campaigns(
    State(state): State<AppState>,
    _user: ApiUser,
) -> ApiResult<Json<Items<Campaign>>> {
    Ok(Items::of(learning::campaigns(&state.app).await?))
}

async fn create_campaign(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<CampaignInput>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    Ok((
        StatusCode::CREATED,
        Json(learning::create_campaign(&state.app, &user.ctx, &b).await?),
    ))
}

async fn update_campaign(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CampaignInput>,
) -> ApiResult<Json<Campaign>> {
    Ok(Json(
        learning::update_campaign(&state.app, &user.ctx, id, &b).await?,
    ))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct TargetBody {
    lesson_id: i64,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    school_id: Option<i64>,
}

async fn add_campaign_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TargetBody>,
) -> ApiResult<(StatusCode, Json<Target>)> {
    let t = learning::add_campaign_lesson(
        &state.app,
        &user.ctx,
        id,
        b.lesson_id,
        &b.grade,
        b.school_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

async fn campaign_lessons(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Items<CampaignLesson>>> {
    Ok(Items::of(
        learning::campaign_lessons(&state.app, &user.ctx, id).await?,
    ))
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Removed {
    target: Target,
    /// Families who had completed the lesson, for whom it no longer counts.
    families_undone: i64,
}

async fn remove_campaign_lesson(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TargetBody>,
) -> ApiResult<Json<Removed>> {
    let target = Target {
        campaign_id: id,
        lesson_id: b.lesson_id,
        grade: b.grade,
        school_id: b.school_id.unwrap_or(0),
    };
    let families_undone = learning::remove_campaign_lesson(&state.app, &user.ctx, &target).await?;
    Ok(Json(Removed {
        target,
        families_undone,
    }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct BoardQuery {
    unit_id: i64,
}

async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Json<BoardView>> {
    let b = learning::board(&state.app, &user.ctx, id, q.unit_id).await?;
    Ok(Json(BoardView {
        campaign: b.campaign,
        unit: b.top.into(),
        children: b.rows.into_iter().map(BoardLine::from).collect(),
        ancestors: b.ancestors,
        computed_at: b.computed_at,
    }))
}

async fn class_families(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, class_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Items<FamilyRow>>> {
    Ok(Items::of(
        learning::class_families(&state.app, &user.ctx, id, class_id).await?,
    ))
}

async fn my_lessons(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<MyLessons>> {
    Ok(Json(MyLessons {
        children: learning::my_lessons(&state.app, &user.ctx).await?,
    }))
}

/// A batch of played segments from the player; answered once durable.
async fn progress(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<Report>,
) -> ApiResult<Json<Reported>> {
    Ok(Json(learning::report(&state.app, &user.ctx, &b).await?))
}

async fn my_recommendations(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Items<Recommendation>>> {
    Ok(Items::of(
        learning::recommendations(&state.app, &user.ctx, 3).await?,
    ))
}

async fn my_continue(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Items<Started>>> {
    Ok(Items::of(
        learning::continue_watching(&state.app, &user.ctx, 20).await?,
    ))
}
