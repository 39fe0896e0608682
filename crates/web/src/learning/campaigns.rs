//! The campaigns of the first lesson of term as the city and the schools
//! run them: opening one, changing its dates, putting lessons in and
//! taking them out (two steps, saying how many families it undoes).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::policy::Action;
use tongyu_service::learning;

use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(campaigns).post(create_campaign))
        .route("/campaigns/{id}", post(update_campaign))
        .route("/campaigns/lessons", post(add_lesson))
        .route("/campaigns/lessons/remove", post(remove_lesson))
}

struct CampaignRow {
    id: i64,
    title: String,
    window: String,
    school_year: i64,
    /// The first and last day, as date fields hold them.
    opens: String,
    closes: String,
    lessons: Vec<learning::CampaignLesson>,
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
    let mut campaigns = Vec::with_capacity(list.len());
    for c in list {
        let lessons = learning::campaign_lessons(&state.app, &user.ctx, c.id).await?;
        campaigns.push(CampaignRow {
            lessons,
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
        });
    }
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

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct RemoveLessonForm {
    campaign_id: i64,
    lesson_id: i64,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    school_id: i64,
    #[serde(default)]
    confirm: String,
}

/// Takes a lesson out of a campaign: first a page saying how many families
/// had completed it and that it stops counting for them, then the change.
async fn remove_lesson(
    State(state): State<AppState>,
    user: PageUser,
    crate::extract::CsrfForm(f): crate::extract::CsrfForm<RemoveLessonForm>,
) -> PageResult<Response> {
    let target = learning::Target {
        campaign_id: f.campaign_id,
        lesson_id: f.lesson_id,
        grade: f.grade.clone(),
        school_id: f.school_id,
    };
    if !crate::page::confirm::confirmed(&f.confirm) {
        let r = match learning::removal_preview(&state.app, &user.ctx, &target).await {
            Ok(r) => r,
            Err(e) if e.code != tongyu_domain::ErrorCode::Internal => {
                return campaigns_page(&state, &user, None, Some(e)).await;
            }
            Err(e) => return Err(crate::error::PageError(e)),
        };
        let mut page = crate::page::confirm::Confirm::new(
            Nav::for_user(&user),
            format!("移除“{}”", r.lesson.title),
            "/campaigns/lessons/remove",
        );
        page.consequences = vec![
            format!(
                "这节课不再向{}{}展示，家长已打开的页面也将无法继续计入。",
                if r.lesson.school.is_empty() {
                    String::new()
                } else {
                    format!("{}的", r.lesson.school)
                },
                r.lesson.for_whom
            ),
            format!(
                "{} 个班级受影响；已学完这节课的 {} 个家庭，这节课不再计入完成情况，看板随之调整。",
                r.classes, r.families_done
            ),
            "只差这节课的家庭将计为已完成；家长的学习记录仍保留在个人成长档案中。".into(),
        ];
        page.fields = vec![
            ("campaign_id".into(), f.campaign_id.to_string()),
            ("lesson_id".into(), f.lesson_id.to_string()),
            ("grade".into(), f.grade.clone()),
            ("school_id".into(), f.school_id.to_string()),
        ];
        page.button = "确认移除".into();
        page.cancel = "/campaigns".into();
        return page.respond();
    }
    match learning::remove_campaign_lesson(&state.app, &user.ctx, &target).await {
        Ok(_) => Ok(axum::response::Redirect::to("/campaigns?msg=removed").into_response()),
        Err(e) if e.code != tongyu_domain::ErrorCode::Internal => {
            campaigns_page(&state, &user, None, Some(e)).await
        }
        Err(e) => Err(crate::error::PageError(e)),
    }
}
