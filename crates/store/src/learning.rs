//! Queries of courses, lessons, campaigns and learning progress.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::course::{Category, Status, Subject};

use crate::{BindSubtree, Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize)]
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

#[derive(Debug, Clone, serde::Serialize)]
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

fn course_from_row(r: &sqlx::any::AnyRow) -> Result<Course> {
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

#[derive(Debug, Clone, serde::Serialize)]
pub struct Campaign {
    pub id: i64,
    pub school_year: i64,
    pub title: String,
    pub opens_at: i64,
    pub closes_at: i64,
}

fn campaign_from_row(r: &sqlx::any::AnyRow) -> Result<Campaign> {
    Ok(Campaign {
        id: col(r, "id")?,
        school_year: col(r, "school_year")?,
        title: col(r, "title")?,
        opens_at: col(r, "opens_at")?,
        closes_at: col(r, "closes_at")?,
    })
}

pub async fn insert_campaign(
    c: &mut Conn,
    year: i64,
    title: &str,
    opens: i64,
    closes: i64,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO campaigns (school_year, title, opens_at, closes_at, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(year)
    .bind(title)
    .bind(opens)
    .bind(closes)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn get_campaign(c: &mut Conn, id: i64) -> Result<Option<Campaign>> {
    let r = sqlx::query(
        "SELECT id, school_year, title, opens_at, closes_at FROM campaigns WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.as_ref().map(campaign_from_row).transpose()
}

pub async fn list_campaigns(c: &mut Conn) -> Result<Vec<Campaign>> {
    let rows = sqlx::query(
        "SELECT id, school_year, title, opens_at, closes_at FROM campaigns ORDER BY id DESC",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(campaign_from_row).collect()
}

/// A lesson of a campaign and whom it is for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    pub campaign_id: i64,
    pub lesson_id: i64,
    /// Empty: every grade.
    pub grade: String,
    /// 0: the city's lesson; otherwise one school's.
    pub school_id: i64,
}

impl Target {
    /// Is the lesson meant for a child of `grade` at `school_id`?
    pub fn fits(&self, grade: &str, school_id: i64) -> bool {
        (self.grade.is_empty() || self.grade == grade)
            && (self.school_id == 0 || self.school_id == school_id)
    }
}

pub async fn add_target(c: &mut Conn, t: &Target, by: i64, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO campaign_lessons (campaign_id, lesson_id, grade, school_id, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (campaign_id, lesson_id, grade, school_id) DO NOTHING",
    )
    .bind(t.campaign_id)
    .bind(t.lesson_id)
    .bind(&t.grade)
    .bind(t.school_id)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

fn target_from_row(r: &sqlx::any::AnyRow) -> Result<Target> {
    Ok(Target {
        campaign_id: col(r, "campaign_id")?,
        lesson_id: col(r, "lesson_id")?,
        grade: col(r, "grade")?,
        school_id: col(r, "school_id")?,
    })
}

/// The campaigns a lesson belongs to, and for whom.
pub async fn targets_of_lesson(c: &mut Conn, lesson_id: i64) -> Result<Vec<Target>> {
    let rows = sqlx::query("SELECT campaign_id, lesson_id, grade, school_id FROM campaign_lessons WHERE lesson_id = $1")
        .bind(lesson_id)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(target_from_row).collect()
}

/// Every lesson of a campaign, and for whom.
pub async fn targets_of_campaign(c: &mut Conn, campaign_id: i64) -> Result<Vec<Target>> {
    let rows = sqlx::query(
        "SELECT campaign_id, lesson_id, grade, school_id FROM campaign_lessons WHERE campaign_id = $1 ORDER BY id",
    )
    .bind(campaign_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(target_from_row).collect()
}

/// A parent's progress on a lesson.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub spans: String,
    pub covered_s: i64,
    pub completed_at: i64,
    pub last_report_at: i64,
}

/// A parent's progress on many lessons: lesson id → (covered seconds, completed at).
pub async fn progress_of(c: &mut Conn, account_id: i64) -> Result<HashMap<i64, (i64, i64)>> {
    let rows = sqlx::query(
        "SELECT lesson_id, covered_s, completed_at FROM lesson_progress WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "lesson_id")?,
                (col(r, "covered_s")?, col(r, "completed_at")?),
            ))
        })
        .collect()
}

/// Marks a lesson done for a child in a campaign; false if it already was.
pub async fn mark_student_lesson(
    c: &mut Conn,
    campaign_id: i64,
    student_id: i64,
    lesson_id: i64,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO campaign_student_lessons (campaign_id, student_id, lesson_id, done_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (campaign_id, student_id, lesson_id) DO NOTHING",
    )
    .bind(campaign_id)
    .bind(student_id)
    .bind(lesson_id)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

/// Counts one more lesson done for a child; returns true when this made the
/// family complete (done reached needed).
pub async fn count_student_lesson(
    c: &mut Conn,
    campaign_id: i64,
    student_id: i64,
    class_id: i64,
    needed: i64,
    now: i64,
) -> Result<bool> {
    sqlx::query(
        "INSERT INTO campaign_students (campaign_id, student_id, class_id, needed, done) VALUES ($1, $2, $3, $4, 0)
         ON CONFLICT (campaign_id, student_id) DO NOTHING",
    )
    .bind(campaign_id)
    .bind(student_id)
    .bind(class_id)
    .bind(needed)
    .execute(&mut *c)
    .await
    .db()?;
    let r = sqlx::query(
        "UPDATE campaign_students SET done = done + 1 WHERE campaign_id = $1 AND student_id = $2
         RETURNING done, needed, completed_at",
    )
    .bind(campaign_id)
    .bind(student_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    let (done, needed, completed): (i64, i64, i64) = (
        col(&r, "done")?,
        col(&r, "needed")?,
        col(&r, "completed_at")?,
    );
    if done >= needed && completed == 0 {
        sqlx::query("UPDATE campaign_students SET completed_at = $1 WHERE campaign_id = $2 AND student_id = $3")
            .bind(now)
            .bind(campaign_id)
            .bind(student_id)
            .execute(&mut *c)
            .await
            .db()?;
        return Ok(true);
    }
    Ok(false)
}

/// Adds (families, lessons) to the rollups of units in a campaign.
pub async fn add_rollups(
    c: &mut Conn,
    campaign_id: i64,
    deltas: &HashMap<i64, (i64, i64)>,
) -> Result<()> {
    let mut ids: Vec<&i64> = deltas.keys().collect();
    ids.sort();
    for unit in ids {
        let (f, l) = deltas[unit];
        sqlx::query(
            "INSERT INTO campaign_rollups (campaign_id, unit_id, families_done, lessons_done) VALUES ($1, $2, $3, $4)
             ON CONFLICT (campaign_id, unit_id) DO UPDATE SET
                 families_done = campaign_rollups.families_done + excluded.families_done,
                 lessons_done = campaign_rollups.lessons_done + excluded.lessons_done",
        )
        .bind(campaign_id)
        .bind(*unit)
        .bind(f)
        .bind(l)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(())
}

/// (families done, lessons done) of these units in a campaign.
pub async fn rollups(
    c: &mut Conn,
    campaign_id: i64,
    unit_ids: &[i64],
) -> Result<HashMap<i64, (i64, i64)>> {
    let mut out = HashMap::new();
    for chunk in unit_ids.chunks(500) {
        let sql = format!(
            "SELECT unit_id, families_done, lessons_done FROM campaign_rollups WHERE campaign_id = $1 AND unit_id IN ({})",
            crate::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(campaign_id);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.insert(
                col(&r, "unit_id")?,
                (col(&r, "families_done")?, col(&r, "lessons_done")?),
            );
        }
    }
    Ok(out)
}

/// Each child's tally in a class: student id → (done, needed, completed at).
pub async fn class_tallies(
    c: &mut Conn,
    campaign_id: i64,
    class_id: i64,
) -> Result<HashMap<i64, (i64, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT student_id, done, needed, completed_at FROM campaign_students WHERE campaign_id = $1 AND class_id = $2",
    )
    .bind(campaign_id)
    .bind(class_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "student_id")?,
                (col(r, "done")?, col(r, "needed")?, col(r, "completed_at")?),
            ))
        })
        .collect()
}

/// Recomputes a campaign's rollups from the children's tallies (for checks
/// and repair): per class, then up the tree through the units' paths.
pub async fn recount_rollups(c: &mut Conn, campaign_id: i64) -> Result<HashMap<i64, (i64, i64)>> {
    let rows = sqlx::query(
        "SELECT u.path, CAST(SUM(CASE WHEN s.completed_at > 0 THEN 1 ELSE 0 END) AS BIGINT) AS f,
                CAST(SUM(s.done) AS BIGINT) AS l
         FROM campaign_students s JOIN units u ON u.id = s.class_id
         WHERE s.campaign_id = $1 GROUP BY u.path",
    )
    .bind(campaign_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
    for r in rows {
        let path: String = col(&r, "path")?;
        let (f, l): (i64, i64) = (col(&r, "f")?, col(&r, "l")?);
        for id in tongyu_domain::org::path_ids(&path) {
            let e = out.entry(id).or_default();
            e.0 += f;
            e.1 += l;
        }
    }
    Ok(out)
}

/// Every stored rollup of a campaign.
pub async fn all_rollups(c: &mut Conn, campaign_id: i64) -> Result<HashMap<i64, (i64, i64)>> {
    let rows = sqlx::query(
        "SELECT unit_id, families_done, lessons_done FROM campaign_rollups
         WHERE campaign_id = $1 AND (families_done <> 0 OR lessons_done <> 0)",
    )
    .bind(campaign_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "unit_id")?,
                (col(r, "families_done")?, col(r, "lessons_done")?),
            ))
        })
        .collect()
}

/// Progress rows for many (account, lesson) pairs at once. The keys travel
/// as one JSON parameter: one prepared statement whatever the batch size,
/// and no per-parameter cost (SQLite looks each `$N` up in a list, so a
/// statement with a thousand parameters costs a million steps to bind).
/// The rows come back as one JSON value too: the driver hands SQLite's rows
/// over one at a time between its thread and ours, which cost more than
/// the query itself in a batch of a hundred. On PostgreSQL each key is an
/// index probe of its own (a LATERAL subquery, as in
/// [`crate::appeal::recent_duplicates`]), whatever the table's statistics.
pub async fn get_progress_many(
    c: &mut Conn,
    keys: &[(i64, i64)],
) -> Result<HashMap<(i64, i64), Progress>> {
    let mut out = HashMap::with_capacity(keys.len());
    if keys.is_empty() {
        return Ok(out);
    }
    let json = serde_json::to_string(keys).map_err(|_| tongyu_domain::Error::internal())?;
    let sql = if crate::is_postgres(c) {
        "SELECT COALESCE(json_agg(json_build_array(p.account_id, p.lesson_id, p.spans, p.covered_s,
                    p.completed_at, p.last_report_at)), '[]'::json)::text
         FROM jsonb_array_elements($1::jsonb) k
         CROSS JOIN LATERAL (SELECT * FROM lesson_progress
                             WHERE account_id = (k->>0)::bigint AND lesson_id = (k->>1)::bigint
                             LIMIT 1) p"
    } else {
        "SELECT json_group_array(json_array(p.account_id, p.lesson_id, p.spans, p.covered_s,
                    p.completed_at, p.last_report_at))
         FROM json_each($1) k
         JOIN lesson_progress p ON p.account_id = k.value->>0 AND p.lesson_id = k.value->>1"
    };
    let all: String = sqlx::query_scalar(sql)
        .bind(json)
        .fetch_one(&mut *c)
        .await
        .db()?;
    let rows: Vec<(i64, i64, String, i64, i64, i64)> = serde_json::from_str(&all).map_err(|e| {
        tracing::error!(error = %e, "progress rows are not the JSON expected");
        tongyu_domain::Error::internal()
    })?;
    for (account_id, lesson_id, spans, covered_s, completed_at, last_report_at) in rows {
        out.insert(
            (account_id, lesson_id),
            Progress {
                spans,
                covered_s,
                completed_at,
                last_report_at,
            },
        );
    }
    Ok(out)
}

/// Writes many progress rows in a few upserts (each key once): on SQLite as
/// plain parameters ([`crate::rows`]), on PostgreSQL as one JSON parameter.
pub async fn put_progress_many(c: &mut Conn, rows: &[((i64, i64), Progress)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let head = "INSERT INTO lesson_progress (account_id, lesson_id, spans, covered_s, completed_at,
                 last_report_at)";
    let tail = "ON CONFLICT (account_id, lesson_id) DO UPDATE SET spans = excluded.spans,
                 covered_s = excluded.covered_s, completed_at = excluded.completed_at,
                 last_report_at = excluded.last_report_at";
    if !crate::is_postgres(c) {
        crate::rows::insert(
            c,
            head,
            "(?, ?, ?, ?, ?, ?)",
            tail,
            rows,
            |q, ((a, l), p)| {
                q.bind(*a)
                    .bind(*l)
                    .bind(p.spans.as_str())
                    .bind(p.covered_s)
                    .bind(p.completed_at)
                    .bind(p.last_report_at)
            },
        )
        .await?;
        return Ok(());
    }
    let flat: Vec<(i64, i64, &str, i64, i64, i64)> = rows
        .iter()
        .map(|((a, l), p)| {
            (
                *a,
                *l,
                p.spans.as_str(),
                p.covered_s,
                p.completed_at,
                p.last_report_at,
            )
        })
        .collect();
    let json = serde_json::to_string(&flat).map_err(|_| tongyu_domain::Error::internal())?;
    let sql = format!(
        "{head}
         SELECT (r->>0)::bigint, (r->>1)::bigint, r->>2, (r->>3)::bigint, (r->>4)::bigint, (r->>5)::bigint
         FROM jsonb_array_elements($1::jsonb) r
         {tail}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(json)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Courses owned by units inside the subtrees `roots`, newest first, with
/// their number of lessons.
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

/// Published lessons with their courses' titles, newest first (for choosing
/// the lessons of a campaign).
pub async fn published_lessons(c: &mut Conn, limit: i64) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT l.id, l.title, k.title AS course FROM lessons l JOIN courses k ON k.id = l.course_id
         WHERE l.status = 'published' ORDER BY l.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "id")?, col(r, "title")?, col(r, "course")?)))
        .collect()
}

/// Lessons a parent has started and not finished, the latest first:
/// (lesson id, title, duration, covered seconds).
pub async fn started_of(
    c: &mut Conn,
    account_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT p.lesson_id, l.title, l.duration_s, p.covered_s FROM lesson_progress p
         JOIN lessons l ON l.id = p.lesson_id
         WHERE p.account_id = $1 AND p.completed_at = 0 AND p.covered_s > 0 AND l.status = 'published'
         ORDER BY p.last_report_at DESC LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "lesson_id")?,
                col(r, "title")?,
                col(r, "duration_s")?,
                col(r, "covered_s")?,
            ))
        })
        .collect()
}

/// Published self-study lessons for a grade (courses for every grade or
/// this one), newest first: (lesson id, title, duration, course title).
pub async fn self_study_for(
    c: &mut Conn,
    grade: &str,
    limit: i64,
) -> Result<Vec<(i64, String, i64, String)>> {
    let rows = sqlx::query(
        "SELECT l.id, l.title, l.duration_s, k.title AS course FROM lessons l JOIN courses k ON k.id = l.course_id
         WHERE l.status = 'published' AND k.status = 'published' AND k.category = 'self_study'
           AND (k.grades = '' OR (',' || k.grades || ',') LIKE $1)
         ORDER BY l.id DESC LIMIT $2",
    )
    .bind(format!("%,{grade},%"))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "id")?,
                col(r, "title")?,
                col(r, "duration_s")?,
                col(r, "course")?,
            ))
        })
        .collect()
}

/// A proposed or past version of a lesson's content.
#[derive(Debug, Clone, serde::Serialize)]
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

/// The lessons a parent has completed: (completed at, duration in seconds).
pub async fn completions_of(c: &mut Conn, account_id: i64) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT p.completed_at, l.duration_s FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id
         WHERE p.account_id = $1 AND p.completed_at > 0 ORDER BY p.completed_at",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "completed_at")?, col(r, "duration_s")?)))
        .collect()
}
