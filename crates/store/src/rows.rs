//! Many rows in one statement on SQLite: `INSERT ... VALUES (?, ?), (?, ?)`.
//!
//! The batching writers hand PostgreSQL a batch as one JSON parameter,
//! which it unpacks cheaply. SQLite re-reads a row's JSON text for every
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
pub(crate) async fn insert<'a, T: Sync>(
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
    fn a_statement_repeats_the_row_n_times() {
        assert_eq!(
            statement("INSERT INTO t (a, b)", "(?, ?)", "RETURNING a", 3),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?) RETURNING a"
        );
    }
}
