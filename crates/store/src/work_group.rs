//! A school's work group and its plans for each term.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::calendar::Term;
use tongyu_domain::work_group::Duty;

use crate::{BindSubtree, Conn, DbResult, col};

/// A member as the group's page lists them.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "WorkGroupMember")]
pub struct Member {
    pub account_id: i64,
    pub display_name: String,
    pub username: String,
    pub duty: Duty,
    /// The account can still sign in.
    pub active: bool,
    pub added_at: i64,
}

/// The members of a school's group, the coordinator first, then by duty
/// and name.
pub async fn members(c: &mut Conn, school_id: i64) -> Result<Vec<Member>> {
    let rows = sqlx::query(
        "SELECT m.account_id, m.duty, m.added_at, a.display_name, a.username, a.active
         FROM work_group_members m JOIN accounts a ON a.id = m.account_id
         WHERE m.school_id = $1",
    )
    .bind(school_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Member {
                account_id: col(r, "account_id")?,
                display_name: col(r, "display_name")?,
                username: col(r, "username")?,
                duty: Duty::parse(&col::<String>(r, "duty")?)?,
                active: col::<i64>(r, "active")? != 0,
                added_at: col(r, "added_at")?,
            })
        })
        .collect::<Result<Vec<Member>>>()?;
    let rank = |d: Duty| Duty::ALL.iter().position(|x| *x == d).unwrap_or(0);
    tongyu_domain::collate::sort_by_name(&mut out, |m| &m.display_name);
    out.sort_by_key(|m| rank(m.duty));
    Ok(out)
}

/// A member's duty, if the account is in the school's group.
pub async fn duty_of(c: &mut Conn, school_id: i64, account_id: i64) -> Result<Option<Duty>> {
    let d: Option<String> = sqlx::query_scalar(
        "SELECT duty FROM work_group_members WHERE school_id = $1 AND account_id = $2",
    )
    .bind(school_id)
    .bind(account_id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    d.map(|d| Duty::parse(&d)).transpose()
}

/// The school's coordinator, if one is named: (account id, name).
pub async fn coordinator(c: &mut Conn, school_id: i64) -> Result<Option<(i64, String)>> {
    let r = sqlx::query(
        "SELECT a.id, a.display_name FROM work_group_members m JOIN accounts a ON a.id = m.account_id
         WHERE m.school_id = $1 AND m.duty = 'coordinator'",
    )
    .bind(school_id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    r.map(|r| Ok((col(&r, "id")?, col(&r, "display_name")?)))
        .transpose()
}

/// Puts an account in the group with this duty, or changes its duty.
pub async fn upsert_member(
    c: &mut Conn,
    school_id: i64,
    account_id: i64,
    duty: Duty,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO work_group_members (school_id, account_id, duty, added_by, added_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (school_id, account_id) DO UPDATE SET duty = excluded.duty",
    )
    .bind(school_id)
    .bind(account_id)
    .bind(duty.as_str())
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Takes an account out of the group; false if it was not in it.
pub async fn delete_member(c: &mut Conn, school_id: i64, account_id: i64) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM work_group_members WHERE school_id = $1 AND account_id = $2")
            .bind(school_id)
            .bind(account_id)
            .execute(&mut *c)
            .await
            .db()?
            .rows_affected()
            > 0,
    )
}

/// How many members the group has, and whether one is the coordinator.
pub async fn size(c: &mut Conn, school_id: i64) -> Result<(i64, bool)> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n,
                COALESCE(SUM(CASE WHEN duty = 'coordinator' THEN 1 ELSE 0 END), 0) AS k
         FROM work_group_members WHERE school_id = $1",
    )
    .bind(school_id)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok((col(&r, "n")?, col::<i64>(&r, "k")? > 0))
}

/// A school's plan for a term.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct TermPlan {
    pub school_year: i64,
    pub term: Term,
    /// Markdown.
    pub body: String,
    pub updated_by: i64,
    pub updated_at: i64,
}

fn plan_from_row(r: &sqlx::any::AnyRow) -> Result<TermPlan> {
    Ok(TermPlan {
        school_year: col(r, "school_year")?,
        term: Term::parse(&col::<String>(r, "term")?).ok_or_else(tongyu_domain::Error::internal)?,
        body: col(r, "body")?,
        updated_by: col(r, "updated_by")?,
        updated_at: col(r, "updated_at")?,
    })
}

/// A school's plans, the latest term first.
pub async fn plans(c: &mut Conn, school_id: i64) -> Result<Vec<TermPlan>> {
    let rows = sqlx::query(
        "SELECT school_year, term, body, updated_by, updated_at FROM school_plans
         WHERE school_id = $1 ORDER BY school_year DESC, term DESC",
    )
    .bind(school_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(plan_from_row).collect()
}

/// Whether a school saved its plan for a term.
pub async fn has_plan(c: &mut Conn, school_id: i64, school_year: i64, term: Term) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM school_plans WHERE school_id = $1 AND school_year = $2 AND term = $3",
    )
    .bind(school_id)
    .bind(school_year)
    .bind(term.as_str())
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(n > 0)
}

/// Saves a school's plan for a term; true when it is the term's first.
pub async fn save_plan(
    c: &mut Conn,
    school_id: i64,
    school_year: i64,
    term: Term,
    body: &str,
    by: i64,
    now: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE school_plans SET body = $4, updated_by = $5, updated_at = $6
         WHERE school_id = $1 AND school_year = $2 AND term = $3",
    )
    .bind(school_id)
    .bind(school_year)
    .bind(term.as_str())
    .bind(body)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    if n > 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO school_plans (school_id, school_year, term, body, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(school_id)
    .bind(school_year)
    .bind(term.as_str())
    .bind(body)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(true)
}

/// Staff of a school who may join its group: active accounts holding a
/// grant other than a parent's at the school or below it, by name, at most
/// `limit`: (id, name, username).
pub async fn staff_of(
    c: &mut Conn,
    school_path: &str,
    limit: i64,
) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT DISTINCT a.id, a.display_name, a.username
         FROM grants g JOIN accounts a ON a.id = g.account_id JOIN units u ON u.id = g.unit_id
         WHERE u.path >= $1 AND u.path < $2 AND g.role <> 'parent' AND a.active = 1
         ORDER BY a.id LIMIT $3",
    )
    .bind_subtree(school_path)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = rows
        .iter()
        .map(|r| Ok((col(r, "id")?, col(r, "display_name")?, col(r, "username")?)))
        .collect::<Result<Vec<(i64, String, String)>>>()?;
    tongyu_domain::collate::sort_by_name(&mut out, |p| &p.1);
    Ok(out)
}

/// The recount of every work-group measure from the members and plans,
/// a group counting as full from `min_members`: measure key → counts per unit.
pub async fn recount(
    c: &mut Conn,
    min_members: i64,
) -> Result<HashMap<String, HashMap<i64, Vec<i64>>>> {
    let mut out = HashMap::new();
    let coordinated: Vec<String> = sqlx::query_scalar(
        "SELECT u.path FROM units u WHERE u.kind = 'school' AND EXISTS
           (SELECT 1 FROM work_group_members m WHERE m.school_id = u.id AND m.duty = 'coordinator')",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    out.insert(
        tongyu_domain::coverage::Measure::Coordinator.key(),
        crate::coverage::from_school_paths(coordinated),
    );
    let full: Vec<String> = sqlx::query_scalar(
        "SELECT u.path FROM units u JOIN
           (SELECT school_id FROM work_group_members GROUP BY school_id HAVING COUNT(*) >= $1) m
           ON m.school_id = u.id",
    )
    .bind(min_members)
    .fetch_all(&mut *c)
    .await
    .db()?;
    out.insert(
        tongyu_domain::coverage::Measure::WorkGroup.key(),
        crate::coverage::from_school_paths(full),
    );
    let rows = sqlx::query(
        "SELECT u.path, p.school_year, p.term FROM school_plans p JOIN units u ON u.id = p.school_id",
    )
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut by_term: HashMap<String, Vec<String>> = HashMap::new();
    for r in &rows {
        let term =
            Term::parse(&col::<String>(r, "term")?).ok_or_else(tongyu_domain::Error::internal)?;
        let key = tongyu_domain::coverage::Measure::Plan {
            school_year: col(r, "school_year")?,
            term,
        }
        .key();
        by_term.entry(key).or_default().push(col(r, "path")?);
    }
    for (key, paths) in by_term {
        out.insert(key, crate::coverage::from_school_paths(paths));
    }
    Ok(out)
}
