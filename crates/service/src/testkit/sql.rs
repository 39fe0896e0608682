//! Plain SQL for tests that check what is kept at rest (sealed columns,
//! the outbox, the audit log) or that write rows as an older version left
//! them. Statements use `$1`-style parameters on both backends.

use crate::App;

/// A parameter.
#[derive(Debug, Clone)]
pub enum Arg {
    I(i64),
    S(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::I(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::S(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::S(v)
    }
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

fn bind<'q>(mut q: Query<'q>, args: &[Arg]) -> Query<'q> {
    for a in args {
        q = match a {
            Arg::I(v) => q.bind(*v),
            Arg::S(v) => q.bind(v.clone()),
        };
    }
    q
}

/// Every row's first column, as text.
pub async fn texts(app: &App, sql: &str, args: &[Arg]) -> Vec<String> {
    use sqlx::Row;
    let mut c = app.db.read().await.expect("conn");
    let q = bind(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), args);
    q.fetch_all(&mut *c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.try_get::<String, _>(0).expect("a text column"))
        .collect()
}

/// The one row's first column, as text.
pub async fn text(app: &App, sql: &str, args: &[Arg]) -> String {
    let mut v = texts(app, sql, args).await;
    assert_eq!(v.len(), 1, "{sql}: one row expected, got {v:?}");
    v.remove(0)
}

/// The one row's first column, as an integer (a count).
pub async fn int(app: &App, sql: &str, args: &[Arg]) -> i64 {
    use sqlx::Row;
    let mut c = app.db.read().await.expect("conn");
    let q = bind(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), args);
    q.fetch_one(&mut *c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .try_get::<i64, _>(0)
        .expect("an integer column")
}

/// Runs `statements` in one transaction, then forgets every cached
/// answer, as a change from outside the platform would need.
pub async fn exec(app: &App, statements: &[(&str, Vec<Arg>)]) {
    let mut tx = app.db.write().await.expect("write");
    for (sql, args) in statements {
        let q = bind(sqlx::query(sqlx::AssertSqlSafe((*sql).to_owned())), args);
        q.execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.expect("commit");
    app.forget_all().await;
}
