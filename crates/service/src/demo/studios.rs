//! The demo's master-teacher studios: the plan's 15 selected, each with
//! members, this year's plan and a lecture; three waiting for the city's
//! selection and one not selected.

use tongyu_domain::Result;
use tongyu_domain::account::Role;
use tongyu_domain::calendar::{format_date, local_day, school_year};
use tongyu_domain::studio::{Grade, OutputKind, Status};
use tongyu_store::Conn;
use tongyu_store::studio as store;

const FOCUS: &[&str] = &[
    "幼小衔接",
    "青春期家庭教育",
    "家校沟通",
    "心理健康",
    "劳动教育",
    "家庭阅读",
];

pub(super) async fn studios(
    c: &mut Conn,
    staff: &[(i64, Role, i64)],
    by: i64,
    now: i64,
) -> Result<()> {
    let heads: Vec<(i64, i64)> = staff
        .iter()
        .filter(|(_, r, _)| *r == Role::HeadTeacher)
        .map(|(a, _, u)| (*a, *u))
        .collect();
    let year = school_year(now);
    let day = format_date(local_day(now) - 20);
    for i in 0..19usize {
        let Some((lead, unit)) = heads.get(i * 3) else {
            break;
        };
        let focus = FOCUS[i % FOCUS.len()];
        let id = store::insert(
            c,
            &format!("{focus}名师工作室（{}）", i + 1),
            *lead,
            *unit,
            &format!("聚焦{focus}，开展课例研究与家长指导。"),
            now,
        )
        .await?;
        store::add_member(c, id, *lead, now).await?;
        if let Some((m, _)) = heads.get(i * 3 + 1) {
            store::add_member(c, id, *m, now).await?;
        }
        match i {
            0..15 => {
                store::decide(c, id, Status::Selected, "符合遴选条件", now).await?;
                store::save_plan(
                    c,
                    id,
                    year,
                    "## 年度计划\n\n1. 每学期开展两次课例研讨\n2. 面向家长开设专题讲座",
                    now,
                )
                .await?;
                store::add_output(
                    c,
                    id,
                    OutputKind::Lecture,
                    0,
                    &format!("{focus}专题讲座"),
                    &day,
                    now,
                )
                .await?;
                if i < 5 {
                    store::save_review(c, id, year - 1, Grade::Good, "", by, now).await?;
                }
            }
            15 => {
                store::decide(c, id, Status::Rejected, "研究方向与已入选工作室重复", now).await?;
            }
            _ => {}
        }
    }
    Ok(())
}
