//! Instructor certification on pages: the reader's ladder, evidence and
//! application; the reviewers' queue and an application's page; the city's
//! settings of the ladder; a certificate with its QR code; the public
//! verification page; a school's instructor per grade; the gaps of a unit
//! and the certificates held in it, each exported to .xlsx.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tongyu_domain::calendar::{format_local_minute, local_day};
use tongyu_domain::certification::{Level, Validity};
use tongyu_domain::{Error, ErrorCode};
use tongyu_service::certification::{
    self as certification, ApplicationView, Certificate, CertificateView, Overview,
    PublicCertificate,
};
use tongyu_service::grade_instructor::{self, Gaps, SchoolGrades};
use tongyu_service::work_group::Who;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{CsrfForm, PageUser};
use crate::page::{Nav, field, notice, render, shown_on_form, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/certification", get(hub).post(apply))
        .route("/certification/levels", get(levels).post(save_level))
        .route("/certification/to-review.xlsx", get(to_review_xlsx))
        .route("/certification/applications/{id}", get(application))
        .route("/certification/applications/{id}/decision", post(decide))
        .route("/certification/applications/{id}/withdraw", post(withdraw))
        .route("/certificates/{id}", get(certificate))
        .route("/certificates/{id}/revoke", post(revoke))
        .route("/certification/units/{id}", get(unit_certificates))
        .route(
            "/certification/units/{id}/export.xlsx",
            get(unit_certificates_xlsx),
        )
        .route("/certification/grades/{school}", get(grades).post(assign))
        .route("/certification/grades/{school}/remove", post(unassign))
        .route("/certification/gaps/{unit}", get(gaps))
        .route("/certification/gaps/{unit}/export.xlsx", get(gaps_xlsx))
        .route("/cert", get(lookup))
        .route("/cert/{serial}", get(verify))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ShowQuery {
    msg: Option<String>,
}

fn day(ts: i64) -> String {
    tongyu_domain::calendar::format_date(local_day(ts))
}

fn tenths(t: i64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// "ABCDE-FGHJK-MNPQR": a serial as printed.
fn grouped(serial: &str) -> String {
    tongyu_domain::appeal::format_tracking_code(serial)
}

#[derive(Template)]
#[template(path = "certification/hub.html")]
struct HubPage {
    nav: Nav,
    o: Overview,
    now: i64,
    statement: String,
    notice: Option<String>,
    error: Option<String>,
}

impl HubPage {
    fn level_name(&self, rank: &i64) -> String {
        self.o
            .levels
            .iter()
            .find(|l| l.rank == *rank)
            .map(|l| l.name.clone())
            .unwrap_or_default()
    }
    fn validity(&self, c: &Certificate) -> &'static str {
        Validity::of(c.valid_until, c.revoked_at, self.now).label()
    }
}

async fn hub_page(
    state: &AppState,
    user: &PageUser,
    statement: String,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let page = HubPage {
        nav: Nav::for_user(user),
        o: certification::overview(&state.app, &user.ctx).await?,
        now: state.app.now(),
        statement,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn hub(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("withdrawn") => Some("申请已撤回。".to_owned()),
        Some("levels") => Some("等级设置已保存。".to_owned()),
        other => notice(other),
    };
    hub_page(&state, &user, String::new(), notice, None).await
}

async fn apply(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let statement = field(&f, "statement");
    let result = match field(&f, "level").trim().parse::<i64>() {
        Ok(level) => certification::apply(&state.app, &user.ctx, level, &statement).await,
        Err(_) => Err(Error::invalid("level", "请选择要申请的等级")),
    };
    match result {
        Ok(id) => Ok(
            Redirect::to(&format!("/certification/applications/{id}?msg=submitted"))
                .into_response(),
        ),
        Err(e) if shown_on_form(&e) => hub_page(&state, &user, statement, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "certification/levels.html")]
struct LevelsPage {
    nav: Nav,
    levels: Vec<Level>,
    error: Option<String>,
    /// The rank whose form the error belongs to.
    error_rank: i64,
}

impl LevelsPage {
    fn tenths(&self, t: &i64) -> String {
        tenths(*t)
    }
}

async fn levels(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let o = certification::overview(&state.app, &user.ctx).await?;
    if !o.may_edit_ladder {
        return Err(PageError(Error::forbidden()));
    }
    let page = LevelsPage {
        nav: Nav::for_user(&user),
        levels: o.levels,
        error: None,
        error_rank: 0,
    };
    Ok(render(&page)?.into_response())
}

fn number(f: &HashMap<String, String>, k: &'static str, what: &str) -> Result<i64, Error> {
    field(f, k)
        .trim()
        .parse()
        .map_err(|_| Error::invalid(k, format!("{what}应为整数")))
}

async fn save_level(
    State(state): State<AppState>,
    user: PageUser,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let rank = number(&f, "rank", "等级").unwrap_or(0);
    let parsed = (|| {
        let rating = field(&f, "min_rating");
        let rating = rating.trim();
        let min_rating_tenths = if rating.is_empty() {
            0
        } else {
            let v: f64 = rating.parse().map_err(|_| {
                Error::invalid("min_rating_tenths", "家长评分应为 0 至 5 之间的数，如 4.3")
            })?;
            (v * 10.0).round() as i64
        };
        Ok::<_, Error>(Level {
            rank,
            code: String::new(),
            name: field(&f, "name"),
            min_training_hours: number(&f, "min_training_hours", "培训学时")?,
            min_sessions_held: number(&f, "min_sessions_held", "授课场次")?,
            min_rating_tenths,
            min_lectures: number(&f, "min_lectures", "讲座次数")?,
            needs_studio: field(&f, "needs_studio") == "1",
            valid_years: number(&f, "valid_years", "有效期")?,
            renewal_hours: number(&f, "renewal_hours", "续期学时")?,
        })
    })();
    let result = match parsed {
        Ok(l) => certification::update_level(&state.app, &user.ctx, l)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/certification?msg=levels").into_response()),
        Err(e) if shown_on_form(&e) => {
            let page = LevelsPage {
                nav: Nav::for_user(&user),
                levels: certification::ladder(&state.app).await?,
                error: Some(e.message.clone()),
                error_rank: rank,
            };
            Ok((status_of(Some(&e)), render(&page)?).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "certification/application.html")]
struct ApplicationPage {
    nav: Nav,
    v: ApplicationView,
    submitted: String,
    district_at: String,
    city_at: String,
    note: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn application_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    note: String,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let v = certification::application(&state.app, &user.ctx, id).await?;
    let at = |ts: i64| {
        if ts > 0 {
            format_local_minute(ts)
        } else {
            String::new()
        }
    };
    let page = ApplicationPage {
        nav: Nav::for_user(user),
        submitted: at(v.application.created_at),
        district_at: at(v.application.district_at),
        city_at: at(v.application.city_at),
        v,
        note,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn application(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("submitted") => {
            Some("申请已提交，先由所在区(市)教育局审核，再由市教育局认定。".to_owned())
        }
        Some("decided") => Some("审核意见已保存。".to_owned()),
        other => notice(other),
    };
    application_page(&state, &user, id, String::new(), notice, None).await
}

async fn decide(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let note = field(&f, "note");
    let approve = field(&f, "approve") == "1";
    match certification::decide(&state.app, &user.ctx, id, approve, &note).await {
        Ok(d) => match d.certificate_id {
            Some(c) => Ok(Redirect::to(&format!("/certificates/{c}?msg=issued")).into_response()),
            None => Ok(
                Redirect::to(&format!("/certification/applications/{id}?msg=decided"))
                    .into_response(),
            ),
        },
        Err(e) if shown_on_form(&e) || e.code == ErrorCode::Forbidden => {
            application_page(&state, &user, id, note, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
struct Empty {}

async fn withdraw(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult<Response> {
    match certification::withdraw(&state.app, &user.ctx, id).await {
        Ok(()) => Ok(Redirect::to("/certification?msg=withdrawn").into_response()),
        Err(e) if shown_on_form(&e) => {
            application_page(&state, &user, id, String::new(), None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "certification/certificate.html")]
struct CertificatePage {
    nav: Nav,
    v: CertificateView,
    serial: String,
    verify_url: String,
    qr_svg: String,
    issued: String,
    until: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn certificate_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let v = certification::certificate(&state.app, &user.ctx, id).await?;
    let verify_url = format!(
        "{}/cert/{}",
        state.config.public_url.trim_end_matches('/'),
        v.certificate.serial
    );
    let page = CertificatePage {
        nav: Nav::for_user(user),
        serial: grouped(&v.certificate.serial),
        qr_svg: crate::page::qr::qr_svg(&verify_url),
        verify_url,
        issued: day(v.certificate.issued_at),
        until: day(v.certificate.valid_until),
        v,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn certificate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    let notice = match q.msg.as_deref() {
        Some("issued") => Some("已认定并发证。证书的二维码可打印在纸质证书上供查验。".to_owned()),
        Some("revoked") => Some("证书已撤销，扫码验证将显示“已撤销”。".to_owned()),
        other => notice(other),
    };
    certificate_page(&state, &user, id, notice, None).await
}

async fn revoke(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    match certification::revoke(
        &state.app,
        &user.ctx,
        id,
        &field(&f, "reason"),
        &field(&f, "confirm"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/certificates/{id}?msg=revoked")).into_response()),
        Err(e) if shown_on_form(&e) => certificate_page(&state, &user, id, None, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

struct CertLine {
    id: i64,
    holder: String,
    unit: String,
    level: String,
    until: String,
    validity: &'static str,
}

fn cert_lines(list: &[Certificate], now: i64) -> Vec<CertLine> {
    list.iter()
        .map(|c| CertLine {
            id: c.id,
            holder: c.holder_name.clone(),
            unit: c.unit_name.clone(),
            level: c.level_name.clone(),
            until: day(c.valid_until),
            validity: Validity::of(c.valid_until, c.revoked_at, now).label(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "certification/unit.html")]
struct UnitPage {
    nav: Nav,
    unit_id: i64,
    ancestors: Vec<(i64, String)>,
    lines: Vec<CertLine>,
    by_level: Vec<(String, i64)>,
}

async fn unit_certificates(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let list = certification::certificates(&state.app, &user.ctx, id).await?;
    let now = state.app.now();
    let levels = certification::ladder(&state.app).await?;
    let by_level = levels
        .iter()
        .rev()
        .map(|l| {
            (
                l.name.clone(),
                list.iter()
                    .filter(|c| {
                        c.level_rank == l.rank
                            && Validity::of(c.valid_until, c.revoked_at, now) == Validity::Valid
                    })
                    .count() as i64,
            )
        })
        .collect();
    let page = UnitPage {
        nav: Nav::for_user(&user),
        unit_id: id,
        ancestors: tongyu_service::org::crumbs(&state.app, &user.ctx, id).await?,
        lines: cert_lines(&list, now),
        by_level,
    };
    Ok(render(&page)?.into_response())
}

async fn unit_certificates_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let list = certification::certificates(&state.app, &user.ctx, id).await?;
    let rows: Vec<Vec<String>> = cert_lines(&list, state.app.now())
        .into_iter()
        .zip(&list)
        .map(|(l, c)| {
            vec![
                l.holder,
                l.unit,
                l.level,
                grouped(&c.serial),
                day(c.issued_at),
                l.until,
                l.validity.to_owned(),
            ]
        })
        .collect();
    let bytes = tongyu_service::sheet::write_xlsx(
        "持证人员",
        &[
            "姓名",
            "单位",
            "等级",
            "证书编号",
            "发证日期",
            "有效期至",
            "状态",
        ],
        &rows,
    )?;
    Ok(crate::export::xlsx(
        &format!("certificates-{id}.xlsx"),
        bytes,
    ))
}

#[derive(Template)]
#[template(path = "certification/grades.html")]
struct GradesPage {
    nav: Nav,
    g: SchoolGrades,
    chosen: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn grades_page(
    state: &AppState,
    user: &PageUser,
    school: i64,
    chosen: String,
    notice: Option<String>,
    error: Option<Error>,
) -> PageResult<Response> {
    let page = GradesPage {
        nav: Nav::for_user(user),
        g: grade_instructor::school_grades(&state.app, &user.ctx, school).await?,
        chosen,
        notice,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn grades(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    grades_page(
        &state,
        &user,
        school,
        String::new(),
        notice(q.msg.as_deref()),
        None,
    )
    .await
}

async fn assign(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let grade = field(&f, "grade");
    let result = match field(&f, "account_id").trim().parse::<i64>() {
        Ok(a) => {
            grade_instructor::assign(&state.app, &user.ctx, school, &grade, &Who::Account(a)).await
        }
        Err(_) => Err(Error::invalid("member", "请选择一位本校教职工")),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/certification/grades/{school}?msg=saved")).into_response())
        }
        Err(e) if shown_on_form(&e) => {
            grades_page(&state, &user, school, grade, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn unassign(
    State(state): State<AppState>,
    user: PageUser,
    Path(school): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> PageResult<Response> {
    let grade = field(&f, "grade");
    match grade_instructor::unassign(&state.app, &user.ctx, school, &grade).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/certification/grades/{school}?msg=saved")).into_response())
        }
        Err(e) if shown_on_form(&e) => {
            grades_page(&state, &user, school, grade, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "certification/gaps.html")]
struct GapsPage {
    nav: Nav,
    ancestors: Vec<(i64, String)>,
    g: Gaps,
}

impl GapsPage {
    /// Fewer schools listed than have gaps.
    fn partial(&self) -> bool {
        (self.g.lines.len() as i64) < self.g.schools_with_gaps
    }
}

/// Schools listed on the gaps page (the export lists all).
const GAPS_ON_PAGE: i64 = 200;

async fn gaps(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let page = GapsPage {
        nav: Nav::for_user(&user),
        ancestors: tongyu_service::org::crumbs(&state.app, &user.ctx, unit).await?,
        g: grade_instructor::gaps(&state.app, &user.ctx, unit, GAPS_ON_PAGE).await?,
    };
    Ok(render(&page)?.into_response())
}

async fn gaps_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(unit): Path<i64>,
) -> PageResult<Response> {
    let g = grade_instructor::gaps(&state.app, &user.ctx, unit, 100_000).await?;
    let rows: Vec<Vec<String>> = g
        .lines
        .iter()
        .map(|l| {
            vec![
                l.school_name.clone(),
                l.missing.len().to_string(),
                l.missing.join("、"),
            ]
        })
        .collect();
    let bytes = tongyu_service::sheet::write_xlsx(
        "年级指导教师缺口",
        &["学校", "缺少年级数", "未配备指导教师的年级"],
        &rows,
    )?;
    Ok(crate::export::xlsx(
        &format!("grade-instructor-gaps-{unit}.xlsx"),
        bytes,
    ))
}

#[derive(Template)]
#[template(path = "certification/verify.html")]
struct VerifyPage {
    nav: Nav,
    typed: String,
    c: Option<PublicCertificate>,
    serial: String,
    issued: String,
    until: String,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct LookupQuery {
    serial: Option<String>,
}

async fn lookup(
    State(state): State<AppState>,
    Query(q): Query<LookupQuery>,
) -> PageResult<Response> {
    match q.serial.filter(|s| !s.trim().is_empty()) {
        Some(s) => verify_page(&state, s).await,
        None => {
            let page = VerifyPage {
                nav: Nav::default(),
                typed: String::new(),
                c: None,
                serial: String::new(),
                issued: String::new(),
                until: String::new(),
                error: None,
            };
            Ok(render(&page)?.into_response())
        }
    }
}

async fn verify_page(state: &AppState, typed: String) -> PageResult<Response> {
    let (c, error) = match certification::verify(&state.app, &typed).await {
        Ok(c) => (Some(c), None),
        Err(e) if e.code == ErrorCode::NotFound => (
            None,
            Some(Error::with_message(
                ErrorCode::NotFound,
                "没有查到这个编号的证书。请核对证书上的 15 位编号（不区分大小写，可省略横线）。",
            )),
        ),
        Err(e) => return Err(PageError(e)),
    };
    let page = VerifyPage {
        nav: Nav::default(),
        serial: c.as_ref().map(|c| grouped(&c.serial)).unwrap_or_default(),
        issued: c.as_ref().map(|c| day(c.issued_at)).unwrap_or_default(),
        until: c.as_ref().map(|c| day(c.valid_until)).unwrap_or_default(),
        typed,
        c,
        error: error.as_ref().map(|e| e.message.clone()),
    };
    Ok((status_of(error.as_ref()), render(&page)?).into_response())
}

async fn verify(State(state): State<AppState>, Path(serial): Path<String>) -> PageResult<Response> {
    verify_page(&state, serial).await
}

/// The applications waiting for the reader's review, as a workbook.
async fn to_review_xlsx(State(state): State<AppState>, user: PageUser) -> PageResult<Response> {
    let o = certification::overview(&state.app, &user.ctx).await?;
    tongyu_service::audit::append_alone(
        &state.app,
        &tongyu_service::audit::entry(
            &state.app,
            &user.ctx,
            "certification.export",
            "certification_application",
            0,
            None,
            format!("{} 份", o.to_review.len()),
        ),
    )
    .await?;
    let level = |rank: i64| {
        o.levels
            .iter()
            .find(|l| l.rank == rank)
            .map(|l| l.name.clone())
            .unwrap_or_default()
    };
    let rows: Vec<Vec<String>> = o
        .to_review
        .iter()
        .map(|a| {
            let e = &a.evidence;
            vec![
                a.name.clone(),
                a.unit_name.clone(),
                format!(
                    "{}{}",
                    level(a.level_rank),
                    if a.renewal { "（续期）" } else { "" }
                ),
                a.status.label().to_owned(),
                format_local_minute(a.created_at),
                e.training_hours.to_string(),
                e.sessions_held.to_string(),
                if e.ratings > 0 {
                    tenths(e.rating_tenths)
                } else {
                    String::new()
                },
                e.lectures.to_string(),
                if e.in_studio { "是" } else { "否" }.to_owned(),
            ]
        })
        .collect();
    let bytes = tongyu_service::sheet::write_xlsx(
        "待审核的认定申请",
        &[
            "姓名",
            "单位",
            "申请等级",
            "状态",
            "提交时间",
            "培训学时",
            "授课场次",
            "家长评分",
            "讲座",
            "工作室成员",
        ],
        &rows,
    )?;
    Ok(crate::export::xlsx("certification-to-review.xlsx", bytes))
}
