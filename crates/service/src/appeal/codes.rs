//! The two gate codes of each school (school and bureau): where a code
//! leads, listing and rotating them.

use super::*;

/// What a scanned code leads to.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CodeTarget {
    pub token: String,
    pub kind: CodeKind,
    pub school_id: i64,
    pub school_name: String,
    /// Who reads what is written: the school or the district bureau.
    pub addressee: String,
    /// Set when the code was replaced: the token of the current one.
    pub replaced_by: Option<String>,
    /// A replaced code still takes appeals until then (a grace period).
    pub retires_at: i64,
}

impl CodeTarget {
    /// The code takes appeals at `now`: current, or replaced and still
    /// inside its grace period.
    pub fn takes_appeals(&self, now: i64) -> bool {
        self.replaced_by.is_none() || now < self.retires_at
    }
}

/// Where a gate code's appeals go: the target as the form shows it, the
/// school and its district.
#[derive(Debug, Clone)]
pub struct Route {
    pub target: CodeTarget,
    pub school: Unit,
    pub district: Unit,
}

/// Resolves a code from the gate (from a short-lived cache: the form and
/// every submission ask). An unknown token is not found; a replaced one
/// names its replacement.
pub async fn route(app: &App, token: &str) -> Result<std::sync::Arc<Route>> {
    let not_found = || {
        Error::with_message(
            ErrorCode::NotFound,
            "二维码无效：请核对后重新扫描学校门口张贴的二维码",
        )
    };
    if token.is_empty() || token.len() > 64 {
        return Err(not_found());
    }
    if let Some(r) = app.caches.codes.get(&token.to_owned()) {
        return Ok(r);
    }
    let mut c = app.db.read().await?;
    let code = store::code_by_token(&mut c, token)
        .await?
        .ok_or_else(not_found)?;
    let school = units::get(&mut c, code.school_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(not_found)?;
    let district = unit_for_level(&mut c, &school, Level::District).await?;
    let addressee = match code.kind {
        CodeKind::School => school.name.clone(),
        CodeKind::Bureau => format!("{}教育局", district.name),
    };
    let mut replaced_by = None;
    let mut next = code.replaced_by;
    let mut hops = 0;
    while next > 0 && hops < 100 {
        let n = store::code_by_id(&mut c, next)
            .await?
            .ok_or_else(Error::internal)?;
        replaced_by = Some(n.token.clone());
        next = n.replaced_by;
        hops += 1;
    }
    let r = std::sync::Arc::new(Route {
        target: CodeTarget {
            token: code.token,
            kind: code.kind,
            school_id: school.id,
            school_name: school.name.clone(),
            addressee,
            replaced_by,
            retires_at: code.retires_at,
        },
        school,
        district,
    });
    app.caches.codes.put(token.to_owned(), r.clone());
    Ok(r)
}

/// Resolves a code from the gate.
pub async fn resolve_code(app: &App, token: &str) -> Result<CodeTarget> {
    Ok(route(app, token).await?.target.clone())
}

/// A school's two current codes, made on first ask.
pub async fn school_codes(app: &App, ctx: &Ctx, school_id: i64) -> Result<Vec<store::Code>> {
    let school =
        crate::access::unit_of_kind(app, ctx, school_id, UnitKind::School, Action::ManageAppeals)
            .await?;
    let mut c = app.db.read().await?;
    let have = store::current_codes(&mut c, school.id).await?;
    drop(c);
    if have.len() == CodeKind::ALL.len() {
        return Ok(have);
    }
    let now = app.now();
    let mut tx = app.db.write().await?;
    let have = store::current_codes(&mut tx, school.id).await?;
    for kind in CodeKind::ALL {
        if !have.iter().any(|k| k.kind == kind) {
            store::insert_code(
                &mut tx,
                &random_token(18),
                school.id,
                kind,
                ctx.actor.account_id,
                now,
            )
            .await?;
        }
    }
    let out = store::current_codes(&mut tx, school.id).await?;
    audit::commit_audited(
        tx,
        &audit::entry(
            app,
            ctx,
            "appeal.codes_issued",
            "unit",
            school.id,
            Some(school.id),
            "",
        ),
    )
    .await?;
    Ok(out)
}

/// Replaces one of a school's codes (posters reprinted, or one copied
/// somewhere it should not be). The old code points to the new one and
/// keeps taking appeals for the grace period, unless `at_once` (a code
/// misused) stops it now.
pub async fn rotate_code(
    app: &App,
    ctx: &Ctx,
    school_id: i64,
    kind: CodeKind,
    at_once: bool,
) -> Result<store::Code> {
    let codes = school_codes(app, ctx, school_id).await?;
    let old = codes
        .iter()
        .find(|k| k.kind == kind)
        .ok_or_else(Error::internal)?;
    let now = app.now();
    let mut tx = app.db.write().await?;
    let id = store::insert_code(
        &mut tx,
        &random_token(18),
        school_id,
        kind,
        ctx.actor.account_id,
        now,
    )
    .await?;
    let retires_at = if at_once {
        now
    } else {
        now + app.settings.code_grace_secs
    };
    store::replace_code(&mut tx, old.id, id, retires_at).await?;
    app.caches.codes.clear();
    audit::append(
        &mut tx,
        &audit::entry(
            app,
            ctx,
            "appeal.code_rotated",
            "unit",
            school_id,
            Some(school_id),
            format!(
                "{} {}",
                kind.as_str(),
                if at_once { "at once" } else { "with grace" }
            ),
        ),
    )
    .await?;
    let new = store::code_by_id(&mut tx, id)
        .await?
        .ok_or_else(Error::internal)?;
    tx.commit().await.db()?;
    Ok(new)
}

/// Schools and their current codes in the actor's subtree (for printing
/// every poster at once); codes are made for schools that have none.
pub async fn codes_within(
    app: &App,
    ctx: &Ctx,
    unit_id: i64,
) -> Result<Vec<(Unit, Vec<store::Code>)>> {
    let mut c = app.db.read().await?;
    let root = units::get(&mut c, unit_id)
        .await?
        .ok_or_else(Error::not_found)?;
    drop(c);
    ctx.require(app, Action::ManageAppeals, root.id, &root.path)
        .await?;
    let mut c = app.db.read().await?;
    let schools: Vec<Unit> = if root.kind == UnitKind::School {
        vec![root.clone()]
    } else {
        units::search(
            &mut c,
            std::slice::from_ref(&root.path),
            Some(UnitKind::School),
            "",
            5000,
        )
        .await?
    };
    drop(c);
    let mut out = Vec::with_capacity(schools.len());
    for s in schools {
        let codes = school_codes(app, ctx, s.id).await?;
        out.push((s, codes));
    }
    Ok(out)
}
