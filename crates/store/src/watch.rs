//! Each parent's viewing clock (ADR 0021), read and written by the
//! progress writer with the batch's progress rows.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::learning::WatchClock;

use crate::{Conn, DbResult};

/// The viewing clocks of these parents (missing ones are not returned).
pub async fn get_clocks_many(c: &mut Conn, accounts: &[i64]) -> Result<HashMap<i64, WatchClock>> {
    let mut out = HashMap::with_capacity(accounts.len());
    if accounts.is_empty() {
        return Ok(out);
    }
    let json = serde_json::to_string(accounts).map_err(|_| tongyu_domain::Error::internal())?;
    let sql = if crate::is_postgres(c) {
        "SELECT COALESCE(json_agg(json_build_array(w.account_id, w.began_at, w.last_at, w.credited_s)),
                         '[]'::json)::text
         FROM jsonb_array_elements($1::jsonb) k
         CROSS JOIN LATERAL (SELECT * FROM watch_clocks WHERE account_id = (k #>> '{}')::bigint
                             LIMIT 1) w"
    } else {
        "SELECT json_group_array(json_array(w.account_id, w.began_at, w.last_at, w.credited_s))
         FROM json_each($1) k JOIN watch_clocks w ON w.account_id = k.value"
    };
    let all: String = sqlx::query_scalar(sql)
        .bind(json)
        .fetch_one(&mut *c)
        .await
        .db()?;
    let rows: Vec<(i64, i64, i64, i64)> = serde_json::from_str(&all).map_err(|e| {
        tracing::error!(error = %e, "clock rows are not the JSON expected");
        tongyu_domain::Error::internal()
    })?;
    for (account_id, began_at, last_at, credited_s) in rows {
        out.insert(
            account_id,
            WatchClock {
                began_at,
                last_at,
                credited_s,
            },
        );
    }
    Ok(out)
}

/// Writes many viewing clocks (each parent once).
pub async fn put_clocks_many(c: &mut Conn, rows: &[(i64, WatchClock)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let head = "INSERT INTO watch_clocks (account_id, began_at, last_at, credited_s)";
    let tail = "ON CONFLICT (account_id) DO UPDATE SET began_at = excluded.began_at,
                 last_at = excluded.last_at, credited_s = excluded.credited_s";
    if !crate::is_postgres(c) {
        crate::rows::insert(c, head, "(?, ?, ?, ?)", tail, rows, |q, (a, w)| {
            q.bind(*a)
                .bind(w.began_at)
                .bind(w.last_at)
                .bind(w.credited_s)
        })
        .await?;
        return Ok(());
    }
    let flat: Vec<(i64, i64, i64, i64)> = rows
        .iter()
        .map(|(a, w)| (*a, w.began_at, w.last_at, w.credited_s))
        .collect();
    let json = serde_json::to_string(&flat).map_err(|_| tongyu_domain::Error::internal())?;
    let sql = format!(
        "{head}
         SELECT (r->>0)::bigint, (r->>1)::bigint, (r->>2)::bigint, (r->>3)::bigint
         FROM jsonb_array_elements($1::jsonb) r
         {tail}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(json)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}
