//! The parent's classroom and player; the campaign boards for staff.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tongyu_domain::org::UnitKind;
use tongyu_domain::policy::Action;
use tongyu_service::clock::format_local;
use tongyu_service::learning;

use super::{Nav, render};
use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/learn", get(learn))
        .route("/lessons/{id}", get(lesson))
        .route("/campaigns", get(campaigns))
        .route("/campaigns/{id}/board/{unit}", get(board))
        .route("/campaigns/{id}/board/{unit}/export.xlsx", get(board_xlsx))
        .route("/static/player.js", get(player_js))
}

fn percent(covered: i64, duration: i64) -> i64 {
    if duration <= 0 {
        0
    } else {
        (covered * 100 / duration).min(100)
    }
}

struct LessonRow {
    lesson_id: i64,
    title: String,
    campaign_title: String,
    percent: i64,
    completed: bool,
    open: bool,
}

struct ChildRow {
    name: String,
    class_name: String,
    lessons: Vec<LessonRow>,
}

#[derive(Template)]
#[template(path = "learn.html")]
struct LearnPage {
    nav: Nav,
    children: Vec<ChildRow>,
}

async fn learn(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let kids = learning::my_lessons(&state.app, &user.ctx).await?;
    let children = kids
        .into_iter()
        .map(|c| ChildRow {
            name: c.name,
            class_name: c.class_name,
            lessons: c
                .lessons
                .into_iter()
                .map(|l| LessonRow {
                    lesson_id: l.lesson_id,
                    title: l.title,
                    campaign_title: l.campaign_title,
                    percent: percent(l.covered_s, l.duration_s),
                    completed: l.completed,
                    open: l.open,
                })
                .collect(),
        })
        .collect();
    Ok(render(&LearnPage {
        nav: Nav::for_user(&user),
        children,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "lesson.html")]
struct LessonPage {
    nav: Nav,
    id: i64,
    tracked: bool,
    title: String,
    video_url: String,
    percent: i64,
    completed: bool,
    paragraphs: Vec<String>,
}

async fn lesson(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let (l, mine) = learning::lesson_view(&state.app, &user.ctx, id).await?;
    let (covered, completed) = mine.unwrap_or((0, false));
    let page = LessonPage {
        nav: Nav::for_user(&user),
        id: l.id,
        tracked: mine.is_some(),
        percent: percent(covered, l.duration_s),
        completed,
        paragraphs: l
            .body
            .split("\n\n")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        title: l.title,
        video_url: l.video_url,
    };
    Ok(render(&page)?.into_response())
}

struct CampaignRow {
    id: i64,
    title: String,
    window: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    nav: Nav,
    campaigns: Vec<CampaignRow>,
    home: i64,
}

async fn campaigns(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    let home = homes
        .first()
        .map(|u| u.id)
        .ok_or_else(|| crate::error::PageError(tongyu_domain::Error::forbidden()))?;
    let list = {
        let mut c = state.app.db.read().await?;
        tongyu_store::learning::list_campaigns(&mut c).await?
    };
    let campaigns = list
        .into_iter()
        .map(|c| CampaignRow {
            id: c.id,
            title: c.title,
            window: format!(
                "{} 至 {}",
                format_local(c.opens_at),
                format_local(c.closes_at)
            ),
        })
        .collect();
    Ok(render(&CampaignsPage {
        nav: Nav::for_user(&user),
        campaigns,
        home,
    })?
    .into_response())
}

struct UnitRow {
    id: i64,
    name: String,
    done: i64,
    families: i64,
    percent: i64,
}

struct FamilyView {
    name: String,
    done: i64,
    needed: i64,
    completed: bool,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    nav: Nav,
    campaign_id: i64,
    campaign: String,
    unit_id: i64,
    unit_name: String,
    percent: i64,
    families_done: i64,
    families: i64,
    rows: Vec<UnitRow>,
    families_list: Vec<FamilyView>,
}

async fn board(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, unit)): Path<(i64, i64)>,
) -> PageResult<Response> {
    let (campaign, top, rows) = learning::board(&state.app, &user.ctx, id, unit).await?;
    let families_list = if top.unit.kind == UnitKind::Class
        && user.ctx.actor.can(Action::ViewStudents, &top.unit.path)
    {
        learning::class_families(&state.app, &user.ctx, id, top.unit.id)
            .await?
            .into_iter()
            .map(|f| FamilyView {
                name: f.name,
                done: f.done,
                needed: f.needed,
                completed: f.completed,
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = BoardPage {
        nav: Nav::for_user(&user),
        campaign_id: campaign.id,
        campaign: campaign.title,
        unit_id: top.unit.id,
        unit_name: top.unit.name.clone(),
        percent: top.permille() / 10,
        families_done: top.families_done,
        families: top.families,
        rows: rows
            .iter()
            .map(|r| UnitRow {
                id: r.unit.id,
                name: r.unit.name.clone(),
                done: r.families_done,
                families: r.families,
                percent: r.permille() / 10,
            })
            .collect(),
        families_list,
    };
    Ok(render(&page)?.into_response())
}

async fn player_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/player.js"),
    )
}

/// The board's rows as a spreadsheet.
async fn board_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, unit)): Path<(i64, i64)>,
) -> PageResult<Response> {
    let (campaign, top, rows) = learning::board(&state.app, &user.ctx, id, unit).await?;
    let line = |r: &learning::BoardRow| {
        vec![
            r.unit.name.clone(),
            r.unit.kind.label().to_owned(),
            r.families_done.to_string(),
            r.families.to_string(),
            format!("{:.1}%", r.permille() as f64 / 10.0),
            r.lessons_done.to_string(),
        ]
    };
    let mut table = vec![line(&top)];
    table.extend(rows.iter().map(line));
    let headers = [
        "单位",
        "类型",
        "已完成家庭",
        "家庭总数",
        "完成率",
        "已完成课次",
    ];
    let bytes = tongyu_service::sheet::write_xlsx("完成情况", &headers, &table)?;
    Ok(crate::export::xlsx(
        &format!("campaign-{}-{}.xlsx", campaign.id, top.unit.id),
        bytes,
    ))
}
