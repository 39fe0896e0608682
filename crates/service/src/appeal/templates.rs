//! Reply templates: three-part replies a unit writes once per category and
//! its handlers (and those of the units below) start from.

use tongyu_domain::appeal::{Category, Reply};
use tongyu_domain::org::path_ids;
use tongyu_domain::policy::Action;
use tongyu_domain::{Error, Result};
use tongyu_store::DbResult;
use tongyu_store::appeal::{self as store, Template};

use crate::{App, Ctx, audit};

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct TemplateInput {
    pub category: String,
    pub title: String,
    pub policy: String,
    pub status: String,
    pub next_steps: String,
}

pub async fn create(app: &App, ctx: &Ctx, unit_id: i64, input: &TemplateInput) -> Result<i64> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::HandleAppeals).await?;
    let category = Category::parse(input.category.trim())
        .ok_or_else(|| Error::invalid("category", "请选择适用的问题类别"))?;
    let title = input.title.trim();
    let n = title.chars().count();
    if !(2..=40).contains(&n) {
        return Err(Error::invalid("title", "模板名称应为2到40个字"));
    }
    let reply = Reply {
        policy: input.policy.clone(),
        status: input.status.clone(),
        next_steps: input.next_steps.clone(),
    }
    .check()?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let id = store::insert_template(
        &mut tx,
        unit.id,
        category,
        title,
        &reply,
        ctx.actor.account_id,
        now,
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "appeal.template_created",
            "appeal_template",
            id,
            Some(unit.id),
            title,
        ),
    )
    .await?;
    Ok(id)
}

/// The templates a unit's handlers may use: its own and its ancestors'.
pub async fn available(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
    category: Option<Category>,
) -> Result<Vec<Template>> {
    let unit = crate::access::unit(app, ctx, unit_id, Action::HandleAppeals).await?;
    let mut c = app.db.read().await?;
    store::templates_of(&mut c, &path_ids(&unit.path), category).await
}

/// A template the actor may use for an appeal held by `unit_id`.
pub async fn get_for(app: &App, ctx: &Ctx, unit_id: i64, id: i64) -> Result<Template> {
    crate::access::template(app, ctx, unit_id, id).await
}

pub async fn delete(app: &App, ctx: &Ctx, id: i64) -> Result<()> {
    let mut c = app.db.read().await?;
    let t = store::template(&mut c, id)
        .await?
        .ok_or_else(Error::not_found)?;
    drop(c);
    crate::access::unit(app, ctx, t.unit_id, Action::HandleAppeals).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    store::delete_template(&mut tx, id, now).await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "appeal.template_deleted",
            "appeal_template",
            id,
            Some(t.unit_id),
            "",
        ),
    )
    .await?;
    tx.commit().await.db()
}
