//! Handling: a unit's inbox, one appeal with everything that can be done
//! to it, its photos for staff, and the unit's reply templates.

use super::*;

#[derive(Template)]
#[template(path = "appeal/inbox.html")]
struct InboxPage {
    nav: Nav,
    rows: Vec<appeal::InboxRow>,
    notices: Vec<tongyu_service::appeal::Notice>,
    /// Spam marks from the level below, waiting for this reader.
    spam_pending: Vec<appeal::spam::Pending>,
    statuses: Vec<Opt>,
    status: String,
    scope: String,
    overdue: bool,
    /// `due` (work still running, the earliest deadline first) or `new`.
    order: String,
    next_before: Option<i64>,
    /// Units whose posters the actor may print: (id, name).
    poster_units: Vec<(i64, String)>,
    /// Units whose opinion report the actor may read: (id, kind label).
    report_units: Vec<(i64, String)>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct InboxParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    overdue: String,
    /// `due` or `new`; by default what is still to do, by deadline, unless
    /// a status is asked for.
    #[serde(default)]
    order: String,
    #[serde(default)]
    before: i64,
}

pub(super) async fn inbox(
    State(state): State<AppState>,
    user: PageUser,
    Query(p): Query<InboxParams>,
) -> PageResult<Response> {
    let overdue = p.overdue == "1";
    let order = match p.order.as_str() {
        "due" | "new" => p.order.clone(),
        _ if p.status.is_empty() && !overdue && p.before == 0 => "due".to_owned(),
        _ => "new".to_owned(),
    };
    let q = InboxQuery {
        status: p.status.clone(),
        scope: p.scope.clone(),
        overdue,
        order: if order == "due" {
            "due".into()
        } else {
            String::new()
        },
        before: p.before,
        limit: 50,
    };
    let rows = appeal::inbox(&state.app, &user.ctx, &q).await?;
    let notices = appeal::notices(&state.app, &user.ctx).await?;
    let spam_pending = appeal::spam::pending(&state.app, &user.ctx).await?;
    let next_before = (rows.len() == 50 && !q.overdue && order == "new")
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let roles = Action::ManageAppeals.roles();
    let poster_units = user
        .ctx
        .actor
        .grants
        .iter()
        .filter(|g| roles.contains(&g.role))
        .map(|g| (g.unit_id, g.unit_kind.label().to_owned()))
        .collect();
    let handle = Action::HandleAppeals.roles();
    let mut report_units: Vec<(i64, String)> = user
        .ctx
        .actor
        .grants
        .iter()
        .filter(|g| handle.contains(&g.role))
        .map(|g| (g.unit_id, g.unit_kind.label().to_owned()))
        .collect();
    report_units.dedup();
    let page = InboxPage {
        nav: Nav::for_user(&user),
        report_units,
        rows,
        notices,
        spam_pending,
        statuses: Status::ALL
            .iter()
            .map(|s| Opt {
                value: s.as_str().into(),
                label: s.label().into(),
            })
            .collect(),
        status: p.status,
        scope: p.scope,
        overdue: q.overdue,
        order,
        next_before,
        poster_units,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "appeal/show.html")]
struct ShowPage {
    nav: Nav,
    templates: Vec<tongyu_service::appeal::Template>,
    d: appeal::Detail,
    notice: Option<String>,
    error: Option<String>,
    reply: Reply,
    sign_off_needed: bool,
    /// The revise form is open (after a refused revision, with what was
    /// typed).
    revising: bool,
    reason: String,
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<Msg>,
) -> PageResult<Response> {
    let notice = q.msg.as_deref().map(|m| match m {
        "assigned" => "已指派。",
        "contacted" => "已记录联系情况。",
        "noted" => "已添加内部备注。",
        "transferred" => "已转办。",
        "replied" => "答复已提交。",
        "raised" => "诉求已登记，开始计时。",
        "existing" => "这个工单编号已登记过，以下是已有的诉求。",
        "revised" => "修改已提交。",
        "signed_off" => "已审核。",
        "spam" => "已申请标记为无效，待上一级确认；确认前诉求照常办理。",
        "spam_confirmed" => "已确认标记为无效，诉求已关闭。",
        "spam_rejected" => "已驳回无效标记，诉求继续办理。",
        _ => "已保存。",
    });
    let draft = match q.template {
        Some(tid) => {
            let d = appeal::detail(&state.app, &user.ctx, id).await?;
            let t = tongyu_service::appeal::templates::get_for(
                &state.app,
                &user.ctx,
                d.row.unit_id,
                tid,
            )
            .await?;
            Some(Reply {
                policy: t.policy,
                status: t.status,
                next_steps: t.next_steps,
            })
        }
        None => None,
    };
    show_page(
        &state,
        &user,
        id,
        notice.map(str::to_owned),
        None,
        draft,
        None,
    )
    .await
}

async fn show_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice: Option<String>,
    error: Option<Error>,
    draft: Option<Reply>,
    reason: Option<String>,
) -> PageResult<Response> {
    let d = appeal::detail(&state.app, &user.ctx, id).await?;
    let reply = draft.unwrap_or_else(|| d.reply.clone());
    let sign_off_needed = state.app.settings.appeals.sign_off.contains(&d.row.level);
    let templates = if d.can_handle {
        tongyu_service::appeal::templates::available(
            &state.app,
            &user.ctx,
            d.row.unit_id,
            Some(d.row.category),
        )
        .await?
    } else {
        Vec::new()
    };
    let page = ShowPage {
        nav: Nav::for_user(user),
        templates,
        d,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
        reply,
        sign_off_needed,
        revising: reason.is_some(),
        reason: reason.unwrap_or_default(),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct ActForm {
    #[serde(default)]
    handler_id: i64,
    #[serde(default)]
    note: String,
    #[serde(default)]
    public: String,
    #[serde(default)]
    unit_id: i64,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    next_steps: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

pub(super) async fn act(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(f): CsrfForm<ActForm>,
) -> PageResult<Response> {
    let app = &state.app;
    let ctx = &user.ctx;
    let mut draft = None;
    let typed = Reply {
        policy: f.policy.clone(),
        status: f.status.clone(),
        next_steps: f.next_steps.clone(),
    };
    let result = match action.as_str() {
        "assign" => appeal::assign(app, ctx, id, f.handler_id).await,
        "contact" => appeal::contact(app, ctx, id, &f.note, f.public == "1").await,
        "note" => appeal::note(app, ctx, id, &f.note).await,
        "transfer" => appeal::transfer(app, ctx, id, f.unit_id, &f.reason).await,
        "reply" => {
            draft = Some(typed.clone());
            appeal::reply(app, ctx, id, &typed).await.map(|_| ())
        }
        "revise" => {
            draft = Some(typed.clone());
            appeal::revise(app, ctx, id, &typed, &f.reason)
                .await
                .map(|_| ())
        }
        "sign-off" => appeal::sign_off(app, ctx, id, f.decision == "approve", &f.comment)
            .await
            .map(|_| ()),
        "spam" => appeal::spam::propose(app, ctx, id, &f.reason).await,
        "spam-confirm" => appeal::spam::decide(app, ctx, id, true, &f.comment).await,
        "spam-reject" => appeal::spam::decide(app, ctx, id, false, &f.comment).await,
        _ => return Err(PageError(Error::not_found())),
    };
    let msg = match action.as_str() {
        "assign" => "assigned",
        "contact" => "contacted",
        "note" => "noted",
        "transfer" => "transferred",
        "reply" => "replied",
        "revise" => "revised",
        "sign-off" => "signed_off",
        "spam-confirm" => "spam_confirmed",
        "spam-reject" => "spam_rejected",
        _ => "spam",
    };
    match result {
        // A transferred appeal may have left the actor's scope.
        Ok(()) if action == "transfer" => {
            Ok(Redirect::to("/appeals?msg=transferred").into_response())
        }
        Ok(()) => Ok(Redirect::to(&format!("/appeals/{id}?msg={msg}")).into_response()),
        Err(e) if is_user_error(&e) => {
            let reason = (action == "revise").then(|| f.reason.clone());
            show_page(&state, &user, id, None, Some(e), draft, reason).await
        }
        Err(e) => Err(PageError(e)),
    }
}

pub(super) async fn staff_photo(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, n)): Path<(i64, usize)>,
) -> PageResult<Response> {
    let (mime, bytes) = appeal::staff_photo(&state.app, &user.ctx, id, n).await?;
    Ok(image(mime, bytes))
}

#[derive(Template)]
#[template(path = "appeal/templates.html")]
struct TemplatesPage {
    nav: Nav,
    unit_id: i64,
    templates: Vec<tongyu_service::appeal::Template>,
    categories: Vec<Opt>,
    form: tongyu_service::appeal::templates::TemplateInput,
    error: Option<String>,
}

async fn templates_view(
    state: &AppState,
    user: &PageUser,
    unit_id: i64,
    form: tongyu_service::appeal::templates::TemplateInput,
    error: Option<Error>,
) -> PageResult<Response> {
    let templates =
        tongyu_service::appeal::templates::available(&state.app, &user.ctx, unit_id, None).await?;
    let page = TemplatesPage {
        nav: Nav::for_user(user),
        unit_id,
        templates,
        categories: categories(),
        form,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

pub(super) async fn templates_page(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
) -> PageResult<Response> {
    templates_view(&state, &user, unit_id, Default::default(), None).await
}

pub(super) async fn create_template(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    CsrfForm(f): CsrfForm<tongyu_service::appeal::templates::TemplateInput>,
) -> PageResult<Response> {
    match tongyu_service::appeal::templates::create(&state.app, &user.ctx, unit_id, &f).await {
        Ok(_) => Ok(Redirect::to(&format!("/appeals/templates/{unit_id}")).into_response()),
        Err(e) if is_user_error(&e) => templates_view(&state, &user, unit_id, f, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub(super) struct Empty {}

pub(super) async fn delete_template(
    State(state): State<AppState>,
    user: PageUser,
    Path((unit_id, id)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    tongyu_service::appeal::templates::delete(&state.app, &user.ctx, id).await?;
    Ok(Redirect::to(&format!("/appeals/templates/{unit_id}")).into_response())
}
