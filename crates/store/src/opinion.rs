//! Queries of opinion watch: each appeal's keywords by day and place, and
//! the counts a report compares.

use tongyu_domain::Result;

use crate::rows::{Batch, Col, V};
use crate::{BindSubtree, Conn, DbResult, col};

pub async fn add_keywords(
    c: &mut Conn,
    appeal_id: i64,
    words: &[String],
    school_id: i64,
    district_id: i64,
    day: i64,
) -> Result<()> {
    for w in words {
        sqlx::query(
            "INSERT INTO appeal_keywords (appeal_id, word, school_id, district_id, day)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (appeal_id, word) DO NOTHING",
        )
        .bind(appeal_id)
        .bind(w)
        .bind(school_id)
        .bind(district_id)
        .bind(day)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(())
}

/// Where a report looks: the whole city, one district, or one school.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    City,
    District(i64),
    School(i64),
}

impl Place {
    fn filter(self) -> (&'static str, i64) {
        match self {
            Place::City => ("$4 = $4", 0),
            Place::District(id) => ("district_id = $4", id),
            Place::School(id) => ("school_id = $4", id),
        }
    }
}

/// Per word: appeals that named it from `current_from` on, and in
/// `[baseline_from, current_from)`; the words of the current period first.
pub async fn topic_counts(
    c: &mut Conn,
    place: Place,
    baseline_from: i64,
    current_from: i64,
    limit: i64,
) -> Result<Vec<(String, i64, i64)>> {
    let (filter, id) = place.filter();
    let sql = format!(
        "SELECT word,
                SUM(CASE WHEN day >= $2 THEN 1 ELSE 0 END) AS cur,
                SUM(CASE WHEN day < $2 THEN 1 ELSE 0 END) AS base
         FROM appeal_keywords WHERE day >= $1 AND {filter}
         GROUP BY word HAVING SUM(CASE WHEN day >= $2 THEN 1 ELSE 0 END) > 0
         ORDER BY cur DESC, word LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(baseline_from)
        .bind(current_from)
        .bind(limit)
        .bind(id)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "word")?, col(r, "cur")?, col(r, "base")?)))
        .collect()
}

/// The appeals that named `word` from `from` on in a place, newest first.
pub async fn appeals_with_word(
    c: &mut Conn,
    place: Place,
    word: &str,
    from: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    let (filter, id) = place.filter();
    let sql = format!(
        "SELECT appeal_id FROM appeal_keywords
         WHERE word = $1 AND day >= $2 AND $3 = $3 AND {filter}
         ORDER BY appeal_id DESC LIMIT $5"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(word)
        .bind(from)
        .bind(0_i64)
        .bind(id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter().map(|r| col(r, "appeal_id")).collect()
}

/// Appeals received from `from` (a timestamp) on in a place, per category,
/// spam left out. A place is the subtree at `path`.
pub async fn appeals_by_category(
    c: &mut Conn,
    path: &str,
    from: i64,
) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT a.category AS category, COUNT(*) AS n
         FROM appeals a
         JOIN units u ON u.id = (CASE WHEN a.school_id > 0 THEN a.school_id ELSE a.unit_id END)
         WHERE u.path >= $1 AND u.path < $2 AND a.created_at >= $3 AND a.status <> 'spam'
         GROUP BY a.category ORDER BY n DESC, a.category",
    )
    .bind_subtree(path)
    .bind(from)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "category")?, col(r, "n")?)))
        .collect()
}

/// Appeals with keywords from `from` on, per district (in the city) or per
/// school (in a district).
pub async fn appeals_by_child(c: &mut Conn, place: Place, from: i64) -> Result<Vec<(i64, i64)>> {
    let (group, filter, id) = match place {
        Place::City => ("district_id", "$2 = $2", 0),
        Place::District(d) => ("school_id", "district_id = $2", d),
        Place::School(s) => ("school_id", "school_id = $2", s),
    };
    let sql = format!(
        "SELECT {group} AS unit_id, COUNT(DISTINCT appeal_id) AS n FROM appeal_keywords
         WHERE day >= $1 AND {filter} GROUP BY {group} ORDER BY n DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(id)
        .fetch_all(&mut *c)
        .await
        .db()?;
    rows.iter()
        .map(|r| Ok((col(r, "unit_id")?, col(r, "n")?)))
        .collect()
}

/// Keywords of many appeals in one statement: (appeal, word, school,
/// district, day).
pub async fn add_keywords_many(c: &mut Conn, rows: &[(i64, &str, i64, i64, i64)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let batch = Batch {
        head: "INSERT INTO appeal_keywords (appeal_id, word, school_id, district_id, day)",
        cols: &[Col::Int, Col::Text, Col::Int, Col::Int, Col::Int],
        tail: "ON CONFLICT (appeal_id, word) DO NOTHING",
    };
    crate::rows::write(c, &batch, rows, |(a, w, s, d, day), v| {
        v.extend([V::I(*a), V::S(w), V::I(*s), V::I(*d), V::I(*day)])
    })
    .await?;
    Ok(())
}
