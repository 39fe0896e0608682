//! The public side: the form behind a gate code, the receipt, the status
//! page, photos, follow-ups and the parent's rating.

use super::*;

/// What a parent sends from the public form.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct PublicInput {
    pub qr_token: String,
    pub category: String,
    pub text: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    /// A random id the form keeps in the browser, so the same text sent
    /// twice from one phone lands once even without a phone number.
    #[serde(default)]
    pub device: String,
    /// Up to three JPEG or PNG photos (from the page's form).
    #[serde(skip)]
    pub photos: Vec<Vec<u8>>,
}

/// Checks photos by content and stores them durably before the appeal's
/// transaction: (hash, MIME type, size) of each.
async fn keep_photos(app: &App, photos: &[Vec<u8>]) -> Result<Vec<(String, &'static str, i64)>> {
    if photos.len() > tongyu_domain::appeal::MAX_PHOTOS {
        return Err(Error::invalid("photo", "最多上传3张照片"));
    }
    let mut out = Vec::with_capacity(photos.len());
    for p in photos {
        let mime = tongyu_domain::appeal::check_photo(p)?;
        // Kept without the camera's notes: a phone's photo carries where it
        // was taken.
        let clean = tongyu_domain::media::strip_metadata(p, mime)?;
        let sha = crate::media::store_bytes(app, &clean).await?;
        out.push((sha, mime, clean.len() as i64));
    }
    Ok(out)
}

/// Records kept photos as the appeal's, in its transaction.
pub(super) async fn attach_photos(
    c: &mut Conn,
    appeal_id: i64,
    kept: &[(String, &'static str, i64)],
    now: i64,
) -> Result<()> {
    for (i, (sha, mime, size)) in kept.iter().enumerate() {
        let ext = if *mime == "image/png" { "png" } else { "jpg" };
        let token = random_token(18);
        let media_id = tongyu_store::media::insert(
            c,
            &tongyu_store::media::NewFile {
                token: &token,
                sha256: sha,
                kind: tongyu_domain::media::MediaKind::Image,
                mime,
                size: *size,
                filename: &format!("photo-{}.{ext}", i + 1),
                uploaded_by: 0,
            },
            now,
        )
        .await?;
        store::add_photo(c, appeal_id, media_id).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Receipt {
    /// The appeal's number (what the school and bureau know it by).
    pub number: String,
    /// The parent's secret for the status page; empty when this sending
    /// repeats one from another browser (see [`Receipt::duplicate`]).
    pub tracking_code: String,
    /// The same text from the same sender, through the same school's codes,
    /// was already received. Only the browser that first sent it gets its
    /// link back.
    pub duplicate: bool,
    pub addressee: String,
    pub contact_due: i64,
    pub reply_due: i64,
}

/// Takes an appeal from the public form. It is in the database (and in the
/// audit log) before the receipt is returned.
pub async fn submit(app: &App, origin: &Origin, input: &PublicInput) -> Result<Receipt> {
    let route = route(app, input.qr_token.trim()).await?;
    let target = &route.target;
    if let Some(new) = target
        .replaced_by
        .as_ref()
        .filter(|_| !target.takes_appeals(app.now()))
    {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            format!("这个二维码已更换，请扫描学校门口的新二维码（/q/{new}）"),
        ));
    }
    let category = parse_category(&input.category)?;
    let text = check_text("text", &input.text)?;
    let name = check_name(&input.contact_name)?;
    let phone = check_phone(&input.contact_phone)?;
    let device: String = input.device.trim().chars().take(64).collect();
    let sender = if !phone.is_empty() {
        format!("p:{phone}")
    } else if !device.is_empty() {
        format!("d:{device}")
    } else {
        format!("ip:{}", origin.ip)
    };
    let device_key = if device.is_empty() {
        String::new()
    } else {
        app.settings.secret.keyed_hash("device", &device)
    };
    let level = target.kind.level();
    let unit = if level == Level::School {
        &route.school
    } else {
        &route.district
    };
    if !input.photos.is_empty() {
        let kb: usize = input.photos.iter().map(|p| p.len().div_ceil(1024)).sum();
        crate::throttle::add(app, app.settings.photo_quota, &origin.ip, kb as i64)
            .await
            .map_err(|e| match e.code {
                ErrorCode::RateLimited => Error::with_message(
                    ErrorCode::RateLimited,
                    "今天从这个网络上传的照片已经很多，请不带照片提交，或明天再试",
                ),
                _ => e,
            })?;
    }
    let kept = keep_photos(app, &input.photos).await?;
    let cal = crate::calendar::calendar_cached(app).await?;
    let d = app.settings.appeals.deadlines(level, category);
    let signals = crate::opinion::read(&text, &*crate::plan::current(app).await?);
    let now = app.now();
    let job = intake::Job {
        tracking_code: new_tracking_code(),
        school_id: route.school.id,
        unit_id: unit.id,
        district_id: route.district.id,
        level,
        category,
        // The same appeal only through the same school's same code.
        dedupe_key: crate::auth::token_hash(&dedupe_key(
            &text,
            &format!("{}:{}:{sender}", route.school.id, level.as_str()),
        )),
        device_key,
        dedupe_since: now - app.settings.appeals.dedupe_window_s,
        urgent_words: signals.urgent,
        contact_due: cal.add(now, d.first_contact),
        reply_due: cal.add(now, d.reply),
        keywords: tongyu_domain::opinion::keywords(&text, crate::opinion::KEYWORDS),
        photos: kept,
        received_text: format!("{}已收到您的诉求", target.addressee),
        audit: public_entry(origin, app, "appeal.submitted", 0, unit.id),
        ip: origin.ip.clone(),
        qr_token: input.qr_token.trim().to_owned(),
        limits: app.settings.appeal_limits,
        text,
        contact_name: app.seal(field::APPEAL_CONTACT_NAME, &name),
        contact_phone: app.seal(field::APPEAL_CONTACT_PHONE, &phone),
        now,
    };
    let out = app.intake().submit(job).await?;
    if out.limited {
        return Err(Error::with_message(
            ErrorCode::RateLimited,
            "提交过于频繁，请稍后再试",
        ));
    }
    Ok(Receipt {
        number: number(out.id),
        tracking_code: out.tracking_code,
        duplicate: out.duplicate,
        addressee: target.addressee.clone(),
        contact_due: out.contact_due,
        reply_due: out.reply_due,
    })
}

/// One line of an appeal's history.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct EventView {
    pub kind: String,
    pub text: String,
    pub at: i64,
    pub at_local: String,
    /// Staff pages: who did it (empty for the parent or the system).
    pub by: String,
    pub public: bool,
}

/// A clock as shown on an appeal.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ClockView {
    pub due: i64,
    pub due_local: String,
    pub state: ClockState,
    pub label: &'static str,
}

/// What the parent sees on the status page.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PublicStatus {
    pub tracking_code: String,
    pub category: Category,
    pub category_label: &'static str,
    pub status: Status,
    pub status_label: &'static str,
    pub level: Level,
    pub level_label: &'static str,
    pub handled_by: String,
    pub text: String,
    pub created_at: i64,
    pub created_local: String,
    pub first_contact: ClockView,
    pub reply_clock: ClockView,
    /// A clock ran out at some level.
    pub overdue: bool,
    pub escalations: i64,
    pub reply: Option<Reply>,
    pub replied_local: String,
    /// How many times the published reply was revised (each revision is
    /// also an event saying why).
    pub reply_revisions: i64,
    pub rating: Option<Rating>,
    pub rating_label: &'static str,
    pub can_rate: bool,
    pub rating_due_local: String,
    pub can_follow_up: bool,
    pub events: Vec<EventView>,
    /// How many photos the parent sent (served at `/a/{code}/photos/{n}`).
    pub photos: usize,
}

pub async fn public_status(app: &App, tracking_code: &str) -> Result<PublicStatus> {
    let mut c = app.db.read().await?;
    let a = crate::access::appeal_by_secret(&mut c, tracking_code).await?;
    let unit = units::get(&mut c, a.unit_id).await?;
    let handled_by = match (a.level, unit) {
        (Level::School, Some(u)) => u.name,
        (_, Some(u)) => format!("{}教育局", u.name),
        (_, None) => String::new(),
    };
    let events = store::events(&mut c, a.id, true).await?;
    let photos = store::photo_tokens(&mut c, a.id).await?.len();
    let now = app.now();
    let published = matches!(a.status, Status::Replied | Status::Closed) && a.replied_at > 0;
    Ok(PublicStatus {
        tracking_code: a.tracking_code.clone(),
        category: a.category,
        category_label: a.category.label(),
        status: a.status,
        status_label: a.status.label(),
        level: a.level,
        level_label: a.level.label(),
        handled_by,
        text: a.text.clone(),
        created_at: a.created_at,
        created_local: format_local_minute(a.created_at),
        first_contact: clock(a.clock_start, a.contact_due, a.contacted_at, now),
        reply_clock: clock(a.clock_start, a.reply_due, a.replied_at, now),
        overdue: a.contact_late
            || a.reply_late
            || (a.status.is_open()
                && ((a.contacted_at == 0 && now >= a.contact_due)
                    || (a.replied_at == 0 && now >= a.reply_due))),
        escalations: a.escalations,
        reply: published.then(|| Reply {
            policy: a.reply_policy.clone(),
            status: a.reply_status.clone(),
            next_steps: a.reply_next_steps.clone(),
        }),
        replied_local: if published {
            format_local_minute(a.replied_at)
        } else {
            String::new()
        },
        reply_revisions: a.reply_revisions,
        rating: a.rating,
        rating_label: a.rating.map_or("", |r| r.label()),
        can_rate: a.status == Status::Replied,
        rating_due_local: if a.status == Status::Replied {
            format_local_minute(a.rating_due)
        } else {
            String::new()
        },
        can_follow_up: a.status != Status::Closed,
        photos,
        events: events
            .into_iter()
            .map(|e| EventView {
                kind: e.kind,
                text: e.text,
                at: e.created_at,
                at_local: format_local_minute(e.created_at),
                by: String::new(),
                public: true,
            })
            .collect(),
    })
}

/// The `n`-th photo (from 1) of an appeal: its MIME type and bytes.
async fn photo_of(app: &App, appeal_id: i64, n: usize) -> Result<(String, Vec<u8>)> {
    let mut c = app.db.read().await?;
    let tokens = store::photo_tokens(&mut c, appeal_id).await?;
    let token = n
        .checked_sub(1)
        .and_then(|i| tokens.get(i))
        .ok_or_else(Error::not_found)?;
    let f = tongyu_store::media::by_token(&mut c, token)
        .await?
        .ok_or_else(Error::not_found)?;
    drop(c);
    let bytes = tokio::fs::read(crate::media::path_of(app, &f))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "appeal photo missing");
            Error::not_found()
        })?;
    Ok((f.mime, bytes))
}

/// A photo for the parent who holds the tracking code.
pub async fn public_photo(app: &App, tracking_code: &str, n: usize) -> Result<(String, Vec<u8>)> {
    let mut c = app.db.read().await?;
    let a = crate::access::appeal_by_secret(&mut c, tracking_code).await?;
    drop(c);
    photo_of(app, a.id, n).await
}

/// A photo for staff whose scope holds the appeal (audited).
pub async fn staff_photo(app: &App, ctx: &Ctx, id: i64, n: usize) -> Result<(String, Vec<u8>)> {
    let mut c = app.db.read().await?;
    let (a, unit) = crate::access::appeal(app, ctx, &mut c, id, Action::HandleAppeals).await?;
    drop(c);
    let out = photo_of(app, a.id, n).await?;
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "appeal.photo_read",
            "appeal",
            a.id,
            Some(unit.id),
            n.to_string(),
        ),
    )
    .await?;
    Ok(out)
}

/// The parent adds to an open appeal.
pub async fn follow_up(app: &App, origin: &Origin, tracking_code: &str, text: &str) -> Result<()> {
    let text = check_text("text", text)?;
    crate::throttle::hit(app, &[(app.settings.appeal_limits[0], origin.ip.as_str())]).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let a = crate::access::appeal_by_secret(&mut tx, tracking_code).await?;
    if a.status == Status::Closed {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "这件诉求已办结，如有新情况请重新扫码反映",
        ));
    }
    store::add_event(
        &mut tx,
        &NewEvent {
            appeal_id: a.id,
            kind: "follow_up",
            public: true,
            actor_id: 0,
            unit_id: a.unit_id,
            text: &format!("家长补充：{text}"),
        },
        now,
    )
    .await?;
    store::notify(&mut tx, a.unit_id, a.id, "家长补充了情况", now).await?;
    audit::append(
        &mut tx,
        &public_entry(origin, app, "appeal.follow_up", a.id, a.unit_id),
    )
    .await?;
    tx.commit().await.db()
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct RatingInput {
    pub rating: String,
    #[serde(default)]
    pub comment: String,
}

/// The parent rates the reply: satisfied and basically satisfied close the
/// appeal; unsatisfied reopens it one level up (at the city, at the city).
pub async fn rate(
    app: &App,
    origin: &Origin,
    tracking_code: &str,
    input: &RatingInput,
) -> Result<Status> {
    let rating = Rating::parse_given(&input.rating)?;
    crate::throttle::hit(app, &[(app.settings.appeal_limits[0], origin.ip.as_str())]).await?;
    let comment = input.comment.trim().to_owned();
    if comment.chars().count() > 500 {
        return Err(Error::invalid("comment", "评价说明不能超过500字"));
    }
    if rating == Rating::Unsatisfied && comment.chars().count() < 2 {
        return Err(Error::invalid(
            "comment",
            "请说明不满意的原因，以便继续办理",
        ));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let mut a = crate::access::appeal_by_secret(&mut tx, tracking_code).await?;
    if a.status != Status::Replied {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "现在不能评价：答复发布后才能评价，每次答复只能评价一次",
        ));
    }
    if a.revision.by > 0 {
        // The parent rated the reply they read; a revision still waiting
        // for sign-off no longer answers anything.
        a.revision = Default::default();
        store::add_event(
            &mut tx,
            &NewEvent {
                appeal_id: a.id,
                kind: "revision_dropped",
                public: false,
                actor_id: 0,
                unit_id: a.unit_id,
                text: "家长已评价，待审核的修改答复作废",
            },
            now,
        )
        .await?;
    }
    a.rating = Some(rating);
    a.rating_comment = comment.clone();
    a.rated_at = now;
    let mut text = format!("家长评价：{}", rating.label());
    if !comment.is_empty() {
        text.push_str(&format!("（{comment}）"));
    }
    store::add_event(
        &mut tx,
        &NewEvent {
            appeal_id: a.id,
            kind: "rated",
            public: true,
            actor_id: 0,
            unit_id: a.unit_id,
            text: &text,
        },
        now,
    )
    .await?;
    if rating == Rating::Unsatisfied {
        a.reopened += 1;
        escalate(&mut tx, app, &mut a, "家长不满意，诉求重新办理", now).await?;
    } else {
        a.status = Status::Closed;
        a.closed_at = now;
    }
    store::save(&mut tx, &a, now).await?;
    audit::commit_audited(
        tx,
        &public_entry(origin, app, "appeal.rated", a.id, a.unit_id),
    )
    .await?;
    Ok(a.status)
}
