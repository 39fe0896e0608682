//! Appeals raised on a parent's behalf: by staff (a home visit, the
//! principal's mailbox, a call to the bureau) or by the 12345 hotline's
//! integration. Staff get the appeal's number; the parent's link goes to
//! the parent's phone.

use super::*;
use crate::crypto::field;

/// An appeal taken down for a parent: from the hotline, a home visit, the
/// principal's mailbox or the bureau's telephone.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct OnBehalfInput {
    pub source: String,
    /// The source's own reference (the hotline's ticket number); an appeal
    /// with a reference already taken is not made twice.
    #[serde(default)]
    pub external_ref: String,
    /// The school it concerns, or a district when it names none.
    pub unit_id: i64,
    pub category: String,
    pub text: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Raised {
    pub id: i64,
    pub number: String,
    /// Already taken under the same reference: nothing changed.
    pub existing: bool,
    /// The parent's link went to the contact phone by text message.
    pub link_sent: bool,
}

/// The units an appeal taken by staff may be routed to: the districts and
/// schools in the actor's scope, schools matching `q` (a part of the name)
/// when given, at most `limit` schools.
pub async fn raise_targets(
    app: &App,
    ctx: &Ctx,
    q: &str,
    limit: i64,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>)> {
    let roots = ctx.actor.scope(Action::HandleAppeals);
    if roots.is_empty() {
        return Err(Error::forbidden());
    }
    let mut c = app.db.read().await?;
    let districts = units::search(&mut c, &roots, Some(UnitKind::District), "", 100).await?;
    let schools = units::search(&mut c, &roots, Some(UnitKind::School), q.trim(), limit).await?;
    let pair = |u: Unit| (u.id, u.name);
    Ok((
        districts.into_iter().map(pair).collect(),
        schools.into_iter().map(pair).collect(),
    ))
}

/// Raises an appeal on a parent's behalf, routed to the named school (or
/// district bureau). The caller must handle appeals at that unit.
pub async fn raise(app: &App, ctx: &Ctx, input: &OnBehalfInput) -> Result<Raised> {
    let source = Source::parse(input.source.trim())
        .filter(|s| *s != Source::Qr)
        .ok_or_else(|| {
            Error::invalid(
                "source",
                "来源应为 hotline、home_visit、principal_mailbox 或 bureau_phone",
            )
        })?;
    let mut c = app.db.read().await?;
    let unit = units::get(&mut c, input.unit_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| Error::invalid("unit_id", "没有这个学校或区(市)"))?;
    drop(c);
    ctx.require(app, Action::HandleAppeals, unit.id, &unit.path)
        .await?;
    raise_checked(
        app,
        &audit::entry(
            app,
            ctx,
            "appeal.raised",
            "appeal",
            0,
            Some(unit.id),
            source.as_str(),
        ),
        source,
        &unit,
        input,
        &ctx.actor.scope(Action::HandleAppeals),
    )
    .await
}

/// Raises an appeal whose caller was already authorised (a signed-in
/// member of staff, or the hotline's integration token). `scope` is the
/// roots of the subtrees the caller handles appeals in: an earlier appeal
/// under the same reference is handed back only if it lies there.
pub async fn raise_checked(
    app: &App,
    entry: &AuditEntry,
    source: Source,
    unit: &Unit,
    input: &OnBehalfInput,
    scope: &[String],
) -> Result<Raised> {
    let level = match unit.kind {
        UnitKind::School => Level::School,
        UnitKind::District => Level::District,
        _ => return Err(Error::invalid("unit_id", "诉求应转给学校或区(市)教育局")),
    };
    let external_ref = input.external_ref.trim();
    if external_ref.chars().count() > 64 {
        return Err(Error::invalid("external_ref", "工单编号不能超过64个字符"));
    }
    if source == Source::Hotline && external_ref.is_empty() {
        return Err(Error::invalid("external_ref", "12345 工单须填写工单编号"));
    }
    let category = parse_category(&input.category)?;
    let text = check_text("text", &input.text)?;
    let name = check_name(&input.contact_name)?;
    let phone = check_phone(&input.contact_phone)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    if !external_ref.is_empty()
        && let Some(a) = store::by_external_ref(&mut tx, source, external_ref).await?
    {
        let mut paths = Vec::new();
        for id in [a.unit_id, a.school_id] {
            if let Some(u) = units::get(&mut tx, id).await? {
                paths.push(u.path);
            }
        }
        tx.commit().await.db()?;
        let in_scope = paths.iter().any(|p| {
            scope
                .iter()
                .any(|root| tongyu_domain::org::path_within(p, root))
        });
        if !in_scope {
            return Err(Error::with_message(
                ErrorCode::Conflict,
                format!("编号“{external_ref}”已被其他单位受理的诉求使用，请核对编号"),
            ));
        }
        return Ok(Raised {
            id: a.id,
            number: number(a.id),
            existing: true,
            link_sent: false,
        });
    }
    let district = unit_for_level(&mut tx, unit, Level::District).await?;
    let signals = crate::opinion::read(&text, &*crate::plan::current(app).await?);
    let cal = crate::calendar::load_calendar(&mut tx).await?;
    let d = app.settings.appeals.deadlines(level, category);
    let code = new_tracking_code();
    let key = crate::auth::token_hash(&dedupe_key(
        &text,
        &format!("{}:{external_ref}", source.as_str()),
    ));
    let new = NewAppeal {
        tracking_code: &code,
        source,
        external_ref: (!external_ref.is_empty()).then_some(external_ref),
        school_id: if unit.kind == UnitKind::School {
            unit.id
        } else {
            0
        },
        unit_id: unit.id,
        level,
        category,
        text: &text,
        contact_name: &app.seal(field::APPEAL_CONTACT_NAME, &name),
        contact_phone: &app.seal(field::APPEAL_CONTACT_PHONE, &phone),
        dedupe_key: &key,
        sender_device: "",
        urgent: signals.is_urgent(),
        contact_due: cal.add(now, d.first_contact),
        reply_due: cal.add(now, d.reply),
    };
    let id = store::insert(&mut tx, &new, now).await?;
    store::add_event(
        &mut tx,
        &NewEvent {
            appeal_id: id,
            kind: "received",
            public: true,
            actor_id: entry.actor_id.unwrap_or(0),
            unit_id: unit.id,
            text: &format!("经{}受理", source.label()),
        },
        now,
    )
    .await?;
    store::notify(
        &mut tx,
        unit.id,
        id,
        &format!("新诉求（{}）", source.label()),
        now,
    )
    .await?;
    let school_id = if unit.kind == UnitKind::School {
        unit.id
    } else {
        0
    };
    after_insert(&mut tx, id, &text, school_id, district.id, &signals, now).await?;
    // The parent's link goes to the parent's phone, never to the staff
    // member who raised the appeal.
    let sms = if phone.is_empty() {
        None
    } else {
        let link = format!("{}/a/{code}", app.settings.public_url.trim_end_matches('/'));
        Some(
            crate::sms::enqueue(
                app,
                &mut tx,
                &phone,
                crate::sms::Template::AppealLink,
                &[("link", &link)],
                now,
            )
            .await?,
        )
    };
    let mut e = entry.clone();
    e.object_id = id.to_string();
    audit::commit_audited(tx, &e).await?;
    if let Some(sms) = sms {
        crate::sms::deliver(app, sms).await?;
    }
    Ok(Raised {
        id,
        number: number(id),
        existing: false,
        link_sent: sms.is_some(),
    })
}
