//! Integration tokens on a page: the 12345 hotline's system (and any other
//! the bureau connects) signs its calls with one. A new token is shown once,
//! on the page that made it; revoking one breaks the system that uses it,
//! so it takes a second step.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::Error;
use tongyu_domain::calendar::format_local_minute;
use tongyu_domain::policy::Action;
use tongyu_service::auth;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, is_user_error, render, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/integrations", get(list).post(create))
        .route("/integrations/{id}/revoke", post(revoke))
}

struct TokenView {
    id: i64,
    name: String,
    unit: String,
    created: String,
    revoked: String,
}

#[derive(Template)]
#[template(path = "account/integrations.html")]
struct IntegrationsPage {
    nav: Nav,
    tokens: Vec<TokenView>,
    /// Units the reader may issue a token for: (id, name).
    units: Vec<(i64, String)>,
    /// A token just made: (name, the token), shown this once.
    made: Option<(String, String)>,
    name: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn view(
    state: &AppState,
    user: &PageUser,
    made: Option<(String, String)>,
    notice: Option<String>,
    error: Option<Error>,
    name: String,
) -> PageResult<Response> {
    let tokens = auth::list_integration_tokens(&state.app, &user.ctx).await?;
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    let units: Vec<(i64, String)> = homes
        .into_iter()
        .filter(|u| user.ctx.actor.can(Action::ManageIntegrations, &u.path))
        .map(|u| (u.id, u.name))
        .collect();
    if units.is_empty() {
        return Err(PageError(Error::forbidden()));
    }
    let name_of = |id: i64| {
        units
            .iter()
            .find(|u| u.0 == id)
            .map_or_else(|| format!("单位 {id}"), |u| u.1.clone())
    };
    let page = IntegrationsPage {
        nav: Nav::for_user(user),
        tokens: tokens
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                unit: name_of(t.unit_id),
                created: format_local_minute(t.created_at),
                revoked: if t.revoked_at > 0 {
                    format_local_minute(t.revoked_at)
                } else {
                    String::new()
                },
            })
            .collect(),
        units,
        made,
        name,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

#[derive(serde::Deserialize, schemars::JsonSchema, Default)]
struct Msg {
    msg: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Query(q): axum::extract::Query<Msg>,
) -> PageResult<Response> {
    let notice = crate::page::notice(q.msg.as_deref());
    view(&state, &user, None, notice, None, String::new()).await
}

#[derive(serde::Deserialize, schemars::JsonSchema, Default)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit_id: i64,
}

async fn create(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<CreateForm>,
) -> PageResult<Response> {
    match auth::create_integration_token(&state.app, &user.ctx, &f.name, f.unit_id).await {
        // Shown on this answer only: not in a redirect, not kept anywhere.
        Ok((t, token)) => {
            view(
                &state,
                &user,
                Some((t.name, token)),
                None,
                None,
                String::new(),
            )
            .await
        }
        Err(e) if is_user_error(&e) => view(&state, &user, None, None, Some(e), f.name).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema, Default)]
struct RevokeForm {
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    name: String,
}

async fn revoke(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<RevokeForm>,
) -> PageResult<Response> {
    if !crate::page::confirm::confirmed(&f.confirm) {
        let mut page = crate::page::confirm::Confirm::new(
            Nav::for_user(&user),
            format!("吊销接口令牌“{}”", f.name),
            format!("/integrations/{id}/revoke"),
        );
        page.consequences = vec![
            "使用这个令牌的系统（如 12345 热线工单接口）会立即无法再调用平台，直到换上新令牌。"
                .into(),
            "已经送进来的工单和诉求不受影响。".into(),
        ];
        page.fields = vec![("name".into(), f.name.clone())];
        page.button = "确认吊销".into();
        page.cancel = "/integrations".into();
        return page.respond();
    }
    auth::revoke_integration_token(&state.app, &user.ctx, id).await?;
    Ok(Redirect::to("/integrations?msg=revoked").into_response())
}
