//! The audit log, for the audit administrator.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tongyu_domain::calendar::format_local;
use tongyu_service::audit;
use tongyu_service::audit::{AuditFilter, AuditRecord};

use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list))
        .route("/audit/export.csv", get(export))
        .route("/audit/export.xlsx", get(export_xlsx))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub object_id: String,
    pub before: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self, limit: i64) -> AuditFilter {
        AuditFilter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            object_id: self.object_id.clone(),
            before_seq: self.before.unwrap_or(0),
            limit,
            ..AuditFilter::default()
        }
    }
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    object: String,
    result: String,
    ip: String,
    detail: String,
}

fn row(r: &AuditRecord) -> Row {
    let e = &r.entry;
    Row {
        seq: r.seq,
        at: format_local(e.at),
        actor: e.actor.clone(),
        action: e.action.clone(),
        object: format!("{} {}", e.object_type, e.object_id),
        result: e.result.clone(),
        ip: e.ip.clone(),
        detail: e.detail.clone(),
    }
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    nav: Nav,
    actor: String,
    action: String,
    object_id: String,
    records: Vec<Row>,
    next_before: Option<i64>,
}

const PAGE: i64 = 100;

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<AuditQuery>,
) -> PageResult<Response> {
    let records = audit::search(&state.app, &user.ctx, &q.filter(PAGE)).await?;
    let next_before = if records.len() as i64 == PAGE {
        records.last().map(|r| r.seq)
    } else {
        None
    };
    let page = AuditPage {
        nav: Nav::for_user(&user),
        actor: q.actor,
        action: q.action,
        object_id: q.object_id,
        records: records.iter().map(row).collect(),
        next_before,
    };
    Ok(render(&page)?.into_response())
}

/// A CSV field, quoted; a leading formula character is neutralised so a
/// spreadsheet never runs what a user typed.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<AuditQuery>,
) -> PageResult<Response> {
    let records = audit::search_for_export(&state.app, &user.ctx, &q.filter(10_000)).await?;
    let mut out = format!("\u{feff}{}\n", EXPORT_HEADERS.join(","));
    for r in &records {
        out.push_str(
            &export_row(r)
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

fn export_row(r: &AuditRecord) -> Vec<String> {
    let e = &r.entry;
    vec![
        r.seq.to_string(),
        format_local(e.at),
        e.actor.clone(),
        e.action.clone(),
        e.object_type.clone(),
        e.object_id.clone(),
        e.unit_id.map(|u| u.to_string()).unwrap_or_default(),
        e.result.clone(),
        e.ip.clone(),
        e.request_id.clone(),
        e.detail.clone(),
        r.hash.clone(),
    ]
}

const EXPORT_HEADERS: [&str; 12] = [
    "序号",
    "时间",
    "操作人",
    "操作",
    "对象类型",
    "对象编号",
    "单位",
    "结果",
    "来源IP",
    "请求编号",
    "说明",
    "哈希",
];

async fn export_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<AuditQuery>,
) -> PageResult<Response> {
    let records = audit::search_for_export(&state.app, &user.ctx, &q.filter(10_000)).await?;
    let rows: Vec<Vec<String>> = records.iter().map(export_row).collect();
    let bytes = tongyu_service::sheet::write_xlsx("审计日志", &EXPORT_HEADERS, &rows)?;
    Ok(crate::export::xlsx("audit.xlsx", bytes))
}
