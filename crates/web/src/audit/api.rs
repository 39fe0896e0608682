//! The audit log, for the audit administrator.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tongyu_service::audit;

use crate::AppState;
use crate::api::ApiQuery;
use crate::error::ApiResult;
use crate::extract::ApiUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_log))
}

#[derive(serde::Deserialize, Default)]
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
) -> ApiResult<Json<Value>> {
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
    let items = audit::search(&state.app, &user.ctx, &filter).await?;
    Ok(Json(json!({ "items": items })))
}
