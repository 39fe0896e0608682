//! The library parents browse (课程库): published courses by stage and
//! grade, subject (family education, mental health, career education) and
//! category, and each course's lessons with the reader's own progress.
//! What is published is no secret from anyone signed in; a reader's
//! progress is their own.

use tongyu_domain::course::{Category, Status, Subject};
use tongyu_domain::org::{Grade, Stage};
use tongyu_domain::{Error, Result};
use tongyu_store::course::{self as store, Course};
use tongyu_store::learning as progress;
use tongyu_store::{DbResult, library as favourites};

use crate::{App, Ctx, audit};

/// How many courses a catalogue page lists.
pub const PAGE: i64 = 100;

/// The catalogue's filters, each empty for all.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct LibraryQuery {
    /// A stage (junior, or its name 初中): courses for any of its grades.
    #[serde(default)]
    pub stage: String,
    /// A grade code (P1) or name (一年级).
    #[serde(default)]
    pub grade: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub category: String,
}

/// A course as the catalogue lists it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct LibraryCourse {
    pub course: Course,
    pub lessons: i64,
    /// The grades it is for, as names (empty: every grade).
    pub grades_label: String,
}

fn grades_label(codes: &str) -> String {
    codes
        .split(',')
        .filter_map(|g| Grade::parse(g).ok())
        .map(|g| g.label())
        .collect::<Vec<_>>()
        .join("、")
}

/// Published courses matching the filters, newest first.
pub async fn catalogue(app: &App, q: &LibraryQuery) -> Result<Vec<LibraryCourse>> {
    let subject = match q.subject.trim() {
        "" => None,
        s => Some(Subject::parse(s)?),
    };
    let category = match q.category.trim() {
        "" => None,
        s => Some(Category::parse(s)?),
    };
    let grade = match q.grade.trim() {
        "" => String::new(),
        g => Grade::parse(g)?.code(),
    };
    // A stage's grade codes share their letter (J1-J3).
    let stage_prefix = match q.stage.trim() {
        "" => String::new(),
        s => Stage::parse(s)
            .map_err(|e| Error::invalid("stage", e.message))?
            .grades()
            .first()
            .map(|g| g.code()[..1].to_owned())
            .unwrap_or_default(),
    };
    let mut c = app.db.read().await?;
    Ok(
        store::published_courses(&mut c, subject, category, &grade, &stage_prefix, PAGE)
            .await?
            .into_iter()
            .map(|(course, lessons)| LibraryCourse {
                grades_label: grades_label(&course.grades),
                course,
                lessons,
            })
            .collect(),
    )
}

/// A lesson of a course with the reader's progress on it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "LibraryLesson")]
pub struct LessonLine {
    pub id: i64,
    pub title: String,
    pub minutes: i64,
    pub percent: i64,
    pub completed: bool,
    /// (title, address) of each attachment.
    pub attachments: Vec<(String, String)>,
}

/// A published course with its published lessons.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "LibraryCourseView")]
pub struct CourseView {
    pub course: Course,
    pub grades_label: String,
    pub lessons: Vec<LessonLine>,
    /// Minutes of all its lessons.
    pub minutes: i64,
    /// Among the reader's favourites?
    pub favourite: bool,
}

pub async fn course(app: &App, ctx: &Ctx, id: i64) -> Result<CourseView> {
    let mut c = app.db.read().await?;
    let course = store::get_course(&mut c, id)
        .await?
        .filter(|k| k.status == Status::Published)
        .ok_or_else(Error::not_found)?;
    let lessons = store::lessons_of_course(&mut c, course.id).await?;
    let mine = progress::progress_of(&mut c, ctx.actor.account_id).await?;
    let favourite = favourites::is_favourite(&mut c, ctx.actor.account_id, course.id).await?;
    drop(c);
    let mut out = Vec::new();
    for l in lessons
        .into_iter()
        .filter(|l| l.status == Status::Published)
    {
        let (covered, completed_at) = mine.get(&l.id).copied().unwrap_or((0, 0));
        out.push(LessonLine {
            id: l.id,
            title: l.title,
            minutes: (l.duration_s / 60).max(1),
            percent: if l.duration_s > 0 {
                (covered * 100 / l.duration_s).min(100)
            } else {
                0
            },
            completed: completed_at > 0,
            attachments: crate::media::attachments(app, l.id)
                .await?
                .into_iter()
                .map(|(t, f)| (t, crate::media::url_of(&f)))
                .collect(),
        });
    }
    Ok(CourseView {
        grades_label: grades_label(&course.grades),
        minutes: out.iter().map(|l| l.minutes).sum(),
        course,
        lessons: out,
        favourite,
    })
}

/// Keeps a published course among the reader's favourites (`on`) or lets
/// it go. Returns whether it is a favourite now.
pub async fn set_favourite(app: &App, ctx: &Ctx, course_id: i64, on: bool) -> Result<bool> {
    let mut tx = app.db.write().await?;
    let published = store::get_course(&mut tx, course_id)
        .await?
        .is_some_and(|k| k.status == Status::Published);
    let me = ctx.actor.account_id;
    let changed = if on {
        if !published {
            return Err(Error::not_found());
        }
        favourites::add_favourite(&mut tx, me, course_id, app.now()).await?
    } else {
        favourites::remove_favourite(&mut tx, me, course_id).await?
    };
    if changed {
        let action = if on {
            "library.favourite"
        } else {
            "library.unfavourite"
        };
        audit::append(
            &mut tx,
            &audit::entry(app, ctx, action, "course", course_id, None, ""),
        )
        .await?;
    }
    tx.commit().await.db()?;
    Ok(on)
}

/// The library's course a lesson belongs to, for the lesson page's trail:
/// (id, title) of a published self-study course, none for other courses.
pub async fn shelf_of(app: &App, course_id: i64) -> Result<Option<(i64, String)>> {
    let mut c = app.db.read().await?;
    Ok(store::get_course(&mut c, course_id)
        .await?
        .filter(|k| k.status == Status::Published && k.category == Category::SelfStudy)
        .map(|k| (k.id, k.title)))
}

/// The reader's favourite courses still published, the latest kept first.
pub async fn favourites(app: &App, ctx: &Ctx) -> Result<Vec<LibraryCourse>> {
    let mut c = app.db.read().await?;
    Ok(favourites::favourites(&mut c, ctx.actor.account_id, PAGE)
        .await?
        .into_iter()
        .map(|(course, lessons)| LibraryCourse {
            grades_label: grades_label(&course.grades),
            course,
            lessons,
        })
        .collect())
}
