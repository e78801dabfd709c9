//! `switchyard import customers FILE.csv`: validates every row, reports bad rows by line and
//! field, creates or updates the good ones (many in flight so that group commit batches them),
//! and prints a summary.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::crm::{self, CrmError, RawCustomer};
use crate::domain::Timestamp;
use crate::interaction_log::{Actor, InteractionLogHandle};
use crate::store::Db;

/// Rows written at once.
const IN_FLIGHT: usize = 128;

const KNOWN: [&str; 11] = [
    "name",
    "external_id",
    "phones",
    "emails",
    "accounts",
    "account_manager",
    "risk_profile",
    "preferred_channel",
    "assets",
    "turnover",
    "commission",
];

enum Outcome {
    Created,
    Updated,
}

pub(super) async fn customers(config: &Config, file: &Path) -> anyhow::Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("cannot open {}", file.display()))?;
    let headers: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if !headers.iter().any(|h| h == "name") {
        anyhow::bail!("{}: the header row has no `name` column", file.display());
    }
    let rows: Vec<(u64, csv::StringRecord)> = reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            r.map(|rec| {
                (
                    rec.position().map_or(i as u64 + 2, csv::Position::line),
                    rec,
                )
            })
        })
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not readable CSV", file.display()))?;

    let (db, log, writer) = crate::app::open_store(config).await?;
    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} customers {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut errors: Vec<String> = Vec::new();
    let (mut created, mut updated) = (0u64, 0u64);
    let mut tasks: JoinSet<(u64, Result<Outcome, String>)> = JoinSet::new();
    let mut settle = |done: (u64, Result<Outcome, String>), errors: &mut Vec<String>| {
        match done.1 {
            Ok(Outcome::Created) => created += 1,
            Ok(Outcome::Updated) => updated += 1,
            Err(e) => errors.push(format!("line {}: {e}", done.0)),
        }
        bar.inc(1);
    };
    for (line, rec) in rows {
        let raw = raw_customer(&headers, &rec);
        match crm::validate(&raw, &config.site.dial_plan) {
            Err(field_errors) => {
                let text = field_errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                errors.push(format!("line {line}: {text}"));
                bar.inc(1);
            }
            Ok(draft) => {
                let (db, log) = (db.clone(), log.clone());
                tasks.spawn(async move {
                    (
                        line,
                        upsert(&db, &log, draft).await.map_err(|e| e.to_string()),
                    )
                });
            }
        }
        while tasks.len() >= IN_FLIGHT {
            if let Some(done) = tasks.join_next().await {
                settle(done?, &mut errors);
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        settle(done?, &mut errors);
    }
    bar.finish_and_clear();
    drop(log);
    writer.await?;
    db.close().await;
    errors.sort_by_key(|e| {
        e.split(':')
            .next()
            .and_then(|l| l.trim_start_matches("line ").parse::<u64>().ok())
            .unwrap_or(0)
    });
    for e in &errors {
        eprintln!("{}: {e}", file.display());
    }
    println!(
        "imported {}: {created} created, {updated} updated, {} rejected",
        file.display(),
        errors.len()
    );
    if errors.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} rows were rejected (listed above)", errors.len())
    }
}

fn raw_customer(headers: &[String], rec: &csv::StringRecord) -> RawCustomer {
    let get = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| rec.get(i))
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    let list = |name: &str| {
        get(name)
            .map(|v| {
                v.split([';', '|'])
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let attributes: BTreeMap<String, String> = headers
        .iter()
        .zip(rec.iter())
        .filter(|(h, v)| !KNOWN.contains(&h.as_str()) && !v.is_empty())
        .map(|(h, v)| (h.clone(), v.to_owned()))
        .collect();
    RawCustomer {
        name: get("name"),
        external_id: get("external_id"),
        phones: list("phones"),
        emails: list("emails"),
        accounts: list("accounts"),
        account_manager: get("account_manager"),
        risk_profile: get("risk_profile"),
        preferred_channel: get("preferred_channel"),
        assets: get("assets"),
        turnover: get("turnover"),
        commission: get("commission"),
        attributes,
    }
}

async fn upsert(
    db: &Db,
    log: &InteractionLogHandle,
    draft: crm::CustomerDraft,
) -> Result<Outcome, CrmError> {
    let now = Timestamp::now();
    let existing = match &draft.external_id {
        Some(ext) => db.customer_by_external_id(ext).await?,
        None => None,
    };
    match existing {
        Some(c) => crm::update(db, log, c.id, draft, Actor::Cli, now)
            .await
            .map(|_| Outcome::Updated),
        None => crm::create(db, log, draft, Actor::Cli, now)
            .await
            .map(|_| Outcome::Created),
    }
}
