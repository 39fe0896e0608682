//! org and board: a district's org and people pages, the first-lesson
//! boards, the coverage boards of school organisation, the training
//! boards and each role's home
//! at a large scale ÷ the same pages at demo scale, with each page's size.

use super::*;

/// The pages the benchmark times at one scale: (label, user, path).
async fn pages_of(app: &App) -> Result<Vec<(&'static str, &'static str, String)>, AnyError> {
    let mut c = app.db.read().await?;
    let city = tongyu_store::org::city(&mut c).await?.ok_or("no city")?.id;
    let d0 = tongyu_store::org::get_by_external_id(&mut c, "d0")
        .await?
        .ok_or("no district d0")?
        .id;
    let campaign = tongyu_store::learning::list_campaigns(&mut c)
        .await?
        .first()
        .ok_or("no campaign")?
        .id;
    Ok(vec![
        (
            "org browser page of a district",
            "district-admin",
            format!("/org/{d0}"),
        ),
        (
            "campaign board of the city",
            "city-admin",
            format!("/campaigns/{campaign}/board/{city}"),
        ),
        (
            "campaign board of a district",
            "district-admin",
            format!("/campaigns/{campaign}/board/{d0}"),
        ),
        (
            "people page of a district",
            "district-admin",
            format!("/org/{d0}/people"),
        ),
        (
            "coverage board of the city",
            "city-admin",
            format!("/coverage/{city}"),
        ),
        (
            "coverage board of a district",
            "district-admin",
            format!("/coverage/{d0}"),
        ),
        (
            "training board of the city",
            "city-admin",
            format!("/training/board/{city}"),
        ),
        (
            "training board of a district",
            "district-admin",
            format!("/training/board/{d0}"),
        ),
        ("home of a school's handler", "school-admin", "/".into()),
        ("home of a head teacher", "head-teacher", "/".into()),
        ("home of a district leader", "district-admin", "/".into()),
        ("home of the city leader", "city-admin", "/".into()),
    ])
}

/// The parents of the first `n` demo phones finish the lesson for everyone,
/// so that the boards have completions to show.
async fn some_completions(app: &App, n: usize) -> Result<(), AnyError> {
    let origin = tongyu_service::Origin::default();
    let lesson = {
        let mut c = app.db.read().await?;
        let campaign = tongyu_store::learning::list_campaigns(&mut c)
            .await?
            .first()
            .ok_or("no campaign")?
            .id;
        let targets = tongyu_store::learning::targets_of_campaign(&mut c, campaign).await?;
        targets
            .iter()
            .find(|t| t.grade.is_empty())
            .ok_or("no lesson for all")?
            .lesson_id
    };
    for i in 1..=n {
        let login = format!("139{i:08}");
        let out = tongyu_service::auth::login(
            app,
            &origin,
            &login,
            PW,
            tongyu_service::auth::SessionKind::Api,
        )
        .await?;
        let session = tongyu_service::auth::authenticate(app, &out.token).await?;
        let ctx = tongyu_service::Ctx {
            actor: session.actor,
            origin: origin.clone(),
            factor_at: 0,
        };
        for from in (0..600).step_by(30) {
            let r = tongyu_service::learning::Report {
                lesson_id: lesson,
                segments: vec![[from as f64, (from + 30) as f64]],
            };
            tongyu_service::learning::report(app, &ctx, &r).await?;
        }
    }
    Ok(())
}

pub(super) async fn org(
    dir: &std::path::Path,
    large: &str,
    pg: Option<&str>,
) -> Result<(), AnyError> {
    let mut results = Vec::new();
    for (name, scale) in [
        ("demo", DemoScale::demo()),
        (large, DemoScale::parse(large)?),
    ] {
        let app = fresh(dir, &format!("pages_{name}"), pg).await?;
        let started = Instant::now();
        eprintln!("generating the {name} city...");
        demo::generate(&app, scale, PW, &quiet).await?;
        let generated = started.elapsed();
        some_completions(&app, 20).await?;
        let students = app.db.query_i64("SELECT COUNT(*) FROM students").await?;
        let guardians = app.db.query_i64("SELECT COUNT(*) FROM guardians").await?;
        let mut times = Vec::new();
        for (label, user, path) in pages_of(&app).await? {
            times.push((label, page_times(&app, user, &path, 300).await?));
        }
        app.db.close().await;
        results.push((name, students, guardians, generated, times));
    }
    let (_, small_students, _, _, small) = &results[0];
    let (large_name, large_students, large_guardians, generated, big) = &results[1];
    println!(
        "pages at demo scale ({small_students} students) and {large_name} scale ({large_students} students, \
         {large_guardians} guardians; generated in {:.0} s); median / p95 of 300 requests:",
        generated.as_secs_f64()
    );
    for ((label, (sm, sp, _)), (_, (lm, lp, size))) in small.iter().zip(big) {
        println!(
            "  {label} ({:.1} KB at {large_name} scale)",
            *size as f64 / 1024.0
        );
        println!(
            "    demo {:>7.3} / {:>7.3} ms   {large_name} {:>7.3} / {:>7.3} ms   ratio {:.2} (goal <= 1.50)",
            ms(*sm),
            ms(*sp),
            ms(*lm),
            ms(*lp),
            ms(*lm) / ms(*sm)
        );
    }
    Ok(())
}
