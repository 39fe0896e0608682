//! The effect questionnaire: its questions per course, parents' answers,
//! and the tallies by unit.

use super::*;

/// Sets a course's effect-tracking questions (one per line). Not once
/// parents have answered: their answers refer to these questions.
pub async fn set_questionnaire(app: &App, ctx: &Ctx, course_id: i64, raw: &str) -> Result<()> {
    let course = {
        let mut c = app.db.read().await?;
        courses::get_course(&mut c, course_id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    let unit = crate::access::unit(app, ctx, course.owner_unit_id, Action::AuthorCourses).await?;
    let questions = rules::parse_questions(raw)?;
    let mut tx = app.db.write().await?;
    if store::has_answers(&mut tx, course.id).await? {
        return Err(Error::conflict("家长已开始作答，问卷题目不能再修改"));
    }
    store::put_questionnaire(
        &mut tx,
        course.id,
        &questions,
        ctx.actor.account_id,
        app.now(),
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "questionnaire.set",
            "course",
            course.id,
            Some(unit.id),
            format!("{} questions", questions.len()),
        ),
    )
    .await?;
    tx.commit().await.db()?;
    // Which surveys are open shows on every home of a class taking the course.
    app.forget_lessons().await;
    Ok(())
}

/// A course's questionnaire questions, if it has one (they are not secret:
/// every parent of a class taught the course answers them).
pub async fn questionnaire(app: &App, course_id: i64) -> Result<Option<Vec<String>>> {
    let mut c = app.db.read().await?;
    store::questionnaire(&mut c, course_id).await
}

/// The questionnaire a parent may answer now for a child's class.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Survey {
    pub class_id: i64,
    pub child: String,
    pub course_id: i64,
    pub course_title: String,
    pub school_year: i64,
    pub phase: Phase,
    pub questions: Vec<String>,
    pub answered: bool,
}

/// The course a class is taught this year: that of its first session.
async fn course_of_class(
    c: &mut tongyu_store::Conn,
    class_id: i64,
    year: i64,
) -> Result<Option<(i64, i64)>> {
    let sessions = store::sessions_of_class(c, class_id, year).await?;
    let held = sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Held)
        .count() as i64;
    Ok(sessions
        .iter()
        .find(|s| s.status != SessionStatus::Cancelled)
        .map(|s| (s.course_id, held)))
}

/// For each of the parent's children's classes, the questionnaire round
/// open now, if the class's course has a questionnaire.
pub async fn my_surveys(app: &App, ctx: &Ctx) -> Result<Vec<Survey>> {
    let kids = crate::access::children(app, ctx.actor.account_id).await?;
    let year = school_year(app.now());
    let plan = crate::plan::current(app).await?;
    let mut c = app.db.read().await?;
    let mut out: Vec<Survey> = Vec::new();
    for kid in kids.iter() {
        if out.iter().any(|s| s.class_id == kid.class.id) {
            continue;
        }
        let Some((course_id, held)) = course_of_class(&mut c, kid.class.id, year).await? else {
            continue;
        };
        let Some(phase) = Phase::open_for(held, &plan) else {
            continue;
        };
        let Some(questions) = store::questionnaire(&mut c, course_id).await? else {
            continue;
        };
        let course_title = courses::get_course(&mut c, course_id)
            .await?
            .map(|c| c.title)
            .unwrap_or_default();
        let answered = store::answered(&mut c, course_id, year, ctx.actor.account_id)
            .await?
            .contains(&phase);
        out.push(Survey {
            class_id: kid.class.id,
            child: kid.name.clone(),
            course_id,
            course_title,
            school_year: year,
            phase,
            questions,
            answered,
        });
    }
    Ok(out)
}

/// A parent answers the open round of their child's class's questionnaire,
/// once per round; the answers are added to the class's and every
/// ancestor's tallies in the same transaction.
pub async fn answer(
    app: &App,
    ctx: &Ctx,
    class_id: i64,
    phase: &str,
    answers: &[i64],
) -> Result<()> {
    let phase = Phase::parse(phase)?;
    let survey = my_surveys(app, ctx)
        .await?
        .into_iter()
        .find(|s| s.class_id == class_id)
        .ok_or_else(|| Error::invalid("phase", "现在没有需要填写的问卷"))?;
    if survey.phase != phase {
        return Err(Error::invalid("phase", "这一轮问卷现在不开放"));
    }
    let answers = rules::parse_answers(answers, survey.questions.len())?;
    let class = {
        let mut c = app.db.read().await?;
        units::get(&mut c, class_id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    let a = Answer {
        course_id: survey.course_id,
        school_year: survey.school_year,
        account_id: ctx.actor.account_id,
        phase,
        class_id,
        answers: &answers,
    };
    let mut tx = app.db.write().await?;
    if !store::insert_answer(&mut tx, &a, app.now()).await? {
        return Err(Error::conflict("您已经填写过这一轮问卷"));
    }
    store::add_to_questionnaire_tallies(&mut tx, &a, &path_ids(&class.path)).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "questionnaire.answer",
            "course",
            survey.course_id,
            Some(class_id),
            phase.as_str(),
        ),
    )
    .await?;
    tx.commit().await.db()?;
    app.forget_home(ctx.actor.account_id).await;
    Ok(())
}

/// One question's means before and after, over a unit.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct QuestionEffect {
    pub question: String,
    pub before_n: i64,
    pub before: Option<f64>,
    pub after_n: i64,
    pub after: Option<f64>,
}

impl QuestionEffect {
    pub fn change(&self) -> Option<f64> {
        Some(self.after? - self.before?)
    }
}

/// A unit below, with its mean over all questions before and after.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct EffectRow {
    pub unit_id: i64,
    pub name: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// The effect of a course over a unit (a school, a class, a district):
/// per question the means before and after, and per unit below the mean
/// over all questions.
pub async fn effect(
    app: &App,
    ctx: &Ctx,
    course_id: i64,
    unit_id: i64,
    school_year: i64,
) -> Result<(Vec<QuestionEffect>, Vec<EffectRow>)> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::ViewUnit).await?;
    let mut c = app.db.read().await?;
    let questions = store::questionnaire(&mut c, course_id)
        .await?
        .ok_or_else(|| Error::with_message(ErrorCode::NotFound, "这门课程还没有效果追踪问卷"))?;
    let kids = units::children(&mut c, unit.id, false).await?;
    let mut ids: Vec<i64> = kids.iter().map(|k| k.id).collect();
    ids.push(unit.id);
    let t = store::questionnaire_tallies(&mut c, course_id, school_year, &ids).await?;
    let get = |u: i64, p: Phase, q: usize| t.get(&(u, p, q as i64)).copied().unwrap_or((0, 0));
    let per_question = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let (bn, bs) = get(unit.id, Phase::Before, i);
            let (an, asum) = get(unit.id, Phase::After, i);
            QuestionEffect {
                question: q.clone(),
                before_n: bn,
                before: rules::mean(bs, bn),
                after_n: an,
                after: rules::mean(asum, an),
            }
        })
        .collect();
    let overall = |u: i64, p: Phase| {
        let (n, s) = (0..questions.len())
            .map(|i| get(u, p, i))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        rules::mean(s, n)
    };
    let rows = kids
        .iter()
        .map(|k| EffectRow {
            unit_id: k.id,
            name: k.name.clone(),
            before: overall(k.id, Phase::Before),
            after: overall(k.id, Phase::After),
        })
        .collect();
    Ok((per_question, rows))
}
