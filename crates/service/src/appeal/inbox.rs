//! The staff side: inboxes, an appeal's detail, and what staff do with
//! it (assign, contact, note, transfer, reply, sign off).

use super::*;

/// One row of an inbox. The phone is masked.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
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
    /// `due`: only appeals with a clock running, the earliest deadline
    /// first (up to `limit`, no further pages); otherwise the newest first.
    #[serde(default)]
    pub order: String,
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

/// The deadline an appeal's handler must meet next (as the store's
/// `next_due`); none once no clock runs.
fn pending_due(a: &Appeal) -> i64 {
    if !a.status.is_open() {
        return i64::MAX;
    }
    match (a.contacted_at > 0, a.replied_at > 0) {
        (false, false) => a.contact_due.min(a.reply_due),
        (_, false) => a.reply_due,
        (false, true) => a.contact_due,
        (true, true) => i64::MAX,
    }
}

/// The open appeals in the actor's own inboxes, by deadline, read at
/// `now`; None for someone who handles no inbox.
pub async fn open_counts(app: &App, ctx: &Ctx) -> Result<Option<OpenCounts>> {
    let units = inbox_units(ctx);
    if units.is_empty() {
        return Ok(None);
    }
    let mut c = app.db.read().await?;
    Ok(Some(store::open_counts(&mut c, &units, app.now()).await?))
}

/// [`open_counts`] for the menu of every page: read from a cache at most
/// `CACHE_TTL` old.
pub async fn menu_counts(app: &App, ctx: &Ctx) -> Result<Option<OpenCounts>> {
    let units = inbox_units(ctx);
    if units.is_empty() {
        return Ok(None);
    }
    if let Some(hit) = app.caches.inbox_counts.get(&units) {
        return Ok(Some(hit));
    }
    let counts = {
        let mut c = app.db.read().await?;
        store::open_counts(&mut c, &units, app.now()).await?
    };
    app.caches.inbox_counts.put(units, counts);
    Ok(Some(counts))
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
    let by_due = q.overdue || q.order == "due";
    let base = InboxFilter {
        status,
        overdue_at: q.overdue.then_some(now),
        open_by_due: q.order == "due",
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
        if by_due {
            rows.sort_by_key(|a| (pending_due(a), a.id));
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
    rows_of(&mut c, rows, now).await
}

/// Appeals as inbox lines, with the names of their units and handlers.
pub(crate) async fn rows_of(c: &mut Conn, rows: Vec<Appeal>, now: i64) -> Result<Vec<InboxRow>> {
    let mut unit_ids: Vec<i64> = rows.iter().flat_map(|a| [a.unit_id, a.school_id]).collect();
    unit_ids.retain(|id| *id > 0);
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let names: HashMap<i64, String> = units::get_many(c, &unit_ids)
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
    let handlers = accounts::display_names(c, &handler_ids).await?;
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
        created_local: format_local_minute(a.created_at),
    }
}

/// Unread notices of the actor's inboxes.
pub async fn notices(app: &App, ctx: &Ctx) -> Result<Vec<store::Notice>> {
    let mut c = app.db.read().await?;
    store::unread_notices(&mut c, &inbox_units(ctx), 20).await
}

/// Everything staff see of one appeal.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "AppealDetail")]
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
    /// A revision of the published reply waiting for sign-off.
    pub revision: Option<RevisionView>,
    /// How many times the published reply was revised.
    pub reply_revisions: i64,
    /// The reply is published and unrated, with no revision waiting: the
    /// actor may revise it (修改答复).
    pub can_revise: bool,
}

/// A revision waiting for sign-off, as staff see it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct RevisionView {
    pub reply: Reply,
    pub reason: String,
    pub by: String,
    pub by_id: i64,
    pub at_local: String,
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
    people.push(a.revision.by);
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
    let revising = a.status == Status::Replied && a.revision.by > 0;
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
                at_local: format_local_minute(e.created_at),
                public: e.public,
            })
            .collect(),
        can_handle: a.status.is_open() || a.status == Status::Replied,
        can_sign_off: (a.status == Status::AwaitingSignOff || revising)
            && ctx.actor.can(Action::SignOffAppeals, &unit.path),
        revision: revising.then(|| RevisionView {
            reply: Reply {
                policy: a.revision.policy.clone(),
                status: a.revision.status.clone(),
                next_steps: a.revision.next_steps.clone(),
            },
            reason: a.revision.reason.clone(),
            by: names.get(&a.revision.by).cloned().unwrap_or_default(),
            by_id: a.revision.by,
            at_local: format_local_minute(a.revision.at),
        }),
        reply_revisions: a.reply_revisions,
        can_revise: a.status == Status::Replied && !revising,
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
pub(super) async fn for_change(
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

pub(super) async fn staff_event(
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

pub(super) async fn finish(
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
