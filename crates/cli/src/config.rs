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
    pub trust_proxy: bool,
    pub max_connections: u32,
    /// `text` or `json`.
    pub log_format: String,
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
            max_connections: 16,
            log_format: "text".into(),
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
        Ok(cfg)
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("tongyu.db").display())
        } else {
            self.database_url.clone()
        }
    }

    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.clone()
        }
    }
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
