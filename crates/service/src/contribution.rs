//! Contributions: micro-courses and lesson plans from teachers, reviewed
//! at school, district and city level. Review starts at the level of the
//! author's unit (a teacher's school, a district's researcher, the city's
//! experts); each pass sends it one level up, and the city's pass publishes:
//! a micro-course becomes a self-study course in the library, a lesson plan
//! a document in search. A return sends it back to its author with the
//! reviewer's comments; the author revises and it starts over.

use std::collections::HashMap;

use tongyu_domain::contribution::{
    Decision, Kind, Level, Status, check_micro_duration, check_plan_text, check_review,
};
use tongyu_domain::course::{Category, Subject, parse_media_url, parse_title};
use tongyu_domain::org::{Stage, Unit, path_ids};
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
/// A contribution as lists and pages show it.
pub use tongyu_store::contribution::Contribution;
use tongyu_store::contribution::{self as store, Draft, NewReview, Review};
use tongyu_store::{DbResult, account as accounts, course as courses, org as units};

use crate::{App, Ctx, audit};

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct ContributionInput {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// A lesson plan's text (required); a micro-course's notes.
    #[serde(default)]
    pub body: String,
    /// A micro-course's video or audio address.
    #[serde(default)]
    pub media_url: String,
    #[serde(default)]
    pub duration_s: i64,
    pub stage: String,
    pub subject: String,
    /// The unit the author contributes from; their school if a class.
    pub unit_id: i64,
}

struct Checked {
    kind: Kind,
    title: String,
    summary: String,
    body: String,
    media_url: String,
    duration_s: i64,
    stage: Stage,
    subject: Subject,
}

impl Checked {
    fn draft(&self) -> Draft<'_> {
        Draft {
            kind: self.kind,
            title: &self.title,
            summary: &self.summary,
            body: &self.body,
            media_url: &self.media_url,
            duration_s: self.duration_s,
            stage: self.stage,
            subject: self.subject,
        }
    }
}

fn check(input: &ContributionInput) -> Result<Checked> {
    let kind = Kind::parse(&input.kind)?;
    let title = parse_title(&input.title)?;
    let summary = input.summary.trim().to_owned();
    if summary.chars().count() > 500 {
        return Err(Error::invalid("summary", "简介不能超过500字"));
    }
    let stage = Stage::parse(&input.stage).map_err(|e| Error::invalid("stage", e.message))?;
    let subject = Subject::parse(&input.subject)?;
    let body = input.body.trim().to_owned();
    let (media_url, duration_s) = match kind {
        Kind::LessonPlan => {
            check_plan_text(&body)?;
            (String::new(), 0)
        }
        Kind::MicroCourse => {
            if input.media_url.trim().is_empty() {
                return Err(Error::invalid("media_url", "请填写微课视频或音频的地址"));
            }
            if body.chars().count() > 20_000 {
                return Err(Error::invalid("body", "说明不能超过20000字"));
            }
            (
                parse_media_url(&input.media_url)?,
                check_micro_duration(input.duration_s)?,
            )
        }
    };
    Ok(Checked {
        kind,
        title,
        summary,
        body,
        media_url,
        duration_s,
        stage,
        subject,
    })
}

/// The unit a contribution comes from: the chosen unit if a school,
/// district or city, else the school above it (a head teacher's class).
async fn home_unit(app: &App, ctx: &Ctx, unit_id: i64) -> Result<(Unit, Level)> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::Contribute).await?;
    if let Some(level) = Level::starting_at(unit.kind) {
        return Ok((unit, level));
    }
    let school_id = path_ids(&unit.path)
        .get(3)
        .copied()
        .ok_or_else(|| Error::invalid("unit_id", "请从学校、区(市)或市级单位投稿"))?;
    let mut c = app.db.read().await?;
    let school = units::get(&mut c, school_id)
        .await?
        .ok_or_else(Error::not_found)?;
    Ok((school, Level::School))
}

/// A teacher submits a micro-course or a lesson plan; it waits for review
/// at the level of their unit.
pub async fn submit(app: &App, ctx: &Ctx, input: &ContributionInput) -> Result<Contribution> {
    let (unit, level) = home_unit(app, ctx, input.unit_id).await?;
    let c = check(input)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let id = store::insert(
        &mut tx,
        &c.draft(),
        ctx.actor.account_id,
        unit.id,
        Status::InReview(level),
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "contribution.submit",
            "contribution",
            id,
            Some(unit.id),
            format!("{} {}", c.kind.as_str(), c.title),
        ),
    )
    .await?;
    let out = store::get(&mut tx, id).await?.ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok(out)
}

/// The author revises a returned contribution; it goes back to review at
/// the level it started from.
pub async fn resubmit(
    app: &App,
    ctx: &Ctx,
    id: i64,
    input: &ContributionInput,
) -> Result<Contribution> {
    let (current, unit) = crate::access::contribution(app, ctx, id).await?;
    if current.author_id != ctx.actor.account_id {
        return Err(Error::forbidden());
    }
    if current.status != Status::Returned {
        return Err(Error::invalid("status", "只有退回修改的投稿可以重新提交"));
    }
    let mut c = check(input)?;
    c.kind = current.kind;
    let level = Level::starting_at(unit.kind).unwrap_or(Level::School);
    let now = app.now();
    let mut tx = app.db.write().await?;
    store::update(&mut tx, id, &c.draft(), Status::InReview(level), now).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "contribution.resubmit",
            "contribution",
            id,
            Some(unit.id),
            &c.title,
        ),
    )
    .await?;
    let out = store::get(&mut tx, id).await?.ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok(out)
}

/// A contribution with its reviews, and whether the actor may review it now.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ContributionDetail")]
pub struct Detail {
    pub contribution: Contribution,
    pub unit_name: String,
    pub author_name: String,
    pub reviews: Vec<ReviewLine>,
    pub may_review: bool,
    pub may_revise: bool,
}

/// One review, with its reviewer's name.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ReviewLine {
    pub level: Level,
    pub reviewer: String,
    pub decision: Decision,
    pub score: i64,
    pub comment: String,
    pub created_at: i64,
}

pub async fn detail(app: &App, ctx: &Ctx, id: i64) -> Result<Detail> {
    let (item, unit) = crate::access::contribution(app, ctx, id).await?;
    let mut c = app.db.read().await?;
    let reviews = store::reviews_of(&mut c, item.id).await?;
    let mut ids: Vec<i64> = reviews.iter().map(|r| r.reviewer_id).collect();
    ids.push(item.author_id);
    let names = accounts::display_names(&mut c, &ids).await?;
    let may_review = match item.status {
        Status::InReview(level) => {
            crate::access::reviews_contributions_at(&ctx.actor, level, &unit.path)
                && item.author_id != ctx.actor.account_id
        }
        _ => false,
    };
    Ok(Detail {
        may_revise: item.status == Status::Returned && item.author_id == ctx.actor.account_id,
        may_review,
        unit_name: unit.name,
        author_name: names.get(&item.author_id).cloned().unwrap_or_default(),
        reviews: reviews
            .into_iter()
            .map(|r: Review| ReviewLine {
                reviewer: names.get(&r.reviewer_id).cloned().unwrap_or_default(),
                level: r.level,
                decision: r.decision,
                score: r.score,
                comment: r.comment,
                created_at: r.created_at,
            })
            .collect(),
        contribution: item,
    })
}

#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct ReviewInput {
    pub decision: String,
    pub score: i64,
    #[serde(default)]
    pub comment: String,
}

/// A reviewer at the contribution's current level scores and comments,
/// and passes it up (the city's pass publishes it) or returns it.
pub async fn review(app: &App, ctx: &Ctx, id: i64, input: &ReviewInput) -> Result<Contribution> {
    let decision = Decision::parse(&input.decision)?;
    let (score, comment) = check_review(decision, input.score, &input.comment)?;
    let (item, unit) = crate::access::contribution(app, ctx, id).await?;
    let Status::InReview(level) = item.status else {
        return Err(Error::invalid("status", "这份投稿不在审核中"));
    };
    if !crate::access::reviews_contributions_at(&ctx.actor, level, &unit.path)
        || item.author_id == ctx.actor.account_id
    {
        crate::audit::record_denied(
            app,
            ctx,
            Action::ReviewContributions,
            "contribution",
            &item.id.to_string(),
            Some(unit.id),
        )
        .await;
        return Err(Error::forbidden());
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    // Read again under the write lock: two reviewers at once decide once.
    let item = store::get(&mut tx, id)
        .await?
        .ok_or_else(Error::not_found)?;
    if item.status != Status::InReview(level) {
        return Err(Error::conflict("这份投稿已由其他审核人处理"));
    }
    store::insert_review(
        &mut tx,
        &NewReview {
            contribution_id: item.id,
            level,
            reviewer_id: ctx.actor.account_id,
            decision,
            score,
            comment: &comment,
        },
        now,
    )
    .await?;
    match (decision, level.next()) {
        (Decision::Return, _) => {
            store::set_status(&mut tx, item.id, Status::Returned, 0, 0, now).await?;
        }
        (Decision::Pass, Some(up)) => {
            store::set_status(&mut tx, item.id, Status::InReview(up), 0, 0, now).await?;
        }
        (Decision::Pass, None) => {
            let course_id = publish(&mut tx, &item, now).await?;
            store::set_status(&mut tx, item.id, Status::Published, course_id, now, now).await?;
        }
    }
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "contribution.review",
            "contribution",
            item.id,
            Some(unit.id),
            format!("{} {} {score}", level.as_str(), decision.as_str()),
        ),
    )
    .await?;
    let out = store::get(&mut tx, id).await?.ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_lessons().await;
    Ok(out)
}

/// Puts a contribution passed by the city where parents and teachers find
/// it: a micro-course as a self-study course of one lesson, a lesson plan
/// as a search document. Returns the new course's id (0 for a plan).
async fn publish(c: &mut tongyu_store::Conn, item: &Contribution, now: i64) -> Result<i64> {
    use tongyu_domain::course::Status as CourseStatus;
    let grades: Vec<String> = item.stage.grades().iter().map(|g| g.code()).collect();
    let grades = grades.join(",");
    match item.kind {
        Kind::MicroCourse => {
            let course = courses::insert_course(
                c,
                &courses::NewCourse {
                    title: &item.title,
                    description: &item.summary,
                    category: Category::SelfStudy,
                    subject: item.subject,
                    grades: &grades,
                    owner_unit_id: item.unit_id,
                    created_by: item.author_id,
                },
                now,
            )
            .await?;
            let lesson = courses::insert_lesson(
                c,
                &courses::NewLesson {
                    course_id: course,
                    title: &item.title,
                    duration_s: item.duration_s,
                    video_url: &item.media_url,
                    body: &item.body,
                    steps: "",
                },
                now,
            )
            .await?;
            courses::set_lesson_status(c, lesson, CourseStatus::Published, now).await?;
            courses::set_course_status(c, course, CourseStatus::Published, now).await?;
            crate::search::index_course(c, course, now).await?;
            Ok(course)
        }
        Kind::LessonPlan => {
            crate::search::index_lesson_plan(c, item, &grades, now).await?;
            Ok(0)
        }
    }
}

/// The actor's own contributions and those waiting for their review.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Lists {
    pub mine: Vec<Contribution>,
    pub to_review: Vec<Contribution>,
}

pub async fn lists(app: &App, ctx: &Ctx) -> Result<Lists> {
    let mut c = app.db.read().await?;
    let mine = store::by_author(&mut c, ctx.actor.account_id, 200).await?;
    let roles = Action::ReviewContributions.roles();
    let mut to_review: Vec<Contribution> = Vec::new();
    for g in ctx.actor.grants.iter().filter(|g| roles.contains(&g.role)) {
        let Some(level) = Level::starting_at(g.unit_kind) else {
            continue;
        };
        for item in store::queue(&mut c, level, &g.unit_path, 200).await? {
            if item.author_id != ctx.actor.account_id && !to_review.iter().any(|x| x.id == item.id)
            {
                to_review.push(item);
            }
        }
    }
    Ok(Lists { mine, to_review })
}

/// The drive toward the plan's goal of each kind (1,000 in Qingdao's):
/// published and waiting, by stage.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Progress {
    /// The micro-course goal (kept for older clients; each kind carries its own).
    pub goal: i64,
    /// Micro-courses and lesson plans, each with its counts.
    pub kinds: Vec<KindProgress>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct KindProgress {
    pub kind: Kind,
    /// What the plan asks for of this kind.
    pub goal: i64,
    pub by_stage: Vec<(Stage, i64)>,
    pub published: i64,
    pub in_review: i64,
    pub returned: i64,
}

pub async fn progress(app: &App) -> Result<Progress> {
    let plan = crate::plan::current(app).await?;
    let mut c = app.db.read().await?;
    let counts: HashMap<(Kind, Stage, Status), i64> = store::counts(&mut c).await?;
    let kinds = Kind::ALL
        .into_iter()
        .map(|kind| {
            let of = |want: &dyn Fn(Status) -> bool| {
                counts
                    .iter()
                    .filter(|((k, _, s), _)| *k == kind && want(*s))
                    .map(|(_, n)| n)
                    .sum::<i64>()
            };
            KindProgress {
                kind,
                goal: match kind {
                    Kind::MicroCourse => plan.micro_course_goal,
                    Kind::LessonPlan => plan.lesson_plan_goal,
                },
                by_stage: Stage::ALL
                    .into_iter()
                    .map(|st| {
                        (
                            st,
                            counts
                                .get(&(kind, st, Status::Published))
                                .copied()
                                .unwrap_or(0),
                        )
                    })
                    .collect(),
                published: of(&|s| s == Status::Published),
                in_review: of(&|s| matches!(s, Status::InReview(_))),
                returned: of(&|s| s == Status::Returned),
            }
        })
        .collect();
    Ok(Progress {
        goal: plan.micro_course_goal,
        kinds,
    })
}
