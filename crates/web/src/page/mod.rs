//! What every module's pages share: the header, rendering, the "not found"
//! page, notices, select options, the CSRF token of visitors with no
//! session (`csrf`) and QR codes (`qr`). Pages are server-rendered, in
//! Simplified Chinese.

pub mod confirm;
pub mod csrf;
pub mod qr;

use askama::Template;
use axum::response::Html;
use tongyu_domain::Error;
use tongyu_domain::account::Role;
use tongyu_domain::policy::{Action, Actor};

use crate::error::{PageError, PageResult};
use crate::extract::PageUser;

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

/// The header of every page: who is signed in and where they may go.
#[derive(Default)]
pub struct Nav {
    pub signed_in: bool,
    pub display_name: String,
    pub csrf: String,
    pub links: Vec<NavLink>,
    /// The open appeals of a handler's inboxes, shown on the menu's entry.
    pub appeals: Option<tongyu_service::appeal::OpenCounts>,
}

impl Nav {
    pub fn for_user(user: &PageUser) -> Nav {
        let a = &user.session.actor;
        let mut links = Vec::new();
        if !a.scope(Action::ViewUnit).is_empty() {
            links.push(NavLink {
                href: "/org",
                label: "组织机构",
            });
        }
        if !a.scope(Action::Import).is_empty() {
            links.push(NavLink {
                href: "/imports",
                label: "批量导入",
            });
        }
        if !a.scope(Action::ViewUnit).is_empty() {
            links.push(NavLink {
                href: "/campaigns",
                label: "开学第一课",
            });
        }
        if !a.scope(Action::Contribute).is_empty()
            || !a.scope(Action::ReviewContributions).is_empty()
        {
            links.push(NavLink {
                href: "/contributions",
                label: "微课与教案",
            });
        }
        if !a.scope(Action::DeliverCourses).is_empty() || a.is_admin() {
            links.push(NavLink {
                href: "/delivery",
                label: "必修课",
            });
        }
        if !a.scope(Action::HandleAppeals).is_empty() {
            links.push(NavLink {
                href: "/appeals",
                label: "诉求办理",
            });
        }
        if !a.scope(Action::AuthorCourses).is_empty() || !a.scope(Action::PublishCourses).is_empty()
        {
            links.push(NavLink {
                href: "/courses",
                label: "课程管理",
            });
        }
        if a.has_role(Role::Parent) || a.grants.is_empty() {
            links.push(NavLink {
                href: "/learn",
                label: "家长课堂",
            });
            links.push(NavLink {
                href: "/library",
                label: "课程库",
            });
            links.push(NavLink {
                href: "/search",
                label: "搜索",
            });
            links.push(NavLink {
                href: "/my",
                label: "我的孩子",
            });
        } else {
            // Staff find courses and lessons as parents do.
            links.push(NavLink {
                href: "/library",
                label: "课程库",
            });
            links.push(NavLink {
                href: "/search",
                label: "搜索",
            });
        }
        if a.grants.iter().any(|g| {
            matches!(
                g.role,
                Role::CityAdmin | Role::DistrictAdmin | Role::Researcher
            )
        }) {
            links.push(NavLink {
                href: "/coordination",
                label: "协调小组",
            });
            links.push(NavLink {
                href: "/guidance",
                label: "指导中心",
            });
        }
        // Staff train, and so do committee chairs (parents with no staff
        // grant reach it from their home when they chair).
        if a.grants.iter().any(|g| g.role != Role::Parent) {
            links.push(NavLink {
                href: "/training",
                label: "培训",
            });
        }
        if !a.scope(Action::Contribute).is_empty() || !a.scope(Action::ManageStudios).is_empty() {
            links.push(NavLink {
                href: "/studios",
                label: "名师工作室",
            });
        }
        if !a.scope(Action::Contribute).is_empty()
            || !a.scope(Action::CertifyInstructors).is_empty()
            || !a.scope(Action::ManageWorkGroup).is_empty()
        {
            links.push(NavLink {
                href: "/certification",
                label: "指导师认定",
            });
        }
        if !a.scope(Action::RequestExperts).is_empty() || a.has_role(Role::Expert) {
            links.push(NavLink {
                href: "/experts",
                label: "专家库",
            });
        }
        if !a.scope(Action::ManageCommittees).is_empty() {
            links.push(NavLink {
                href: "/committees",
                label: "家委会",
            });
        }
        if !a.scope(Action::ManageWorkGroup).is_empty() {
            links.push(NavLink {
                href: "/work-group",
                label: "工作小组",
            });
        }
        if a.grants.iter().any(|g| g.role == Role::CityAdmin) {
            links.push(NavLink {
                href: "/plan",
                label: "行动计划",
            });
        }
        if !a.scope(Action::OperateJobs).is_empty() {
            links.push(NavLink {
                href: "/jobs",
                label: "后台任务",
            });
        }
        if !a.scope(Action::ManageIntegrations).is_empty() {
            links.push(NavLink {
                href: "/integrations",
                label: "接口令牌",
            });
        }
        if !a.scope(Action::ReadAudit).is_empty() {
            links.push(NavLink {
                href: "/audit",
                label: "审计日志",
            });
        }
        if !a.grants.is_empty() && a.grants.iter().any(|g| g.role.is_unit_admin()) {
            links.push(NavLink {
                href: "/activation",
                label: "账号激活",
            });
        }
        links.push(NavLink {
            href: "/manual",
            label: "使用手册",
        });
        links.push(NavLink {
            href: "/me",
            label: "我的账号",
        });
        // Before the second factor nothing but signing out leads anywhere.
        if user.session.second_factor_due {
            links.clear();
        }
        Nav {
            signed_in: true,
            display_name: user.session.account.display_name.clone(),
            csrf: user.session.csrf.clone(),
            links,
            appeals: user.appeals,
        }
    }
}

/// Renders a template into a page.
pub fn render<T: Template>(t: &T) -> PageResult<Html<String>> {
    t.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "template failed");
        PageError(Error::internal())
    })
}

/// Any address that is not a page: a Chinese "not found" page.
pub async fn not_found() -> PageError {
    PageError(Error::with_message(
        tongyu_domain::ErrorCode::NotFound,
        "您要找的页面不存在",
    ))
}

/// A posted form's field, or empty.
pub fn field(f: &std::collections::HashMap<String, String>, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

/// An error the form is shown again for, with what was typed: bad input
/// or a clash. A refusal or a missing object replaces the page instead.
pub fn shown_on_form(e: &Error) -> bool {
    matches!(
        e.code,
        tongyu_domain::ErrorCode::ValidationFailed | tongyu_domain::ErrorCode::Conflict
    )
}

/// An error the user can mend (bad input, a clash, a refusal): the page is
/// shown again with the message rather than replaced by an error page.
pub fn is_user_error(e: &Error) -> bool {
    matches!(
        e.code,
        tongyu_domain::ErrorCode::ValidationFailed
            | tongyu_domain::ErrorCode::Conflict
            | tongyu_domain::ErrorCode::Forbidden
    )
}

/// The status of a page shown again with a user's error (200 without one).
pub fn status_of(error: Option<&tongyu_domain::Error>) -> axum::http::StatusCode {
    error.map_or(axum::http::StatusCode::OK, |e| {
        axum::http::StatusCode::from_u16(e.code.http_status())
            .unwrap_or(axum::http::StatusCode::BAD_REQUEST)
    })
}

/// A select option.
pub struct Opt {
    pub value: String,
    pub label: String,
}

/// A course's subjects as a select's options.
pub fn subject_options() -> Vec<Opt> {
    tongyu_domain::course::Subject::ALL
        .iter()
        .map(|s| Opt {
            value: s.as_str().into(),
            label: s.label().into(),
        })
        .collect()
}

/// A course's categories as a select's options.
pub fn category_options() -> Vec<Opt> {
    tongyu_domain::course::Category::ALL
        .iter()
        .map(|c| Opt {
            value: c.as_str().into(),
            label: c.label().into(),
        })
        .collect()
}

/// The school stages as a select's options.
pub fn stage_options() -> Vec<Opt> {
    tongyu_domain::org::Stage::ALL
        .iter()
        .map(|s| Opt {
            value: s.as_str().into(),
            label: s.label().into(),
        })
        .collect()
}

/// The roles the actor could grant on a unit of this kind and path.
pub fn grantable_roles(actor: &Actor, kind: tongyu_domain::org::UnitKind, path: &str) -> Vec<Opt> {
    Role::ALL
        .into_iter()
        .filter(|r| actor.may_grant(*r, kind, path))
        .map(|r| Opt {
            value: r.as_str().into(),
            label: r.label().into(),
        })
        .collect()
}

/// Only a path of this site may follow a login, never another site.
/// Browsers drop tabs and line breaks from a URL and read `\\` as `/`, so
/// `/<tab>/host` would become `//host`: any control character or backslash
/// refuses the whole value, and so does a second leading slash.
pub fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2048
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if local { next.to_owned() } else { "/".into() }
}

/// A message to show after a redirect, chosen by a fixed key.
pub fn notice(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "created" => "已创建。",
        "saved" => "已保存。",
        "moved" => "已调整。",
        "deactivated" => "已停用。",
        "activated" => "已恢复启用。",
        "unlocked" => "已解除锁定。",
        "factor_reset" => "已重置动态口令，对方下次登录时重新设置。",
        "granted" => "已增加角色。",
        "revoked" => "已撤销。",
        "removed" => "已移除。",
        "confirmed" => "已确认绑定。",
        "rejected" => "已拒绝。",
        "invited" => "已生成新的邀请码。",
        "requested" => "已提交，请等待班主任确认。",
        _ => return None,
    };
    Some(text.to_owned())
}
