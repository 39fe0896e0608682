//! Students, class invites and guardian links.

use rand::RngCore;
use tongyu_domain::account::{Account, Role, check_password, parse_person_name, parse_phone};
use tongyu_domain::org::{Counts, Unit, UnitKind};
use tongyu_domain::policy::Action;
use tongyu_domain::student::{LinkStatus, Student, parse_gender, parse_relation};
use tongyu_domain::verify::Purpose;
use tongyu_domain::{Error, ErrorCode, Result};
use tongyu_store::student::{self as students, GuardianLink, Invite};
use tongyu_store::{DbResult, account as accounts, org as units};

use crate::{App, Ctx, Origin, audit, auth};

/// A class's students and their guardians, as a head teacher sees them.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Roster {
    pub class: Unit,
    pub students: Vec<Student>,
    pub links: Vec<GuardianLink>,
}

/// How many guardians of a class wait to be confirmed (a count: no one is
/// named, so not audited).
pub async fn pending_in_class(app: &App, ctx: &Ctx, class_id: i64) -> Result<i64> {
    let class = crate::access::class(app, ctx, class_id, Action::ViewStudents).await?;
    let mut c = app.db.read().await?;
    students::pending_in_class(&mut c, class.id).await
}

/// Reads a class roster: a read of children's personal data, so audited.
pub async fn roster(app: &App, ctx: &Ctx, class_id: i64) -> Result<Roster> {
    let class =
        crate::access::unit_of_kind(app, ctx, class_id, UnitKind::Class, Action::ViewStudents)
            .await?;
    let mut c = app.db.read().await?;
    let list = students::list_by_class(&mut c, class.id).await?;
    let links = students::links_of_class(&mut c, class.id).await?;
    drop(c);
    let detail = format!("{} 名学生", list.len());
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "student.read_roster",
            "class",
            class.id,
            Some(class.id),
            detail,
        ),
    )
    .await?;
    Ok(Roster {
        class,
        students: list,
        links,
    })
}

/// A class roster as a spreadsheet (phones masked). An export of
/// children's data: the second factor must be fresh, and it is audited.
pub async fn export_roster(app: &App, ctx: &Ctx, class_id: i64) -> Result<Vec<u8>> {
    let class =
        crate::access::unit_of_kind(app, ctx, class_id, UnitKind::Class, Action::ViewStudents)
            .await?;
    crate::second_factor::require_fresh(app, ctx)?;
    let roster = roster(app, ctx, class.id).await?;
    let rows: Vec<Vec<String>> = roster
        .students
        .iter()
        .map(|s| {
            let guardians = roster
                .links
                .iter()
                .filter(|l| l.student_id == s.id && l.status == LinkStatus::Confirmed)
                .map(|l| {
                    format!(
                        "{}（{}，{}）",
                        l.guardian_name,
                        l.relation,
                        l.guardian_phone_mask.as_deref().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("、");
            vec![
                s.name.clone(),
                s.gender.clone(),
                s.external_id.clone().unwrap_or_default(),
                guardians,
            ]
        })
        .collect();
    let bytes = crate::sheet::write_xlsx("学生", &["姓名", "性别", "学籍号", "家长"], &rows)?;
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "student.export",
            "class",
            class.id,
            Some(class.id),
            format!("{} 名学生", rows.len()),
        ),
    )
    .await?;
    Ok(bytes)
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct StudentInput {
    pub name: String,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
}

pub async fn add(app: &App, ctx: &Ctx, class_id: i64, input: &StudentInput) -> Result<i64> {
    let class =
        crate::access::unit_of_kind(app, ctx, class_id, UnitKind::Class, Action::ManageStudents)
            .await?;
    let name = parse_person_name(&input.name).map_err(|e| Error {
        field: Some("name"),
        ..e
    })?;
    let gender = parse_gender(input.gender.as_deref().unwrap_or(""))?;
    let external_id = crate::org::parse_external_id(input.external_id.as_deref())?;
    let mut tx = app.db.write().await?;
    let id = students::insert(
        &mut tx,
        &class,
        &name,
        &gender,
        external_id.as_deref(),
        app.now(),
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "student.create",
            "student",
            id,
            Some(class.id),
            "",
        ),
    )
    .await?;
    Ok(id)
}

/// An invite code: 10 characters from 31 unambiguous ones (about 49 bits),
/// and codes expire, so guessing one is hopeless.
fn new_invite_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ2345679";
    let mut buf = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Issues a fresh invite code for a class. Earlier codes keep working for
/// the grace period (a message already in the parents' group is not broken
/// at once), or stop now when `at_once` (a code that leaked).
pub async fn issue_invite(app: &App, ctx: &Ctx, class_id: i64, at_once: bool) -> Result<Invite> {
    let class =
        crate::access::unit_of_kind(app, ctx, class_id, UnitKind::Class, Action::ManageGuardians)
            .await?;
    let now = app.now();
    let invite = Invite {
        code: new_invite_code(),
        class_id: class.id,
        created_by: ctx.actor.account_id,
        created_at: now,
        expires_at: now + app.settings.invite_ttl_secs,
        revoked: false,
    };
    let mut tx = app.db.write().await?;
    if at_once || app.settings.code_grace_secs == 0 {
        students::revoke_invites(&mut tx, class.id).await?;
    } else {
        students::retire_invites(&mut tx, class.id, now + app.settings.code_grace_secs).await?;
    }
    students::insert_invite(&mut tx, &invite).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "invite.issue",
            "class",
            class.id,
            Some(class.id),
            if at_once { "earlier codes revoked" } else { "" },
        ),
    )
    .await?;
    Ok(invite)
}

/// The class's live invite, if any.
pub async fn current_invite(app: &App, ctx: &Ctx, class_id: i64) -> Result<Option<Invite>> {
    let class =
        crate::access::unit_of_kind(app, ctx, class_id, UnitKind::Class, Action::ManageGuardians)
            .await?;
    let mut c = app.db.read().await?;
    students::current_invite(&mut c, class.id, app.now()).await
}

/// The class an invite code opens, if the code is live.
pub async fn invite_class(app: &App, code: &str) -> Result<Unit> {
    let code = code.trim().to_ascii_uppercase();
    let mut c = app.db.read().await?;
    let invite = students::get_invite(&mut c, &code).await?;
    match invite {
        Some(i) if !i.revoked && i.expires_at > app.now() => units::get(&mut c, i.class_id)
            .await?
            .filter(|u| u.active)
            .ok_or_else(Error::not_found),
        _ => Err(Error::with_message(
            ErrorCode::NotFound,
            "邀请码无效或已过期，请向班主任索取新的邀请码",
        )),
    }
}

/// What a parent fills in to sign up.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Registration {
    pub phone: String,
    /// The code just sent to that phone.
    pub sms_code: String,
    pub display_name: String,
    pub password: String,
}

/// A parent signs up with a phone number proven by a code sent to it. An
/// account a school's import made for that number (no password yet) is an
/// invitation: the code accepts it, and the children the school linked
/// come with it. The username holds no phone number.
pub async fn register_parent(app: &App, origin: &Origin, r: &Registration) -> Result<Account> {
    let phone = parse_phone(&r.phone)?;
    let display_name = parse_person_name(&r.display_name)?;
    check_password(&r.password, &phone)?;
    tongyu_domain::verify::parse_code(&r.sms_code)?;
    crate::throttle::hit(
        app,
        &[(
            tongyu_domain::throttle::REGISTER_PER_ADDRESS,
            origin.ip.as_str(),
        )],
    )
    .await?;
    crate::verify::check_code(app, &phone, Purpose::Register, &r.sms_code).await?;
    let hash = auth::hash_password_async(r.password.clone()).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let existing = accounts::by_phone_keys(&mut tx, &[app.phone_lookup(&phone)]).await?;
    let (id, action) = match existing.first().map(|(_, a)| a) {
        Some(a) if !accounts::has_password(&mut tx, a.id).await? => {
            accounts::set_password(&mut tx, a.id, &hash, false).await?;
            (a.id, "account.claim")
        }
        // The phone is proven, so saying it is taken tells nobody else anything.
        Some(_) => return Err(Error::invalid("phone", "该手机号已注册，请直接登录")),
        None => {
            let new = accounts::NewAccount {
                username: auth::parent_username(),
                phone: Some(app.seal_phone(&phone)),
                display_name,
                password_hash: hash,
                must_change_password: false,
                external_id: None,
                created_by: None,
            };
            let id = accounts::insert(&mut tx, &new, now)
                .await
                .map_err(|e| match e.code {
                    ErrorCode::Conflict => Error::invalid("phone", "该手机号已注册，请直接登录"),
                    _ => e,
                })?;
            (id, "account.register")
        }
    };
    let account = accounts::require(&mut tx, id).await?;
    let mut e = audit::anonymous(app, origin, &account.username, action, "ok");
    e.object_id = id.to_string();
    e.actor_id = Some(id);
    audit::commit_audited(tx, &e).await?;
    Ok(account)
}

/// Sends a code to the signed-in account's own phone, for `purpose`.
pub async fn send_own_code(
    app: &App,
    ctx: &Ctx,
    purpose: Purpose,
) -> Result<crate::verify::CodeSent> {
    let phone = own_phone(app, ctx).await?;
    crate::verify::send_code(app, &ctx.origin, &phone, purpose).await
}

async fn own_phone(app: &App, ctx: &Ctx) -> Result<String> {
    let mut c = app.db.read().await?;
    let account = accounts::require(&mut c, ctx.actor.account_id).await?;
    app.open_phone(&account)
        .ok_or_else(|| Error::invalid("sms_code", "您的账号还没有手机号，请先在“我的账号”中填写"))
}

/// A parent asks, with the class's invite code, to be bound to a child of
/// that class. The head teacher confirms.
pub async fn request_link(
    app: &App,
    ctx: &Ctx,
    code: &str,
    child_name: &str,
    relation: &str,
    sms_code: &str,
    consent: bool,
) -> Result<GuardianLink> {
    let class = invite_class(app, code).await?;
    let relation = parse_relation(relation)?;
    if !consent {
        return Err(Error::invalid(
            "consent",
            "请阅读并同意《儿童个人信息保护规则》后再申请绑定",
        ));
    }
    let child_name = child_name.trim();
    tongyu_domain::verify::parse_code(sms_code)?;
    crate::throttle::hit(
        app,
        &[(
            tongyu_domain::throttle::JOIN_PER_ACCOUNT,
            ctx.actor.account_id.to_string().as_str(),
        )],
    )
    .await?;
    let phone = own_phone(app, ctx).await?;
    let matches: Vec<Student> = {
        let mut c = app.db.read().await?;
        students::list_by_class(&mut c, class.id)
            .await?
            .into_iter()
            .filter(|s| s.name == child_name)
            .collect()
    };
    let student = match matches.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(Error::invalid(
                "child_name",
                "该班级中没有这个姓名的学生，请核对孩子的姓名",
            ));
        }
        _ => {
            return Err(Error::invalid(
                "child_name",
                "班级中有同名学生，请联系班主任为您绑定",
            ));
        }
    };
    // The code is spent only once everything else is right.
    crate::verify::check_code(app, &phone, Purpose::Bind, sms_code).await?;
    let mut tx = app.db.write().await?;
    if let Some(existing) = students::get_link(&mut tx, student.id, ctx.actor.account_id).await?
        && existing.status == LinkStatus::Confirmed
    {
        return Ok(existing);
    }
    students::upsert_link(
        &mut tx,
        student.id,
        ctx.actor.account_id,
        &relation,
        LinkStatus::Pending,
        None,
        app.now(),
    )
    .await?;
    students::record_consent(
        &mut tx,
        student.id,
        ctx.actor.account_id,
        tongyu_domain::student::CHILDREN_NOTICE_VERSION,
        app.now(),
        &ctx.origin.ip,
    )
    .await?;
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "guardian.request",
            "student",
            student.id,
            Some(class.id),
            &relation,
        ),
    )
    .await?;
    let link = students::get_link(&mut tx, student.id, ctx.actor.account_id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    app.forget_home(ctx.actor.account_id).await;
    Ok(link)
}

/// The head teacher (or an administrator above) confirms or rejects a link.
/// A confirmed parent gets the parent role on the class.
pub async fn decide_link(
    app: &App,
    ctx: &Ctx,
    student_id: i64,
    account_id: i64,
    confirm: bool,
) -> Result<()> {
    let student = {
        let mut c = app.db.read().await?;
        students::get(&mut c, student_id)
            .await?
            .ok_or_else(Error::not_found)?
    };
    let class = crate::access::unit_of_kind(
        app,
        ctx,
        student.class_id,
        UnitKind::Class,
        Action::ManageGuardians,
    )
    .await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let link = students::get_link(&mut tx, student_id, account_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let status = if confirm {
        LinkStatus::Confirmed
    } else {
        LinkStatus::Rejected
    };
    if link.status == status {
        return Ok(());
    }
    students::upsert_link(
        &mut tx,
        student_id,
        account_id,
        &link.relation,
        status,
        Some(ctx.actor.account_id),
        now,
    )
    .await?;
    let mut ids = class.ancestor_ids();
    ids.push(class.id);
    if confirm {
        accounts::insert_grant(
            &mut tx,
            account_id,
            Role::Parent,
            class.id,
            Some(ctx.actor.account_id),
            now,
        )
        .await?;
        units::add_counts(
            &mut tx,
            &ids,
            Counts {
                guardians: 1,
                ..Counts::default()
            },
        )
        .await?;
    } else if link.status == LinkStatus::Confirmed {
        units::add_counts(
            &mut tx,
            &ids,
            Counts {
                guardians: -1,
                ..Counts::default()
            },
        )
        .await?;
    }
    let action = if confirm {
        "guardian.confirm"
    } else {
        "guardian.reject"
    };
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            action,
            "student",
            student_id,
            Some(class.id),
            account_id.to_string(),
        ),
    )
    .await?;
    tx.commit().await.db()?;
    app.forget_account(account_id).await;
    Ok(())
}
