//! The expert pool (task 7): the city keeps it; staff browse it; a school
//! or bureau asks an expert for a lecture or a review panel; the expert
//! accepts or declines (never two accepted requests at the same time);
//! the requester rates a lecture given; an expert declares conflicts of
//! interest, and is then not asked onto a panel of the unit concerned.

use tongyu_domain::account::Role;
use tongyu_domain::expert_pool::{
    Pool, RequestKind, RequestStatus, checked_score, checked_specialties,
};
use tongyu_domain::org::Unit;
use tongyu_domain::parent_committee::checked_text;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::expert_pool::{self as store, NewRequest, Profile};
/// The pool's records, as the API shows them.
pub use tongyu_store::expert_pool::{Conflict, Expert, Request};
use tongyu_store::{account as accounts, org as units};

use crate::{App, Ctx, audit};

/// Staff browse the pool: any grant that browses units.
fn may_browse(ctx: &Ctx) -> bool {
    !ctx.actor.scope(Action::ViewUnit).is_empty()
}

async fn city(app: &App) -> Result<Unit> {
    let mut c = app.db.read().await?;
    units::city(&mut c).await?.ok_or_else(Error::not_found)
}

pub async fn list(app: &App, ctx: &Ctx, pool: Option<Pool>, q: &str) -> Result<Vec<Expert>> {
    if !may_browse(ctx) {
        return Err(Error::forbidden());
    }
    let q = q.trim();
    if q.chars().count() > 20 {
        return Err(Error::invalid("q", "搜索词不超过 20 字"));
    }
    let mut c = app.db.read().await?;
    store::list(&mut c, pool, q, app.now(), 500).await
}

/// An expert's page.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ExpertView {
    pub expert: Expert,
    pub conflicts: Vec<Conflict>,
    /// Their requests, the latest first (the expert and the city see all;
    /// others see those of their own units).
    pub requests: Vec<Request>,
    /// The reader is this expert.
    pub is_self: bool,
    pub may_manage: bool,
}

pub async fn show(app: &App, ctx: &Ctx, id: i64) -> Result<ExpertView> {
    if !may_browse(ctx) {
        return Err(Error::forbidden());
    }
    let city = city(app).await?;
    let mut c = app.db.read().await?;
    let expert = store::get(&mut c, id, app.now())
        .await?
        .ok_or_else(Error::not_found)?;
    let conflicts = store::conflicts(&mut c, expert.id).await?;
    let is_self = expert.account_id == ctx.actor.account_id;
    let may_manage = ctx.actor.can(Action::ManageExperts, &city.path);
    let all = store::requests_of_expert(&mut c, expert.id, 200).await?;
    let mut requests = Vec::new();
    for r in all {
        let seen = is_self
            || may_manage
            || match units::get(&mut c, r.unit_id).await? {
                Some(u) => ctx.actor.can(Action::RequestExperts, &u.path),
                None => false,
            };
        if seen {
            requests.push(r);
        }
    }
    Ok(ExpertView {
        expert,
        conflicts,
        requests,
        is_self,
        may_manage,
    })
}

/// A profile as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewProfile {
    pub pool: Pool,
    /// 职称与单位.
    #[serde(default)]
    pub title: String,
    /// Separated by commas or 、.
    pub specialties: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub availability: String,
}

struct Checked {
    title: String,
    specialties: Vec<String>,
    region: String,
    availability: String,
}

fn checked(p: &NewProfile) -> Result<Checked> {
    Ok(Checked {
        title: checked_text("title", "职称与单位", &p.title, 0, 100)?,
        specialties: checked_specialties(&p.specialties)?,
        region: checked_text("region", "服务区域", &p.region, 0, 50)?,
        availability: checked_text("availability", "可服务时间", &p.availability, 0, 100)?,
    })
}

/// Adds an account to the pool (the city's administrators), giving it the
/// expert role at the city when it does not hold it.
pub async fn add(
    app: &App,
    ctx: &Ctx,
    who: &crate::work_group::Who,
    p: &NewProfile,
) -> Result<i64> {
    let city = city(app).await?;
    ctx.require(app, Action::ManageExperts, city.id, &city.path)
        .await?;
    let x = checked(p)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let account = crate::work_group::find(app, &mut tx, who).await?;
    if store::by_account(&mut tx, account.id, now).await?.is_some() {
        return Err(Error::conflict(format!(
            "{}已在专家库中",
            account.display_name
        )));
    }
    let id = store::insert(
        &mut tx,
        account.id,
        &Profile {
            pool: p.pool,
            title: &x.title,
            specialties: &x.specialties,
            region: &x.region,
            availability: &x.availability,
        },
        ctx.actor.account_id,
        now,
    )
    .await?;
    accounts::insert_grant(
        &mut tx,
        account.id,
        Role::Expert,
        city.id,
        Some(ctx.actor.account_id),
        now,
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "expert.add",
            "expert",
            id,
            Some(city.id),
            format!("{}（{}）", account.display_name, p.pool.label()),
        ),
    )
    .await?;
    app.forget_account(account.id).await;
    Ok(id)
}

/// Changes a profile: the expert their own, the city anyone's.
pub async fn update(app: &App, ctx: &Ctx, id: i64, p: &NewProfile) -> Result<()> {
    let view = show(app, ctx, id).await?;
    if !view.is_self && !view.may_manage {
        return Err(Error::forbidden());
    }
    let x = checked(p)?;
    let mut tx = app.db.write().await?;
    store::update(
        &mut tx,
        id,
        &Profile {
            pool: p.pool,
            title: &x.title,
            specialties: &x.specialties,
            region: &x.region,
            availability: &x.availability,
        },
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "expert.update",
            "expert",
            id,
            None,
            x.specialties.join("、"),
        ),
    )
    .await
}

/// The expert declares a conflict of interest with a unit.
pub async fn declare_conflict(
    app: &App,
    ctx: &Ctx,
    id: i64,
    unit_id: i64,
    reason: &str,
) -> Result<i64> {
    let view = show(app, ctx, id).await?;
    if !view.is_self && !view.may_manage {
        return Err(Error::forbidden());
    }
    let reason = checked_text("reason", "利益关系说明", reason, 2, 200)?;
    let mut tx = app.db.write().await?;
    let Some(unit) = units::get(&mut tx, unit_id).await? else {
        return Err(Error::invalid("unit_id", "请选择有利益关系的单位"));
    };
    let cid = store::insert_conflict(&mut tx, id, unit.id, &reason, app.now()).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "expert.conflict",
            "expert",
            id,
            Some(unit.id),
            format!("{}：{reason}", unit.name),
        ),
    )
    .await?;
    Ok(cid)
}

/// A unit named as typed (for a conflict of interest): the one whose name
/// is exactly this, or the only one containing it.
pub async fn unit_named(app: &App, name: &str) -> Result<i64> {
    let name = name.trim();
    if name.chars().count() < 2 {
        return Err(Error::invalid("unit", "请填写单位的名称"));
    }
    let city = city(app).await?;
    let mut c = app.db.read().await?;
    let found = units::search(&mut c, std::slice::from_ref(&city.path), None, name, 6).await?;
    if let Some(u) = found.iter().find(|u| u.name == name) {
        return Ok(u.id);
    }
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(Error::invalid(
            "unit",
            format!("找不到名称含“{name}”的单位"),
        )),
        _ => Err(Error::invalid(
            "unit",
            format!("有多个单位的名称含“{name}”，请写出完整名称"),
        )),
    }
}

/// A request as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewRequestInput {
    /// The requesting unit: a school, district or the city in the reader's scope.
    pub unit_id: i64,
    pub kind: RequestKind,
    pub topic: String,
    pub starts_at: i64,
    pub ends_at: i64,
    #[serde(default)]
    pub place: String,
}

fn booked_message(other: &Request) -> Error {
    Error::conflict(format!(
        "该专家在这段时间已有安排（{} {}），请另选时间或其他专家",
        tongyu_domain::calendar::format_local_minute(other.starts_at),
        other.topic
    ))
}

/// Asks an expert for a lecture or a panel.
pub async fn request(app: &App, ctx: &Ctx, expert_id: i64, r: &NewRequestInput) -> Result<i64> {
    let unit = crate::access::unit(app, ctx, r.unit_id, Action::RequestExperts).await?;
    let topic = checked_text("topic", "主题", &r.topic, 2, 100)?;
    let place = checked_text("place", "地点", &r.place, 0, 100)?;
    tongyu_domain::training::checked_times(r.starts_at, r.ends_at)?;
    if r.starts_at < app.now() {
        return Err(Error::invalid(
            "starts_at",
            "开始时间已过，请选择今后的时间",
        ));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let expert = store::get(&mut tx, expert_id, now)
        .await?
        .filter(|e| e.active)
        .ok_or_else(Error::not_found)?;
    if r.kind == RequestKind::Panel && store::conflicts_with(&mut tx, expert.id, &unit.path).await?
    {
        return Err(Error::conflict(format!(
            "{}已申报与{}存在利益关系，不能参加其评审",
            expert.name, unit.name
        )));
    }
    if let Some(other) = store::booked(&mut tx, expert.id, r.starts_at, r.ends_at, 0)
        .await?
        .first()
    {
        return Err(booked_message(other));
    }
    let id = store::insert_request(
        &mut tx,
        &NewRequest {
            expert_id: expert.id,
            unit_id: unit.id,
            kind: r.kind,
            topic: &topic,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            place: &place,
        },
        ctx.actor.account_id,
        now,
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "expert.request",
            "expert_request",
            id,
            Some(unit.id),
            format!("{}：{}，{topic}", expert.name, r.kind.label()),
        ),
    )
    .await?;
    Ok(id)
}

/// The expert answers a request: accepting checks that no other accepted
/// request of theirs overlaps it.
pub async fn answer(app: &App, ctx: &Ctx, request_id: i64, accept: bool, note: &str) -> Result<()> {
    let note = checked_text("note", "说明", note, 0, 200)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let r = store::request(&mut tx, request_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let expert = store::get(&mut tx, r.expert_id, now)
        .await?
        .ok_or_else(Error::not_found)?;
    if expert.account_id != ctx.actor.account_id {
        return Err(Error::not_found());
    }
    if r.status != RequestStatus::Requested {
        return Err(Error::conflict(format!(
            "这一邀请{}，无需再答复",
            r.status.label()
        )));
    }
    if accept
        && let Some(other) = store::booked(&mut tx, expert.id, r.starts_at, r.ends_at, r.id)
            .await?
            .first()
    {
        return Err(booked_message(other));
    }
    let to = if accept {
        RequestStatus::Accepted
    } else {
        RequestStatus::Declined
    };
    if !store::set_status(&mut tx, r.id, RequestStatus::Requested, to, &note, now).await? {
        return Err(Error::conflict("这一邀请刚刚已有变化，请刷新"));
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            if accept {
                "expert.accept"
            } else {
                "expert.decline"
            },
            "expert_request",
            r.id,
            Some(r.unit_id),
            note,
        ),
    )
    .await
}

async fn requester_unit(app: &App, ctx: &Ctx, r: &Request) -> Result<Unit> {
    crate::access::unit(app, ctx, r.unit_id, Action::RequestExperts).await
}

/// The requester withdraws a request not yet held.
pub async fn cancel(app: &App, ctx: &Ctx, request_id: i64) -> Result<()> {
    let r = {
        let mut c = app.db.read().await?;
        store::request(&mut c, request_id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    let unit = requester_unit(app, ctx, &r).await?;
    if r.ends_at < app.now() {
        return Err(Error::conflict("已经结束的安排不能撤回"));
    }
    if matches!(r.status, RequestStatus::Declined | RequestStatus::Cancelled) {
        return Err(Error::conflict(format!("这一邀请{}", r.status.label())));
    }
    let mut tx = app.db.write().await?;
    if !store::set_status(
        &mut tx,
        r.id,
        r.status,
        RequestStatus::Cancelled,
        "",
        app.now(),
    )
    .await?
    {
        return Err(Error::conflict("这一邀请刚刚已有变化，请刷新"));
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "expert.cancel",
            "expert_request",
            r.id,
            Some(unit.id),
            "",
        ),
    )
    .await
}

/// The requester rates a lecture or panel the expert gave.
pub async fn rate(app: &App, ctx: &Ctx, request_id: i64, score: i64, comment: &str) -> Result<()> {
    let score = checked_score(score)?;
    let comment = checked_text("comment", "评价", comment, 0, 300)?;
    let r = {
        let mut c = app.db.read().await?;
        store::request(&mut c, request_id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    let unit = requester_unit(app, ctx, &r).await?;
    if r.status != RequestStatus::Accepted || r.ends_at > app.now() {
        return Err(Error::with_message(
            ErrorCode::Conflict,
            "讲座或评审结束后才能评价",
        ));
    }
    let mut tx = app.db.write().await?;
    store::rate(&mut tx, r.id, score, &comment).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "expert.rate",
            "expert_request",
            r.id,
            Some(unit.id),
            format!("{score} 分"),
        ),
    )
    .await
}

/// Requests made by the reader's units, the latest first.
pub async fn requests_made(app: &App, ctx: &Ctx) -> Result<Vec<Request>> {
    let mut out = Vec::new();
    let mut c = app.db.read().await?;
    for root in ctx.actor.scope(Action::RequestExperts) {
        out.extend(store::requests_within(&mut c, &root, 100).await?);
    }
    Ok(out)
}

/// The requests waiting for the reader's answer, when they are an expert.
pub async fn waiting(app: &App, ctx: &Ctx) -> Result<Vec<Request>> {
    let mut c = app.db.read().await?;
    match store::by_account(&mut c, ctx.actor.account_id, app.now()).await? {
        Some(e) => store::waiting_for(&mut c, e.id).await,
        None => Ok(Vec::new()),
    }
}

/// The reader's own profile id, when they are in the pool.
pub async fn my_profile(app: &App, ctx: &Ctx) -> Result<Option<i64>> {
    let mut c = app.db.read().await?;
    Ok(store::by_account(&mut c, ctx.actor.account_id, app.now())
        .await?
        .map(|e| e.id))
}
