//! appeals: durable public submissions per second ÷ the no-op POST, and an
//! inbox with 1,000,000 appeals in the city ÷ with 1,000.

use super::*;

/// Inserts `n` appeals spread over the schools (nine in ten at school
/// level, one in ten at the school's district bureau), in one statement per
/// school, numbered from `from`.
async fn add_appeals(
    app: &App,
    schools: &[(i64, i64)],
    from: usize,
    n: usize,
) -> Result<(), AnyError> {
    let now = unix_now();
    let per = n / schools.len();
    let extra = n % schools.len();
    let mut next = from;
    for (k, (school, district)) in schools.iter().enumerate() {
        let count = per + usize::from(k < extra);
        if count == 0 {
            continue;
        }
        // Rows made in SQL (every value an integer formatted here): a
        // counter from `next` to `next + count - 1`.
        let (first, last) = (next, next + count - 1);
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT CAST({first} AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < {last})
             INSERT INTO appeals (tracking_code, source, school_id, unit_id, level, category, text,
                 contact_name, contact_phone, dedupe_key, status, clock_start, contact_due, reply_due,
                 created_at, updated_at)
             SELECT 'B' || CAST(i AS TEXT), 'qr', {school},
                    CASE WHEN i % 10 = 0 THEN {district} ELSE {school} END,
                    CASE WHEN i % 10 = 0 THEN 'district' ELSE 'school' END,
                    'teaching', '基准诉求：希望学校增加课后服务的兴趣课程 ' || CAST(i AS TEXT), '', '',
                    'bench' || CAST(i AS TEXT), 'received', {now} - i,
                    CASE WHEN i % 20 = 0 THEN {now} - 3600 ELSE {now} + 86400 END, {now} + 432000,
                    {now} - i, {now} - i
             FROM n"
        );
        app.db.execute_raw(&sql).await?;
        next += count;
    }
    let mut tx = app.db.write().await?;
    tongyu_store::appeal::recount_board(&mut tx).await?;
    tx.commit().await.db()?;
    app.db.analyze().await?;
    Ok(())
}

/// Public submissions through the real server (durable, with their audit
/// entries) ÷ the no-op POST; then a school's and a district's inbox with
/// 1,000 and with 1,000,000 appeals in the city.
pub(super) async fn appeals(
    dir: &std::path::Path,
    pg: Option<&str>,
    seconds: u64,
    clients: usize,
) -> Result<(), AnyError> {
    let app = fresh(dir, "appeals", pg).await?;
    eprintln!("generating the demo city for the appeal benchmark...");
    demo::generate(&app, DemoScale::demo(), PW, &quiet).await?;
    let origin = tongyu_service::Origin::default();
    let admin = tongyu_service::auth::login(
        &app,
        &origin,
        "school-admin",
        PW,
        tongyu_service::auth::SessionKind::Api,
    )
    .await?;
    let ctx = tongyu_service::Ctx {
        actor: tongyu_service::auth::authenticate(&app, &admin.token)
            .await?
            .actor,
        origin,
        factor_at: 0,
    };
    let school = ctx
        .actor
        .grants
        .first()
        .ok_or("school-admin has no grant")?
        .unit_id;
    let codes = tongyu_service::appeal::school_codes(&app, &ctx, school).await?;
    let qr = codes
        .iter()
        .find(|c| c.kind == tongyu_domain::appeal::CodeKind::School)
        .ok_or("no school code")?
        .token
        .clone();

    // Submissions: every connection a different phone, every text new.
    let config = tongyu_web::WebConfig {
        bench_routes: true,
        ..tongyu_web::WebConfig::default()
    };
    let state = tongyu_web::AppState::with_public_limits(
        app.clone(),
        config,
        tongyu_web::throttle::PublicLimits::unlimited(),
    );
    let router = tongyu_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let tokens: Vec<String> = (0..clients).map(|_| "public".to_owned()).collect();
    let before = app.db.query_i64("SELECT COUNT(*) FROM appeals").await?;
    let rounds = seconds.max(1);
    let mut paired = Paired { rounds: Vec::new() };
    for round in 1..=rounds {
        eprintln!("round {round} of {rounds}: the no-op POST, then public submissions...");
        let noop = load_with(addr, "/api/v1/bench/noop", &tokens, ROUND, |_, i| {
            report_body(1, i)
        })
        .await?;
        let qr = qr.clone();
        let submitted = load_with(
            addr,
            "/api/v1/public/appeals",
            &tokens,
            ROUND,
            move |n, i| {
                format!(
                    "{{\"qr_token\":\"{qr}\",\"category\":\"teaching\",\"text\":\"希望学校增加课后服务的兴趣课程，第{round}轮第{i}次反映。\",\"contact_phone\":\"136{n:08}\"}}"
                )
            },
        )
        .await?;
        paired.rounds.push((noop, submitted));
        if pg.is_some() {
            // What autovacuum does within a minute of such growth. Without
            // it, PostgreSQL keeps the plans it made when the table was
            // nearly empty: its foreign-key check from each new event to its
            // appeal scans every appeal (38 ms a batch at 40,000 appeals).
            app.db.execute_raw("ANALYZE appeals").await?;
        }
    }
    server.abort();
    let rows = app.db.query_i64("SELECT COUNT(*) FROM appeals").await? - before;
    println!(
        "public appeal submissions over loopback, {clients} connections, {rounds} rounds of 1 s each way:"
    );
    paired.print(
        "appeals, durable",
        &format!("{rows} appeals stored"),
        "ratio appeals/no-op",
        ">= 0.30",
    );

    // Inboxes: the appeals above are cleared, then 1,000 spread over the
    // city, then 999,000 more.
    app.db.execute_raw("DELETE FROM appeal_events").await?;
    app.db.execute_raw("DELETE FROM appeal_keywords").await?;
    app.db.execute_raw("DELETE FROM appeals").await?;
    let schools: Vec<(i64, i64)> = {
        let mut c = app.db.read().await?;
        let city = tongyu_store::org::city(&mut c).await?.ok_or("no city")?;
        let all = tongyu_store::org::search(
            &mut c,
            std::slice::from_ref(&city.path),
            Some(tongyu_domain::org::UnitKind::School),
            "",
            100_000,
        )
        .await?;
        all.iter()
            .map(|s| {
                let district = tongyu_domain::org::path_ids(&s.path)
                    .get(1)
                    .copied()
                    .unwrap_or(city.id);
                (s.id, district)
            })
            .collect()
    };
    let pages = [
        ("school inbox (API)", "school-admin", "/api/v1/appeals"),
        ("school inbox page", "school-admin", "/appeals"),
        ("district inbox (API)", "district-admin", "/api/v1/appeals"),
        (
            "district, overdue only (API)",
            "district-admin",
            "/api/v1/appeals?overdue=true&limit=20",
        ),
        (
            "city board (API)",
            "city-admin",
            "/api/v1/units/CITY/appeal-board",
        ),
    ];
    // The measured school holds 500 of the first 1,000 (so its first page,
    // and its district's, are full at both sizes); the rest are spread.
    let own = schools
        .iter()
        .copied()
        .find(|(s, _)| *s == school)
        .ok_or("the school is not in the city")?;
    add_appeals(&app, &[own], 1, 500).await?;
    let mut results = Vec::new();
    for (label, total) in [("1,000", 1_000usize), ("1,000,000", 1_000_000)] {
        let have = app.db.query_i64("SELECT COUNT(*) FROM appeals").await? as usize;
        let started = Instant::now();
        add_appeals(&app, &schools, have + 1, total - have).await?;
        eprintln!(
            "{label} appeals in the city ({} added in {:.1} s)",
            total - have,
            started.elapsed().as_secs_f64()
        );
        let city_id = {
            let mut c = app.db.read().await?;
            tongyu_store::org::city(&mut c).await?.ok_or("no city")?.id
        };
        let mut times = Vec::new();
        for (_, user, path) in &pages {
            let path = path.replace("CITY", &city_id.to_string());
            let n = if path.contains("board") { 20 } else { 300 };
            times.push(page_times(&app, user, &path, n).await?);
        }
        results.push(times);
    }
    println!(
        "a unit's inbox, median / p95 of 300 requests, 1,000 vs 1,000,000 appeals in the city:"
    );
    for (k, (label, _, _)) in pages.iter().enumerate() {
        let (sm, sp, _) = results[0][k];
        let (lm, lp, _) = results[1][k];
        println!(
            "  {label:<30} {:>7.3} / {:>7.3} ms   {:>7.3} / {:>7.3} ms   ratio {:.2} (goal <= 1.50)",
            ms(sm),
            ms(sp),
            ms(lm),
            ms(lp),
            ms(lm) / ms(sm)
        );
    }
    app.db.close().await;
    Ok(())
}
