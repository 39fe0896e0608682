//! A staff member's home: what they have to do next, most urgent first,
//! each item one tap from where it is done. Each section comes from the
//! module that owns the work and shows only for those who do it.

use askama::Template;
use tongyu_domain::account::Role;
use tongyu_domain::appeal::ClockState;
use tongyu_domain::calendar::{format_local_minute, school_year};
use tongyu_domain::delivery::SessionStatus;
use tongyu_domain::org::UnitKind;
use tongyu_domain::policy::Action;
use tongyu_service::appeal::{self, InboxQuery, InboxRow, OpenCounts};
use tongyu_service::{delivery, learning, student};

use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::page::{Nav, render};

/// How many appeals the home lists (the inbox has the rest).
const APPEALS_SHOWN: i64 = 8;

/// One appeal to act on, by the clock that runs next.
struct AppealTask {
    id: i64,
    number: String,
    category: &'static str,
    excerpt: String,
    school: String,
    urgent: bool,
    /// What is due: "联系家长" or "答复".
    step: &'static str,
    clock: &'static str,
    tone: &'static str,
    due: String,
    handler: String,
}

impl AppealTask {
    fn of(r: InboxRow) -> Self {
        let (step, c) = if r.first_contact.state.is_open() {
            ("联系家长", r.first_contact)
        } else {
            ("答复", r.reply_clock)
        };
        let tone = if c.state == ClockState::Running {
            "running"
        } else {
            c.state.tone()
        };
        Self {
            id: r.id,
            number: r.number,
            category: r.category_label,
            excerpt: r.excerpt,
            school: r.school_name,
            urgent: r.urgent,
            step,
            clock: c.label,
            tone,
            due: c.due_local,
            handler: r.handler,
        }
    }
}

struct AppealSection {
    counts: OpenCounts,
    tasks: Vec<AppealTask>,
}

/// A session of the required course that needs the head teacher.
struct SessionTask {
    id: i64,
    title: String,
    when: String,
    /// What to do: "记录出勤" for one held with nobody marked present,
    /// "标记已上课" for one whose time has passed.
    todo: &'static str,
}

/// A campaign open now, as far as the class has got.
struct FirstLesson {
    campaign_id: i64,
    title: String,
    families: i64,
    not_started: i64,
    started: i64,
    finished: i64,
}

/// One class a head teacher leads, and what it needs.
struct ClassSection {
    id: i64,
    name: String,
    /// Bindings of parents waiting to be confirmed.
    pending: i64,
    to_record: Vec<SessionTask>,
    next: Option<SessionTask>,
    held: i64,
    planned: i64,
    /// The plan's yearly minimum of sessions.
    minimum: i64,
    campaigns: Vec<FirstLesson>,
}

impl ClassSection {
    fn has_work(&self) -> bool {
        self.pending > 0
            || !self.to_record.is_empty()
            || self.held + self.planned < self.minimum
            || self.campaigns.iter().any(|c| c.finished < c.families)
    }
}

/// A unit below, on one of the plan's figures.
struct Lagging {
    name: String,
    value: String,
    href: String,
}

/// One of the plan's live figures for a leader's unit, with the units
/// below that lag most, each a tap from its own board.
struct Figure {
    title: String,
    value: String,
    detail: String,
    href: String,
    worst: Vec<Lagging>,
}

/// A school's, district's or the city's figures.
struct UnitFigures {
    name: String,
    figures: Vec<Figure>,
}

/// A school whose organisation falls short of the plan, for those who keep
/// its work group.
struct SchoolOrganisation {
    id: i64,
    name: String,
    /// What is missing, and the page where it is done.
    gaps: Vec<(String, String)>,
}

/// A follow-up item of a joint meeting owned by one of the actor's units
/// and past its day, or a group of theirs that has not met in time.
struct CoordinationTask {
    href: String,
    tag: &'static str,
    text: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "home/staff.html")]
struct StaffHome {
    nav: Nav,
    appeals: Option<AppealSection>,
    classes: Vec<ClassSection>,
    leads: Vec<UnitFigures>,
    organisation: Vec<SchoolOrganisation>,
    coordination: Vec<CoordinationTask>,
    /// Requests waiting for the reader's answer, when they are an expert.
    invitations: Vec<CoordinationTask>,
    /// Certification applications to review, or a level to apply for.
    certification: Vec<CoordinationTask>,
}

/// How many lagging units a figure names.
const WORST_SHOWN: usize = 3;

/// Per mille as a percentage with one decimal; a dash for nothing yet.
fn percent(permille: Option<i64>) -> String {
    match permille {
        Some(p) => format!("{}.{}%", p / 10, p % 10),
        None => "—".into(),
    }
}

fn permille(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part * 1000 / whole)
}

/// The units below with a figure, lowest first, the first few.
fn worst<T>(
    rows: Vec<T>,
    figure: impl Fn(&T) -> Option<i64>,
    lag: impl Fn(T, Option<i64>) -> Lagging,
) -> Vec<Lagging> {
    let mut rows: Vec<(Option<i64>, T)> = rows
        .into_iter()
        .map(|r| (figure(&r), r))
        .filter(|(f, _)| f.is_some_and(|f| f < 1000))
        .collect();
    rows.sort_by_key(|(f, _)| *f);
    rows.into_iter()
        .take(WORST_SHOWN)
        .map(|(f, r)| lag(r, f))
        .collect()
}

/// The plan's live figures for each unit the actor leads: the first
/// lesson of the campaigns open now, classes that met the yearly minimum
/// of the required course, appeals contacted and answered on time and the
/// parents' satisfaction; the units below that lag most first.
async fn leads(state: &AppState, user: &PageUser) -> PageResult<Vec<UnitFigures>> {
    let app = &state.app;
    let now = app.now();
    let open: Vec<_> = learning::campaigns(app)
        .await?
        .into_iter()
        .filter(|c| c.is_open_at(now))
        .collect();
    let mut out = Vec::new();
    for g in &user.ctx.actor.grants {
        let leader = matches!(
            g.role,
            Role::SchoolAdmin | Role::DistrictAdmin | Role::CityAdmin
        );
        if !leader || out.iter().any(|u: &(i64, UnitFigures)| u.0 == g.unit_id) {
            continue;
        }
        let mut figures = Vec::new();
        for campaign in &open {
            let b = learning::board(app, &user.ctx, campaign.id, g.unit_id).await?;
            let (top, kids) = (b.top, b.rows);
            figures.push(Figure {
                title: format!("开学第一课：{}", campaign.title),
                value: percent(permille(top.families_done, top.families)),
                detail: format!(
                    "{} 户中 {} 户已开始、{} 户已完成",
                    top.families, top.families_started, top.families_done
                ),
                href: format!("/campaigns/{}/board/{}", campaign.id, g.unit_id),
                worst: worst(
                    kids,
                    |r| permille(r.families_done, r.families),
                    |r, f| Lagging {
                        href: format!("/campaigns/{}/board/{}", campaign.id, r.unit.id),
                        name: r.unit.name,
                        value: percent(f),
                    },
                ),
            });
        }
        let year = school_year(now);
        let (top, kids) = delivery::compliance(app, &user.ctx, g.unit_id, year).await?;
        let name = top.name.clone();
        figures.push(Figure {
            title: "必修课：按计划可达到每学年最低要求的班级".into(),
            value: percent(permille(top.on_track, top.classes)),
            detail: format!(
                "{} 个班级：已达到 {}，已安排待上完 {}，尚缺安排 {}",
                top.classes,
                top.met,
                (top.on_track - top.met).max(0),
                top.off_track()
            ),
            href: format!("/delivery/compliance/{}", g.unit_id),
            worst: worst(
                kids,
                |r| permille(r.on_track, r.classes),
                |r, f| Lagging {
                    href: format!("/delivery/compliance/{}", r.unit_id),
                    name: r.name,
                    value: percent(f),
                },
            ),
        });
        if user.ctx.actor.can(Action::HandleAppeals, &g.unit_path) {
            let b = appeal::board::board(app, &user.ctx, g.unit_id, "").await?;
            let t = &b.total;
            figures.push(Figure {
                title: "诉求：按时答复".into(),
                value: percent(t.reply_on_time),
                detail: format!(
                    "按时联系 {}，家长满意 {}，自 {} 起；另有 {} 件待联系、{} 件待答复仍在时限内",
                    percent(t.contact_on_time),
                    percent(t.satisfaction),
                    b.since,
                    t.awaiting_contact,
                    t.awaiting_reply
                ),
                href: format!("/appeals/board/{}", g.unit_id),
                worst: worst(
                    b.rows,
                    |r| r.reply_on_time,
                    |r, f| Lagging {
                        href: format!("/appeals/board/{}", r.unit_id),
                        name: r.name,
                        value: percent(f),
                    },
                ),
            });
        }
        if g.unit_kind != UnitKind::School {
            let b = tongyu_service::coverage::board(app, &user.ctx, g.unit_id).await?;
            let have =
                |r: &tongyu_service::coverage::Row, i: usize| r.have.get(i).copied().unwrap_or(0);
            let top = &b.top;
            figures.push(Figure {
                title: "学校组织：工作小组人数达标的学校".into(),
                value: percent(permille(have(top, 1), top.schools)),
                detail: format!(
                    "{} 所学校：已明确总协调员 {}，工作小组人数达标 {}，本学期工作计划 {}",
                    top.schools,
                    have(top, 0),
                    have(top, 1),
                    have(top, 2)
                ),
                href: format!("/coverage/{}", g.unit_id),
                worst: worst(
                    b.rows,
                    |r| permille(have(r, 1), r.schools),
                    |r, f| Lagging {
                        href: format!("/coverage/{}", r.unit_id),
                        name: r.name,
                        value: percent(f),
                    },
                ),
            });
        }
        out.push((g.unit_id, UnitFigures { name, figures }));
    }
    Ok(out.into_iter().map(|(_, u)| u).collect())
}

impl StaffHome {
    fn nothing_to_do(&self) -> bool {
        self.appeals.as_ref().is_none_or(|a| a.counts.open == 0)
            && !self.classes.iter().any(ClassSection::has_work)
            && self.leads.is_empty()
            && self.organisation.is_empty()
            && self.coordination.is_empty()
            && self.invitations.is_empty()
            && self.certification.is_empty()
    }
}

/// The requests waiting for an expert's answer, the soonest first.
async fn invitations(state: &AppState, user: &PageUser) -> PageResult<Vec<CoordinationTask>> {
    if !user.ctx.actor.has_role(Role::Expert) {
        return Ok(Vec::new());
    }
    Ok(tongyu_service::expert_pool::waiting(&state.app, &user.ctx)
        .await?
        .into_iter()
        .map(|r| CoordinationTask {
            href: format!("/experts/{}", r.expert_id),
            tag: r.kind.label(),
            text: format!("{}邀请：{}", r.unit_name, r.topic),
            detail: tongyu_domain::calendar::format_local_minute(r.starts_at),
        })
        .collect())
}

/// Certification work: applications waiting for the reader's review, or
/// the level the reader may now apply for.
async fn certification(state: &AppState, user: &PageUser) -> PageResult<Vec<CoordinationTask>> {
    let mut out = Vec::new();
    let waiting = tongyu_service::certification::waiting_for(&state.app, &user.ctx).await?;
    if waiting > 0 {
        out.push(CoordinationTask {
            href: "/certification".into(),
            tag: "待审核",
            text: format!("{waiting} 份家庭教育指导师认定申请待您审核"),
            detail: String::new(),
        });
    }
    if let Some((level, renewal)) =
        tongyu_service::certification::ready(&state.app, &user.ctx).await?
    {
        out.push(CoordinationTask {
            href: "/certification".into(),
            tag: if renewal { "待续期" } else { "可申请" },
            text: if renewal {
                format!("您的{level}证书即将到期，可申请续期")
            } else {
                format!("您已达到{level}的认定条件，可提交申请")
            },
            detail: String::new(),
        });
    }
    Ok(out)
}

/// The coordination work the actor's units are late on.
async fn coordination(state: &AppState, user: &PageUser) -> PageResult<Vec<CoordinationTask>> {
    let d = tongyu_service::coordination_group::duties(&state.app, &user.ctx).await?;
    let mut out: Vec<CoordinationTask> = d
        .meetings_due
        .into_iter()
        .map(|(id, name, due)| CoordinationTask {
            href: format!("/coordination/{id}"),
            tag: "联席会议",
            text: format!("{name}协调小组应于 {due} 前召开联席会议"),
            detail: String::new(),
        })
        .collect();
    out.extend(d.overdue_items.into_iter().map(|i| CoordinationTask {
        href: format!("/joint-meetings/{}", i.meeting_id),
        tag: "已逾期",
        text: i.decision,
        detail: format!("{} · {} 前 · {}", i.owner_name, i.due_on, i.meeting_title),
    }));
    Ok(out)
}

/// The schools whose work group the actor keeps (as the school's
/// administrator or coordinator) and that still lack something.
async fn organisation(state: &AppState, user: &PageUser) -> PageResult<Vec<SchoolOrganisation>> {
    let mut out: Vec<SchoolOrganisation> = Vec::new();
    for g in &user.ctx.actor.grants {
        if !matches!(g.role, Role::SchoolAdmin | Role::Coordinator)
            || g.unit_kind != UnitKind::School
            || out.iter().any(|o| o.id == g.unit_id)
        {
            continue;
        }
        let (name, standing) =
            tongyu_service::work_group::standing(&state.app, &user.ctx, g.unit_id).await?;
        let mut gaps: Vec<(String, String)> = standing
            .gaps()
            .into_iter()
            .map(|gap| (gap, format!("/work-group/{}", g.unit_id)))
            .collect();
        let grades =
            tongyu_service::grade_instructor::missing_grades(&state.app, &user.ctx, g.unit_id)
                .await?;
        if grades > 0 {
            gaps.push((
                format!("{grades} 个年级未配备家庭教育指导教师"),
                format!("/certification/grades/{}", g.unit_id),
            ));
        }
        if gaps.is_empty() {
            continue;
        }
        out.push(SchoolOrganisation {
            id: g.unit_id,
            name,
            gaps,
        });
    }
    Ok(out)
}

/// The classes the actor leads as head teacher, each with the work it
/// needs: sessions to record, the next one, parents to confirm, families
/// still to finish the first lesson.
async fn classes(state: &AppState, user: &PageUser) -> PageResult<Vec<ClassSection>> {
    let app = &state.app;
    let now = app.now();
    let plan = tongyu_service::plan::current(app).await?;
    let mut out = Vec::new();
    for g in &user.ctx.actor.grants {
        if g.role != Role::HeadTeacher || g.unit_kind != UnitKind::Class {
            continue;
        }
        let p = delivery::class_plan(app, &user.ctx, g.unit_id, school_year(now)).await?;
        let task = |s: &tongyu_service::delivery::Session, todo| SessionTask {
            id: s.id,
            title: s.title.clone(),
            when: format_local_minute(s.starts_at),
            todo,
        };
        let mut to_record = Vec::new();
        let mut next: Option<SessionTask> = None;
        let (mut held, mut planned) = (0, 0);
        for r in &p.sessions {
            let s = &r.session;
            let ends = s.starts_at + s.class_hours * plan.class_hour_s();
            match s.status {
                SessionStatus::Held => {
                    held += 1;
                    if r.present == 0 {
                        to_record.push(task(s, "记录出勤"));
                    }
                }
                SessionStatus::Planned if ends <= now => {
                    planned += 1;
                    to_record.push(task(s, "标记已上课"));
                }
                // Sessions come in time order: the first one ahead is next.
                SessionStatus::Planned => {
                    planned += 1;
                    if next.is_none() {
                        next = Some(task(s, "下一次课"));
                    }
                }
                SessionStatus::Cancelled => {}
            }
        }
        let campaigns = learning::class_campaigns(app, &user.ctx, p.class.id)
            .await?
            .into_iter()
            .map(|c| FirstLesson {
                campaign_id: c.campaign.id,
                title: c.campaign.title,
                not_started: (c.families - c.started).max(0),
                started: c.started - c.finished,
                finished: c.finished,
                families: c.families,
            })
            .collect();
        out.push(ClassSection {
            id: p.class.id,
            name: p.class.name.clone(),
            pending: student::pending_in_class(app, &user.ctx, p.class.id).await?,
            to_record,
            next,
            held,
            planned,
            minimum: plan.sessions_per_year,
            campaigns,
        });
    }
    Ok(out)
}

/// The open appeals of the actor's inboxes, by deadline.
async fn appeals(state: &AppState, user: &PageUser) -> PageResult<Option<AppealSection>> {
    let Some(counts) = appeal::open_counts(&state.app, &user.ctx).await? else {
        return Ok(None);
    };
    let q = InboxQuery {
        order: "due".into(),
        limit: APPEALS_SHOWN,
        ..InboxQuery::default()
    };
    let tasks = appeal::inbox(&state.app, &user.ctx, &q)
        .await?
        .into_iter()
        .map(AppealTask::of)
        .collect();
    Ok(Some(AppealSection { counts, tasks }))
}

pub(super) async fn home(state: &AppState, user: &PageUser) -> PageResult<String> {
    let mut nav = Nav::for_user(user);
    let appeals = appeals(state, user).await?;
    let classes = classes(state, user).await?;
    let leads = leads(state, user).await?;
    let organisation = organisation(state, user).await?;
    let coordination = coordination(state, user).await?;
    let invitations = invitations(state, user).await?;
    let certification = certification(state, user).await?;
    // The menu shows the counts read just now.
    if let Some(a) = &appeals {
        nav.appeals = Some(a.counts);
    }
    render(&StaffHome {
        nav,
        appeals,
        classes,
        leads,
        organisation,
        coordination,
        invitations,
        certification,
    })
    .map(|h| h.0)
}
