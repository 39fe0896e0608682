//! The plan's numbers on a page: what every class, school and district is
//! measured against, its history, and (for the city's administrators) a
//! change in two steps: first the list of what would change, then confirm.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::plan::Plan;
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::plan;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, is_user_error, render, status_of};

pub fn routes() -> Router<AppState> {
    Router::new().route("/plan", get(show).post(change))
}

/// The plan as the form carries it: numbers as typed, lists as text.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct PlanForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    sessions_per_year: String,
    #[serde(default)]
    hours_per_year: String,
    #[serde(default)]
    class_hour_minutes: String,
    #[serde(default)]
    entry_grades: String,
    #[serde(default)]
    micro_course_goal: String,
    #[serde(default)]
    lesson_plan_goal: String,
    #[serde(default)]
    urgent_words: String,
    #[serde(default)]
    studio_goal: String,
    #[serde(default)]
    work_group_min: String,
    #[serde(default)]
    chair_training_hours: String,
    #[serde(default)]
    meeting_every_months: String,
    #[serde(default)]
    typical_activities_per_year: String,
    #[serde(default)]
    note: String,
    /// Set on the second step, once the changes were shown.
    #[serde(default)]
    confirm: String,
}

impl PlanForm {
    fn of(p: &Plan) -> PlanForm {
        PlanForm {
            name: p.name.clone(),
            sessions_per_year: p.sessions_per_year.to_string(),
            hours_per_year: p.hours_per_year.to_string(),
            class_hour_minutes: p.class_hour_minutes.to_string(),
            entry_grades: p.entry_grades.join(" "),
            micro_course_goal: p.micro_course_goal.to_string(),
            lesson_plan_goal: p.lesson_plan_goal.to_string(),
            urgent_words: p.urgent_words.join("\n"),
            studio_goal: p.studio_goal.to_string(),
            work_group_min: p.work_group_min.to_string(),
            chair_training_hours: p.chair_training_hours.to_string(),
            meeting_every_months: p.meeting_every_months.to_string(),
            typical_activities_per_year: p.typical_activities_per_year.to_string(),
            note: String::new(),
            confirm: String::new(),
        }
    }

    fn plan(&self) -> Result<Plan, Error> {
        let num = |field: &'static str, v: &str, what: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| Error::invalid(field, format!("{what}应为整数")))
        };
        let list = |v: &str| -> Vec<String> {
            v.split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Ok(Plan {
            name: self.name.clone(),
            sessions_per_year: num("sessions_per_year", &self.sessions_per_year, "每学年场次")?,
            hours_per_year: num("hours_per_year", &self.hours_per_year, "每学年课时")?,
            class_hour_minutes: num(
                "class_hour_minutes",
                &self.class_hour_minutes,
                "每课时分钟数",
            )?,
            entry_grades: list(&self.entry_grades),
            micro_course_goal: num("micro_course_goal", &self.micro_course_goal, "微课目标")?,
            lesson_plan_goal: num("lesson_plan_goal", &self.lesson_plan_goal, "教案目标")?,
            urgent_words: list(&self.urgent_words),
            studio_goal: num("studio_goal", &self.studio_goal, "名师工作室目标")?,
            work_group_min: num("work_group_min", &self.work_group_min, "工作小组最少人数")?,
            chair_training_hours: num(
                "chair_training_hours",
                &self.chair_training_hours,
                "家委会主任培训学时",
            )?,
            meeting_every_months: num(
                "meeting_every_months",
                &self.meeting_every_months,
                "联席会议间隔月数",
            )?,
            typical_activities_per_year: num(
                "typical_activities_per_year",
                &self.typical_activities_per_year,
                "典型活动年度遴选数",
            )?,
        })
    }
}

struct VersionView {
    version: i64,
    at: String,
    note: String,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "plan/show.html")]
struct PlanPage {
    nav: Nav,
    plan: Plan,
    form: PlanForm,
    may_change: bool,
    /// The second step: what would change, waiting for confirmation.
    pending: Vec<String>,
    versions: Vec<VersionView>,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

async fn page(
    state: &AppState,
    user: &PageUser,
    form: Option<PlanForm>,
    pending: Vec<String>,
    notice: Option<&'static str>,
    error: Option<Error>,
) -> PageResult<Response> {
    let (plan, versions) = plan::show(&state.app, &user.ctx).await?;
    let may_change = plan::may_change(&state.app, &user.ctx).await;
    let page = PlanPage {
        nav: Nav::for_user(user),
        form: form.unwrap_or_else(|| PlanForm::of(&plan)),
        plan: (*plan).clone(),
        may_change,
        pending,
        versions: versions
            .into_iter()
            .map(|v| VersionView {
                version: v.version,
                at: format_local_minute(v.created_at),
                note: v.note,
                changes: v.changes,
            })
            .collect(),
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = (q.msg.as_deref() == Some("saved")).then_some("已保存，新的计划数字即时生效。");
    page(&state, &user, None, Vec::new(), notice, None).await
}

async fn change(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<PlanForm>,
) -> PageResult<Response> {
    let proposed = match f.plan() {
        Ok(p) => p,
        Err(e) => return page(&state, &user, Some(f), Vec::new(), None, Some(e)).await,
    };
    if f.confirm != "1" {
        return match plan::preview(&state.app, &user.ctx, proposed).await {
            Ok((_, changes)) if changes.is_empty() => {
                let e = Error::invalid("plan", "与现行计划相同，无需保存");
                page(&state, &user, Some(f), Vec::new(), None, Some(e)).await
            }
            Ok((_, changes)) => page(&state, &user, Some(f), changes, None, None).await,
            Err(e) if e.code == ErrorCode::Forbidden => Err(PageError(e)),
            Err(e) => page(&state, &user, Some(f), Vec::new(), None, Some(e)).await,
        };
    }
    match plan::update(&state.app, &user.ctx, proposed, &f.note).await {
        Ok(_) => Ok(Redirect::to("/plan?msg=saved").into_response()),
        Err(e) if is_user_error(&e) && e.code != ErrorCode::Forbidden => {
            let changes = match f.plan() {
                Ok(p) => plan::preview(&state.app, &user.ctx, p)
                    .await
                    .map(|(_, c)| c)
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            page(&state, &user, Some(f), changes, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}
