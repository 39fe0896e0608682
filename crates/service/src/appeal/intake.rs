//! The public form's writer. A submission is checked, routed, timed and
//! read for keywords in its own request; the writer then commits many
//! submissions in one transaction (a few statements whatever their number:
//! the duplicate check, the appeals, their first events, their keywords,
//! their audit entries) and answers each only after the commit
//! ([`crate::batch`]).

use std::collections::HashMap;

use tongyu_domain::Result;
use tongyu_domain::appeal::{Category, Level, Source};
use tongyu_domain::calendar::local_day;
use tongyu_domain::throttle::Limit;
use tongyu_store::appeal::{self as store, NewAppeal};
use tongyu_store::audit::AuditEntry;
use tongyu_store::{Db, DbResult};

/// A submission ready to be written.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub tracking_code: String,
    pub school_id: i64,
    pub unit_id: i64,
    pub district_id: i64,
    pub level: Level,
    pub category: Category,
    pub text: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub dedupe_key: String,
    /// The keyed hash of the sending browser, or empty.
    pub device_key: String,
    /// Appeals under the same key since then are the same appeal.
    pub dedupe_since: i64,
    pub urgent_words: Vec<String>,
    pub contact_due: i64,
    pub reply_due: i64,
    pub keywords: Vec<String>,
    pub photos: Vec<(String, &'static str, i64)>,
    /// The public "received" line of the appeal's history.
    pub received_text: String,
    /// The audit entry (its object id is filled in once the id is known).
    pub audit: AuditEntry,
    /// Where it came from and through which gate code: counted against the
    /// shared limits in the batch's own transaction.
    pub ip: String,
    pub qr_token: String,
    pub limits: [Limit; 2],
    pub now: i64,
}

/// What the parent's receipt says.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub id: i64,
    /// The receipt's secret: empty for a duplicate sent from another
    /// browser, which must not learn the first sending's link.
    pub tracking_code: String,
    pub duplicate: bool,
    /// Refused: the address or the gate code is over its limit.
    pub limited: bool,
    pub contact_due: i64,
    pub reply_due: i64,
}

/// Applies batches of submissions.
pub(crate) struct Intake {
    pub db: Db,
}

pub(crate) type Writer = crate::batch::Writer<Intake>;

impl crate::batch::Apply for Intake {
    type Job = Job;
    type Out = Outcome;
    const BATCH: usize = 256;
    const NAME: &'static str = "appeal intake";
    fn apply<'a>(
        &'a self,
        jobs: &'a [&'a Job],
    ) -> impl std::future::Future<Output = Result<crate::batch::Applied<Outcome>>> + Send + 'a {
        apply(&self.db, jobs)
    }
}

/// Counts the batch's submissions against the shared limits (per address,
/// per gate code), one statement per key, and says for each job, in order,
/// whether it went over.
async fn count_limits(tx: &mut tongyu_store::Conn, jobs: &[&Job]) -> Result<Vec<bool>> {
    let mut over = vec![false; jobs.len()];
    for which in 0..2 {
        let mut by_key: HashMap<(String, i64), Vec<usize>> = HashMap::new();
        for (i, j) in jobs.iter().enumerate() {
            let limit = j.limits[which];
            let key = if which == 0 { &j.ip } else { &j.qr_token };
            let window = j.now - j.now.rem_euclid(limit.window_s);
            by_key
                .entry((format!("{}:{key}", limit.name), window))
                .or_default()
                .push(i);
        }
        let mut keys: Vec<_> = by_key.into_iter().collect();
        keys.sort();
        for ((key, window), idx) in keys {
            let n = idx.len() as i64;
            let after = tongyu_store::verify::add_hits(tx, &key, window, n).await?;
            for (k, i) in idx.into_iter().enumerate() {
                let count = after - n + k as i64 + 1;
                over[i] |= count > jobs[i].limits[which].limit;
            }
        }
    }
    Ok(over)
}

async fn apply(db: &Db, jobs: &[&Job]) -> Result<crate::batch::Applied<Outcome>> {
    let mut tx = db.write().await?;
    let keys: Vec<&str> = jobs.iter().map(|j| j.dedupe_key.as_str()).collect();
    let since = jobs.iter().map(|j| j.dedupe_since).min().unwrap_or(0);
    let limited = count_limits(&mut tx, jobs).await?;
    let mut seen = store::recent_duplicates(&mut tx, &keys, since).await?;
    // Outcomes of fresh appeals get their ids once inserted.
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut fresh: Vec<&Job> = Vec::new();
    for (j, over) in jobs.iter().zip(&limited) {
        if *over {
            outcomes.push(Outcome {
                id: 0,
                tracking_code: String::new(),
                duplicate: false,
                limited: true,
                contact_due: 0,
                reply_due: 0,
            });
            continue;
        }
        if let Some(d) = seen.get(&j.dedupe_key) {
            let same_browser = !d.sender_device.is_empty() && d.sender_device == j.device_key;
            outcomes.push(Outcome {
                id: d.id,
                tracking_code: if same_browser {
                    d.tracking_code.clone()
                } else {
                    String::new()
                },
                duplicate: true,
                limited: false,
                contact_due: d.contact_due,
                reply_due: d.reply_due,
            });
            continue;
        }
        seen.insert(
            j.dedupe_key.clone(),
            store::Duplicate {
                id: 0,
                tracking_code: j.tracking_code.clone(),
                sender_device: j.device_key.clone(),
                contact_due: j.contact_due,
                reply_due: j.reply_due,
            },
        );
        outcomes.push(Outcome {
            id: 0,
            tracking_code: j.tracking_code.clone(),
            duplicate: false,
            limited: false,
            contact_due: j.contact_due,
            reply_due: j.reply_due,
        });
        fresh.push(j);
    }
    let now = jobs.iter().map(|j| j.now).max().unwrap_or(0);
    let rows: Vec<NewAppeal<'_>> = fresh
        .iter()
        .map(|j| NewAppeal {
            tracking_code: &j.tracking_code,
            source: Source::Qr,
            external_ref: None,
            school_id: j.school_id,
            unit_id: j.unit_id,
            level: j.level,
            category: j.category,
            text: &j.text,
            contact_name: &j.contact_name,
            contact_phone: &j.contact_phone,
            dedupe_key: &j.dedupe_key,
            sender_device: &j.device_key,
            urgent: !j.urgent_words.is_empty(),
            contact_due: j.contact_due,
            reply_due: j.reply_due,
        })
        .collect();
    let ids: HashMap<String, i64> = store::insert_many(&mut tx, &rows, now).await?;
    let id_of = |j: &Job| ids.get(&j.tracking_code).copied().unwrap_or(0);
    // Duplicates within this batch point at appeals inserted just now.
    let by_key: HashMap<&str, i64> = fresh
        .iter()
        .map(|j| (j.dedupe_key.as_str(), id_of(j)))
        .collect();
    for (o, j) in outcomes.iter_mut().zip(jobs) {
        if o.id == 0 && !o.limited {
            o.id = by_key.get(j.dedupe_key.as_str()).copied().unwrap_or(0);
        }
    }
    let urgent_texts: Vec<String> = fresh
        .iter()
        .map(|j| {
            format!(
                "含紧急词语“{}”，已同时通知区(市)教育局",
                j.urgent_words.join("、")
            )
        })
        .collect();
    let mut events: Vec<(i64, &str, bool, i64, i64, &str)> = Vec::with_capacity(fresh.len());
    for (j, urgent_text) in fresh.iter().zip(&urgent_texts) {
        events.push((
            id_of(j),
            "received",
            true,
            0,
            j.unit_id,
            j.received_text.as_str(),
        ));
        if !j.urgent_words.is_empty() {
            events.push((
                id_of(j),
                "urgent",
                false,
                0,
                j.district_id,
                urgent_text.as_str(),
            ));
        }
    }
    store::add_events_many(&mut tx, &events, now).await?;
    let mut words: Vec<(i64, &str, i64, i64, i64)> = Vec::new();
    for j in &fresh {
        for w in &j.keywords {
            words.push((
                id_of(j),
                w.as_str(),
                j.school_id,
                j.district_id,
                local_day(j.now),
            ));
        }
    }
    tongyu_store::opinion::add_keywords_many(&mut tx, &words).await?;
    for j in &fresh {
        if !j.urgent_words.is_empty() {
            store::notify(
                &mut tx,
                j.district_id,
                id_of(j),
                &format!("紧急诉求：涉及“{}”，请立即核实", j.urgent_words.join("、")),
                now,
            )
            .await?;
        }
        if !j.photos.is_empty() {
            super::attach_photos(&mut tx, id_of(j), &j.photos, now).await?;
        }
    }
    let entries: Vec<AuditEntry> = fresh
        .iter()
        .map(|j| {
            let mut e = j.audit.clone();
            e.object_id = id_of(j).to_string();
            e
        })
        .collect();
    tongyu_store::audit::append_many(&mut tx, &entries).await?;
    let durable = tx.commit_deferred().await.db()?;
    Ok(crate::batch::Applied {
        outs: outcomes,
        durable,
    })
}
