//! Instructor certification (task 6): the ladder and its criteria as the
//! city sets them; a teacher's evidence counted from the platform's rows
//! and an application that carries it; review by the district and then the
//! city (never by the applicant, never twice by one person); a certificate
//! with a public verification page; expiry and renewal. Each school's
//! instructor per grade is `grade_instructor`'s.

use tongyu_domain::account::Role;
use tongyu_domain::certification::{
    Criterion, Evidence, Level, Status, Validity, criteria, may_apply, meets, next_step,
};
use tongyu_domain::org::{Unit, UnitKind, path_within};
use tongyu_domain::parent_committee::checked_text;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::certification as store;
/// Applications, certificates and instructors as the API shows them.
pub use tongyu_store::certification::{Application, Certificate};
use tongyu_store::{Conn, account as accounts, org as units};

use crate::{App, Ctx, audit};

/// The ladder, lowest first.
pub async fn ladder(app: &App) -> Result<Vec<Level>> {
    let mut c = app.db.read().await?;
    store::levels(&mut c).await
}

async fn city(app: &App) -> Result<Unit> {
    let mut c = app.db.read().await?;
    units::city(&mut c).await?.ok_or_else(Error::not_found)
}

/// The city changes a level's name or criteria (applications already made
/// keep the evidence they were made with; certificates keep their level's
/// name as printed).
pub async fn update_level(app: &App, ctx: &Ctx, level: Level) -> Result<Level> {
    let city = city(app).await?;
    ctx.require(app, Action::CertifyInstructors, city.id, &city.path)
        .await?;
    if !city_admin(ctx, &city.path) {
        return Err(Error::forbidden());
    }
    let level = level.checked()?;
    let mut tx = app.db.write().await?;
    let before = store::levels(&mut tx)
        .await?
        .into_iter()
        .find(|l| l.rank == level.rank)
        .ok_or_else(Error::not_found)?;
    let level = Level {
        code: before.code.clone(),
        ..level
    };
    store::update_level(&mut tx, &level, ctx.actor.account_id, app.now()).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "certification.level",
            "certification_level",
            level.rank,
            Some(city.id),
            format!(
                "{} → {}：学时 {}，场次 {}，评分 {}，讲座 {}，工作室 {}，有效 {} 年",
                before.name,
                level.name,
                level.min_training_hours,
                level.min_sessions_held,
                level.min_rating_tenths,
                level.min_lectures,
                if level.needs_studio { "是" } else { "否" },
                level.valid_years
            ),
        ),
    )
    .await?;
    Ok(level)
}

fn city_admin(ctx: &Ctx, city_path: &str) -> bool {
    ctx.actor
        .grants
        .iter()
        .any(|g| g.role == Role::CityAdmin && path_within(city_path, &g.unit_path))
}

/// A district bureau above the unit at `path` in the reader's grants.
fn district_reviewer(ctx: &Ctx, path: &str) -> bool {
    ctx.actor
        .grants
        .iter()
        .any(|g| g.role == Role::DistrictAdmin && path_within(path, &g.unit_path))
}

/// The reader's staff unit: where they teach (the first grant that may
/// contribute: teachers, head teachers, instructors, coordinators).
fn staff_unit(ctx: &Ctx) -> Option<i64> {
    let roles = Action::Contribute.roles();
    ctx.actor
        .grants
        .iter()
        .find(|g| roles.contains(&g.role) && g.role != Role::Expert)
        .map(|g| g.unit_id)
}

/// The certificate that sets what a person may apply for: the highest
/// level not revoked (an expired one may still be renewed).
fn held(certs: &[Certificate]) -> Option<&Certificate> {
    certs
        .iter()
        .filter(|c| c.revoked_at == 0)
        .max_by_key(|c| (c.level_rank, c.issued_at))
}

/// What the reader may apply for now, with the evidence against it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct NextStep {
    pub level: Level,
    pub renewal: bool,
    pub evidence: Evidence,
    pub criteria: Vec<Criterion>,
    pub met: bool,
}

/// The reader's certification page: the ladder, their certificates, the
/// next step with their evidence, their applications, and the work waiting
/// for them as a reviewer.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Overview {
    pub levels: Vec<Level>,
    pub certificates: Vec<Certificate>,
    /// None when the reader teaches nowhere or holds the top level.
    pub next: Option<NextStep>,
    pub applications: Vec<Application>,
    /// An application of theirs still with a reviewer.
    pub open_application: Option<i64>,
    /// Applications waiting for the reader's review, the oldest first.
    pub to_review: Vec<Application>,
    pub may_edit_ladder: bool,
    /// A unit whose instructors per grade the reader keeps or sees.
    pub grades_unit: Option<i64>,
}

async fn next_for(
    app: &App,
    c: &mut Conn,
    account_id: i64,
    levels: &[Level],
    certs: &[Certificate],
) -> Result<Option<NextStep>> {
    let now = app.now();
    let h = held(certs);
    let Some((rank, renewal)) = next_step(h.map(|c| (c.level_rank, c.valid_until)), now) else {
        return Ok(None);
    };
    let Some(level) = levels.iter().find(|l| l.rank == rank).cloned() else {
        return Ok(None);
    };
    let since = if renewal {
        h.map_or(0, |c| c.issued_at)
    } else {
        0
    };
    let evidence = store::evidence(c, account_id, since, now).await?;
    Ok(Some(NextStep {
        criteria: criteria(&level, &evidence, renewal),
        met: meets(&level, &evidence, renewal),
        level,
        renewal,
        evidence,
    }))
}

/// Review queues hold at most this many applications on a page.
const QUEUE_LIMIT: i64 = 200;

pub async fn overview(app: &App, ctx: &Ctx) -> Result<Overview> {
    if !ctx.actor.grants.iter().any(|g| g.role != Role::Parent) {
        return Err(Error::forbidden());
    }
    let city = city(app).await?;
    let me = ctx.actor.account_id;
    let mut c = app.db.read().await?;
    let levels = store::levels(&mut c).await?;
    let certificates = store::certificates_of(&mut c, me).await?;
    let next = if staff_unit(ctx).is_some() {
        next_for(app, &mut c, me, &levels, &certificates).await?
    } else {
        None
    };
    let applications = store::applications_of(&mut c, me).await?;
    let mut to_review = Vec::new();
    for g in &ctx.actor.grants {
        let statuses: &[Status] = match g.role {
            Role::DistrictAdmin => &[Status::Submitted],
            Role::CityAdmin => &[Status::DistrictApproved],
            _ => continue,
        };
        to_review.extend(
            store::applications_in(&mut c, &g.unit_path, statuses, QUEUE_LIMIT)
                .await?
                .into_iter()
                .filter(|a| a.account_id != me),
        );
    }
    to_review.sort_by_key(|a| a.id);
    to_review.dedup_by_key(|a| a.id);
    drop(c);
    let grades_unit = crate::org::home_units(app, ctx)
        .await?
        .into_iter()
        .find(|u| u.kind != UnitKind::Class && ctx.actor.can(Action::ViewUnit, &u.path))
        .map(|u| u.id);
    Ok(Overview {
        open_application: applications.iter().find(|a| a.status.open()).map(|a| a.id),
        levels,
        certificates,
        next,
        applications,
        to_review,
        may_edit_ladder: city_admin(ctx, &city.path),
        grades_unit,
    })
}

/// How many applications wait for the reader's review (for their home).
pub async fn waiting_for(app: &App, ctx: &Ctx) -> Result<i64> {
    let mut c = app.db.read().await?;
    let mut n = 0;
    for g in &ctx.actor.grants {
        let status = match g.role {
            Role::DistrictAdmin => Status::Submitted,
            Role::CityAdmin => Status::DistrictApproved,
            _ => continue,
        };
        n += store::count_in(&mut c, &g.unit_path, status).await?;
    }
    Ok(n)
}

/// Applies for the next level (or a renewal), with the evidence the
/// platform holds now; refused with the unmet criteria named.
pub async fn apply(app: &App, ctx: &Ctx, level_rank: i64, statement: &str) -> Result<i64> {
    let Some(unit_id) = staff_unit(ctx) else {
        return Err(Error::forbidden());
    };
    let statement = checked_text("statement", "个人陈述", statement, 0, 2000)?;
    let now = app.now();
    let me = ctx.actor.account_id;
    let mut tx = app.db.write().await?;
    let unit = units::get(&mut tx, unit_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let levels = store::levels(&mut tx).await?;
    let Some(level) = levels.iter().find(|l| l.rank == level_rank) else {
        return Err(Error::invalid("level", "请选择要申请的等级"));
    };
    if store::has_open(&mut tx, me).await? {
        return Err(Error::conflict(
            "您已有一份申请正在审核，请等待结果或先撤回",
        ));
    }
    let certs = store::certificates_of(&mut tx, me).await?;
    let h = held(&certs);
    let renewal = may_apply(h.map(|c| (c.level_rank, c.valid_until)), level.rank, now)?;
    let since = if renewal {
        h.map_or(0, |c| c.issued_at)
    } else {
        0
    };
    let evidence = store::evidence(&mut tx, me, since, now).await?;
    let unmet: Vec<String> = criteria(level, &evidence, renewal)
        .into_iter()
        .filter(|c| !c.met)
        .map(|c| format!("{} {}（要求 {}）", c.label, c.have, c.wanted))
        .collect();
    if !unmet.is_empty() {
        return Err(Error::invalid(
            "level",
            format!("尚未达到{}的条件：{}", level.name, unmet.join("；")),
        ));
    }
    let id = store::insert_application(
        &mut tx,
        &store::NewApplication {
            account_id: me,
            unit_id: unit.id,
            unit_path: &unit.path,
            level_rank: level.rank,
            renewal,
            statement: &statement,
            evidence,
        },
        now,
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "certification.apply",
            "certification_application",
            id,
            Some(unit.id),
            format!("{}{}", level.name, if renewal { "（续期）" } else { "" }),
        ),
    )
    .await?;
    Ok(id)
}

/// An application with what its page needs.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ApplicationView {
    pub application: Application,
    pub level: Level,
    /// The level's criteria against the evidence counted at application.
    pub criteria: Vec<Criterion>,
    /// The district's and the city's reviewers' names, where they decided.
    pub district_name: String,
    pub city_name: String,
    pub certificate_id: Option<i64>,
    pub may_review_district: bool,
    pub may_certify: bool,
    pub may_withdraw: bool,
}

async fn load(app: &App, id: i64) -> Result<Application> {
    let mut c = app.db.read().await?;
    store::application(&mut c, id)
        .await?
        .ok_or_else(Error::not_found)
}

/// An application, for its applicant and for those who may see the staff
/// of its unit (their read is audited).
pub async fn application(app: &App, ctx: &Ctx, id: i64) -> Result<ApplicationView> {
    let a = load(app, id).await?;
    let me = ctx.actor.account_id;
    if a.account_id != me {
        if !ctx.actor.can(Action::ViewAccounts, &a.unit_path) {
            return Err(Error::not_found());
        }
        audit::append_alone(
            app,
            &audit::entry(
                app,
                ctx,
                "certification.read",
                "certification_application",
                a.id,
                Some(a.unit_id),
                a.name.clone(),
            ),
        )
        .await?;
    }
    let mut c = app.db.read().await?;
    let level = store::levels(&mut c)
        .await?
        .into_iter()
        .find(|l| l.rank == a.level_rank)
        .ok_or_else(Error::internal)?;
    let names = accounts::display_names(&mut c, &[a.district_by, a.city_by]).await?;
    let certificate_id = if a.status == Status::Certified {
        store::certificates_of(&mut c, a.account_id)
            .await?
            .into_iter()
            .find(|c| c.application_id == a.id)
            .map(|c| c.id)
    } else {
        None
    };
    Ok(ApplicationView {
        criteria: criteria(&level, &a.evidence, a.renewal),
        district_name: names.get(&a.district_by).cloned().unwrap_or_default(),
        city_name: names.get(&a.city_by).cloned().unwrap_or_default(),
        certificate_id,
        may_review_district: a.status == Status::Submitted
            && a.account_id != me
            && district_reviewer(ctx, &a.unit_path),
        may_certify: a.status == Status::DistrictApproved
            && a.account_id != me
            && a.district_by != me
            && city_admin(ctx, &a.unit_path),
        may_withdraw: a.status.open() && a.account_id == me,
        application: a,
        level,
    })
}

/// A new certificate serial: 15 characters without look-alikes, as a
/// parent's appeal reference.
pub(crate) fn new_serial() -> String {
    use rand::Rng;
    use tongyu_domain::appeal::{TRACKING_ALPHABET, TRACKING_LEN};
    let mut rng = rand::rngs::OsRng;
    (0..TRACKING_LEN)
        .map(|_| TRACKING_ALPHABET[rng.gen_range(0..TRACKING_ALPHABET.len())] as char)
        .collect()
}

/// What a decision did.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Decided {
    pub status: Status,
    /// The certificate issued, when the city certified.
    pub certificate_id: Option<i64>,
}

/// The next reviewer's decision: the district approves or turns down an
/// application of its schools; the city then certifies or turns it down,
/// issuing the certificate. Nobody reviews their own application, and the
/// city's reviewer is not the district's.
pub async fn decide(app: &App, ctx: &Ctx, id: i64, approve: bool, note: &str) -> Result<Decided> {
    let a = load(app, id).await?;
    if !ctx.actor.can(Action::CertifyInstructors, &a.unit_path) {
        return Err(Error::not_found());
    }
    let note = checked_text("note", "审核意见", note, 0, 500)?;
    if !approve && note.is_empty() {
        return Err(Error::invalid("note", "不通过时请写明理由，申请人会看到"));
    }
    let me = ctx.actor.account_id;
    if a.account_id == me {
        return Err(audit::refuse(
            app,
            ctx,
            Action::CertifyInstructors,
            "certification_application",
            a.id,
            Some(a.unit_id),
            "不能审核自己的申请",
        )
        .await);
    }
    let now = app.now();
    match a.status {
        Status::Submitted => {
            if !district_reviewer(ctx, &a.unit_path) {
                return Err(Error::conflict("此申请须先经所在区(市)教育局审核"));
            }
            let mut tx = app.db.write().await?;
            if !store::decide(&mut tx, a.id, Status::Submitted, approve, me, &note, now).await? {
                return Err(Error::conflict("此申请已有人审核，请刷新查看"));
            }
            let status = if approve {
                Status::DistrictApproved
            } else {
                Status::Rejected
            };
            audit::commit_audited(
                tx,
                &audit::entry(
                    app,
                    ctx,
                    "certification.district",
                    "certification_application",
                    a.id,
                    Some(a.unit_id),
                    format!("{}：{}", a.name, status.label()),
                ),
            )
            .await?;
            Ok(Decided {
                status,
                certificate_id: None,
            })
        }
        Status::DistrictApproved => {
            if !city_admin(ctx, &a.unit_path) {
                return Err(Error::conflict("此申请已通过区(市)审核，等待市级认定"));
            }
            if a.district_by == me {
                return Err(audit::refuse(
                    app,
                    ctx,
                    Action::CertifyInstructors,
                    "certification_application",
                    a.id,
                    Some(a.unit_id),
                    "区(市)审核与市级认定须由不同的人完成",
                )
                .await);
            }
            let city = city(app).await?;
            let mut tx = app.db.write().await?;
            if !store::decide(
                &mut tx,
                a.id,
                Status::DistrictApproved,
                approve,
                me,
                &note,
                now,
            )
            .await?
            {
                return Err(Error::conflict("此申请已有人认定，请刷新查看"));
            }
            let certificate_id = if approve {
                let level = store::levels(&mut tx)
                    .await?
                    .into_iter()
                    .find(|l| l.rank == a.level_rank)
                    .ok_or_else(Error::internal)?;
                let serial = new_serial();
                Some(
                    store::insert_certificate(
                        &mut tx,
                        &store::NewCertificate {
                            serial: &serial,
                            account_id: a.account_id,
                            unit_id: a.unit_id,
                            unit_path: &a.unit_path,
                            level_rank: level.rank,
                            level_name: &level.name,
                            holder_name: &a.name,
                            issuer: &city.name,
                            application_id: a.id,
                            issued_at: now,
                            valid_until: now + level.valid_years * 365 * 86_400,
                        },
                    )
                    .await?,
                )
            } else {
                None
            };
            let status = if approve {
                Status::Certified
            } else {
                Status::Rejected
            };
            audit::commit_audited(
                tx,
                &audit::entry(
                    app,
                    ctx,
                    "certification.city",
                    "certification_application",
                    a.id,
                    Some(a.unit_id),
                    format!("{}：{}", a.name, status.label()),
                ),
            )
            .await?;
            Ok(Decided {
                status,
                certificate_id,
            })
        }
        _ => Err(Error::conflict("此申请已办结")),
    }
}

/// The applicant takes back an application still under review.
pub async fn withdraw(app: &App, ctx: &Ctx, id: i64) -> Result<()> {
    let a = load(app, id).await?;
    if a.account_id != ctx.actor.account_id {
        return Err(Error::not_found());
    }
    let mut tx = app.db.write().await?;
    if !store::withdraw(&mut tx, a.id, a.account_id).await? {
        return Err(Error::conflict("此申请已办结，不能撤回"));
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "certification.withdraw",
            "certification_application",
            a.id,
            Some(a.unit_id),
            "",
        ),
    )
    .await
}

/// A certificate with its state now.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CertificateView {
    pub certificate: Certificate,
    pub validity: Validity,
    pub may_revoke: bool,
}

/// A certificate, for its holder and for those who may see the staff of
/// its unit (their read is audited).
pub async fn certificate(app: &App, ctx: &Ctx, id: i64) -> Result<CertificateView> {
    let found = {
        let mut c = app.db.read().await?;
        store::certificate(&mut c, id).await?
    };
    let Some(cert) = found else {
        return Err(Error::not_found());
    };
    let path = {
        let mut c = app.db.read().await?;
        units::get(&mut c, cert.unit_id)
            .await?
            .map(|u| u.path)
            .unwrap_or_default()
    };
    if cert.account_id != ctx.actor.account_id {
        if !ctx.actor.can(Action::ViewAccounts, &path) {
            return Err(Error::not_found());
        }
        audit::append_alone(
            app,
            &audit::entry(
                app,
                ctx,
                "certification.read_certificate",
                "certificate",
                cert.id,
                Some(cert.unit_id),
                cert.holder_name.clone(),
            ),
        )
        .await?;
    }
    Ok(CertificateView {
        validity: Validity::of(cert.valid_until, cert.revoked_at, app.now()),
        may_revoke: cert.revoked_at == 0 && city_admin(ctx, &path),
        certificate: cert,
    })
}

/// What anyone holding the certificate's QR code may read: nothing but
/// the holder's name, the level, the issuer and its validity.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PublicCertificate {
    pub serial: String,
    pub holder_name: String,
    pub level_name: String,
    pub issuer: String,
    pub issued_at: i64,
    pub valid_until: i64,
    pub validity: Validity,
}

/// Looks a certificate up by its serial, typed in any case with dashes or
/// spaces.
pub async fn verify(app: &App, serial: &str) -> Result<PublicCertificate> {
    let serial = tongyu_domain::appeal::normalize_tracking_code(serial);
    if serial.len() != tongyu_domain::appeal::TRACKING_LEN {
        return Err(Error::not_found());
    }
    let found = {
        let mut c = app.db.read().await?;
        store::by_serial(&mut c, &serial).await?
    };
    let c = found.ok_or_else(Error::not_found)?;
    Ok(PublicCertificate {
        validity: Validity::of(c.valid_until, c.revoked_at, app.now()),
        serial: c.serial,
        holder_name: c.holder_name,
        level_name: c.level_name,
        issuer: c.issuer,
        issued_at: c.issued_at,
        valid_until: c.valid_until,
    })
}

/// The city revokes a certificate. It breaks a certificate already handed
/// out, so the serial is typed again to confirm, and a reason is kept.
pub async fn revoke(app: &App, ctx: &Ctx, id: i64, reason: &str, confirm: &str) -> Result<()> {
    let view = certificate(app, ctx, id).await?;
    if !view.may_revoke {
        return Err(Error::forbidden());
    }
    let reason = checked_text("reason", "撤销理由", reason, 2, 500)?;
    let typed = tongyu_domain::appeal::normalize_tracking_code(confirm);
    if typed != view.certificate.serial {
        return Err(Error::invalid(
            "confirm",
            "请输入证书编号以确认撤销（撤销后扫码验证将显示“已撤销”）",
        ));
    }
    let mut tx = app.db.write().await?;
    if !store::revoke(&mut tx, id, &reason, app.now()).await? {
        return Err(Error::conflict("证书已撤销"));
    }
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "certification.revoke",
            "certificate",
            id,
            Some(view.certificate.unit_id),
            format!("{}：{reason}", view.certificate.holder_name),
        ),
    )
    .await
}

/// Certificates held in a unit's subtree (audited: it names people).
pub async fn certificates(app: &App, ctx: &Ctx, unit_id: i64) -> Result<Vec<Certificate>> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewAccounts).await?;
    let list = {
        let mut c = app.db.read().await?;
        store::certificates_in(&mut c, &unit.path, 5000).await?
    };
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "certification.list",
            "unit",
            unit.id,
            Some(unit.id),
            format!("{} 本", list.len()),
        ),
    )
    .await?;
    Ok(list)
}

/// What a teacher's home says of certification: the level they may now
/// apply for (or renew), when they meet its criteria and have no
/// application under review.
pub async fn ready(app: &App, ctx: &Ctx) -> Result<Option<(String, bool)>> {
    if staff_unit(ctx).is_none() {
        return Ok(None);
    }
    let me = ctx.actor.account_id;
    let mut c = app.db.read().await?;
    if store::has_open(&mut c, me).await? {
        return Ok(None);
    }
    let levels = store::levels(&mut c).await?;
    let certs = store::certificates_of(&mut c, me).await?;
    Ok(next_for(app, &mut c, me, &levels, &certs)
        .await?
        .filter(|n| n.met)
        .map(|n| (n.level.name, n.renewal)))
}
