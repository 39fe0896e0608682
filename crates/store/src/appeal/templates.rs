//! Reply templates: the wording a unit keeps for answers it gives often,
//! usable by the unit and the units below it.

use tongyu_domain::Result;
use tongyu_domain::appeal::Category;

use super::bad_value;
use crate::{Conn, DbResult, col};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Template {
    pub id: i64,
    pub unit_id: i64,
    pub category: Category,
    pub title: String,
    pub policy: String,
    pub status: String,
    pub next_steps: String,
}

pub async fn insert_template(
    c: &mut Conn,
    unit_id: i64,
    category: Category,
    title: &str,
    reply: &tongyu_domain::appeal::Reply,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO appeal_templates (unit_id, category, title, policy, status, next_steps, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(unit_id)
    .bind(category.as_str())
    .bind(title)
    .bind(&reply.policy)
    .bind(&reply.status)
    .bind(&reply.next_steps)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn delete_template(c: &mut Conn, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE appeal_templates SET deleted_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

fn template_from_row(r: &sqlx::any::AnyRow) -> Result<Template> {
    let category: String = col(r, "category")?;
    Ok(Template {
        id: col(r, "id")?,
        unit_id: col(r, "unit_id")?,
        category: Category::parse(&category).ok_or_else(|| bad_value("category", &category))?,
        title: col(r, "title")?,
        policy: col(r, "policy")?,
        status: col(r, "status")?,
        next_steps: col(r, "next_steps")?,
    })
}

/// Live templates of these units (a unit and its ancestors), optionally of
/// one category, the nearest unit's first.
pub async fn templates_of(
    c: &mut Conn,
    unit_ids: &[i64],
    category: Option<Category>,
) -> Result<Vec<Template>> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, unit_id, category, title, policy, status, next_steps FROM appeal_templates
         WHERE deleted_at = 0 AND unit_id IN ({}) AND (${} = '' OR category = ${})
         ORDER BY id DESC LIMIT 200",
        crate::placeholders(1, unit_ids.len()),
        unit_ids.len() + 1,
        unit_ids.len() + 1
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for u in unit_ids {
        q = q.bind(*u);
    }
    let rows = q
        .bind(category.map_or("", |c| c.as_str()))
        .fetch_all(&mut *c)
        .await
        .db()?;
    let mut out: Vec<Template> = rows.iter().map(template_from_row).collect::<Result<_>>()?;
    out.sort_by_key(|t| {
        (
            std::cmp::Reverse(unit_ids.iter().position(|u| *u == t.unit_id).unwrap_or(0)),
            std::cmp::Reverse(t.id),
        )
    });
    Ok(out)
}

pub async fn template(c: &mut Conn, id: i64) -> Result<Option<Template>> {
    let r = sqlx::query(
        "SELECT id, unit_id, category, title, policy, status, next_steps FROM appeal_templates
         WHERE id = $1 AND deleted_at = 0",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.as_ref().map(template_from_row).transpose()
}
