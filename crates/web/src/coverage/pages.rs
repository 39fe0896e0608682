//! The coverage board on a page: a unit's schools with a coordinator, a
//! full work group and this term's plan, and the units below it, those with
//! the most gaps first; each drills down, a school to its work group.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tongyu_domain::org::UnitKind;
use tongyu_service::coverage::{self, Board, Row};

use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coverage/{unit}", get(show))
        .route("/coverage/{unit}/export.xlsx", get(export))
}

struct Cell {
    label: String,
    have: i64,
    missing: i64,
}

struct RowView {
    id: i64,
    name: String,
    schools: i64,
    is_school: bool,
    gaps: i64,
    cells: Vec<Cell>,
}

fn view(b: &Board, r: &Row) -> RowView {
    RowView {
        id: r.unit_id,
        name: r.name.clone(),
        schools: r.schools,
        is_school: r.kind == UnitKind::School,
        gaps: r.gaps(),
        cells: b
            .columns
            .iter()
            .zip(r.have.iter().zip(r.missing()))
            .map(|(c, (have, missing))| Cell {
                label: c.label.clone(),
                have: *have,
                missing,
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "coverage/board.html")]
struct BoardPage {
    nav: Nav,
    ancestors: Vec<(i64, String)>,
    term_label: String,
    min_members: i64,
    rows_kind: &'static str,
    top: RowView,
    rows: Vec<RowView>,
    b: Board,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let b = coverage::board(&state.app, &user.ctx, unit).await?;
    let ancestors = tongyu_service::org::crumbs(&state.app, &user.ctx, unit).await?;
    let (year, term) = tongyu_service::work_group::current_term(&state.app);
    let plan = tongyu_service::plan::current(&state.app).await?;
    let page = BoardPage {
        nav: Nav::for_user(&user),
        ancestors,
        term_label: tongyu_domain::work_group::term_label(year, term),
        min_members: plan.work_group_min,
        rows_kind: b.rows.first().map_or("", |r| r.kind.label()),
        top: view(&b, &b.top),
        rows: b.rows.iter().map(|r| view(&b, r)).collect(),
        b,
    };
    Ok(render(&page)?.into_response())
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let b = coverage::board(&state.app, &user.ctx, unit).await?;
    let mut headers = vec!["单位".to_owned(), "类型".to_owned(), "学校数".to_owned()];
    for c in &b.columns {
        headers.push(c.label.clone());
        headers.push(format!("{}（缺）", c.label));
    }
    let line = |r: &Row| {
        let mut v = vec![
            r.name.clone(),
            r.kind.label().to_owned(),
            r.schools.to_string(),
        ];
        for (have, missing) in r.have.iter().zip(r.missing()) {
            v.push(have.to_string());
            v.push(missing.to_string());
        }
        v
    };
    let mut table = vec![line(&b.top)];
    table.extend(b.rows.iter().map(line));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let bytes = tongyu_service::sheet::write_xlsx("学校组织覆盖", &headers, &table)?;
    Ok(crate::export::xlsx(&format!("coverage-{unit}.xlsx"), bytes))
}
