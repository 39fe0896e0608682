//! The search index. The words are cut before they get here; each backend
//! matches them with its own full-text engine (FTS5 on SQLite, a `simple`
//! tsvector on PostgreSQL): the one place where the two dialects part.

use tongyu_domain::Result;

use crate::{Backend, Conn, DbResult, col};

#[derive(Debug, Clone)]
pub struct Doc {
    /// `course`, `lesson` or `lesson_plan`.
    pub kind: &'static str,
    pub ref_id: i64,
    pub course_id: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub subject: String,
    pub grades: String,
    pub words: String,
}

pub async fn upsert(c: &mut Conn, d: &Doc, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO search_docs (kind, ref_id, course_id, title, body, category, subject, grades, words, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (kind, ref_id) DO UPDATE SET course_id = excluded.course_id, title = excluded.title,
             body = excluded.body, category = excluded.category, subject = excluded.subject,
             grades = excluded.grades, words = excluded.words, updated_at = excluded.updated_at",
    )
    .bind(d.kind)
    .bind(d.ref_id)
    .bind(d.course_id)
    .bind(&d.title)
    .bind(&d.body)
    .bind(&d.category)
    .bind(&d.subject)
    .bind(&d.grades)
    .bind(&d.words)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Removes a course and its lessons from the index.
pub async fn remove_course(c: &mut Conn, course_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM search_docs WHERE course_id = $1")
        .bind(course_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub category: String,
    pub subject: String,
    /// Grade codes; a document for every grade ('') always fits.
    pub grades: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Hit {
    pub kind: String,
    pub ref_id: i64,
    pub course_id: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub subject: String,
    pub rank: f64,
}

/// How many of the newest matches a search ranks.
pub const CANDIDATES: i64 = 500;

/// SQLite's full-text key of a document: this minus its id, so the index
/// reads the newest first (migration 0010).
const FTS_KEY_BASE: i64 = 4_611_686_018_427_387_904;

/// Documents matching all the words (or any, when `any`), best first.
pub async fn find(
    c: &mut Conn,
    backend: Backend,
    words: &[String],
    any: bool,
    f: &Filters,
    limit: i64,
) -> Result<Vec<Hit>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let (from_where, newest, query) = match backend {
        Backend::Sqlite => {
            let q = words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(if any { " OR " } else { " " });
            (
                // CROSS JOIN keeps the full-text match as the outer loop: left
                // to itself, SQLite may scan the documents and test the match
                // row by row.
                "FROM search_fts CROSS JOIN search_docs d WHERE d.fts_key = search_fts.rowid AND search_fts MATCH $1",
                // FTS5 reads its matches forward by key, newest first, and
                // stops after the candidates: they cost only themselves.
                "search_fts.rowid ASC",
                q,
            )
        }
        Backend::Postgres => {
            let q = words.join(if any { " | " } else { " & " });
            (
                "FROM search_docs d WHERE d.tsv @@ to_tsquery('simple', $1)",
                "d.id DESC",
                q,
            )
        }
    };
    let grade_clause = if f.grades.is_empty() {
        String::new()
    } else {
        let ors = (0..f.grades.len())
            .map(|i| format!("(',' || d.grades || ',') LIKE ${}", 5 + i))
            .collect::<Vec<_>>()
            .join(" OR ");
        format!(" AND (d.grades = '' OR {ors})")
    };
    // Rank at most CANDIDATES matches, the newest first: a word found in
    // a third of 100,000 documents would otherwise cost ranking 30,000 rows
    // on every search. Only the hits shown are read in full.
    let unfiltered = f.category.is_empty() && f.subject.is_empty() && f.grades.is_empty();
    let candidates = if backend == Backend::Sqlite && unfiltered {
        // With no filter the full-text table alone picks the candidates,
        // walking its own rowids from the newest.
        format!(
            "SELECT {FTS_KEY_BASE} - search_fts.rowid AS id FROM search_fts
             WHERE search_fts MATCH $1 AND $2 = '' AND $3 = ''
             ORDER BY search_fts.rowid ASC LIMIT {CANDIDATES}"
        )
    } else {
        format!(
            "SELECT d.id
             {from_where} AND ($2 = '' OR d.category = $2) AND ($3 = '' OR d.subject = $3){grade_clause}
             ORDER BY {newest} LIMIT {CANDIDATES}"
        )
    };
    // The candidates are ranked by the query's words they hold, a word in
    // the title counting twice, the newest first among equals. (bm25 and
    // ts_rank would weigh each word by how many documents hold it, which
    // costs reading every match of the word on every search.)
    let first_word = 5 + f.grades.len();
    let find_in = match backend {
        Backend::Sqlite => "instr",
        Backend::Postgres => "strpos",
    };
    let terms: Vec<String> = (0..words.len())
        .map(|i| {
            let p = first_word + i;
            format!(
                "CASE WHEN {find_in}(x.title, ${p}) > 0 THEN 2 ELSE 0 END
                 + CASE WHEN {find_in}(' ' || x.words || ' ', ' ' || ${p} || ' ') > 0 THEN 1 ELSE 0 END"
            )
        })
        .collect();
    let rank = format!("CAST(-({}) AS DOUBLE PRECISION)", terms.join(" + "));
    let sql = format!(
        "SELECT x.kind, x.ref_id, x.course_id, x.title, x.body, x.category, x.subject, {rank} AS rank
         FROM ({candidates}) AS m JOIN search_docs x ON x.id = m.id ORDER BY 8, m.id DESC LIMIT $4"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(query)
        .bind(&f.category)
        .bind(&f.subject)
        .bind(limit);
    for g in &f.grades {
        q = q.bind(format!("%,{g},%"));
    }
    for w in words {
        q = q.bind(w.clone());
    }
    let rows = q.fetch_all(&mut *c).await.db()?;
    rows.iter()
        .map(|r| {
            Ok(Hit {
                kind: col(r, "kind")?,
                ref_id: col(r, "ref_id")?,
                course_id: col(r, "course_id")?,
                title: col(r, "title")?,
                body: col(r, "body")?,
                category: col(r, "category")?,
                subject: col(r, "subject")?,
                rank: col(r, "rank")?,
            })
        })
        .collect()
}

/// The newest published course titles (suggestions when nothing matches).
pub async fn recent_titles(c: &mut Conn, limit: i64) -> Result<Vec<String>> {
    sqlx::query_scalar("SELECT title FROM search_docs WHERE kind = 'course' ORDER BY updated_at DESC, id DESC LIMIT $1")
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()
}
