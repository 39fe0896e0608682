//! Appeals (群众诉求): a parent scans one of the two codes at the school
//! gate and writes; the appeal lands in the school's inbox or its district
//! bureau's; staff contact the parent and reply with the three-part
//! explanation within the deadlines of the level; an appeal left overdue
//! escalates one level up; the parent rates the reply, and an unsatisfied
//! rating reopens it one level up. Hotline tickets and appeals taken on a
//! parent's behalf enter the same loop.

pub mod board;
pub mod callbacks;
pub mod hotline;
pub(crate) mod intake;
mod raise;
pub mod retention;
pub mod spam;
pub mod templates;

pub use raise::{OnBehalfInput, Raised, raise, raise_checked};

use crate::crypto::field;
use std::collections::HashMap;

use tongyu_domain::appeal::{
    Calendar, Category, ClockState, CodeKind, DayKind, Deadlines, Level, Rating, Reply, Source,
    Span, Status, check_name, check_phone, check_text, dedupe_key, format_date, mask_phone, number,
    parse_date,
};
use tongyu_domain::org::{Unit, UnitKind, path_ids};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::appeal::{self as store, Appeal, InboxFilter, NewAppeal, NewEvent};
/// Gate codes, unit notices and reply templates as pages show them.
pub use tongyu_store::appeal::{Code, Notice, Template};
use tongyu_store::audit::AuditEntry;
use tongyu_store::{Conn, DbResult, account as accounts, org as units};

use crate::auth::random_token;
use crate::clock::{format_local, format_local_minute};
use crate::{App, Ctx, Origin, audit};

/// One rule of the deadline table: the most specific rule that matches an
/// appeal's level and category gives its clocks.
#[derive(Debug, Clone)]
pub struct DeadlineRule {
    pub level: Option<Level>,
    pub category: Option<Category>,
    pub deadlines: Deadlines,
}

/// How appeals run; from the configuration file's `[appeals]` table.
#[derive(Debug, Clone)]
pub struct AppealSettings {
    /// The clocks where no rule matches.
    pub deadlines: Deadlines,
    pub rules: Vec<DeadlineRule>,
    /// How long the parent has to rate a reply before it closes as
    /// "no feedback".
    pub rating_window: Span,
    /// Levels whose replies wait for a supervisor's sign-off.
    pub sign_off: Vec<Level>,
    /// The same text from the same phone or device within this many seconds
    /// lands on the appeal already made.
    pub dedupe_window_s: i64,
}

impl Default for AppealSettings {
    fn default() -> Self {
        let urgent = Deadlines {
            first_contact: Span::Seconds(4 * 3600),
            reply: Span::BusinessDays(2),
        };
        Self {
            deadlines: Deadlines {
                first_contact: Span::BusinessDays(1),
                reply: Span::BusinessDays(5),
            },
            // Bullying and safety cannot wait for the next working day.
            rules: [Category::Bullying, Category::Safety]
                .into_iter()
                .map(|c| DeadlineRule {
                    level: None,
                    category: Some(c),
                    deadlines: urgent,
                })
                .collect(),
            rating_window: Span::Seconds(7 * 86_400),
            sign_off: Vec::new(),
            dedupe_window_s: 24 * 3600,
        }
    }
}

impl AppealSettings {
    pub fn deadlines(&self, level: Level, category: Category) -> Deadlines {
        let score = |r: &DeadlineRule| {
            let lv = match r.level {
                Some(l) if l == level => Some(2),
                Some(_) => None,
                None => Some(0),
            };
            let ct = match r.category {
                Some(c) if c == category => Some(1),
                Some(_) => None,
                None => Some(0),
            };
            Some(lv? + ct?)
        };
        self.rules
            .iter()
            .filter_map(|r| score(r).map(|s| (s, r.deadlines)))
            .max_by_key(|(s, _)| *s)
            .map_or(self.deadlines, |(_, d)| d)
    }
}

pub(crate) fn new_tracking_code() -> String {
    // 16 characters from an alphabet without look-alikes: 80 bits.
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    use rand::RngCore;
    let mut buf = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// A tracking code as a parent may type it: case and spaces or dashes
/// do not matter.
pub fn normalize_tracking_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

async fn load_calendar(c: &mut Conn) -> Result<Calendar> {
    let days = store::calendar(c).await?;
    Ok(Calendar::new(days.into_iter().map(|(d, k, _)| (d, k))))
}

/// The unit that handles appeals of `level` for a school (or for the unit
/// an appeal sits at now): the school, its district, or the city.
async fn unit_for_level(c: &mut Conn, from: &Unit, level: Level) -> Result<Unit> {
    let want = match level {
        Level::School => UnitKind::School,
        Level::District => UnitKind::District,
        Level::City => UnitKind::City,
    };
    if from.kind == want {
        return Ok(from.clone());
    }
    let mut ids = path_ids(&from.path);
    ids.retain(|id| *id != from.id);
    let found = units::get_many(c, &ids)
        .await?
        .into_iter()
        .find(|u| u.kind == want);
    found.ok_or_else(|| {
        tracing::error!(
            unit = from.id,
            level = level.as_str(),
            "no unit at this level"
        );
        Error::internal()
    })
}

fn level_of_kind(kind: UnitKind) -> Option<Level> {
    match kind {
        UnitKind::School => Some(Level::School),
        UnitKind::District => Some(Level::District),
        UnitKind::City => Some(Level::City),
        _ => None,
    }
}

fn public_entry(origin: &Origin, app: &App, action: &str, id: i64, unit_id: i64) -> AuditEntry {
    AuditEntry {
        at: app.now(),
        actor_id: None,
        actor: "public".into(),
        action: action.to_owned(),
        object_type: "appeal".into(),
        object_id: id.to_string(),
        unit_id: Some(unit_id),
        result: "ok".into(),
        ip: origin.ip.clone(),
        request_id: origin.request_id.clone(),
        detail: String::new(),
    }
}

// ---------------------------------------------------------------- codes

/// What a scanned code leads to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CodeTarget {
    pub token: String,
    pub kind: CodeKind,
    pub school_id: i64,
    pub school_name: String,
    /// Who reads what is written: the school or the district bureau.
    pub addressee: String,
    /// Set when the code was replaced: the token of the current one.
    pub replaced_by: Option<String>,
}

/// Where a gate code's appeals go: the target as the form shows it, the
/// school and its district.
#[derive(Debug, Clone)]
pub struct Route {
    pub target: CodeTarget,
    pub school: Unit,
    pub district: Unit,
}

/// Resolves a code from the gate (from a short-lived cache: the form and
/// every submission ask). An unknown token is not found; a replaced one
/// names its replacement.
pub async fn route(app: &App, token: &str) -> Result<std::sync::Arc<Route>> {
    let not_found = || {
        Error::with_message(
            ErrorCode::NotFound,
            "二维码无效：请核对后重新扫描学校门口张贴的二维码",
        )
    };
    if token.is_empty() || token.len() > 64 {
        return Err(not_found());
    }
    if let Some(r) = app.caches.codes.get(&token.to_owned()) {
        return Ok(r);
    }
    let mut c = app.db.read().await?;
    let code = store::code_by_token(&mut c, token)
        .await?
        .ok_or_else(not_found)?;
    let school = units::get(&mut c, code.school_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(not_found)?;
    let district = unit_for_level(&mut c, &school, Level::District).await?;
    let addressee = match code.kind {
        CodeKind::School => school.name.clone(),
        CodeKind::Bureau => format!("{}教育局", district.name),
    };
    let mut replaced_by = None;
    let mut next = code.replaced_by;
    let mut hops = 0;
    while next > 0 && hops < 100 {
        let n = store::code_by_id(&mut c, next)
            .await?
            .ok_or_else(Error::internal)?;
        replaced_by = Some(n.token.clone());
        next = n.replaced_by;
        hops += 1;
    }
    let r = std::sync::Arc::new(Route {
        target: CodeTarget {
            token: code.token,
            kind: code.kind,
            school_id: school.id,
            school_name: school.name.clone(),
            addressee,
            replaced_by,
        },
        school,
        district,
    });
    app.caches.codes.put(token.to_owned(), r.clone());
    Ok(r)
}

/// Resolves a code from the gate.
pub async fn resolve_code(app: &App, token: &str) -> Result<CodeTarget> {
    Ok(route(app, token).await?.target.clone())
}

/// The city's calendar of days off, from a short-lived cache.
async fn calendar_cached(app: &App) -> Result<std::sync::Arc<Calendar>> {
    if let Some(c) = app.caches.calendar.get(&()) {
        return Ok(c);
    }
    let mut c = app.db.read().await?;
    let cal = std::sync::Arc::new(load_calendar(&mut c).await?);
    app.caches.calendar.put((), cal.clone());
    Ok(cal)
}

/// A school's two current codes, made on first ask.
pub async fn school_codes(app: &App, ctx: &Ctx, school_id: i64) -> Result<Vec<store::Code>> {
    let school =
        crate::access::unit_of_kind(app, ctx, school_id, UnitKind::School, Action::ManageAppeals)
            .await?;
    let mut c = app.db.read().await?;
    let have = store::current_codes(&mut c, school.id).await?;
    drop(c);
    if have.len() == CodeKind::ALL.len() {
        return Ok(have);
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let have = store::current_codes(&mut tx, school.id).await?;
    for kind in CodeKind::ALL {
        if !have.iter().any(|k| k.kind == kind) {
            store::insert_code(
                &mut tx,
                &random_token(18),
                school.id,
                kind,
                ctx.actor.account_id,
                now,
            )
            .await?;
        }
    }
    let out = store::current_codes(&mut tx, school.id).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "appeal.codes_issued",
            "unit",
            school.id,
            Some(school.id),
            "",
        ),
    )
    .await?;
    Ok(out)
}

/// Replaces one of a school's codes (a poster was defaced or copied
/// somewhere it should not be). The old code keeps working as a pointer
/// to the new one; it no longer takes appeals.
pub async fn rotate_code(
    app: &App,
    ctx: &Ctx,
    school_id: i64,
    kind: CodeKind,
) -> Result<store::Code> {
    let codes = school_codes(app, ctx, school_id).await?;
    let old = codes
        .iter()
        .find(|k| k.kind == kind)
        .ok_or_else(Error::internal)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let id = store::insert_code(
        &mut tx,
        &random_token(18),
        school_id,
        kind,
        ctx.actor.account_id,
        now,
    )
    .await?;
    store::replace_code(&mut tx, old.id, id).await?;
    app.caches.codes.clear();
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "appeal.code_rotated",
            "unit",
            school_id,
            Some(school_id),
            kind.as_str(),
        ),
    )
    .await?;
    let new = store::code_by_id(&mut tx, id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok(new)
}

/// Schools and their current codes in the actor's subtree (for printing
/// every poster at once); codes are made for schools that have none.
pub async fn codes_within(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
) -> Result<Vec<(Unit, Vec<store::Code>)>> {
    let mut c = app.db.read().await?;
    let root = units::get(&mut c, unit_id)
        .await?
        .ok_or_else(Error::not_found)?;
    drop(c);
    ctx.require(app, Action::ManageAppeals, root.id, &root.path)
        .await?;
    let mut c = app.db.read().await?;
    let schools: Vec<Unit> = if root.kind == UnitKind::School {
        vec![root.clone()]
    } else {
        units::search(
            &mut c,
            std::slice::from_ref(&root.path),
            Some(UnitKind::School),
            "",
            5000,
        )
        .await?
    };
    drop(c);
    let mut out = Vec::with_capacity(schools.len());
    for s in schools {
        let codes = school_codes(app, ctx, s.id).await?;
        out.push((s, codes));
    }
    Ok(out)
}

// ---------------------------------------------------------------- public side

/// What a parent sends from the public form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
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

#[derive(Debug, Clone, serde::Serialize)]
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

fn parse_category(raw: &str) -> Result<Category> {
    Category::parse(raw.trim()).ok_or_else(|| Error::invalid("category", "请选择反映的问题类别"))
}

/// Takes an appeal from the public form. It is in the database (and in the
/// audit log) before the receipt is returned.
pub async fn submit(app: &App, origin: &Origin, input: &PublicInput) -> Result<Receipt> {
    let route = route(app, input.qr_token.trim()).await?;
    let target = &route.target;
    if let Some(new) = &target.replaced_by {
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
    let cal = calendar_cached(app).await?;
    let d = app.settings.appeals.deadlines(level, category);
    let signals = crate::opinion::read(&text);
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

/// What every new appeal gets in its own transaction: its keywords for
/// opinion watch and, if it holds urgent words, a flag to the district.
async fn after_insert(
    c: &mut Conn,
    id: i64,
    text: &str,
    school_id: i64,
    district_id: i64,
    signals: &tongyu_domain::opinion::Signals,
    now: i64,
) -> Result<()> {
    crate::opinion::index_appeal(c, id, text, school_id, district_id, now).await?;
    if signals.is_urgent() {
        let words = signals.urgent.join("、");
        store::notify(
            c,
            district_id,
            id,
            &format!("紧急诉求：涉及“{words}”，请立即核实"),
            now,
        )
        .await?;
        store::add_event(
            c,
            &NewEvent {
                appeal_id: id,
                kind: "urgent",
                public: false,
                actor_id: 0,
                unit_id: district_id,
                text: &format!("含紧急词语“{words}”，已同时通知区(市)教育局"),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// One line of an appeal's history.
#[derive(Debug, Clone, serde::Serialize)]
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
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClockView {
    pub due: i64,
    pub due_local: String,
    pub state: ClockState,
    pub label: &'static str,
}

fn clock(start: i64, due: i64, done: i64, now: i64) -> ClockView {
    let state = ClockState::of(start, due, done, now);
    ClockView {
        due,
        due_local: format_local_minute(due),
        state,
        label: state.label(),
    }
}

/// What the parent sees on the status page.
#[derive(Debug, Clone, serde::Serialize)]
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
        created_local: format_local(a.created_at),
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
            format_local(a.replied_at)
        } else {
            String::new()
        },
        rating: a.rating,
        rating_label: a.rating.map_or("", |r| r.label()),
        can_rate: a.status == Status::Replied,
        rating_due_local: if a.status == Status::Replied {
            format_local(a.rating_due)
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
                at_local: format_local(e.created_at),
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

#[derive(Debug, Clone, Default, serde::Deserialize)]
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

/// Moves an appeal one level up (or, at the city, keeps it there) with
/// fresh clocks, and tells both units.
async fn escalate(c: &mut Conn, app: &App, a: &mut Appeal, why: &str, now: i64) -> Result<()> {
    let from_unit = a.unit_id;
    let here = units::get(c, a.unit_id)
        .await?
        .ok_or_else(Error::internal)?;
    let (level, unit) = match a.level.above() {
        Some(l) => (l, unit_for_level(c, &here, l).await?),
        None => (a.level, here),
    };
    let cal = load_calendar(c).await?;
    let d = app.settings.appeals.deadlines(level, a.category);
    a.level = level;
    a.unit_id = unit.id;
    a.status = Status::Received;
    a.handler_id = 0;
    a.escalations += 1;
    a.clock_start = now;
    a.contact_due = cal.add(now, d.first_contact);
    a.reply_due = cal.add(now, d.reply);
    a.contacted_at = 0;
    a.replied_at = 0;
    a.reply_policy.clear();
    a.reply_status.clear();
    a.reply_next_steps.clear();
    a.replied_by = 0;
    a.rating_due = 0;
    a.closed_at = 0;
    let handled_by = match level {
        Level::School => unit.name.clone(),
        _ => format!("{}教育局", unit.name),
    };
    store::add_event(
        c,
        &NewEvent {
            appeal_id: a.id,
            kind: "escalated",
            public: true,
            actor_id: 0,
            unit_id: unit.id,
            text: &format!("{why}，转由{handled_by}办理"),
        },
        now,
    )
    .await?;
    store::notify(c, unit.id, a.id, &format!("{why}，已转入本单位办理"), now).await?;
    if from_unit != unit.id {
        store::notify(
            c,
            from_unit,
            a.id,
            &format!("{why}，已上报{handled_by}"),
            now,
        )
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- staff side

/// One row of an inbox. The phone is masked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InboxRow {
    pub id: i64,
    /// The appeal's number; the parent's secret link is never shown to staff.
    pub number: String,
    pub source: Source,
    pub source_label: &'static str,
    pub category: Category,
    pub category_label: &'static str,
    pub excerpt: String,
    pub status: Status,
    pub status_label: &'static str,
    pub level: Level,
    pub unit_id: i64,
    pub unit_name: String,
    pub school_name: String,
    pub urgent: bool,
    pub escalations: i64,
    pub handler: String,
    pub first_contact: ClockView,
    pub reply_clock: ClockView,
    pub created_at: i64,
    pub created_local: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct InboxQuery {
    /// A status code; empty for all but spam.
    #[serde(default)]
    pub status: String,
    /// `mine` (the actor's units' own inboxes, the default) or `subtree`
    /// (everything held below them).
    #[serde(default)]
    pub scope: String,
    /// Only appeals with a clock past due, the most overdue first (up to
    /// `limit`, no further pages).
    #[serde(default)]
    pub overdue: bool,
    /// Keyset: appeals older than this id.
    #[serde(default)]
    pub before: i64,
    #[serde(default)]
    pub limit: i64,
}

/// The units whose inboxes the actor works: the units of their grants
/// that handle appeals (a school, a district, the city).
fn inbox_units(ctx: &Ctx) -> Vec<i64> {
    let roles = Action::HandleAppeals.roles();
    let mut ids: Vec<i64> = ctx
        .actor
        .grants
        .iter()
        .filter(|g| roles.contains(&g.role) && level_of_kind(g.unit_kind).is_some())
        .map(|g| g.unit_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub async fn inbox(app: &App, ctx: &Ctx, q: &InboxQuery) -> Result<Vec<InboxRow>> {
    let status = match q.status.trim() {
        "" => None,
        s => Some(Status::parse(s).ok_or_else(|| Error::invalid("status", "未知的办理状态"))?),
    };
    let limit = if q.limit <= 0 { 50 } else { q.limit.min(200) };
    let now = app.now();
    let mut rows = Vec::new();
    let mut c = app.db.read().await?;
    let base = InboxFilter {
        status,
        overdue_at: q.overdue.then_some(now),
        before_id: q.before,
        limit,
        ..InboxFilter::default()
    };
    if q.scope == "subtree" {
        for root in ctx.actor.scope(Action::HandleAppeals) {
            let f = InboxFilter {
                path: Some(root),
                ..base.clone()
            };
            rows.extend(store::inbox(&mut c, &f).await?);
        }
        if q.overdue {
            rows.sort_by_key(|a| (a.contact_due.min(a.reply_due), a.id));
        } else {
            rows.sort_by_key(|a| std::cmp::Reverse(a.id));
        }
        rows.dedup_by_key(|a| a.id);
        rows.truncate(usize::try_from(limit).unwrap_or(50));
    } else {
        let units = inbox_units(ctx);
        if units.is_empty() {
            return Err(Error::forbidden());
        }
        let f = InboxFilter { units, ..base };
        rows = store::inbox(&mut c, &f).await?;
    }
    let mut unit_ids: Vec<i64> = rows.iter().flat_map(|a| [a.unit_id, a.school_id]).collect();
    unit_ids.retain(|id| *id > 0);
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let names: HashMap<i64, String> = units::get_many(&mut c, &unit_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut handler_ids: Vec<i64> = rows
        .iter()
        .map(|a| a.handler_id)
        .filter(|h| *h > 0)
        .collect();
    handler_ids.sort_unstable();
    handler_ids.dedup();
    let handlers = accounts::display_names(&mut c, &handler_ids).await?;
    Ok(rows
        .into_iter()
        .map(|a| {
            inbox_row(
                &a,
                names.get(&a.unit_id).cloned().unwrap_or_default(),
                names.get(&a.school_id).cloned().unwrap_or_default(),
                handlers.get(&a.handler_id).cloned().unwrap_or_default(),
                now,
            )
        })
        .collect())
}

/// An appeal as a line of an inbox, its clocks read at `now`.
fn inbox_row(
    a: &Appeal,
    unit_name: String,
    school_name: String,
    handler: String,
    now: i64,
) -> InboxRow {
    InboxRow {
        id: a.id,
        number: number(a.id),
        source: a.source,
        source_label: a.source.label(),
        category: a.category,
        category_label: a.category.label(),
        excerpt: a.text.chars().take(60).collect(),
        status: a.status,
        status_label: a.status.label(),
        level: a.level,
        unit_id: a.unit_id,
        unit_name,
        school_name,
        urgent: a.urgent,
        escalations: a.escalations,
        handler,
        first_contact: clock(a.clock_start, a.contact_due, a.contacted_at, now),
        reply_clock: clock(a.clock_start, a.reply_due, a.replied_at, now),
        created_at: a.created_at,
        created_local: format_local(a.created_at),
    }
}

/// Unread notices of the actor's inboxes.
pub async fn notices(app: &App, ctx: &Ctx) -> Result<Vec<store::Notice>> {
    let mut c = app.db.read().await?;
    store::unread_notices(&mut c, &inbox_units(ctx), 20).await
}

/// Everything staff see of one appeal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Detail {
    pub row: InboxRow,
    pub text: String,
    pub contact_name: String,
    /// In full for the handler; masked for everyone else.
    pub contact_phone: String,
    pub phone_masked: bool,
    pub external_ref: String,
    pub handler_id: i64,
    pub reply: Reply,
    pub reply_published: bool,
    pub rating: Option<Rating>,
    pub rating_label: &'static str,
    pub rating_comment: String,
    pub events: Vec<EventView>,
    /// May the actor work it (it sits in their scope), sign off its reply?
    pub can_handle: bool,
    pub can_sign_off: bool,
    /// Accounts who may be assigned: (id, name).
    pub handlers: Vec<(i64, String)>,
    /// How many photos the parent sent (served at `/appeals/{id}/photos/{n}`).
    pub photos: usize,
    /// Where the actor may transfer it: (id, name), the bureaus first.
    pub transfer_to: Vec<(i64, String)>,
    /// A spam mark waiting for the level above: why, and who proposed it
    /// (empty when there is none).
    pub spam_reason: String,
    pub spam_by: String,
    /// The actor is the level above who may confirm or reject that mark.
    pub can_decide_spam: bool,
}

/// One appeal, for staff whose scope holds it. Reading it is audited: it
/// holds a parent's words and contact, often about a child.
pub async fn detail(app: &App, ctx: &Ctx, id: i64) -> Result<Detail> {
    let mut c = app.db.read().await?;
    let (a, unit) = crate::access::appeal(app, ctx, &mut c, id, Action::HandleAppeals).await?;
    let events = store::events(&mut c, a.id, false).await?;
    let mut people: Vec<i64> = events
        .iter()
        .map(|e| e.actor_id)
        .filter(|x| *x > 0)
        .collect();
    people.push(a.handler_id);
    people.push(a.spam_by);
    people.sort_unstable();
    people.dedup();
    let names = accounts::display_names(&mut c, &people).await?;
    let school = if a.school_id > 0 {
        units::get(&mut c, a.school_id).await?
    } else {
        None
    };
    let candidates =
        accounts::with_roles_at(&mut c, unit.id, Action::HandleAppeals.roles()).await?;
    let photos = store::photo_tokens(&mut c, a.id).await?.len();
    let transfer_to = transfer_targets(ctx, &mut c, &unit).await?;
    let can_decide_spam = spam::may_decide(&mut c, ctx, &a).await?;
    drop(c);
    let is_handler = a.handler_id == ctx.actor.account_id;
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "appeal.read",
            "appeal",
            a.id,
            Some(unit.id),
            if is_handler { "contact shown" } else { "" },
        ),
    )
    .await?;
    let now = app.now();
    let published = a.replied_at > 0 && matches!(a.status, Status::Replied | Status::Closed);
    Ok(Detail {
        row: inbox_row(
            &a,
            unit.name.clone(),
            school.map(|s| s.name).unwrap_or_default(),
            names.get(&a.handler_id).cloned().unwrap_or_default(),
            now,
        ),
        text: a.text.clone(),
        contact_name: app.open(field::APPEAL_CONTACT_NAME, &a.contact_name),
        contact_phone: if is_handler {
            app.open(field::APPEAL_CONTACT_PHONE, &a.contact_phone)
        } else {
            mask_phone(&app.open(field::APPEAL_CONTACT_PHONE, &a.contact_phone))
        },
        phone_masked: !is_handler && !a.contact_phone.is_empty(),
        external_ref: a.external_ref.clone(),
        handler_id: a.handler_id,
        reply: Reply {
            policy: a.reply_policy.clone(),
            status: a.reply_status.clone(),
            next_steps: a.reply_next_steps.clone(),
        },
        reply_published: published,
        rating: a.rating,
        rating_label: a.rating.map_or("", |r| r.label()),
        rating_comment: a.rating_comment.clone(),
        events: events
            .into_iter()
            .map(|e| EventView {
                by: names.get(&e.actor_id).cloned().unwrap_or_default(),
                kind: e.kind,
                text: e.text,
                at: e.created_at,
                at_local: format_local(e.created_at),
                public: e.public,
            })
            .collect(),
        can_handle: a.status.is_open() || a.status == Status::Replied,
        can_sign_off: a.status == Status::AwaitingSignOff
            && ctx.actor.can(Action::SignOffAppeals, &unit.path),
        handlers: candidates,
        photos,
        transfer_to,
        spam_reason: a.spam_reason.clone(),
        spam_by: names.get(&a.spam_by).cloned().unwrap_or_default(),
        can_decide_spam,
    })
}

/// The units an appeal held by `here` may be handed to by the actor: the
/// city and the district above it, and the district's schools, as far as
/// the actor's scope reaches; not `here` itself.
async fn transfer_targets(ctx: &Ctx, c: &mut Conn, here: &Unit) -> Result<Vec<(i64, String)>> {
    let ids = path_ids(&here.path);
    let above = units::get_many(c, &ids).await?;
    let mut out: Vec<(i64, String)> = Vec::new();
    let mut district_path = None;
    for u in &above {
        match u.kind {
            UnitKind::City | UnitKind::District => {
                if u.kind == UnitKind::District {
                    district_path = Some(u.path.clone());
                }
                if u.id != here.id && ctx.actor.can(Action::HandleAppeals, &u.path) {
                    out.push((u.id, format!("{}教育局", u.name)));
                }
            }
            _ => {}
        }
    }
    if let Some(path) = district_path {
        let roots: Vec<String> = ctx
            .actor
            .scope(Action::HandleAppeals)
            .into_iter()
            .filter(|r| r.starts_with(&path) || path.starts_with(r.as_str()))
            .map(|r| {
                if r.len() > path.len() {
                    r
                } else {
                    path.clone()
                }
            })
            .collect();
        for s in units::search(c, &roots, Some(UnitKind::School), "", 1000).await? {
            if s.id != here.id {
                out.push((s.id, s.name));
            }
        }
    }
    Ok(out)
}

/// Loads an appeal for a change inside the write transaction, checks the
/// actor's scope and that it is still open.
async fn for_change(
    app: &App,
    ctx: &Ctx,
    c: &mut Conn,
    id: i64,
    action: Action,
) -> Result<(Appeal, Unit)> {
    let (a, unit) = crate::access::appeal(app, ctx, c, id, action).await?;
    if matches!(a.status, Status::Closed | Status::Spam) {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "这件诉求已办结或已标记为无效，不能再修改",
        ));
    }
    Ok((a, unit))
}

async fn staff_event(
    c: &mut Conn,
    ctx: &Ctx,
    a: &Appeal,
    kind: &str,
    public: bool,
    text: &str,
    now: i64,
) -> Result<()> {
    store::add_event(
        c,
        &NewEvent {
            appeal_id: a.id,
            kind,
            public,
            actor_id: ctx.actor.account_id,
            unit_id: a.unit_id,
            text,
        },
        now,
    )
    .await?;
    Ok(())
}

async fn finish(
    app: &App,
    ctx: &Ctx,
    mut tx: tongyu_store::Tx,
    a: &Appeal,
    action: &str,
    detail: &str,
    now: i64,
) -> Result<()> {
    store::save(&mut tx, a, now).await?;
    store::read_notices(&mut tx, &[a.unit_id], a.id, now).await?;
    audit::commit_audited(
        tx,
        &audit::entry(app, ctx, action, "appeal", a.id, Some(a.unit_id), detail),
    )
    .await
}

/// Gives an appeal to a handler: someone who may handle appeals at the
/// appeal's unit.
pub async fn assign(app: &App, ctx: &Ctx, id: i64, handler_id: i64) -> Result<()> {
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, unit) = for_change(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    let candidates =
        accounts::with_roles_at(&mut tx, unit.id, Action::HandleAppeals.roles()).await?;
    let Some((_, name)) = candidates.iter().find(|(cid, _)| *cid == handler_id) else {
        return Err(Error::invalid(
            "handler_id",
            "只能指派本单位负责诉求办理的人员",
        ));
    };
    a.handler_id = handler_id;
    staff_event(
        &mut tx,
        ctx,
        &a,
        "assigned",
        false,
        &format!("指派{name}办理"),
        now,
    )
    .await?;
    finish(
        app,
        ctx,
        tx,
        &a,
        "appeal.assigned",
        &handler_id.to_string(),
        now,
    )
    .await
}

/// Records that the parent was contacted (the first-contact clock stops),
/// with how and what was said. With `public`, the note shows on the
/// status page too (for a parent who left no phone).
pub async fn contact(app: &App, ctx: &Ctx, id: i64, note: &str, public: bool) -> Result<()> {
    let note = note.trim();
    if note.chars().count() < 4 {
        return Err(Error::invalid("note", "请简要记录联系方式和沟通内容"));
    }
    if note.chars().count() > 1000 {
        return Err(Error::invalid("note", "记录不能超过1000字"));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, _) = for_change(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    if a.contacted_at == 0 {
        a.contacted_at = now;
        if now > a.contact_due {
            a.contact_late = true;
        }
    }
    if a.status == Status::Received {
        a.status = Status::InProgress;
    }
    if a.handler_id == 0 {
        a.handler_id = ctx.actor.account_id;
    }
    staff_event(&mut tx, ctx, &a, "contacted", false, note, now).await?;
    let shown = if public {
        format!("办理人员留言：{note}")
    } else {
        "办理人员已与您联系".to_owned()
    };
    staff_event(&mut tx, ctx, &a, "contacted_public", true, &shown, now).await?;
    finish(app, ctx, tx, &a, "appeal.contacted", "", now).await
}

/// An internal note: never shown to the parent.
pub async fn note(app: &App, ctx: &Ctx, id: i64, text: &str) -> Result<()> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(Error::invalid("note", "备注不能为空，且不超过2000字"));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (a, _) = crate::access::appeal(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    staff_event(&mut tx, ctx, &a, "note", false, text, now).await?;
    finish(app, ctx, tx, &a, "appeal.noted", "", now).await
}

/// Hands an appeal to another unit in the actor's scope (a school, a
/// district or the city), with the reason. The clocks keep running: a
/// transfer buys no time.
pub async fn transfer(app: &App, ctx: &Ctx, id: i64, to_unit: i64, reason: &str) -> Result<()> {
    let reason = reason.trim();
    if reason.chars().count() < 4 {
        return Err(Error::invalid("reason", "请说明转办原因"));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, _) = for_change(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    let target = units::get(&mut tx, to_unit)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| Error::invalid("unit_id", "没有这个单位"))?;
    let Some(level) = level_of_kind(target.kind) else {
        return Err(Error::invalid(
            "unit_id",
            "只能转给学校、区(市)教育局或市教育局",
        ));
    };
    if !ctx.actor.can(Action::HandleAppeals, &target.path) {
        return Err(Error::invalid("unit_id", "只能转给您管辖范围内的单位"));
    }
    if target.id == a.unit_id {
        return Err(Error::invalid("unit_id", "这件诉求已在该单位办理"));
    }
    let from = a.unit_id;
    a.unit_id = target.id;
    a.level = level;
    a.handler_id = 0;
    if target.kind == UnitKind::School {
        a.school_id = target.id;
    }
    let handled_by = match level {
        Level::School => target.name.clone(),
        _ => format!("{}教育局", target.name),
    };
    staff_event(
        &mut tx,
        ctx,
        &a,
        "transferred",
        false,
        &format!("转办原因：{reason}"),
        now,
    )
    .await?;
    staff_event(
        &mut tx,
        ctx,
        &a,
        "transferred_public",
        true,
        &format!("已转由{handled_by}办理"),
        now,
    )
    .await?;
    store::notify(&mut tx, target.id, a.id, &format!("转办：{reason}"), now).await?;
    store::read_notices(&mut tx, &[from], a.id, now).await?;
    finish(
        app,
        ctx,
        tx,
        &a,
        "appeal.transferred",
        &to_unit.to_string(),
        now,
    )
    .await
}

/// Writes the three-part reply. Where the level asks for a sign-off it
/// waits for one; otherwise the parent sees it at once and may rate it.
pub async fn reply(app: &App, ctx: &Ctx, id: i64, r: &Reply) -> Result<Status> {
    let r = r.check()?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, _) = for_change(app, ctx, &mut tx, id, Action::HandleAppeals).await?;
    if a.status == Status::Replied {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "已答复，等待家长评价；家长不满意时会重新办理",
        ));
    }
    a.reply_policy = r.policy;
    a.reply_status = r.status;
    a.reply_next_steps = r.next_steps;
    a.replied_by = ctx.actor.account_id;
    if a.handler_id == 0 {
        a.handler_id = ctx.actor.account_id;
    }
    if app.settings.appeals.sign_off.contains(&a.level) {
        a.status = Status::AwaitingSignOff;
        staff_event(
            &mut tx,
            ctx,
            &a,
            "reply_drafted",
            false,
            "答复已提交，等待审核",
            now,
        )
        .await?;
    } else {
        publish(&mut tx, app, ctx, &mut a, now).await?;
    }
    let status = a.status;
    finish(app, ctx, tx, &a, "appeal.replied", status.as_str(), now).await?;
    Ok(status)
}

async fn publish(c: &mut Conn, app: &App, ctx: &Ctx, a: &mut Appeal, now: i64) -> Result<()> {
    let cal = load_calendar(c).await?;
    a.status = Status::Replied;
    a.replied_at = now;
    if now > a.reply_due {
        a.reply_late = true;
    }
    if a.contacted_at == 0 {
        // A reply reaches the parent: that is contact too.
        a.contacted_at = now;
        if now > a.contact_due {
            a.contact_late = true;
        }
    }
    a.rating_due = cal.add(now, app.settings.appeals.rating_window);
    staff_event(
        c,
        ctx,
        a,
        "replied",
        true,
        "已答复，请查看答复内容并评价",
        now,
    )
    .await
}

/// A supervisor approves a waiting reply (the parent sees it) or sends it
/// back with a comment.
pub async fn sign_off(
    app: &App,
    ctx: &Ctx,
    id: i64,
    approve: bool,
    comment: &str,
) -> Result<Status> {
    let comment = comment.trim();
    let now = app.now();
    let mut tx = app.db.write().await?;
    let (mut a, _) = for_change(app, ctx, &mut tx, id, Action::SignOffAppeals).await?;
    if a.status != Status::AwaitingSignOff {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "这件诉求没有待审核的答复",
        ));
    }
    // Four eyes: whoever wrote the reply does not approve it.
    if approve && a.replied_by == ctx.actor.account_id {
        drop(tx);
        return Err(audit::refuse(
            app,
            ctx,
            Action::SignOffAppeals,
            "appeal",
            id,
            Some(a.unit_id),
            "答复须由另一位负责人审核，不能审核自己写的答复",
        )
        .await);
    }
    if approve {
        staff_event(&mut tx, ctx, &a, "signed_off", false, "答复审核通过", now).await?;
        publish(&mut tx, app, ctx, &mut a, now).await?;
    } else {
        if comment.chars().count() < 4 {
            return Err(Error::invalid("comment", "退回时请写明需要修改的地方"));
        }
        a.status = Status::InProgress;
        staff_event(
            &mut tx,
            ctx,
            &a,
            "sign_off_returned",
            false,
            &format!("答复退回：{comment}"),
            now,
        )
        .await?;
    }
    let status = a.status;
    finish(
        app,
        ctx,
        tx,
        &a,
        "appeal.signed_off",
        if approve { "approved" } else { "returned" },
        now,
    )
    .await?;
    Ok(status)
}

// ---------------------------------------------------------------- clocks

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    pub warned: usize,
    pub escalated: usize,
    pub overdue_at_top: usize,
    pub closed_without_rating: usize,
}

/// Runs the clocks: an open appeal past a deadline escalates one level
/// (the city's stays, flagged); a reply not rated in time closes as "no
/// feedback". Safe to run from several instances: each appeal is changed
/// in a transaction that first re-reads it.
pub async fn sweep(app: &App) -> Result<SweepReport> {
    let now = app.now();
    let mut report = SweepReport::default();
    let mut c = app.db.read().await?;
    let mut soon = store::due_soon(&mut c, now, 500).await?;
    soon.extend(store::reply_due_soon_at_top(&mut c, now, 500).await?);
    let mut due = store::overdue(&mut c, now, 500).await?;
    due.extend(store::overdue_replies_at_top(&mut c, now, 500).await?);
    let expired = store::rating_expired(&mut c, now, 500).await?;
    drop(c);
    for early in soon {
        let mut tx = app.db.write().await?;
        let Some(mut a) = store::get(&mut tx, early.id).await? else {
            continue;
        };
        // The contact clock runs until it is met or, at the city, flagged.
        let next =
            if a.contacted_at == 0 && a.contact_due < a.reply_due && a.contact_due > a.swept_at {
                a.contact_due
            } else {
                a.reply_due
            };
        if !a.status.is_open() || a.warned_due >= next || next <= now {
            continue;
        }
        a.warned_due = next;
        let what = if a.contacted_at == 0 && next == a.contact_due {
            "联系家长"
        } else {
            "答复"
        };
        store::notify(
            &mut tx,
            a.unit_id,
            a.id,
            &format!("即将超时：请在 {} 前{what}", format_local_minute(next)),
            now,
        )
        .await?;
        store::save(&mut tx, &a, now).await?;
        tx.commit().await.db()?;
        report.warned += 1;
    }
    for stale in due {
        let mut tx = app.db.write().await?;
        let Some(mut a) = store::get(&mut tx, stale.id).await? else {
            continue;
        };
        let contact_over =
            a.contacted_at == 0 && a.contact_due <= now && a.contact_due > a.swept_at;
        let reply_over = a.replied_at == 0 && a.reply_due <= now && a.reply_due > a.swept_at;
        if !a.status.is_open() || !(contact_over || reply_over) {
            continue;
        }
        if contact_over {
            a.contact_late = true;
        }
        if reply_over {
            a.reply_late = true;
        }
        a.swept_at = now;
        let what = if contact_over {
            "未在时限内联系家长"
        } else {
            "未在时限内答复"
        };
        if a.level.above().is_some() {
            escalate(&mut tx, app, &mut a, &format!("{what}（已超时）"), now).await?;
            report.escalated += 1;
        } else {
            store::add_event(
                &mut tx,
                &NewEvent {
                    appeal_id: a.id,
                    kind: "overdue",
                    public: true,
                    actor_id: 0,
                    unit_id: a.unit_id,
                    text: &format!("{what}，已超时"),
                },
                now,
            )
            .await?;
            store::notify(&mut tx, a.unit_id, a.id, &format!("{what}，已超时"), now).await?;
            report.overdue_at_top += 1;
        }
        store::save(&mut tx, &a, now).await?;
        audit::commit_audited(tx, &system_entry(app, "appeal.overdue", a.id, a.unit_id)).await?;
    }
    for stale in expired {
        let mut tx = app.db.write().await?;
        let Some(mut a) = store::get(&mut tx, stale.id).await? else {
            continue;
        };
        if a.status != Status::Replied || a.rating_due > now {
            continue;
        }
        a.status = Status::Closed;
        a.rating = Some(Rating::NoFeedback);
        a.closed_at = now;
        store::add_event(
            &mut tx,
            &NewEvent {
                appeal_id: a.id,
                kind: "closed",
                public: true,
                actor_id: 0,
                unit_id: a.unit_id,
                text: "评价期限已过，诉求按“未评价”办结",
            },
            now,
        )
        .await?;
        store::save(&mut tx, &a, now).await?;
        audit::commit_audited(
            tx,
            &system_entry(app, "appeal.closed_no_feedback", a.id, a.unit_id),
        )
        .await?;
        report.closed_without_rating += 1;
    }
    Ok(report)
}

/// An appeal's entry by the system (its clocks).
pub(crate) fn system_entry(app: &App, action: &str, id: i64, unit_id: i64) -> AuditEntry {
    audit::system(app, action, "appeal", id, Some(unit_id))
}

/// Runs [`sweep`] every `every` seconds until the process ends.
pub fn start_sweeper(app: App, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep(&app).await {
                Ok(r) if r != SweepReport::default() => {
                    tracing::info!(
                        warned = r.warned,
                        escalated = r.escalated,
                        at_top = r.overdue_at_top,
                        closed = r.closed_without_rating,
                        "appeal clocks"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "appeal sweep failed"),
            }
        }
    })
}

// ---------------------------------------------------------------- calendar

#[derive(Debug, Clone, serde::Serialize)]
pub struct CalendarDay {
    pub date: String,
    pub kind: DayKind,
    pub note: String,
}

pub async fn calendar(app: &App) -> Result<Vec<CalendarDay>> {
    let mut c = app.db.read().await?;
    Ok(store::calendar(&mut c)
        .await?
        .into_iter()
        .map(|(d, kind, note)| CalendarDay {
            date: format_date(d),
            kind,
            note,
        })
        .collect())
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DayInput {
    pub date: String,
    /// `holiday`, `workday`, or empty to return the day to the usual week.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

/// Sets a day of the city's calendar. Only the city decides holidays.
pub async fn set_day(app: &App, ctx: &Ctx, input: &DayInput) -> Result<()> {
    let mut c = app.db.read().await?;
    let city = units::city(&mut c).await?.ok_or_else(Error::not_found)?;
    drop(c);
    ctx.require(app, Action::ManageAppeals, city.id, &city.path)
        .await?;
    let day =
        parse_date(&input.date).ok_or_else(|| Error::invalid("date", "日期格式应为 2026-10-01"))?;
    let kind = match input.kind.trim() {
        "" => None,
        k => Some(DayKind::parse(k).ok_or_else(|| {
            Error::invalid("kind", "类型应为 holiday（放假）或 workday（调休上班）")
        })?),
    };
    let note = input.note.trim();
    if note.chars().count() > 50 {
        return Err(Error::invalid("note", "说明不能超过50字"));
    }
    let mut tx = app.db.write().await?;
    store::set_day(&mut tx, day, kind, note).await?;
    app.caches.calendar.clear();
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "calendar.set_day",
            "calendar",
            &input.date,
            Some(city.id),
            input.kind.trim(),
        ),
    )
    .await?;
    tx.commit().await.db()
}
