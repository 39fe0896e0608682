//! import: guardian rows per second through the importer ÷ a raw batched insert.

use super::*;

pub(super) async fn import(
    dir: &std::path::Path,
    rows: usize,
    pg: Option<&str>,
) -> Result<(), AnyError> {
    let app = fresh(dir, "import", pg).await?;
    demo::generate(&app, DemoScale::demo(), PW, &quiet).await?;
    // Students to attach parents to, and a class per student for the grants.
    let students: Vec<(String, i64, i64)> = {
        let mut c = app.db.read().await?;
        let mut out = Vec::new();
        for sid in 1..=rows.min(15_000) as i64 {
            if let Some(s) = tongyu_store::student::get(&mut c, sid).await? {
                out.push((s.external_id.unwrap_or_default(), s.id, s.class_id));
            }
        }
        out
    };
    let pick = |i: usize| &students[i % students.len()];

    // Baseline: the same kinds of rows, straight into the tables in batches.
    let now = unix_now();
    let started = Instant::now();
    let mut tx = app.db.write().await?;
    let accounts: Vec<NewAccount> = (0..rows)
        .map(|i| NewAccount {
            username: format!("bench-parent-{i}"),
            phone: Some(app.seal_phone(&format!("150{i:08}"))),
            display_name: "基准家长".into(),
            password_hash: NO_PASSWORD.into(),
            must_change_password: false,
            external_id: None,
            created_by: None,
        })
        .collect();
    let ids = tongyu_store::account::insert_many(&mut tx, &accounts, now).await?;
    let links: Vec<(i64, i64, String)> = ids
        .iter()
        .enumerate()
        .map(|(i, (_, id))| (pick(i).1, *id, "父亲".into()))
        .collect();
    tongyu_store::student::insert_links_many(&mut tx, &links, now).await?;
    let grants: Vec<(i64, Role, i64)> = ids
        .iter()
        .enumerate()
        .map(|(i, (_, id))| (*id, Role::Parent, pick(i).2))
        .collect();
    tongyu_store::account::insert_grants_many(&mut tx, &grants, now).await?;
    tx.commit().await.db()?;
    let raw = started.elapsed();

    // The import of a file of the same size, through the whole use case.
    let mut csv = String::from("学生学籍号,家长姓名,手机号,关系\n");
    for i in 0..rows {
        csv.push_str(&format!("{},导入家长,151{i:08},母亲\n", pick(i).0));
    }
    let ctx = tongyu_service::import::operator_ctx(&app).await?;
    let started = Instant::now();
    let out = tongyu_service::import::run(
        &app,
        &ctx,
        ImportKind::Guardians,
        csv.as_bytes(),
        &|_, _| {},
    )
    .await?;
    let imported = started.elapsed();
    if !out.ok() || out.created != rows {
        return Err(format!(
            "the import did not create {rows} rows: {:?}",
            out.errors.first()
        )
        .into());
    }
    let raw_rate = rows as f64 / raw.as_secs_f64();
    let import_rate = rows as f64 / imported.as_secs_f64();
    println!("import of {rows} parent accounts with their links and grants:");
    println!(
        "  raw batched insert   {raw_rate:>10.0} rows/s  ({:.2} s)",
        raw.as_secs_f64()
    );
    println!(
        "  import (checked)     {import_rate:>10.0} rows/s  ({:.2} s)",
        imported.as_secs_f64()
    );
    println!(
        "  ratio import/raw     {:>10.2}   (goal >= 0.30)",
        import_rate / raw_rate
    );
    app.db.close().await;
    Ok(())
}
