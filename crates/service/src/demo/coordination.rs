//! The demo's coordination groups and guidance centres: the city's group
//! meets every half year and one of its decisions is overdue with a
//! district; some districts have not met in time or have no group; most
//! districts have a guidance centre with a few services, some none.

use tongyu_domain::Result;
use tongyu_domain::calendar::{format_date, local_day};
use tongyu_domain::guidance_center::ServiceKind;
use tongyu_domain::org::Unit;
use tongyu_store::Conn;
use tongyu_store::coordination_group::{self as groups, Department};
use tongyu_store::guidance_center::{self as centers, Center, NewService};

const CITY_DEPARTMENTS: &[(&str, &str, &str, bool)] = &[
    ("市教育局", "基础教育处 王老师", "0532-85912301", true),
    ("市妇联", "家庭和儿童工作部 李老师", "0532-85912302", false),
    ("团市委", "青少年部 张老师", "0532-85912303", false),
    ("市民政局", "社会事务处 刘老师", "0532-85912304", false),
    ("市卫生健康委", "妇幼健康处 陈老师", "0532-85912305", false),
    ("市关工委", "办公室 赵老师", "0532-85912306", false),
];

const DISTRICT_DEPARTMENTS: &[&str] = &["区教育和体育局", "区妇联", "团区委"];

pub(super) async fn coordination(
    c: &mut Conn,
    city: &Unit,
    districts: &[Unit],
    researcher: i64,
    by: i64,
    now: i64,
) -> Result<()> {
    let today = local_day(now);
    let day = |back: i64| format_date(today - back);
    // The city's group: two meetings in the last year.
    groups::save_group(c, city.id, "分管副市长（演示）", &day(900), by, now).await?;
    let mut ids = Vec::new();
    for (name, contact, phone, leading) in CITY_DEPARTMENTS {
        let d = Department {
            id: 0,
            name: (*name).into(),
            contact: (*contact).into(),
            phone: (*phone).into(),
            leading: *leading,
        };
        ids.push(groups::insert_department(c, city.id, &d, now).await?);
    }
    let first = groups::insert_meeting(
        c,
        city.id,
        &day(200),
        "全市家校社协同育人工作联席会议（上半年）",
        "1. 通报开学第一课与必修课进展\n2. 部署家长学校评估",
        "## 会议纪要\n\n会议听取了市教育局关于家校社协同育人工作的通报，研究部署家长学校星级评估工作。",
        by,
        now,
    )
    .await?;
    for d in &ids {
        groups::insert_attendance(c, first, *d).await?;
    }
    let done = groups::insert_item(
        c,
        first,
        city.id,
        "制定家长学校星级评估细则",
        &day(150),
        now,
    )
    .await?;
    groups::close_item(c, done, &day(160), "细则已印发", by).await?;
    if let Some(d0) = districts.first() {
        groups::insert_item(
            c,
            first,
            d0.id,
            "建成区级家庭教育指导中心服务站点 10 个",
            &day(60),
            now,
        )
        .await?;
    }
    let second = groups::insert_meeting(
        c,
        city.id,
        &day(30),
        "全市家校社协同育人工作联席会议（下半年）",
        "1. 总结上半年工作\n2. 研究家长委员会主任培训",
        "## 会议纪要\n\n会议要求各区(市)年内完成家委会主任 4 学时培训。",
        by,
        now,
    )
    .await?;
    for d in ids.iter().take(4) {
        groups::insert_attendance(c, second, *d).await?;
    }
    if let Some(d1) = districts.get(1) {
        groups::insert_item(c, second, d1.id, "完成全区家委会主任培训", &day(-60), now).await?;
    }
    // The districts' groups: some meet in time, some are late, a few have none.
    for (i, d) in districts.iter().enumerate() {
        if i % 4 == 3 {
            continue;
        }
        groups::save_group(c, d.id, "分管副区长（演示）", &day(400), by, now).await?;
        for (j, name) in DISTRICT_DEPARTMENTS.iter().enumerate() {
            let dept = Department {
                id: 0,
                name: (*name).into(),
                contact: String::new(),
                phone: String::new(),
                leading: j == 0,
            };
            groups::insert_department(c, d.id, &dept, now).await?;
        }
        let back = match i % 3 {
            0 => Some(60),
            1 => Some(250),
            _ => None,
        };
        if let Some(back) = back {
            groups::insert_meeting(
                c,
                d.id,
                &day(back),
                "区家校社协同育人工作联席会议",
                "研究本区协同育人重点工作",
                "",
                by,
                now,
            )
            .await?;
        }
    }
    // Guidance centres: the city's and most districts'.
    let centre = |u: &Unit, name: String| Center {
        unit_id: u.id,
        name,
        section: "家庭教育科".into(),
        address: String::new(),
        phone: String::new(),
        established_on: day(700),
    };
    centers::save_center(
        c,
        &centre(city, "青岛市家校社协同育人指导中心".into()),
        by,
        now,
    )
    .await?;
    for (i, d) in districts.iter().enumerate() {
        if i % 5 == 4 {
            continue;
        }
        centers::save_center(
            c,
            &centre(d, format!("{}协同育人指导中心", d.name)),
            by,
            now,
        )
        .await?;
        for (k, (kind, title, people)) in [
            (ServiceKind::Consultation, "家长个别咨询", 12),
            (ServiceKind::Lecture, "家庭教育公益讲座", 180),
            (ServiceKind::SchoolVisit, "进校指导家长学校工作", 30),
        ]
        .into_iter()
        .enumerate()
        {
            centers::insert_service(
                c,
                d.id,
                &NewService {
                    kind,
                    held_on: &day(20 + 15 * k as i64),
                    title,
                    people,
                    researcher_id: if i == 0 { researcher } else { 0 },
                },
                by,
                now,
            )
            .await?;
        }
    }
    Ok(())
}
