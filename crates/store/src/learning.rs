//! Queries of the first lesson of term (campaigns and their targets) and of
//! learning progress: reports, families' tallies, rollups, what was started.

use std::collections::HashMap;

use tongyu_domain::Result;

use crate::BindSubtree;
use crate::rollup::{CAMPAIGN, Check, spread};
use crate::rows::{Batch, Col, V};
use crate::{Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Campaign {
    pub id: i64,
    pub school_year: i64,
    pub title: String,
    pub opens_at: i64,
    pub closes_at: i64,
}

impl Campaign {
    /// Open to parents at `now`.
    pub fn is_open_at(&self, now: i64) -> bool {
        self.opens_at <= now && now < self.closes_at
    }
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

/// Changes a campaign's title, school year and dates.
pub async fn update_campaign(
    c: &mut Conn,
    id: i64,
    year: i64,
    title: &str,
    opens: i64,
    closes: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE campaigns SET school_year = $2, title = $3, opens_at = $4, closes_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(year)
    .bind(title)
    .bind(opens)
    .bind(closes)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
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

/// Takes a lesson out of a campaign (false if it was not in it).
pub async fn remove_target(c: &mut Conn, t: &Target) -> Result<bool> {
    Ok(sqlx::query(
        "DELETE FROM campaign_lessons WHERE campaign_id = $1 AND lesson_id = $2 AND grade = $3 AND school_id = $4",
    )
    .bind(t.campaign_id)
    .bind(t.lesson_id)
    .bind(&t.grade)
    .bind(t.school_id)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

/// The classes with families tallied in a campaign, within a subtree and
/// (unless empty) of one grade: (class id, grade, path).
pub async fn tallied_classes(
    c: &mut Conn,
    campaign_id: i64,
    under: &str,
    grade: &str,
) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT u.id, u.grade, u.path FROM units u
         WHERE u.path >= $1 AND u.path < $2 AND u.kind = 'class' AND ($4 = '' OR u.grade = $4)
           AND EXISTS (SELECT 1 FROM campaign_students s WHERE s.campaign_id = $3 AND s.class_id = u.id)",
    )
    .bind_subtree(under)
    .bind(campaign_id)
    .bind(grade)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "id")?, col(r, "grade")?, col(r, "path")?)))
        .collect()
}

/// Families of these classes who completed a lesson in a campaign.
pub async fn families_with_lesson(
    c: &mut Conn,
    campaign_id: i64,
    lesson_id: i64,
    class_ids: &[i64],
) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM campaign_student_lessons l JOIN campaign_students s
           ON s.campaign_id = l.campaign_id AND s.student_id = l.student_id
         WHERE l.campaign_id = $1 AND l.lesson_id = $2 AND s.class_id IN {}",
        ids_in(c, 3)
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(campaign_id)
        .bind(lesson_id)
        .bind(ids_json(class_ids)?)
        .fetch_one(&mut *c)
        .await
        .db()
}

/// A subquery of the ids in the JSON array bound at `$n`.
fn ids_in(c: &mut Conn, n: usize) -> String {
    if crate::is_postgres(c) {
        format!("(SELECT value::bigint FROM jsonb_array_elements_text(${n}::jsonb))")
    } else {
        format!("(SELECT value FROM json_each(${n}))")
    }
}

fn ids_json(ids: &[i64]) -> Result<String> {
    serde_json::to_string(ids).map_err(|_| tongyu_domain::Error::internal())
}

/// Brings the tallies of these classes' families in line with a changed
/// campaign: each now needs `needed` lessons; when `dropped` is a lesson no
/// longer meant for them, what they did of it stops counting. Families
/// complete or not by the new count. Returns what changed per unit (the
/// classes and every unit above them), for the rollups, and how many
/// families' completions of the dropped lesson stopped counting.
pub async fn retally(
    c: &mut Conn,
    campaign_id: i64,
    classes: &[(i64, String)],
    needed: i64,
    dropped: Option<i64>,
    now: i64,
) -> Result<(HashMap<i64, CampaignCounts>, i64)> {
    let class_ids: Vec<i64> = classes.iter().map(|(id, _)| *id).collect();
    let json = ids_json(&class_ids)?;
    let mut per_class: HashMap<i64, CampaignCounts> = HashMap::new();
    let mut undone = 0;
    let returned = |rows: Vec<sqlx::any::AnyRow>| -> Result<Vec<i64>> {
        rows.iter().map(|r| col(r, "class_id")).collect()
    };
    if let Some(lesson_id) = dropped {
        let sql = format!(
            "DELETE FROM campaign_student_lessons WHERE campaign_id = $1 AND lesson_id = $2
               AND student_id IN (SELECT student_id FROM campaign_students
                                  WHERE campaign_id = $1 AND class_id IN {})
             RETURNING student_id",
            ids_in(c, 3)
        );
        let gone: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(campaign_id)
            .bind(lesson_id)
            .bind(&json)
            .fetch_all(&mut *c)
            .await
            .db()?;
        if !gone.is_empty() {
            let sql = format!(
                "UPDATE campaign_students SET done = done - 1
                 WHERE campaign_id = $1 AND done > 0 AND student_id IN {} RETURNING class_id",
                ids_in(c, 2)
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(campaign_id)
                .bind(ids_json(&gone)?)
                .fetch_all(&mut *c)
                .await
                .db()?;
            for class in returned(rows)? {
                per_class.entry(class).or_default().lessons_done -= 1;
                undone += 1;
            }
        }
    }
    let within = format!("campaign_id = $1 AND class_id IN {}", ids_in(c, 2));
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE campaign_students SET needed = $3 WHERE {within} AND needed <> $3"
    )))
    .bind(campaign_id)
    .bind(&json)
    .bind(needed)
    .execute(&mut *c)
    .await
    .db()?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE campaign_students SET completed_at = $3
         WHERE {within} AND completed_at = 0 AND needed > 0 AND done >= needed RETURNING class_id"
    )))
    .bind(campaign_id)
    .bind(&json)
    .bind(now)
    .fetch_all(&mut *c)
    .await
    .db()?;
    for class in returned(rows)? {
        per_class.entry(class).or_default().families_done += 1;
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE campaign_students SET completed_at = 0
         WHERE {within} AND completed_at > 0 AND (needed = 0 OR done < needed) RETURNING class_id"
    )))
    .bind(campaign_id)
    .bind(&json)
    .fetch_all(&mut *c)
    .await
    .db()?;
    for class in returned(rows)? {
        per_class.entry(class).or_default().families_done -= 1;
    }
    let paths: HashMap<i64, &str> = classes.iter().map(|(id, p)| (*id, p.as_str())).collect();
    let sums = per_class.into_iter().filter_map(|(class, d)| {
        paths.get(&class).map(|p| {
            (
                (*p).to_owned(),
                vec![d.families_done, d.lessons_done, d.families_started],
            )
        })
    });
    let deltas = spread(sums, true)
        .into_iter()
        .map(|(unit, v)| {
            (
                unit,
                CampaignCounts {
                    families_done: v[0],
                    lessons_done: v[1],
                    families_started: v[2],
                },
            )
        })
        .collect();
    Ok((deltas, undone))
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

/// Marks a child's family as started in a campaign (credited seconds on
/// one of its lessons); true the first time only.
pub async fn mark_started(
    c: &mut Conn,
    campaign_id: i64,
    student_id: i64,
    class_id: i64,
    needed: i64,
    now: i64,
) -> Result<bool> {
    sqlx::query(
        "INSERT INTO campaign_students (campaign_id, student_id, class_id, needed, done, started_at)
         VALUES ($1, $2, $3, $4, 0, $5)
         ON CONFLICT (campaign_id, student_id) DO UPDATE SET started_at = $5
         WHERE campaign_students.started_at = 0",
    )
    .bind(campaign_id)
    .bind(student_id)
    .bind(class_id)
    .bind(needed)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()
    .map(|r| r.rows_affected() > 0)
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

/// A unit's figures in a campaign, as its rollup keeps them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignCounts {
    /// Families with every lesson done.
    pub families_done: i64,
    pub lessons_done: i64,
    /// Families with credited seconds on any of their lessons.
    pub families_started: i64,
}

impl CampaignCounts {
    pub fn add(&mut self, o: CampaignCounts) {
        self.families_done += o.families_done;
        self.lessons_done += o.lessons_done;
        self.families_started += o.families_started;
    }
}

/// Adds to the rollups of units in a campaign.
pub async fn add_rollups(
    c: &mut Conn,
    campaign_id: i64,
    deltas: &HashMap<i64, CampaignCounts>,
) -> Result<()> {
    let mut ids: Vec<&i64> = deltas.keys().collect();
    ids.sort();
    for unit in ids {
        let d = deltas[unit];
        CAMPAIGN
            .add(
                c,
                &[V::I(campaign_id)],
                &[*unit],
                &[d.families_done, d.lessons_done, d.families_started],
            )
            .await?;
    }
    Ok(())
}

/// The figures of these units in a campaign.
pub async fn rollups(
    c: &mut Conn,
    campaign_id: i64,
    unit_ids: &[i64],
) -> Result<HashMap<i64, CampaignCounts>> {
    Ok(CAMPAIGN
        .read(c, &[V::I(campaign_id)], unit_ids)
        .await?
        .into_iter()
        .map(|(u, v)| {
            (
                u,
                CampaignCounts {
                    families_done: v[0],
                    lessons_done: v[1],
                    families_started: v[2],
                },
            )
        })
        .collect())
}

/// A child's tally in a campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub done: i64,
    pub needed: i64,
    pub completed_at: i64,
    /// When the family first earned credited seconds (0: not yet).
    pub started_at: i64,
}

/// Each child's tally in a class, by student id.
pub async fn class_tallies(
    c: &mut Conn,
    campaign_id: i64,
    class_id: i64,
) -> Result<HashMap<i64, Tally>> {
    let rows = sqlx::query(
        "SELECT student_id, done, needed, completed_at, started_at FROM campaign_students
         WHERE campaign_id = $1 AND class_id = $2",
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
                Tally {
                    done: col(r, "done")?,
                    needed: col(r, "needed")?,
                    completed_at: col(r, "completed_at")?,
                    started_at: col(r, "started_at")?,
                },
            ))
        })
        .collect()
}

/// Sets a campaign's rollups to a recount from the children's tallies
/// (after tallies were written in bulk, as the demo does).
pub async fn recount_rollups(c: &mut Conn, campaign_id: i64) -> Result<()> {
    let check = check_rollups(c, campaign_id).await?;
    CAMPAIGN
        .replace(c, &[V::I(campaign_id)], &check.recounted)
        .await
}

/// Families of the classes under `path` in a campaign, written at once for
/// a demo: a child whose `(id * 37) % 100` is under `finished` has done all
/// its lessons, under `started` has begun. The lessons a child needs are
/// the city's lessons for every grade and for its own.
pub async fn demo_tallies(
    c: &mut Conn,
    campaign_id: i64,
    path: &str,
    started: i64,
    finished: i64,
    skip_guardian: i64,
    now: i64,
) -> Result<()> {
    let city_lessons = "(SELECT COUNT(DISTINCT cl.lesson_id) FROM campaign_lessons cl
         WHERE cl.campaign_id = $3 AND cl.school_id = 0 AND (cl.grade = '' OR cl.grade = c.grade))";
    let sql = format!(
        "INSERT INTO campaign_students
             (campaign_id, student_id, class_id, needed, done, completed_at, started_at)
         SELECT $3, s.id, s.class_id, {city_lessons},
             CASE WHEN (s.id * 37) % 100 < $4 THEN {city_lessons} ELSE 0 END,
             CASE WHEN (s.id * 37) % 100 < $4 THEN $6 - (s.id % 7) * 3600 ELSE 0 END,
             $6 - 86400 + (s.id % 20) * 3600
         FROM students s JOIN units c ON c.id = s.class_id
         WHERE c.path >= $1 AND c.path < $2 AND s.active = 1 AND (s.id * 37) % 100 < $5
           AND s.id NOT IN (SELECT g.student_id FROM guardians g WHERE g.account_id = $7)
         ON CONFLICT (campaign_id, student_id) DO NOTHING"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind_subtree(path)
        .bind(campaign_id)
        .bind(finished)
        .bind(started)
        .bind(now)
        .bind(skip_guardian)
        .execute(&mut *c)
        .await
        .db()?;
    // Which lessons the finished families did, so that a lesson taken out
    // of the campaign later stops counting for them as for anyone.
    sqlx::query(
        "INSERT INTO campaign_student_lessons (campaign_id, student_id, lesson_id, done_at)
         SELECT s.campaign_id, s.student_id, cl.lesson_id, s.completed_at
         FROM campaign_students s JOIN units c ON c.id = s.class_id
         JOIN campaign_lessons cl ON cl.campaign_id = s.campaign_id AND cl.school_id = 0
              AND (cl.grade = '' OR cl.grade = c.grade)
         WHERE c.path >= $1 AND c.path < $2 AND s.campaign_id = $3 AND s.completed_at > 0
         ON CONFLICT (campaign_id, student_id, lesson_id) DO NOTHING",
    )
    .bind_subtree(path)
    .bind(campaign_id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// A campaign's rollups as kept and as recounted from the children's
/// tallies (per class, then up the tree through the units' paths).
pub async fn check_rollups(c: &mut Conn, campaign_id: i64) -> Result<Check> {
    let rows = sqlx::query(
        "SELECT u.path, CAST(SUM(CASE WHEN s.completed_at > 0 THEN 1 ELSE 0 END) AS BIGINT) AS f,
                CAST(SUM(s.done) AS BIGINT) AS l,
                CAST(SUM(CASE WHEN s.started_at > 0 THEN 1 ELSE 0 END) AS BIGINT) AS st
         FROM campaign_students s JOIN units u ON u.id = s.class_id
         WHERE s.campaign_id = $1 GROUP BY u.path",
    )
    .bind(campaign_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let sums = rows
        .iter()
        .map(|r| {
            Ok((
                col(r, "path")?,
                vec![col(r, "f")?, col(r, "l")?, col(r, "st")?],
            ))
        })
        .collect::<Result<Vec<(String, Vec<i64>)>>>()?;
    Ok(Check {
        kept: CAMPAIGN.all(c, &[V::I(campaign_id)]).await?,
        recounted: spread(sums, true),
    })
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
    let batch = Batch {
        head,
        cols: &[Col::Int, Col::Int, Col::Text, Col::Int, Col::Int, Col::Int],
        tail,
    };
    crate::rows::write(c, &batch, rows, |((a, l), p), v| {
        v.extend([
            V::I(*a),
            V::I(*l),
            V::S(&p.spans),
            V::I(p.covered_s),
            V::I(p.completed_at),
            V::I(p.last_report_at),
        ])
    })
    .await?;
    Ok(())
}

/// A lesson a parent started and has not finished.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "StartedLesson")]
pub struct Started {
    pub lesson_id: i64,
    pub title: String,
    pub duration_s: i64,
    /// Seconds of it played at least once.
    pub covered_s: i64,
}

/// Lessons a parent has started and not finished, the latest first.
pub async fn started_of(c: &mut Conn, account_id: i64, limit: i64) -> Result<Vec<Started>> {
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
            Ok(Started {
                lesson_id: col(r, "lesson_id")?,
                title: col(r, "title")?,
                duration_s: col(r, "duration_s")?,
                covered_s: col(r, "covered_s")?,
            })
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
