//! The demo's parent committees and lecturer groups: most schools have a
//! school committee with an elected chair and a first work record, and both
//! lecturer groups; some have one group, a few neither. The named class has
//! a committee still to elect its chair; the named school lacks the career
//! group.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::calendar::{days_from_civil, format_date, local_day, school_year};
use tongyu_domain::lecturer_group::{Audience, GroupKind};
use tongyu_domain::org::Unit;
use tongyu_domain::parent_committee::{RecordKind, Seat};
use tongyu_store::Conn;
use tongyu_store::parent_committee::{self as store, NewLecture, NewRecord};

const CAREERS: &[&str] = &[
    "医生",
    "消防员",
    "工程师",
    "律师",
    "厨师",
    "警察",
    "建筑师",
    "海员",
];
const TOPICS: &[&str] = &[
    "陪孩子度过青春期",
    "亲子阅读的习惯",
    "合理使用手机",
    "做孩子的情绪教练",
    "家务劳动中的成长",
];

/// Writes the committees and groups from the parents of each school (a
/// few per school, in the order they were made); their coverage is counted
/// once, after.
#[allow(clippy::too_many_arguments)]
pub(super) async fn committees(
    c: &mut Conn,
    schools: &[Unit],
    parents_by_school: &HashMap<i64, Vec<i64>>,
    named_school: i64,
    named_class: i64,
    named_class_parents: &[i64],
    by: i64,
    now: i64,
) -> Result<()> {
    let year = school_year(now);
    let today = local_day(now);
    let formed = format_date(days_from_civil(year, 9, 1).min(today));
    for (i, school) in schools.iter().enumerate() {
        let parents = parents_by_school
            .get(&school.id)
            .map_or(&[][..], Vec::as_slice);
        if i % 10 == 9 || parents.len() < 6 {
            continue;
        }
        let (members, rest) = parents.split_at(4);
        let k = store::insert(c, school.id, year, &formed, by, now).await?;
        for (j, p) in members.iter().enumerate() {
            let seat = match j {
                0 => Seat::Chair,
                1 => Seat::ViceChair,
                _ => Seat::Member,
            };
            store::upsert_member(c, k, *p, seat, by, now).await?;
        }
        store::insert_election(c, k, &formed, 36, members[0], "新学期家长会选举", by, now).await?;
        store::insert_record(
            c,
            k,
            &NewRecord {
                held_on: &formed,
                kind: RecordKind::Meeting,
                title: "家委会第一次全体会议",
                body: "讨论本学年家委会工作计划与分工。",
                attendees: members.len() as i64,
            },
            by,
            now,
        )
        .await?;
        let kinds: &[GroupKind] = if school.id == named_school || i % 5 == 3 {
            &[GroupKind::Experience]
        } else {
            &GroupKind::ALL
        };
        for (j, (kind, lecturer)) in kinds.iter().zip(rest).enumerate() {
            let specialty = match kind {
                GroupKind::Career => CAREERS[(i + j) % CAREERS.len()],
                GroupKind::Experience => TOPICS[(i + j) % TOPICS.len()],
            };
            store::upsert_lecturer(c, school.id, *kind, *lecturer, specialty, by, now).await?;
            store::insert_lecture(
                c,
                school.id,
                &NewLecture {
                    kind: *kind,
                    lecturer_id: *lecturer,
                    held_on: &formed,
                    audience: match kind {
                        GroupKind::Career => Audience::Students,
                        GroupKind::Experience => Audience::Parents,
                    },
                    title: specialty,
                    attendees: 40,
                },
                by,
                now,
            )
            .await?;
        }
    }
    // The named class: members, no chair yet.
    if !named_class_parents.is_empty() {
        let k = store::insert(c, named_class, year, &formed, by, now).await?;
        for p in named_class_parents {
            store::upsert_member(c, k, *p, Seat::Member, by, now).await?;
        }
    }
    Ok(())
}
