//! Attendance: the head teacher's roll, parents checking in by QR code,
//! their ratings, and what each parent attended.

use super::*;

/// The teacher's attendance sheet: parents present, each with a
/// participation score (1-5, 0 to leave unrated), and parents to mark
/// absent. Anyone not named stays as recorded, so a parent who scans the
/// code while the teacher has the sheet open is not lost.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct AttendanceInput {
    pub present: Vec<PresentInput>,
    #[serde(default)]
    pub absent: Vec<i64>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
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
    tx.commit().await.db()?;
    app.forget_class(class.id).await;
    Ok(())
}

/// What a parent gets from scanning a session's code.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
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
    let plan = crate::plan::current(app).await?;
    let (from, to) = rules::checkin_window(s.starts_at, s.class_hours, &plan);
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
    app.forget_home(ctx.actor.account_id).await;
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
    tx.commit().await.db()?;
    app.forget_home(ctx.actor.account_id).await;
    Ok(())
}

/// A session as a parent sees it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
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
