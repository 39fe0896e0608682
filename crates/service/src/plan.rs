//! The plan in force: its numbers read by every module (cached for a few
//! seconds), its versions, and a change by the city administrator. A change
//! to the yearly minimum recounts, in the same transaction, which classes
//! met it, so every board agrees with the new plan at once.

use std::sync::Arc;

use tongyu_domain::plan::Plan;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::plan::{self as store, PlanVersion};
use tongyu_store::{delivery, org as units};

use crate::{App, Ctx, audit};

/// The plan in force: the newest saved version, or the built-in default.
pub async fn current(app: &App) -> Result<Arc<Plan>> {
    if let Some(p) = app.caches.plan.get(&()) {
        return Ok(p);
    }
    let mut c = app.db.read().await?;
    let plan = Arc::new(match store::current(&mut c).await? {
        Some(v) => parse(&v)?,
        None => Plan::default(),
    });
    app.caches.plan.put((), plan.clone());
    Ok(plan)
}

/// The plan in force as this transaction sees it (not cached): for a write
/// whose rollups depend on the plan's minimum.
pub async fn in_force(c: &mut tongyu_store::Conn) -> Result<Plan> {
    store::in_force(c).await
}

fn parse(v: &PlanVersion) -> Result<Plan> {
    store::parse(v)
}

/// A saved version of the plan, as the history shows it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Version {
    pub version: i64,
    pub note: String,
    pub created_at: i64,
    /// What changed from the version before, one line per number.
    pub changes: Vec<String>,
}

/// The plan in force and its history, newest first (any staff member may
/// read the plan their work is measured against).
pub async fn show(app: &App, ctx: &Ctx) -> Result<(Arc<Plan>, Vec<Version>)> {
    if !ctx
        .actor
        .grants
        .iter()
        .any(|g| g.role != tongyu_domain::account::Role::Parent)
    {
        return Err(Error::forbidden());
    }
    let plan = current(app).await?;
    let mut c = app.db.read().await?;
    let saved = store::history(&mut c, 50).await?;
    let mut out = Vec::with_capacity(saved.len());
    for (i, v) in saved.iter().enumerate() {
        let before = match saved.get(i + 1) {
            Some(b) => parse(b)?,
            None => Plan::default(),
        };
        out.push(Version {
            version: v.version,
            note: v.note.clone(),
            created_at: v.created_at,
            changes: changes(&before, &parse(v)?),
        });
    }
    Ok((plan, out))
}

/// The numbers that differ between two plans, in Chinese.
pub fn changes(a: &Plan, b: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    let mut num = |label: &str, x: i64, y: i64| {
        if x != y {
            out.push(format!("{label}：{x} → {y}"));
        }
    };
    num("每学年场次", a.sessions_per_year, b.sessions_per_year);
    num("每学年课时", a.hours_per_year, b.hours_per_year);
    num("每课时分钟数", a.class_hour_minutes, b.class_hour_minutes);
    num("微课目标", a.micro_course_goal, b.micro_course_goal);
    num("教案目标", a.lesson_plan_goal, b.lesson_plan_goal);
    num("名师工作室目标", a.studio_goal, b.studio_goal);
    num("工作小组最少人数", a.work_group_min, b.work_group_min);
    num(
        "家委会主任培训学时",
        a.chair_training_hours,
        b.chair_training_hours,
    );
    num(
        "联席会议间隔月数",
        a.meeting_every_months,
        b.meeting_every_months,
    );
    num(
        "典型活动年度遴选数",
        a.typical_activities_per_year,
        b.typical_activities_per_year,
    );
    if a.name != b.name {
        out.push(format!("计划名称：{} → {}", a.name, b.name));
    }
    if a.entry_grades != b.entry_grades {
        out.push(format!(
            "学段起始年级：{} → {}",
            a.entry_grades.join("、"),
            b.entry_grades.join("、")
        ));
    }
    if a.urgent_words != b.urgent_words {
        let added: Vec<&str> = b
            .urgent_words
            .iter()
            .filter(|w| !a.urgent_words.contains(w))
            .map(String::as_str)
            .collect();
        let removed: Vec<&str> = a
            .urgent_words
            .iter()
            .filter(|w| !b.urgent_words.contains(w))
            .map(String::as_str)
            .collect();
        out.push(format!(
            "紧急词：新增 {}；删除 {}",
            if added.is_empty() {
                "无".into()
            } else {
                added.join("、")
            },
            if removed.is_empty() {
                "无".into()
            } else {
                removed.join("、")
            }
        ));
    }
    out
}

/// Checks a proposed plan against the one in force: the plan as it would
/// be saved and what would change (the page's first step).
pub async fn preview(app: &App, ctx: &Ctx, proposed: Plan) -> Result<(Plan, Vec<String>)> {
    require_city(app, ctx).await?;
    let proposed = proposed.checked()?;
    let now = current(app).await?;
    let changed = changes(&now, &proposed);
    Ok((proposed, changed))
}

/// Whether the actor may change the plan (without recording a refusal).
pub async fn may_change(app: &App, ctx: &Ctx) -> bool {
    let Ok(mut c) = app.db.read().await else {
        return false;
    };
    match units::city(&mut c).await {
        Ok(Some(city)) => ctx.actor.can(Action::ManageUnit, &city.path),
        _ => false,
    }
}

async fn require_city(app: &App, ctx: &Ctx) -> Result<i64> {
    let mut c = app.db.read().await?;
    let city = units::city(&mut c).await?.ok_or_else(Error::not_found)?;
    drop(c);
    // Only a grant over the whole city manages its units there: the city's
    // administrators.
    ctx.require(app, Action::ManageUnit, city.id, &city.path)
        .await?;
    Ok(city.id)
}

/// Saves a new version of the plan (city administrators only), with a note
/// saying why. Returns the version's number.
pub async fn update(app: &App, ctx: &Ctx, proposed: Plan, note: &str) -> Result<i64> {
    let city = require_city(app, ctx).await?;
    let proposed = proposed.checked()?;
    let note = note.trim();
    if note.chars().count() < 2 || note.chars().count() > 200 {
        return Err(Error::invalid(
            "note",
            "请用2至200字说明修改依据（如新一轮行动计划的文号）",
        ));
    }
    let before = current(app).await?;
    let changed = changes(&before, &proposed);
    if changed.is_empty() {
        return Err(Error::invalid("plan", "与现行计划相同，无需保存"));
    }
    let body = serde_json::to_string(&proposed).map_err(|_| Error::internal())?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let version = store::insert(&mut tx, &body, note, ctx.actor.account_id, now).await?;
    if (before.sessions_per_year, before.hours_per_year)
        != (proposed.sessions_per_year, proposed.hours_per_year)
    {
        for year in delivery::delivery_years(&mut tx).await? {
            delivery::recount_met_into_rollups(&mut tx, year, &proposed).await?;
        }
    }
    if before.work_group_min != proposed.work_group_min {
        crate::coverage::recount_into(&mut tx).await?;
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "plan.update",
            "plan",
            version,
            Some(city),
            format!("{}；{}", note, changed.join("；")),
        ),
    )
    .await?;
    app.caches.plan.clear();
    Ok(version)
}
