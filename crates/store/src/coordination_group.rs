//! Coordination groups, their departments, joint meetings and follow-up
//! items.

use tongyu_domain::Result;
use tongyu_domain::coordination_group::ItemStatus;

use crate::{BindSubtree, Conn, DbResult, col};

/// A group's lead and the day it was set up.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Group {
    pub unit_id: i64,
    /// Who leads it (`分管副市长 …`).
    pub lead: String,
    pub set_up_on: String,
}

pub async fn group(c: &mut Conn, unit_id: i64) -> Result<Option<Group>> {
    let r =
        sqlx::query("SELECT unit_id, lead, set_up_on FROM coordination_groups WHERE unit_id = $1")
            .bind(unit_id)
            .fetch_optional(&mut *c)
            .await
            .db()?;
    r.map(|r| {
        Ok(Group {
            unit_id: col(&r, "unit_id")?,
            lead: col(&r, "lead")?,
            set_up_on: col(&r, "set_up_on")?,
        })
    })
    .transpose()
}

pub async fn save_group(
    c: &mut Conn,
    unit_id: i64,
    lead: &str,
    set_up_on: &str,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO coordination_groups (unit_id, lead, set_up_on, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (unit_id) DO UPDATE SET lead = excluded.lead, set_up_on = excluded.set_up_on,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(unit_id)
    .bind(lead)
    .bind(set_up_on)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// A member department and its contact.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Department {
    pub id: i64,
    pub name: String,
    pub contact: String,
    /// An office phone.
    pub phone: String,
    /// The department that leads the group's work (牵头).
    pub leading: bool,
}

pub async fn departments(c: &mut Conn, unit_id: i64) -> Result<Vec<Department>> {
    let rows = sqlx::query(
        "SELECT id, name, contact, phone, is_lead FROM coordination_departments
         WHERE unit_id = $1 ORDER BY is_lead DESC, id",
    )
    .bind(unit_id)
    .fetch_all(&mut *c)
    .await
    .db()?;
    rows.iter()
        .map(|r| {
            Ok(Department {
                id: col(r, "id")?,
                name: col(r, "name")?,
                contact: col(r, "contact")?,
                phone: col(r, "phone")?,
                leading: col::<i64>(r, "is_lead")? != 0,
            })
        })
        .collect()
}

pub async fn insert_department(
    c: &mut Conn,
    unit_id: i64,
    d: &Department,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO coordination_departments (unit_id, name, contact, phone, is_lead, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(unit_id)
    .bind(&d.name)
    .bind(&d.contact)
    .bind(&d.phone)
    .bind(i64::from(d.leading))
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Deletes a department of the unit's group that no meeting recorded as
/// present; false if there was none such.
pub async fn delete_department(c: &mut Conn, unit_id: i64, id: i64) -> Result<bool> {
    Ok(sqlx::query(
        "DELETE FROM coordination_departments WHERE unit_id = $1 AND id = $2
         AND NOT EXISTS (SELECT 1 FROM joint_meeting_attendance a WHERE a.department_id = $2)",
    )
    .bind(unit_id)
    .bind(id)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

/// A joint meeting.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Meeting {
    pub id: i64,
    pub unit_id: i64,
    pub held_on: String,
    pub title: String,
    pub agenda: String,
    /// Markdown.
    pub minutes: String,
}

fn meeting_from_row(r: &sqlx::any::AnyRow) -> Result<Meeting> {
    Ok(Meeting {
        id: col(r, "id")?,
        unit_id: col(r, "unit_id")?,
        held_on: col(r, "held_on")?,
        title: col(r, "title")?,
        agenda: col(r, "agenda")?,
        minutes: col(r, "minutes")?,
    })
}

pub async fn meeting(c: &mut Conn, id: i64) -> Result<Option<Meeting>> {
    sqlx::query(
        "SELECT id, unit_id, held_on, title, agenda, minutes FROM joint_meetings WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .db()?
    .as_ref()
    .map(meeting_from_row)
    .transpose()
}

/// A group's meetings, the latest first.
pub async fn meetings(c: &mut Conn, unit_id: i64) -> Result<Vec<Meeting>> {
    sqlx::query(
        "SELECT id, unit_id, held_on, title, agenda, minutes FROM joint_meetings
         WHERE unit_id = $1 ORDER BY held_on DESC, id DESC",
    )
    .bind(unit_id)
    .fetch_all(&mut *c)
    .await
    .db()?
    .iter()
    .map(meeting_from_row)
    .collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_meeting(
    c: &mut Conn,
    unit_id: i64,
    held_on: &str,
    title: &str,
    agenda: &str,
    minutes: &str,
    by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO joint_meetings (unit_id, held_on, title, agenda, minutes, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(unit_id)
    .bind(held_on)
    .bind(title)
    .bind(agenda)
    .bind(minutes)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

pub async fn insert_attendance(c: &mut Conn, meeting_id: i64, department_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO joint_meeting_attendance (meeting_id, department_id) VALUES ($1, $2)
         ON CONFLICT (meeting_id, department_id) DO NOTHING",
    )
    .bind(meeting_id)
    .bind(department_id)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

/// The departments recorded as present at a meeting: their ids.
pub async fn attendance(c: &mut Conn, meeting_id: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT department_id FROM joint_meeting_attendance WHERE meeting_id = $1 ORDER BY department_id",
    )
    .bind(meeting_id)
    .fetch_all(&mut *c)
    .await
    .db()
}

/// A follow-up item, with the unit that owns it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Item {
    pub id: i64,
    pub meeting_id: i64,
    /// The group's unit (the meeting's).
    pub group_unit_id: i64,
    pub meeting_title: String,
    pub owner_unit_id: i64,
    pub owner_name: String,
    pub decision: String,
    pub due_on: String,
    pub status: ItemStatus,
    pub done_on: String,
    pub done_note: String,
}

const ITEM_SELECT: &str = "SELECT i.id, i.meeting_id, m.unit_id AS group_unit_id, m.title,
        i.owner_unit_id, u.name AS owner_name, i.decision, i.due_on, i.status, i.done_on,
        i.done_note
     FROM meeting_items i JOIN joint_meetings m ON m.id = i.meeting_id
     JOIN units u ON u.id = i.owner_unit_id";

fn item_from_row(r: &sqlx::any::AnyRow) -> Result<Item> {
    Ok(Item {
        id: col(r, "id")?,
        meeting_id: col(r, "meeting_id")?,
        group_unit_id: col(r, "group_unit_id")?,
        meeting_title: col(r, "title")?,
        owner_unit_id: col(r, "owner_unit_id")?,
        owner_name: col(r, "owner_name")?,
        decision: col(r, "decision")?,
        due_on: col(r, "due_on")?,
        status: ItemStatus::parse(&col::<String>(r, "status")?)?,
        done_on: col(r, "done_on")?,
        done_note: col(r, "done_note")?,
    })
}

pub async fn item(c: &mut Conn, id: i64) -> Result<Option<Item>> {
    let sql = format!("{ITEM_SELECT} WHERE i.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .db()?
        .as_ref()
        .map(item_from_row)
        .transpose()
}

/// The items of a meeting, by due day.
pub async fn items_of_meeting(c: &mut Conn, meeting_id: i64) -> Result<Vec<Item>> {
    let sql = format!("{ITEM_SELECT} WHERE i.meeting_id = $1 ORDER BY i.due_on, i.id");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(meeting_id)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(item_from_row)
        .collect()
}

/// The open items of a group's meetings, the earliest due first.
pub async fn open_items_of_group(c: &mut Conn, unit_id: i64) -> Result<Vec<Item>> {
    let sql =
        format!("{ITEM_SELECT} WHERE m.unit_id = $1 AND i.status = 'open' ORDER BY i.due_on, i.id");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(unit_id)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(item_from_row)
        .collect()
}

/// Open items owned by units in a subtree and due before `before` (the
/// overdue ones, with `before` today), the earliest first, at most `limit`.
pub async fn open_items_owned_within(
    c: &mut Conn,
    root_path: &str,
    before: &str,
    limit: i64,
) -> Result<Vec<Item>> {
    let sql = format!(
        "{ITEM_SELECT} WHERE i.status = 'open' AND i.due_on < $1 AND u.path >= $2 AND u.path < $3
         ORDER BY i.due_on, i.id LIMIT $4"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(before)
        .bind_subtree(root_path)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .db()?
        .iter()
        .map(item_from_row)
        .collect()
}

pub async fn insert_item(
    c: &mut Conn,
    meeting_id: i64,
    owner_unit_id: i64,
    decision: &str,
    due_on: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO meeting_items (meeting_id, owner_unit_id, decision, due_on, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(meeting_id)
    .bind(owner_unit_id)
    .bind(decision)
    .bind(due_on)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .db()
}

/// Marks an open item done; false if it was done already.
pub async fn close_item(c: &mut Conn, id: i64, done_on: &str, note: &str, by: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE meeting_items SET status = 'done', done_on = $2, done_note = $3, done_by = $4
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(done_on)
    .bind(note)
    .bind(by)
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0)
}

/// Per group unit among these: (last meeting's day or "", open items,
/// overdue items as of `today`).
pub async fn standing_of(
    c: &mut Conn,
    unit_ids: &[i64],
    today: &str,
) -> Result<std::collections::HashMap<i64, (String, i64, i64)>> {
    let mut out = std::collections::HashMap::new();
    if unit_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT u.id,
           (SELECT MAX(held_on) FROM joint_meetings m WHERE m.unit_id = u.id) AS last,
           (SELECT COUNT(*) FROM meeting_items i JOIN joint_meetings m ON m.id = i.meeting_id
             WHERE m.unit_id = u.id AND i.status = 'open') AS open,
           (SELECT COUNT(*) FROM meeting_items i JOIN joint_meetings m ON m.id = i.meeting_id
             WHERE m.unit_id = u.id AND i.status = 'open' AND i.due_on < $1) AS overdue
         FROM units u WHERE u.id IN ({})",
        crate::placeholders(2, unit_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(today);
    for id in unit_ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(&mut *c).await.db()? {
        let last: Option<String> = col(&r, "last")?;
        out.insert(
            col(&r, "id")?,
            (
                last.unwrap_or_default(),
                col(&r, "open")?,
                col(&r, "overdue")?,
            ),
        );
    }
    Ok(out)
}
