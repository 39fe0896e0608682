//! Search in Chinese over published courses and lessons, with filters,
//! ranked hits with the matched words marked, and suggestions when nothing
//! matches.

use tongyu_domain::course::{Category, Status, Subject};
use tongyu_domain::org::{Grade, Stage};
use tongyu_domain::search::{highlight, index_words, plain_text, query_words, snippet};
use tongyu_domain::{Error, Result};
use tongyu_store::Conn;
use tongyu_store::search::{self as store, Doc, Filters};

use crate::{App, Ctx};

/// Puts a course and its lessons into the index when published, and takes
/// them out otherwise. Runs in the caller's transaction.
pub async fn index_course(c: &mut Conn, course_id: i64, now: i64) -> Result<()> {
    let Some(course) = tongyu_store::course::get_course(c, course_id).await? else {
        return Ok(());
    };
    store::remove_course(c, course.id).await?;
    if course.status != Status::Published {
        return Ok(());
    }
    let doc = |kind, ref_id, title: &str, body: &str| Doc {
        kind,
        ref_id,
        course_id: course.id,
        title: title.to_owned(),
        body: body.to_owned(),
        category: course.category.as_str().to_owned(),
        subject: course.subject.as_str().to_owned(),
        grades: course.grades.clone(),
        words: index_words(&format!("{title} {}", plain_text(body))),
    };
    store::upsert(
        c,
        &doc("course", course.id, &course.title, &course.description),
        now,
    )
    .await?;
    for l in tongyu_store::course::lessons_of_course(c, course.id).await? {
        if l.status == Status::Published {
            store::upsert(c, &doc("lesson", l.id, &l.title, &l.body), now).await?;
        }
    }
    Ok(())
}

/// Puts a published lesson plan into the index (for the required course,
/// whose teachers it serves). Runs in the caller's transaction.
pub async fn index_lesson_plan(
    c: &mut Conn,
    plan: &tongyu_store::contribution::Contribution,
    grades: &str,
    now: i64,
) -> Result<()> {
    let text = format!("{} {} {}", plan.title, plan.summary, plain_text(&plan.body));
    let doc = Doc {
        kind: "lesson_plan",
        ref_id: plan.id,
        course_id: 0,
        title: plan.title.clone(),
        body: format!("{}\n\n{}", plan.summary, plan.body),
        category: Category::Required.as_str().to_owned(),
        subject: plan.subject.as_str().to_owned(),
        grades: grades.to_owned(),
        words: index_words(&text),
    };
    store::upsert(c, &doc, now).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Query {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub subject: String,
    /// A stage (its grades) or one grade code.
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub grade: String,
}

/// A run of text, marked when it is a matched word.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Part {
    pub text: String,
    pub mark: bool,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Found {
    pub kind: String,
    pub ref_id: i64,
    pub course_id: i64,
    pub title: Vec<Part>,
    pub snippet: Vec<Part>,
    pub category: String,
    pub subject: String,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Results {
    pub words: Vec<String>,
    pub hits: Vec<Found>,
    /// True when no document had every word and these match some of them.
    pub relaxed: bool,
    /// Titles to try when nothing matched at all.
    pub suggestions: Vec<String>,
}

fn parts(text: &str, words: &[String]) -> Vec<Part> {
    highlight(text, words)
        .into_iter()
        .map(|(text, mark)| Part { text, mark })
        .collect()
}

/// Searches the published courses and lessons.
pub async fn search(app: &App, _ctx: &Ctx, q: &Query) -> Result<Results> {
    if q.q.chars().count() > 100 {
        return Err(Error::invalid("q", "搜索词不能超过100个字"));
    }
    let words = query_words(&q.q);
    let mut filters = Filters::default();
    if !q.category.is_empty() {
        filters.category = Category::parse(&q.category)?.as_str().to_owned();
    }
    if !q.subject.is_empty() {
        filters.subject = Subject::parse(&q.subject)?.as_str().to_owned();
    }
    if !q.grade.is_empty() {
        filters.grades = vec![Grade::parse(&q.grade)?.code()];
    } else if !q.stage.is_empty() {
        filters.grades = Stage::parse(&q.stage)?
            .grades()
            .iter()
            .map(|g| g.code())
            .collect();
    }
    let mut c = app.db.read().await?;
    let backend = app.db.backend();
    let mut hits = store::find(&mut c, backend, &words, false, &filters, 50).await?;
    let mut relaxed = false;
    if hits.is_empty() && words.len() > 1 {
        hits = store::find(&mut c, backend, &words, true, &filters, 50).await?;
        relaxed = !hits.is_empty();
    }
    let suggestions = if hits.is_empty() {
        store::recent_titles(&mut c, 5).await?
    } else {
        Vec::new()
    };
    let hits = hits
        .into_iter()
        .map(|h| Found {
            title: parts(&h.title, &words),
            snippet: parts(&snippet(&plain_text(&h.body), &words, 80), &words),
            kind: h.kind,
            ref_id: h.ref_id,
            course_id: h.course_id,
            category: Category::parse(&h.category)
                .map(|c| c.label().to_owned())
                .unwrap_or_default(),
            subject: Subject::parse(&h.subject)
                .map(|s| s.label().to_owned())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Results {
        words,
        hits,
        relaxed,
        suggestions,
    })
}
