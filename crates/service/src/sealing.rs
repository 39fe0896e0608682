//! Keeping every sealed field under the current data key: at start, values
//! written before sealing began (in the clear) or sealed with an older key
//! are sealed again; `tongyu rotate-data-key` uses the same pass after it
//! adds a key. Pages of rows, one write transaction each, so a city's
//! accounts are resealed in bounded steps and a pass cut short resumes.

use tongyu_domain::Result;
use tongyu_store::audit::AuditEntry;
use tongyu_store::sealing as store;
use tongyu_store::{Conn, DbResult};

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

/// Runs `page` over the rows of one kind, a page per write transaction:
/// `page` reseals the rows after the id it is given and answers the last
/// id of a full page (there may be more) or None (that was the last).
async fn in_pages(
    app: &App,
    mut page: impl AsyncFnMut(&mut Conn, i64) -> Result<Option<i64>>,
) -> Result<()> {
    let mut after = 0;
    loop {
        let mut tx = app.db.write().await?;
        let next = page(&mut tx, after).await?;
        tx.commit().await.db()?;
        match next {
            Some(id) => after = id,
            None => return Ok(()),
        }
    }
}

/// The last id of a full page.
fn next_after<R>(rows: &[R], id: impl Fn(&R) -> i64) -> Option<i64> {
    rows.last().filter(|_| rows.len() as i64 == PAGE).map(id)
}

/// Seals again, under the current key, every value that is in the clear or
/// sealed with an older key; then records the current key as the one all
/// values use.
pub async fn reseal_all(app: &App) -> Result<Report> {
    let keys = &app.settings.keys;
    let prefix = format!("v1.{}.", keys.current_id());
    let mut report = Report::default();
    // A value in the clear as it is; a sealed one opened, or counted as
    // unreadable and left as it was.
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

    in_pages(app, async |tx, after| {
        let rows = store::account_phones(tx, &prefix, after, PAGE).await?;
        for (id, kept, clear) in &rows {
            if let Some(phone) = open(field::ACCOUNT_PHONE, kept, *clear, &mut report.unreadable) {
                store::set_account_phone(tx, *id, &keys.seal_phone(&phone)).await?;
                report.accounts += 1;
            }
        }
        Ok(next_after(&rows, |r| r.0))
    })
    .await?;

    in_pages(app, async |tx, after| {
        let rows = store::appeal_contacts(tx, &prefix, after, PAGE).await?;
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
                    tx,
                    *id,
                    &keys.seal(field::APPEAL_CONTACT_NAME, &name),
                    &keys.seal(field::APPEAL_CONTACT_PHONE, &phone),
                )
                .await?;
                report.appeals += 1;
            }
        }
        Ok(next_after(&rows, |r| r.0))
    })
    .await?;

    in_pages(app, async |tx, after| {
        let rows = store::outbox_phones(tx, &prefix, after, PAGE).await?;
        for (id, kept) in &rows {
            let clear = DataKeys::sealed_with(kept).is_none();
            if let Some(phone) = open(field::SMS_PHONE, kept, clear, &mut report.unreadable) {
                store::set_outbox_phone(tx, *id, &keys.seal(field::SMS_PHONE, &phone)).await?;
                report.messages += 1;
            }
        }
        Ok(next_after(&rows, |r| r.0))
    })
    .await?;

    in_pages(app, async |tx, after| {
        let rows = store::factor_secrets(tx, &prefix, after, PAGE).await?;
        for (id, kept) in &rows {
            // Before data keys, these were encrypted with the server secret.
            let secret = match DataKeys::sealed_with(kept) {
                Some(_) => open(field::SECOND_FACTOR, kept, false, &mut report.unreadable),
                None => {
                    let s = app.settings.secret.decrypt(field::SECOND_FACTOR, kept);
                    report.unreadable += usize::from(s.is_none());
                    s
                }
            };
            if let Some(s) = secret {
                store::set_factor_secret(tx, *id, &keys.seal(field::SECOND_FACTOR, &s)).await?;
                report.factors += 1;
            }
        }
        Ok(next_after(&rows, |r| r.0))
    })
    .await?;

    // First passwords waiting to be downloaded (kept a day at most).
    in_pages(app, async |tx, after| {
        let rows = tongyu_store::import::credentials_to_reseal(tx, &prefix, after, PAGE).await?;
        for (id, kept) in &rows {
            if let Some(plain) = open(
                field::IMPORT_CREDENTIALS,
                kept,
                false,
                &mut report.unreadable,
            ) {
                let sealed = keys.seal(field::IMPORT_CREDENTIALS, &plain);
                tongyu_store::import::reseal_credentials(tx, *id, &sealed).await?;
                report.credentials += 1;
            }
        }
        Ok(next_after(&rows, |r| r.0))
    })
    .await?;

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
