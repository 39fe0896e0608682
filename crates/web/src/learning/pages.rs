//! The parent's classroom and player; the campaign boards for staff.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tongyu_domain::calendar::format_local_minute;
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
        .route("/campaigns", get(campaigns).post(create_campaign))
        .route("/campaigns/{id}", axum::routing::post(update_campaign))
        .route("/campaigns/lessons", axum::routing::post(add_lesson))
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
}

async fn lesson(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let (l, mine) = learning::lesson_view(&state.app, &user.ctx, id).await?;
    let (covered, completed) = mine.unwrap_or((0, false));
    let resume_s = if mine.is_some() {
        learning::resume_at(&state.app, &user.ctx, l.id, l.duration_s).await?
    } else {
        0
    };
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
    let attachments = tongyu_service::media::attachments(&state.app, l.id)
        .await?
        .into_iter()
        .map(|(t, f)| (t, tongyu_service::media::url_of(&f)))
        .collect();
    let page = LessonPage {
        nav: Nav::for_user(&user),
        id: l.id,
        tracked: mine.is_some(),
        percent: percent(covered, l.duration_s),
        completed,
        attachments,
        body_html: crate::markdown::render(&l.body),
        steps: tongyu_domain::course::decode_steps(&l.steps)
            .into_iter()
            .map(|(step, content)| {
                let html = if step == tongyu_domain::delivery::Step::MicroReview {
                    crate::markdown::render(&format!("[观看微课]({content})"))
                } else {
                    crate::markdown::render(&content)
                };
                (step.label(), html)
            })
            .collect(),
        title: l.title,
        video_url: l.video_url,
        is_audio,
        resume_s,
    };
    Ok(render(&page)?.into_response())
}

struct CampaignRow {
    id: i64,
    title: String,
    window: String,
    school_year: i64,
    /// The first and last day, as date fields hold them.
    opens: String,
    closes: String,
}

#[derive(Template)]
#[template(path = "learning/campaigns.html")]
struct CampaignsPage {
    nav: Nav,
    campaigns: Vec<CampaignRow>,
    home: i64,
    /// The city administrator opens campaigns and adds stage-transition lessons.
    is_city: bool,
    /// A school's administrator or coordinator adds year-transition lessons.
    school: Option<(i64, String)>,
    lessons: Vec<crate::page::Opt>,
    grades: Vec<crate::page::Opt>,
    year: i64,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct Msg {
    msg: Option<String>,
}

async fn campaigns(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Query(q): axum::extract::Query<Msg>,
) -> PageResult<Response> {
    campaigns_page(&state, &user, crate::page::notice(q.msg.as_deref()), None).await
}

async fn campaigns_page(
    state: &AppState,
    user: &PageUser,
    notice: Option<String>,
    error: Option<tongyu_domain::Error>,
) -> PageResult<Response> {
    use tongyu_domain::account::Role;
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    let home = homes
        .first()
        .map(|u| u.id)
        .ok_or_else(|| crate::error::PageError(tongyu_domain::Error::forbidden()))?;
    let list = tongyu_service::learning::campaigns(&state.app).await?;
    let published = tongyu_service::course::published_lessons(&state.app, 200).await?;
    let is_city = user.ctx.actor.has_role(Role::CityAdmin);
    let school_grant = user
        .ctx
        .actor
        .grants
        .iter()
        .find(|g| matches!(g.role, Role::SchoolAdmin | Role::Coordinator))
        .map(|g| g.unit_id);
    let school = match school_grant {
        Some(id) => tongyu_service::access::unit(&state.app, &user.ctx, id, Action::ViewUnit)
            .await
            .ok(),
        None => None,
    };
    let plan = tongyu_service::plan::current(&state.app).await?;
    let grades: Vec<crate::page::Opt> = if is_city {
        let mut g = vec![crate::page::Opt {
            value: String::new(),
            label: "全体家长".into(),
        }];
        g.extend(plan.entry_grades.iter().map(|c| crate::page::Opt {
            value: c.clone(),
            label: format!(
                        "{}新生家长",
                        tongyu_domain::org::Grade::parse(c)
                            .map(|g| g.label())
                            .unwrap_or_default()
                    ),
        }));
        g
    } else {
        school
            .iter()
            .flat_map(|s| s.stages.iter().flat_map(|st| st.grades()))
            .filter(|g| !plan.is_entry_grade(&g.code()))
            .map(|g| crate::page::Opt {
                value: g.code(),
                label: g.label(),
            })
            .collect()
    };
    let campaigns = list
        .into_iter()
        .map(|c| CampaignRow {
            id: c.id,
            school_year: c.school_year,
            opens: tongyu_domain::calendar::format_date(tongyu_domain::calendar::local_day(
                c.opens_at,
            )),
            closes: tongyu_domain::calendar::format_date(tongyu_domain::calendar::local_day(
                c.closes_at - 1,
            )),
            title: c.title,
            window: format!(
                "{} 至 {}",
                format_local_minute(c.opens_at),
                format_local_minute(c.closes_at)
            ),
        })
        .collect();
    let page = CampaignsPage {
        nav: Nav::for_user(user),
        campaigns,
        home,
        is_city,
        school: school.map(|s| (s.id, s.name)),
        lessons: published
            .into_iter()
            .map(|l| crate::page::Opt {
                value: l.id.to_string(),
                label: format!("{}（{}）", l.title, l.course_title),
            })
            .collect(),
        grades,
        year: tongyu_domain::calendar::school_year(state.app.now()),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((crate::page::status_of(error.as_ref()), render(&page)?).into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct CampaignForm {
    title: String,
    school_year: String,
    opens: String,
    closes: String,
}

impl CampaignForm {
    /// The form as the service takes it: whole days, the last one included.
    fn input(&self) -> Result<learning::CampaignInput, tongyu_domain::Error> {
        use tongyu_domain::calendar::parse_local_date;
        match (
            self.school_year.trim().parse::<i64>(),
            parse_local_date(&self.opens),
            parse_local_date(&self.closes),
        ) {
            (Ok(year), Some(opens), Some(closes)) => Ok(learning::CampaignInput {
                title: self.title.clone(),
                school_year: year,
                opens_at: opens,
                closes_at: closes + 86_400,
            }),
            _ => Err(tongyu_domain::Error::invalid(
                "opens",
                "请填写学年和开始、结束日期（如 2026-08-25）",
            )),
        }
    }
}

/// The city changes a campaign's name, year or dates.
async fn update_campaign(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    crate::extract::CsrfForm(f): crate::extract::CsrfForm<CampaignForm>,
) -> PageResult<Response> {
    let result = match f.input() {
        Ok(input) => learning::update_campaign(&state.app, &user.ctx, id, &input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(axum::response::Redirect::to("/campaigns?msg=saved").into_response()),
        Err(e) if e.code != tongyu_domain::ErrorCode::Internal => {
            campaigns_page(&state, &user, None, Some(e)).await
        }
        Err(e) => Err(crate::error::PageError(e)),
    }
}

async fn create_campaign(
    State(state): State<AppState>,
    user: PageUser,
    crate::extract::CsrfForm(f): crate::extract::CsrfForm<CampaignForm>,
) -> PageResult<Response> {
    let input = match f.input() {
        Ok(i) => i,
        Err(e) => return campaigns_page(&state, &user, None, Some(e)).await,
    };
    match learning::create_campaign(&state.app, &user.ctx, &input).await {
        Ok(_) => Ok(axum::response::Redirect::to("/campaigns?msg=created").into_response()),
        Err(e) if e.code != tongyu_domain::ErrorCode::Internal => {
            campaigns_page(&state, &user, None, Some(e)).await
        }
        Err(e) => Err(crate::error::PageError(e)),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct AddLessonForm {
    campaign_id: i64,
    lesson_id: i64,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    school_id: Option<i64>,
}

async fn add_lesson(
    State(state): State<AppState>,
    user: PageUser,
    crate::extract::CsrfForm(f): crate::extract::CsrfForm<AddLessonForm>,
) -> PageResult<Response> {
    match learning::add_campaign_lesson(
        &state.app,
        &user.ctx,
        f.campaign_id,
        f.lesson_id,
        &f.grade,
        f.school_id,
    )
    .await
    {
        Ok(_) => Ok(axum::response::Redirect::to("/campaigns?msg=saved").into_response()),
        Err(e) if e.code != tongyu_domain::ErrorCode::Internal => {
            campaigns_page(&state, &user, None, Some(e)).await
        }
        Err(e) => Err(crate::error::PageError(e)),
    }
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
