//! Many rows in one statement, each row's shape described once
//! ([`Batch`]: its columns and their types) and rendered for each backend.
//!
//! PostgreSQL takes a batch as one JSON parameter, which it unpacks
//! cheaply (`SELECT (r->>0)::bigint, r->>1 … FROM jsonb_array_elements($1)`).
//! On SQLite the rows go as `INSERT ... VALUES (?, ?), (?, ?)`: SQLite re-reads a row's JSON text for every
//! field taken out of it, which cost more than the insert itself for wide
//! rows; plain positional parameters cost nothing to read. They must be
//! nameless (`?`, not `$N`): the driver looks every named parameter up by
//! a linear scan, so a statement with a thousand of them costs a million
//! steps to bind.
//!
//! A batch is cut into chunks whose sizes are powers of two, largest first:
//! the statement texts are few (the driver prepares each once per
//! connection and keeps it) and a batch takes a handful of statements.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use tongyu_domain::Result;

use crate::{Conn, DbResult};

/// A column of a batch row: how its value travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    /// An integer (or NULL) of the row.
    Int,
    /// A text of the row.
    Text,
    /// The same SQL in every row (`'received'`, `1`).
    Lit(&'static str),
}

/// A value of a batch row, in the order of its non-literal columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V<'a> {
    I(i64),
    /// An integer that may be NULL.
    N(Option<i64>),
    S(&'a str),
    /// A text that may be NULL.
    T(Option<&'a str>),
}

/// The shape of a batch insert: `head` names the table and columns,
/// `cols` says what each column is, `tail` follows the rows (`ON CONFLICT
/// …`, `RETURNING …`, or nothing).
pub(crate) struct Batch<'s> {
    pub head: &'s str,
    pub cols: &'s [Col],
    pub tail: &'s str,
}

impl Batch<'_> {
    /// One row's placeholders for SQLite: `(?, ?, 'received', ?)`.
    fn sqlite_row(&self) -> String {
        let cells: Vec<&str> = self
            .cols
            .iter()
            .map(|c| match c {
                Col::Int | Col::Text => "?",
                Col::Lit(s) => s,
            })
            .collect();
        format!("({})", cells.join(", "))
    }

    /// The statement PostgreSQL runs with the rows as JSON in `$1`.
    fn postgres_statement(&self) -> String {
        let mut k = 0;
        let cells: Vec<String> = self
            .cols
            .iter()
            .map(|c| {
                let cell = match c {
                    Col::Int => format!("(r->>{k})::bigint"),
                    Col::Text => format!("r->>{k}"),
                    Col::Lit(s) => return (*s).to_owned(),
                };
                k += 1;
                cell
            })
            .collect();
        format!(
            "{} SELECT {} FROM jsonb_array_elements($1::jsonb) r {}",
            self.head,
            cells.join(", "),
            self.tail
        )
    }
}

/// Appends one row as a JSON array.
fn push_json(out: &mut String, values: &[V<'_>]) -> Result<()> {
    use std::fmt::Write;
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match v {
            V::I(n) | V::N(Some(n)) => {
                let _ = write!(out, "{n}");
            }
            V::N(None) => out.push_str("null"),
            V::T(None) => out.push_str("null"),
            V::S(s) | V::T(Some(s)) => out
                .push_str(&serde_json::to_string(s).map_err(|_| tongyu_domain::Error::internal())?),
        }
    }
    out.push(']');
    Ok(())
}

/// Writes `items` as rows of `batch` on either backend; `row` pushes one
/// item's values in column order (literal columns take none). Returns the
/// rows of a `RETURNING` tail, in order.
pub(crate) async fn write<'a, T: Sync>(
    c: &mut Conn,
    batch: &Batch<'_>,
    items: &'a [T],
    row: impl Fn(&'a T, &mut Vec<V<'a>>),
) -> Result<Vec<AnyRow>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let width = batch
        .cols
        .iter()
        .filter(|c| !matches!(c, Col::Lit(_)))
        .count();
    if crate::is_postgres(c) {
        let mut json = String::with_capacity(items.len() * width * 8 + 2);
        json.push('[');
        let mut values = Vec::with_capacity(width);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            values.clear();
            row(item, &mut values);
            debug_assert_eq!(values.len(), width, "a batch row of the wrong width");
            push_json(&mut json, &values)?;
        }
        json.push(']');
        return sqlx::query(sqlx::AssertSqlSafe(batch.postgres_statement()))
            .bind(json)
            .fetch_all(&mut *c)
            .await
            .db();
    }
    let values: Vec<V<'a>> = {
        let mut all = Vec::with_capacity(items.len() * width);
        for item in items {
            let before = all.len();
            row(item, &mut all);
            debug_assert_eq!(all.len() - before, width, "a batch row of the wrong width");
        }
        all
    };
    let rows: Vec<&[V<'a>]> = values.chunks(width.max(1)).collect();
    insert(
        c,
        batch.head,
        &batch.sqlite_row(),
        batch.tail,
        &rows,
        |mut q, vals| {
            for v in vals.iter() {
                q = match *v {
                    V::I(n) => q.bind(n),
                    V::N(n) => q.bind(n),
                    V::S(s) => q.bind(s),
                    V::T(s) => q.bind(s),
                };
            }
            q
        },
    )
    .await
}

/// A query being bound.
pub(crate) type Q<'q> = Query<'q, sqlx::Any, AnyArguments>;

/// SQLite takes at most 32,766 parameters in one statement; a chunk stays
/// well below, and below this many rows.
const MAX_ROWS: usize = 256;
const MAX_PARAMS: usize = 8_192;

/// The chunks `0..n` is cut into: sizes powers of two, largest first, none
/// over `most`.
fn chunks(n: usize, most: usize) -> Vec<std::ops::Range<usize>> {
    let mut top = 1;
    while top * 2 <= most {
        top *= 2;
    }
    let mut out = Vec::new();
    let mut at = 0;
    while at < n {
        let mut size = top;
        while size > n - at {
            size /= 2;
        }
        out.push(at..at + size);
        at += size;
    }
    out
}

/// `head VALUES row, row, ... tail` with `n` rows.
fn statement(head: &str, row: &str, tail: &str, n: usize) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + (row.len() + 2) * n + 8);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(row);
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

/// Runs `head VALUES row, ... tail` over `items` in chunks; `row` holds one
/// row's nameless placeholders (`(?, ?, 'received', ?)`) and `bind` binds
/// one item's values in their order. Returns the rows of every chunk's
/// `RETURNING` clause, in order (none when `tail` has no such clause).
async fn insert<'a, T: Sync>(
    c: &mut Conn,
    head: &str,
    row: &str,
    tail: &str,
    items: &'a [T],
    bind: impl Fn(Q<'a>, &'a T) -> Q<'a>,
) -> Result<Vec<AnyRow>> {
    let params = row.matches('?').count().max(1);
    let most = MAX_ROWS.min(MAX_PARAMS / params).max(1);
    let mut out = Vec::new();
    for range in chunks(items.len(), most) {
        let sql = statement(head, row, tail, range.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for item in &items[range] {
            q = bind(q, item);
        }
        out.extend(q.fetch_all(&mut *c).await.db()?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_largest_first_and_cover_everything_once() {
        let sizes = |n, most| chunks(n, most).iter().map(|r| r.len()).collect::<Vec<_>>();
        assert_eq!(sizes(0, 256), Vec::<usize>::new());
        assert_eq!(sizes(1, 256), vec![1]);
        assert_eq!(sizes(36, 256), vec![32, 4]);
        assert_eq!(sizes(255, 256), vec![128, 64, 32, 16, 8, 4, 2, 1]);
        assert_eq!(sizes(600, 256), vec![256, 256, 64, 16, 8]);
        assert_eq!(sizes(7, 3), vec![2, 2, 2, 1]);
        let all = chunks(1000, 100);
        assert_eq!(all.first().map(|r| r.start), Some(0));
        assert!(all.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(all.last().map(|r| r.end), Some(1000));
    }

    #[test]
    fn one_description_renders_both_backends() {
        let b = Batch {
            head: "INSERT INTO t (a, b, c, d)",
            cols: &[Col::Int, Col::Text, Col::Lit("'new'"), Col::Int],
            tail: "RETURNING a",
        };
        assert_eq!(b.sqlite_row(), "(?, ?, 'new', ?)");
        assert_eq!(
            b.postgres_statement(),
            "INSERT INTO t (a, b, c, d) SELECT (r->>0)::bigint, r->>1, 'new', (r->>2)::bigint \
             FROM jsonb_array_elements($1::jsonb) r RETURNING a"
        );
        let mut json = String::new();
        push_json(&mut json, &[V::I(7), V::S("引号\"和\\"), V::N(None)]).expect("json");
        assert_eq!(json, r#"[7,"引号\"和\\",null]"#);
    }

    #[test]
    fn a_statement_repeats_the_row_n_times() {
        assert_eq!(
            statement("INSERT INTO t (a, b)", "(?, ?)", "RETURNING a", 3),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?) RETURNING a"
        );
    }
}
