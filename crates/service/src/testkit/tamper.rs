//! What someone with write access to the database could do to the audit
//! log, for the tests that show it is caught.

use crate::App;

/// Rewrites every audit entry from `from` on (the first one's actor
/// becomes `someone-else`) and recomputes each link and the head, as could
/// be done with plain SHA-256 (`key` none) or an HMAC under a key of one's
/// own guessing.
pub async fn relink_audit_from(app: &App, from: i64, key: Option<[u8; 32]>) {
    let key = key.map(|k| tongyu_store::ChainKey(std::sync::Arc::new(k)));
    let all = {
        let mut c = app.db.read().await.expect("conn");
        tongyu_store::audit::search(
            &mut c,
            &tongyu_store::audit::AuditFilter {
                limit: 10_000,
                ..Default::default()
            },
        )
        .await
        .expect("entries")
    };
    let mut all: Vec<_> = all.into_iter().collect();
    all.sort_by_key(|r| r.seq);
    let mut prev = all
        .iter()
        .find(|r| r.seq == from - 1)
        .map(|r| r.hash.clone())
        .unwrap_or_default();
    for r in all.iter().filter(|r| r.seq >= from) {
        let mut e = r.entry.clone();
        if r.seq == from {
            e.actor = "someone-else".into();
        }
        let hash = tongyu_store::audit::chain_hash(key.as_ref(), &prev, r.seq, &e);
        app.db
            .execute_raw(&format!(
                "UPDATE audit_log SET actor = '{}', prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}",
                e.actor, r.seq
            ))
            .await
            .expect("rewrite");
        prev = hash;
    }
    app.db
        .execute_raw(&format!(
            "UPDATE audit_head SET last_hash = '{prev}' WHERE id = 1"
        ))
        .await
        .expect("head");
}

/// The chain hash of the entry `seq`.
pub async fn audit_hash_at(app: &App, seq: i64) -> String {
    tongyu_store::audit::hash_at(&mut app.db.read().await.expect("conn"), seq)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no audit entry {seq}"))
}
