//! Queries of students and guardian links.

use tongyu_domain::Result;
use tongyu_domain::collate::sort_by_name;
use tongyu_domain::org::{Counts, Unit};
use tongyu_domain::student::{LinkStatus, Student};

use crate::{BindSubtree, Conn, DbResult, col};

fn student_from_row(r: &sqlx::any::AnyRow) -> Result<Student> {
    Ok(Student {
        id: col(r, "id")?,
        class_id: col(r, "class_id")?,
        name: col(r, "name")?,
        gender: col(r, "gender")?,
        external_id: col(r, "external_id")?,
        active: col::<i64>(r, "active")? != 0,
    })
}

/// Adds a student to a class and counts them up the tree.
pub async fn insert(
    c: &mut Conn,
    class: &Unit,
    name: &str,
    gender: &str,
    external_id: Option<&str>,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO students (class_id, name, gender, external_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(class.id)
    .bind(name)
    .bind(gender)
    .bind(external_id)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()?;
    let mut ids = class.ancestor_ids();
    ids.push(class.id);
    crate::org::add_counts(
        c,
        &ids,
        Counts {
            students: 1,
            ..Counts::default()
        },
    )
    .await?;
    Ok(id)
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Student>> {
    let row = sqlx::query(
        "SELECT id, class_id, name, gender, external_id, active FROM students WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(student_from_row).transpose()
}

pub async fn get_by_external_id(c: &mut Conn, external_id: &str) -> Result<Option<Student>> {
    let row = sqlx::query(
        "SELECT id, class_id, name, gender, external_id, active FROM students WHERE external_id = $1",
    )
    .bind(external_id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(student_from_row).transpose()
}

pub async fn list_by_class(c: &mut Conn, class_id: i64) -> Result<Vec<Student>> {
    let rows = sqlx::query(
        "SELECT id, class_id, name, gender, external_id, active FROM students
         WHERE class_id = $1 AND active = 1 ORDER BY id",
    )
    .bind(class_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut list = rows
        .iter()
        .map(student_from_row)
        .collect::<Result<Vec<_>>>()?;
    sort_by_name(&mut list, |s| &s.name);
    Ok(list)
}

/// A guardian link as a head teacher sees it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct GuardianLink {
    pub student_id: i64,
    pub student_name: String,
    pub account_id: i64,
    pub guardian_name: String,
    /// The guardian's phone, masked.
    #[serde(skip)]
    pub guardian_phone_mask: Option<String>,
    pub relation: String,
    pub status: LinkStatus,
    pub requested_at: i64,
}

fn link_from_row(r: &sqlx::any::AnyRow) -> Result<GuardianLink> {
    Ok(GuardianLink {
        student_id: col(r, "student_id")?,
        student_name: col(r, "student_name")?,
        account_id: col(r, "account_id")?,
        guardian_name: col(r, "display_name")?,
        guardian_phone_mask: col(r, "phone_mask")?,
        relation: col(r, "relation")?,
        status: LinkStatus::parse(&col::<String>(r, "status")?)?,
        requested_at: col(r, "requested_at")?,
    })
}

/// The guardian links of a class's students.
/// How many guardians of a class wait for the head teacher to confirm them.
pub async fn pending_in_class(c: &mut Conn, class_id: i64) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM guardians l JOIN students s ON s.id = l.student_id
         WHERE s.class_id = $1 AND l.status = 'pending'",
    )
    .bind(class_id)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn links_of_class(c: &mut Conn, class_id: i64) -> Result<Vec<GuardianLink>> {
    let rows = sqlx::query(
        "SELECT l.student_id, s.name AS student_name, l.account_id, a.display_name, a.phone_mask,
                l.relation, l.status, l.requested_at
         FROM guardians l JOIN students s ON s.id = l.student_id JOIN accounts a ON a.id = l.account_id
         WHERE s.class_id = $1 ORDER BY l.student_id, l.account_id",
    )
    .bind(class_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut links = rows.iter().map(link_from_row).collect::<Result<Vec<_>>>()?;
    // By status (its name, descending, as this list has always run), then
    // by child and guardian in pinyin order: stable sorts, the last key first.
    sort_by_name(&mut links, |l| &l.guardian_name);
    sort_by_name(&mut links, |l| &l.student_name);
    links.sort_by_key(|l| std::cmp::Reverse(l.status.as_str()));
    Ok(links)
}

pub async fn get_link(
    c: &mut Conn,
    student_id: i64,
    account_id: i64,
) -> Result<Option<GuardianLink>> {
    let row = sqlx::query(
        "SELECT l.student_id, s.name AS student_name, l.account_id, a.display_name, a.phone_mask,
                l.relation, l.status, l.requested_at
         FROM guardians l JOIN students s ON s.id = l.student_id JOIN accounts a ON a.id = l.account_id
         WHERE l.student_id = $1 AND l.account_id = $2",
    )
    .bind(student_id)
    .bind(account_id)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(link_from_row).transpose()
}

/// Records a link; if one exists, updates its relation and status.
pub async fn upsert_link(
    c: &mut Conn,
    student_id: i64,
    account_id: i64,
    relation: &str,
    status: LinkStatus,
    by: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO guardians (student_id, account_id, relation, status, requested_at, decided_at, decided_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (student_id, account_id)
         DO UPDATE SET relation = excluded.relation, status = excluded.status,
                       decided_at = excluded.decided_at, decided_by = excluded.decided_by",
    )
    .bind(student_id)
    .bind(account_id)
    .bind(relation)
    .bind(status.as_str())
    .bind(now)
    .bind(if status == LinkStatus::Pending { 0 } else { now })
    .bind(by)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// The children of a parent (confirmed links), with their class ids.
pub async fn children_of(c: &mut Conn, account_id: i64) -> Result<Vec<Student>> {
    let rows = sqlx::query(
        "SELECT s.id, s.class_id, s.name, s.gender, s.external_id, s.active
         FROM guardians l JOIN students s ON s.id = l.student_id
         WHERE l.account_id = $1 AND l.status = 'confirmed' ORDER BY s.id",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter().map(student_from_row).collect()
}

/// A class invite code, by which parents ask to be bound to their child.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Invite {
    pub code: String,
    pub class_id: i64,
    pub created_by: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

pub async fn insert_invite(c: &mut Conn, inv: &Invite) -> Result<()> {
    sqlx::query(
        "INSERT INTO invites (code, class_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&inv.code)
    .bind(inv.class_id)
    .bind(inv.created_by)
    .bind(inv.created_at)
    .bind(inv.expires_at)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

fn invite_from_row(r: &sqlx::any::AnyRow) -> Result<Invite> {
    Ok(Invite {
        code: col(r, "code")?,
        class_id: col(r, "class_id")?,
        created_by: col(r, "created_by")?,
        created_at: col(r, "created_at")?,
        expires_at: col(r, "expires_at")?,
        revoked: col::<i64>(r, "revoked")? != 0,
    })
}

pub async fn get_invite(c: &mut Conn, code: &str) -> Result<Option<Invite>> {
    let row = sqlx::query(
        "SELECT code, class_id, created_by, created_at, expires_at, revoked FROM invites WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(invite_from_row).transpose()
}

/// The newest live invite of a class.
pub async fn current_invite(c: &mut Conn, class_id: i64, now: i64) -> Result<Option<Invite>> {
    let row = sqlx::query(
        "SELECT code, class_id, created_by, created_at, expires_at, revoked FROM invites
         WHERE class_id = $1 AND revoked = 0 AND expires_at > $2
         ORDER BY created_at DESC, expires_at DESC LIMIT 1",
    )
    .bind(class_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    row.as_ref().map(invite_from_row).transpose()
}

/// Lets every live invite of a class run until `until` at the latest (a
/// new one was issued; the old ones keep working a grace period).
pub async fn retire_invites(c: &mut Conn, class_id: i64, until: i64) -> Result<()> {
    sqlx::query(
        "UPDATE invites SET expires_at = $2 WHERE class_id = $1 AND revoked = 0 AND expires_at > $2",
    )
    .bind(class_id)
    .bind(until)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// Revokes every live invite of a class (when a new one is issued).
pub async fn revoke_invites(c: &mut Conn, class_id: i64) -> Result<()> {
    sqlx::query("UPDATE invites SET revoked = 1 WHERE class_id = $1 AND revoked = 0")
        .bind(class_id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// A student row for a bulk load.
#[derive(Debug, Clone)]
pub struct NewStudent {
    pub class_id: i64,
    pub name: String,
    pub gender: String,
    pub external_id: String,
}

/// Inserts many students without touching the rollups (call
/// `org::recount` after); returns (external id, id).
pub async fn insert_many(
    c: &mut Conn,
    rows: &[NewStudent],
    now: i64,
) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(300) {
        let values = (0..chunk.len())
            .map(|i| {
                format!(
                    "(${}, ${}, ${}, ${}, {now}, {now})",
                    i * 4 + 1,
                    i * 4 + 2,
                    i * 4 + 3,
                    i * 4 + 4
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO students (class_id, name, gender, external_id, created_at, updated_at)
             VALUES {values} RETURNING id, external_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in chunk {
            q = q
                .bind(s.class_id)
                .bind(s.name.clone())
                .bind(s.gender.clone())
                .bind(s.external_id.clone());
        }
        for row in q.fetch_all(&mut *c).await.db()? {
            out.push((col(&row, "external_id")?, col(&row, "id")?));
        }
    }
    Ok(out)
}

/// Inserts many confirmed guardian links (student, account, relation).
pub async fn insert_links_many(c: &mut Conn, rows: &[(i64, i64, String)], now: i64) -> Result<()> {
    for chunk in rows.chunks(300) {
        let values = (0..chunk.len())
            .map(|i| {
                format!(
                    "(${}, ${}, ${}, 'confirmed', {now}, {now})",
                    i * 3 + 1,
                    i * 3 + 2,
                    i * 3 + 3
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO guardians (student_id, account_id, relation, status, requested_at, decided_at)
             VALUES {values}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (s, a, r) in chunk {
            q = q.bind(*s).bind(*a).bind(r.clone());
        }
        q.execute(&mut *c).await.db()?;
    }
    Ok(())
}

/// The students an account has asked to be bound to, still pending.
pub async fn pending_of(c: &mut Conn, account_id: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT student_id FROM guardians WHERE account_id = $1 AND status = 'pending'",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await
    .db()
}

/// Students by external id.
pub async fn by_external_ids(c: &mut Conn, ids: &[String]) -> Result<Vec<Student>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, class_id, name, gender, external_id, active FROM students WHERE external_id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.clone());
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.push(student_from_row(&r)?);
        }
    }
    Ok(out)
}

/// Changes a student's name, gender or class (rollups follow the class).
pub async fn update(
    c: &mut Conn,
    s: &Student,
    name: &str,
    gender: &str,
    class: &Unit,
    old_class: &Unit,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE students SET name = $1, gender = $2, class_id = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(name)
    .bind(gender)
    .bind(class.id)
    .bind(now)
    .bind(s.id)
    .execute(&mut *c)
    .await
    .db()?;
    if class.id != old_class.id && s.active {
        let guardians: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM guardians WHERE student_id = $1 AND status = 'confirmed'",
        )
        .bind(s.id)
        .fetch_one(&mut *c)
        .await
        .db()?;
        let delta = Counts {
            students: 1,
            guardians,
            ..Counts::default()
        };
        let mut old = old_class.ancestor_ids();
        old.push(old_class.id);
        crate::org::add_counts(c, &old, delta.negate()).await?;
        let mut new = class.ancestor_ids();
        new.push(class.id);
        crate::org::add_counts(c, &new, delta).await?;
    }
    Ok(())
}

/// Guardian links of these students: (student id, account id, status).
pub async fn links_of_students(
    c: &mut Conn,
    student_ids: &[i64],
) -> Result<Vec<(i64, i64, LinkStatus)>> {
    let mut out = Vec::new();
    for chunk in student_ids.chunks(500) {
        let sql = format!(
            "SELECT student_id, account_id, status FROM guardians WHERE student_id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await.db()? {
            out.push((
                col(&r, "student_id")?,
                col(&r, "account_id")?,
                LinkStatus::parse(&col::<String>(&r, "status")?)?,
            ));
        }
    }
    Ok(out)
}

/// Records a guardian's consent to the children's privacy notice.
pub async fn record_consent(
    c: &mut Conn,
    student_id: i64,
    account_id: i64,
    notice_version: &str,
    now: i64,
    ip: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO guardian_consents (student_id, account_id, notice_version, consented_at, ip)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(student_id)
    .bind(account_id)
    .bind(notice_version)
    .bind(now)
    .bind(ip)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// A guardian's consent to the children's privacy notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub account_id: i64,
    pub notice_version: String,
    pub consented_at: i64,
}

/// The consents given for a child.
pub async fn consents_of(c: &mut Conn, student_id: i64) -> Result<Vec<Consent>> {
    let rows = sqlx::query(
        "SELECT account_id, notice_version, consented_at FROM guardian_consents
         WHERE student_id = $1 ORDER BY id",
    )
    .bind(student_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Consent {
                account_id: col(r, "account_id")?,
                notice_version: col(r, "notice_version")?,
                consented_at: col(r, "consented_at")?,
            })
        })
        .collect()
}

/// Whether the account is a parent with a confirmed link to a child in a
/// class at or below the unit with this path.
pub async fn is_guardian_within(c: &mut Conn, account_id: i64, path: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM guardians g JOIN students s ON s.id = g.student_id
         JOIN units u ON u.id = s.class_id
         WHERE g.account_id = $1 AND g.status = 'confirmed' AND s.active = 1
           AND u.path >= $2 AND u.path < $3",
    )
    .bind(account_id)
    .bind_subtree(path)
    .fetch_one(&mut *c)
    .await
    .db()?;
    Ok(n > 0)
}

/// The names of the account's children (confirmed, active) in classes at or
/// below the unit with this path, by name.
pub async fn children_within(c: &mut Conn, account_id: i64, path: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT s.name FROM guardians g JOIN students s ON s.id = g.student_id
         JOIN units u ON u.id = s.class_id
         WHERE g.account_id = $1 AND g.status = 'confirmed' AND s.active = 1
           AND u.path >= $2 AND u.path < $3",
    )
    .bind(account_id)
    .bind_subtree(path)
    .fetch_all(&mut *c)
    .await
    .db()?;
    sort_by_name(&mut names, |n| n);
    Ok(names)
}

/// Parents with a confirmed child in the class: (account id, parent's name,
/// child's name), by the child's name.
pub async fn parents_of_class(c: &mut Conn, class_id: i64) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT a.id, a.display_name, s.name FROM guardians g JOIN students s ON s.id = g.student_id
         JOIN accounts a ON a.id = g.account_id
         WHERE s.class_id = $1 AND g.status = 'confirmed' AND s.active = 1 AND a.active = 1",
    )
    .bind(class_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut out = rows
        .iter()
        .map(|r| Ok((col(r, "id")?, col(r, "display_name")?, col(r, "name")?)))
        .collect::<Result<Vec<(i64, String, String)>>>()?;
    sort_by_name(&mut out, |p| &p.2);
    Ok(out)
}
