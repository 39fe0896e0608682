//! Keeping every sealed field under the current data key: at start, values
//! written before sealing began (in the clear) or sealed with an older key
//! are sealed again; `tongyu rotate-data-key` uses the same pass after it
//! adds a key. Pages of rows, one write transaction each, so a city's
//! accounts are resealed in bounded steps and a pass cut short resumes.

use tongyu_domain::Result;
use tongyu_store::DbResult;
use tongyu_store::audit::AuditEntry;
use tongyu_store::sealing as store;

use crate::App;
use crate::crypto::{DataKeys, field};

const PAGE: i64 = 500;

/// What a pass resealed, and what it could not open (a key missing from
/// the key file, or an altered value: left as it was).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub accounts: usize,
    pub appeals: usize,
    pub messages: usize,
    pub factors: usize,
    pub credentials: usize,
    pub unreadable: usize,
}

impl Report {
    pub fn total(&self) -> usize {
        self.accounts + self.appeals + self.messages + self.factors + self.credentials
    }
}

/// Runs [`reseal_all`] when the values were last sealed with another key
/// than the current one (or never recorded); None when nothing was due.
pub async fn reseal_if_needed(app: &App) -> Result<Option<Report>> {
    let recorded = {
        let mut c = app.db.read().await?;
        store::recorded_key(&mut c).await?
    };
    if recorded == Some(i64::from(app.settings.keys.current_id())) {
        return Ok(None);
    }
    reseal_all(app).await.map(Some)
}

/// Seals again, under the current key, every value that is in the clear or
/// sealed with an older key; then records the current key as the one all
/// values use.
pub async fn reseal_all(app: &App) -> Result<Report> {
    let keys = &app.settings.keys;
    let prefix = format!("v1.{}.", keys.current_id());
    let mut report = Report::default();
    let open = |field: &str, kept: &str, clear: bool, unreadable: &mut usize| {
        if clear {
            return Some(kept.to_owned());
        }
        let plain = keys.open(field, kept);
        if plain.is_none() {
            *unreadable += 1;
        }
        plain
    };

    let mut after = 0;
    loop {
        let mut tx = app.db.write().await?;
        let rows = store::account_phones(&mut tx, &prefix, after, PAGE).await?;
        for (id, kept, clear) in &rows {
            if let Some(phone) = open(field::ACCOUNT_PHONE, kept, *clear, &mut report.unreadable) {
                store::set_account_phone(&mut tx, *id, &keys.seal_phone(&phone)).await?;
                report.accounts += 1;
            }
        }
        tx.commit().await.db()?;
        match rows.last() {
            Some((id, ..)) if rows.len() as i64 == PAGE => after = *id,
            _ => break,
        }
    }

    let mut after = 0;
    loop {
        let mut tx = app.db.write().await?;
        let rows = store::appeal_contacts(&mut tx, &prefix, after, PAGE).await?;
        for (id, name, phone, clear) in &rows {
            let name = open(
                field::APPEAL_CONTACT_NAME,
                name,
                *clear,
                &mut report.unreadable,
            );
            let phone = open(
                field::APPEAL_CONTACT_PHONE,
                phone,
                *clear,
                &mut report.unreadable,
            );
            if let (Some(name), Some(phone)) = (name, phone) {
                store::set_appeal_contact(
                    &mut tx,
                    *id,
                    &keys.seal(field::APPEAL_CONTACT_NAME, &name),
                    &keys.seal(field::APPEAL_CONTACT_PHONE, &phone),
                )
                .await?;
                report.appeals += 1;
            }
        }
        tx.commit().await.db()?;
        match rows.last() {
            Some((id, ..)) if rows.len() as i64 == PAGE => after = *id,
            _ => break,
        }
    }

    let mut after = 0;
    loop {
        let mut tx = app.db.write().await?;
        let rows = store::outbox_phones(&mut tx, &prefix, after, PAGE).await?;
        for (id, kept) in &rows {
            let clear = DataKeys::sealed_with(kept).is_none();
            if let Some(phone) = open(field::SMS_PHONE, kept, clear, &mut report.unreadable) {
                store::set_outbox_phone(&mut tx, *id, &keys.seal(field::SMS_PHONE, &phone)).await?;
                report.messages += 1;
            }
        }
        tx.commit().await.db()?;
        match rows.last() {
            Some((id, _)) if rows.len() as i64 == PAGE => after = *id,
            _ => break,
        }
    }

    let mut after = 0;
    loop {
        let mut tx = app.db.write().await?;
        let rows = store::factor_secrets(&mut tx, &prefix, after, PAGE).await?;
        for (id, kept) in &rows {
            // Before data keys, these were encrypted with the server secret.
            let secret = match DataKeys::sealed_with(kept) {
                Some(_) => keys.open(field::SECOND_FACTOR, kept),
                None => app.settings.secret.decrypt(field::SECOND_FACTOR, kept),
            };
            match secret {
                Some(s) => {
                    store::set_factor_secret(&mut tx, *id, &keys.seal(field::SECOND_FACTOR, &s))
                        .await?;
                    report.factors += 1;
                }
                None => report.unreadable += 1,
            }
        }
        tx.commit().await.db()?;
        match rows.last() {
            Some((id, _)) if rows.len() as i64 == PAGE => after = *id,
            _ => break,
        }
    }

    // First passwords waiting to be downloaded (kept a day at most).
    let mut after = 0;
    loop {
        let mut tx = app.db.write().await?;
        let rows =
            tongyu_store::import::credentials_to_reseal(&mut tx, &prefix, after, PAGE).await?;
        for (id, kept) in &rows {
            match keys.open(field::IMPORT_CREDENTIALS, kept) {
                Some(plain) => {
                    let sealed = keys.seal(field::IMPORT_CREDENTIALS, &plain);
                    tongyu_store::import::reseal_credentials(&mut tx, *id, &sealed).await?;
                    report.credentials += 1;
                }
                None => report.unreadable += 1,
            }
        }
        tx.commit().await.db()?;
        match rows.last() {
            Some((id, _)) if rows.len() as i64 == PAGE => after = *id,
            _ => break,
        }
    }

    let mut tx = app.db.write().await?;
    store::record_key(&mut tx, i64::from(keys.current_id())).await?;
    if report.total() > 0 || report.unreadable > 0 {
        crate::audit::append(&mut tx, &entry(app, &report)).await?;
    }
    tx.commit().await.db()?;
    if report.unreadable > 0 {
        tracing::error!(
            unreadable = report.unreadable,
            "sealed values that no data key opens were left as they were"
        );
    }
    Ok(report)
}

fn entry(app: &App, r: &Report) -> AuditEntry {
    let mut e = crate::audit::system(
        app,
        "data_key.reseal",
        "data_key",
        app.settings.keys.current_id(),
        None,
    );
    if r.unreadable > 0 {
        e.result = "partial".into();
    }
    e.detail = format!(
        "账号手机号 {}，诉求联系人 {}，短信 {}，动态口令 {}，初始密码表 {}，无法解开 {}",
        r.accounts, r.appeals, r.messages, r.factors, r.credentials, r.unreadable
    );
    e
}
