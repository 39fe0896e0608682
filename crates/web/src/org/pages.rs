//! The org browser: drill down the tree with counts, and build it.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::calendar::school_year;
use tongyu_domain::org::{Stage, Unit, UnitKind};
use tongyu_domain::policy::Action;
use tongyu_service::org::{self, UnitInput};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, Opt, notice, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/org", get(org_home))
        .route("/org/{id}", get(show))
        .route("/org/{id}/children.xlsx", get(children_xlsx))
        .route("/org/{id}/children", post(create_child))
        .route("/org/{id}/edit", post(edit))
        .route("/org/{id}/move", post(move_unit))
        .route("/org/{id}/deactivate", post(deactivate))
        .route("/org/{id}/activate", post(activate))
}

pub struct UnitView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub extra: String,
    pub stages: String,
    pub active: bool,
    pub schools: i64,
    pub classes: i64,
    pub students: i64,
    pub guardians: i64,
}

impl UnitView {
    pub fn of(u: &Unit) -> UnitView {
        let extra = match u.kind {
            UnitKind::School => u.stage_labels(),
            UnitKind::Class => format!("{}学年", u.school_year),
            _ => String::new(),
        };
        UnitView {
            id: u.id,
            name: u.name.clone(),
            kind: u.kind.as_str().into(),
            kind_label: u.kind.label().into(),
            extra,
            stages: Stage::join(&u.stages),
            active: u.active,
            schools: u.counts.schools,
            classes: u.counts.classes,
            students: u.counts.students,
            guardians: u.counts.guardians,
        }
    }
}

#[derive(Template)]
#[template(path = "org/home.html")]
struct OrgHome {
    nav: Nav,
    q: String,
    units: Vec<UnitView>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct HomeQuery {
    q: Option<String>,
}

async fn org_home(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<HomeQuery>,
) -> PageResult<Response> {
    let query = q.q.unwrap_or_default();
    let units = if query.trim().is_empty() {
        let homes = org::home_units(&state.app, &user.ctx).await?;
        if let [only] = homes.as_slice() {
            return Ok(Redirect::to(&format!("/org/{}", only.id)).into_response());
        }
        homes
    } else {
        org::search(&state.app, &user.ctx, None, &query).await?
    };
    let page = OrgHome {
        nav: Nav::for_user(&user),
        q: query,
        units: units.iter().map(UnitView::of).collect(),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "org/unit.html")]
struct OrgPage {
    nav: Nav,
    unit: UnitView,
    ancestors: Vec<UnitView>,
    children: Vec<UnitView>,
    show_schools: bool,
    show_inactive: bool,
    can_manage: bool,
    can_edit: bool,
    can_view_people: bool,
    can_view_students: bool,
    is_class: bool,
    child_kind: String,
    child_kind_label: String,
    grade_options: Vec<Opt>,
    stage_options: Vec<Opt>,
    move_options: Vec<Opt>,
    school_year: i64,
    notice: Option<String>,
    error: Option<String>,
}

fn stage_options() -> Vec<Opt> {
    use Stage::*;
    let combos: [(&[Stage], &str); 7] = [
        (&[Kindergarten], "幼儿园"),
        (&[Primary], "小学"),
        (&[Junior], "初中"),
        (&[Senior], "高中"),
        (&[Primary, Junior], "小学＋初中（九年一贯制）"),
        (&[Junior, Senior], "初中＋高中（完全中学）"),
        (
            &[Primary, Junior, Senior],
            "小学＋初中＋高中（十二年一贯制）",
        ),
    ];
    combos
        .iter()
        .map(|(s, l)| Opt {
            value: Stage::join(s),
            label: (*l).into(),
        })
        .collect()
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    inactive: Option<String>,
    msg: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    org_page(
        &state,
        &user,
        id,
        q.inactive.is_some(),
        notice(q.msg.as_deref()),
        None,
    )
    .await
}

/// The org page, with a message after an action or an error from a form.
async fn org_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    show_inactive: bool,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let b = org::browse(&state.app, &user.ctx, id, show_inactive).await?;
    let actor = &user.ctx.actor;
    let can_edit = match b.ancestors.last() {
        Some(parent) => actor.can(Action::ManageUnit, &parent.path),
        None => b.unit.parent_id.is_none() && actor.can(Action::ManageUnit, &b.unit.path),
    };
    let child_kind = b.unit.kind.child();
    let grade_options = if b.unit.kind == UnitKind::School {
        let taken: Vec<&str> = b.children.iter().map(|c| c.grade.as_str()).collect();
        b.unit
            .stages
            .iter()
            .flat_map(|s| s.grades())
            .filter(|g| !taken.contains(&g.code().as_str()))
            .map(|g| Opt {
                value: g.code(),
                label: g.label(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let move_options = if can_edit && b.unit.kind == UnitKind::School {
        match b.ancestors.iter().find(|a| a.kind == UnitKind::District) {
            Some(d) => org::browse(&state.app, &user.ctx, d.id, false)
                .await?
                .children
                .iter()
                .filter(|s| {
                    Some(s.id) != b.unit.parent_id && actor.can(Action::ManageUnit, &s.path)
                })
                .map(|s| Opt {
                    value: s.id.to_string(),
                    label: s.name.clone(),
                })
                .collect(),
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let status = crate::page::status_of(error.as_ref());
    let page = OrgPage {
        nav: Nav::for_user(user),
        show_schools: matches!(
            b.unit.kind,
            UnitKind::City | UnitKind::District | UnitKind::Subdistrict
        ),
        show_inactive,
        can_manage: b.can_manage,
        can_edit,
        can_view_people: actor.can(Action::ViewAccounts, &b.unit.path),
        can_view_students: actor.can(Action::ViewStudents, &b.unit.path),
        is_class: b.unit.kind == UnitKind::Class,
        child_kind: child_kind
            .map(|k| k.as_str().to_owned())
            .unwrap_or_default(),
        child_kind_label: child_kind.map(|k| k.label().to_owned()).unwrap_or_default(),
        grade_options,
        stage_options: stage_options(),
        move_options,
        school_year: school_year(state.app.now()),
        unit: UnitView::of(&b.unit),
        ancestors: b.ancestors.iter().map(UnitView::of).collect(),
        children: b.children.iter().map(UnitView::of).collect(),
        notice,
        error: error.map(|e| e.message),
    };
    Ok((status, render(&page)?).into_response())
}

/// Runs a form action; on a user error, shows the page again with the message.
async fn act<T>(
    state: &AppState,
    user: &PageUser,
    id: i64,
    result: Result<T, Error>,
    done: impl FnOnce(T) -> String,
) -> PageResult<Response> {
    match result {
        Ok(v) => Ok(Redirect::to(&done(v)).into_response()),
        Err(e) if crate::page::is_user_error(&e) => {
            org_page(state, user, id, false, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct ChildForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    external_id: String,
    stages: Option<String>,
    grade: Option<String>,
    school_year: Option<String>,
}

async fn create_child(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ChildForm>,
) -> PageResult<Response> {
    let school_year = match f.school_year.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => match s.parse::<i64>() {
            Ok(y) => Some(y),
            Err(_) => {
                return org_page(
                    &state,
                    &user,
                    id,
                    false,
                    None,
                    Some(Error::invalid("school_year", "学年应为年份数字，如2026")),
                )
                .await;
            }
        },
    };
    let input = UnitInput {
        name: f.name,
        external_id: Some(f.external_id),
        stages: f.stages,
        grade: f.grade,
        school_year,
    };
    let r = org::create_child(&state.app, &user.ctx, id, &input).await;
    act(&state, &user, id, r, |u| {
        format!("/org/{}?msg=created", u.id)
    })
    .await
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct EditForm {
    name: String,
    stages: Option<String>,
}

async fn edit(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EditForm>,
) -> PageResult<Response> {
    let r = org::update(&state.app, &user.ctx, id, &f.name, f.stages.as_deref()).await;
    act(&state, &user, id, r, |u| format!("/org/{}?msg=saved", u.id)).await
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct MoveForm {
    #[serde(default)]
    parent_id: i64,
    /// `1` once the consequences were shown (the second step).
    #[serde(default)]
    confirm: String,
}

async fn move_unit(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<MoveForm>,
) -> PageResult<Response> {
    if f.parent_id <= 0 {
        let e = Error::invalid("parent_id", "请选择要调整到的镇(街)");
        return org_page(&state, &user, id, false, None, Some(e)).await;
    }
    if !crate::page::confirm::confirmed(&f.confirm) {
        let here = org::browse(&state.app, &user.ctx, id, false).await?;
        let to = org::browse(&state.app, &user.ctx, f.parent_id, false).await?;
        let from = here
            .ancestors
            .last()
            .map_or(String::new(), |a| a.name.clone());
        let u = &here.unit;
        let mut page = crate::page::confirm::Confirm::new(
            Nav::for_user(&user),
            format!("把{}调整到{}", u.name, to.unit.name),
            format!("/org/{id}/move"),
        );
        page.consequences = vec![
            format!(
                "{}（{} 个班级、{} 名学生、{} 位家长）从“{}”移到“{}”。",
                u.name, u.counts.classes, u.counts.students, u.counts.guardians, from, to.unit.name
            ),
            format!(
                "“{from}”的管理员将不再能看到和管理这所学校；“{}”及其上级的统计（开学第一课、必修课、诉求）随之调整。",
                to.unit.name
            ),
            "学校自己的账号、班级、诉求和历史记录不变。".into(),
        ];
        page.fields = vec![("parent_id".into(), f.parent_id.to_string())];
        page.button = "确认调整".into();
        page.cancel = format!("/org/{id}");
        return page.respond();
    }
    let r = org::move_unit(&state.app, &user.ctx, id, f.parent_id).await;
    act(&state, &user, id, r, |u| format!("/org/{}?msg=moved", u.id)).await
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

#[derive(serde::Deserialize, schemars::JsonSchema, Default)]
struct DeactivateForm {
    /// The unit's name, typed again on the second step.
    #[serde(default)]
    confirm_name: String,
    #[serde(default)]
    confirm: String,
}

async fn deactivate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DeactivateForm>,
) -> PageResult<Response> {
    let b = org::browse(&state.app, &user.ctx, id, false).await?;
    let u = &b.unit;
    let ask = |error: Option<String>| {
        let mut page = crate::page::confirm::Confirm::new(
            Nav::for_user(&user),
            format!("停用{}", u.name),
            format!("/org/{id}/deactivate"),
        );
        page.consequences = vec![
            format!(
                "{}及其下级全部停用：{} 所学校、{} 个班级、{} 名学生、{} 位家长。",
                u.name, u.counts.schools, u.counts.classes, u.counts.students, u.counts.guardians
            ),
            "这些单位的教职工和家长将不能再用这些单位办事，统计中不再计入；校门二维码不再受理新的诉求。".into(),
            "历史数据不会删除，可随时恢复启用。".into(),
        ];
        page.typed = Some((u.name.clone(), format!("请输入单位名称“{}”以确认", u.name)));
        page.button = "确认停用".into();
        page.cancel = format!("/org/{id}");
        page.error = error;
        page
    };
    if !crate::page::confirm::confirmed(&f.confirm) {
        return ask(None).respond();
    }
    let r = org::set_active(&state.app, &user.ctx, id, false, &f.confirm_name).await;
    if let Err(e) = &r
        && e.field == Some("confirm_name")
    {
        return ask(Some(e.message.clone())).respond();
    }
    act(&state, &user, id, r, |u| {
        format!("/org/{}?msg=deactivated&inactive=1", u.id)
    })
    .await
}

async fn activate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    let r = org::set_active(&state.app, &user.ctx, id, true, "").await;
    act(&state, &user, id, r, |u| {
        format!("/org/{}?msg=activated", u.id)
    })
    .await
}

/// The children of a unit with their counts, as a spreadsheet.
async fn children_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let b = org::browse(&state.app, &user.ctx, id, true).await?;
    let rows: Vec<Vec<String>> = b
        .children
        .iter()
        .map(|c| {
            let v = UnitView::of(c);
            vec![
                v.name,
                v.kind_label,
                c.external_id.clone().unwrap_or_default(),
                v.extra,
                if c.active {
                    "启用".into()
                } else {
                    "已停用".into()
                },
                c.counts.schools.to_string(),
                c.counts.classes.to_string(),
                c.counts.students.to_string(),
                c.counts.guardians.to_string(),
            ]
        })
        .collect();
    let headers = [
        "名称",
        "类型",
        "外部编号",
        "说明",
        "状态",
        "学校",
        "班级",
        "学生",
        "家长",
    ];
    let bytes = tongyu_service::sheet::write_xlsx("下级单位", &headers, &rows)?;
    Ok(crate::export::xlsx(
        &format!("units-{}.xlsx", b.unit.id),
        bytes,
    ))
}
