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

// The importers, one per kind of sheet (after `cell!`, which they use).
mod class_sheet;
mod guardian_sheet;
mod jobs;
mod student_sheet;
mod teacher_sheet;
mod unit_sheet;

use class_sheet::import_classes;
use guardian_sheet::import_guardians;
use student_sheet::import_students;
use teacher_sheet::import_teachers;
use unit_sheet::import_units;

pub use jobs::{Report, credentials_waiting, job, my_jobs, start, take_credentials};
pub(crate) use jobs::{give_up, run_job};

/// At most this many row errors are reported; the count says how many more.
const MAX_ERRORS: usize = 1000;

/// A new account's first password, handed to the importer once.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
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
            username: audit::SYSTEM.into(),
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
        app.forget_all().await;
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
