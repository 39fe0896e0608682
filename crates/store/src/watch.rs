//! Each parent's viewing clock (ADR 0021), read and written by the
//! progress writer with the batch's progress rows.

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::learning::WatchClock;

use crate::rows::{Batch, Col, V};
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
    let batch = Batch {
        head,
        cols: &[Col::Int, Col::Int, Col::Int, Col::Int],
        tail,
    };
    crate::rows::write(c, &batch, rows, |(a, w), v| {
        v.extend([
            V::I(*a),
            V::I(w.began_at),
            V::I(w.last_at),
            V::I(w.credited_s),
        ])
    })
    .await?;
    Ok(())
}
