//! The demo's school organisation: most schools have a coordinator and a
//! full work group, some fall short, a few have neither; most have this
//! term's plan. The named school's group is one short, for its
//! administrator to complete.

use std::collections::{HashMap, HashSet};

use tongyu_domain::Result;
use tongyu_domain::account::Role;
use tongyu_domain::calendar::Term;
use tongyu_domain::org::{Unit, path_ids};
use tongyu_domain::work_group::Duty;
use tongyu_store::Conn;
use tongyu_store::work_group as store;

/// The named accounts of the named school: (coordinator, school admin,
/// instructor, teacher, head teacher).
pub(super) struct Named {
    pub school: i64,
    pub coordinator: i64,
    pub school_admin: i64,
    pub instructor: i64,
    pub teacher: i64,
    pub head_teacher: i64,
}

/// Writes the groups and plans; their coverage is counted once, after.
pub(super) async fn work_groups(
    c: &mut Conn,
    schools: &[Unit],
    staff: &[(i64, Role, i64)],
    classes: &[Unit],
    named: &Named,
    now: i64,
) -> Result<()> {
    let school_ids: HashSet<i64> = schools.iter().map(|s| s.id).collect();
    let class_school: HashMap<i64, i64> = classes
        .iter()
        .filter_map(|c| {
            path_ids(&c.path)
                .into_iter()
                .find(|id| school_ids.contains(id))
                .map(|s| (c.id, s))
        })
        .collect();
    let mut admins: HashMap<i64, i64> = HashMap::new();
    let mut teachers: HashMap<i64, Vec<i64>> = HashMap::new();
    for (account, role, unit) in staff {
        match role {
            Role::SchoolAdmin => {
                admins.entry(*unit).or_insert(*account);
            }
            Role::HeadTeacher => {
                if let Some(s) = class_school.get(unit) {
                    teachers.entry(*s).or_default().push(*account);
                }
            }
            _ => {}
        }
    }
    let (year, term) = Term::of(now);
    let (last_year, last_term) = match term {
        Term::First => (year - 1, Term::Second),
        Term::Second => (year, Term::First),
    };
    for (i, school) in schools.iter().enumerate() {
        let by = admins.get(&school.id).copied().unwrap_or(0);
        if school.id == named.school {
            for (account, duty) in [
                (named.coordinator, Duty::Coordinator),
                (named.school_admin, Duty::Leader),
                (named.instructor, Duty::Instructor),
                (named.teacher, Duty::Psychology),
                (named.head_teacher, Duty::HeadTeacher),
            ] {
                store::upsert_member(c, school.id, account, duty, by, now).await?;
            }
            store::save_plan(c, school.id, last_year, last_term, PLAN_LAST_TERM, by, now).await?;
            continue;
        }
        let heads = teachers.get(&school.id).map_or(&[][..], Vec::as_slice);
        let (coordinated, size) = match i % 10 {
            9 => (false, 0),
            8 => (false, 4),
            7 => (true, 4),
            _ => (true, 6),
        };
        let mut members = Vec::new();
        if coordinated && let Some(a) = admins.get(&school.id) {
            members.push((*a, Duty::Coordinator));
        }
        for h in heads {
            if members.len() >= size {
                break;
            }
            members.push((*h, Duty::HeadTeacher));
        }
        for (account, duty) in members {
            store::upsert_member(c, school.id, account, duty, by, now).await?;
        }
        if size > 0 && i % 4 != 3 {
            store::save_plan(c, school.id, year, term, PLAN_THIS_TERM, by, now).await?;
        }
    }
    Ok(())
}

const PLAN_THIS_TERM: &str = "## 本学期家庭教育工作计划\n\n\
1. 九月：召开新学期家长会，完成开学第一课家长学习。\n\
2. 十月：各班完成第一次必修课，班主任开展家访。\n\
3. 十一月：家长职业体验讲师团进校园。\n\
4. 十二月：家委会工作总结，征集家长意见。";

const PLAN_LAST_TERM: &str = "## 上学期家庭教育工作计划\n\n\
1. 三月：家长学校开学典礼。\n\
2. 五月：心理健康教育主题活动。\n\
3. 六月：毕业年级家长会与学段衔接指导。";
