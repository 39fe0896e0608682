//! The activation board on a page: a unit's staff and parents, how many
//! signed in within 30 days, how many parents are bound to their children;
//! the units below with the fewest parents confirmed first.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tongyu_domain::Error;
use tongyu_domain::coverage::percent;
use tongyu_service::activation::{self, Row};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::PageUser;
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/activation", get(hub))
        .route("/activation/{unit}", get(board))
        .route("/activation/{unit}/export.xlsx", get(export))
}

async fn hub(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let homes = tongyu_service::org::home_units(&state.app, &user.ctx).await?;
    let Some(u) = homes.first() else {
        return Err(PageError(Error::forbidden()));
    };
    Ok(Redirect::to(&format!("/activation/{}", u.id)).into_response())
}

struct Line {
    id: i64,
    name: String,
    staff: i64,
    staff_active: i64,
    staff_pct: i64,
    parents: i64,
    bound: i64,
    bound_pct: i64,
    parents_active: i64,
    active_pct: i64,
}

fn line(r: &Row) -> Line {
    let k = r.counts;
    Line {
        id: r.unit_id,
        name: r.name.clone(),
        staff: k.staff,
        staff_active: k.staff_active,
        staff_pct: percent(k.staff_active, k.staff),
        parents: k.parents,
        bound: k.parents_bound,
        bound_pct: percent(k.parents_bound, k.parents),
        parents_active: k.parents_active,
        active_pct: percent(k.parents_active, k.parents),
    }
}

#[derive(Template)]
#[template(path = "activation/board.html")]
struct BoardPage {
    nav: Nav,
    ancestors: Vec<(i64, String)>,
    top: Line,
    rows: Vec<Line>,
    rows_kind: &'static str,
    computed_at: String,
}

async fn board(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let b = activation::board(&state.app, &user.ctx, unit).await?;
    let page = BoardPage {
        nav: Nav::for_user(&user),
        ancestors: tongyu_service::org::crumbs(&state.app, &user.ctx, unit).await?,
        top: line(&b.top),
        rows_kind: b.rows.first().map_or("", |r| r.kind.label()),
        rows: b.rows.iter().map(line).collect(),
        computed_at: if b.computed_at > 0 {
            tongyu_domain::calendar::format_local_minute(b.computed_at)
        } else {
            String::new()
        },
    };
    Ok(render(&page)?.into_response())
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let b = activation::board(&state.app, &user.ctx, unit).await?;
    let row = |r: &Row| {
        let k = r.counts;
        vec![
            r.name.clone(),
            k.staff.to_string(),
            k.staff_active.to_string(),
            k.parents.to_string(),
            k.parents_bound.to_string(),
            k.parents_active.to_string(),
        ]
    };
    let mut rows = vec![row(&b.top)];
    rows.extend(b.rows.iter().map(row));
    let bytes = tongyu_service::sheet::write_xlsx(
        "账号激活",
        &[
            "单位",
            "教职工账号",
            "近30天登录",
            "家长账号",
            "已确认绑定",
            "近30天登录",
        ],
        &rows,
    )?;
    Ok(crate::export::xlsx(
        &format!("activation-{unit}.xlsx"),
        bytes,
    ))
}
