//! The library parents browse (课程库): published courses by stage and
//! grade, subject (family education, mental health, career education) and
//! category, and each course's lessons with the reader's own progress.
//! What is published is no secret from anyone signed in; a reader's
//! progress is their own.

use tongyu_domain::course::{Category, Status, Subject};
use tongyu_domain::org::Grade;
use tongyu_domain::{Error, Result};
use tongyu_store::course::{self as store, Course};
use tongyu_store::learning as progress;

use crate::{App, Ctx};

/// How many courses a catalogue page lists.
pub const PAGE: i64 = 100;

/// The catalogue's filters, each empty for all.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct LibraryQuery {
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
    let mut c = app.db.read().await?;
    Ok(
        store::published_courses(&mut c, subject, category, &grade, PAGE)
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
}

pub async fn course(app: &App, ctx: &Ctx, id: i64) -> Result<CourseView> {
    let mut c = app.db.read().await?;
    let course = store::get_course(&mut c, id)
        .await?
        .filter(|k| k.status == Status::Published)
        .ok_or_else(Error::not_found)?;
    let lessons = store::lessons_of_course(&mut c, course.id).await?;
    let mine = progress::progress_of(&mut c, ctx.actor.account_id).await?;
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
    })
}
