//! Courses and their lessons: authoring, status along the review path,
//! revisions of published lessons, the published library.

use tongyu_domain::Result;
use tongyu_domain::course::{Category, Status, Subject};

use crate::{BindSubtree, Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Course {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub subject: Subject,
    pub grades: String,
    pub owner_unit_id: i64,
    pub status: Status,
    /// Its author, who may not review or publish it.
    #[serde(skip)]
    pub created_by: i64,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Lesson {
    pub id: i64,
    pub course_id: i64,
    pub seq: i64,
    pub title: String,
    pub duration_s: i64,
    pub video_url: String,
    pub body: String,
    pub status: Status,
    pub version: i64,
    /// The five steps, stored encoded (`domain::course::encode_steps`).
    pub steps: String,
}

pub(crate) fn course_from_row(r: &sqlx::any::AnyRow) -> Result<Course> {
    Ok(Course {
        id: col(r, "id")?,
        title: col(r, "title")?,
        description: col(r, "description")?,
        category: Category::parse(&col::<String>(r, "category")?)?,
        subject: Subject::parse(&col::<String>(r, "subject")?)?,
        grades: col(r, "grades")?,
        owner_unit_id: col(r, "owner_unit_id")?,
        created_by: col(r, "created_by")?,
        status: Status::parse(&col::<String>(r, "status")?)?,
    })
}

fn lesson_from_row(r: &sqlx::any::AnyRow) -> Result<Lesson> {
    Ok(Lesson {
        id: col(r, "id")?,
        course_id: col(r, "course_id")?,
        seq: col(r, "seq")?,
        title: col(r, "title")?,
        duration_s: col(r, "duration_s")?,
        video_url: col(r, "video_url")?,
        body: col(r, "body")?,
        status: Status::parse(&col::<String>(r, "status")?)?,
        version: col(r, "version")?,
        steps: col(r, "steps")?,
    })
}

pub struct NewCourse<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub category: Category,
    pub subject: Subject,
    pub grades: &'a str,
    pub owner_unit_id: i64,
    pub created_by: i64,
}

pub async fn insert_course(c: &mut Conn, n: &NewCourse<'_>, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO courses (title, description, category, subject, grades, owner_unit_id, status,
                              created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $8) RETURNING id",
    )
    .bind(n.title)
    .bind(n.description)
    .bind(n.category.as_str())
    .bind(n.subject.as_str())
    .bind(n.grades)
    .bind(n.owner_unit_id)
    .bind(n.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn get_course(c: &mut Conn, id: i64) -> Result<Option<Course>> {
    let r = sqlx::query(
        "SELECT id, title, description, category, subject, grades, owner_unit_id, status, created_by
         FROM courses WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.as_ref().map(course_from_row).transpose()
}

pub async fn set_course_status(c: &mut Conn, id: i64, status: Status, now: i64) -> Result<()> {
    sqlx::query("UPDATE courses SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

pub struct NewLesson<'a> {
    pub course_id: i64,
    pub title: &'a str,
    pub duration_s: i64,
    pub video_url: &'a str,
    pub body: &'a str,
    /// Encoded five steps, '' for none.
    pub steps: &'a str,
}

pub async fn insert_lesson(c: &mut Conn, n: &NewLesson<'_>, now: i64) -> Result<i64> {
    let seq: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lessons WHERE course_id = $1")
        .bind(n.course_id)
        .fetch_one(&mut *c)
        .await
        .db()?;
    sqlx::query_scalar(
        "INSERT INTO lessons (course_id, seq, title, duration_s, video_url, body, steps, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $8, 'draft', $7, $7) RETURNING id",
    )
    .bind(n.course_id)
    .bind(seq + 1)
    .bind(n.title)
    .bind(n.duration_s)
    .bind(n.video_url)
    .bind(n.body)
    .bind(now)
    .bind(n.steps)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn get_lesson(c: &mut Conn, id: i64) -> Result<Option<Lesson>> {
    let r = sqlx::query(
        "SELECT id, course_id, seq, title, duration_s, video_url, body, status, version, steps FROM lessons WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.as_ref().map(lesson_from_row).transpose()
}

/// A published lesson of a published self-study course, named by its id
/// or by the media it plays (the oldest such lesson): what a micro-review
/// step may open.
pub async fn self_study_lesson(c: &mut Conn, id: i64, media: &str) -> Result<Option<i64>> {
    let r = sqlx::query(
        "SELECT l.id FROM lessons l JOIN courses k ON k.id = l.course_id
         WHERE l.status = 'published' AND k.status = 'published' AND k.category = 'self_study'
           AND (l.id = $1 OR ($2 <> '' AND l.video_url = $2))
         ORDER BY l.id LIMIT 1",
    )
    .bind(id)
    .bind(media)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.map(|r| col(&r, "id")).transpose()
}

pub async fn lessons_of_course(c: &mut Conn, course_id: i64) -> Result<Vec<Lesson>> {
    let rows = sqlx::query(
        "SELECT id, course_id, seq, title, duration_s, video_url, body, status, version, steps
         FROM lessons WHERE course_id = $1 ORDER BY seq",
    )
    .bind(course_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(lesson_from_row).collect()
}

pub async fn set_lesson_status(c: &mut Conn, id: i64, status: Status, now: i64) -> Result<()> {
    sqlx::query("UPDATE lessons SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Courses owned by units inside the subtrees `roots`, newest first, with
/// their number of lessons.
/// Published courses for the library, newest first, with their published
/// lessons counted: of a subject and category when given, and for a grade
/// (courses for every grade included) when given.
pub async fn published_courses(
    c: &mut Conn,
    subject: Option<Subject>,
    category: Option<Category>,
    grade: &str,
    stage_prefix: &str,
    limit: i64,
) -> Result<Vec<(Course, i64)>> {
    let rows = sqlx::query(
        "SELECT k.id, k.title, k.description, k.category, k.subject, k.grades, k.owner_unit_id,
                k.status, k.created_by,
                (SELECT COUNT(*) FROM lessons l WHERE l.course_id = k.id AND l.status = 'published')
                    AS lessons
         FROM courses k
         WHERE k.status = 'published' AND ($1 = '' OR k.subject = $1)
           AND ($2 = '' OR k.category = $2)
           AND ($3 = '' OR k.grades = '' OR (',' || k.grades || ',') LIKE ('%,' || $3 || ',%'))
           AND ($5 = '' OR k.grades = '' OR (',' || k.grades) LIKE ('%,' || $5 || '%'))
         ORDER BY k.id DESC LIMIT $4",
    )
    .bind(subject.map_or("", |s| s.as_str()))
    .bind(category.map_or("", |s| s.as_str()))
    .bind(grade)
    .bind(limit)
    .bind(stage_prefix)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((course_from_row(r)?, col(r, "lessons")?)))
        .collect()
}

pub async fn list_courses(c: &mut Conn, roots: &[String]) -> Result<Vec<(Course, i64)>> {
    let mut out = Vec::new();
    for root in roots {
        let rows = sqlx::query(
            "SELECT k.id, k.title, k.description, k.category, k.subject, k.grades, k.owner_unit_id, k.status,
                    k.created_by, (SELECT COUNT(*) FROM lessons l WHERE l.course_id = k.id) AS lessons
             FROM courses k JOIN units u ON u.id = k.owner_unit_id
             WHERE u.path >= $1 AND u.path < $2 ORDER BY k.id DESC LIMIT 500",
        )
        .bind_subtree(root)
        .fetch_all(&mut *c)
        .await
        .db()?;
        for r in &rows {
            out.push((course_from_row(r)?, col(r, "lessons")?));
        }
    }
    out.sort_by_key(|k| std::cmp::Reverse(k.0.id));
    Ok(out)
}

/// A published lesson as a list to choose from shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedLesson {
    pub id: i64,
    pub title: String,
    pub course_title: String,
}

/// Published lessons with their courses' titles, newest first (for choosing
/// the lessons of a campaign).
pub async fn published_lessons(c: &mut Conn, limit: i64) -> Result<Vec<PublishedLesson>> {
    let rows = sqlx::query(
        "SELECT l.id, l.title, k.title AS course FROM lessons l JOIN courses k ON k.id = l.course_id
         WHERE l.status = 'published' ORDER BY l.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(PublishedLesson {
                id: col(r, "id")?,
                title: col(r, "title")?,
                course_title: col(r, "course")?,
            })
        })
        .collect()
}

/// A proposed or past version of a lesson's content.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Revision {
    pub id: i64,
    pub lesson_id: i64,
    pub version: i64,
    pub title: String,
    pub duration_s: i64,
    pub video_url: String,
    pub body: String,
    pub status: String,
    pub steps: String,
    /// Who proposed it, who may not approve it.
    pub created_by: i64,
}

fn revision_from_row(r: &sqlx::any::AnyRow) -> Result<Revision> {
    Ok(Revision {
        id: col(r, "id")?,
        lesson_id: col(r, "lesson_id")?,
        version: col(r, "version")?,
        title: col(r, "title")?,
        duration_s: col(r, "duration_s")?,
        video_url: col(r, "video_url")?,
        body: col(r, "body")?,
        status: col(r, "status")?,
        steps: col(r, "steps")?,
        created_by: col(r, "created_by")?,
    })
}

/// Records a revision of a lesson (content as given, with a status).
pub async fn insert_revision(
    c: &mut Conn,
    lesson_id: i64,
    version: i64,
    n: &NewLesson<'_>,
    status: &str,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO lesson_revisions (lesson_id, version, title, duration_s, video_url, body, status, created_by, created_at, steps)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(lesson_id)
    .bind(version)
    .bind(n.title)
    .bind(n.duration_s)
    .bind(n.video_url)
    .bind(n.body)
    .bind(status)
    .bind(by)
    .bind(now)
    .bind(n.steps)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn get_revision(c: &mut Conn, id: i64) -> Result<Option<Revision>> {
    let r = sqlx::query(
        "SELECT id, lesson_id, version, title, duration_s, video_url, body, status, steps, created_by FROM lesson_revisions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.as_ref().map(revision_from_row).transpose()
}

/// A lesson's revisions, newest first.
pub async fn revisions_of(c: &mut Conn, lesson_id: i64) -> Result<Vec<Revision>> {
    let rows = sqlx::query(
        "SELECT id, lesson_id, version, title, duration_s, video_url, body, status, steps, created_by FROM lesson_revisions
         WHERE lesson_id = $1 ORDER BY id DESC",
    )
    .bind(lesson_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(revision_from_row).collect()
}

pub async fn decide_revision(c: &mut Conn, id: i64, status: &str, by: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE lesson_revisions SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4",
    )
    .bind(status)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Replaces a lesson's content (a draft edited in place, or an approved
/// revision becoming the published version).
pub async fn update_lesson(
    c: &mut Conn,
    id: i64,
    n: &NewLesson<'_>,
    version: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE lessons SET title = $1, duration_s = $2, video_url = $3, body = $4, version = $5, updated_at = $6,
             steps = $8
         WHERE id = $7",
    )
    .bind(n.title)
    .bind(n.duration_s)
    .bind(n.video_url)
    .bind(n.body)
    .bind(version)
    .bind(now)
    .bind(id)
    .bind(n.steps)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}
