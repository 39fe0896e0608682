//! Guidance centres and their services.

use tongyu_domain::Result;
use tongyu_domain::guidance_center::ServiceKind;

use crate::{Conn, DbResult, col};

/// A centre as kept.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Center {
    pub unit_id: i64,
    pub name: String,
    /// The district's family education section (家庭教育科).
    pub section: String,
    pub address: String,
    pub phone: String,
    pub established_on: String,
}

pub async fn center(c: &mut Conn, unit_id: i64) -> Result<Option<Center>> {
    let r = sqlx::query(
        "SELECT unit_id, name, section, address, phone, established_on FROM guidance_centers
         WHERE unit_id = $1",
    )
    .bind(unit_id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.map(|r| {
        Ok(Center {
            unit_id: col(&r, "unit_id")?,
            name: col(&r, "name")?,
            section: col(&r, "section")?,
            address: col(&r, "address")?,
            phone: col(&r, "phone")?,
            established_on: col(&r, "established_on")?,
        })
    })
    .transpose()
}

/// Which of these units have a centre.
pub async fn with_center(c: &mut Conn, unit_ids: &[i64]) -> Result<Vec<i64>> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT unit_id FROM guidance_centers WHERE unit_id IN ({})",
        crate::placeholders(1, unit_ids.len())
    );
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for id in unit_ids {
        q = q.bind(*id);
    }
    q.fetch_all(&mut *c).await.db()
}

pub async fn save_center(c: &mut Conn, x: &Center, by: i64, now: i64) -> Result<bool> {
    let existed = center(c, x.unit_id).await?.is_some();
    sqlx::query(
        "INSERT INTO guidance_centers
           (unit_id, name, section, address, phone, established_on, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (unit_id) DO UPDATE SET name = excluded.name, section = excluded.section,
           address = excluded.address, phone = excluded.phone,
           established_on = excluded.established_on, updated_by = excluded.updated_by,
           updated_at = excluded.updated_at",
    )
    .bind(x.unit_id)
    .bind(&x.name)
    .bind(&x.section)
    .bind(&x.address)
    .bind(&x.phone)
    .bind(&x.established_on)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(!existed)
}

/// A service the centre gave.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Service {
    pub id: i64,
    pub kind: ServiceKind,
    pub held_on: String,
    pub title: String,
    /// People served (parents consulted, listeners, trainees).
    pub people: i64,
    /// The researcher who gave it, if recorded: (id, name).
    pub researcher: Option<(i64, String)>,
}

pub struct NewService<'a> {
    pub kind: ServiceKind,
    pub held_on: &'a str,
    pub title: &'a str,
    pub people: i64,
    pub researcher_id: i64,
}

pub async fn insert_service(
    c: &mut Conn,
    unit_id: i64,
    s: &NewService<'_>,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO guidance_services
           (unit_id, kind, held_on, title, people, researcher_id, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(unit_id)
    .bind(s.kind.as_str())
    .bind(s.held_on)
    .bind(s.title)
    .bind(s.people)
    .bind(s.researcher_id)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// A centre's services, the latest first, at most `limit`.
pub async fn services(c: &mut Conn, unit_id: i64, limit: i64) -> Result<Vec<Service>> {
    let rows = sqlx::query(
        "SELECT s.id, s.kind, s.held_on, s.title, s.people, s.researcher_id, a.display_name
         FROM guidance_services s LEFT JOIN accounts a ON a.id = s.researcher_id
         WHERE s.unit_id = $1 ORDER BY s.held_on DESC, s.id DESC LIMIT $2",
    )
    .bind(unit_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            let rid: i64 = col(r, "researcher_id")?;
            let name: Option<String> = col(r, "display_name")?;
            Ok(Service {
                id: col(r, "id")?,
                kind: ServiceKind::parse(&col::<String>(r, "kind")?)?,
                held_on: col(r, "held_on")?,
                title: col(r, "title")?,
                people: col(r, "people")?,
                researcher: (rid > 0).then(|| (rid, name.unwrap_or_default())),
            })
        })
        .collect()
}

/// Per kind, services and people served in a year's span of days.
pub async fn totals(
    c: &mut Conn,
    unit_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(ServiceKind, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT kind, COUNT(*) AS n, CAST(COALESCE(SUM(people), 0) AS BIGINT) AS p FROM guidance_services
         WHERE unit_id = $1 AND held_on >= $2 AND held_on <= $3 GROUP BY kind",
    )
    .bind(unit_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok((
                ServiceKind::parse(&col::<String>(r, "kind")?)?,
                col(r, "n")?,
                col(r, "p")?,
            ))
        })
        .collect()
}
