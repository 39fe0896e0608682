//! The first lesson of term: campaigns, what each parent is to watch,
//! progress reports and the boards that follow them, recommendations.
//!
//! Progress goes through one writer per instance (`progress::Writer`):
//! reports from many requests are applied in one transaction, rollups
//! included, and each request is answered only after that commit.

use std::collections::HashMap;

use tongyu_domain::course::{Status, parse_title};
use tongyu_domain::learning;
use tongyu_domain::org::{Unit, UnitKind, path_ids};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::course::{self as courses, Lesson};
use tongyu_store::learning as store;
pub use tongyu_store::learning::{Campaign, Started, Target};
use tongyu_store::rollup::Check;
use tongyu_store::{DbResult, org as units, student as students};

use crate::{App, Ctx, audit};

#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct CampaignInput {
    pub title: String,
    pub school_year: i64,
    pub opens_at: i64,
    pub closes_at: i64,
}

/// The city, once the actor is known to run campaigns (only the city's
/// administrators do), and the input checked.
async fn city_running(app: &App, ctx: &Ctx, input: &CampaignInput) -> Result<(Unit, String)> {
    let city = {
        let mut c = app.db.read().await?;
        units::city(&mut c).await?.ok_or_else(Error::not_found)?
    };
    if !ctx
        .actor
        .grants
        .iter()
        .any(|g| g.role == tongyu_domain::account::Role::CityAdmin)
    {
        return Err(Error::with_message(
            ErrorCode::Forbidden,
            "家长开学第一课由市级统一组织",
        ));
    }
    ctx.require(app, Action::ManageCampaigns, city.id, &city.path)
        .await?;
    let title = parse_title(&input.title)?;
    if !(2000..=2100).contains(&input.school_year) {
        return Err(Error::invalid("school_year", "学年应为年份，如 2026"));
    }
    if input.closes_at <= input.opens_at {
        return Err(Error::invalid("closes_at", "结束时间应晚于开始时间"));
    }
    Ok((city, title))
}

/// The city changes a campaign's title, school year or dates (a term that
/// starts later, a window extended for families still watching). What
/// families have done stays counted.
pub async fn update_campaign(
    app: &App,
    ctx: &Ctx,
    id: i64,
    input: &CampaignInput,
) -> Result<Campaign> {
    let (city, title) = city_running(app, ctx, input).await?;
    let mut tx = app.db.write().await?;
    let before = store::get_campaign(&mut tx, id)
        .await?
        .ok_or_else(Error::not_found)?;
    store::update_campaign(
        &mut tx,
        id,
        input.school_year,
        &title,
        input.opens_at,
        input.closes_at,
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "campaign.update",
            "campaign",
            id,
            Some(city.id),
            format!(
                "{} {}–{} → {} {}–{}",
                before.title,
                before.opens_at,
                before.closes_at,
                title,
                input.opens_at,
                input.closes_at
            ),
        ),
    )
    .await?;
    let campaign = store::get_campaign(&mut tx, id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok(campaign)
}

/// The city opens a first lesson of term campaign for a school year.
pub async fn create_campaign(app: &App, ctx: &Ctx, input: &CampaignInput) -> Result<Campaign> {
    let (city, title) = city_running(app, ctx, input).await?;
    let mut tx = app.db.write().await?;
    let id = store::insert_campaign(
        &mut tx,
        input.school_year,
        &title,
        input.opens_at,
        input.closes_at,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "campaign.create",
            "campaign",
            id,
            Some(city.id),
            &title,
        ),
    )
    .await?;
    let campaign = store::get_campaign(&mut tx, id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok(campaign)
}

/// A lesson and, for each campaign it is in, the campaign, the lesson's
/// target there, and all of that campaign's targets.
#[derive(Debug, Clone)]
pub struct LessonPlan {
    pub lesson: Lesson,
    pub campaigns: Vec<(Campaign, Target, Vec<Target>)>,
}

async fn lesson_plan(app: &App, lesson_id: i64) -> Result<Option<std::sync::Arc<LessonPlan>>> {
    if let Some(p) = app.caches.lessons.get(&lesson_id) {
        return Ok(Some(p));
    }
    let since = std::time::Instant::now();
    let mut c = app.db.read().await?;
    let Some(lesson) = courses::get_lesson(&mut c, lesson_id).await? else {
        return Ok(None);
    };
    let mut campaigns = Vec::new();
    for t in store::targets_of_lesson(&mut c, lesson.id).await? {
        if let Some(camp) = store::get_campaign(&mut c, t.campaign_id).await? {
            let all = store::targets_of_campaign(&mut c, camp.id).await?;
            campaigns.push((camp, t, all));
        }
    }
    let plan = std::sync::Arc::new(LessonPlan { lesson, campaigns });
    app.caches
        .lessons
        .put_read_since(lesson_id, plan.clone(), since);
    Ok(Some(plan))
}

/// A lesson meant for a child, with the parent's progress.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct MyLesson {
    pub campaign_id: i64,
    pub campaign_title: String,
    pub lesson_id: i64,
    pub title: String,
    pub duration_s: i64,
    pub covered_s: i64,
    pub completed: bool,
    pub open: bool,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ChildLessons {
    pub student_id: i64,
    pub name: String,
    pub class_name: String,
    pub lessons: Vec<MyLesson>,
}

/// For each of the parent's children, the campaign lessons meant for that
/// child's grade and school, with the parent's own progress (a lesson two
/// children share is one lesson to watch).
pub async fn my_lessons(app: &App, ctx: &Ctx) -> Result<Vec<ChildLessons>> {
    let kids = crate::access::children(app, ctx.actor.account_id).await?;
    let progress = {
        let mut c = app.db.read().await?;
        store::progress_of(&mut c, ctx.actor.account_id).await?
    };
    lessons_for(app, &kids, &progress).await
}

/// Every campaign with its targets, newest first.
pub type CampaignTargets = Vec<(Campaign, Vec<Target>)>;

/// Every campaign with its targets, shared from the cache
/// (changes to campaigns forget it: [`crate::Forget::Lessons`]).
async fn campaign_targets(app: &App) -> Result<std::sync::Arc<CampaignTargets>> {
    if let Some(all) = app.caches.campaigns.get(&()) {
        return Ok(all);
    }
    let since = std::time::Instant::now();
    let mut c = app.db.read().await?;
    let mut all = Vec::new();
    for camp in store::list_campaigns(&mut c).await? {
        let targets = store::targets_of_campaign(&mut c, camp.id).await?;
        all.push((camp, targets));
    }
    let all = std::sync::Arc::new(all);
    app.caches.campaigns.put_read_since((), all.clone(), since);
    Ok(all)
}

/// [`my_lessons`] from the children and progress (lesson → covered
/// seconds, completed at) already read.
pub(crate) async fn lessons_for(
    app: &App,
    kids: &[crate::access::Child],
    progress: &HashMap<i64, (i64, i64)>,
) -> Result<Vec<ChildLessons>> {
    let now = app.now();
    let campaigns = campaign_targets(app).await?;
    let targets: Vec<(&Campaign, &Target)> = campaigns
        .iter()
        .flat_map(|(camp, ts)| ts.iter().map(move |t| (camp, t)))
        .collect();
    // Lessons come from the same cache the progress reports use: every
    // parent's home reads the same few.
    let mut lessons: HashMap<i64, std::sync::Arc<LessonPlan>> = HashMap::new();
    for (_, t) in &targets {
        if !lessons.contains_key(&t.lesson_id)
            && let Some(plan) = lesson_plan(app, t.lesson_id).await?
        {
            lessons.insert(plan.lesson.id, plan);
        }
    }
    let mut out = Vec::new();
    for kid in kids.iter() {
        let mut list = Vec::new();
        for (camp, t) in &targets {
            if !t.fits(&kid.class.grade, kid.school_id)
                || list.iter().any(|l: &MyLesson| l.lesson_id == t.lesson_id)
            {
                continue;
            }
            let Some(l) = lessons
                .get(&t.lesson_id)
                .map(|p| &p.lesson)
                .filter(|l| l.status == Status::Published)
            else {
                continue;
            };
            let (covered, completed_at) = progress.get(&l.id).copied().unwrap_or((0, 0));
            list.push(MyLesson {
                campaign_id: camp.id,
                campaign_title: camp.title.clone(),
                lesson_id: l.id,
                title: l.title.clone(),
                duration_s: l.duration_s,
                covered_s: covered,
                completed: completed_at > 0,
                open: camp.is_open_at(now),
            });
        }
        out.push(ChildLessons {
            student_id: kid.student_id,
            name: kid.name.clone(),
            class_name: kid.class.name.clone(),
            lessons: list,
        });
    }
    Ok(out)
}

/// What a lesson's page shows besides the lesson, the same for every
/// reader and kept per lesson (attachments are added only while a course
/// is a draft, so a change always passes through publishing again, which
/// forgets it).
#[derive(Debug, Clone)]
pub struct LessonExtras {
    /// (title, file) of each attachment.
    pub attachments: Vec<(String, tongyu_store::media::MediaFile)>,
    /// The library course it belongs to, for the trail: (id, title).
    pub shelf: Option<(i64, String)>,
}

/// The reader's own progress on a lesson that is theirs to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mine {
    pub covered_s: i64,
    pub completed: bool,
    /// Where the player starts again (see [`Coverage::resume_at`]): their
    /// own progress, on any device.
    pub resume_s: i64,
}

/// A published lesson as anyone signed in may read it.
#[derive(Debug, Clone)]
pub struct LessonView {
    pub lesson: Lesson,
    /// The reader's progress, when the lesson is meant for one of their
    /// children or sits in the library (which anyone may learn from).
    pub mine: Option<Mine>,
    pub extras: std::sync::Arc<LessonExtras>,
}

/// A lesson's page: the lesson and its extras from the caches, so the
/// database is asked only for the reader's own progress.
pub async fn lesson_view(app: &App, ctx: &Ctx, lesson_id: i64) -> Result<LessonView> {
    let plan = lesson_plan(app, lesson_id)
        .await?
        .filter(|p| p.lesson.status == Status::Published)
        .ok_or_else(Error::not_found)?;
    let kids = crate::access::children(app, ctx.actor.account_id).await?;
    let meant = plan
        .campaigns
        .iter()
        .any(|(_, t, _)| kids.iter().any(|k| t.fits(&k.class.grade, k.school_id)));
    let library = plan.campaigns.is_empty();
    let mine = if meant || library {
        let key = (ctx.actor.account_id, lesson_id);
        let mut c = app.db.read().await?;
        let row = store::get_progress_many(&mut c, &[key]).await?.remove(&key);
        Some(row.map_or(
            Mine {
                covered_s: 0,
                completed: false,
                resume_s: 0,
            },
            |p| {
                Mine {
                    covered_s: p.covered_s,
                    completed: p.completed_at > 0,
                    resume_s: tongyu_domain::learning::Coverage::decode(&p.spans)
                        .resume_at(plan.lesson.duration_s),
                }
            },
        ))
    } else {
        None
    };
    let extras = lesson_extras(app, &plan.lesson).await?;
    Ok(LessonView {
        lesson: plan.lesson.clone(),
        mine,
        extras,
    })
}

async fn lesson_extras(app: &App, lesson: &Lesson) -> Result<std::sync::Arc<LessonExtras>> {
    if let Some(e) = app.caches.lesson_extras.get(&lesson.id) {
        return Ok(e);
    }
    let since = std::time::Instant::now();
    let extras = std::sync::Arc::new(LessonExtras {
        attachments: crate::media::attachments(app, lesson.id).await?,
        shelf: crate::library::shelf_of(app, lesson.course_id).await?,
    });
    app.caches
        .lesson_extras
        .put_read_since(lesson.id, extras.clone(), since);
    Ok(extras)
}

/// What the player reports, and what the parent hears back.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub lesson_id: i64,
    pub segments: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Reported {
    pub lesson_id: i64,
    pub duration_s: i64,
    pub covered_s: i64,
    pub completed: bool,
}

/// Checks a report and hands it to the writer; answers once it is durable.
/// Campaign lessons count for the children they are meant for, within the
/// campaign's window; library lessons (in no campaign) for anyone.
/// The reads it needs (the parent's children, the lesson's campaigns) come
/// from short-lived caches, so a report costs the database only its write.
pub async fn report(app: &App, ctx: &Ctx, r: &Report) -> Result<Reported> {
    let plan = lesson_plan(app, r.lesson_id).await?;
    let plan = plan
        .filter(|p| p.lesson.status == Status::Published)
        .ok_or_else(|| Error::with_message(ErrorCode::NotFound, "没有这节课，或它尚未发布"))?;
    let lesson = &plan.lesson;
    let spans = learning::parse_segments(&r.segments, lesson.duration_s)?;
    let kids = crate::access::children(app, ctx.actor.account_id).await?;
    let now = app.now();
    let mut credits: Vec<progress::Credit> = Vec::new();
    let mut meant = false;
    for (camp, t, all) in &plan.campaigns {
        let open = camp.is_open_at(now);
        for kid in kids.iter().filter(|k| t.fits(&k.class.grade, k.school_id)) {
            meant = true;
            if open
                && !credits
                    .iter()
                    .any(|x| x.campaign_id == camp.id && x.student_id == kid.student_id)
            {
                let mut lessons: Vec<i64> = all
                    .iter()
                    .filter(|x| x.fits(&kid.class.grade, kid.school_id))
                    .map(|x| x.lesson_id)
                    .collect();
                lessons.sort_unstable();
                lessons.dedup();
                let mut unit_ids = kid.class.ancestor_ids();
                unit_ids.push(kid.class.id);
                credits.push(progress::Credit {
                    campaign_id: camp.id,
                    student_id: kid.student_id,
                    class_id: kid.class.id,
                    unit_ids,
                    needed: lessons.len() as i64,
                });
            }
        }
    }
    // A lesson in no campaign is the library's: anyone may learn from it,
    // and it counts in their growth record only.
    let library = plan.campaigns.is_empty();
    if !meant && !library {
        return Err(Error::with_message(
            ErrorCode::Forbidden,
            "这节课不是为您的孩子安排的",
        ));
    }
    if credits.is_empty() && !library {
        return Err(Error::invalid("lesson_id", "这节课现在不在观看时间内"));
    }
    let event = progress::Event {
        account_id: ctx.actor.account_id,
        lesson_id: lesson.id,
        duration_s: lesson.duration_s,
        spans,
        credits,
        now,
    };
    let (covered, completed) = app.progress().submit(event).await?;
    // The parent's home shows this progress: forgotten here, not announced
    // (reports are too many; other instances hold it for CACHE_TTL at most).
    app.caches.homes.remove(&ctx.actor.account_id);
    Ok(Reported {
        lesson_id: lesson.id,
        duration_s: lesson.duration_s,
        covered_s: covered,
        completed,
    })
}

/// One row of a campaign board: a unit and how far its families are.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct BoardRow {
    pub unit: Unit,
    pub families: i64,
    pub families_done: i64,
    /// Families who have begun (finished ones included).
    pub families_started: i64,
    pub lessons_done: i64,
}

impl BoardRow {
    /// Per mille of families done.
    pub fn permille(&self) -> i64 {
        if self.families == 0 {
            0
        } else {
            self.families_done * 1000 / self.families
        }
    }
    /// Per mille of families started.
    pub fn started_permille(&self) -> i64 {
        if self.families == 0 {
            0
        } else {
            self.families_started * 1000 / self.families
        }
    }
}

/// A campaign board: the unit, the units below it (those furthest behind
/// first) and the way up (as far as the actor may look).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Board {
    pub campaign: Campaign,
    pub top: BoardRow,
    pub rows: Vec<BoardRow>,
    /// Units above, from the city down: (id, name).
    pub ancestors: Vec<(i64, String)>,
    /// When the figures were counted (Unix time): every request for the
    /// same board within [`crate::Settings::board_snapshot_ms`] shares them.
    pub computed_at: i64,
}

/// A board's figures as counted once and shared (nothing in it depends on
/// who asks: access is checked on every request).
#[derive(Debug)]
pub struct BoardFigures {
    campaign: Campaign,
    top: BoardRow,
    rows: Vec<BoardRow>,
    computed_at: i64,
}

/// The board of a unit: itself and each unit below, families started and
/// done against families (children) in the unit, the units furthest behind
/// first. Reads one rollup row per unit shown, at most once a
/// [`crate::Settings::board_snapshot_ms`] per campaign and unit.
pub async fn board(app: &App, ctx: &Ctx, campaign_id: i64, unit_id: i64) -> Result<Board> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let key = (campaign_id, unit.id);
    let shared = app.settings.board_snapshot_ms > 0;
    let figures = match app.caches.boards.get(&key).filter(|_| shared) {
        Some(f) => f,
        None => {
            let f = std::sync::Arc::new(count_board(app, campaign_id, unit.clone()).await?);
            if shared {
                app.caches.boards.put(key, f.clone());
            }
            f
        }
    };
    let mut c = app.db.read().await?;
    let ancestors = crate::org::ancestors_in_view(&mut c, ctx, &unit).await?;
    Ok(Board {
        campaign: figures.campaign.clone(),
        top: figures.top.clone(),
        rows: figures.rows.clone(),
        ancestors,
        computed_at: figures.computed_at,
    })
}

async fn count_board(app: &App, campaign_id: i64, unit: Unit) -> Result<BoardFigures> {
    let computed_at = app.now();
    let mut c = app.db.read().await?;
    let campaign = store::get_campaign(&mut c, campaign_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let kids = units::children(&mut c, unit.id, false).await?;
    let mut ids: Vec<i64> = kids.iter().map(|k| k.id).collect();
    ids.push(unit.id);
    let r = store::rollups(&mut c, campaign.id, &ids).await?;
    let row = |u: Unit| {
        let k = r.get(&u.id).copied().unwrap_or_default();
        BoardRow {
            families: u.counts.students,
            families_done: k.families_done,
            families_started: k.families_started,
            lessons_done: k.lessons_done,
            unit: u,
        }
    };
    let mut rows: Vec<BoardRow> = kids.into_iter().map(row).collect();
    rows.sort_by_key(|r| {
        (
            r.families == 0,
            r.permille(),
            r.started_permille(),
            r.unit.id,
        )
    });
    Ok(BoardFigures {
        campaign,
        top: row(unit),
        rows,
        computed_at,
    })
}

/// A family in a class's list for the head teacher.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct FamilyRow {
    pub student_id: i64,
    pub name: String,
    pub done: i64,
    pub needed: i64,
    pub completed: bool,
    /// Credited seconds on any of its lessons.
    pub started: bool,
}

/// Where a class's families stand in a campaign open now: counts only, no
/// child named (so not a read of children's data).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ClassCampaign {
    pub campaign: Campaign,
    /// The class's children (one family each).
    pub families: i64,
    /// Families with credited seconds on any of their lessons.
    pub started: i64,
    /// Families with every lesson done.
    pub finished: i64,
}

/// The campaigns open now that hold lessons for this class, with where its
/// families stand.
pub async fn class_campaigns(app: &App, ctx: &Ctx, class_id: i64) -> Result<Vec<ClassCampaign>> {
    let class = crate::access::class(app, ctx, class_id, Action::ViewUnit).await?;
    let now = app.now();
    let school_id = path_ids(&class.path).get(3).copied().unwrap_or(0);
    let mut c = app.db.read().await?;
    let mut out = Vec::new();
    for campaign in store::list_campaigns(&mut c).await? {
        if !campaign.is_open_at(now) {
            continue;
        }
        let targets = store::targets_of_campaign(&mut c, campaign.id).await?;
        if !targets.iter().any(|t| t.fits(&class.grade, school_id)) {
            continue;
        }
        let tallies = store::class_tallies(&mut c, campaign.id, class.id).await?;
        out.push(ClassCampaign {
            families: class.counts.students,
            started: tallies.values().filter(|t| t.started_at > 0).count() as i64,
            finished: tallies.values().filter(|t| t.completed_at > 0).count() as i64,
            campaign,
        });
    }
    Ok(out)
}

/// The families of a class and where each stands; a read of children's
/// data, so audited. Nobody is ranked: the list is by name.
pub async fn class_families(
    app: &App,
    ctx: &Ctx,
    campaign_id: i64,
    class_id: i64,
) -> Result<Vec<FamilyRow>> {
    let class = crate::access::unit(app, ctx, class_id, Action::ViewStudents).await?;
    if class.kind != UnitKind::Class {
        return Err(Error::invalid("class_id", "请选择一个班级"));
    }
    let mut c = app.db.read().await?;
    let campaign = store::get_campaign(&mut c, campaign_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let tallies = store::class_tallies(&mut c, campaign.id, class.id).await?;
    let all = store::targets_of_campaign(&mut c, campaign.id).await?;
    let school_id = path_ids(&class.path).get(3).copied().unwrap_or(0);
    let mut needed: Vec<i64> = all
        .iter()
        .filter(|t| t.fits(&class.grade, school_id))
        .map(|t| t.lesson_id)
        .collect();
    needed.sort_unstable();
    needed.dedup();
    let list = students::list_by_class(&mut c, class.id).await?;
    drop(c);
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "campaign.read_class",
            "class",
            class.id,
            Some(class.id),
            campaign.id.to_string(),
        ),
    )
    .await?;
    Ok(list
        .into_iter()
        .map(|s| {
            let t = tallies.get(&s.id).copied().unwrap_or_default();
            FamilyRow {
                student_id: s.id,
                name: s.name,
                done: t.done,
                needed: needed.len() as i64,
                completed: t.completed_at > 0,
                started: t.started_at > 0,
            }
        })
        .collect())
}

/// A campaign's rollups as kept, and as recounted from the children's
/// tallies; equal unless something went wrong.
pub async fn check_rollups(app: &App, campaign_id: i64) -> Result<Check> {
    let mut c = app.db.read().await?;
    store::check_rollups(&mut c, campaign_id).await
}

pub mod progress;
mod targets;
pub use targets::{
    CampaignLesson, add_campaign_lesson, campaign_lessons, removal_preview, remove_campaign_lesson,
};

/// Every campaign of the first lesson of term, newest first (what they are
/// called and when they run is no secret from anyone signed in).
pub async fn campaigns(app: &App) -> Result<Vec<Campaign>> {
    let mut c = app.db.read().await?;
    store::list_campaigns(&mut c).await
}

/// A lesson recommended to a parent for a child.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Recommendation {
    pub student_id: i64,
    pub child: String,
    pub lesson_id: i64,
    pub title: String,
    pub course: String,
    pub minutes: i64,
}

/// For each child, up to `per_child` self-study lessons for the child's
/// grade that the parent has not finished, newest first; a lesson already
/// recommended for another child is not repeated.
pub async fn recommendations(
    app: &App,
    ctx: &Ctx,
    per_child: usize,
) -> Result<Vec<Recommendation>> {
    let kids = crate::access::children(app, ctx.actor.account_id).await?;
    let progress = {
        let mut c = app.db.read().await?;
        store::progress_of(&mut c, ctx.actor.account_id).await?
    };
    recommendations_for(app, &kids, &progress, per_child).await
}

/// [`recommendations`] from the children and progress already read.
pub(crate) async fn recommendations_for(
    app: &App,
    kids: &[crate::access::Child],
    progress: &HashMap<i64, (i64, i64)>,
    per_child: usize,
) -> Result<Vec<Recommendation>> {
    let mut out: Vec<Recommendation> = Vec::new();
    for kid in kids.iter() {
        let grade = kid.class.grade.clone();
        let list = match app.caches.for_grade.get(&grade) {
            Some(l) => l,
            None => {
                let mut c = app.db.read().await?;
                let l = store::self_study_for(&mut c, &grade, 50).await?;
                app.caches.for_grade.put(grade.clone(), l.clone());
                l
            }
        };
        let mut n = 0;
        for (lesson_id, title, duration, course) in list {
            if n >= per_child {
                break;
            }
            let done = progress.get(&lesson_id).is_some_and(|(_, at)| *at > 0);
            if done || out.iter().any(|r| r.lesson_id == lesson_id) {
                continue;
            }
            out.push(Recommendation {
                student_id: kid.student_id,
                child: kid.name.clone(),
                lesson_id,
                title,
                course,
                minutes: duration / 60,
            });
            n += 1;
        }
    }
    Ok(out)
}

/// A lesson the parent started and has not finished.
/// "Continue watching": lessons the parent started and has not finished,
/// the latest first.
pub async fn continue_watching(app: &App, ctx: &Ctx, limit: i64) -> Result<Vec<Started>> {
    let mut c = app.db.read().await?;
    store::started_of(&mut c, ctx.actor.account_id, limit).await
}
