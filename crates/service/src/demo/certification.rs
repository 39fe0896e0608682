//! The demo's instructor certification: certificates at every level across
//! the schools (a few expired, due for renewal), applications waiting for a
//! district and for the city, an instructor for each grade in most schools
//! with some gaps to flag (one in the demo school), and the city's
//! lecturer course presented by the demo instructor and attended by the
//! demo head teacher, who then meets the first level's criteria and may
//! apply.

use std::collections::{HashMap, HashSet};

use tongyu_domain::Result;
use tongyu_domain::account::Role;
use tongyu_domain::certification::{Evidence, Level};
use tongyu_domain::org::{Stage, Unit, path_ids};
use tongyu_domain::training::{Mode, ProgrammeKind};
use tongyu_store::Conn;
use tongyu_store::certification as store;
use tongyu_store::training::{self as training, Session};

/// The demo's named people the certification data refers to.
pub(super) struct Named {
    pub school: i64,
    /// The demo district's path: its schools' applications are pending.
    pub district_path: String,
    pub district_admin: i64,
    pub instructor: i64,
    pub head_teacher: i64,
    pub city_admin: i64,
}

const YEAR: i64 = 365 * 86_400;

#[allow(clippy::too_many_arguments)]
async fn certify(
    c: &mut Conn,
    levels: &[Level],
    account: i64,
    name: &str,
    school: &Unit,
    rank: i64,
    issued_at: i64,
    issuer: &str,
) -> Result<()> {
    let Some(level) = levels.iter().find(|l| l.rank == rank) else {
        return Ok(());
    };
    let serial = crate::certification::new_serial();
    store::insert_certificate(
        c,
        &store::NewCertificate {
            serial: &serial,
            account_id: account,
            unit_id: school.id,
            unit_path: &school.path,
            level_rank: rank,
            level_name: &level.name,
            holder_name: name,
            issuer,
            application_id: 0,
            issued_at,
            valid_until: issued_at + level.valid_years * YEAR,
        },
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn certification(
    c: &mut Conn,
    city: &Unit,
    schools: &[Unit],
    staff: &[(i64, Role, i64)],
    classes: &[Unit],
    named: &Named,
    now: i64,
) -> Result<()> {
    let levels = store::levels(c).await?;
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
    let mut teachers: HashMap<i64, Vec<i64>> = HashMap::new();
    for (account, role, unit) in staff {
        if *role == Role::HeadTeacher
            && let Some(s) = class_school.get(unit)
            && *account != named.head_teacher
        {
            teachers.entry(*s).or_default().push(*account);
        }
    }
    let mut ids: Vec<i64> = teachers.values().flatten().copied().collect();
    ids.push(named.instructor);
    let names = tongyu_store::account::display_names(c, &ids).await?;
    let name = |a: i64| names.get(&a).cloned().unwrap_or_default();
    let mut pending = 0;
    for (i, school) in schools.iter().enumerate() {
        let heads = teachers.get(&school.id).map_or(&[][..], Vec::as_slice);
        // An instructor for each grade: the demo school and every seventh
        // school leave their last grade open.
        let grades: Vec<String> = Stage::ALL
            .into_iter()
            .filter(|s| school.stages.contains(s))
            .flat_map(|s| s.grades())
            .map(|g| g.code())
            .collect();
        let gap = school.id == named.school || i % 7 == 3;
        for (k, grade) in grades.iter().enumerate() {
            if gap && k + 1 == grades.len() {
                continue;
            }
            let who = if school.id == named.school {
                if k % 2 == 0 {
                    named.instructor
                } else {
                    named.head_teacher
                }
            } else if let Some(h) = heads.get(k % heads.len().max(1)) {
                *h
            } else {
                continue;
            };
            tongyu_store::grade_instructor::assign(
                c,
                school.id,
                grade,
                who,
                named.city_admin,
                now - 30 * 86_400,
            )
            .await?;
        }
        if school.id == named.school {
            certify(
                c,
                &levels,
                named.instructor,
                &name(named.instructor),
                school,
                2,
                now - YEAR,
                &city.name,
            )
            .await?;
        }
        // Certificates: a junior lecturer in every school (every ninth
        // issued over three years ago, so expired and due for renewal),
        // higher levels in fewer.
        let ranks: &[(usize, i64)] = match i % 20 {
            _ if school.id == named.school => &[],
            0 => &[(0, 1), (1, 2), (2, 4)],
            5 | 15 => &[(0, 1), (1, 3)],
            _ if i % 2 == 0 => &[(0, 1), (1, 2)],
            _ => &[(0, 1)],
        };
        for (k, rank) in ranks {
            let Some(a) = heads.get(*k) else { continue };
            let issued = if *k == 0 && i % 9 == 4 {
                now - 3 * YEAR - 40 * 86_400
            } else {
                now - YEAR / 2 - (i as i64 % 200) * 86_400
            };
            certify(c, &levels, *a, &name(*a), school, *rank, issued, &city.name).await?;
        }
        if i == 40
            && let Some(a) = heads.get(2)
        {
            certify(
                c,
                &levels,
                *a,
                &name(*a),
                school,
                5,
                now - 200 * 86_400,
                &city.name,
            )
            .await?;
        }
        // Applications in the demo district, from teachers who hold no
        // certificate yet: two waiting for the city, up to three for the district.
        if !school.path.starts_with(&named.district_path) {
            continue;
        }
        let uncertified = if school.id == named.school { 0 } else { 3 };
        for a in heads.iter().skip(uncertified) {
            if pending >= 5 {
                break;
            }
            let id = store::insert_application(
                c,
                &store::NewApplication {
                    account_id: *a,
                    unit_id: school.id,
                    unit_path: &school.path,
                    level_rank: 1,
                    renewal: false,
                    statement: "担任班主任多年，承担学校家长学校授课。",
                    evidence: Evidence {
                        training_hours: 10,
                        sessions_held: 4,
                        ratings: 12,
                        rating_tenths: 44,
                        lectures: 1,
                        in_studio: false,
                    },
                },
                now - (10 - pending) * 86_400,
            )
            .await?;
            if pending < 2 {
                store::decide(
                    c,
                    id,
                    tongyu_domain::certification::Status::Submitted,
                    true,
                    named.district_admin,
                    "材料齐全，同意上报",
                    now - 86_400,
                )
                .await?;
            }
            pending += 1;
        }
    }
    // The city's lecturer course: two sessions of four hours, presented by
    // the demo instructor, attended by the demo head teacher.
    let programme = training::insert_programme(
        c,
        city.id,
        ProgrammeKind::Instructor,
        "家庭教育讲师初级研修",
        "面向申请初级讲师的教师，共 8 学时。",
        8,
        named.city_admin,
        now,
    )
    .await?;
    for (k, title) in ["家庭教育课程的设计", "如何讲好一节家长课"]
        .iter()
        .enumerate()
    {
        let starts_at = now - (40 - 10 * k as i64) * 86_400;
        let id = training::insert_session(
            c,
            &Session {
                id: 0,
                programme_id: programme,
                title: (*title).into(),
                starts_at,
                ends_at: starts_at + 4 * 3600,
                mode: Mode::InPerson,
                place: "市教育局报告厅".into(),
                lesson_id: 0,
                hours: 4,
                presenter_id: named.instructor,
                checkin_token: crate::auth::random_token(18),
            },
            named.city_admin,
            now,
        )
        .await?;
        training::attend(c, id, named.head_teacher, "qr", starts_at + 600).await?;
    }
    Ok(())
}
