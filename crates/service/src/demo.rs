//! The demo city: Qingdao's districts, subdistricts, schools with their
//! grades and classes, teachers, students and parents with generated Chinese
//! names, and one named account of every role. The same generator makes the
//! design scale (`city`) for benchmarks and a `tiny` city for tests.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tongyu_domain::account::Role;
use tongyu_domain::org::{Stage, Unit, UnitKind};
use tongyu_domain::{Error, Result};
use tongyu_store::DbResult;
use tongyu_store::account::{self as accounts, NewAccount};
use tongyu_store::org::{self as units, NewUnit};
use tongyu_store::student::{self as students, NewStudent};

use crate::{App, auth};
use tongyu_domain::calendar::school_year;

/// How big a city to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoScale {
    pub subdistricts_per_district: usize,
    pub schools: usize,
    pub classes_per_grade: usize,
    pub students_per_class: usize,
    /// Every n-th child has one guardian, the others two (0: all have two).
    pub single_guardian_every: usize,
}

impl DemoScale {
    /// A city small enough for a unit test.
    pub fn tiny() -> Self {
        Self {
            subdistricts_per_district: 1,
            schools: 12,
            classes_per_grade: 1,
            students_per_class: 3,
            single_guardian_every: 3,
        }
    }
    /// The demo: about 200 schools.
    pub fn demo() -> Self {
        Self {
            subdistricts_per_district: 5,
            schools: 200,
            classes_per_grade: 2,
            students_per_class: 8,
            single_guardian_every: 3,
        }
    }
    /// The design scale: 3,500 schools, about 50,000 classes, 1.5 million
    /// students and 3 million parents.
    pub fn city() -> Self {
        Self {
            subdistricts_per_district: 13,
            schools: 3500,
            classes_per_grade: 3,
            students_per_class: 30,
            single_guardian_every: 0,
        }
    }
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "tiny" => Ok(Self::tiny()),
            "demo" => Ok(Self::demo()),
            "city" => Ok(Self::city()),
            _ => Err(Error::invalid("scale", "规模应为 tiny、demo 或 city")),
        }
    }
}

/// The named demo accounts, for the table printed at start.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub unit: String,
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    pub accounts: Vec<DemoAccount>,
    pub city: Unit,
    /// The demo school's two gate codes (school, bureau) and the tracking
    /// codes of its sample appeals.
    pub gate_codes: (String, String),
    pub tracking_codes: Vec<String>,
}

/// Qingdao's district-level units and some of their subdistricts.
const DISTRICTS: &[(&str, &[&str])] = &[
    (
        "市南区",
        &[
            "八大关街道",
            "湛山街道",
            "香港中路街道",
            "江苏路街道",
            "金门路街道",
        ],
    ),
    (
        "市北区",
        &[
            "台东街道",
            "辽宁路街道",
            "浮山新区街道",
            "合肥路街道",
            "四方街道",
        ],
    ),
    (
        "李沧区",
        &[
            "李村街道",
            "虎山路街道",
            "沧口街道",
            "兴华路街道",
            "九水街道",
        ],
    ),
    (
        "崂山区",
        &[
            "中韩街道",
            "沙子口街道",
            "王哥庄街道",
            "北宅街道",
            "金家岭街道",
        ],
    ),
    (
        "城阳区",
        &[
            "城阳街道",
            "流亭街道",
            "夏庄街道",
            "惜福镇街道",
            "棘洪滩街道",
        ],
    ),
    (
        "黄岛区",
        &[
            "黄岛街道",
            "薛家岛街道",
            "辛安街道",
            "长江路街道",
            "灵山卫街道",
        ],
    ),
    (
        "即墨区",
        &["环秀街道", "潮海街道", "通济街道", "北安街道", "龙山街道"],
    ),
    (
        "胶州市",
        &["阜安街道", "中云街道", "三里河街道", "胶东街道", "九龙街道"],
    ),
    (
        "平度市",
        &["东阁街道", "李园街道", "同和街道", "凤台街道", "白沙河街道"],
    ),
    (
        "莱西市",
        &["水集街道", "望城街道", "沽河街道", "姜山镇", "夏格庄镇"],
    ),
    ("高新区", &["红岛街道", "河套街道"]),
];

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤";
const GIVEN: &str = "子涵浩宇欣怡梓轩诗琪俊杰雨桐思远佳怡宇航一诺博文可馨晨阳雅婷明轩若曦天佑嘉怡志强秀英建华丽娟海燕立新春梅文静晓峰";

struct Names {
    surnames: Vec<char>,
    given: Vec<char>,
    rng: StdRng,
}

impl Names {
    fn new(seed: u64) -> Self {
        Self {
            surnames: SURNAMES.chars().collect(),
            given: GIVEN.chars().collect(),
            rng: StdRng::seed_from_u64(seed),
        }
    }
    fn surname(&mut self) -> char {
        self.surnames[self.rng.gen_range(0..self.surnames.len())]
    }
    fn person(&mut self, surname: Option<char>) -> String {
        let s = surname.unwrap_or_else(|| self.surname());
        let n = if self.rng.gen_bool(0.7) { 2 } else { 1 };
        let mut name = String::from(s);
        for _ in 0..n {
            name.push(self.given[self.rng.gen_range(0..self.given.len())]);
        }
        name
    }
}

fn school_plan(i: usize) -> (Vec<Stage>, &'static str) {
    match i % 10 {
        0..=2 => (vec![Stage::Kindergarten], "幼儿园"),
        3..=6 => (vec![Stage::Primary], "小学"),
        7 => (vec![Stage::Junior], "中学"),
        8 => (vec![Stage::Primary, Stage::Junior], "九年一贯制学校"),
        _ => (vec![Stage::Senior], "高级中学"),
    }
}

fn base_name(sub: &str) -> String {
    sub.trim_end_matches("街道")
        .trim_end_matches('镇')
        .to_owned()
}

/// Reports progress as (phase, done, total).
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// Makes a fresh demo city. Refuses if the database already has one.
pub async fn generate(
    app: &App,
    scale: DemoScale,
    password: &str,
    progress: Progress<'_>,
) -> Result<DemoReport> {
    {
        let mut c = app.db.read().await?;
        if units::city(&mut c).await?.is_some() {
            return Err(Error::conflict(
                "数据库中已有城市数据，演示城市只能建在空数据库上",
            ));
        }
    }
    tongyu_domain::account::check_password(password, "")?;
    let hash = auth::hash_password_async(password.to_owned()).await?;
    let now = app.now();
    let year = school_year(now);
    let mut names = Names::new(20220901);

    // The tree.
    let mut tx = app.db.write().await?;
    let city = units::insert(
        &mut tx,
        None,
        &NewUnit {
            kind: UnitKind::City,
            name: "青岛市".into(),
            external_id: Some("qingdao".into()),
            stages: vec![],
            grade: String::new(),
            school_year: 0,
        },
        now,
    )
    .await?;
    let mut districts = Vec::new();
    let mut subdistricts = Vec::new();
    for (di, (dname, subs)) in DISTRICTS.iter().enumerate() {
        let d = units::insert(
            &mut tx,
            Some(&city),
            &plain(UnitKind::District, dname, format!("d{di}")),
            now,
        )
        .await?;
        for si in 0..scale.subdistricts_per_district {
            let sname = match subs.get(si) {
                Some(s) => (*s).to_owned(),
                None => format!("{}第{}街道", dname.trim_end_matches(['区', '市']), si + 1),
            };
            let s = units::insert(
                &mut tx,
                Some(&d),
                &plain(UnitKind::Subdistrict, &sname, format!("d{di}s{si}")),
                now,
            )
            .await?;
            subdistricts.push(s);
        }
        districts.push(d);
    }
    tx.commit().await.db()?;

    let mut schools = Vec::new();
    let mut classes: Vec<Unit> = Vec::new();
    let mut tx = app.db.write().await?;
    for i in 0..scale.schools {
        let sub = &subdistricts[i % subdistricts.len()];
        let (stages, suffix) = school_plan(i);
        let seq = i / subdistricts.len() + 1;
        let name = format!("{}第{}{}", base_name(&sub.name), seq, suffix);
        let mut new = plain(UnitKind::School, &name, format!("school{i}"));
        new.stages = stages.clone();
        let school = units::insert_row(&mut tx, Some(sub), &new, now).await?;
        for stage in &stages {
            for g in stage.grades() {
                let mut gnew = plain(
                    UnitKind::Grade,
                    &g.label(),
                    format!("school{i}-{}", g.code()),
                );
                gnew.grade = g.code();
                let grade = units::insert_row(&mut tx, Some(&school), &gnew, now).await?;
                for k in 1..=scale.classes_per_grade {
                    let mut cnew = plain(
                        UnitKind::Class,
                        &format!("{}{}班", g.label(), k),
                        format!("school{i}-{}-{k}", g.code()),
                    );
                    cnew.grade = g.code();
                    cnew.school_year = year;
                    classes.push(units::insert_row(&mut tx, Some(&grade), &cnew, now).await?);
                }
            }
        }
        schools.push(school);
        if (i + 1) % 100 == 0 {
            tx.commit().await.db()?;
            tx = app.db.write().await?;
        }
        progress("学校与班级", (i + 1) as u64, scale.schools as u64);
    }
    tx.commit().await.db()?;

    // Staff: an administrator per school and a head teacher per class.
    let staff = |username: String, display_name: String| NewAccount {
        username,
        phone: None,
        display_name,
        password_hash: hash.clone(),
        must_change_password: false,
        external_id: None,
        created_by: None,
    };
    let mut grants: Vec<(i64, Role, i64)> = Vec::new();
    let mut tx = app.db.write().await?;
    let rows: Vec<NewAccount> = schools
        .iter()
        .map(|s| staff(format!("school{}-admin", s.id), names.person(None)))
        .collect();
    for ((_, id), s) in accounts::insert_many(&mut tx, &rows, now)
        .await?
        .into_iter()
        .zip(&schools)
    {
        grants.push((id, Role::SchoolAdmin, s.id));
    }
    for chunk in classes.chunks(2000) {
        let rows: Vec<NewAccount> = chunk
            .iter()
            .map(|c| staff(format!("class{}-teacher", c.id), names.person(None)))
            .collect();
        for ((_, id), c) in accounts::insert_many(&mut tx, &rows, now)
            .await?
            .into_iter()
            .zip(chunk)
        {
            grants.push((id, Role::HeadTeacher, c.id));
        }
    }
    accounts::insert_grants_many(&mut tx, &grants, now).await?;
    tx.commit().await.db()?;

    // Students and their guardians, in batches of classes.
    let mut phone_seq: u64 = 0;
    let total = classes.len() as u64;
    let mut done = 0u64;
    for chunk in classes.chunks(200) {
        let mut tx = app.db.write().await?;
        let mut new_students = Vec::new();
        let mut surnames = Vec::new();
        for class in chunk {
            for k in 0..scale.students_per_class {
                let surname = names.surname();
                surnames.push(surname);
                let gender = if names.rng.gen_bool(0.5) {
                    "男"
                } else {
                    "女"
                };
                new_students.push(NewStudent {
                    class_id: class.id,
                    name: names.person(Some(surname)),
                    gender: gender.into(),
                    external_id: format!("S{}-{}", class.id, k + 1),
                });
            }
        }
        let ids = students::insert_many(&mut tx, &new_students, now).await?;
        let mut parents = Vec::new();
        let mut plan = Vec::new();
        for (idx, (student, (_, sid))) in new_students.iter().zip(&ids).enumerate() {
            let every = scale.single_guardian_every;
            let n = if every > 0 && idx % every == every - 1 {
                1
            } else {
                2
            };
            for g in 0..n {
                phone_seq += 1;
                let phone = format!("139{phone_seq:08}");
                let (relation, surname) = if g == 0 {
                    ("父亲", Some(surnames[idx]))
                } else {
                    ("母亲", None)
                };
                parents.push(NewAccount {
                    username: format!("parent-{phone_seq}"),
                    phone: Some(app.seal_phone(&phone)),
                    display_name: names.person(surname),
                    password_hash: hash.clone(),
                    must_change_password: false,
                    external_id: None,
                    created_by: None,
                });
                plan.push((*sid, student.class_id, relation));
            }
        }
        let created = accounts::insert_many(&mut tx, &parents, now).await?;
        let mut links = Vec::with_capacity(plan.len());
        let mut parent_grants = Vec::with_capacity(plan.len());
        for ((_, account_id), (sid, class_id, relation)) in created.iter().zip(&plan) {
            links.push((*sid, *account_id, (*relation).to_owned()));
            parent_grants.push((*account_id, Role::Parent, *class_id));
        }
        students::insert_links_many(&mut tx, &links, now).await?;
        accounts::insert_grants_many(&mut tx, &parent_grants, now).await?;
        tx.commit().await.db()?;
        done += chunk.len() as u64;
        progress("学生与家长", done, total);
    }

    // One named account of every role.
    let district = districts.first().ok_or_else(Error::internal)?;
    let sub = subdistricts.first().ok_or_else(Error::internal)?;
    let school = schools
        .iter()
        .find(|s| s.parent_id == Some(sub.id) && s.stages.contains(&Stage::Primary))
        .or_else(|| schools.first())
        .ok_or_else(Error::internal)?;
    let class = classes
        .iter()
        .find(|c| c.path.starts_with(&school.path))
        .ok_or_else(Error::internal)?;
    let named: Vec<(&str, Role, &Unit)> = vec![
        ("city-admin", Role::CityAdmin, &city),
        ("district-admin", Role::DistrictAdmin, district),
        ("subdistrict-admin", Role::SubdistrictAdmin, sub),
        ("school-admin", Role::SchoolAdmin, school),
        ("coordinator", Role::Coordinator, school),
        ("head-teacher", Role::HeadTeacher, class),
        ("instructor", Role::Instructor, school),
        ("teacher", Role::Teacher, school),
        ("expert", Role::Expert, &city),
        ("parent", Role::Parent, class),
        ("system-admin", Role::SystemAdmin, &city),
        ("security-admin", Role::SecurityAdmin, &city),
        ("audit-admin", Role::AuditAdmin, &city),
    ];
    let mut tx = app.db.write().await?;
    let rows: Vec<NewAccount> = named
        .iter()
        .map(|(u, r, _)| staff((*u).to_owned(), format!("{}（演示）", r.label())))
        .collect();
    let created = accounts::insert_many(&mut tx, &rows, now).await?;
    let mut grants = Vec::new();
    let mut report = Vec::new();
    for ((_, id), (username, role, unit)) in created.iter().zip(&named) {
        grants.push((*id, *role, unit.id));
        report.push(DemoAccount {
            username: (*username).to_owned(),
            role: *role,
            unit: unit.name.clone(),
        });
        if *role == Role::Parent {
            let first = students::list_by_class(&mut tx, class.id).await?;
            if let Some(child) = first.first() {
                students::insert_links_many(&mut tx, &[(child.id, *id, "母亲".to_owned())], now)
                    .await?;
            }
        }
    }
    accounts::insert_grants_many(&mut tx, &grants, now).await?;
    progress("汇总计数", 0, 1);
    first_lesson(
        &mut tx,
        &city,
        year,
        created.first().map_or(0, |(_, id)| *id),
        now,
    )
    .await?;
    let id_of = |name: &str| {
        named
            .iter()
            .zip(&created)
            .find(|((u, _, _), _)| *u == name)
            .map_or(0, |(_, (_, id))| *id)
    };
    library(&mut tx, &city, id_of("expert"), now).await?;
    required_course(
        &mut tx,
        &city,
        class,
        id_of("head-teacher"),
        id_of("parent"),
        now,
    )
    .await?;
    let (gate_codes, tracking_codes) =
        appeals(app, &mut tx, school, id_of("school-admin"), now).await?;
    units::recount(&mut tx).await?;
    let mut e = crate::audit::anonymous(
        app,
        &crate::Origin {
            ip: "cli".into(),
            request_id: String::new(),
        },
        "cli",
        "demo.generate",
        "ok",
    );
    e.detail = format!("{} schools, {} classes", schools.len(), classes.len());
    crate::audit::append(&mut tx, &e).await?;
    let city = units::get(&mut tx, city.id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.db.analyze().await?;
    progress("汇总计数", 1, 1);
    Ok(DemoReport {
        accounts: report,
        city,
        gate_codes,
        tracking_codes,
    })
}

/// The demo school's gate codes and three appeals: one just received, one
/// answered and waiting for the parent's rating, one to the district bureau.
async fn appeals(
    app: &App,
    c: &mut tongyu_store::Conn,
    school: &Unit,
    admin: i64,
    now: i64,
) -> Result<((String, String), Vec<String>)> {
    use tongyu_domain::appeal::{Category, CodeKind, Level, Source, dedupe_key};
    use tongyu_domain::calendar::Calendar;
    use tongyu_store::appeal as store;
    let mut tokens = Vec::new();
    for kind in CodeKind::ALL {
        let token = crate::auth::random_token(18);
        store::insert_code(c, &token, school.id, kind, admin, now).await?;
        tokens.push(token);
    }
    let district = school
        .ancestor_ids()
        .get(1)
        .copied()
        .ok_or_else(Error::internal)?;
    let samples = [
        (
            Level::School,
            Category::Safety,
            "放学时学校东门车辆乱停乱放，孩子过马路很危险，希望学校协调交警设置护学岗。",
            2 * 3600,
        ),
        (
            Level::School,
            Category::Food,
            "食堂午饭菜量偏少，孩子下午经常喊饿，希望学校了解一下并改进。",
            3 * 86_400,
        ),
        (
            Level::District,
            Category::Fees,
            "学校要求家长统一购买课外辅导资料，费用没有公示，想请教育局核实是否合规。",
            3600,
        ),
    ];
    let cal = Calendar::default();
    let mut codes = Vec::new();
    for (i, (level, category, text, ago)) in samples.into_iter().enumerate() {
        let at = now - ago;
        let d = app.settings.appeals.deadlines(level, category);
        let code = crate::appeal::new_tracking_code();
        let unit = if level == Level::School {
            school.id
        } else {
            district
        };
        let key = dedupe_key(text, &format!("demo:{i}"));
        let id = store::insert(
            c,
            &store::NewAppeal {
                tracking_code: &code,
                source: Source::Qr,
                external_ref: None,
                school_id: school.id,
                unit_id: unit,
                level,
                category,
                text,
                contact_name: &app.seal(crate::crypto::field::APPEAL_CONTACT_NAME, "演示家长"),
                contact_phone: &app.seal(crate::crypto::field::APPEAL_CONTACT_PHONE, "13900000001"),
                dedupe_key: &key,
                sender_device: "",
                urgent: false,
                contact_due: cal.add(at, d.first_contact),
                reply_due: cal.add(at, d.reply),
            },
            at,
        )
        .await?;
        store::add_event(
            c,
            &store::NewEvent {
                appeal_id: id,
                kind: "received",
                public: true,
                actor_id: 0,
                unit_id: unit,
                text: "已收到您的诉求",
            },
            at,
        )
        .await?;
        crate::opinion::index_appeal(c, id, text, school.id, district, at).await?;
        if i == 1 {
            let Some(mut a) = store::get(c, id).await? else {
                return Err(Error::internal());
            };
            a.status = tongyu_domain::appeal::Status::Replied;
            a.handler_id = admin;
            a.contacted_at = at + 3600;
            a.replied_at = now - 86_400;
            a.replied_by = admin;
            a.reply_policy =
                "根据《学生餐营养指南》，小学生午餐应保证主食、蛋白质和蔬菜的分量。".into();
            a.reply_status =
                "学校已抽查三天的午餐，确有部分班级分餐不足的情况，已约谈配餐公司。".into();
            a.reply_next_steps =
                "下周起每班增加一份机动餐，家委会每月陪餐一次并公布陪餐记录。".into();
            a.rating_due = cal.add(a.replied_at, app.settings.appeals.rating_window);
            store::save(c, &a, now).await?;
            store::add_event(
                c,
                &store::NewEvent {
                    appeal_id: id,
                    kind: "replied",
                    public: true,
                    actor_id: admin,
                    unit_id: unit,
                    text: "已答复，请查看答复内容并评价",
                },
                a.replied_at,
            )
            .await?;
        }
        codes.push(code);
    }
    let mut it = tokens.into_iter();
    let school_token = it.next().unwrap_or_default();
    let bureau_token = it.next().unwrap_or_default();
    Ok(((school_token, bureau_token), codes))
}

fn plain(kind: UnitKind, name: &str, external_id: String) -> NewUnit {
    NewUnit {
        kind,
        name: name.to_owned(),
        external_id: Some(external_id),
        stages: vec![],
        grade: String::new(),
        school_year: 0,
    }
}

/// The demo's first lesson of term: a published course of five
/// stage-transition lessons (for every parent, and for new K1, P1, J1 and
/// S1 parents) in a campaign open now. The lessons play a generated audio
/// track, so a demo needs nothing from outside.
async fn first_lesson(
    c: &mut tongyu_store::Conn,
    city: &Unit,
    year: i64,
    by: i64,
    now: i64,
) -> Result<()> {
    use tongyu_domain::course::{Category, Status, Subject};
    use tongyu_store::course::{self as courses, NewCourse, NewLesson};
    use tongyu_store::learning::{self as learning, Target};
    let title = format!("{year}学年家长开学第一课");
    let course = courses::insert_course(
        c,
        &NewCourse {
            title: &title,
            description: "学段衔接第一课：陪伴孩子迈好新学年的第一步。",
            category: Category::Keynote,
            subject: Subject::FamilyEducation,
            grades: "",
            owner_unit_id: city.id,
            created_by: by,
        },
        now,
    )
    .await?;
    courses::set_course_status(c, course, Status::Published, now).await?;
    let campaign =
        learning::insert_campaign(c, year, &title, now - 86_400, now + 60 * 86_400, by, now)
            .await?;
    let lessons = [
        ("", "全学段：新学年，和孩子一起出发"),
        ("K1", "幼一新生家长：入园第一课"),
        ("P1", "小一新生家长：幼小衔接第一课"),
        ("J1", "初一新生家长：小升初衔接第一课"),
        ("S1", "高一新生家长：初升高衔接第一课"),
    ];
    for (grade, lesson_title) in lessons {
        let body = "视频导课：请先完整观看本课音视频。\n\n现场讨论：和家人聊一聊孩子新学年的期待与担心。\n\n课堂总结：记下一条本周就能做到的陪伴方法。";
        let id = courses::insert_lesson(
            c,
            &NewLesson {
                course_id: course,
                title: lesson_title,
                duration_s: 600,
                video_url: "/media/demo-lesson.wav",
                body,
                steps: "",
            },
            now,
        )
        .await?;
        courses::set_lesson_status(c, id, Status::Published, now).await?;
        learning::add_target(
            c,
            &Target {
                campaign_id: campaign,
                lesson_id: id,
                grade: grade.to_owned(),
                school_id: 0,
            },
            by,
            now,
        )
        .await?;
    }
    crate::search::index_course(c, course, now).await?;
    Ok(())
}

/// The demo's required course: four lessons in the five steps, a
/// questionnaire, and in the demo head teacher's class four sessions this
/// school year: two held (the demo parent came to both and rated them) and
/// two to come.
async fn required_course(
    c: &mut tongyu_store::Conn,
    city: &Unit,
    class: &Unit,
    teacher: i64,
    parent: i64,
    now: i64,
) -> Result<()> {
    use tongyu_domain::course::{Category, Status, Subject};
    use tongyu_domain::delivery::{SessionStatus, Step};
    use tongyu_store::course::{self as courses, NewCourse, NewLesson};
    use tongyu_store::delivery::{self as delivery, NewSession};
    let course = courses::insert_course(
        c,
        &NewCourse {
            title: "家庭教育必修课：做孩子成长的同行者",
            description: "班主任每学年为本班家长讲授4次、8课时，按视频导课、现场讨论、课堂总结、拓展训练、微课巩固五步进行。",
            category: Category::Required,
            subject: Subject::FamilyEducation,
            grades: "",
            owner_unit_id: city.id,
            created_by: teacher,
        },
        now,
    )
    .await?;
    courses::set_course_status(c, course, Status::Published, now).await?;
    let titles = [
        "第一讲：读懂孩子的情绪",
        "第二讲：好习惯从家庭开始",
        "第三讲：亲子沟通的五个小方法",
        "第四讲：陪伴孩子规划成长",
    ];
    let mut lessons = Vec::new();
    for t in titles {
        let body = "本讲按五步教学法进行，约两课时。";
        let steps = tongyu_domain::course::encode_steps(&[
            (
                Step::VideoIntro,
                format!("观看《{t}》导课短片（5分钟），请家长带着问题看。"),
            ),
            (
                Step::Discussion,
                "分组讨论：\n\n- 家里最近一次类似的情形是怎样的？\n- 孩子当时可能在想什么？"
                    .to_owned(),
            ),
            (
                Step::Summary,
                "班主任归纳本讲的三个要点，家长各写下一条本周就能做到的做法。".to_owned(),
            ),
            (
                Step::Practice,
                "本周在家完成一次练习，下次课分享。".to_owned(),
            ),
            (Step::MicroReview, "/media/demo-lesson.wav".to_owned()),
        ]);
        let id = courses::insert_lesson(
            c,
            &NewLesson {
                course_id: course,
                title: t,
                duration_s: 600,
                video_url: "/media/demo-lesson.wav",
                body,
                steps: &steps,
            },
            now,
        )
        .await?;
        courses::set_lesson_status(c, id, Status::Published, now).await?;
        lessons.push(id);
    }
    crate::search::index_course(c, course, now).await?;
    delivery::put_questionnaire(
        c,
        course,
        &[
            "我能耐心倾听孩子的想法".to_owned(),
            "我知道怎样和孩子商量规则".to_owned(),
            "我每周有固定的亲子陪伴时间".to_owned(),
        ],
        teacher,
        now,
    )
    .await?;
    let child = tongyu_store::student::children_of(c, parent)
        .await?
        .first()
        .map_or(0, |s| s.id);
    let year = tongyu_domain::calendar::school_year(now);
    let day = 86_400;
    for (i, (lesson, title)) in lessons.iter().zip(titles).enumerate() {
        let starts_at = now + [-2 * day, -day, 7 * day, 14 * day][i];
        let token = crate::auth::random_token(18);
        let id = delivery::insert_session(
            c,
            &NewSession {
                class_id: class.id,
                school_year: year,
                course_id: course,
                lesson_id: *lesson,
                title,
                starts_at,
                class_hours: 2,
                place: "学校三楼多功能厅",
                online_url: "",
                checkin_token: &token,
                created_by: teacher,
            },
            now,
        )
        .await?;
        if starts_at < now {
            let steps: Vec<(Step, String)> =
                Step::ALL.iter().map(|s| (*s, String::new())).collect();
            delivery::replace_steps(c, id, &steps, now).await?;
            delivery::set_session_status(c, id, SessionStatus::Held, teacher, now, now).await?;
            delivery::add_to_tally(c, class.id, year, 1, 2).await?;
            if child != 0 {
                delivery::check_in(c, id, parent, child, "qr", starts_at).await?;
                delivery::rate(c, id, parent, 5, "讲得很实在，回家就能用。", now).await?;
            }
        }
    }
    Ok(())
}

/// The demo's library: a published self-study course of micro-courses for
/// every grade, which parents' homes recommend.
async fn library(c: &mut tongyu_store::Conn, city: &Unit, by: i64, now: i64) -> Result<()> {
    use tongyu_domain::course::{Category, Status, Subject};
    use tongyu_store::course::{self as courses, NewCourse, NewLesson};
    let course = courses::insert_course(
        c,
        &NewCourse {
            title: "家长微课堂：每天十分钟",
            description: "短小实用的家庭教育微课，随时随地学习。",
            category: Category::SelfStudy,
            subject: Subject::FamilyEducation,
            grades: "",
            owner_unit_id: city.id,
            created_by: by,
        },
        now,
    )
    .await?;
    for (title, body) in [
        (
            "三分钟学会倾听",
            "**倾听**是亲子沟通的第一步：放下手机，看着孩子，听完再说。",
        ),
        (
            "和孩子一起做家务",
            "家务是最好的劳动教育：从整理书包、摆放碗筷开始。",
        ),
        (
            "睡前十分钟的亲子阅读",
            "固定时间、固定地点、孩子选书，读完聊一聊。",
        ),
    ] {
        let id = courses::insert_lesson(
            c,
            &NewLesson {
                course_id: course,
                title,
                duration_s: 600,
                video_url: "/media/demo-lesson.wav",
                body,
                steps: "",
            },
            now,
        )
        .await?;
        courses::set_lesson_status(c, id, Status::Published, now).await?;
    }
    courses::set_course_status(c, course, Status::Published, now).await?;
    crate::search::index_course(c, course, now).await?;
    Ok(())
}
