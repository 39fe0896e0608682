//! The audit log, for the audit administrator.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use tongyu_service::audit::{self, AuditRecord};

use crate::AppState;
use crate::api::{ApiQuery, Items};
use crate::error::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::Operation as Op;

pub fn operations() -> Vec<Op> {
    vec![
        Op::get(
            "/audit",
            "审计日志（审计管理员）：按操作人、动作、对象、时间筛选，before 翻页",
        )
        .query::<AuditQuery>()
        .returns::<Items<AuditRecord>>(200),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_log))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    object_id: String,
    from: Option<i64>,
    to: Option<i64>,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn audit_log(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Items<AuditRecord>>> {
    let filter = tongyu_service::audit::AuditFilter {
        actor: q.actor,
        action: q.action,
        object_type: q.object_type,
        object_id: q.object_id,
        from: q.from.unwrap_or(0),
        to: q.to.unwrap_or(0),
        before_seq: q.before.unwrap_or(0),
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    };
    Ok(Items::of(
        audit::search(&state.app, &user.ctx, &filter).await?,
    ))
}
