//! The use cases: each function asks the policy, then works through the
//! store inside one transaction, and writes its audit entry in that same
//! transaction. Pages, the API, the command line and background jobs all
//! come through here, so they obey the same rules.

pub mod access;
pub mod account;
pub mod activation;
pub mod appeal;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod cache;
pub mod calendar;
pub mod certification;
pub mod clock;
pub mod contribution;
pub mod coordination_group;
pub mod course;
pub mod coverage;
pub mod crypto;
pub mod delivery;
pub mod demo;
pub mod expert_pool;
pub mod grade_instructor;
pub mod growth;
pub mod guidance_center;
pub mod home;
pub mod import;
pub mod jobs;
pub mod learning;
pub mod lecturer_group;
pub mod library;
pub mod media;
pub mod opinion;
pub mod org;
pub mod parent_committee;
pub mod plan;
pub mod sealing;
pub mod search;
pub mod second_factor;
pub mod sheet;
pub mod sms;
pub mod student;
pub mod studio;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod throttle;
pub mod training;
pub mod upkeep;
pub mod verify;
pub mod work_group;

use std::sync::Arc;

use tongyu_domain::Result;
use tongyu_domain::policy::{Action, Actor};
use tongyu_store::{Db, DbResult};

pub use clock::{Clock, SystemClock, TestClock};

/// Timeouts and limits; the defaults are the platform's policy.
#[derive(Debug, Clone)]
pub struct Settings {
    pub idle_secs: i64,
    pub admin_idle_secs: i64,
    pub absolute_secs: i64,
    pub max_failed_logins: i64,
    pub lockout_secs: i64,
    pub invite_ttl_secs: i64,
    /// How long a replaced gate code or class invite keeps working after a
    /// new one is issued, so posters and messages already out are not
    /// broken at once (0: they stop at once).
    pub code_grace_secs: i64,
    /// How long a board's figures are shared by every request for the same
    /// board and unit (milliseconds; 0: each request counts afresh), so a
    /// bureau refreshing its board at the peak does not compete with the
    /// writers.
    pub board_snapshot_ms: u64,
    /// Where uploaded files are kept (shared by every instance).
    pub media_dir: std::path::PathBuf,
    /// Deadlines, sign-off and the rating window of appeals.
    pub appeals: appeal::AppealSettings,
    /// The key of keyed hashes (phone look-ups, one-time codes); from
    /// configuration, never from the database.
    pub secret: crypto::Secret,
    /// The keys that seal phones and appeal contacts at rest; from their
    /// own file, rotated by `tongyu rotate-data-key`.
    pub keys: crypto::DataKeys,
    /// The platform's address as parents reach it (links in text messages).
    pub public_url: String,
    /// Administrators give a second factor (TOTP) at sign-in.
    pub require_admin_second_factor: bool,
    /// Days an appeal's photos are kept once it is closed (then deleted,
    /// files and all).
    pub appeal_photo_days: i64,
    /// Sign-in attempts per client address, shared by every instance (the
    /// load benchmark, signing in thousands of parents from one address,
    /// lifts it).
    pub login_limit: tongyu_domain::throttle::Limit,
    /// Public appeals per client address and per gate code, shared by
    /// every instance (the load benchmark, from one address, lifts them).
    pub appeal_limits: [tongyu_domain::throttle::Limit; 2],
    /// Kilobytes of public appeal photos one address may leave a day.
    pub photo_quota: tongyu_domain::throttle::Limit,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle_secs: 30 * 60,
            admin_idle_secs: 15 * 60,
            absolute_secs: 8 * 3600,
            max_failed_logins: 5,
            lockout_secs: 15 * 60,
            invite_ttl_secs: 14 * 24 * 3600,
            code_grace_secs: 7 * 24 * 3600,
            board_snapshot_ms: 1_000,
            media_dir: std::path::PathBuf::from("data/media"),
            appeals: appeal::AppealSettings::default(),
            secret: crypto::Secret::default(),
            keys: crypto::DataKeys::fixed(),
            public_url: "http://127.0.0.1:8080".into(),
            require_admin_second_factor: true,
            appeal_photo_days: 365,
            login_limit: tongyu_domain::throttle::LOGIN_PER_ADDRESS,
            appeal_limits: [
                tongyu_domain::throttle::APPEALS_PER_ADDRESS,
                tongyu_domain::throttle::APPEALS_PER_CODE,
            ],
            photo_quota: tongyu_domain::throttle::PHOTO_KB_PER_ADDRESS,
        }
    }
}

/// Everything a use case needs: the database, the clock and the settings.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    progress: Arc<std::sync::OnceLock<learning::progress::Writer>>,
    intake: Arc<std::sync::OnceLock<appeal::intake::Writer>>,
    pub(crate) caches: Arc<Caches>,
    /// Where text messages go ([`sms::Memory`] until one is installed).
    pub sms: sms::SharedProvider,
    /// The job runner's bell and the live progress of imports here.
    pub jobs: Arc<jobs::Shared>,
}

/// What hot requests read again and again. A change made here forgets what
/// it touches at once and writes it to the change feed, which every
/// instance follows each second ([`upkeep`]); so the caches whose every
/// change is announced keep entries for [`FOLLOWED_TTL`], the rest for
/// [`CACHE_TTL`] (ADR 0033).
pub(crate) struct Caches {
    /// Session id hash → (session row, account, grants).
    pub sessions: cache::Ttl<
        String,
        Arc<(
            tongyu_store::session::SessionRow,
            tongyu_domain::account::Account,
            Vec<tongyu_domain::policy::Grant>,
        )>,
    >,
    /// Parent account → their children with classes.
    pub children: cache::Ttl<i64, Arc<Vec<access::Child>>>,
    /// Lesson → the lesson and, per campaign it is in, the campaign and all its targets.
    pub lessons: cache::Ttl<i64, Arc<learning::LessonPlan>>,
    /// Every campaign with its targets (one entry): what each parent's
    /// lessons are drawn from.
    pub campaigns: cache::Ttl<(), Arc<learning::CampaignTargets>>,
    /// Lesson → what its page shows besides the lesson: attachments and
    /// the library course it sits in.
    pub lesson_extras: cache::Ttl<i64, Arc<learning::LessonExtras>>,
    /// Parent account → what their home shows. The parent's own changes
    /// forget it (a progress report here at once, others through the feed
    /// as well); staff's changes to a class reach it within [`CACHE_TTL`].
    pub homes: cache::Ttl<i64, Arc<home::ParentHome>>,
    /// Grade → the newest self-study lessons for it (recommendations).
    pub for_grade: cache::Ttl<String, Vec<(i64, String, i64, String)>>,
    /// Gate code token → where its appeals go.
    pub codes: cache::Ttl<String, Arc<appeal::Route>>,
    /// The calendar of days off (one entry).
    pub calendar: cache::Ttl<(), Arc<tongyu_domain::calendar::Calendar>>,
    /// The plan in force (one entry).
    pub plan: cache::Ttl<(), Arc<tongyu_domain::plan::Plan>>,
    /// A handler's inbox units → their open appeals (the menu's counts).
    pub inbox_counts: cache::Ttl<Vec<i64>, tongyu_store::appeal::OpenCounts>,
    /// (campaign, unit) → the campaign board's figures, shared for
    /// [`Settings::board_snapshot_ms`].
    pub boards: cache::Ttl<(i64, i64), Arc<learning::BoardFigures>>,
    /// (unit, first month) → the appeal board's figures, likewise.
    pub appeal_boards: cache::Ttl<(i64, i64), Arc<appeal::board::Figures>>,
}

/// How long a cached read may be used when changes to it are not announced.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a cached read may be used when every change to it goes through
/// the change feed: the bound on staleness should an announcement be lost
/// (an instance stopped between a commit and its announcement).
pub const FOLLOWED_TTL: std::time::Duration = std::time::Duration::from_secs(600);

impl Caches {
    fn new(settings: &Settings) -> Self {
        Caches {
            boards: cache::Ttl::new(
                "boards",
                std::time::Duration::from_millis(settings.board_snapshot_ms),
                20_000,
            ),
            appeal_boards: cache::Ttl::new(
                "appeal_boards",
                std::time::Duration::from_millis(settings.board_snapshot_ms),
                20_000,
            ),
            sessions: cache::Ttl::new("sessions", FOLLOWED_TTL, 400_000),
            children: cache::Ttl::new("children", FOLLOWED_TTL, 400_000),
            lessons: cache::Ttl::new("lessons", FOLLOWED_TTL, 10_000),
            campaigns: cache::Ttl::new("campaigns", FOLLOWED_TTL, 1),
            lesson_extras: cache::Ttl::new("lesson_extras", FOLLOWED_TTL, 10_000),
            homes: cache::Ttl::new("homes", CACHE_TTL, 100_000),
            for_grade: cache::Ttl::new("for_grade", FOLLOWED_TTL, 100),
            codes: cache::Ttl::new("codes", CACHE_TTL, 50_000),
            calendar: cache::Ttl::new("calendar", CACHE_TTL, 1),
            plan: cache::Ttl::new("plan", CACHE_TTL, 1),
            inbox_counts: cache::Ttl::new("inbox_counts", CACHE_TTL, 50_000),
        }
    }

    /// Each cache's counters.
    pub fn stats(&self) -> Vec<cache::Stats> {
        vec![
            self.sessions.stats(),
            self.children.stats(),
            self.lessons.stats(),
            self.campaigns.stats(),
            self.lesson_extras.stats(),
            self.homes.stats(),
            self.for_grade.stats(),
            self.codes.stats(),
            self.calendar.stats(),
            self.plan.stats(),
            self.inbox_counts.stats(),
            self.boards.stats(),
            self.appeal_boards.stats(),
        ]
    }

    /// Forgets what a change names (here, or read from the feed).
    pub(crate) fn forget(&self, change: &Forget) {
        match change {
            Forget::Session(hash) => self.sessions.remove_where(|k, _| k == hash),
            Forget::Account(id) => {
                self.sessions.remove_where(|_, v| v.1.id == *id);
                self.children.remove(id);
                self.homes.remove(id);
            }
            Forget::Home(id) => self.homes.remove(id),
            Forget::Class(id) => self.homes.remove_where(|_, h| h.class_ids.contains(id)),
            Forget::Lessons => {
                self.lessons.clear();
                self.campaigns.clear();
                self.lesson_extras.clear();
                self.for_grade.clear();
                self.homes.clear();
            }
            Forget::All => {
                self.sessions.clear();
                self.children.clear();
                self.lessons.clear();
                self.campaigns.clear();
                self.lesson_extras.clear();
                self.for_grade.clear();
                self.homes.clear();
            }
        }
    }
}

/// A change that other instances may hold cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Forget {
    /// A session ended (its id hash).
    Session(String),
    /// An account changed: its sessions' grants, its children.
    Account(i64),
    /// A parent's home changed by their own hand (a binding asked for, a
    /// check-in, a rating, a survey answered).
    Home(i64),
    /// Staff changed what every parent of a class sees at home (a session
    /// planned, moved or held, attendance taken).
    Class(i64),
    /// A lesson, course or campaign changed.
    Lessons,
    /// Many accounts, units or lessons changed at once.
    All,
}

impl Forget {
    fn to_feed(&self) -> (&'static str, String) {
        match self {
            Forget::Session(h) => ("session", h.clone()),
            Forget::Account(id) => ("account", id.to_string()),
            Forget::Home(id) => ("home", id.to_string()),
            Forget::Class(id) => ("class", id.to_string()),
            Forget::Lessons => ("lessons", String::new()),
            Forget::All => ("all", String::new()),
        }
    }

    pub(crate) fn from_feed(kind: &str, key: &str) -> Option<Forget> {
        match kind {
            "session" => Some(Forget::Session(key.to_owned())),
            "account" => key.parse().ok().map(Forget::Account),
            "home" => key.parse().ok().map(Forget::Home),
            "class" => key.parse().ok().map(Forget::Class),
            "lessons" => Some(Forget::Lessons),
            "all" => Some(Forget::All),
            _ => None,
        }
    }
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>, settings: Settings) -> App {
        let caches = Arc::new(Caches::new(&settings));
        App {
            db: db.with_chain_key(settings.secret.chain_key()),
            clock,
            settings: Arc::new(settings),
            progress: Arc::default(),
            intake: Arc::default(),
            caches,
            sms: Arc::new(sms::Memory::default()),
            jobs: Arc::default(),
        }
    }

    /// The same platform sending text messages through `provider`.
    pub fn with_sms(mut self, provider: sms::SharedProvider) -> App {
        self.sms = provider;
        self
    }
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// A phone number as it is kept: hashed for look-ups, sealed, masked.
    pub fn seal_phone(&self, phone: &str) -> tongyu_domain::account::SealedPhone {
        self.settings.keys.seal_phone(phone)
    }

    /// The look-up hash of a phone number (of any text: a login name that
    /// is no phone simply finds nothing).
    pub fn phone_lookup(&self, phone: &str) -> String {
        self.settings.keys.phone_lookup(phone)
    }

    /// The look-up hash of a login name taken as a phone number (written
    /// with spaces or dashes or not).
    pub fn login_phone_lookup(&self, login: &str) -> String {
        match tongyu_domain::account::parse_phone(login) {
            Ok(phone) => self.phone_lookup(&phone),
            Err(_) => self.phone_lookup(login),
        }
    }

    /// Seals a personal field for keeping (see [`crypto::field`]).
    pub fn seal(&self, field: &str, plain: &str) -> String {
        self.settings.keys.seal(field, plain)
    }

    /// Opens a sealed field; the empty text when it does not open (logged:
    /// a key is missing or the value was altered).
    pub fn open(&self, field: &str, sealed: &str) -> String {
        self.settings.keys.open(field, sealed).unwrap_or_else(|| {
            tracing::error!(field, "a sealed value does not open with the data keys");
            String::new()
        })
    }

    /// An account's whole phone number, opened from its sealed value.
    pub fn open_phone(&self, account: &tongyu_domain::account::Account) -> Option<String> {
        let sealed = account.phone_sealed.as_deref()?;
        let plain = self
            .settings
            .keys
            .open(crypto::field::ACCOUNT_PHONE, sealed);
        if plain.is_none() {
            tracing::error!(
                account = account.id,
                "a sealed phone does not open with the data keys"
            );
        }
        plain
    }

    /// Forgets what is cached about an account (its sessions' grants, its
    /// children) after a change to it.
    pub async fn forget_account(&self, account_id: i64) {
        self.forget(Forget::Account(account_id)).await;
    }

    /// Forgets everything cached (after changes that touch many accounts,
    /// units or lessons at once).
    pub async fn forget_all(&self) {
        self.forget(Forget::All).await;
    }

    /// Forgets a parent's home after a change of their own.
    pub(crate) async fn forget_home(&self, account_id: i64) {
        self.forget(Forget::Home(account_id)).await;
    }

    /// Forgets the homes of a class's parents after staff change what they
    /// show.
    pub(crate) async fn forget_class(&self, class_id: i64) {
        self.forget(Forget::Class(class_id)).await;
    }

    /// Forgets cached lessons and recommendations after a lesson, course or
    /// campaign changes.
    pub async fn forget_lessons(&self) {
        self.forget(Forget::Lessons).await;
    }

    /// Forgets a change here at once and announces it to the other
    /// instances. Called once the change's transaction has committed, never
    /// inside one: the announcement is a write of its own, which on SQLite
    /// would wait for the caller's. Should the announcement fail, it is
    /// logged, and other instances see the change within [`FOLLOWED_TTL`].
    pub(crate) async fn forget(&self, change: Forget) {
        self.caches.forget(&change);
        let (kind, key) = change.to_feed();
        let now = self.now();
        let written = async {
            let mut tx = self.db.write().await?;
            tongyu_store::cache_feed::record(&mut tx, kind, &key, now).await?;
            tx.commit().await.db()
        }
        .await;
        if let Err(e) = written {
            tracing::warn!(error = %e, kind, "a change was not announced to the other instances");
        }
    }

    /// The batching writers' queues and batches (those started), for
    /// `/metrics`.
    pub fn writer_stats(&self) -> Vec<batch::WriterStats> {
        let mut out = Vec::new();
        if let Some(w) = self.progress.get() {
            out.push(w.stats());
        }
        if let Some(w) = self.intake.get() {
            out.push(w.stats());
        }
        out
    }

    /// Each cache's counters, for `/metrics`.
    pub fn cache_stats(&self) -> Vec<cache::Stats> {
        self.caches.stats()
    }

    /// This instance's writer of public appeal submissions, started on first use.
    pub(crate) fn intake(&self) -> &appeal::intake::Writer {
        self.intake.get_or_init(|| {
            // One lane: every submission appends to the audit chain's head.
            appeal::intake::Writer::with_lanes(
                appeal::intake::Intake {
                    db: self.db.clone(),
                },
                1,
            )
        })
    }

    /// This instance's writer of progress reports, started on first use.
    pub(crate) fn progress(&self) -> &learning::progress::Writer {
        self.progress.get_or_init(|| {
            learning::progress::Writer::with_lanes(
                learning::progress::Progress {
                    db: self.db.clone(),
                },
                self.db.write_lanes(),
            )
        })
    }
}

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub request_id: String,
}

/// An authenticated request: who acts, and from where.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub origin: Origin,
    /// When the actor last gave the second factor (0: not in this session,
    /// or not a person: a job, the command line).
    pub factor_at: i64,
}

impl Ctx {
    /// Asks the policy; a refusal is written to the audit log and returned
    /// as `forbidden`.
    pub async fn require(&self, app: &App, action: Action, unit_id: i64, path: &str) -> Result<()> {
        access::require(app, self, action, unit_id, path).await
    }
}

#[cfg(test)]
mod tests {
    use super::Forget;

    #[test]
    fn every_change_reads_back_from_the_feed_as_written() {
        for change in [
            Forget::Session("abc".into()),
            Forget::Account(7),
            Forget::Home(8),
            Forget::Class(9),
            Forget::Lessons,
            Forget::All,
        ] {
            let (kind, key) = change.to_feed();
            assert_eq!(Forget::from_feed(kind, &key), Some(change));
        }
        assert_eq!(Forget::from_feed("home", "not a number"), None);
    }
}
