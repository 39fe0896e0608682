//! The demo's expert pool: 40 experts, 15 external and 25 local, with
//! specialties and regions; a lecture given and rated; a request waiting
//! for the named expert's answer; a declared conflict of interest.

use tongyu_domain::Result;
use tongyu_domain::account::Role;
use tongyu_domain::expert_pool::{Pool, RequestKind, RequestStatus};
use tongyu_store::Conn;
use tongyu_store::account::{self as accounts, NewAccount};
use tongyu_store::expert_pool::{self as store, NewRequest, Profile};

const SPECIALTIES: &[&str] = &[
    "青春期教育",
    "亲子沟通",
    "心理健康",
    "学业规划",
    "家庭阅读",
    "生涯教育",
    "特殊教育",
    "劳动教育",
    "网络素养",
    "隔代教养",
];
const TITLES: &[&str] = &[
    "中国海洋大学教授",
    "青岛大学副教授",
    "市教育科学研究院研究员",
    "市心理咨询中心主任",
    "区家庭教育指导中心教研员",
    "特级教师",
];
const NAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];

#[allow(clippy::too_many_arguments)]
pub(super) async fn experts(
    c: &mut Conn,
    city: i64,
    district: i64,
    school: i64,
    named_expert: i64,
    password_hash: &str,
    by: i64,
    now: i64,
) -> Result<()> {
    let rows: Vec<NewAccount> = (1..40)
        .map(|i| NewAccount {
            username: format!("expert-{i}"),
            phone: None,
            display_name: format!(
                "{}{}",
                NAMES[i % NAMES.len()],
                ["老师", "教授", "研究员"][i % 3]
            ),
            password_hash: password_hash.to_owned(),
            must_change_password: false,
            external_id: None,
            created_by: None,
        })
        .collect();
    let created = accounts::insert_many(c, &rows, now).await?;
    let mut ids: Vec<i64> = vec![named_expert];
    ids.extend(created.iter().map(|(_, id)| *id));
    let grants: Vec<(i64, Role, i64)> = ids
        .iter()
        .skip(1)
        .map(|id| (*id, Role::Expert, city))
        .collect();
    accounts::insert_grants_many(c, &grants, now).await?;
    let mut expert_ids = Vec::new();
    for (i, account) in ids.iter().enumerate() {
        let pool = if i < 15 { Pool::External } else { Pool::Local };
        let specialties = vec![
            SPECIALTIES[i % SPECIALTIES.len()].to_owned(),
            SPECIALTIES[(i + 3) % SPECIALTIES.len()].to_owned(),
        ];
        let region = if pool == Pool::External {
            "全市".to_owned()
        } else {
            ["市南区", "市北区", "李沧区", "崂山区", "黄岛区"][i % 5].to_owned()
        };
        expert_ids.push(
            store::insert(
                c,
                *account,
                &Profile {
                    pool,
                    title: TITLES[i % TITLES.len()],
                    specialties: &specialties,
                    region: &region,
                    availability: if i % 2 == 0 {
                        "周末"
                    } else {
                        "工作日晚上"
                    },
                },
                by,
                now,
            )
            .await?,
        );
    }
    const DAY: i64 = 86_400;
    // A lecture given to the district's parents last month, rated.
    let held = store::insert_request(
        c,
        &NewRequest {
            expert_id: expert_ids[1],
            unit_id: district,
            kind: RequestKind::Lecture,
            topic: "青春期亲子沟通",
            starts_at: now - 30 * DAY,
            ends_at: now - 30 * DAY + 2 * 3600,
            place: "区青少年宫",
        },
        by,
        now,
    )
    .await?;
    store::set_status(
        c,
        held,
        RequestStatus::Requested,
        RequestStatus::Accepted,
        "",
        now,
    )
    .await?;
    store::rate(c, held, 5, "讲得实在，家长反响很好").await?;
    // The named expert is asked by the named school for next week.
    store::insert_request(
        c,
        &NewRequest {
            expert_id: expert_ids[0],
            unit_id: school,
            kind: RequestKind::Lecture,
            topic: "新生家长如何帮助孩子适应小学",
            starts_at: now + 7 * DAY,
            ends_at: now + 7 * DAY + 2 * 3600,
            place: "学校报告厅",
        },
        by,
        now,
    )
    .await?;
    store::insert_conflict(c, expert_ids[2], school, "配偶在该校任教", now).await?;
    Ok(())
}
