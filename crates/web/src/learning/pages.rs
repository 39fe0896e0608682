//! The parent's classroom and player; the campaign boards for staff.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tongyu_domain::learning::watched_percent;
use tongyu_domain::org::UnitKind;
use tongyu_domain::policy::Action;
use tongyu_service::learning;

use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/learn", get(learn))
        .route("/lessons/{id}", get(lesson))
        .route("/campaigns/{id}/board/{unit}", get(board))
        .route("/campaigns/{id}/board/{unit}/export.xlsx", get(board_xlsx))
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
#[template(path = "learning/library.html")]
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
                    percent: watched_percent(l.covered_s, l.duration_s),
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
#[template(path = "learning/lesson.html")]
struct LessonPage {
    nav: Nav,
    id: i64,
    tracked: bool,
    title: String,
    video_url: String,
    /// A sound file: played in an audio player, not a black video box.
    is_audio: bool,
    /// Seconds into the lesson where the player starts (where it stopped).
    resume_s: i64,
    percent: i64,
    completed: bool,
    /// Sanitised HTML from the lesson's Markdown.
    body_html: String,
    /// (step label, sanitised HTML) for a required-course lesson.
    steps: Vec<(&'static str, String)>,
    /// (title, address) of each attachment.
    attachments: Vec<(String, String)>,
    /// The library course it belongs to, for the trail: (id, title).
    shelf: Option<(i64, String)>,
}

async fn lesson(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let learning::LessonView {
        lesson: l,
        mine,
        extras,
    } = learning::lesson_view(&state.app, &user.ctx, id).await?;
    let is_audio = {
        let path = l
            .video_url
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        [".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus"]
            .iter()
            .any(|ext| path.ends_with(ext))
    };
    let attachments = extras
        .attachments
        .iter()
        .map(|(t, f)| (t.clone(), tongyu_service::media::url_of(f)))
        .collect();
    let page = LessonPage {
        nav: Nav::for_user(&user),
        shelf: extras.shelf.clone(),
        id: l.id,
        tracked: mine.is_some(),
        percent: mine.map_or(0, |m| watched_percent(m.covered_s, l.duration_s)),
        completed: mine.is_some_and(|m| m.completed),
        attachments,
        body_html: crate::markdown::render_cached(&l.body).to_string(),
        steps: tongyu_domain::course::decode_steps(&l.steps)
            .into_iter()
            .map(|(step, content)| {
                let html = if step == tongyu_domain::delivery::Step::MicroReview {
                    crate::markdown::render_cached(&format!("[观看微课]({content})"))
                } else {
                    crate::markdown::render_cached(&content)
                };
                (step.label(), html.to_string())
            })
            .collect(),
        title: l.title,
        video_url: l.video_url,
        is_audio,
        resume_s: mine.map_or(0, |m| m.resume_s),
    };
    Ok(render(&page)?.into_response())
}

struct UnitRow {
    id: i64,
    name: String,
    done: i64,
    started: i64,
    families: i64,
    percent: i64,
    started_percent: i64,
}

struct FamilyView {
    name: String,
    done: i64,
    needed: i64,
    completed: bool,
    started: bool,
}

#[derive(Template)]
#[template(path = "learning/board.html")]
struct BoardPage {
    nav: Nav,
    campaign_id: i64,
    campaign: String,
    unit_id: i64,
    unit_name: String,
    /// The units above, as far as the reader may look: (id, name).
    ancestors: Vec<(i64, String)>,
    /// What the units below are called (班级, 学校…), for the table's header.
    rows_kind: &'static str,
    top: UnitRow,
    rows: Vec<UnitRow>,
    /// Families still to begin first, then those under way, then those done.
    families_list: Vec<FamilyView>,
    /// When the figures were counted (Beijing time, to the second).
    computed_at: String,
}

fn unit_row(r: &learning::BoardRow) -> UnitRow {
    UnitRow {
        id: r.unit.id,
        name: r.unit.name.clone(),
        done: r.families_done,
        started: r.families_started,
        families: r.families,
        percent: r.permille() / 10,
        started_percent: r.started_permille() / 10,
    }
}

async fn board(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, unit)): Path<(i64, i64)>,
) -> PageResult<Response> {
    let learning::Board {
        campaign,
        top,
        rows,
        ancestors,
        computed_at,
    } = learning::board(&state.app, &user.ctx, id, unit).await?;
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
                started: f.started,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut families_list: Vec<FamilyView> = families_list;
    // Stable: by name within each group.
    families_list.sort_by_key(|f| (f.completed, f.started));
    let rows_kind = rows.first().map_or("", |r| r.unit.kind.label());
    let page = BoardPage {
        nav: Nav::for_user(&user),
        campaign_id: campaign.id,
        campaign: campaign.title,
        unit_id: top.unit.id,
        unit_name: top.unit.name.clone(),
        ancestors,
        rows_kind,
        top: unit_row(&top),
        rows: rows.iter().map(unit_row).collect(),
        families_list,
        computed_at: tongyu_domain::calendar::format_local(computed_at),
    };
    Ok(render(&page)?.into_response())
}

/// The board's rows as a spreadsheet.
async fn board_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, unit)): Path<(i64, i64)>,
) -> PageResult<Response> {
    let learning::Board {
        campaign,
        top,
        rows,
        ..
    } = learning::board(&state.app, &user.ctx, id, unit).await?;
    let line = |r: &learning::BoardRow| {
        vec![
            r.unit.name.clone(),
            r.unit.kind.label().to_owned(),
            r.families_started.to_string(),
            r.families_done.to_string(),
            r.families.to_string(),
            format!("{:.1}%", r.started_permille() as f64 / 10.0),
            format!("{:.1}%", r.permille() as f64 / 10.0),
            r.lessons_done.to_string(),
        ]
    };
    let mut table = vec![line(&top)];
    table.extend(rows.iter().map(line));
    let headers = [
        "单位",
        "类型",
        "已开始家庭",
        "已完成家庭",
        "家庭总数",
        "开始率",
        "完成率",
        "已完成课次",
    ];
    let bytes = tongyu_service::sheet::write_xlsx("完成情况", &headers, &table)?;
    Ok(crate::export::xlsx(
        &format!("campaign-{}-{}.xlsx", campaign.id, top.unit.id),
        bytes,
    ))
}
