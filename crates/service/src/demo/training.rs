//! The demo's training: the city's five-step programme for head teachers
//! (two sessions held, a third under way now so a head teacher can check in
//! by its code), a district's home-visit programme, and the chairs'
//! programme; some people have completed, some are part-way, most not yet.

use tongyu_domain::Result;
use tongyu_domain::account::Role;
use tongyu_domain::training::{Mode, ProgrammeKind};
use tongyu_store::Conn;
use tongyu_store::training::{self as store, Session};

fn session(programme_id: i64, title: &str, starts_at: i64, hours: i64, place: &str) -> Session {
    Session {
        id: 0,
        programme_id,
        title: title.into(),
        starts_at,
        ends_at: starts_at + hours * 3600,
        mode: Mode::InPerson,
        place: place.into(),
        lesson_id: 0,
        hours,
        presenter_id: 0,
        checkin_token: crate::auth::random_token(18),
    }
}

pub(super) async fn training(
    c: &mut Conn,
    city: i64,
    district: i64,
    staff: &[(i64, Role, i64)],
    chairs: &[i64],
    by: i64,
    now: i64,
) -> Result<()> {
    const DAY: i64 = 86_400;
    let five = store::insert_programme(
        c,
        city,
        ProgrammeKind::FiveStep,
        "班主任家庭教育指导“五步法”培训",
        "全市班主任分三次完成，共 6 学时。",
        6,
        by,
        now,
    )
    .await?;
    let first = store::insert_session(
        c,
        &session(
            five,
            "第一讲：了解家庭",
            now - 60 * DAY,
            2,
            "市教育局报告厅",
        ),
        by,
        now,
    )
    .await?;
    let second = store::insert_session(
        c,
        &session(
            five,
            "第二讲：家访与沟通",
            now - 20 * DAY,
            2,
            "市教育局报告厅",
        ),
        by,
        now,
    )
    .await?;
    // Under way now: check-in is open.
    store::insert_session(
        c,
        &session(five, "第三讲：指导与跟进", now - 600, 2, "市教育局报告厅"),
        by,
        now,
    )
    .await?;
    let visits = store::insert_programme(
        c,
        district,
        ProgrammeKind::HomeVisit,
        "全员家访专题培训",
        "",
        2,
        by,
        now,
    )
    .await?;
    let visit = store::insert_session(
        c,
        &session(
            visits,
            "家访的准备与记录",
            now - 30 * DAY,
            2,
            "区教师发展中心",
        ),
        by,
        now,
    )
    .await?;
    let chairs_programme = store::insert_programme(
        c,
        city,
        ProgrammeKind::Chair,
        "家委会主任专题培训",
        "家委会主任不少于 4 学时。",
        4,
        by,
        now,
    )
    .await?;
    let chair_session = store::insert_session(
        c,
        &session(
            chairs_programme,
            "家委会的职责与工作方法",
            now - 10 * DAY,
            4,
            "市妇女儿童活动中心",
        ),
        by,
        now,
    )
    .await?;
    // Head teachers: every third completed the first two lectures (4 of 6
    // hours: part-way), every ninth has not come at all... in short, a mix.
    let heads: Vec<i64> = staff
        .iter()
        .filter(|(_, r, _)| *r == Role::HeadTeacher)
        .map(|(a, _, _)| *a)
        .collect();
    for (i, a) in heads.iter().enumerate() {
        if i % 3 == 0 {
            store::attend(c, first, *a, "qr", now - 60 * DAY).await?;
            store::attend(c, second, *a, "qr", now - 20 * DAY).await?;
        } else if i % 3 == 1 {
            store::attend(c, first, *a, "qr", now - 60 * DAY).await?;
        }
        if i % 2 == 0 {
            store::attend(c, visit, *a, "qr", now - 30 * DAY).await?;
        }
    }
    for (i, a) in chairs.iter().enumerate() {
        if i % 2 == 0 {
            store::attend(c, chair_session, *a, "roster", now - 10 * DAY).await?;
        }
    }
    Ok(())
}
