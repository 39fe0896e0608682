//! Courses and their lessons: authoring, the review path (an author never
//! reviews or publishes their own course), revisions of published lessons
//! decided by someone other than their proposer, the published library.

use tongyu_domain::course::{
    Category, Status, Subject, parse_duration, parse_media_url, parse_title,
};
use tongyu_domain::org::Grade;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::DbResult;
use tongyu_store::course::{self as store, NewCourse, NewLesson};
pub use tongyu_store::course::{Course, Lesson, PublishedLesson, Revision};

use crate::{App, Ctx, audit};

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct CourseInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    pub subject: String,
    /// Comma-separated grade codes the course is for; empty for all.
    #[serde(default)]
    pub grades: String,
    pub unit_id: i64,
}

fn parse_grades(raw: &str) -> Result<String> {
    let mut out = Vec::new();
    for g in raw
        .split([',', '，', '、', ' '])
        .filter(|g| !g.trim().is_empty())
    {
        out.push(
            Grade::parse(g)
                .map_err(|e| Error::invalid("grades", e.message))?
                .code(),
        );
    }
    out.dedup();
    Ok(out.join(","))
}

pub async fn create_course(app: &App, ctx: &Ctx, input: &CourseInput) -> Result<Course> {
    let unit = crate::access::unit(app, ctx, input.unit_id, Action::AuthorCourses).await?;
    let title = parse_title(&input.title)?;
    let description = input.description.trim();
    if description.chars().count() > 2000 {
        return Err(Error::invalid("description", "简介不能超过2000字"));
    }
    let category = Category::parse(&input.category)?;
    let subject = Subject::parse(&input.subject)?;
    let grades = parse_grades(&input.grades)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let new = NewCourse {
        title: &title,
        description,
        category,
        subject,
        grades: &grades,
        owner_unit_id: unit.id,
        created_by: ctx.actor.account_id,
    };
    let id = store::insert_course(&mut tx, &new, now).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "course.create",
            "course",
            id,
            Some(unit.id),
            &title,
        ),
    )
    .await?;
    let course = store::get_course(&mut tx, id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok(course)
}

/// A lesson's title, duration, media address and five steps (encoded),
/// checked against its course's category.
async fn check_lesson(
    app: &App,
    input: &LessonInput,
    category: Category,
) -> Result<(String, i64, String, String)> {
    let title = parse_title(&input.title)?;
    let duration = parse_duration(input.duration_s)?;
    let video = if input.video_url.trim().is_empty() {
        String::new()
    } else {
        parse_media_url(&input.video_url)?
    };
    if input.body.chars().count() > 20_000 {
        return Err(Error::invalid("body", "正文不能超过20000字"));
    }
    let mut steps = tongyu_domain::course::check_steps(category, &input.steps)?;
    for (step, link) in steps.iter_mut() {
        if *step == tongyu_domain::delivery::Step::MicroReview {
            *link = micro_review_link(app, link).await?;
        }
    }
    Ok((
        title,
        duration,
        video,
        tongyu_domain::course::encode_steps(&steps),
    ))
}

/// A micro-review step opens a micro-course of the library in the player,
/// which records the parent's progress: the link must name a published
/// self-study lesson (`/lessons/N`) or the media one plays, and is kept as
/// that lesson's address.
async fn micro_review_link(app: &App, link: &str) -> Result<String> {
    let named = tongyu_domain::course::linked_lesson(link);
    let media = if named.is_some() { "" } else { link };
    let mut c = app.db.read().await?;
    match store::self_study_lesson(&mut c, named.unwrap_or(0), media).await? {
        Some(id) => Ok(format!("/lessons/{id}")),
        None => Err(Error::invalid(
            "steps",
            "“微课巩固”须是课程库中已发布的自学微课：请先把微课发布到课程库，再填写它的地址（/lessons/编号）",
        )),
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct LessonInput {
    pub title: String,
    pub duration_s: i64,
    #[serde(default)]
    pub video_url: String,
    /// Markdown text, rendered sanitised.
    #[serde(default)]
    pub body: String,
    /// The five steps as (step, content); required for a required course.
    #[serde(default)]
    pub steps: Vec<(String, String)>,
}

pub async fn add_lesson(
    app: &App,
    ctx: &Ctx,
    course_id: i64,
    input: &LessonInput,
) -> Result<Lesson> {
    let (course, unit) = crate::access::course(app, ctx, course_id, Action::AuthorCourses).await?;
    let (title, duration, video, steps) = check_lesson(app, input, course.category).await?;
    let mut tx = app.db.write().await?;
    let new = NewLesson {
        course_id: course.id,
        title: &title,
        duration_s: duration,
        video_url: &video,
        body: &input.body,
        steps: &steps,
    };
    let id = store::insert_lesson(&mut tx, &new, app.now()).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "lesson.create",
            "lesson",
            id,
            Some(unit.id),
            &title,
        ),
    )
    .await?;
    let lesson = store::get_lesson(&mut tx, id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok(lesson)
}

/// Moves a course and all its lessons along the review path. Authors
/// submit; city and district administrators review, publish, withdraw or
/// return.
pub async fn set_course_status(app: &App, ctx: &Ctx, course_id: i64, to: &str) -> Result<Course> {
    let to = Status::parse(to)?;
    let action = if to == Status::Submitted {
        Action::AuthorCourses
    } else {
        Action::PublishCourses
    };
    let (course, unit) = crate::access::course(app, ctx, course_id, action).await?;
    // Four eyes: the author submits; someone else reviews and publishes.
    if matches!(to, Status::Reviewed | Status::Published)
        && course.created_by == ctx.actor.account_id
    {
        return Err(audit::refuse(
            app,
            ctx,
            Action::PublishCourses,
            "course",
            course.id,
            Some(unit.id),
            "课程不能由编写者本人审核或发布，请由本级或上级的其他管理员审核",
        )
        .await);
    }
    if !course.status.can_become(to) {
        return Err(Error::invalid(
            "status",
            format!("不能从“{}”改为“{}”", course.status.label(), to.label()),
        ));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let lessons = store::lessons_of_course(&mut tx, course.id).await?;
    if to == Status::Submitted && lessons.is_empty() {
        return Err(Error::invalid("status", "课程至少要有一节课才能提交"));
    }
    store::set_course_status(&mut tx, course.id, to, now).await?;
    for l in &lessons {
        store::set_lesson_status(&mut tx, l.id, to, now).await?;
    }
    crate::search::index_course(&mut tx, course.id, now).await?;
    let detail = format!("{} → {}", course.status.as_str(), to.as_str());
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "course.status",
            "course",
            course.id,
            Some(unit.id),
            detail,
        ),
    )
    .await?;
    let course = store::get_course(&mut tx, course.id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_lessons().await;
    Ok(course)
}

/// The newest published lessons, `(lesson, title, course title)`, to put
/// into a campaign.
pub async fn published_lessons(app: &App, limit: i64) -> Result<Vec<PublishedLesson>> {
    let mut c = app.db.read().await?;
    store::published_lessons(&mut c, limit.clamp(1, 500)).await
}

/// A course's title: anyone may read a published course's; another only
/// whoever has its owner unit in view.
pub async fn course_title(app: &App, ctx: &Ctx, id: i64) -> Result<String> {
    let found = {
        let mut c = app.db.read().await?;
        store::get_course(&mut c, id).await?
    };
    match found {
        Some(course) if course.status == Status::Published => Ok(course.title),
        _ => Ok(crate::access::course(app, ctx, id, Action::ViewUnit)
            .await?
            .0
            .title),
    }
}

/// The courses the actor may write or review, with their lesson counts.
pub async fn courses(app: &App, ctx: &Ctx) -> Result<Vec<(Course, i64)>> {
    let mut roots = ctx.actor.scope(Action::AuthorCourses);
    roots.extend(ctx.actor.scope(Action::PublishCourses));
    roots.sort();
    roots.dedup();
    let all = roots.clone();
    roots.retain(|r| !all.iter().any(|o| o != r && r.starts_with(o.as_str())));
    if roots.is_empty() {
        return Err(Error::forbidden());
    }
    let mut c = app.db.read().await?;
    store::list_courses(&mut c, &roots).await
}

/// A course with its lessons, if the actor may see its owner unit.
pub async fn course(app: &App, ctx: &Ctx, id: i64) -> Result<(Course, Vec<Lesson>)> {
    let (course, _) = crate::access::course(app, ctx, id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let lessons = store::lessons_of_course(&mut c, course.id).await?;
    Ok((course, lessons))
}

/// A lesson and its course, for an author about to edit it.
pub async fn lesson_for_edit(app: &App, ctx: &Ctx, lesson_id: i64) -> Result<(Lesson, Course)> {
    let (lesson, course, _) =
        crate::access::lesson(app, ctx, lesson_id, Action::AuthorCourses).await?;
    Ok((lesson, course))
}

/// What an edit did: a draft lesson changes in place; a published one gets
/// a revision that waits for review while the published version stays.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Edit {
    Updated { lesson: Lesson },
    Proposed { revision: store::Revision },
}

pub async fn edit_lesson(
    app: &App,
    ctx: &Ctx,
    lesson_id: i64,
    input: &LessonInput,
) -> Result<Edit> {
    let (lesson, course, unit) =
        crate::access::lesson(app, ctx, lesson_id, Action::AuthorCourses).await?;
    let (title, duration, video, steps) = check_lesson(app, input, course.category).await?;
    let new = NewLesson {
        course_id: lesson.course_id,
        title: &title,
        duration_s: duration,
        video_url: &video,
        body: &input.body,
        steps: &steps,
    };
    let now = app.now();
    let mut tx = app.db.write().await?;
    let out = match lesson.status {
        Status::Draft => {
            store::update_lesson(&mut tx, lesson.id, &new, lesson.version, now).await?;
            audit::append(
                &mut tx,
                &audit::entry(
                    app,
                    ctx,
                    "lesson.edit",
                    "lesson",
                    lesson.id,
                    Some(unit.id),
                    &title,
                ),
            )
            .await?;
            Edit::Updated {
                lesson: store::get_lesson(&mut tx, lesson.id)
                    .await?
                    .ok_or_else(Error::internal)?,
            }
        }
        Status::Published => {
            if store::revisions_of(&mut tx, lesson.id)
                .await?
                .iter()
                .any(|r| r.status == "submitted")
            {
                return Err(Error::conflict("这节课已有一份修改在等待审核"));
            }
            let id = store::insert_revision(
                &mut tx,
                lesson.id,
                lesson.version + 1,
                &new,
                "submitted",
                ctx.actor.account_id,
                now,
            )
            .await?;
            audit::append(
                &mut tx,
                &audit::entry(
                    app,
                    ctx,
                    "lesson.propose",
                    "lesson",
                    lesson.id,
                    Some(unit.id),
                    format!("revision {id}"),
                ),
            )
            .await?;
            Edit::Proposed {
                revision: store::get_revision(&mut tx, id)
                    .await?
                    .ok_or_else(Error::internal)?,
            }
        }
        other => {
            return Err(Error::invalid(
                "status",
                format!("“{}”的课程不能修改，请先退回修改", other.label()),
            ));
        }
    };
    tx.commit().await.db()?;
    Ok(out)
}

/// A reviewer approves a revision (it becomes the lesson's next version and
/// the replaced content is kept) or returns it.
pub async fn decide_revision(
    app: &App,
    ctx: &Ctx,
    revision_id: i64,
    approve: bool,
) -> Result<Lesson> {
    let revision = {
        let mut c = app.db.read().await?;
        store::get_revision(&mut c, revision_id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    let (lesson, course, unit) =
        crate::access::lesson(app, ctx, revision.lesson_id, Action::PublishCourses).await?;
    if revision.status != "submitted" {
        return Err(Error::invalid("status", "这份修改已处理过"));
    }
    if approve && revision.created_by == ctx.actor.account_id {
        return Err(audit::refuse(
            app,
            ctx,
            Action::PublishCourses,
            "lesson",
            lesson.id,
            Some(unit.id),
            "修改不能由提出者本人批准，请由其他管理员审核",
        )
        .await);
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    if approve {
        let old = NewLesson {
            course_id: lesson.course_id,
            title: &lesson.title,
            duration_s: lesson.duration_s,
            video_url: &lesson.video_url,
            body: &lesson.body,
            steps: &lesson.steps,
        };
        store::insert_revision(
            &mut tx,
            lesson.id,
            lesson.version,
            &old,
            "superseded",
            ctx.actor.account_id,
            now,
        )
        .await?;
        let new = NewLesson {
            course_id: lesson.course_id,
            title: &revision.title,
            duration_s: revision.duration_s,
            video_url: &revision.video_url,
            body: &revision.body,
            steps: &revision.steps,
        };
        store::update_lesson(&mut tx, lesson.id, &new, revision.version, now).await?;
        store::decide_revision(&mut tx, revision.id, "approved", ctx.actor.account_id, now).await?;
        crate::search::index_course(&mut tx, course.id, now).await?;
    } else {
        store::decide_revision(&mut tx, revision.id, "returned", ctx.actor.account_id, now).await?;
    }
    let action = if approve {
        "lesson.approve_revision"
    } else {
        "lesson.return_revision"
    };
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            action,
            "lesson",
            lesson.id,
            Some(unit.id),
            format!("revision {}", revision.id),
        ),
    )
    .await?;
    let lesson = store::get_lesson(&mut tx, lesson.id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_lessons().await;
    Ok(lesson)
}

/// A lesson's revisions, for its authors and reviewers.
pub async fn revisions(app: &App, ctx: &Ctx, lesson_id: i64) -> Result<Vec<store::Revision>> {
    let (lesson, _, unit) = crate::access::lesson(app, ctx, lesson_id, Action::ViewUnit).await?;
    if !ctx.actor.can(Action::AuthorCourses, &unit.path)
        && !ctx.actor.can(Action::PublishCourses, &unit.path)
    {
        return Err(audit::refuse(
            app,
            ctx,
            Action::AuthorCourses,
            "lesson",
            lesson.id,
            Some(unit.id),
            "只有课程的编写和审核人员可以查看修改记录",
        )
        .await);
    }
    let mut c = app.db.read().await?;
    store::revisions_of(&mut c, lesson.id).await
}
