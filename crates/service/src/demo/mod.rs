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

mod appeals;
mod certification;
mod committees;
mod coordination;
mod courses;
mod experts;
mod studios;
mod training;
mod work_groups;

use crate::{App, audit, auth};
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
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
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
    let staff_grants = grants;

    // Students and their guardians, in batches of classes; a few parents of
    // each school are kept for its committee and lecturer groups.
    let school_of_class: std::collections::HashMap<i64, i64> = {
        let ids: std::collections::HashSet<i64> = schools.iter().map(|s| s.id).collect();
        classes
            .iter()
            .filter_map(|c| {
                tongyu_domain::org::path_ids(&c.path)
                    .into_iter()
                    .find(|id| ids.contains(id))
                    .map(|s| (c.id, s))
            })
            .collect()
    };
    let mut parents_by_school: std::collections::HashMap<i64, Vec<i64>> =
        std::collections::HashMap::new();
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
            if let Some(school) = school_of_class.get(class_id) {
                let kept = parents_by_school.entry(*school).or_default();
                if kept.len() < 8 && *relation == "父亲" {
                    kept.push(*account_id);
                }
            }
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
        ("researcher", Role::Researcher, district),
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
    let campaign = courses::first_lesson(
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
    let micro_courses = courses::library(&mut tx, &city, id_of("expert"), now).await?;
    courses::required_course(
        &mut tx,
        &city,
        class,
        id_of("head-teacher"),
        id_of("parent"),
        &micro_courses,
        now,
    )
    .await?;
    courses::first_lesson_progress(&mut tx, campaign, &districts, id_of("parent"), now).await?;
    courses::contributions_in_review(&mut tx, school, id_of("head-teacher"), now).await?;
    let (gate_codes, tracking_codes) =
        appeals::appeals(app, &mut tx, school, id_of("school-admin"), now).await?;
    let named_school = work_groups::Named {
        school: school.id,
        coordinator: id_of("coordinator"),
        school_admin: id_of("school-admin"),
        instructor: id_of("instructor"),
        teacher: id_of("teacher"),
        head_teacher: id_of("head-teacher"),
    };
    work_groups::work_groups(
        &mut tx,
        &schools,
        &staff_grants,
        &classes,
        &named_school,
        now,
    )
    .await?;
    let mut class_parents: Vec<i64> = students::parents_of_class(&mut tx, class.id)
        .await?
        .into_iter()
        .map(|(id, _, _)| id)
        .filter(|id| *id != id_of("parent"))
        .take(2)
        .collect();
    class_parents.push(id_of("parent"));
    committees::committees(
        &mut tx,
        &schools,
        &parents_by_school,
        school.id,
        class.id,
        &class_parents,
        id_of("school-admin"),
        now,
    )
    .await?;
    coordination::coordination(
        &mut tx,
        &city,
        &districts,
        id_of("researcher"),
        id_of("city-admin"),
        now,
    )
    .await?;
    let chairs = tongyu_store::training::chairs(&mut tx).await?;
    training::training(
        &mut tx,
        city.id,
        district.id,
        &staff_grants,
        &chairs,
        id_of("city-admin"),
        now,
    )
    .await?;
    experts::experts(
        &mut tx,
        city.id,
        district.id,
        school.id,
        id_of("expert"),
        &hash,
        id_of("city-admin"),
        now,
    )
    .await?;
    studios::studios(&mut tx, &staff_grants, id_of("city-admin"), now).await?;
    certification::certification(
        &mut tx,
        &city,
        &schools,
        &staff_grants,
        &classes,
        &certification::Named {
            school: school.id,
            district_path: district.path.clone(),
            district_admin: id_of("district-admin"),
            instructor: id_of("instructor"),
            head_teacher: id_of("head-teacher"),
            city_admin: id_of("city-admin"),
        },
        now,
    )
    .await?;
    crate::coverage::recount_into(&mut tx).await?;
    tongyu_store::training::recount_into(&mut tx).await?;
    tongyu_store::activation::recompute(&mut tx, now - crate::activation::ACTIVE_WINDOW_S, now)
        .await?;
    units::recount(&mut tx).await?;
    // The demo writes sessions directly: their tallies and the classes met
    // and on track are counted once, at the end.
    tongyu_store::delivery::refresh_planned(&mut tx).await?;
    let plan = crate::plan::in_force(&mut tx).await?;
    for year in tongyu_store::delivery::delivery_years(&mut tx).await? {
        tongyu_store::delivery::recount_met_into_rollups(&mut tx, year, &plan).await?;
    }
    let mut e = crate::audit::anonymous(
        app,
        &crate::Origin {
            ip: "cli".into(),
            request_id: String::new(),
        },
        audit::SYSTEM,
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
