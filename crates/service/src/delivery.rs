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
use tongyu_store::delivery::{self as store, Answer, NewSession, Session};
use tongyu_store::{DbResult, account as accounts, org as units, student as students};

use crate::{App, Ctx, audit};
use tongyu_domain::calendar::school_year;

/// What a head teacher fills in to plan (or re-plan) a session.
#[derive(Debug, Clone, Default, serde::Deserialize)]
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
    let sign = match (s.status, to) {
        (_, SessionStatus::Held) => 1,
        (SessionStatus::Held, _) => -1,
        _ => 0,
    };
    if sign != 0 {
        let after =
            store::add_to_tally(&mut tx, class.id, s.school_year, sign, sign * s.class_hours)
                .await?;
        let before = Tally {
            sessions: after.sessions - sign,
            hours: after.hours - sign * s.class_hours,
        };
        if before.met() != after.met() {
            let delta = if after.met() { 1 } else { -1 };
            store::add_met(&mut tx, &class.ancestor_ids(), s.school_year, delta).await?;
        }
    }
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
    Ok(s)
}

/// The record of a session: the steps done with their notes, and materials.
#[derive(Debug, Clone, Default, serde::Deserialize)]
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
#[derive(Debug, Clone, serde::Serialize)]
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
#[derive(Debug, Clone, serde::Serialize)]
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

/// The teacher's attendance sheet: parents present, each with a
/// participation score (1-5, 0 to leave unrated), and parents to mark
/// absent. Anyone not named stays as recorded, so a parent who scans the
/// code while the teacher has the sheet open is not lost.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AttendanceInput {
    pub present: Vec<PresentInput>,
    #[serde(default)]
    pub absent: Vec<i64>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PresentInput {
    pub account_id: i64,
    #[serde(default)]
    pub participation: i64,
}

pub async fn save_attendance(app: &App, ctx: &Ctx, id: i64, input: &AttendanceInput) -> Result<()> {
    let (s, class) = crate::access::class_session(app, ctx, id, Action::DeliverCourses).await?;
    if s.status == SessionStatus::Cancelled {
        return Err(Error::invalid("status", "这次课已取消"));
    }
    if s.starts_at - rules::CHECKIN_EARLY_S > app.now() {
        return Err(Error::invalid("present", "课程开始后才能登记出勤"));
    }
    for p in &input.present {
        if p.participation != 0 {
            parse_score("participation", p.participation)?;
        }
    }
    let mut c = app.db.read().await?;
    let links = students::links_of_class(&mut c, class.id).await?;
    drop(c);
    let child_of: HashMap<i64, i64> = links
        .iter()
        .filter(|l| l.status == LinkStatus::Confirmed)
        .map(|l| (l.account_id, l.student_id))
        .collect();
    for id in input
        .present
        .iter()
        .map(|p| p.account_id)
        .chain(input.absent.iter().copied())
    {
        if !child_of.contains_key(&id) {
            return Err(Error::invalid("present", "名单中有不属于本班的家长"));
        }
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    for id in &input.absent {
        if !input.present.iter().any(|p| p.account_id == *id) {
            store::remove_attendance(&mut tx, s.id, *id).await?;
        }
    }
    for p in &input.present {
        store::check_in(
            &mut tx,
            s.id,
            p.account_id,
            child_of[&p.account_id],
            "teacher",
            now,
        )
        .await?;
        store::set_participation(&mut tx, s.id, p.account_id, p.participation).await?;
    }
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "delivery.attendance",
            "session",
            s.id,
            Some(class.id),
            format!("{} present", input.present.len()),
        ),
    )
    .await?;
    tx.commit().await.db()
}

/// What a parent gets from scanning a session's code.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckIn {
    pub session_id: i64,
    pub title: String,
    /// False when the parent had already checked in.
    pub new: bool,
}

/// A parent checks in by the session's QR code: only a parent of a child in
/// the class, only in the check-in window, once.
pub async fn check_in(app: &App, ctx: &Ctx, token: &str) -> Result<CheckIn> {
    let s = {
        let mut c = app.db.read().await?;
        store::session_by_token(&mut c, token.trim()).await?
    }
    .ok_or_else(|| Error::with_message(ErrorCode::NotFound, "签到码无效，请向班主任确认"))?;
    let Some(student) = crate::access::own_child_in(app, ctx, s.class_id).await? else {
        return Err(Error::with_message(
            ErrorCode::Forbidden,
            "这是其他班级的签到码：只有本班家长可以签到",
        ));
    };
    if s.status == SessionStatus::Cancelled {
        return Err(Error::invalid("token", "这次课已取消"));
    }
    let now = app.now();
    let (from, to) = rules::checkin_window(s.starts_at, s.class_hours);
    if now < from {
        return Err(Error::invalid(
            "token",
            "还没到签到时间：开课前30分钟开放签到",
        ));
    }
    if now > to {
        return Err(Error::invalid("token", "签到已结束，请联系班主任补登"));
    }
    let mut tx = app.db.write().await?;
    let new = store::check_in(&mut tx, s.id, ctx.actor.account_id, student, "qr", now).await?;
    if new {
        audit::append(
            &mut tx,
            &audit::entry(
                app,
                ctx,
                "delivery.checkin",
                "session",
                s.id,
                Some(s.class_id),
                "qr",
            ),
        )
        .await?;
    }
    tx.commit().await.db()?;
    Ok(CheckIn {
        session_id: s.id,
        title: s.title,
        new,
    })
}

/// A parent rates a session they attended, once it has started (a second
/// rating replaces the first).
pub async fn rate(app: &App, ctx: &Ctx, id: i64, score: i64, comment: &str) -> Result<()> {
    let score = parse_score("score", score)?;
    let comment = parse_note("comment", comment, 500)?;
    let s = {
        let mut c = app.db.read().await?;
        store::get_session(&mut c, id).await?
    }
    .ok_or_else(Error::not_found)?;
    if crate::access::own_child_in(app, ctx, s.class_id)
        .await?
        .is_none()
    {
        return Err(Error::not_found());
    }
    if s.status == SessionStatus::Cancelled || s.starts_at > app.now() {
        return Err(Error::invalid("score", "上过这次课后才能评价"));
    }
    let mut tx = app.db.write().await?;
    let marks = store::parent_marks(&mut tx, ctx.actor.account_id, &[s.id]).await?;
    if !marks.get(&s.id).is_some_and(|m| m.0) {
        return Err(Error::invalid("score", "签到参加了这次课才能评价"));
    }
    store::rate(
        &mut tx,
        s.id,
        ctx.actor.account_id,
        score,
        &comment,
        app.now(),
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "delivery.rate",
            "session",
            s.id,
            Some(s.class_id),
            score.to_string(),
        ),
    )
    .await?;
    tx.commit().await.db()
}

/// A session as a parent sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ParentSession {
    pub id: i64,
    pub child: String,
    pub class_id: i64,
    pub title: String,
    pub starts_at: i64,
    pub class_hours: i64,
    pub place: String,
    pub online_url: String,
    pub status: SessionStatus,
    pub attended: bool,
    /// The parent's rating, 0 if none.
    pub my_score: i64,
}

/// This school year's sessions of each of the parent's children's classes
/// (cancelled ones left out), by start time.
pub async fn my_sessions(app: &App, ctx: &Ctx) -> Result<Vec<ParentSession>> {
    let kids = crate::access::children(app, ctx.actor.account_id).await?;
    let year = school_year(app.now());
    let mut c = app.db.read().await?;
    let mut out: Vec<ParentSession> = Vec::new();
    for kid in kids.iter() {
        if out.iter().any(|s| s.class_id == kid.class.id) {
            continue;
        }
        for s in store::sessions_of_class(&mut c, kid.class.id, year).await? {
            if s.status == SessionStatus::Cancelled {
                continue;
            }
            out.push(ParentSession {
                id: s.id,
                child: kid.name.clone(),
                class_id: s.class_id,
                title: s.title,
                starts_at: s.starts_at,
                class_hours: s.class_hours,
                place: s.place,
                online_url: s.online_url,
                status: s.status,
                attended: false,
                my_score: 0,
            });
        }
    }
    let ids: Vec<i64> = out.iter().map(|s| s.id).collect();
    let marks = store::parent_marks(&mut c, ctx.actor.account_id, &ids).await?;
    for s in &mut out {
        if let Some((attended, score)) = marks.get(&s.id) {
            s.attended = *attended;
            s.my_score = *score;
        }
    }
    out.sort_by_key(|s| (s.starts_at, s.id));
    Ok(out)
}

/// One session as a parent of the class sees it.
pub async fn parent_session(app: &App, ctx: &Ctx, id: i64) -> Result<ParentSession> {
    my_sessions(app, ctx)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(Error::not_found)
}

/// A session in a class's plan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanRow {
    pub session: Session,
    pub steps_done: usize,
    pub present: i64,
    pub rating_mean_x100: i64,
    pub ratings: i64,
}

/// A class's plan for a school year, with its tally against the minimum.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClassPlan {
    pub class: Unit,
    pub school_year: i64,
    pub tally: Tally,
    pub met: bool,
    pub sessions: Vec<PlanRow>,
    /// Required courses the class may be taught: (id, title).
    pub courses: Vec<(i64, String)>,
    pub may_plan: bool,
}

pub async fn class_plan(
    app: &App,
    ctx: &Ctx,
    class_id: i64,
    school_year: i64,
) -> Result<ClassPlan> {
    let class = crate::access::class(app, ctx, class_id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let sessions = store::sessions_of_class(&mut c, class.id, school_year).await?;
    let ids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
    let steps = store::steps_of(&mut c, &ids).await?;
    let figures = store::session_figures(&mut c, &ids).await?;
    let tally = store::class_tally(&mut c, class.id, school_year).await?;
    let courses = store::required_courses_for(&mut c, &class.grade).await?;
    let sessions = sessions
        .into_iter()
        .map(|s| {
            let (present, _, ratings, mean) = figures.get(&s.id).copied().unwrap_or_default();
            PlanRow {
                steps_done: steps.get(&s.id).map_or(0, Vec::len),
                present,
                ratings,
                rating_mean_x100: mean,
                session: s,
            }
        })
        .collect();
    Ok(ClassPlan {
        may_plan: ctx.actor.can(Action::DeliverCourses, &class.path),
        met: tally.met(),
        class,
        school_year,
        tally,
        sessions,
        courses,
    })
}

/// A unit's line on the compliance page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComplianceRow {
    pub unit_id: i64,
    pub name: String,
    pub kind: UnitKind,
    pub path: String,
    pub parent_id: Option<i64>,
    pub classes: i64,
    pub met: i64,
    /// Classes: their own tally.
    pub tally: Option<Tally>,
}

impl ComplianceRow {
    /// Classes below the minimum.
    pub fn flagged(&self) -> i64 {
        (self.classes - self.met).max(0)
    }
}

/// How a unit's classes stand against the yearly minimum: the unit itself
/// and each unit below it (down to classes, each with its tally), flagged
/// first. Reads only the rollups, so it costs the same at any scale.
pub async fn compliance(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    school_year: i64,
) -> Result<(ComplianceRow, Vec<ComplianceRow>)> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let kids = units::children(&mut c, unit.id, false).await?;
    let mut ids: Vec<i64> = kids.iter().map(|k| k.id).collect();
    ids.push(unit.id);
    let met = store::met_of(&mut c, &ids, school_year).await?;
    let class_ids: Vec<i64> = kids
        .iter()
        .filter(|k| k.kind == UnitKind::Class)
        .map(|k| k.id)
        .collect();
    let tallies = store::class_tallies(&mut c, &class_ids, school_year).await?;
    let row = |u: &Unit| {
        if u.kind == UnitKind::Class {
            let t = tallies.get(&u.id).copied().unwrap_or_default();
            ComplianceRow {
                unit_id: u.id,
                name: u.name.clone(),
                kind: u.kind,
                path: u.path.clone(),
                parent_id: u.parent_id,
                classes: 1,
                met: i64::from(t.met()),
                tally: Some(t),
            }
        } else {
            ComplianceRow {
                unit_id: u.id,
                name: u.name.clone(),
                kind: u.kind,
                path: u.path.clone(),
                parent_id: u.parent_id,
                classes: u.counts.classes,
                met: met.get(&u.id).copied().unwrap_or(0),
                tally: None,
            }
        }
    };
    let mut rows: Vec<ComplianceRow> = kids.iter().map(row).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.flagged()));
    Ok((row(&unit), rows))
}

/// A teacher's credited class hours in a school year.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkloadRow {
    pub teacher_id: i64,
    pub name: String,
    pub sessions: i64,
    pub hours: i64,
}

/// Class hours credited to each teacher who taught in a unit's subtree.
pub async fn workload(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    school_year: i64,
) -> Result<Vec<WorkloadRow>> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewAccounts).await?;
    let mut c = app.db.read().await?;
    let rows = store::workload(&mut c, &unit.path, school_year).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let names = accounts::display_names(&mut c, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|(id, n, h)| WorkloadRow {
            teacher_id: id,
            name: names.get(&id).cloned().unwrap_or_default(),
            sessions: n,
            hours: h,
        })
        .collect())
}

/// The signed-in teacher's own credited sessions and class hours per school year.
pub async fn my_workload(app: &App, ctx: &Ctx) -> Result<Vec<(i64, i64, i64)>> {
    let mut c = app.db.read().await?;
    store::workload_of(&mut c, ctx.actor.account_id).await
}

/// Kept rollups and a recount of classes that met the minimum; equal
/// unless something went wrong.
pub async fn check_rollups(
    app: &App,
    school_year: i64,
) -> Result<(HashMap<i64, i64>, HashMap<i64, i64>)> {
    let mut c = app.db.read().await?;
    Ok((
        store::all_met(&mut c, school_year).await?,
        store::recount_met(&mut c, school_year).await?,
    ))
}

/// Sets a course's effect-tracking questions (one per line). Not once
/// parents have answered: their answers refer to these questions.
pub async fn set_questionnaire(app: &App, ctx: &Ctx, course_id: i64, raw: &str) -> Result<()> {
    let course = {
        let mut c = app.db.read().await?;
        courses::get_course(&mut c, course_id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    let unit = crate::access::unit(app, ctx, course.owner_unit_id, Action::AuthorCourses).await?;
    let questions = rules::parse_questions(raw)?;
    let mut tx = app.db.write().await?;
    if store::has_answers(&mut tx, course.id).await? {
        return Err(Error::conflict("家长已开始作答，问卷题目不能再修改"));
    }
    store::put_questionnaire(
        &mut tx,
        course.id,
        &questions,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "questionnaire.set",
            "course",
            course.id,
            Some(unit.id),
            format!("{} questions", questions.len()),
        ),
    )
    .await?;
    tx.commit().await.db()
}

/// A course's questionnaire questions, if it has one (they are not secret:
/// every parent of a class taught the course answers them).
pub async fn questionnaire(app: &App, course_id: i64) -> Result<Option<Vec<String>>> {
    let mut c = app.db.read().await?;
    store::questionnaire(&mut c, course_id).await
}

/// The questionnaire a parent may answer now for a child's class.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Survey {
    pub class_id: i64,
    pub child: String,
    pub course_id: i64,
    pub course_title: String,
    pub school_year: i64,
    pub phase: Phase,
    pub questions: Vec<String>,
    pub answered: bool,
}

/// The course a class is taught this year: that of its first session.
async fn course_of_class(
    c: &mut tongyu_store::Conn,
    class_id: i64,
    year: i64,
) -> Result<Option<(i64, i64)>> {
    let sessions = store::sessions_of_class(c, class_id, year).await?;
    let held = sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Held)
        .count() as i64;
    Ok(sessions
        .iter()
        .find(|s| s.status != SessionStatus::Cancelled)
        .map(|s| (s.course_id, held)))
}

/// For each of the parent's children's classes, the questionnaire round
/// open now, if the class's course has a questionnaire.
pub async fn my_surveys(app: &App, ctx: &Ctx) -> Result<Vec<Survey>> {
    let kids = crate::access::children(app, ctx.actor.account_id).await?;
    let year = school_year(app.now());
    let mut c = app.db.read().await?;
    let mut out: Vec<Survey> = Vec::new();
    for kid in kids.iter() {
        if out.iter().any(|s| s.class_id == kid.class.id) {
            continue;
        }
        let Some((course_id, held)) = course_of_class(&mut c, kid.class.id, year).await? else {
            continue;
        };
        let Some(phase) = Phase::open_for(held) else {
            continue;
        };
        let Some(questions) = store::questionnaire(&mut c, course_id).await? else {
            continue;
        };
        let course_title = courses::get_course(&mut c, course_id)
            .await?
            .map(|c| c.title)
            .unwrap_or_default();
        let answered = store::answered(&mut c, course_id, year, ctx.actor.account_id)
            .await?
            .contains(&phase);
        out.push(Survey {
            class_id: kid.class.id,
            child: kid.name.clone(),
            course_id,
            course_title,
            school_year: year,
            phase,
            questions,
            answered,
        });
    }
    Ok(out)
}

/// A parent answers the open round of their child's class's questionnaire,
/// once per round; the answers are added to the class's and every
/// ancestor's tallies in the same transaction.
pub async fn answer(
    app: &App,
    ctx: &Ctx,
    class_id: i64,
    phase: &str,
    answers: &[i64],
) -> Result<()> {
    let phase = Phase::parse(phase)?;
    let survey = my_surveys(app, ctx)
        .await?
        .into_iter()
        .find(|s| s.class_id == class_id)
        .ok_or_else(|| Error::invalid("phase", "现在没有需要填写的问卷"))?;
    if survey.phase != phase {
        return Err(Error::invalid("phase", "这一轮问卷现在不开放"));
    }
    let answers = rules::parse_answers(answers, survey.questions.len())?;
    let class = {
        let mut c = app.db.read().await?;
        units::get(&mut c, class_id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    let a = Answer {
        course_id: survey.course_id,
        school_year: survey.school_year,
        account_id: ctx.actor.account_id,
        phase,
        class_id,
        answers: &answers,
    };
    let mut tx = app.db.write().await?;
    if !store::insert_answer(&mut tx, &a, app.now()).await? {
        return Err(Error::conflict("您已经填写过这一轮问卷"));
    }
    store::add_to_questionnaire_tallies(&mut tx, &a, &path_ids(&class.path)).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "questionnaire.answer",
            "course",
            survey.course_id,
            Some(class_id),
            phase.as_str(),
        ),
    )
    .await?;
    tx.commit().await.db()
}

/// One question's means before and after, over a unit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuestionEffect {
    pub question: String,
    pub before_n: i64,
    pub before: Option<f64>,
    pub after_n: i64,
    pub after: Option<f64>,
}

impl QuestionEffect {
    pub fn change(&self) -> Option<f64> {
        Some(self.after? - self.before?)
    }
}

/// A unit below, with its mean over all questions before and after.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EffectRow {
    pub unit_id: i64,
    pub name: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// The effect of a course over a unit (a school, a class, a district):
/// per question the means before and after, and per unit below the mean
/// over all questions.
pub async fn effect(
    app: &App,
    ctx: &Ctx,
    course_id: i64,
    unit_id: i64,
    school_year: i64,
) -> Result<(Vec<QuestionEffect>, Vec<EffectRow>)> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let questions = store::questionnaire(&mut c, course_id)
        .await?
        .ok_or_else(|| Error::with_message(ErrorCode::NotFound, "这门课程还没有效果追踪问卷"))?;
    let kids = units::children(&mut c, unit.id, false).await?;
    let mut ids: Vec<i64> = kids.iter().map(|k| k.id).collect();
    ids.push(unit.id);
    let t = store::questionnaire_tallies(&mut c, course_id, school_year, &ids).await?;
    let get = |u: i64, p: Phase, q: usize| t.get(&(u, p, q as i64)).copied().unwrap_or((0, 0));
    let per_question = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let (bn, bs) = get(unit.id, Phase::Before, i);
            let (an, asum) = get(unit.id, Phase::After, i);
            QuestionEffect {
                question: q.clone(),
                before_n: bn,
                before: rules::mean(bs, bn),
                after_n: an,
                after: rules::mean(asum, an),
            }
        })
        .collect();
    let overall = |u: i64, p: Phase| {
        let (n, s) = (0..questions.len())
            .map(|i| get(u, p, i))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        rules::mean(s, n)
    };
    let rows = kids
        .iter()
        .map(|k| EffectRow {
            unit_id: k.id,
            name: k.name.clone(),
            before: overall(k.id, Phase::Before),
            after: overall(k.id, Phase::After),
        })
        .collect();
    Ok((per_question, rows))
}

/// Sessions a parent attended and their class hours, per school year.
pub async fn attended_by(app: &App, account_id: i64) -> Result<HashMap<i64, (i64, i64)>> {
    let mut c = app.db.read().await?;
    let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
    for (year, hours) in store::attended_by(&mut c, account_id).await? {
        let e = out.entry(year).or_default();
        e.0 += 1;
        e.1 += hours;
    }
    Ok(out)
}
