//! A class: its students and guardians, the invite code, confirmations.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::policy::Action;
use tongyu_domain::student::LinkStatus;
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::student::{self, StudentInput};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::qr::qr_svg;
use crate::page::{Nav, notice, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(super::join::routes())
        .route("/classes/{id}", get(show))
        .route("/classes/{id}/roster.xlsx", get(roster_xlsx))
        .route("/classes/{id}/invite", post(invite))
        .route("/classes/{id}/students", post(add_student))
        .route(
            "/classes/{id}/links/{student}/{account}/{decision}",
            post(decide),
        )
}

struct StudentView {
    name: String,
    gender: String,
    guardians: String,
}

struct LinkView {
    student_id: i64,
    student_name: String,
    account_id: i64,
    guardian_name: String,
    phone: String,
    relation: String,
}

#[derive(Template)]
#[template(path = "student/class.html")]
struct ClassPage {
    nav: Nav,
    class_id: i64,
    class_name: String,
    students: Vec<StudentView>,
    pending: Vec<LinkView>,
    can_invite: bool,
    can_manage_students: bool,
    invite_code: Option<String>,
    invite_qr: String,
    invite_link: String,
    invite_expires: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    class_page(&state, &user, id, notice(q.msg.as_deref()), None).await
}

async fn class_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let roster = student::roster(&state.app, &user.ctx, id).await?;
    let actor = &user.ctx.actor;
    let can_invite = actor.can(Action::ManageGuardians, &roster.class.path);
    let invite = if can_invite {
        student::current_invite(&state.app, &user.ctx, id).await?
    } else {
        None
    };
    let link = invite
        .as_ref()
        .map(|i| {
            format!(
                "{}/join?code={}",
                state.config.public_url.trim_end_matches('/'),
                i.code
            )
        })
        .unwrap_or_default();
    let students = roster
        .students
        .iter()
        .map(|s| StudentView {
            name: s.name.clone(),
            gender: s.gender.clone(),
            guardians: roster
                .links
                .iter()
                .filter(|l| l.student_id == s.id && l.status == LinkStatus::Confirmed)
                .map(|l| format!("{}（{}）", l.guardian_name, l.relation))
                .collect::<Vec<_>>()
                .join("、"),
        })
        .collect();
    let pending = roster
        .links
        .iter()
        .filter(|l| l.status == LinkStatus::Pending)
        .map(|l| LinkView {
            student_id: l.student_id,
            student_name: l.student_name.clone(),
            account_id: l.account_id,
            guardian_name: l.guardian_name.clone(),
            phone: l.guardian_phone_mask.clone().unwrap_or_default(),
            relation: l.relation.clone(),
        })
        .collect();
    let status = crate::page::status_of(error.as_ref());
    let page = ClassPage {
        nav: Nav::for_user(user),
        class_id: roster.class.id,
        class_name: roster.class.name.clone(),
        students,
        pending,
        can_invite,
        can_manage_students: actor.can(Action::ManageStudents, &roster.class.path),
        invite_qr: if link.is_empty() {
            String::new()
        } else {
            qr_svg(&link)
        },
        invite_link: link,
        invite_expires: invite
            .as_ref()
            .map(|i| format_local_minute(i.expires_at))
            .unwrap_or_default(),
        invite_code: invite.map(|i| i.code),
        notice,
        error: error.map(|e| e.message),
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

#[derive(serde::Deserialize, schemars::JsonSchema, Default)]
struct InviteForm {
    /// `1` once the consequences were shown (the second step).
    #[serde(default)]
    confirm: String,
    /// `grace` (earlier codes keep working a while) or `now`.
    #[serde(default)]
    mode: String,
}

async fn invite(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<InviteForm>,
) -> PageResult<Response> {
    let current = student::current_invite(&state.app, &user.ctx, id).await?;
    if current.is_some() && !crate::page::confirm::confirmed(&f.confirm) {
        // Replacing a code already handed out: say what breaks, ask again.
        let days = state.app.settings.code_grace_secs / 86_400;
        let mut page = crate::page::confirm::Confirm::new(
            Nav::for_user(&user),
            "重新生成班级邀请码",
            format!("/classes/{id}/invite"),
        );
        page.consequences = vec![
            "已发到家长群、打印出去的旧邀请码和二维码将失效，需要把新码重新发给家长。".into(),
            "已经提交、等待您确认的家长申请不受影响。".into(),
        ];
        if days > 0 {
            page.choices.push(crate::page::Opt {
                value: "grace".into(),
                label: format!("旧码再用 {days} 天后停用（推荐）"),
            });
        }
        page.choices.push(crate::page::Opt {
            value: "now".into(),
            label: "旧码立即停用（邀请码被外传时）".into(),
        });
        page.button = "确认重新生成".into();
        page.cancel = format!("/classes/{id}");
        return page.respond();
    }
    student::issue_invite(&state.app, &user.ctx, id, f.mode == "now").await?;
    Ok(Redirect::to(&format!("/classes/{id}?msg=invited")).into_response())
}

async fn add_student(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StudentInput>,
) -> PageResult<Response> {
    match student::add(&state.app, &user.ctx, id, &f).await {
        Ok(_) => Ok(Redirect::to(&format!("/classes/{id}?msg=created")).into_response()),
        Err(e) if matches!(e.code, ErrorCode::ValidationFailed | ErrorCode::Conflict) => {
            class_page(&state, &user, id, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn decide(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, student_id, account_id, decision)): Path<(i64, i64, i64, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let confirm = match decision.as_str() {
        "confirm" => true,
        "reject" => false,
        _ => return Err(PageError(Error::not_found())),
    };
    student::decide_link(&state.app, &user.ctx, student_id, account_id, confirm).await?;
    let msg = if confirm { "confirmed" } else { "rejected" };
    Ok(Redirect::to(&format!("/classes/{id}?msg={msg}")).into_response())
}

/// The roster as a spreadsheet (a read of children's data, so audited).
async fn roster_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let bytes = student::export_roster(&state.app, &user.ctx, id).await?;
    Ok(crate::export::xlsx(&format!("roster-{id}.xlsx"), bytes))
}
