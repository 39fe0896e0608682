//! progress: durable progress reports per second ÷ the no-op POST.

use super::*;

pub(super) async fn progress(
    dir: &std::path::Path,
    scale: &str,
    pg: Option<&str>,
    seconds: u64,
    clients: usize,
) -> Result<(), AnyError> {
    let app = fresh(dir, &format!("progress_{scale}"), pg).await?;
    eprintln!("generating the {scale} city for the progress benchmark...");
    demo::generate(&app, DemoScale::parse(scale)?, PW, &quiet).await?;
    let lesson = {
        let mut c = app.db.read().await?;
        let campaign = tongyu_store::learning::list_campaigns(&mut c)
            .await?
            .into_iter()
            .next()
            .ok_or("no campaign")?;
        let targets = tongyu_store::learning::targets_of_campaign(&mut c, campaign.id).await?;
        targets
            .iter()
            .find(|t| t.grade.is_empty())
            .ok_or("no lesson for all")?
            .lesson_id
    };
    // One signed-in parent per connection.
    let origin = tongyu_service::Origin::default();
    let mut tokens = Vec::with_capacity(clients);
    for i in 1..=clients {
        let login = format!("139{i:08}");
        let out = tongyu_service::auth::login(
            &app,
            &origin,
            &login,
            PW,
            tongyu_service::auth::SessionKind::Api,
        )
        .await?;
        tokens.push(out.token);
    }
    let config = tongyu_web::WebConfig {
        bench_routes: true,
        ..tongyu_web::WebConfig::default()
    };
    let router = tongyu_web::router(tongyu_web::AppState::new(app.clone(), config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let rounds = seconds.max(1);
    let mut paired = Paired { rounds: Vec::new() };
    for round in 1..=rounds {
        eprintln!("round {round} of {rounds}: the no-op POST, then progress reports...");
        let noop = load(addr, "/api/v1/bench/noop", &tokens, ROUND, lesson).await?;
        let reports = load(addr, "/api/v1/progress", &tokens, ROUND, lesson).await?;
        paired.rounds.push((noop, reports));
    }
    server.abort();
    let rows = app
        .db
        .query_i64("SELECT COUNT(*) FROM lesson_progress")
        .await?;
    println!(
        "progress reports over loopback, {clients} connections, {rounds} rounds of 1 s each way:"
    );
    paired.print(
        "progress, durable",
        &format!("{rows} parent-lesson rows"),
        "ratio progress/no-op",
        ">= 0.60",
    );
    app.db.close().await;
    Ok(())
}
