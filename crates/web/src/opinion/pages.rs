//! Opinion watch: the topics of a unit's appeals by week or month against
//! their baseline, urgent words and surges.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::PageResult;
use crate::extract::PageUser;
use crate::page::{Nav, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/appeals/opinion/{unit_id}", get(opinion))
        .route("/appeals/opinion/{unit_id}/topic", get(topic))
}

#[derive(Template)]
#[template(path = "opinion/report.html")]
struct OpinionPage {
    nav: Nav,
    r: tongyu_service::opinion::Report,
    max: i64,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct PeriodParams {
    #[serde(default)]
    period: String,
    #[serde(default)]
    word: String,
}

#[derive(Template)]
#[template(path = "opinion/topic.html")]
struct TopicPage {
    nav: Nav,
    t: tongyu_service::opinion::TopicAppeals,
}

async fn topic(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    Query(p): Query<PeriodParams>,
) -> PageResult<Response> {
    let period = tongyu_domain::opinion::Period::parse(&p.period);
    let t = tongyu_service::opinion::topic(&state.app, &user.ctx, unit_id, period, &p.word).await?;
    let page = TopicPage {
        nav: Nav::for_user(&user),
        t,
    };
    Ok(render(&page)?.into_response())
}

async fn opinion(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit_id): Path<i64>,
    Query(p): Query<PeriodParams>,
) -> PageResult<Response> {
    let period = tongyu_domain::opinion::Period::parse(&p.period);
    let r = tongyu_service::opinion::report(&state.app, &user.ctx, unit_id, period).await?;
    let max = r.topics.iter().map(|t| t.count).max().unwrap_or(1).max(1);
    let page = OpinionPage {
        nav: Nav::for_user(&user),
        r,
        max,
    };
    Ok(render(&page)?.into_response())
}
