//! Appeals (群众诉求): what a parent writes after scanning one of the two
//! codes at the school gate, the clocks that run on it, the three-part reply
//! and the parent's rating. No HTTP, no SQL.

use crate::calendar::{DAY_S, Span};
use crate::{Error, ErrorCode, Result};

/// Who the parent writes to: the school, or the school's district bureau.
/// An appeal escalates school → district → city.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "AppealLevel")]
pub enum Level {
    School,
    District,
    City,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::School, Level::District, Level::City];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::School => "school",
            Self::District => "district",
            Self::City => "city",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::School => "学校",
            Self::District => "区(市)教育局",
            Self::City => "市教育局",
        }
    }
    /// The level an overdue or unsatisfying appeal goes to; none above the city.
    pub fn above(self) -> Option<Level> {
        match self {
            Self::School => Some(Self::District),
            Self::District => Some(Self::City),
            Self::City => None,
        }
    }
}

/// The two codes at a school gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// To the school itself.
    School,
    /// To the school's district bureau.
    Bureau,
}

impl CodeKind {
    pub const ALL: [CodeKind; 2] = [CodeKind::School, CodeKind::Bureau];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::School => "school",
            Self::Bureau => "bureau",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::School => "向学校反映",
            Self::Bureau => "向教育局反映",
        }
    }
    /// The level an appeal made through this code starts at.
    pub fn level(self) -> Level {
        match self {
            Self::School => Level::School,
            Self::Bureau => Level::District,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "AppealCategory")]
pub enum Category {
    Teaching,
    Safety,
    Fees,
    Food,
    Bullying,
    StaffConduct,
    FamilyEducation,
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Self::Teaching,
        Self::Safety,
        Self::Fees,
        Self::Food,
        Self::Bullying,
        Self::StaffConduct,
        Self::FamilyEducation,
        Self::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Teaching => "teaching",
            Self::Safety => "safety",
            Self::Fees => "fees",
            Self::Food => "food",
            Self::Bullying => "bullying",
            Self::StaffConduct => "staff_conduct",
            Self::FamilyEducation => "family_education",
            Self::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Teaching => "教育教学",
            Self::Safety => "校园安全",
            Self::Fees => "收费问题",
            Self::Food => "食堂餐饮",
            Self::Bullying => "学生欺凌",
            Self::StaffConduct => "师德师风",
            Self::FamilyEducation => "家庭教育",
            Self::Other => "其他",
        }
    }
}

/// Where an appeal came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Scanned at the school gate.
    Qr,
    /// The 12345 hotline.
    Hotline,
    /// Taken back from a home visit.
    HomeVisit,
    /// The principal's mailbox.
    PrincipalMailbox,
    /// A bureau's own public telephone.
    BureauPhone,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Self::Qr,
        Self::Hotline,
        Self::HomeVisit,
        Self::PrincipalMailbox,
        Self::BureauPhone,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qr => "qr",
            Self::Hotline => "hotline",
            Self::HomeVisit => "home_visit",
            Self::PrincipalMailbox => "principal_mailbox",
            Self::BureauPhone => "bureau_phone",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Qr => "校门二维码",
            Self::Hotline => "12345热线",
            Self::HomeVisit => "家访带回",
            Self::PrincipalMailbox => "校长信箱",
            Self::BureauPhone => "教育局电话",
        }
    }
}

/// Where an appeal stands. Stored as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "AppealStatus")]
pub enum Status {
    /// Received; nobody has contacted the parent yet.
    Received,
    /// The parent has been contacted; the reply is being prepared.
    InProgress,
    /// A reply waits for the supervisor's sign-off.
    AwaitingSignOff,
    /// The reply is published; the parent may rate it.
    Replied,
    /// Closed: rated satisfied or basically satisfied, or no rating in time.
    Closed,
    /// Marked as spam by staff; hidden.
    Spam,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Self::Received,
        Self::InProgress,
        Self::AwaitingSignOff,
        Self::Replied,
        Self::Closed,
        Self::Spam,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::InProgress => "in_progress",
            Self::AwaitingSignOff => "awaiting_sign_off",
            Self::Replied => "replied",
            Self::Closed => "closed",
            Self::Spam => "spam",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Received => "已受理",
            Self::InProgress => "办理中",
            Self::AwaitingSignOff => "答复待审核",
            Self::Replied => "已答复",
            Self::Closed => "已办结",
            Self::Spam => "已标记为无效",
        }
    }
    /// Still on someone's desk: the clocks run.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Received | Self::InProgress | Self::AwaitingSignOff
        )
    }
}

/// The parent's verdict on a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
    /// Not given within the rating window.
    NoFeedback,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Satisfied => "satisfied",
            Self::BasicallySatisfied => "basically_satisfied",
            Self::Unsatisfied => "unsatisfied",
            Self::NoFeedback => "no_feedback",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Satisfied,
            Self::BasicallySatisfied,
            Self::Unsatisfied,
            Self::NoFeedback,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
    /// What a parent may choose (no feedback is what silence means).
    pub fn parse_given(s: &str) -> Result<Self> {
        match Self::parse(s) {
            Some(Self::NoFeedback) | None => {
                Err(Error::invalid("rating", "请选择：满意、基本满意或不满意"))
            }
            Some(r) => Ok(r),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Satisfied => "满意",
            Self::BasicallySatisfied => "基本满意",
            Self::Unsatisfied => "不满意",
            Self::NoFeedback => "未评价",
        }
    }
}

pub const TEXT_MIN: usize = 10;
pub const TEXT_MAX: usize = 2000;
pub const MAX_PHOTOS: usize = 3;
pub const PHOTO_MAX_BYTES: u64 = 5 * 1024 * 1024;

/// Checks a photo by its content: a JPEG or PNG of at most 5 MB, whatever
/// its name says. Returns its MIME type.
pub fn check_photo(bytes: &[u8]) -> Result<&'static str> {
    let bad = || Error::invalid("photo", "照片只能是 JPG 或 PNG 图片");
    if bytes.len() as u64 > PHOTO_MAX_BYTES {
        return Err(Error::with_message(
            ErrorCode::PayloadTooLarge,
            "每张照片不能超过 5 MB",
        ));
    }
    match crate::media::sniff(bytes, "") {
        Ok((crate::media::MediaKind::Image, mime)) if bytes.len() > 64 => Ok(mime),
        _ => Err(bad()),
    }
}

/// Checks what a parent wrote: 10 to 2,000 characters once trimmed.
pub fn check_text(field: &'static str, raw: &str) -> Result<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < TEXT_MIN {
        return Err(Error::invalid(
            field,
            format!("请把情况写清楚，至少{TEXT_MIN}个字"),
        ));
    }
    if n > TEXT_MAX {
        return Err(Error::invalid(
            field,
            format!("内容不能超过{TEXT_MAX}个字，现在是{n}个字"),
        ));
    }
    Ok(t.to_owned())
}

/// An optional name: at most 20 characters.
pub fn check_name(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.chars().count() > 20 {
        return Err(Error::invalid("contact_name", "称呼不能超过20个字"));
    }
    if t.chars().any(char::is_control) {
        return Err(Error::invalid("contact_name", "称呼里有不可见的字符"));
    }
    Ok(t.to_owned())
}

/// An optional phone: a mainland mobile number (11 digits starting with 1)
/// or a landline of 7 to 12 digits with an optional area-code dash.
pub fn check_phone(raw: &str) -> Result<String> {
    let t: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Ok(t);
    }
    let digits: String = t.chars().filter(|c| *c != '-').collect();
    let ok_chars = t.chars().all(|c| c.is_ascii_digit() || c == '-') && t.matches('-').count() <= 1;
    let mobile = digits.len() == 11 && digits.starts_with('1');
    let landline = (7..=12).contains(&digits.len()) && !digits.starts_with('1');
    if !ok_chars || !(mobile || landline) {
        return Err(Error::invalid(
            "contact_phone",
            "请填写正确的手机号（11位）或座机号码",
        ));
    }
    Ok(t)
}

/// A phone as people other than the handler see it: 138****5678.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// The three-part reply (三说明).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Reply {
    /// 官方政策规定
    pub policy: String,
    /// 当前工作情况
    pub status: String,
    /// 下一步解决措施
    pub next_steps: String,
}

/// The shortest part that says something.
pub const REPLY_PART_MIN: usize = 15;
pub const REPLY_PART_MAX: usize = 3000;

impl Reply {
    /// Each part present, substantive (at least 15 characters of text, not
    /// only punctuation or one character repeated), and no two the same.
    pub fn check(&self) -> Result<Reply> {
        let parts = [
            ("policy", "官方政策规定", self.policy.trim()),
            ("status", "当前工作情况", self.status.trim()),
            ("next_steps", "下一步解决措施", self.next_steps.trim()),
        ];
        for (field, label, text) in parts {
            let meaningful: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
            if text.is_empty() {
                return Err(Error::invalid(field, format!("请填写“{label}”")));
            }
            let mut distinct = meaningful.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if meaningful.len() < REPLY_PART_MIN || distinct.len() < 4 {
                return Err(Error::invalid(
                    field,
                    format!("“{label}”要具体说明，至少{REPLY_PART_MIN}个字"),
                ));
            }
            if text.chars().count() > REPLY_PART_MAX {
                return Err(Error::invalid(
                    field,
                    format!("“{label}”不能超过{REPLY_PART_MAX}个字"),
                ));
            }
        }
        let norm = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).collect() };
        for i in 0..3 {
            for j in (i + 1)..3 {
                if norm(parts[i].2) == norm(parts[j].2) {
                    return Err(Error::invalid(
                        parts[j].0,
                        format!("“{}”与“{}”内容相同，请分别说明", parts[j].1, parts[i].1),
                    ));
                }
            }
        }
        Ok(Reply {
            policy: parts[0].2.to_owned(),
            status: parts[1].2.to_owned(),
            next_steps: parts[2].2.to_owned(),
        })
    }
}

/// The clocks of one level and category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub first_contact: Span,
    pub reply: Span,
}

/// How long before a deadline it shows as "due soon": a fifth of the span,
/// at most a day.
pub fn warn_before(start: i64, due: i64) -> i64 {
    ((due - start) / 5).clamp(0, DAY_S)
}

/// Where a clock stands, for the badge on every appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Met before the deadline.
    Met,
    /// Met, but after the deadline.
    MetLate,
    Running,
    DueSoon,
    Overdue,
}

impl ClockState {
    pub fn of(start: i64, due: i64, done_at: i64, now: i64) -> ClockState {
        if done_at > 0 {
            return if done_at <= due {
                Self::Met
            } else {
                Self::MetLate
            };
        }
        if now >= due {
            Self::Overdue
        } else if now >= due - warn_before(start, due) {
            Self::DueSoon
        } else {
            Self::Running
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Met => "按时完成",
            Self::MetLate => "超时完成",
            Self::Running => "进行中",
            Self::DueSoon => "即将到期",
            Self::Overdue => "已超时",
        }
    }
    /// How the badge reads at a glance (a page's class for it): red for
    /// late, amber within the warning time, green when met in time.
    pub fn tone(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::MetLate | Self::Overdue => "late",
            Self::Running => "running",
            Self::DueSoon => "soon",
        }
    }
    /// A clock still running.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Running | Self::DueSoon | Self::Overdue)
    }
}

/// The characters of a parent's reference: digits and capitals without the
/// ones read or typed for one another (0/O, 1/I/L, 5/S, 2/Z).
pub const TRACKING_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRTUVWXY";

/// A reference's length: 15 of 29 characters, 72 bits, shown as three
/// groups of five; the look-up is throttled per address. (References made
/// before were 16 characters of a wider alphabet; they keep working.)
pub const TRACKING_LEN: usize = 15;

/// A reference as a parent may type it: case, spaces and dashes do not
/// matter, and in a 15-character reference an S is read as 5 and a Z as 2
/// (neither letter is ever in one).
pub fn normalize_tracking_code(raw: &str) -> String {
    let code: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.len() != TRACKING_LEN {
        return code;
    }
    code.chars()
        .map(|c| match c {
            'S' => '5',
            'Z' => '2',
            c => c,
        })
        .collect()
}

/// A reference in groups of five (of four, one from before), as receipts
/// show it.
pub fn format_tracking_code(code: &str) -> String {
    let group = if code.len() == TRACKING_LEN { 5 } else { 4 };
    code.as_bytes()
        .chunks(group)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether a normalised reference has a shape references have.
pub fn is_tracking_code(code: &str) -> bool {
    code.len() == TRACKING_LEN || code.len() == 16
}

/// The key that makes the same text from the same phone or device within
/// the window land on one appeal: normalised text, and who sent it.
/// The number staff know an appeal by (the parent's link is a secret they
/// never see): its id, eight digits.
pub fn number(id: i64) -> String {
    format!("{id:08}")
}

pub fn dedupe_key(text: &str, sender: &str) -> String {
    let norm: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    format!("{sender}|{norm}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_forgive_case_dashes_and_look_alikes_but_keep_old_ones() {
        assert_eq!(
            normalize_tracking_code("ab3de-f7hjk-8mnpq"),
            "AB3DEF7HJK8MNPQ"
        );
        // S and Z are never in a new reference: they are 5 and 2 typed wrong.
        assert_eq!(
            normalize_tracking_code("AS3DE F7HJK 8MNPZ"),
            "A53DEF7HJK8MNP2"
        );
        // A 16-character reference from before may hold them.
        assert_eq!(
            normalize_tracking_code("SZ23456789ABCDEF"),
            "SZ23456789ABCDEF"
        );
        assert_eq!(format_tracking_code("AB3DEF7HJK8MNPQ"), "AB3DE-F7HJK-8MNPQ");
        assert_eq!(
            format_tracking_code("SZ23456789ABCDEF"),
            "SZ23-4567-89AB-CDEF"
        );
        assert!(TRACKING_ALPHABET.iter().all(|c| !b"01OILSZ".contains(c)));
        assert!(is_tracking_code("AB3DEF7HJK8MNPQ") && !is_tracking_code("AB3"));
    }

    #[test]
    fn clocks_warn_then_go_overdue() {
        let (start, due) = (0, 1000);
        assert_eq!(ClockState::of(start, due, 0, 100), ClockState::Running);
        assert_eq!(ClockState::of(start, due, 0, 850), ClockState::DueSoon);
        assert_eq!(ClockState::of(start, due, 0, 1000), ClockState::Overdue);
        assert_eq!(ClockState::of(start, due, 900, 2000), ClockState::Met);
        assert_eq!(ClockState::of(start, due, 1001, 2000), ClockState::MetLate);
    }

    #[test]
    fn replies_need_three_substantive_distinct_parts() {
        let good = Reply {
            policy: "根据《青岛市中小学校收费管理办法》第五条，学校不得代收教辅资料费。".into(),
            status: "学校已核实，本学期三年级二班确有代收情况，已暂停收费。".into(),
            next_steps: "本周五前全额退还已收费用，并在家长会上向家长说明。".into(),
        };
        assert!(good.check().is_ok());
        let empty = Reply {
            status: "  ".into(),
            ..good.clone()
        };
        assert_eq!(empty.check().map_err(|e| e.field), Err(Some("status")));
        let thin = Reply {
            next_steps: "已处理。".into(),
            ..good.clone()
        };
        assert_eq!(thin.check().map_err(|e| e.field), Err(Some("next_steps")));
        let filler = Reply {
            policy: "啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊".into(),
            ..good.clone()
        };
        assert_eq!(filler.check().map_err(|e| e.field), Err(Some("policy")));
        let same = Reply {
            next_steps: format!("{}！", good.status),
            ..good.clone()
        };
        let e = same.check().expect_err("same text");
        assert_eq!(e.field, Some("next_steps"));
        assert!(e.message.contains("内容相同"), "{}", e.message);
    }

    #[test]
    fn text_and_contact_checks() {
        assert!(check_text("text", "太短了").is_err());
        assert!(check_text("text", &"长".repeat(2001)).is_err());
        assert_eq!(
            check_text("text", "  学校门口放学时车辆拥堵很危险  ").as_deref(),
            Ok("学校门口放学时车辆拥堵很危险")
        );
        assert_eq!(check_phone("138 0000 1234").as_deref(), Ok("13800001234"));
        assert_eq!(check_phone("0532-88886666").as_deref(), Ok("0532-88886666"));
        assert_eq!(check_phone("").as_deref(), Ok(""));
        assert!(check_phone("12345").is_err());
        assert!(check_phone("1380000123a").is_err());
        assert_eq!(mask_phone("13800001234"), "138****1234");
        assert_eq!(
            dedupe_key("校门口，拥堵！", "p:138"),
            dedupe_key("校门口拥堵", "p:138")
        );
    }

    #[test]
    fn photos_are_told_by_their_content() {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.resize(200, 0);
        assert_eq!(check_photo(&png), Ok("image/png"));
        let mut jpg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpg.resize(200, 0);
        assert_eq!(check_photo(&jpg), Ok("image/jpeg"));
        let mut pdf = b"%PDF-1.7".to_vec();
        pdf.resize(200, 0);
        assert_eq!(check_photo(&pdf).map_err(|e| e.field), Err(Some("photo")));
        let mut huge = jpg.clone();
        huge.resize(5 * 1024 * 1024 + 1, 0);
        assert_eq!(
            check_photo(&huge).map_err(|e| e.code),
            Err(ErrorCode::PayloadTooLarge)
        );
    }

    #[test]
    fn escalation_goes_up_to_the_city() {
        assert_eq!(Level::School.above(), Some(Level::District));
        assert_eq!(Level::District.above(), Some(Level::City));
        assert_eq!(Level::City.above(), None);
        assert_eq!(CodeKind::Bureau.level(), Level::District);
    }
}
