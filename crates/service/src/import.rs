//! Importing units, classes, teachers, students and guardian links from a
//! spreadsheet. Every row is checked first, against the file itself and the
//! database; while any row has an error nothing is imported, and each error
//! names its row and column in Chinese. Rows are keyed by external id, so
//! importing the same file again changes nothing.

use std::collections::{HashMap, HashSet};

use tongyu_domain::account::{Role, parse_person_name, parse_phone, parse_username};
use tongyu_domain::import::{ImportKind, Row, RowError};
use tongyu_domain::org::{Counts, Grade, Stage, Unit, UnitKind, parse_unit_name};
use tongyu_domain::policy::{Action, Actor, Grant};
use tongyu_domain::student::{LinkStatus, parse_gender, parse_relation};
use tongyu_domain::{Error, Result};
use tongyu_store::account::{self as accounts, NO_PASSWORD, NewAccount};
use tongyu_store::org::{self as units, NewUnit};
use tongyu_store::student::{self as students, NewStudent};
use tongyu_store::{Conn, DbResult};

use crate::{App, Ctx, Origin, audit, auth, sheet};

/// The value of a parsed cell, or: record the error against the row's
/// column and go on with the next row.
macro_rules! cell {
    ($errors:ident, $row:expr, $key:expr, $parsed:expr) => {
        match $parsed {
            Ok(v) => v,
            Err(e) => {
                $errors.push($row.error($key, e.message));
                continue;
            }
        }
    };
}

/// At most this many row errors are reported; the count says how many more.
const MAX_ERRORS: usize = 1000;

/// A new account's first password, handed to the importer once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Credential {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

/// What an import did, or why it did nothing.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub rows: usize,
    pub errors: Vec<RowError>,
    pub more_errors: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub credentials: Vec<Credential>,
}

impl Outcome {
    fn failed(rows: usize, mut errors: Vec<RowError>) -> Outcome {
        errors.sort_by_key(|e| e.row);
        let more = errors.len().saturating_sub(MAX_ERRORS);
        errors.truncate(MAX_ERRORS);
        Outcome {
            rows,
            errors,
            more_errors: more,
            ..Outcome::default()
        }
    }
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Reports progress as (rows done, rows in all).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// The command line acts as an operator with the whole city in scope.
pub async fn operator_ctx(app: &App) -> Result<Ctx> {
    let mut c = app.db.read().await?;
    let city = units::city(&mut c)
        .await?
        .ok_or_else(|| Error::invalid("city", "数据库中还没有城市，请先运行 tongyu init"))?;
    Ok(Ctx {
        actor: Actor {
            account_id: 0,
            username: "cli".into(),
            grants: vec![Grant {
                role: Role::CityAdmin,
                unit_id: city.id,
                unit_kind: UnitKind::City,
                unit_path: city.path,
            }],
        },
        origin: Origin {
            ip: "cli".into(),
            request_id: String::new(),
        },
        factor_at: 0,
    })
}

/// Checks and imports one file.
pub async fn run(
    app: &App,
    ctx: &Ctx,
    kind: ImportKind,
    bytes: &[u8],
    progress: Progress<'_>,
) -> Result<Outcome> {
    crate::access::scope(app, ctx, "import", Action::Import).await?;
    let table = sheet::read_table(bytes)?;
    let positions = kind.map_headers(&table.headers)?;
    let rows: Vec<Row> = table
        .rows
        .iter()
        .map(|(n, cells)| Row::new(kind, &positions, *n, cells))
        .collect();
    if rows.is_empty() {
        return Err(Error::invalid("file", "文件中只有表头，没有数据行"));
    }
    progress(0, rows.len() as u64);
    let out = match kind {
        ImportKind::Units => import_units(app, ctx, &rows, progress).await?,
        ImportKind::Classes => import_classes(app, ctx, &rows, progress).await?,
        ImportKind::Teachers => import_teachers(app, ctx, &rows, progress).await?,
        ImportKind::Students => import_students(app, ctx, &rows, progress).await?,
        ImportKind::Guardians => import_guardians(app, ctx, &rows, progress).await?,
    };
    // Imported grants and links change what sessions and parents see.
    if out.ok() {
        app.forget_all();
    }
    // A large load changes the shape of the data the planner knows.
    if out.created >= 10_000 {
        app.db.analyze().await?;
    }
    Ok(out)
}

/// Checks the required cells and that `key` is unique in the file;
/// returns the rows fit for the next check.
fn first_pass<'r, 'a>(
    rows: &'r [Row<'a>],
    kind: ImportKind,
    key: Option<&str>,
    errors: &mut Vec<RowError>,
) -> Vec<&'r Row<'a>> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut ok = Vec::new();
    for r in rows {
        let missing = r.missing(kind);
        if !missing.is_empty() {
            errors.extend(missing);
            continue;
        }
        if let Some(k) = key {
            let v = r.get(k);
            if v.chars().count() > 64 {
                errors.push(r.error(k, "编号不能超过64个字符"));
                continue;
            }
            if let Some(first) = seen.insert(v, r.number) {
                errors.push(r.error(k, format!("“{v}”在文件中重复（第 {first} 行已有）")));
                continue;
            }
        }
        ok.push(r);
    }
    ok
}

/// The unit a row names by external id, if it exists, lies in the actor's
/// import scope, is active and is of `kind` (when given). A unit outside the
/// scope gets the same error as one that does not exist.
fn scoped<'u>(
    ctx: &Ctx,
    units: &'u HashMap<String, Unit>,
    ext: &str,
    kind: Option<UnitKind>,
) -> Result<&'u Unit> {
    let what = kind.map_or("单位", |k| k.label());
    match units.get(ext) {
        Some(u) if ctx.actor.can(Action::Import, &u.path) => match kind {
            Some(k) if u.kind != k => Err(Error::invalid(
                "unit",
                format!(
                    "“{ext}”是{}“{}”，这里应填{what}的外部编号",
                    u.kind.label(),
                    u.name
                ),
            )),
            _ if !u.active => Err(Error::invalid(
                "unit",
                format!("{}“{}”已停用", u.kind.label(), u.name),
            )),
            _ => Ok(u),
        },
        _ => Err(Error::invalid(
            "unit",
            format!("找不到外部编号为“{ext}”的{what}（或不在您的管理范围内）"),
        )),
    }
}

async fn units_by_ext(
    c: &mut Conn,
    ids: impl Iterator<Item = &str>,
) -> Result<HashMap<String, Unit>> {
    let mut wanted: Vec<String> = ids.filter(|s| !s.is_empty()).map(str::to_owned).collect();
    wanted.sort();
    wanted.dedup();
    Ok(units::by_external_ids(c, &wanted)
        .await?
        .into_iter()
        .filter_map(|u| u.external_id.clone().map(|e| (e, u)))
        .collect())
}

fn summary(
    app: &App,
    ctx: &Ctx,
    kind: ImportKind,
    out: &Outcome,
    unit_id: Option<i64>,
) -> tongyu_store::audit::AuditEntry {
    let detail = format!(
        "{} 行：新增 {}，更新 {}，未变 {}",
        out.rows, out.created, out.updated, out.unchanged
    );
    audit::entry(
        app,
        ctx,
        &format!("import.{}", kind.as_str()),
        "import",
        kind.as_str(),
        unit_id,
        detail,
    )
}

fn tick(progress: Progress<'_>, done: usize, total: usize) {
    if done.is_multiple_of(500) || done == total {
        progress(done as u64, total as u64);
    }
}

/// Students by external id, and the classes they are in by id.
async fn students_with_classes(
    c: &mut Conn,
    exts: &[String],
) -> Result<(
    HashMap<String, tongyu_domain::student::Student>,
    HashMap<i64, Unit>,
)> {
    let found: HashMap<String, tongyu_domain::student::Student> =
        students::by_external_ids(c, exts)
            .await?
            .into_iter()
            .filter_map(|s| s.external_id.clone().map(|e| (e, s)))
            .collect();
    let class_ids: Vec<i64> = found
        .values()
        .map(|s| s.class_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let classes = units::get_many(c, &class_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok((found, classes))
}

fn parse_kind(s: &str) -> Option<UnitKind> {
    match s {
        "区" | "区(市)" | "区（市）" | "市" | "县级市" | "功能区" | "district" => {
            Some(UnitKind::District)
        }
        "镇" | "街道" | "镇街" | "镇(街)" | "镇（街）" | "subdistrict" => {
            Some(UnitKind::Subdistrict)
        }
        "学校" | "幼儿园" | "school" => Some(UnitKind::School),
        _ => None,
    }
}

struct UnitRow<'a> {
    row: &'a Row<'a>,
    ext: &'a str,
    name: String,
    kind: UnitKind,
    parent: &'a str,
    stages: Vec<Stage>,
}

async fn import_units(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for r in first_pass(rows, ImportKind::Units, Some("external_id"), &mut errors) {
        let Some(kind) = parse_kind(r.get("kind")) else {
            errors.push(r.error(
                "kind",
                format!("类型应为“区(市)”“镇(街)”或“学校”：{}", r.get("kind")),
            ));
            continue;
        };
        let name = cell!(errors, r, "name", parse_unit_name(r.get("name")));
        let stages = if kind == UnitKind::School {
            cell!(errors, r, "stages", Stage::parse_list(r.get("stages")))
        } else {
            Vec::new()
        };
        parsed.push(UnitRow {
            row: r,
            ext: r.get("external_id"),
            name,
            kind,
            parent: r.get("parent"),
            stages,
        });
    }
    let mut c = app.db.read().await?;
    let city = units::city(&mut c).await?.ok_or_else(Error::internal)?;
    let existing = units_by_ext(&mut c, parsed.iter().flat_map(|p| [p.ext, p.parent])).await?;
    drop(c);
    let in_file: HashMap<&str, UnitKind> = parsed.iter().map(|p| (p.ext, p.kind)).collect();
    for p in &parsed {
        let r = p.row;
        let needed = match p.kind {
            UnitKind::District => UnitKind::City,
            UnitKind::Subdistrict => UnitKind::District,
            _ => UnitKind::Subdistrict,
        };
        let parent_id = if p.parent.is_empty() {
            if p.kind != UnitKind::District {
                errors.push(r.error("parent", "镇(街)和学校须填写上级外部编号"));
                continue;
            }
            if !ctx.actor.can(Action::Import, &city.path) {
                errors.push(r.error("parent", "只有市级管理员能新增区(市)"));
                continue;
            }
            Some(city.id)
        } else if let Some(k) = in_file.get(p.parent) {
            if *k != needed {
                errors.push(r.error(
                    "parent",
                    format!(
                        "上级“{}”是{}，{}的上级应是{}",
                        p.parent,
                        k.label(),
                        p.kind.label(),
                        needed.label()
                    ),
                ));
                continue;
            }
            existing.get(p.parent).map(|u| u.id)
        } else {
            Some(
                cell!(
                    errors,
                    r,
                    "parent",
                    scoped(ctx, &existing, p.parent, Some(needed))
                )
                .id,
            )
        };
        if let Some(u) = existing.get(p.ext) {
            if !ctx.actor.can(Action::Import, &u.path) {
                errors.push(r.error(
                    "external_id",
                    format!("外部编号“{}”已被您管理范围以外的单位使用", p.ext),
                ));
            } else if u.kind != p.kind {
                errors.push(r.error(
                    "external_id",
                    format!("外部编号“{}”已用于{}“{}”", p.ext, u.kind.label(), u.name),
                ));
            } else if parent_id.is_none() || u.parent_id != parent_id {
                errors.push(r.error(
                    "parent",
                    format!("“{}”已存在且上级不同；调整上级请在组织机构页面操作", u.name),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut made = existing.clone();
    let mut tx = app.db.write().await?;
    let mut done = 0;
    for kind in [UnitKind::District, UnitKind::Subdistrict, UnitKind::School] {
        for p in parsed.iter().filter(|p| p.kind == kind) {
            match existing.get(p.ext) {
                Some(u) if u.name == p.name && u.stages == p.stages => out.unchanged += 1,
                Some(u) => {
                    let stages = if kind == UnitKind::School {
                        p.stages.clone()
                    } else {
                        u.stages.clone()
                    };
                    units::update(&mut tx, u.id, &p.name, &stages, now).await?;
                    out.updated += 1;
                }
                None => {
                    let parent = if p.parent.is_empty() {
                        city.clone()
                    } else {
                        made.get(p.parent).cloned().ok_or_else(Error::internal)?
                    };
                    let new = NewUnit {
                        kind,
                        name: p.name.clone(),
                        external_id: Some(p.ext.to_owned()),
                        stages: p.stages.clone(),
                        grade: String::new(),
                        school_year: 0,
                    };
                    let u = units::insert(&mut tx, Some(&parent), &new, now).await?;
                    made.insert(p.ext.to_owned(), u);
                    out.created += 1;
                }
            }
            done += 1;
            tick(progress, done, parsed.len());
        }
    }
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Units, &out, None)).await?;
    Ok(out)
}

async fn import_classes(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let ok = first_pass(rows, ImportKind::Classes, Some("external_id"), &mut errors);
    let mut c = app.db.read().await?;
    let existing = units_by_ext(
        &mut c,
        ok.iter()
            .flat_map(|r| [r.get("external_id"), r.get("school")]),
    )
    .await?;
    drop(c);
    let default_year = tongyu_domain::calendar::school_year(app.now());
    struct ClassRow<'a> {
        ext: &'a str,
        school: Unit,
        grade: Grade,
        name: String,
        year: i64,
    }
    let mut parsed = Vec::new();
    for r in ok {
        let school = cell!(
            errors,
            r,
            "school",
            scoped(ctx, &existing, r.get("school"), Some(UnitKind::School))
        )
        .clone();
        let grade = match Grade::parse(r.get("grade")) {
            Ok(g) if school.stages.contains(&g.stage) => g,
            Ok(g) => {
                errors.push(r.error(
                    "grade",
                    format!("{}没有{}学段", school.name, g.stage.label()),
                ));
                continue;
            }
            Err(e) => {
                errors.push(r.error("grade", e.message));
                continue;
            }
        };
        let name = cell!(errors, r, "name", parse_unit_name(r.get("name")));
        let year = match r.get("school_year") {
            "" => default_year,
            y => match y.parse::<i64>() {
                Ok(y) if (2000..=2100).contains(&y) => y,
                _ => {
                    errors.push(r.error(
                        "school_year",
                        format!("学年应为年份，如 {default_year}：{y}"),
                    ));
                    continue;
                }
            },
        };
        let ext = r.get("external_id");
        if let Some(u) = existing.get(ext)
            && (u.kind != UnitKind::Class
                || !u.path.starts_with(&school.path)
                || u.grade != grade.code())
        {
            errors.push(r.error(
                "external_id",
                format!("外部编号“{ext}”已用于其他单位“{}”", u.name),
            ));
            continue;
        }
        parsed.push(ClassRow {
            ext,
            school,
            grade,
            name,
            year,
        });
    }
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut grades: HashMap<(i64, String), Unit> = HashMap::new();
    let mut tx = app.db.write().await?;
    for (i, p) in parsed.iter().enumerate() {
        if let Some(u) = existing.get(p.ext) {
            if u.name == p.name {
                out.unchanged += 1;
            } else {
                units::update(&mut tx, u.id, &p.name, &[], now).await?;
                out.updated += 1;
            }
        } else {
            let key = (p.school.id, p.grade.code());
            if !grades.contains_key(&key) {
                let found = units::children(&mut tx, p.school.id, true)
                    .await?
                    .into_iter()
                    .find(|g| g.grade == key.1);
                let grade = match found {
                    Some(g) => g,
                    None => {
                        let new = NewUnit {
                            kind: UnitKind::Grade,
                            name: p.grade.label(),
                            external_id: None,
                            stages: Vec::new(),
                            grade: p.grade.code(),
                            school_year: 0,
                        };
                        units::insert(&mut tx, Some(&p.school), &new, now).await?
                    }
                };
                grades.insert(key.clone(), grade);
            }
            let grade = grades.get(&key).ok_or_else(Error::internal)?;
            let new = NewUnit {
                kind: UnitKind::Class,
                name: p.name.clone(),
                external_id: Some(p.ext.to_owned()),
                stages: Vec::new(),
                grade: p.grade.code(),
                school_year: p.year,
            };
            units::insert(&mut tx, Some(grade), &new, now).await?;
            out.created += 1;
        }
        tick(progress, i + 1, parsed.len());
    }
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Classes, &out, None)).await?;
    Ok(out)
}

fn parse_role(s: &str) -> Option<Role> {
    Role::ALL
        .into_iter()
        .find(|r| r.as_str() == s || r.label() == s)
        .or(match s {
            "指导教师" => Some(Role::Instructor),
            "协调员" => Some(Role::Coordinator),
            _ => None,
        })
}

async fn import_teachers(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let ok = first_pass(rows, ImportKind::Teachers, None, &mut errors);
    let mut c = app.db.read().await?;
    let unit_of = units_by_ext(&mut c, ok.iter().map(|r| r.get("unit"))).await?;
    struct Person {
        first_row: usize,
        name: String,
        phone: Option<String>,
        username: String,
        grants: Vec<(Role, i64)>,
    }
    let mut people: HashMap<&str, Person> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for r in &ok {
        let ext = r.get("external_id");
        let Some(role) = parse_role(r.get("role")) else {
            errors.push(r.error(
                "role",
                format!(
                    "未知的角色：{}（可填：教师、班主任、家庭教育指导教师、总协调员、学校管理员）",
                    r.get("role")
                ),
            ));
            continue;
        };
        let unit = cell!(
            errors,
            r,
            "unit",
            scoped(ctx, &unit_of, r.get("unit"), None)
        );
        if !role.unit_kinds().contains(&unit.kind) {
            let kinds: Vec<&str> = role.unit_kinds().iter().map(|k| k.label()).collect();
            errors.push(r.error(
                "unit",
                format!(
                    "{}只能设在{}上，“{}”是{}",
                    role.label(),
                    kinds.join("或"),
                    unit.name,
                    unit.kind.label()
                ),
            ));
            continue;
        }
        if !ctx.actor.may_grant(role, unit.kind, &unit.path) {
            errors.push(r.error("role", format!("您不能授予{}角色", role.label())));
            continue;
        }
        let name = cell!(errors, r, "name", parse_person_name(r.get("name")));
        let phone = match r.get("phone") {
            "" => None,
            p => match parse_phone(p) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(r.error("phone", e.message));
                    continue;
                }
            },
        };
        let username = match r.get("username") {
            "" => {
                let base: String = ext
                    .to_ascii_lowercase()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                match parse_username(&format!("t{base}")) {
                    Ok(u) => u,
                    Err(_) => {
                        errors.push(r.error("username", "无法由工号生成用户名，请填写用户名"));
                        continue;
                    }
                }
            }
            u => cell!(errors, r, "username", parse_username(u)),
        };
        match people.get_mut(ext) {
            Some(p) => {
                if p.name != name || p.phone != phone || p.username != username {
                    errors.push(r.error(
                        "external_id",
                        format!(
                            "工号“{ext}”在第 {} 行的姓名、手机号或用户名与本行不同",
                            p.first_row
                        ),
                    ));
                    continue;
                }
                p.grants.push((role, unit.id));
            }
            None => {
                order.push(ext);
                people.insert(
                    ext,
                    Person {
                        first_row: r.number,
                        name,
                        phone,
                        username,
                        grants: vec![(role, unit.id)],
                    },
                );
            }
        }
    }
    // Against the database and the rest of the file: one account per
    // external id, username and phone.
    let exts: Vec<String> = order.iter().map(|s| (*s).to_owned()).collect();
    let by_ext: HashMap<String, tongyu_domain::account::Account> =
        accounts::by_external_ids(&mut c, &exts)
            .await?
            .into_iter()
            .collect();
    let names: Vec<String> = people.values().map(|p| p.username.clone()).collect();
    let by_name: HashMap<String, i64> = accounts::by_usernames(&mut c, &names)
        .await?
        .into_iter()
        .map(|a| (a.username, a.id))
        .collect();
    let phones: Vec<String> = people.values().filter_map(|p| p.phone.clone()).collect();
    let by_phone = phone_owners(app, &mut c, &phones).await?;
    drop(c);
    let mut file_names: HashMap<&str, &str> = HashMap::new();
    let mut file_phones: HashMap<&str, &str> = HashMap::new();
    for ext in &order {
        let p = &people[ext];
        let own = by_ext.get(*ext).map(|a| a.id);
        let row = ok
            .iter()
            .find(|r| r.number == p.first_row)
            .ok_or_else(Error::internal)?;
        if let Some(a) = by_ext.get(*ext)
            && a.username != p.username
            && !row.get("username").is_empty()
        {
            errors.push(row.error(
                "username",
                format!("工号“{ext}”已对应用户名“{}”", a.username),
            ));
        }
        if let Some(id) = by_name.get(&p.username)
            && Some(*id) != own
        {
            errors.push(row.error(
                "username",
                format!("用户名“{}”已被其他账号使用", p.username),
            ));
        }
        if let Some(other) = file_names.insert(p.username.as_str(), ext) {
            errors.push(row.error(
                "username",
                format!("用户名“{}”在文件中也用于工号“{other}”", p.username),
            ));
        }
        if let Some(phone) = &p.phone {
            if let Some(id) = by_phone.get(phone)
                && Some(*id) != own
            {
                errors.push(row.error(
                    "phone",
                    format!(
                        "手机号{}已绑定其他账号",
                        tongyu_domain::account::mask_phone(phone)
                    ),
                ));
            }
            if let Some(other) = file_phones.insert(phone.as_str(), ext) {
                errors.push(row.error("phone", format!("手机号在文件中也用于工号“{other}”")));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    // New accounts get a first password each; hashing runs on all cores.
    let fresh: Vec<&str> = order
        .iter()
        .copied()
        .filter(|e| !by_ext.contains_key(*e))
        .collect();
    let passwords: Vec<String> = fresh.iter().map(|_| auth::temporary_password()).collect();
    let hashes = hash_all(passwords.clone()).await?;
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut tx = app.db.write().await?;
    let new_rows: Vec<NewAccount> = fresh
        .iter()
        .zip(&hashes)
        .map(|(ext, hash)| {
            let p = &people[ext];
            NewAccount {
                username: p.username.clone(),
                phone: p.phone.as_deref().map(|p| app.seal_phone(p)),
                display_name: p.name.clone(),
                password_hash: hash.clone(),
                must_change_password: true,
                external_id: Some((*ext).to_owned()),
                created_by: Some(ctx.actor.account_id).filter(|id| *id > 0),
            }
        })
        .collect();
    let created: HashMap<String, i64> = accounts::insert_many(&mut tx, &new_rows, now)
        .await?
        .into_iter()
        .collect();
    for (password, row) in passwords.into_iter().zip(&new_rows) {
        out.credentials.push(Credential {
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            password,
        });
    }
    out.created = fresh.len();
    let mut grants = Vec::new();
    for (i, ext) in order.iter().enumerate() {
        let p = &people[ext];
        let id = match by_ext.get(*ext) {
            Some(a) => {
                if a.display_name != p.name || app.open_phone(a) != p.phone {
                    let phone = p.phone.as_deref().map(|p| app.seal_phone(p));
                    accounts::update_profile(&mut tx, a.id, &p.name, phone.as_ref()).await?;
                    out.updated += 1;
                } else {
                    out.unchanged += 1;
                }
                a.id
            }
            None => *created.get(&p.username).ok_or_else(Error::internal)?,
        };
        grants.extend(p.grants.iter().map(|(role, unit)| (id, *role, *unit)));
        tick(progress, i + 1, order.len());
    }
    accounts::insert_grants_many(&mut tx, &grants, now).await?;
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Teachers, &out, None)).await?;
    Ok(out)
}

/// Hashes passwords on the blocking pool, a share per core.
async fn hash_all(passwords: Vec<String>) -> Result<Vec<String>> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per = passwords.len().div_ceil(cores).max(1);
    let mut tasks = Vec::new();
    for chunk in passwords.chunks(per) {
        let chunk = chunk.to_vec();
        tasks.push(tokio::task::spawn_blocking(move || {
            chunk
                .iter()
                .map(|p| auth::hash_password(p))
                .collect::<Result<Vec<_>>>()
        }));
    }
    let mut out = Vec::with_capacity(passwords.len());
    for t in tasks {
        out.extend(t.await.map_err(|_| Error::internal())??);
    }
    Ok(out)
}

async fn import_students(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let ok = first_pass(rows, ImportKind::Students, Some("external_id"), &mut errors);
    let mut c = app.db.read().await?;
    let classes = units_by_ext(&mut c, ok.iter().map(|r| r.get("class"))).await?;
    let exts: Vec<String> = ok.iter().map(|r| r.get("external_id").to_owned()).collect();
    let (existing, current) = students_with_classes(&mut c, &exts).await?;
    drop(c);
    struct StudentRow<'a> {
        ext: &'a str,
        class: Unit,
        name: String,
        gender: String,
    }
    let mut parsed = Vec::new();
    for r in ok {
        let class = cell!(
            errors,
            r,
            "class",
            scoped(ctx, &classes, r.get("class"), Some(UnitKind::Class))
        )
        .clone();
        let name = cell!(errors, r, "name", parse_person_name(r.get("name")));
        let gender = cell!(errors, r, "gender", parse_gender(r.get("gender")));
        let ext = r.get("external_id");
        if let Some(s) = existing.get(ext) {
            let within = current
                .get(&s.class_id)
                .is_some_and(|u| ctx.actor.can(Action::Import, &u.path));
            if !within {
                errors.push(r.error(
                    "external_id",
                    format!("学籍号“{ext}”已登记在您管理范围以外的班级"),
                ));
                continue;
            }
        }
        parsed.push(StudentRow {
            ext,
            class,
            name,
            gender,
        });
    }
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut tx = app.db.write().await?;
    let mut fresh = Vec::new();
    let mut per_class: HashMap<i64, (Unit, i64)> = HashMap::new();
    for (i, p) in parsed.iter().enumerate() {
        match existing.get(p.ext) {
            Some(s) if s.name == p.name && s.gender == p.gender && s.class_id == p.class.id => {
                out.unchanged += 1
            }
            Some(s) => {
                let old = current.get(&s.class_id).ok_or_else(Error::internal)?;
                students::update(&mut tx, s, &p.name, &p.gender, &p.class, old, now).await?;
                out.updated += 1;
            }
            None => {
                fresh.push(NewStudent {
                    class_id: p.class.id,
                    name: p.name.clone(),
                    gender: p.gender.clone(),
                    external_id: p.ext.to_owned(),
                });
                per_class
                    .entry(p.class.id)
                    .or_insert_with(|| (p.class.clone(), 0))
                    .1 += 1;
            }
        }
        tick(progress, i + 1, parsed.len());
    }
    students::insert_many(&mut tx, &fresh, now).await?;
    out.created = fresh.len();
    for (class, n) in per_class.values() {
        let mut ids = class.ancestor_ids();
        ids.push(class.id);
        units::add_counts(
            &mut tx,
            &ids,
            Counts {
                students: *n,
                ..Counts::default()
            },
        )
        .await?;
    }
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Students, &out, None)).await?;
    Ok(out)
}

async fn import_guardians(
    app: &App,
    ctx: &Ctx,
    rows: &[Row<'_>],
    progress: Progress<'_>,
) -> Result<Outcome> {
    let mut errors = Vec::new();
    let ok = first_pass(rows, ImportKind::Guardians, None, &mut errors);
    let mut c = app.db.read().await?;
    let exts: Vec<String> = ok
        .iter()
        .map(|r| r.get("student").to_owned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (kids, classes) = students_with_classes(&mut c, &exts).await?;
    struct LinkRow {
        student: i64,
        class: i64,
        phone: String,
        relation: String,
    }
    let mut parsed = Vec::new();
    let mut pairs: HashMap<(i64, String), usize> = HashMap::new();
    let mut names: HashMap<String, (String, usize)> = HashMap::new();
    for r in ok {
        let student = match kids.get(r.get("student")) {
            Some(s)
                if s.active
                    && classes
                        .get(&s.class_id)
                        .is_some_and(|u| ctx.actor.can(Action::Import, &u.path)) =>
            {
                s
            }
            _ => {
                errors.push(r.error(
                    "student",
                    format!(
                        "找不到学籍号为“{}”的学生（或不在您的管理范围内）",
                        r.get("student")
                    ),
                ));
                continue;
            }
        };
        let name = cell!(errors, r, "name", parse_person_name(r.get("name")));
        let phone = cell!(errors, r, "phone", parse_phone(r.get("phone")));
        let relation = cell!(errors, r, "relation", parse_relation(r.get("relation")));
        if let Some(first) = pairs.insert((student.id, phone.clone()), r.number) {
            errors.push(r.error("phone", format!("同一学生与同一手机号在第 {first} 行已有")));
            continue;
        }
        match names.get(&phone) {
            Some((n, first)) if *n != name => {
                errors.push(r.error(
                    "name",
                    format!("同一手机号在第 {first} 行的家长姓名是“{n}”"),
                ));
                continue;
            }
            Some(_) => {}
            None => {
                names.insert(phone.clone(), (name.clone(), r.number));
            }
        }
        parsed.push(LinkRow {
            student: student.id,
            class: student.class_id,
            phone,
            relation,
        });
    }
    let phones: Vec<String> = names.keys().cloned().collect();
    let by_phone = phone_owners(app, &mut c, &phones).await?;
    let student_ids: Vec<i64> = parsed
        .iter()
        .map(|p| p.student)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let links: HashMap<(i64, i64), LinkStatus> = students::links_of_students(&mut c, &student_ids)
        .await?
        .into_iter()
        .map(|(s, a, st)| ((s, a), st))
        .collect();
    drop(c);
    if !errors.is_empty() {
        return Ok(Outcome::failed(rows.len(), errors));
    }
    let now = app.now();
    let mut out = Outcome {
        rows: rows.len(),
        ..Outcome::default()
    };
    let mut tx = app.db.write().await?;
    let fresh: Vec<(&String, &String)> = names
        .iter()
        .filter(|(phone, _)| !by_phone.contains_key(*phone))
        .map(|(phone, (name, _))| (phone, name))
        .collect();
    let new_accounts: Vec<NewAccount> = fresh
        .iter()
        .map(|(phone, name)| NewAccount {
            // Parents sign in with their phone; the username holds none of it.
            username: crate::auth::parent_username(),
            phone: Some(app.seal_phone(phone)),
            display_name: (*name).clone(),
            password_hash: NO_PASSWORD.to_owned(),
            must_change_password: false,
            external_id: None,
            created_by: Some(ctx.actor.account_id).filter(|id| *id > 0),
        })
        .collect();
    let mut account_of: HashMap<String, i64> = by_phone;
    let phone_of: HashMap<&str, &str> = new_accounts
        .iter()
        .zip(&fresh)
        .map(|(a, (phone, _))| (a.username.as_str(), phone.as_str()))
        .collect();
    for (username, id) in accounts::insert_many(&mut tx, &new_accounts, now).await? {
        let phone = phone_of
            .get(username.as_str())
            .ok_or_else(Error::internal)?;
        account_of.insert((*phone).to_owned(), id);
    }
    let mut new_links = Vec::new();
    let mut grants = Vec::new();
    let mut per_class: HashMap<i64, i64> = HashMap::new();
    for (i, p) in parsed.iter().enumerate() {
        let account = *account_of.get(&p.phone).ok_or_else(Error::internal)?;
        match links.get(&(p.student, account)) {
            Some(LinkStatus::Confirmed) => out.unchanged += 1,
            Some(_) => {
                students::upsert_link(
                    &mut tx,
                    p.student,
                    account,
                    &p.relation,
                    LinkStatus::Confirmed,
                    None,
                    now,
                )
                .await?;
                out.updated += 1;
                *per_class.entry(p.class).or_default() += 1;
                grants.push((account, Role::Parent, p.class));
            }
            None => {
                new_links.push((p.student, account, p.relation.clone()));
                out.created += 1;
                *per_class.entry(p.class).or_default() += 1;
                grants.push((account, Role::Parent, p.class));
            }
        }
        tick(progress, i + 1, parsed.len());
    }
    students::insert_links_many(&mut tx, &new_links, now).await?;
    accounts::insert_grants_many(&mut tx, &grants, now).await?;
    for (class_id, n) in per_class {
        let class = classes.get(&class_id).ok_or_else(Error::internal)?;
        let mut ids = class.ancestor_ids();
        ids.push(class.id);
        units::add_counts(
            &mut tx,
            &ids,
            Counts {
                guardians: n,
                ..Counts::default()
            },
        )
        .await?;
    }
    audit::commit_audited(tx, &summary(app, ctx, ImportKind::Guardians, &out, None)).await?;
    Ok(out)
}

/// A template file for a kind: its header row and one example row.
pub fn template(kind: ImportKind) -> Result<Vec<u8>> {
    let example: Vec<String> = match kind {
        ImportKind::Units => vec!["school-0101", "八大关实验小学", "学校", "d0s0", "小学"],
        ImportKind::Classes => vec!["class-0101-1", "school-0101", "P1", "一年级1班", ""],
        ImportKind::Teachers => vec![
            "T0001",
            "王老师",
            "13700000001",
            "",
            "班主任",
            "class-0101-1",
        ],
        ImportKind::Students => vec!["S0001", "张小明", "男", "class-0101-1"],
        ImportKind::Guardians => vec!["S0001", "张伟", "13800000001", "父亲"],
    }
    .into_iter()
    .map(str::to_owned)
    .collect();
    sheet::write_xlsx(
        kind.label().split('（').next().unwrap_or("导入"),
        &kind.headers(),
        &[example],
    )
}

/// A job's first passwords and the account they belong to.
type Owned = (i64, Vec<Credential>);

/// This instance's running imports: their live progress, and the first
/// passwords of imported accounts until the importer downloads them once.
/// Neither leaves memory: progress also goes to the job's row on
/// PostgreSQL, where other instances may be asked; passwords never do.
#[derive(Clone, Default)]
pub struct Jobs {
    progress: std::sync::Arc<std::sync::Mutex<HashMap<i64, (u64, u64)>>>,
    credentials: std::sync::Arc<std::sync::Mutex<HashMap<i64, Owned>>>,
}

impl Jobs {
    fn set_progress(&self, job: i64, done: u64, total: u64) {
        if let Ok(mut m) = self.progress.lock() {
            m.insert(job, (done, total));
        }
    }

    fn finished(&self, job: i64) {
        if let Ok(mut m) = self.progress.lock() {
            m.remove(&job);
        }
    }

    /// Live (done, total) of a job running on this instance.
    pub fn live(&self, job: i64) -> Option<(u64, u64)> {
        self.progress.lock().ok()?.get(&job).copied()
    }

    fn put(&self, job: i64, owner: i64, list: Vec<Credential>) {
        if let Ok(mut m) = self.credentials.lock() {
            m.insert(job, (owner, list));
        }
    }

    /// Whether a download is waiting for this owner.
    pub fn waiting(&self, job: i64, owner: i64) -> bool {
        self.credentials
            .lock()
            .map(|m| m.get(&job).is_some_and(|(o, _)| *o == owner))
            .unwrap_or(false)
    }

    /// Hands the list over once.
    pub fn take(&self, job: i64, owner: i64) -> Option<Vec<Credential>> {
        let mut m = self.credentials.lock().ok()?;
        match m.get(&job) {
            Some((o, _)) if *o == owner => m.remove(&job).map(|(_, l)| l),
            _ => None,
        }
    }
}

/// The report stored with a finished job.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Report {
    #[serde(default)]
    pub file_error: Option<String>,
    #[serde(default)]
    pub errors: Vec<RowError>,
    #[serde(default)]
    pub more_errors: usize,
    #[serde(default)]
    pub credentials: usize,
}

/// Starts an import in the background and returns its job id at once; the
/// job's row shows its progress to any instance.
pub async fn start(
    app: &App,
    ctx: &Ctx,
    kind: ImportKind,
    filename: &str,
    bytes: Vec<u8>,
    jobs: Jobs,
) -> Result<i64> {
    crate::access::scope(app, ctx, "import", Action::Import).await?;
    let filename: String = filename
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let id = {
        let mut tx = app.db.write().await?;
        let id = tongyu_store::import::insert(
            &mut tx,
            kind.as_str(),
            &filename,
            ctx.actor.account_id,
            app.now(),
        )
        .await?;
        tx.commit().await.db()?;
        id
    };
    let app = app.clone();
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let cb = {
            let jobs = jobs.clone();
            move |done: u64, total: u64| jobs.set_progress(id, done, total)
        };
        // On PostgreSQL other instances may be asked for the progress, so it
        // goes to the job's row too, from a task of its own. SQLite has one
        // writer, busy with the import itself: its progress stays in memory.
        let reporter = (app.db.backend() == tongyu_store::Backend::Postgres).then(|| {
            let (app, jobs) = (app.clone(), jobs.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
                loop {
                    tick.tick().await;
                    let Some((done, total)) = jobs.live(id) else {
                        continue;
                    };
                    if let Ok(mut tx) = app.db.write().await {
                        let _ =
                            tongyu_store::import::progress(&mut tx, id, done as i64, total as i64)
                                .await;
                        let _ = tx.commit().await;
                    }
                }
            })
        });
        let result = run(&app, &ctx, kind, &bytes, &cb).await;
        if let Some(r) = reporter {
            r.abort();
        }
        let (status, counts, report) = match result {
            Ok(o) if o.ok() => {
                let report = Report {
                    credentials: o.credentials.len(),
                    ..Report::default()
                };
                if !o.credentials.is_empty() {
                    jobs.put(id, ctx.actor.account_id, o.credentials.clone());
                }
                (
                    "done",
                    [o.created as i64, o.updated as i64, o.unchanged as i64],
                    report,
                )
            }
            Ok(o) => (
                "failed",
                [0; 3],
                Report {
                    errors: o.errors,
                    more_errors: o.more_errors,
                    ..Report::default()
                },
            ),
            Err(e) => (
                "failed",
                [0; 3],
                Report {
                    file_error: Some(e.message),
                    ..Report::default()
                },
            ),
        };
        let json = serde_json::to_string(&report).unwrap_or_default();
        match app.db.write().await {
            Ok(mut tx) => {
                if let Err(e) =
                    tongyu_store::import::finish(&mut tx, id, status, counts, &json, app.now())
                        .await
                {
                    tracing::error!(job = id, error = %e, "could not record the import's outcome");
                }
                let _ = tx.commit().await;
            }
            Err(e) => {
                tracing::error!(job = id, error = %e, "could not record the import's outcome")
            }
        }
        jobs.finished(id);
    });
    Ok(id)
}

/// A job, for its owner only, with its live progress when it runs here.
pub async fn job(
    app: &App,
    ctx: &Ctx,
    id: i64,
    jobs: &Jobs,
) -> Result<(tongyu_store::import::ImportJob, Report)> {
    let mut job = crate::access::import_job(app, ctx, id).await?;
    if job.status == "running"
        && let Some((done, total)) = jobs.live(id)
    {
        job.done = done as i64;
        job.total = total as i64;
    }
    let report = if job.report.is_empty() {
        Report::default()
    } else {
        serde_json::from_str(&job.report).unwrap_or_default()
    };
    Ok((job, report))
}

/// The actor's recent jobs.
pub async fn my_jobs(app: &App, ctx: &Ctx) -> Result<Vec<tongyu_store::import::ImportJob>> {
    let mut c = app.db.read().await?;
    tongyu_store::import::list_by(&mut c, ctx.actor.account_id, 20).await
}

/// Hands over the first passwords of a finished job once, as a spreadsheet;
/// the hand-over is audited.
pub async fn take_credentials(app: &App, ctx: &Ctx, id: i64, jobs: &Jobs) -> Result<Vec<u8>> {
    crate::second_factor::require_fresh(app, ctx)?;
    let list = jobs.take(id, ctx.actor.account_id).ok_or_else(|| {
        Error::with_message(
            tongyu_domain::ErrorCode::NotFound,
            "初始密码表已下载过或已失效；如需要，请在账号页面重置密码",
        )
    })?;
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "import.credentials",
            "import",
            id,
            None,
            format!("{} 个账号", list.len()),
        ),
    )
    .await?;
    let rows: Vec<Vec<String>> = list
        .into_iter()
        .map(|c| vec![c.display_name, c.username, c.password])
        .collect();
    sheet::write_xlsx(
        "初始密码",
        &["姓名", "用户名", "初始密码（首次登录须修改）"],
        &rows,
    )
}

/// The accounts that hold these phone numbers, by number (found by their
/// look-up hashes: numbers are not kept in the clear).
async fn phone_owners(
    app: &App,
    c: &mut tongyu_store::Conn,
    phones: &[String],
) -> Result<HashMap<String, i64>> {
    let of_key: HashMap<String, &String> =
        phones.iter().map(|p| (app.phone_lookup(p), p)).collect();
    let keys: Vec<String> = of_key.keys().cloned().collect();
    Ok(accounts::by_phone_keys(c, &keys)
        .await?
        .into_iter()
        .filter_map(|(k, a)| Some(((*of_key.get(&k)?).clone(), a.id)))
        .collect())
}
