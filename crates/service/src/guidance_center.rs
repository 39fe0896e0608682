//! The family-education guidance centres of the city and the districts
//! (task 2): each centre's record with its family education section, its
//! researchers (教研员, accounts with the `researcher` role at the unit) and
//! the services it gives; the city sees which districts have none.

use tongyu_domain::account::Role;
use tongyu_domain::calendar::{format_date, local_day, school_year};
use tongyu_domain::coordination_group::{checked_date, checked_office_phone};
use tongyu_domain::guidance_center::ServiceKind;
use tongyu_domain::org::{Unit, UnitKind};
use tongyu_domain::parent_committee::{checked_count, checked_text};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::guidance_center::{self as store, NewService};
/// A centre and a service, as the API shows them.
pub use tongyu_store::guidance_center::{Center, Service};
use tongyu_store::{account as accounts, org as units};

use crate::{App, Ctx, audit};

/// Services of one kind this school year.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Total {
    pub kind: ServiceKind,
    pub label: String,
    pub services: i64,
    pub people: i64,
}

/// A district's line on the city's page.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct DistrictRow {
    pub unit_id: i64,
    pub name: String,
    pub has_center: bool,
}

/// A centre's page.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CenterView {
    pub unit_id: i64,
    pub unit_name: String,
    pub center: Option<Center>,
    /// (account id, name).
    pub researchers: Vec<(i64, String)>,
    pub school_year: i64,
    pub totals: Vec<Total>,
    /// The latest 200.
    pub services: Vec<Service>,
    /// For the city: the districts, those without a centre first.
    pub districts: Vec<DistrictRow>,
    pub may_manage: bool,
}

async fn center_unit(app: &App, ctx: &Ctx, unit_id: i64, action: Action) -> Result<Unit> {
    let unit = crate::access::unit(app, ctx, unit_id, action).await?;
    if !matches!(unit.kind, UnitKind::City | UnitKind::District) {
        return Err(Error::invalid(
            "unit_id",
            "指导中心设在市级和区(市)级，请选择市或区(市)",
        ));
    }
    Ok(unit)
}

fn today(app: &App) -> String {
    format_date(local_day(app.now()))
}

pub async fn show(app: &App, ctx: &Ctx, unit_id: i64) -> Result<CenterView> {
    let unit = center_unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let year = school_year(app.now());
    let from = format!("{year:04}-09-01");
    let to = format!("{:04}-08-31", year + 1);
    let mut c = app.db.read().await?;
    let center = store::center(&mut c, unit.id).await?;
    let researchers = accounts::with_roles_at(&mut c, unit.id, &[Role::Researcher]).await?;
    let totals = store::totals(&mut c, unit.id, &from, &to).await?;
    let services = store::services(&mut c, unit.id, 200).await?;
    let mut districts = Vec::new();
    if unit.kind == UnitKind::City {
        let kids: Vec<Unit> = units::children(&mut c, unit.id, false)
            .await?
            .into_iter()
            .filter(|u| u.kind == UnitKind::District)
            .collect();
        let ids: Vec<i64> = kids.iter().map(|k| k.id).collect();
        let with = store::with_center(&mut c, &ids).await?;
        districts = kids
            .into_iter()
            .map(|k| DistrictRow {
                has_center: with.contains(&k.id),
                unit_id: k.id,
                name: k.name,
            })
            .collect();
        districts.sort_by_key(|d| d.has_center);
    }
    Ok(CenterView {
        unit_id: unit.id,
        unit_name: unit.name.clone(),
        center,
        researchers,
        school_year: year,
        totals: ServiceKind::ALL
            .into_iter()
            .map(|k| {
                let (n, p) = totals
                    .iter()
                    .find(|t| t.0 == k)
                    .map_or((0, 0), |t| (t.1, t.2));
                Total {
                    kind: k,
                    label: k.label().into(),
                    services: n,
                    people: p,
                }
            })
            .collect(),
        services,
        districts,
        may_manage: ctx.actor.can(Action::ManageGuidance, &unit.path),
    })
}

/// A centre's record as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewCenter {
    pub name: String,
    /// The family education section (家庭教育科).
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    /// `YYYY-MM-DD`.
    pub established_on: String,
}

pub async fn save(app: &App, ctx: &Ctx, unit_id: i64, n: &NewCenter) -> Result<()> {
    let unit = center_unit(app, ctx, unit_id, Action::ManageGuidance).await?;
    let established_on = checked_date("established_on", &n.established_on)?;
    if established_on > today(app) {
        return Err(Error::invalid("established_on", "成立日期不能晚于今天"));
    }
    let x = Center {
        unit_id: unit.id,
        name: checked_text("name", "中心名称", &n.name, 2, 100)?,
        section: checked_text("section", "家庭教育科", &n.section, 0, 100)?,
        address: checked_text("address", "地址", &n.address, 0, 200)?,
        phone: checked_office_phone(&n.phone)?,
        established_on,
    };
    let mut tx = app.db.write().await?;
    let new = store::save_center(&mut tx, &x, ctx.actor.account_id, app.now()).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            if new {
                "guidance.create"
            } else {
                "guidance.update"
            },
            "unit",
            unit.id,
            Some(unit.id),
            x.name.clone(),
        ),
    )
    .await
}

/// A service as entered.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct NewServiceInput {
    pub kind: ServiceKind,
    /// `YYYY-MM-DD`, not in the future.
    pub held_on: String,
    pub title: String,
    #[serde(default)]
    pub people: i64,
    /// A researcher of the centre, or 0.
    #[serde(default)]
    pub researcher_id: i64,
}

pub async fn record_service(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    s: &NewServiceInput,
) -> Result<i64> {
    let unit = center_unit(app, ctx, unit_id, Action::ManageGuidance).await?;
    let held_on = checked_date("held_on", &s.held_on)?;
    if held_on > today(app) {
        return Err(Error::invalid("held_on", "日期不能晚于今天"));
    }
    let title = checked_text("title", "服务内容", &s.title, 2, 100)?;
    let people = checked_count("people", "服务人数", s.people)?;
    let mut tx = app.db.write().await?;
    if store::center(&mut tx, unit.id).await?.is_none() {
        return Err(Error::invalid("unit_id", "请先建立指导中心的档案"));
    }
    if s.researcher_id != 0
        && !accounts::with_roles_at(&mut tx, unit.id, &[Role::Researcher])
            .await?
            .iter()
            .any(|(id, _)| *id == s.researcher_id)
    {
        return Err(Error::invalid("researcher_id", "请从本中心的教研员中选择"));
    }
    let id = store::insert_service(
        &mut tx,
        unit.id,
        &NewService {
            kind: s.kind,
            held_on: &held_on,
            title: &title,
            people,
            researcher_id: s.researcher_id,
        },
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "guidance.service",
            "unit",
            unit.id,
            Some(unit.id),
            format!("{held_on} {}：{title}", s.kind.label()),
        ),
    )
    .await?;
    Ok(id)
}
