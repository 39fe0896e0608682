//! A school's coordinator, work group and term plans (task 3 of the plan).
//! Every change updates the school's coverage flags (`store::coverage`) in
//! its own transaction, so the boards above the school are right at once.

use tongyu_domain::account::Role;
use tongyu_domain::calendar::Term;
use tongyu_domain::coverage::Measure;
use tongyu_domain::org::{Unit, UnitKind, path_within};
use tongyu_domain::policy::Action;
use tongyu_domain::work_group::{self as rules, Duty, Standing};
use tongyu_domain::{Error, Result};
use tongyu_store::work_group::{self as store, Member, TermPlan};
use tongyu_store::{Conn, account as accounts, coverage};

use crate::{App, Ctx, audit};

/// A school's group as its page shows it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct WorkGroup {
    pub school_id: i64,
    pub school_name: String,
    /// The coordinator first, then by duty and name.
    pub members: Vec<Member>,
    pub standing: Standing,
    /// What is missing, as the school's leaders read it.
    pub gaps: Vec<String>,
    /// The current term.
    pub school_year: i64,
    pub term: Term,
    pub plan: Option<TermPlan>,
    /// Plans of earlier terms, the latest first.
    pub earlier_plans: Vec<TermPlan>,
    /// The reader may change the group and the plan.
    pub may_manage: bool,
}

/// The school year and term now.
pub fn current_term(app: &App) -> (i64, Term) {
    Term::of(app.now())
}

async fn school(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<Unit> {
    crate::access::unit_of_kind(app, ctx, id, UnitKind::School, action).await
}

/// A school's group and plans, for those who may see its staff (audited:
/// it names people, parents among them).
pub async fn show(app: &App, ctx: &Ctx, school_id: i64) -> Result<WorkGroup> {
    let unit = school(app, ctx, school_id, Action::ViewAccounts).await?;
    let (school_year, term) = current_term(app);
    let (members, plans) = {
        let mut c = app.db.read().await?;
        (
            store::members(&mut c, unit.id).await?,
            store::plans(&mut c, unit.id).await?,
        )
    };
    let (current, earlier): (Vec<TermPlan>, Vec<TermPlan>) = plans
        .into_iter()
        .partition(|p| p.school_year == school_year && p.term == term);
    let plan = current.into_iter().next();
    let standing = Standing {
        members: members.len() as i64,
        min_members: crate::plan::current(app).await?.work_group_min,
        has_coordinator: members.iter().any(|m| m.duty == Duty::Coordinator),
        has_plan: plan.is_some(),
    };
    audit::append_alone(
        app,
        &audit::entry(
            app,
            ctx,
            "work_group.read",
            "school",
            unit.id,
            Some(unit.id),
            format!("{} 人", members.len()),
        ),
    )
    .await?;
    Ok(WorkGroup {
        school_id: unit.id,
        school_name: unit.name.clone(),
        gaps: standing.gaps(),
        members,
        standing,
        school_year,
        term,
        plan,
        earlier_plans: earlier,
        may_manage: ctx.actor.can(Action::ManageWorkGroup, &unit.path),
    })
}

/// How a school stands, without naming anyone (for its leaders' home):
/// members counted, a coordinator named, this term's plan saved; with the
/// school's name.
pub async fn standing(app: &App, ctx: &Ctx, school_id: i64) -> Result<(String, Standing)> {
    let unit = school(app, ctx, school_id, Action::ManageWorkGroup).await?;
    let (school_year, term) = current_term(app);
    let min_members = crate::plan::current(app).await?.work_group_min;
    let mut c = app.db.read().await?;
    let (members, has_coordinator) = store::size(&mut c, unit.id).await?;
    let has_plan = store::has_plan(&mut c, unit.id, school_year, term).await?;
    Ok((
        unit.name,
        Standing {
            members,
            min_members,
            has_coordinator,
            has_plan,
        },
    ))
}

/// Staff of the school who may be added: (account id, name, username).
pub async fn candidates(
    app: &App,
    ctx: &Ctx,
    school_id: i64,
) -> Result<Vec<(i64, String, String)>> {
    let unit = school(app, ctx, school_id, Action::ManageWorkGroup).await?;
    let mut c = app.db.read().await?;
    store::staff_of(&mut c, &unit.path, 500).await
}

/// Who is to join: an account by id (from the page's list of staff) or by
/// its username or phone number (a parent representing the committee).
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    Account(i64),
    Login(String),
}

/// The account a [`Who`] names, or a message that it was not found.
pub async fn find(app: &App, c: &mut Conn, who: &Who) -> Result<tongyu_domain::account::Account> {
    let not_found = || Error::invalid("member", "找不到这个账号，请核对用户名或手机号");
    match who {
        Who::Account(id) => accounts::get(c, *id).await?.ok_or_else(not_found),
        Who::Login(raw) => {
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(Error::invalid("member", "请选择或填写要加入的成员"));
            }
            if let Some(a) = accounts::get_by_username(c, raw).await? {
                return Ok(a);
            }
            let Ok(phone) = tongyu_domain::account::parse_phone(raw) else {
                return Err(not_found());
            };
            accounts::by_phone_keys(c, &[app.phone_lookup(&phone)])
                .await?
                .into_iter()
                .next()
                .map(|(_, a)| a)
                .ok_or_else(not_found)
        }
    }
}

/// The school's flags recomputed from its group, in the transaction.
async fn refresh(c: &mut Conn, school: &Unit) -> Result<()> {
    let (members, has_coordinator) = store::size(c, school.id).await?;
    let min = crate::plan::in_force(c).await?.work_group_min;
    coverage::set(
        c,
        school.id,
        &school.path,
        &Measure::Coordinator.key(),
        has_coordinator,
    )
    .await?;
    coverage::set(
        c,
        school.id,
        &school.path,
        &Measure::WorkGroup.key(),
        members >= min,
    )
    .await?;
    Ok(())
}

/// What [`set_member`] did.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct MemberSet {
    pub account_id: i64,
    pub display_name: String,
    pub duty: Duty,
    /// The account was given the coordinator's role at the school, so that
    /// it may keep the group and its plans.
    pub granted_coordinator: bool,
}

/// Puts a person in the school's group with a duty, or changes their duty.
/// Staff must hold a role at the school; a committee representative must be
/// a parent with a child there; the coordinator is one of the staff, one
/// per school, and is given the coordinator's role at the school when the
/// actor may grant it and the person cannot already keep the group.
pub async fn set_member(
    app: &App,
    ctx: &Ctx,
    school_id: i64,
    who: &Who,
    duty: Duty,
) -> Result<MemberSet> {
    let unit = school(app, ctx, school_id, Action::ManageWorkGroup).await?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let account = find(app, &mut tx, who).await?;
    if !account.active {
        return Err(Error::invalid("member", "该账号已停用，不能加入工作小组"));
    }
    let grants = accounts::grants_of(&mut tx, account.id).await?;
    let staff_here = grants
        .iter()
        .any(|g| g.role != Role::Parent && path_within(&g.unit_path, &unit.path));
    if duty.is_parent() {
        if !tongyu_store::student::is_guardian_within(&mut tx, account.id, &unit.path).await? {
            return Err(Error::invalid(
                "member",
                format!(
                    "{}不是本校学生的家长（须已确认绑定本校孩子），不能作为家委会代表",
                    account.display_name
                ),
            ));
        }
    } else if !staff_here {
        return Err(Error::invalid(
            "member",
            format!(
                "{}不是本校教职工（须在本校或本校班级有岗位），请先在“人员”中为其开通本校账号",
                account.display_name
            ),
        ));
    }
    let before = store::duty_of(&mut tx, unit.id, account.id).await?;
    if duty == Duty::Coordinator
        && let Some((id, name)) = store::coordinator(&mut tx, unit.id).await?
        && id != account.id
    {
        return Err(Error::conflict(format!(
            "本校总协调员已是{name}，请先将其改为其他职责或移出工作小组"
        )));
    }
    store::upsert_member(
        &mut tx,
        unit.id,
        account.id,
        duty,
        ctx.actor.account_id,
        now,
    )
    .await?;
    let may_keep = Action::ManageWorkGroup.roles().iter().any(|r| {
        grants
            .iter()
            .any(|g| g.role == *r && path_within(&unit.path, &g.unit_path))
    });
    let granted_coordinator = duty == Duty::Coordinator
        && !may_keep
        && ctx.actor.can(Action::ManageAccounts, &unit.path)
        && ctx
            .actor
            .may_grant(Role::Coordinator, unit.kind, &unit.path)
        && accounts::insert_grant(
            &mut tx,
            account.id,
            Role::Coordinator,
            unit.id,
            Some(ctx.actor.account_id),
            now,
        )
        .await?;
    refresh(&mut tx, &unit).await?;
    let detail = match before {
        Some(b) if b != duty => {
            format!("{}：{} → {}", account.display_name, b.label(), duty.label())
        }
        Some(_) => format!("{}：{}（未变）", account.display_name, duty.label()),
        None => format!("{}：{}", account.display_name, duty.label()),
    };
    let detail = if granted_coordinator {
        format!("{detail}；授予本校总协调员角色")
    } else {
        detail
    };
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "work_group.set_member",
            "account",
            account.id,
            Some(unit.id),
            detail,
        ),
    )
    .await?;
    if granted_coordinator {
        app.forget_account(account.id).await;
    }
    Ok(MemberSet {
        account_id: account.id,
        display_name: account.display_name,
        duty,
        granted_coordinator,
    })
}

/// Takes a person out of the school's group (the roles they hold stay).
pub async fn remove_member(app: &App, ctx: &Ctx, school_id: i64, account_id: i64) -> Result<()> {
    let unit = school(app, ctx, school_id, Action::ManageWorkGroup).await?;
    let mut tx = app.db.write().await?;
    let Some(duty) = store::duty_of(&mut tx, unit.id, account_id).await? else {
        return Err(Error::not_found());
    };
    store::delete_member(&mut tx, unit.id, account_id).await?;
    refresh(&mut tx, &unit).await?;
    let name = accounts::display_names(&mut tx, &[account_id])
        .await?
        .remove(&account_id)
        .unwrap_or_default();
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "work_group.remove_member",
            "account",
            account_id,
            Some(unit.id),
            format!("{name}（{}）", duty.label()),
        ),
    )
    .await
}

/// Saves the school's family-education plan for a term (this term or the
/// next one; earlier terms are kept as they were).
pub async fn save_plan(
    app: &App,
    ctx: &Ctx,
    school_id: i64,
    school_year: i64,
    term: Term,
    body: &str,
) -> Result<()> {
    let unit = school(app, ctx, school_id, Action::ManageWorkGroup).await?;
    let body = rules::checked_plan(body)?;
    let (now_year, now_term) = current_term(app);
    let next = match now_term {
        Term::First => (now_year, Term::Second),
        Term::Second => (now_year + 1, Term::First),
    };
    if (school_year, term) != (now_year, now_term) && (school_year, term) != next {
        return Err(Error::invalid(
            "term",
            "只能填写本学期或下学期的工作计划，往学期的计划保留原样",
        ));
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let first = store::save_plan(
        &mut tx,
        unit.id,
        school_year,
        term,
        &body,
        ctx.actor.account_id,
        now,
    )
    .await?;
    coverage::set(
        &mut tx,
        unit.id,
        &unit.path,
        &Measure::Plan { school_year, term }.key(),
        true,
    )
    .await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            if first {
                "work_group.plan_create"
            } else {
                "work_group.plan_update"
            },
            "school",
            unit.id,
            Some(unit.id),
            format!(
                "{}，{} 字",
                rules::term_label(school_year, term),
                body.chars().count()
            ),
        ),
    )
    .await
}

/// The work-group measures recounted from the members and plans.
pub async fn recount(
    c: &mut Conn,
) -> Result<std::collections::HashMap<String, std::collections::HashMap<i64, Vec<i64>>>> {
    let min = crate::plan::in_force(c).await?.work_group_min;
    store::recount(c, min).await
}
