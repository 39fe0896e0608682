//! `tongyu`: the platform's one binary.

mod bench;
mod config;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tongyu_domain::account::Role;
use tongyu_service::demo::{self, DemoScale};
use tongyu_service::{App, Settings, SystemClock};
use tongyu_store::{Db, DbOptions};

use config::{Config, redact_url};

/// Requests on every core allocate and free memory another core allocated
/// (rows from the database's thread, bodies, answers); glibc's allocator
/// makes them queue on its arena locks for that (ADR 0015).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "tongyu", version, about = "同育：家校社协同育人平台")]
struct Cli {
    /// Configuration file (default: ./tongyu.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform.
    Serve {
        #[arg(long)]
        listen: Option<String>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Create a fresh demo city and serve it.
    Demo {
        #[arg(long)]
        listen: Option<String>,
        /// Where the demo's SQLite file goes (it is replaced).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Use this (empty) database instead of a SQLite file.
        #[arg(long)]
        database_url: Option<String>,
        /// The password of every demo account.
        #[arg(long, default_value = "Tongyu@Qingdao2026")]
        demo_password: String,
        /// tiny, demo (about 200 schools) or city (the design scale).
        #[arg(long, default_value = "demo")]
        scale: String,
        /// Generate, then exit instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Create the city and its first administrator in an empty database.
    Init {
        #[arg(long)]
        city_name: String,
        #[arg(long, default_value = "city-admin")]
        admin_username: String,
        #[arg(long, default_value = "市级管理员")]
        admin_display_name: String,
        /// The administrator's password; one is made if omitted (and must be changed at first login).
        #[arg(long, env = "TONGYU_NEW_PASSWORD")]
        password: Option<String>,
    },
    /// Bring the database schema up to date, then exit.
    Migrate {
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Manage accounts from the command line.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Import a spreadsheet (.xlsx or UTF-8 CSV): units, classes, teachers,
    /// students or guardians. Nothing is imported while any row has an error.
    Import {
        /// units, classes, teachers, students or guardians.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        file: PathBuf,
        /// Where to write the first passwords of new teacher accounts.
        #[arg(long, default_value = "initial-passwords.xlsx")]
        passwords_out: PathBuf,
    },
    /// Export the whole tree of units to a spreadsheet.
    Export {
        /// units (the only list so far that is exported from the command line).
        #[arg(long, default_value = "units")]
        kind: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a consistent copy of the database: SQLite by `VACUUM INTO`,
    /// PostgreSQL by `pg_dump` (custom format).
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty database (SQLite: the database file
    /// must not exist yet; PostgreSQL: the database must hold no tables),
    /// then check the audit chain. The secret key must be the one the
    /// backup was made with.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Replace the data key that seals phones and appeal contacts: a new
    /// key is added to the key file, every sealed value is sealed again
    /// with it, then the file keeps the new key only. Stop every instance
    /// first and give them the new file before they start again. Run again
    /// after an interruption: it finishes the rotation under way.
    RotateDataKey,
    /// Run a benchmark and print its ratio against a baseline measured in
    /// the same run (see docs/benchmarks.md).
    Bench {
        /// import, org (with the campaign boards), search, progress, appeals, peak or all.
        #[arg(long, default_value = "all")]
        which: String,
        /// Rows in the import benchmark.
        #[arg(long, default_value_t = 20_000)]
        rows: usize,
        /// The large scale of the org benchmark, and the scale the progress
        /// benchmark runs at: demo, city (the design scale) or tiny.
        #[arg(long, default_value = "city")]
        large: String,
        /// How long each load of the progress and appeals benchmarks runs in
        /// all, in seconds, taken one second at a time by turns.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent connections (one parent each) in the progress and appeals benchmarks.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Run on this PostgreSQL server (a schema per database) instead of SQLite files.
        #[arg(long)]
        postgres: Option<String>,
        /// Simulated parents in the peak benchmark, each signed in with a
        /// browser session (as many as the scale has, at most).
        #[arg(long, default_value_t = 300_000)]
        parents: usize,
        /// The peak benchmark's mix, per heartbeat: parents' page views,
        /// staff pages, public appeals; and the seconds between a parent's
        /// heartbeats.
        #[arg(
            long,
            default_value = "pages=0.1,staff=0.01,appeals=0.001,heartbeat_s=30"
        )]
        mix: String,
        /// Servers sharing the database in the peak benchmark (PostgreSQL
        /// only), as several `tongyu serve` instances would.
        #[arg(long, default_value_t = 1)]
        instances: usize,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account (for example the first city administrator, or the
    /// system, security and audit administrators).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        role: String,
        /// The unit of the grant; the city if omitted.
        #[arg(long)]
        unit_id: Option<i64>,
        /// The password; one is made if omitted (and must be changed at first login).
        #[arg(long, env = "TONGYU_NEW_PASSWORD")]
        password: Option<String>,
    },
    /// Set a temporary password that must be changed at next login.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// Lift a lockout after failed logins.
    Unlock {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole log.
    Verify,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let cfg = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&cfg);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, cfg)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

type AnyError = Box<dyn std::error::Error>;

/// Opens the platform and brings every sealed value under the current
/// data key (a no-op but for the first start after a key changed).
async fn open(cfg: &Config, url: &str, max_connections: u32) -> Result<App, AnyError> {
    let app = open_unsealed(cfg, url, max_connections).await?;
    if app.settings.keys.rotating() {
        tracing::warn!(
            "the data key file still lists older keys: run `tongyu rotate-data-key` to finish"
        );
    }
    if let Some(r) = tongyu_service::sealing::reseal_if_needed(&app).await? {
        tracing::info!(
            accounts = r.accounts,
            appeals = r.appeals,
            messages = r.messages,
            factors = r.factors,
            unreadable = r.unreadable,
            "sealed values brought under the current data key"
        );
    }
    Ok(app)
}

async fn open_unsealed(cfg: &Config, url: &str, max_connections: u32) -> Result<App, AnyError> {
    tracing::info!(database = %redact_url(url), "opening the database");
    let db = Db::connect(&DbOptions {
        url: url.to_owned(),
        max_connections,
    })
    .await?;
    let settings = Settings {
        media_dir: cfg.data_dir.join("media"),
        appeals: cfg.appeals.settings()?,
        secret: cfg.secret()?,
        keys: cfg.data_keys()?,
        public_url: cfg.public_url(),
        code_grace_secs: cfg.code_grace_days.clamp(0, 90) * 86_400,
        ..Settings::default()
    };
    let sms = cfg.sms.provider(&cfg.data_dir)?;
    Ok(App::new(db, Arc::new(SystemClock), settings).with_sms(sms))
}

async fn run(command: Command, mut cfg: Config) -> Result<(), AnyError> {
    match command {
        Command::Serve {
            listen,
            database_url,
        } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            let app = open(&cfg, &cfg.database_url(), cfg.max_connections).await?;
            serve(app, &cfg).await
        }
        Command::Demo {
            listen,
            data_dir,
            database_url,
            demo_password,
            scale,
            no_serve,
        } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            let url = match database_url {
                Some(u) => u,
                None => {
                    std::fs::create_dir_all(&cfg.data_dir)?;
                    let file = cfg.data_dir.join("tongyu.db");
                    for suffix in ["", "-wal", "-shm"] {
                        let f = PathBuf::from(format!("{}{suffix}", file.display()));
                        if f.exists() {
                            std::fs::remove_file(&f)?;
                        }
                    }
                    format!("sqlite://{}", file.display())
                }
            };
            cfg.database_url = url.clone();
            let scale = DemoScale::parse(&scale)?;
            let app = open(&cfg, &url, cfg.max_connections).await?;
            let started = std::time::Instant::now();
            let report = demo::generate(&app, scale, &demo_password, &progress_bar).await?;
            eprintln!();
            print_demo(&report, &cfg, started.elapsed());
            if no_serve {
                return Ok(());
            }
            serve(app, &cfg).await
        }
        Command::Init {
            city_name,
            admin_username,
            admin_display_name,
            password,
        } => {
            let app = open(&cfg, &cfg.database_url(), 2).await?;
            let city = tongyu_service::org::create_city(&app, &city_name).await?;
            println!("已创建城市 {}（编号 {}）", city.name, city.id);
            account(
                &app,
                AccountCommand::Create {
                    username: admin_username,
                    display_name: admin_display_name,
                    role: Role::CityAdmin.as_str().into(),
                    unit_id: Some(city.id),
                    password,
                },
            )
            .await
        }
        Command::Migrate { database_url } => {
            if let Some(u) = database_url {
                cfg.database_url = u;
            }
            open(&cfg, &cfg.database_url(), 2).await?;
            println!("数据库结构已是最新。");
            Ok(())
        }
        Command::Account { command } => {
            let app = open(&cfg, &cfg.database_url(), 2).await?;
            account(&app, command).await
        }
        Command::Import {
            kind,
            file,
            passwords_out,
        } => {
            let kind = tongyu_domain::import::ImportKind::parse(&kind)?;
            let bytes =
                std::fs::read(&file).map_err(|e| format!("无法读取 {}: {e}", file.display()))?;
            let app = open(&cfg, &cfg.database_url(), 4).await?;
            let ctx = tongyu_service::import::operator_ctx(&app).await?;
            let cb = |done: u64, total: u64| progress_bar("导入", done, total);
            let out = tongyu_service::import::run(&app, &ctx, kind, &bytes, &cb).await?;
            eprintln!();
            if !out.ok() {
                for e in &out.errors {
                    println!("第 {} 行 {}：{}", e.row, e.column, e.message);
                }
                if out.more_errors > 0 {
                    println!("……另有 {} 处错误", out.more_errors);
                }
                return Err(format!(
                    "文件中有 {} 处错误，没有导入任何数据",
                    out.errors.len() + out.more_errors
                )
                .into());
            }
            println!(
                "导入完成：{} 行，新增 {}，更新 {}，未变 {}。",
                out.rows, out.created, out.updated, out.unchanged
            );
            if !out.credentials.is_empty() {
                let rows: Vec<Vec<String>> = out
                    .credentials
                    .iter()
                    .map(|c| {
                        vec![
                            c.display_name.clone(),
                            c.username.clone(),
                            c.password.clone(),
                        ]
                    })
                    .collect();
                let bytes = tongyu_service::sheet::write_xlsx(
                    "初始密码",
                    &["姓名", "用户名", "初始密码（首次登录须修改）"],
                    &rows,
                )?;
                std::fs::write(&passwords_out, bytes)?;
                println!(
                    "{} 个新账号的初始密码已写入 {}，请妥善保管。",
                    out.credentials.len(),
                    passwords_out.display()
                );
            }
            Ok(())
        }
        Command::Export { kind, out } => {
            if kind != "units" {
                return Err(format!("未知的导出内容：{kind}（可用：units）").into());
            }
            let app = open(&cfg, &cfg.database_url(), 2).await?;
            let bytes = tongyu_service::sheet::export_units(&app).await?;
            std::fs::write(&out, bytes)?;
            println!("已导出到 {}", out.display());
            Ok(())
        }
        Command::RotateDataKey => {
            // A rotation cut short (older keys still listed) is finished,
            // not followed by another key.
            let path = cfg.data_keys_path();
            let current = cfg.data_keys()?;
            if !current.rotating() {
                let text = std::fs::read_to_string(&path)?;
                let added = tongyu_service::crypto::DataKeys::add_key_file(&text)
                    .ok_or("数据密钥文件格式不正确")?;
                cfg.write_data_keys(&added)?;
            }
            let app = open_unsealed(&cfg, &cfg.database_url(), 2).await?;
            let report = tongyu_service::sealing::reseal_all(&app).await?;
            println!(
                "已用密钥 {} 重新加密：账号手机号 {}，诉求联系人 {}，待发短信 {}，动态口令 {}",
                app.settings.keys.current_id(),
                report.accounts,
                report.appeals,
                report.messages,
                report.factors
            );
            if report.unreadable > 0 {
                return Err(format!(
                    "{} 个值无法用现有密钥解开，已保留旧密钥；请查明原因后重新运行",
                    report.unreadable
                )
                .into());
            }
            let text = std::fs::read_to_string(&path)?;
            let only = tongyu_service::crypto::DataKeys::current_only_file(&text)
                .ok_or("数据密钥文件格式不正确")?;
            cfg.write_data_keys(&only)?;
            println!(
                "轮换完成：{} 现只保留新密钥。请把它复制到每个实例并另行备份，然后再启动服务。",
                path.display()
            );
            Ok(())
        }
        Command::Backup { out } => {
            let url = cfg.database_url();
            let dest = out.display().to_string();
            if url.starts_with("postgres") {
                if out.exists() {
                    return Err(format!("备份文件已存在：{dest}").into());
                }
                pg_tool(
                    "pg_dump",
                    &["--format=custom", "--no-owner", "--file", &dest, &url],
                )?;
            } else {
                let app = open(&cfg, &url, 2).await?;
                app.db.backup_sqlite(&dest).await?;
            }
            println!("已备份到 {dest}");
            Ok(())
        }
        Command::Restore { from } => {
            let url = cfg.database_url();
            if !from.exists() {
                return Err(format!("备份文件不存在：{}", from.display()).into());
            }
            if url.starts_with("postgres") {
                let db = Db::connect_raw(&url).await?;
                let tables = db
                    .query_i64(
                        "SELECT COUNT(*) FROM information_schema.tables
                         WHERE table_schema = current_schema()",
                    )
                    .await?;
                db.close().await;
                if tables > 0 {
                    return Err("目标数据库不是空的：请恢复到新建的空数据库".into());
                }
                pg_tool(
                    "pg_restore",
                    &[
                        "--no-owner",
                        "--exit-on-error",
                        "--dbname",
                        &url,
                        &from.display().to_string(),
                    ],
                )?;
            } else {
                let path = url
                    .strip_prefix("sqlite://")
                    .unwrap_or(&url)
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if std::path::Path::new(&path).exists() {
                    return Err(format!("数据库文件已存在：{path}（请先移走）").into());
                }
                if let Some(parent) = std::path::Path::new(&path).parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::copy(&from, &path)?;
                std::fs::File::open(&path)?.sync_all()?;
            }
            let app = open(&cfg, &url, 2).await?;
            let r = tongyu_service::audit::verify(&app).await?;
            if let Some(seq) = r.first_bad {
                return Err(format!(
                    "已恢复，但审计日志在第 {seq} 条处不一致：请确认使用的是备份时的密钥"
                )
                .into());
            }
            println!(
                "已从 {} 恢复；审计日志共 {} 条，哈希链无断裂。",
                from.display(),
                r.checked
            );
            Ok(())
        }
        Command::Bench {
            which,
            rows,
            large,
            postgres,
            seconds,
            clients,
            parents,
            mix,
            instances,
        } => {
            bench::run(bench::BenchArgs {
                which,
                rows,
                large,
                pg: postgres,
                seconds,
                clients,
                parents,
                mix: bench::Mix::parse(&mix)?,
                instances,
            })
            .await
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            use tongyu_service::audit::MarkCheck;
            let app = open(&cfg, &cfg.database_url(), 2).await?;
            let r = tongyu_service::audit::verify(&app).await?;
            if let Some(seq) = r.first_bad {
                return Err(format!(
                    "审计日志在第 {seq} 条处被改动或缺失（已核对 {} 条）",
                    r.checked
                )
                .into());
            }
            println!("审计日志完整：共 {} 条，哈希链无断裂。", r.checked);
            // The head written outside the database must still be in the chain.
            let path = cfg.data_dir.join(AUDIT_HEAD_FILE);
            match tongyu_service::audit::check_mark(&app, &path).await? {
                MarkCheck::Missing => {
                    println!("（{} 不存在：服务运行时每5分钟写入一次。）", path.display());
                    Ok(())
                }
                MarkCheck::Holds(m) => {
                    println!(
                        "库外记录的链头（第 {} 条，{}）与日志一致。",
                        m.seq,
                        tongyu_domain::calendar::format_local(m.at)
                    );
                    Ok(())
                }
                MarkCheck::Forged => Err(format!(
                    "{} 不是本服务写入的链头（校验码不符），请核查",
                    path.display()
                )
                .into()),
                MarkCheck::Broken(m) => Err(format!(
                    "库外记录的链头是第 {} 条，但日志中该条已被改写或删除",
                    m.seq
                )
                .into()),
            }
        }
    }
}

async fn account(app: &App, command: AccountCommand) -> Result<(), AnyError> {
    let mut c = app.db.read().await?;
    match command {
        AccountCommand::Create {
            username,
            display_name,
            role,
            unit_id,
            password,
        } => {
            let role = Role::parse(&role)?;
            let unit_id = match unit_id {
                Some(id) => id,
                None => {
                    tongyu_store::org::city(&mut c)
                        .await?
                        .ok_or("数据库中还没有城市")?
                        .id
                }
            };
            drop(c);
            let (password, must_change, shown) = match password {
                Some(p) => (p, false, None),
                None => {
                    let p = tongyu_service::auth::temporary_password();
                    (p.clone(), true, Some(p))
                }
            };
            let a = tongyu_service::account::create_from_cli(
                app,
                &username,
                &display_name,
                role,
                unit_id,
                &password,
                must_change,
            )
            .await?;
            println!("已创建账号 {}（编号 {}）", a.username, a.id);
            if let Some(p) = shown {
                println!("初始密码：{p}（首次登录须修改）");
            }
            Ok(())
        }
        AccountCommand::ResetPassword { username } => {
            let a = tongyu_store::account::get_by_username(&mut c, &username)
                .await?
                .ok_or("没有这个用户名")?;
            drop(c);
            let p = tongyu_service::auth::temporary_password();
            tongyu_service::account::cli_reset_password(app, a.id, &p).await?;
            println!("已重置 {} 的密码：{p}（下次登录须修改）", a.username);
            Ok(())
        }
        AccountCommand::Unlock { username } => {
            let a = tongyu_store::account::get_by_username(&mut c, &username)
                .await?
                .ok_or("没有这个用户名")?;
            drop(c);
            tongyu_service::account::cli_unlock(app, a.id).await?;
            println!("已解除 {} 的锁定。", a.username);
            Ok(())
        }
    }
}

/// Draws a text progress bar on stderr, redrawing only when it moves.
fn progress_bar(phase: &str, done: u64, total: u64) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(u64::MAX);
    const WIDTH: u64 = 30;
    let filled = (done.min(total) * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH);
    let key = filled + 1000 * phase.len() as u64;
    if LAST.swap(key, Ordering::Relaxed) == key && done != total {
        return;
    }
    let bar: String = (0..WIDTH)
        .map(|i| if i < filled { '█' } else { '░' })
        .collect();
    eprint!("\r{phase:<8} {bar} {done}/{total}   ");
}

fn print_demo(report: &demo::DemoReport, cfg: &Config, took: Duration) {
    let c = report.city.counts;
    println!(
        "演示城市已生成（{:.1} 秒）：{} 所学校，{} 个班级，{} 名学生，{} 位家长。",
        took.as_secs_f64(),
        c.schools,
        c.classes,
        c.students,
        c.guardians
    );
    println!("数据库：{}", redact_url(&cfg.database_url()));
    println!();
    println!("{:<20} {:<16} 单位", "用户名", "角色");
    for a in &report.accounts {
        println!("{:<20} {:<16} {}", a.username, a.role.label(), a.unit);
    }
    println!(
        "（所有演示账号的密码相同，见 --demo-password；家长也可用手机号 139 开头的演示账号登录。）"
    );
    let base = cfg.public_url();
    println!();
    println!(
        "校门二维码（无需登录）：向学校反映 {base}/q/{}",
        report.gate_codes.0
    );
    println!(
        "                        向教育局反映 {base}/q/{}",
        report.gate_codes.1
    );
    if let Some(code) = report.tracking_codes.get(1) {
        println!("已答复、待家长评价的诉求：{base}/a/{code}");
    }
}

async fn serve(app: App, cfg: &Config) -> Result<(), AnyError> {
    let web = tongyu_web::WebConfig {
        secure_cookies: cfg.secure_cookies,
        trusted_proxies: cfg.trusted_proxies()?,
        metrics_token: Some(cfg.metrics_token.clone()).filter(|t| !t.is_empty()),
        public_url: cfg.public_url(),
        ..tongyu_web::WebConfig::default()
    };
    let state = tongyu_web::AppState::new(app.clone(), web);
    let router = tongyu_web::router(state);
    let listener = tokio::net::TcpListener::bind(&cfg.listen).await?;
    println!("同育已启动：http://{}", listener.local_addr()?);
    if cfg.sms.provider == "log" {
        println!(
            "短信为开发用通道：验证码等短信写在 {}",
            cfg.sms.log_path(&cfg.data_dir).display()
        );
    }
    tongyu_service::jobs::schedule(
        &app,
        &tongyu_service::jobs::standard_schedule(Duration::from_secs(
            cfg.appeals.sweep_every_s.max(1),
        )),
    )
    .await?;
    let runner = tongyu_service::jobs::start(app.clone(), Duration::from_secs(1), 2);
    let upkeep = tongyu_service::upkeep::start(app.clone(), Duration::from_secs(1));
    let head_path = cfg.data_dir.join(AUDIT_HEAD_FILE);
    let marker = tokio::spawn(mark_audit_head(app.clone(), head_path.clone()));
    let sender = tongyu_service::sms::start_sender(
        app.clone(),
        Duration::from_secs(cfg.sms.retry_every_s.max(1)),
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    runner.abort();
    upkeep.abort();
    sender.abort();
    marker.abort();
    if let Err(e) = tongyu_service::audit::mark_head(&app, &head_path).await {
        tracing::warn!(error = %e, "audit head not written at shutdown");
    }
    app.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Runs a PostgreSQL client tool (pg_dump, pg_restore) on a database URL.
fn pg_tool(tool: &str, args: &[&str]) -> Result<(), AnyError> {
    let out = std::process::Command::new(tool)
        .args(args)
        .output()
        .map_err(|e| format!("无法运行 {tool}（请安装 PostgreSQL 客户端工具）：{e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{tool} 失败：{}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(())
}

/// Where `serve` writes the audit chain's head, in the data directory.
const AUDIT_HEAD_FILE: &str = "audit-head.json";

/// Writes the audit chain's head outside the database every five minutes.
async fn mark_audit_head(app: App, path: std::path::PathBuf) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        if let Err(e) = tongyu_service::audit::mark_head(&app, &path).await {
            tracing::warn!(error = %e, "audit head not written");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
