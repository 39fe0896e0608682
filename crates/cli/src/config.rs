//! Configuration: defaults that need nothing, then `tongyu.toml`, then
//! `TONGYU_*` environment variables, then command-line flags.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    /// `sqlite://PATH` or `postgres://...`; empty means SQLite in `data_dir`.
    pub database_url: String,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub secure_cookies: bool,
    /// Believe `X-Forwarded-For` from a proxy on this machine (loopback).
    pub trust_proxy: bool,
    /// Addresses or networks of the reverse proxies whose
    /// `X-Forwarded-For` is believed (`["10.0.0.0/8"]`).
    pub trusted_proxies: Vec<String>,
    /// The bearer token a metrics scraper sends to `/metrics`; empty: only
    /// callers on this machine may read it.
    pub metrics_token: String,
    pub max_connections: u32,
    /// `text` or `json`.
    pub log_format: String,
    /// Deadlines and sign-off of appeals.
    pub appeals: AppealsConfig,
    /// The server's secret key (64 hexadecimal characters) for keyed
    /// hashes; empty means `secret.key` in `data_dir`, made on first start.
    pub secret_key: String,
    /// The file of data keys that seal phones and appeal contacts at rest
    /// (one `<id> <64 hexadecimal characters>` per line, the current last);
    /// empty means `data.keys` in `data_dir`, made on first start.
    pub data_keys_file: String,
    /// How text messages are sent.
    pub sms: SmsConfig,
    /// Days a replaced gate code or class invite keeps working after a new
    /// one is issued (0: at once).
    pub code_grace_days: i64,
}

/// `[sms]`: `provider = "log"` (development: messages, codes included, are
/// appended to `log_file`) or `"aliyun"` (the SendSms API).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    pub provider: String,
    /// For `log`: the file; empty means `sms.log` in `data_dir`.
    pub log_file: String,
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub sign_name: String,
    pub template_verify: String,
    pub template_appeal_link: String,
    pub region: String,
    /// How often the sender retries what failed, in seconds.
    pub retry_every_s: u64,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            provider: "log".into(),
            log_file: String::new(),
            endpoint: "http://dysmsapi.aliyuncs.com".into(),
            access_key_id: String::new(),
            access_key_secret: String::new(),
            sign_name: String::new(),
            template_verify: String::new(),
            template_appeal_link: String::new(),
            region: "cn-hangzhou".into(),
            retry_every_s: 15,
        }
    }
}

impl SmsConfig {
    /// The provider to install; a missing setting names its key.
    pub fn provider(
        &self,
        data_dir: &std::path::Path,
    ) -> Result<tongyu_service::sms::SharedProvider, String> {
        match self.provider.as_str() {
            "log" => Ok(std::sync::Arc::new(tongyu_service::sms::LogFile {
                path: self.log_path(data_dir),
            })),
            "aliyun" => {
                for (key, value) in [
                    ("access_key_id", &self.access_key_id),
                    ("access_key_secret", &self.access_key_secret),
                    ("sign_name", &self.sign_name),
                    ("template_verify", &self.template_verify),
                    ("template_appeal_link", &self.template_appeal_link),
                ] {
                    if value.trim().is_empty() {
                        return Err(format!("[sms] 使用 aliyun 时须填写 {key}"));
                    }
                }
                if !self.endpoint.starts_with("http://") {
                    return Err(
                        "[sms] endpoint 应为 http://主机[:端口]（HTTPS 由部署的出口网关承担，见 docs/security.md）"
                            .into(),
                    );
                }
                Ok(std::sync::Arc::new(tongyu_service::sms::Aliyun {
                    endpoint: self.endpoint.clone(),
                    access_key_id: self.access_key_id.clone(),
                    access_key_secret: self.access_key_secret.clone(),
                    sign_name: self.sign_name.clone(),
                    template_verify: self.template_verify.clone(),
                    template_appeal_link: self.template_appeal_link.clone(),
                    region: self.region.clone(),
                }))
            }
            other => Err(format!(
                "[sms] provider “{other}”不正确，应为 log 或 aliyun"
            )),
        }
    }

    pub fn log_path(&self, data_dir: &std::path::Path) -> PathBuf {
        if self.log_file.is_empty() {
            data_dir.join("sms.log")
        } else {
            PathBuf::from(&self.log_file)
        }
    }
}

/// `[appeals]`: durations accept `90s`, `30m`, `4h`, `3d` and `2bd`
/// (business days, by the city's calendar).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppealsConfig {
    /// First contact with the parent, where no rule says otherwise.
    pub first_contact: String,
    /// The three-part reply, where no rule says otherwise.
    pub reply: String,
    /// Time to rate a reply before it closes as "no feedback".
    pub rating_window: String,
    /// Levels (`school`, `district`, `city`) whose replies need a sign-off.
    pub sign_off: Vec<String>,
    /// How often the deadline sweep runs, in seconds.
    pub sweep_every_s: u64,
    /// Rules for a level, a category or both (`[[appeals.rules]]`).
    pub rules: Vec<DeadlineRuleConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRuleConfig {
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub category: String,
    pub first_contact: String,
    pub reply: String,
}

impl Default for AppealsConfig {
    fn default() -> Self {
        Self {
            first_contact: "1bd".into(),
            reply: "5bd".into(),
            rating_window: "7d".into(),
            sign_off: Vec::new(),
            sweep_every_s: 60,
            rules: vec![
                DeadlineRuleConfig {
                    level: String::new(),
                    category: "bullying".into(),
                    first_contact: "4h".into(),
                    reply: "2bd".into(),
                },
                DeadlineRuleConfig {
                    level: String::new(),
                    category: "safety".into(),
                    first_contact: "4h".into(),
                    reply: "2bd".into(),
                },
            ],
        }
    }
}

impl AppealsConfig {
    /// The settings the service runs with; a mistake names its key.
    pub fn settings(&self) -> Result<tongyu_service::appeal::AppealSettings, String> {
        use tongyu_domain::appeal::{Category, Deadlines, Level};
        use tongyu_domain::calendar::Span;
        let span = |key: &str, v: &str| {
            Span::parse(v).map_err(|e| format!("[appeals] {key}: {}", e.message))
        };
        let level = |v: &str| {
            Level::parse(v.trim())
                .ok_or_else(|| format!("[appeals] 级别“{v}”不正确，应为 school、district 或 city"))
        };
        let mut rules = Vec::new();
        for r in &self.rules {
            rules.push(tongyu_service::appeal::DeadlineRule {
                level: if r.level.is_empty() {
                    None
                } else {
                    Some(level(&r.level)?)
                },
                category: if r.category.is_empty() {
                    None
                } else {
                    Some(
                        Category::parse(r.category.trim())
                            .ok_or_else(|| format!("[appeals] 类别“{}”不正确", r.category))?,
                    )
                },
                deadlines: Deadlines {
                    first_contact: span("rules.first_contact", &r.first_contact)?,
                    reply: span("rules.reply", &r.reply)?,
                },
            });
        }
        Ok(tongyu_service::appeal::AppealSettings {
            deadlines: Deadlines {
                first_contact: span("first_contact", &self.first_contact)?,
                reply: span("reply", &self.reply)?,
            },
            rules,
            rating_window: span("rating_window", &self.rating_window)?,
            sign_off: self
                .sign_off
                .iter()
                .map(|l| level(l))
                .collect::<Result<_, _>>()?,
            ..tongyu_service::appeal::AppealSettings::default()
        })
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: String::new(),
            data_dir: PathBuf::from("data"),
            public_url: String::new(),
            secure_cookies: false,
            trust_proxy: false,
            trusted_proxies: Vec::new(),
            metrics_token: String::new(),
            max_connections: 16,
            log_format: "text".into(),
            appeals: AppealsConfig::default(),
            secret_key: String::new(),
            data_keys_file: String::new(),
            sms: SmsConfig::default(),
            code_grace_days: 7,
        }
    }
}

impl Config {
    /// Loads the file (if present) and the environment.
    pub fn load(file: Option<&std::path::Path>) -> Result<Config, String> {
        let path = file
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("tongyu.toml"));
        let mut cfg = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("无法读取 {}: {e}", path.display()))?;
            toml::from_str(&text).map_err(|e| format!("配置文件 {} 有误: {e}", path.display()))?
        } else if file.is_some() {
            return Err(format!("配置文件不存在：{}", path.display()));
        } else {
            Config::default()
        };
        let env = |k: &str| {
            std::env::var(format!("TONGYU_{k}"))
                .ok()
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = env("LISTEN") {
            cfg.listen = v;
        }
        if let Some(v) = env("DATABASE_URL") {
            cfg.database_url = v;
        }
        if let Some(v) = env("DATA_DIR") {
            cfg.data_dir = v.into();
        }
        if let Some(v) = env("PUBLIC_URL") {
            cfg.public_url = v;
        }
        if let Some(v) = env("SECURE_COOKIES") {
            cfg.secure_cookies = v == "1" || v == "true";
        }
        if let Some(v) = env("TRUST_PROXY") {
            cfg.trust_proxy = v == "1" || v == "true";
        }
        if let Some(v) = env("MAX_CONNECTIONS") {
            cfg.max_connections = v
                .parse()
                .map_err(|_| "TONGYU_MAX_CONNECTIONS 应为数字".to_owned())?;
        }
        if let Some(v) = env("LOG_FORMAT") {
            cfg.log_format = v;
        }
        if let Some(v) = env("METRICS_TOKEN") {
            cfg.metrics_token = v;
        }
        if let Some(v) = env("SECRET_KEY") {
            cfg.secret_key = v;
        }
        if let Some(v) = env("DATA_KEYS_FILE") {
            cfg.data_keys_file = v;
        }
        if let Some(v) = env("SMS_ACCESS_KEY_SECRET") {
            cfg.sms.access_key_secret = v;
        }
        Ok(cfg)
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("tongyu.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The secret key: from the configuration, or from `secret.key` in the
    /// data directory, which is made (readable by its owner only) when
    /// missing. Losing it loses every keyed look-up: keep a copy apart from
    /// the database backups (docs/security.md).
    pub fn secret(&self) -> Result<tongyu_service::crypto::Secret, String> {
        if !self.secret_key.is_empty() {
            return tongyu_service::crypto::Secret::from_hex(&self.secret_key)
                .ok_or_else(|| "secret_key 应为64位十六进制字符".to_owned());
        }
        let path = self.data_dir.join("secret.key");
        if !path.exists() {
            std::fs::create_dir_all(&self.data_dir)
                .map_err(|e| format!("无法创建 {}: {e}", self.data_dir.display()))?;
            write_private(&path, &tongyu_service::crypto::Secret::generate_hex())?;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("无法读取 {}: {e}", path.display()))?;
        tongyu_service::crypto::Secret::from_hex(&text)
            .ok_or_else(|| format!("{} 的内容不是64位十六进制字符", path.display()))
    }

    /// Where the data keys are kept.
    pub fn data_keys_path(&self) -> PathBuf {
        if self.data_keys_file.is_empty() {
            self.data_dir.join("data.keys")
        } else {
            PathBuf::from(&self.data_keys_file)
        }
    }

    /// The data keys: read from their file, which is made (readable by its
    /// owner only) when missing. Losing it loses every phone number and
    /// appeal contact: keep a copy apart from the database backups
    /// (docs/security.md).
    pub fn data_keys(&self) -> Result<tongyu_service::crypto::DataKeys, String> {
        let path = self.data_keys_path();
        if !path.exists() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("无法创建 {}: {e}", dir.display()))?;
            }
            write_private(&path, &tongyu_service::crypto::DataKeys::generate_file())?;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("无法读取 {}: {e}", path.display()))?;
        tongyu_service::crypto::DataKeys::parse(&text).ok_or_else(|| {
            format!(
                "{} 的格式不正确：每行应为“编号 64位十六进制字符”",
                path.display()
            )
        })
    }

    /// Replaces the data key file's text (a new file beside it, synced, then
    /// renamed over it: a crash leaves the old file or the new, never half).
    pub fn write_data_keys(&self, text: &str) -> Result<(), String> {
        let path = self.data_keys_path();
        let next = path.with_extension("keys.next");
        let _ = std::fs::remove_file(&next);
        write_private(&next, text)?;
        std::fs::rename(&next, &path).map_err(|e| format!("无法写入 {}: {e}", path.display()))
    }

    /// The proxies to believe; an entry that is no address is named.
    pub fn trusted_proxies(&self) -> Result<Vec<tongyu_web::extract::Cidr>, String> {
        let mut out = Vec::new();
        if self.trust_proxy {
            out.extend(
                ["127.0.0.1/32", "::1/128"]
                    .iter()
                    .filter_map(|c| tongyu_web::extract::Cidr::parse(c)),
            );
        }
        for p in &self.trusted_proxies {
            out.push(
                tongyu_web::extract::Cidr::parse(p)
                    .ok_or_else(|| format!("trusted_proxies 中的“{p}”不是地址或网段"))?,
            );
        }
        Ok(out)
    }

    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.clone()
        }
    }
}

/// Writes a file only its owner may read.
fn write_private(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| format!("无法写入 {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("无法写入 {}: {e}", path.display()))
}

/// A database URL fit to print: any password is replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/tongyu"),
            "postgres://app:***@db:5432/tongyu"
        );
        assert_eq!(
            redact_url("sqlite://data/tongyu.db"),
            "sqlite://data/tongyu.db"
        );
    }

    #[test]
    fn appeal_deadlines_come_from_the_file_with_units_down_to_seconds() {
        let c: Config = toml::from_str(
            r#"
            [appeals]
            first_contact = "90s"
            reply = "2bd"
            sign_off = ["district"]
            [[appeals.rules]]
            category = "bullying"
            first_contact = "30s"
            reply = "4h"
            "#,
        )
        .expect("parses");
        let s = c.appeals.settings().expect("valid");
        use tongyu_domain::appeal::{Category, Level};
        use tongyu_domain::calendar::Span;
        let d = s.deadlines(Level::School, Category::Fees);
        assert_eq!(d.first_contact, Span::Seconds(90));
        assert_eq!(d.reply, Span::BusinessDays(2));
        let b = s.deadlines(Level::City, Category::Bullying);
        assert_eq!(b.first_contact, Span::Seconds(30));
        assert_eq!(s.sign_off, vec![Level::District]);
        let bad: Config = toml::from_str("[appeals]\nreply = \"5 days\"").expect("parses");
        let e = bad.appeals.settings().expect_err("bad span");
        assert!(e.contains("reply"), "{e}");
        assert!(Config::default().appeals.settings().is_ok());
    }

    #[test]
    fn zero_config_defaults() {
        let c = Config::default();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(
            c.database_url(),
            format!(
                "sqlite://{}",
                std::path::Path::new("data").join("tongyu.db").display()
            )
        );
    }
}
