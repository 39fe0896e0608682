//! Required-course delivery: the head teacher plans the sessions of a class
//! for the school year, records the five steps and who came, and marks each
//! session held; parents check in by the session's QR code and rate it; the
//! class hours count toward the class's yearly minimum (4 sessions, 8 class
//! hours), the teacher's workload and each parent's growth record. A
//! before-and-after questionnaire per course tracks the effect.
//!
//! The tallies the compliance pages read (per class, and classes that met
//! the minimum per ancestor unit) change in the same transaction as the
//! session, so those pages cost the same at any scale.

mod attendance;
mod effect;
mod progress;

pub use attendance::*;
pub use effect::*;
pub use progress::*;

use std::collections::HashMap;

use tongyu_domain::course::{Category, Status};
use tongyu_domain::delivery::{
    self as rules, Phase, SessionStatus, Step, Tally, parse_class_hours, parse_note, parse_score,
    parse_venue,
};
use tongyu_domain::org::{Unit, UnitKind, path_ids};
use tongyu_domain::policy::Action;
use tongyu_domain::student::LinkStatus;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::course as courses;
use tongyu_store::delivery::{self as store, Answer, NewSession};
pub use tongyu_store::delivery::{Session, YearWorkload};
use tongyu_store::rollup::Check;
use tongyu_store::{DbResult, account as accounts, org as units, student as students};

use crate::{App, Ctx, audit};
use tongyu_domain::calendar::school_year;

/// What a head teacher fills in to plan (or re-plan) a session.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct SessionInput {
    pub course_id: i64,
    /// A lesson of the course, or 0.
    #[serde(default)]
    pub lesson_id: i64,
    /// Defaults to the lesson's title, or "第N次课".
    #[serde(default)]
    pub title: String,
    pub starts_at: i64,
    pub class_hours: i64,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub online_url: String,
}

/// Checks a session's input against the class: a published required course
/// meant for the class's grade, a lesson of that course, hours and venue.
async fn checked(
    app: &App,
    class: &Unit,
    input: &SessionInput,
    held_before: usize,
) -> Result<(String, i64, String, String)> {
    let hours = parse_class_hours(input.class_hours)?;
    let (place, url) = parse_venue(&input.place, &input.online_url)?;
    if input.starts_at <= 0 {
        return Err(Error::invalid("starts_at", "请填写上课时间"));
    }
    let mut c = app.db.read().await?;
    let course = courses::get_course(&mut c, input.course_id)
        .await?
        .filter(|c| c.status == Status::Published && c.category == Category::Required)
        .ok_or_else(|| Error::invalid("course_id", "请选择一门已发布的必修课"))?;
    if !course.grades.is_empty() && !course.grades.split(',').any(|g| g == class.grade) {
        return Err(Error::invalid("course_id", "这门必修课不面向本班所在年级"));
    }
    let mut title = input.title.trim().to_owned();
    if input.lesson_id != 0 {
        let lesson = courses::get_lesson(&mut c, input.lesson_id)
            .await?
            .filter(|l| l.course_id == course.id)
            .ok_or_else(|| Error::invalid("lesson_id", "所选的课不属于这门课程"))?;
        if title.is_empty() {
            title = lesson.title;
        }
    }
    if title.is_empty() {
        title = format!("第{}次课", held_before + 1);
    }
    if title.chars().count() > 80 {
        return Err(Error::invalid("title", "标题不能超过80字"));
    }
    Ok((title, hours, place, url))
}

/// Adds a change to a class's tally, and moves the counts of classes met
/// and on track up the tree where the class crossed the minimum either way,
/// in the caller's transaction.
async fn retally(
    c: &mut tongyu_store::Conn,
    class: &Unit,
    school_year: i64,
    d: Tally,
) -> Result<()> {
    let after = store::add_to_tally(c, class.id, school_year, d).await?;
    let before = after.plus(d.negated());
    let plan = crate::plan::in_force(c).await?;
    let step = |b: bool, a: bool| i64::from(a) - i64::from(b);
    let delta = store::MetCounts {
        met: step(before.met(&plan), after.met(&plan)),
        on_track: step(before.on_track(&plan), after.on_track(&plan)),
    };
    if delta != store::MetCounts::default() {
        store::add_met(c, &class.ancestor_ids(), school_year, delta).await?;
    }
    Ok(())
}

/// A planned session as a change to its class's tally.
fn planned(class_hours: i64) -> Tally {
    Tally {
        sessions_planned: 1,
        hours_planned: class_hours,
        ..Tally::default()
    }
}

/// Plans a session of the required course for a class.
pub async fn plan_session(
    app: &App,
    ctx: &Ctx,
    class_id: i64,
    input: &SessionInput,
) -> Result<Session> {
    let class = crate::access::class(app, ctx, class_id, Action::DeliverCourses).await?;
    let year = school_year(input.starts_at);
    let existing = {
        let mut c = app.db.read().await?;
        store::sessions_of_class(&mut c, class.id, year).await?
    };
    let (title, hours, place, url) = checked(app, &class, input, existing.len()).await?;
    let token = crate::auth::random_token(18);
    let now = app.now();
    let mut tx = app.db.write().await?;
    let new = NewSession {
        class_id: class.id,
        school_year: year,
        course_id: input.course_id,
        lesson_id: input.lesson_id,
        title: &title,
        starts_at: input.starts_at,
        class_hours: hours,
        place: &place,
        online_url: &url,
        checkin_token: &token,
        created_by: ctx.actor.account_id,
    };
    let id = store::insert_session(&mut tx, &new, now).await?;
    retally(&mut tx, &class, year, planned(hours)).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "delivery.plan",
            "session",
            id,
            Some(class.id),
            &title,
        ),
    )
    .await?;
    let s = store::get_session(&mut tx, id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_class(s.class_id).await;
    Ok(s)
}

/// Re-plans a session that has not been held: course, lesson, time, place.
pub async fn update_session(
    app: &App,
    ctx: &Ctx,
    id: i64,
    input: &SessionInput,
) -> Result<Session> {
    let (s, class) = crate::access::class_session(app, ctx, id, Action::DeliverCourses).await?;
    if s.status != SessionStatus::Planned {
        return Err(Error::invalid("status", "只能修改尚未上课的安排"));
    }
    // Re-planned without a title or lesson, the session keeps its title.
    let mut input = input.clone();
    if input.title.trim().is_empty() && input.lesson_id == 0 {
        input.title = s.title.clone();
    }
    let input = &input;
    let (title, hours, place, url) = checked(app, &class, input, 0).await?;
    let mut tx = app.db.write().await?;
    let new = NewSession {
        class_id: class.id,
        school_year: school_year(input.starts_at),
        course_id: input.course_id,
        lesson_id: input.lesson_id,
        title: &title,
        starts_at: input.starts_at,
        class_hours: hours,
        place: &place,
        online_url: &url,
        checkin_token: &s.checkin_token,
        created_by: ctx.actor.account_id,
    };
    store::update_session(&mut tx, s.id, &new, app.now()).await?;
    // Still planned: the tally follows its year and class hours.
    if (new.school_year, new.class_hours) != (s.school_year, s.class_hours) {
        retally(
            &mut tx,
            &class,
            s.school_year,
            planned(s.class_hours).negated(),
        )
        .await?;
        retally(&mut tx, &class, new.school_year, planned(new.class_hours)).await?;
    }
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "delivery.update",
            "session",
            s.id,
            Some(class.id),
            &title,
        ),
    )
    .await?;
    let s = store::get_session(&mut tx, s.id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_class(s.class_id).await;
    Ok(s)
}

/// Moves a session between planned, held and cancelled. Marking it held
/// (only once it has started) credits its class hours to the class's tally,
/// to the teacher who marks it, and to the parents present; taking it back
/// to planned undoes that. Rollups of classes that met the minimum follow
/// in the same transaction.
pub async fn set_status(app: &App, ctx: &Ctx, id: i64, to: &str) -> Result<Session> {
    let to = SessionStatus::parse(to)?;
    let (s, class) = crate::access::class_session(app, ctx, id, Action::DeliverCourses).await?;
    let now = app.now();
    let allowed = |from: SessionStatus| {
        if matches!(
            (from, to),
            (SessionStatus::Planned, SessionStatus::Held)
                | (SessionStatus::Planned, SessionStatus::Cancelled)
                | (SessionStatus::Held, SessionStatus::Planned)
                | (SessionStatus::Cancelled, SessionStatus::Planned)
        ) {
            Ok(())
        } else {
            Err(Error::invalid(
                "status",
                format!("不能从“{}”改为“{}”", from.label(), to.label()),
            ))
        }
    };
    allowed(s.status)?;
    if to == SessionStatus::Held && s.starts_at > now {
        return Err(Error::invalid("status", "课程开始后才能标记为已上课"));
    }
    let mut tx = app.db.write().await?;
    // Read again under the write lock: two clicks at once count once.
    let s = store::get_session(&mut tx, s.id)
        .await?
        .ok_or_else(Error::not_found)?;
    if s.status == to {
        tx.rollback().await.db()?;
        return Ok(s);
    }
    allowed(s.status)?;
    // Leaving a status takes the session out of its count; entering one
    // puts it in (cancelled counts nowhere).
    let counted = |st: SessionStatus| match st {
        SessionStatus::Held => Tally {
            sessions: 1,
            hours: s.class_hours,
            ..Tally::default()
        },
        SessionStatus::Planned => planned(s.class_hours),
        SessionStatus::Cancelled => Tally::default(),
    };
    let change = counted(to).plus(counted(s.status).negated());
    retally(&mut tx, &class, s.school_year, change).await?;
    let (teacher, held_at) = if to == SessionStatus::Held {
        (ctx.actor.account_id, now)
    } else {
        (0, 0)
    };
    store::set_session_status(&mut tx, s.id, to, teacher, held_at, now).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "delivery.status",
            "session",
            s.id,
            Some(class.id),
            format!("{} → {}", s.status.as_str(), to.as_str()),
        ),
    )
    .await?;
    let s = store::get_session(&mut tx, s.id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_class(s.class_id).await;
    Ok(s)
}

/// The record of a session: the steps done with their notes, and materials.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct RecordInput {
    /// (step, note) for each step done.
    #[serde(default)]
    pub steps: Vec<(String, String)>,
    #[serde(default)]
    pub materials: String,
}

pub async fn save_record(app: &App, ctx: &Ctx, id: i64, input: &RecordInput) -> Result<()> {
    let (s, class) = crate::access::class_session(app, ctx, id, Action::DeliverCourses).await?;
    if s.status == SessionStatus::Cancelled {
        return Err(Error::invalid("status", "这次课已取消"));
    }
    let mut steps: Vec<(Step, String)> = Vec::new();
    for (step, note) in &input.steps {
        let step = Step::parse(step)?;
        if steps.iter().any(|(x, _)| *x == step) {
            return Err(Error::invalid("steps", format!("“{}”重复", step.label())));
        }
        steps.push((step, parse_note("steps", note, 1000)?));
    }
    let materials = parse_note("materials", &input.materials, 2000)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    store::replace_steps(&mut tx, s.id, &steps, now).await?;
    store::set_materials(&mut tx, s.id, &materials, now).await?;
    let done: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "delivery.record",
            "session",
            s.id,
            Some(class.id),
            done.join(","),
        ),
    )
    .await?;
    tx.commit().await.db()
}

/// A parent of the class, as the head teacher sees them at a session.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct FamilyAttendance {
    pub account_id: i64,
    pub guardian_name: String,
    pub relation: String,
    pub student_id: i64,
    pub student_name: String,
    pub present: bool,
    /// "qr" or "teacher" when present.
    pub method: String,
    pub participation: i64,
}

/// Everything about a session for its teacher.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct SessionDetail {
    pub session: Session,
    pub class: Unit,
    pub course_title: String,
    pub steps: Vec<(Step, String)>,
    /// The lesson's own five steps as its author wrote them, as a guide.
    pub lesson_steps: Vec<(Step, String)>,
    pub families: Vec<FamilyAttendance>,
    pub ratings: Vec<(i64, String)>,
    /// Mean parent rating ×100 (0 without ratings).
    pub rating_mean_x100: i64,
    /// The address parents open (the QR code's content) is `/checkin/{token}`.
    pub checkin_token: String,
}

/// A session with its class's parents (a read of children's data, audited).
pub async fn session_detail(app: &App, ctx: &Ctx, id: i64) -> Result<SessionDetail> {
    let (s, class) = crate::access::class_session(app, ctx, id, Action::DeliverCourses).await?;
    let mut c = app.db.read().await?;
    let course_title = courses::get_course(&mut c, s.course_id)
        .await?
        .map(|c| c.title)
        .unwrap_or_default();
    let lesson_steps = if s.lesson_id == 0 {
        Vec::new()
    } else {
        courses::get_lesson(&mut c, s.lesson_id)
            .await?
            .map(|l| tongyu_domain::course::decode_steps(&l.steps))
            .unwrap_or_default()
    };
    let steps = store::steps_of(&mut c, &[s.id])
        .await?
        .remove(&s.id)
        .unwrap_or_default();
    let present: HashMap<i64, store::Attendance> = store::attendance_of(&mut c, s.id)
        .await?
        .into_iter()
        .map(|a| (a.account_id, a))
        .collect();
    let links = students::links_of_class(&mut c, class.id).await?;
    let ratings = store::ratings_of(&mut c, s.id).await?;
    drop(c);
    let mut families: Vec<FamilyAttendance> = Vec::new();
    for l in links.iter().filter(|l| l.status == LinkStatus::Confirmed) {
        if families.iter().any(|f| f.account_id == l.account_id) {
            continue;
        }
        let a = present.get(&l.account_id);
        families.push(FamilyAttendance {
            account_id: l.account_id,
            guardian_name: l.guardian_name.clone(),
            relation: l.relation.clone(),
            student_id: l.student_id,
            student_name: l.student_name.clone(),
            present: a.is_some(),
            method: a.map(|a| a.method.clone()).unwrap_or_default(),
            participation: a.map_or(0, |a| a.participation),
        });
    }
    tongyu_domain::collate::sort_by_name(&mut families, |f| &f.student_name);
    let mean = if ratings.is_empty() {
        0
    } else {
        ratings.iter().map(|r| r.1).sum::<i64>() * 100 / ratings.len() as i64
    };
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "delivery.read_session",
            "session",
            s.id,
            Some(class.id),
            "",
        ),
    )
    .await?;
    Ok(SessionDetail {
        checkin_token: s.checkin_token.clone(),
        course_title,
        steps,
        lesson_steps,
        families,
        // Ratings are shown without names: parents speak freely.
        ratings: ratings.into_iter().map(|(_, sc, cm)| (sc, cm)).collect(),
        rating_mean_x100: mean,
        session: s,
        class,
    })
}
