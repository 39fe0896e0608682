//! Text messages: an outbox in the database and a provider that sends.
//!
//! A message is written to the outbox in the transaction of the change that
//! asks for it, then sent at once by the request that wrote it and, if that
//! fails, again by the background sender, with a growing wait. A sender
//! claims a row with a lease first, so several instances never send one
//! message twice. Once sent, the row's parameters (a code) are blanked, and
//! the log names the template and the masked phone, never the code.
//!
//! Providers: [`Memory`] (tests), [`LogFile`] (development and the demo:
//! each message is appended to a file a developer reads), and [`Aliyun`]
//! (the SendSms API of a Chinese SMS service, signed as its documentation
//! specifies).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tongyu_domain::account::mask_phone;
use tongyu_domain::{Error, Result};
use tongyu_store::{DbResult, verify as store};

use crate::App;

/// The kinds of message the platform sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// A one-time code: `code`, and `purpose` (for the development log).
    Verify,
    /// The link to an appeal's status page, for a parent whose appeal staff
    /// raised on their behalf: `link`.
    AppealLink,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::AppealLink => "appeal_link",
        }
    }

    pub fn parse(s: &str) -> Option<Template> {
        [Self::Verify, Self::AppealLink]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// One message as a provider receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub outbox_id: i64,
    pub phone: String,
    pub template: Template,
    /// Named parameters, in order.
    pub params: Vec<(String, String)>,
}

impl Message {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text as a phone shows it (development log, tests).
    pub fn text(&self) -> String {
        match self.template {
            Template::Verify => format!(
                "【同育】验证码 {}，用于{}，5分钟内有效。如非本人操作请忽略。",
                self.param("code").unwrap_or(""),
                self.param("purpose").unwrap_or("")
            ),
            Template::AppealLink => format!(
                "【同育】您反映的诉求已受理，查看办理进度和答复：{}",
                self.param("link").unwrap_or("")
            ),
        }
    }
}

/// What a send gives back: the provider's reference, or why it failed.
pub type Sent<'a> = Pin<Box<dyn Future<Output = std::result::Result<String, String>> + Send + 'a>>;

/// A way to send text messages.
pub trait Provider: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn send<'a>(&'a self, msg: &'a Message) -> Sent<'a>;
}

/// Keeps every message in memory (tests); can be told to fail.
#[derive(Default)]
pub struct Memory {
    sent: Mutex<Vec<Message>>,
    failing: std::sync::atomic::AtomicBool,
}

impl Memory {
    /// Every message sent so far.
    pub fn sent(&self) -> Vec<Message> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The newest code sent to `phone`.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        self.sent()
            .into_iter()
            .rev()
            .find(|m| m.phone == phone && m.template == Template::Verify)
            .and_then(|m| m.param("code").map(str::to_owned))
    }

    /// Makes every send fail (or work again).
    pub fn set_failing(&self, failing: bool) {
        self.failing
            .store(failing, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Provider for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }
    fn send<'a>(&'a self, msg: &'a Message) -> Sent<'a> {
        Box::pin(async move {
            if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("provider unavailable".to_owned());
            }
            let mut v = self.sent.lock().map_err(|_| "poisoned".to_owned())?;
            v.push(msg.clone());
            Ok(format!("mem-{}", msg.outbox_id))
        })
    }
}

/// Appends each message, code included, to a file: the development
/// provider, whose file stands in for the phones. Never for production.
pub struct LogFile {
    pub path: std::path::PathBuf,
}

impl Provider for LogFile {
    fn name(&self) -> &'static str {
        "log"
    }
    fn send<'a>(&'a self, msg: &'a Message) -> Sent<'a> {
        Box::pin(async move {
            use tokio::io::AsyncWriteExt;
            let line = format!(
                "{} to {}: {}\n",
                tongyu_domain::calendar::format_local_minute(chrono::Utc::now().timestamp()),
                msg.phone,
                msg.text()
            );
            let mut f = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .await
                .map_err(|e| format!("{}: {e}", self.path.display()))?;
            f.write_all(line.as_bytes())
                .await
                .map_err(|e| e.to_string())?;
            f.sync_data().await.map_err(|e| e.to_string())?;
            Ok(format!("log-{}", msg.outbox_id))
        })
    }
}

/// The SendSms API (RPC style, version 2017-05-25): every request signed
/// with HMAC-SHA1 over its sorted, percent-encoded parameters.
#[derive(Clone)]
pub struct Aliyun {
    /// `http://host[:port]` of the API (the service's own endpoint, or a
    /// gateway in front of it).
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// The approved signature shown in 【】.
    pub sign_name: String,
    pub template_verify: String,
    pub template_appeal_link: String,
    pub region: String,
}

impl std::fmt::Debug for Aliyun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aliyun")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"***")
            .finish()
    }
}

/// RFC 3986 percent-encoding as the API's signature asks: only `A-Z a-z
/// 0-9 - _ . ~` stay as they are; a space is `%20`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The signature of a request: Base64(HMAC-SHA1(secret + "&",
/// method + "&%2F&" + encode(sorted query))).
pub fn aliyun_signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let query = canonical_query(params);
    let to_sign = format!("{method}&%2F&{}", percent_encode(&query));
    let key = format!("{secret}&");
    let Ok(mut mac) = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key.as_bytes()) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `k=v&k=v` with keys in byte order, both sides percent-encoded.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Aliyun {
    /// The signed form body of one message.
    pub fn request_body(&self, msg: &Message, nonce: &str, timestamp: &str) -> Result<String> {
        let (template, params): (&str, serde_json::Value) = match msg.template {
            Template::Verify => (
                &self.template_verify,
                serde_json::json!({"code": msg.param("code").unwrap_or("")}),
            ),
            Template::AppealLink => (
                &self.template_appeal_link,
                serde_json::json!({"link": msg.param("link").unwrap_or("")}),
            ),
        };
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let mut all = vec![
            p("AccessKeyId", &self.access_key_id),
            p("Action", "SendSms"),
            p("Format", "JSON"),
            p("OutId", &msg.outbox_id.to_string()),
            p("PhoneNumbers", &msg.phone),
            p("RegionId", &self.region),
            p("SignName", &self.sign_name),
            p("SignatureMethod", "HMAC-SHA1"),
            p("SignatureNonce", nonce),
            p("SignatureVersion", "1.0"),
            p("TemplateCode", template),
            p("TemplateParam", &params.to_string()),
            p("Timestamp", timestamp),
            p("Version", "2017-05-25"),
        ];
        let signature = aliyun_signature("POST", &all, &self.access_key_secret);
        all.push(p("Signature", &signature));
        Ok(all
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&"))
    }

    async fn post(&self, body: String) -> std::result::Result<String, String> {
        use http_body_util::BodyExt;
        let rest = self
            .endpoint
            .strip_prefix("http://")
            .ok_or_else(|| "endpoint must be http://host[:port]".to_owned())?;
        let host = rest.trim_end_matches('/');
        let addr = if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:80")
        };
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let req = hyper::Request::post("/")
            .header(hyper::header::HOST, host)
            .header(
                hyper::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = res.status();
        // The answer is a small JSON object; read no more than 64 KiB of it.
        let limited = http_body_util::Limited::new(res.into_body(), 64 * 1024);
        let bytes = limited
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| format!("HTTP {status}: the answer is not JSON"))?;
        if v["Code"] == "OK" {
            Ok(v["BizId"].as_str().unwrap_or("").to_owned())
        } else {
            Err(format!(
                "HTTP {status}: {} {}",
                v["Code"].as_str().unwrap_or("?"),
                v["Message"].as_str().unwrap_or("")
            ))
        }
    }
}

impl Provider for Aliyun {
    fn name(&self) -> &'static str {
        "aliyun"
    }
    fn send<'a>(&'a self, msg: &'a Message) -> Sent<'a> {
        Box::pin(async move {
            let nonce = crate::auth::random_token(16);
            let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let body = self
                .request_body(msg, &nonce, &timestamp)
                .map_err(|e| e.message)?;
            tokio::time::timeout(std::time::Duration::from_secs(10), self.post(body))
                .await
                .map_err(|_| "timed out after 10 s".to_owned())?
        })
    }
}

/// Sends give up after this many tries.
pub const MAX_TRIES: i64 = 6;

/// Writes a message to the outbox (inside the caller's transaction), its
/// phone number sealed.
pub async fn enqueue(
    app: &App,
    c: &mut tongyu_store::Conn,
    phone: &str,
    template: Template,
    params: &[(&str, &str)],
    now: i64,
) -> Result<i64> {
    let map: serde_json::Map<String, serde_json::Value> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect();
    let text = serde_json::Value::Object(map).to_string();
    let sealed = app.seal(crate::crypto::field::SMS_PHONE, phone);
    store::enqueue_sms(c, &sealed, template.as_str(), &text, now).await
}

/// Sends one message now if nobody else holds it; a failure leaves it for
/// the background sender. Returns true when it went out.
pub async fn deliver(app: &App, id: i64) -> Result<bool> {
    let now = app.now();
    let claimed = {
        let mut tx = app.db.write().await?;
        let s = store::claim_sms(&mut tx, id, now, now + 60).await?;
        tx.commit().await.db()?;
        s
    };
    let Some(row) = claimed else { return Ok(false) };
    let Some(template) = Template::parse(&row.template) else {
        let mut tx = app.db.write().await?;
        store::sms_failed(&mut tx, row.id, "unknown template", now, true).await?;
        tx.commit().await.db()?;
        return Ok(false);
    };
    let params: Vec<(String, String)> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&row.params)
            .map_err(|_| Error::internal())?
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or("").to_owned()))
            .collect();
    let phone = app.open(crate::crypto::field::SMS_PHONE, &row.phone);
    if phone.is_empty() {
        let mut tx = app.db.write().await?;
        store::sms_failed(&mut tx, row.id, "phone does not open", now, true).await?;
        tx.commit().await.db()?;
        return Ok(false);
    }
    let msg = Message {
        outbox_id: row.id,
        phone,
        template,
        params,
    };
    let provider = app.sms.clone();
    let result = provider.send(&msg).await;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let sent = match &result {
        Ok(reference) => {
            store::sms_sent(&mut tx, row.id, reference, now).await?;
            tracing::info!(
                id = row.id,
                template = template.as_str(),
                phone = %mask_phone(&msg.phone),
                provider = provider.name(),
                "text message sent"
            );
            true
        }
        Err(why) => {
            let give_up = row.tries >= MAX_TRIES;
            // 30 s, 1 min, 2 min, 4 min, ...
            let wait = 30 * (1 << (row.tries - 1).clamp(0, 10));
            store::sms_failed(&mut tx, row.id, why, now + wait, give_up).await?;
            tracing::warn!(
                id = row.id,
                template = template.as_str(),
                phone = %mask_phone(&msg.phone),
                tries = row.tries,
                give_up,
                error = %why,
                "text message not sent"
            );
            false
        }
    };
    tx.commit().await.db()?;
    Ok(sent)
}

/// Sends what is due (the background sender's round). Returns how many went out.
pub async fn deliver_due(app: &App) -> Result<usize> {
    let due = {
        let mut c = app.db.read().await?;
        store::due_sms(&mut c, app.now(), 100).await?
    };
    let mut sent = 0;
    for id in due {
        if deliver(app, id).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Runs the sender every `every` until the process ends.
pub fn start_sender(app: App, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&app).await {
                tracing::warn!(error = %e, "text message sender");
            }
        }
    })
}

/// The provider a test or a caller installs.
pub type SharedProvider = Arc<dyn Provider>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_follows_rfc_3986() {
        assert_eq!(percent_encode("a b*c~d"), "a%20b%2Ac~d");
        assert_eq!(percent_encode("验证"), "%E9%AA%8C%E8%AF%81");
        assert_eq!(
            percent_encode("{\"code\":\"1\"}"),
            "%7B%22code%22%3A%221%22%7D"
        );
    }

    /// A known answer worked out apart from this code (Python's hmac and
    /// urllib.parse.quote with safe "-_.~").
    #[test]
    fn signature_matches_a_known_answer() {
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let params = vec![
            p("AccessKeyId", "testid"),
            p("Action", "SendSms"),
            p("Format", "JSON"),
            p("PhoneNumbers", "13900000001"),
            p("RegionId", "cn-hangzhou"),
            p("SignName", "同育"),
            p("SignatureMethod", "HMAC-SHA1"),
            p("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            p("SignatureVersion", "1.0"),
            p("TemplateCode", "SMS_0000"),
            p("TemplateParam", "{\"code\":\"123456\"}"),
            p("Timestamp", "2026-12-02T03:00:00Z"),
            p("Version", "2017-05-25"),
        ];
        assert_eq!(
            aliyun_signature("POST", &params, "testsecret"),
            "zs7s00TeQZueIviJXkzW3EQE2Ek="
        );
    }
}
