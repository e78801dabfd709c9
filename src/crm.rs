//! Customer records: validation of what people type or import, tier computation, and the
//! changes (create, update, tier override, merge) committed with their events.
//!
//! Used alike by the HTTP API, the CSV import and the demo seed. Knows nothing of HTTP.

use std::collections::BTreeMap;

use crate::domain::{
    AgentId, AgentLogin, Channel, CustomerId, DialPlan, PhoneNumber, RiskProfile, Tier,
    TierFigures, Timestamp, tier_for,
};
use crate::interaction_log::event::TierCause;
use crate::interaction_log::{Actor, EventBody, InteractionLogHandle, LogError, NewEvent, Subject};
use crate::store::customers::{CustomerRecord, TierOverride};
use crate::store::{Db, Mutation, StoreError, WriteItem};

/// One field that did not validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the caller wrote it (`phones`, `assets`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Why a customer change was refused.
#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    /// Fields did not validate (all of them are listed).
    #[error("invalid customer: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// No such customer.
    #[error("customer {0} does not exist")]
    NotFound(CustomerId),
    /// Another customer already has this external id.
    #[error("another customer already has external id {0:?}")]
    DuplicateExternalId(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log writer failed.
    #[error(transparent)]
    Log(LogError),
}

impl From<LogError> for CrmError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::Store(StoreError::Conflict { what }) => CrmError::DuplicateExternalId(what),
            other => CrmError::Log(other),
        }
    }
}

/// Customer fields as typed by a person or read from a file, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCustomer {
    /// Full name (required).
    pub name: Option<String>,
    /// The brokerage's customer number.
    pub external_id: Option<String>,
    /// Phone numbers in any usual format.
    pub phones: Vec<String>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Account numbers.
    pub accounts: Vec<String>,
    /// The account manager's login.
    pub account_manager: Option<String>,
    /// `conservative` ... `aggressive`.
    pub risk_profile: Option<String>,
    /// `voice`, `email`, `chat` or `form`.
    pub preferred_channel: Option<String>,
    /// Assets in yuan (`1234567.89`, commas allowed).
    pub assets: Option<String>,
    /// Trading turnover in yuan.
    pub turnover: Option<String>,
    /// Commission contributed in yuan.
    pub commission: Option<String>,
    /// Free attributes.
    pub attributes: BTreeMap<String, String>,
}

/// Validated customer fields (the account manager still by login).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerDraft {
    /// Full name.
    pub name: String,
    /// The brokerage's customer number.
    pub external_id: Option<String>,
    /// Phones, E.164.
    pub phones: Vec<PhoneNumber>,
    /// Emails, lower-case.
    pub emails: Vec<String>,
    /// Account numbers.
    pub accounts: Vec<String>,
    /// The account manager's login.
    pub account_manager: Option<AgentLogin>,
    /// Risk appetite.
    pub risk_profile: Option<RiskProfile>,
    /// Preferred channel.
    pub preferred_channel: Option<Channel>,
    /// Assets, turnover and commission in fen.
    pub figures: TierFigures,
    /// Free attributes.
    pub attributes: BTreeMap<String, String>,
}

/// Validates raw fields, reporting every problem.
pub fn validate(raw: &RawCustomer, plan: &DialPlan) -> Result<CustomerDraft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.to_owned(),
            message,
        })
    };
    let name = raw
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        err("name", "a name of 1 to 200 characters is required".into());
    }
    let mut phones = Vec::new();
    for p in raw.phones.iter().filter(|p| !p.trim().is_empty()) {
        match PhoneNumber::parse(p, plan) {
            Ok(n) => phones.push(n),
            Err(e) => err("phones", e.to_string()),
        }
    }
    let mut emails = Vec::new();
    for e in raw
        .emails
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
    {
        let ok = e.len() <= 254
            && e.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !e.contains(' '));
        if ok {
            emails.push(e.to_lowercase())
        } else {
            err("emails", format!("{e:?} is not an email address"))
        }
    }
    let accounts: Vec<String> = raw
        .accounts
        .iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    if accounts.iter().any(|a| a.len() > 64) {
        err(
            "accounts",
            "an account number is at most 64 characters".into(),
        );
    }
    let account_manager = match raw
        .account_manager
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(l) => AgentLogin::parse(l)
            .map_err(|e| err("account_manager", e.to_string()))
            .ok(),
        None => None,
    };
    let risk_profile = opt_parse(&raw.risk_profile).unwrap_or_else(|e| {
        err("risk_profile", e);
        None
    });
    let preferred_channel = opt_parse(&raw.preferred_channel).unwrap_or_else(|e| {
        err("preferred_channel", e);
        None
    });
    let mut money = |field: &str, v: &Option<String>| match v
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(text) => parse_yuan(text).map(Some).unwrap_or_else(|m| {
            err(field, m);
            None
        }),
        None => None,
    };
    let figures = TierFigures {
        assets: money("assets", &raw.assets),
        turnover: money("turnover", &raw.turnover),
        commission: money("commission", &raw.commission),
    };
    let external_id = raw
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if errors.is_empty() {
        Ok(CustomerDraft {
            name,
            external_id,
            phones,
            emails,
            accounts,
            account_manager,
            risk_profile,
            preferred_channel,
            figures,
            attributes: raw.attributes.clone(),
        })
    } else {
        Err(errors)
    }
}

fn opt_parse<T: std::str::FromStr>(v: &Option<String>) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => text.parse().map(Some).map_err(|e: T::Err| e.to_string()),
        None => Ok(None),
    }
}

/// Parses an amount of yuan (`1,234,567.89`) into fen.
pub fn parse_yuan(text: &str) -> Result<i64, String> {
    let clean: String = text.chars().filter(|c| *c != ',' && *c != '_').collect();
    let bad = || format!("{text:?} is not an amount in yuan (e.g. 1234567.89)");
    let (int, frac) = clean.split_once('.').unwrap_or((&clean, ""));
    if int.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let yuan: i64 = int.parse().map_err(|_| bad())?;
    let fen: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    yuan.checked_mul(100)
        .and_then(|v| v.checked_add(fen))
        .ok_or_else(bad)
}

/// Resolves the account manager's login to an id.
async fn manager_id(db: &Db, draft: &CustomerDraft) -> Result<Option<AgentId>, CrmError> {
    let Some(login) = &draft.account_manager else {
        return Ok(None);
    };
    match db.agent_by_login(login).await? {
        Some(a) => Ok(Some(a.id)),
        None => Err(CrmError::Invalid(vec![FieldError {
            field: "account_manager".into(),
            message: format!("no agent has the login {login:?}"),
        }])),
    }
}

/// Creates a customer; the tier comes from the tier rules.
pub async fn create(
    db: &Db,
    log: &InteractionLogHandle,
    draft: CustomerDraft,
    actor: Actor,
    now: Timestamp,
) -> Result<CustomerRecord, CrmError> {
    let manager = manager_id(db, &draft).await?;
    let tier = tier_for(&db.tier_rules().await?, draft.figures);
    let record = CustomerRecord {
        id: CustomerId::generate(),
        external_id: draft.external_id,
        name: draft.name,
        tier,
        tier_override: None,
        account_manager: manager,
        risk_profile: draft.risk_profile,
        preferred_channel: draft.preferred_channel,
        assets: draft.figures.assets,
        turnover: draft.figures.turnover,
        commission: draft.figures.commission,
        attributes: draft.attributes,
        phones: draft.phones,
        emails: draft.emails,
        accounts: draft.accounts,
        merged_into: None,
        created_at: now,
        updated_at: now,
    };
    let event = EventBody::CustomerCreated {
        name: record.name.clone(),
        external_id: record.external_id.clone(),
        tier,
    };
    let item = WriteItem {
        events: vec![NewEvent::new(
            Subject::Customer(record.id),
            now,
            actor,
            event,
        )],
        mutations: vec![Mutation::PutCustomer(Box::new(record.clone()))],
    };
    log.commit(item).await?;
    Ok(record)
}

/// Replaces a customer's editable fields; the tier is recomputed unless overridden.
pub async fn update(
    db: &Db,
    log: &InteractionLogHandle,
    id: CustomerId,
    draft: CustomerDraft,
    actor: Actor,
    now: Timestamp,
) -> Result<CustomerRecord, CrmError> {
    let old = db.customer(id).await?.ok_or(CrmError::NotFound(id))?;
    let manager = manager_id(db, &draft).await?;
    let rules_tier = tier_for(&db.tier_rules().await?, draft.figures);
    let tier = old.tier_override.as_ref().map_or(rules_tier, |o| o.tier);
    let new = CustomerRecord {
        external_id: draft.external_id,
        name: draft.name,
        tier,
        account_manager: manager,
        risk_profile: draft.risk_profile,
        preferred_channel: draft.preferred_channel,
        assets: draft.figures.assets,
        turnover: draft.figures.turnover,
        commission: draft.figures.commission,
        attributes: draft.attributes,
        phones: draft.phones,
        emails: draft.emails,
        accounts: draft.accounts,
        updated_at: now,
        ..old.clone()
    };
    let fields = changed_fields(&old, &new);
    if fields.is_empty() {
        return Ok(old);
    }
    let subject = Subject::Customer(id);
    let mut events = vec![NewEvent::new(
        subject,
        now,
        actor.clone(),
        EventBody::CustomerUpdated { fields },
    )];
    if old.tier != new.tier {
        events.push(NewEvent::new(
            subject,
            now,
            actor,
            EventBody::TierChanged {
                from: old.tier,
                to: new.tier,
                cause: TierCause::Rules,
            },
        ));
    }
    log.commit(WriteItem {
        events,
        mutations: vec![Mutation::PutCustomer(Box::new(new.clone()))],
    })
    .await?;
    Ok(new)
}

fn changed_fields(old: &CustomerRecord, new: &CustomerRecord) -> Vec<String> {
    let mut f = Vec::new();
    let mut check = |name: &str, changed: bool| {
        if changed {
            f.push(name.to_owned());
        }
    };
    check("name", old.name != new.name);
    check("external_id", old.external_id != new.external_id);
    check("phones", old.phones != new.phones);
    check("emails", old.emails != new.emails);
    check("accounts", old.accounts != new.accounts);
    check(
        "account_manager",
        old.account_manager != new.account_manager,
    );
    check("risk_profile", old.risk_profile != new.risk_profile);
    check(
        "preferred_channel",
        old.preferred_channel != new.preferred_channel,
    );
    check("assets", old.assets != new.assets);
    check("turnover", old.turnover != new.turnover);
    check("commission", old.commission != new.commission);
    check("attributes", old.attributes != new.attributes);
    f
}

/// Sets (`Some`) or clears (`None`) a manual tier, recording who and why.
pub async fn override_tier(
    db: &Db,
    log: &InteractionLogHandle,
    id: CustomerId,
    tier: Option<Tier>,
    reason: String,
    actor: Actor,
    now: Timestamp,
) -> Result<CustomerRecord, CrmError> {
    let old = db.customer(id).await?.ok_or(CrmError::NotFound(id))?;
    let figures = TierFigures {
        assets: old.assets,
        turnover: old.turnover,
        commission: old.commission,
    };
    let (new_tier, over, cause) = match tier {
        Some(t) => (
            t,
            Some(TierOverride {
                tier: t,
                by: actor.to_string(),
                reason: reason.clone(),
            }),
            TierCause::Override { reason },
        ),
        None => (
            tier_for(&db.tier_rules().await?, figures),
            None,
            TierCause::OverrideCleared,
        ),
    };
    let new = CustomerRecord {
        tier: new_tier,
        tier_override: over,
        updated_at: now,
        ..old.clone()
    };
    let body = EventBody::TierChanged {
        from: old.tier,
        to: new_tier,
        cause,
    };
    let item = WriteItem {
        events: vec![NewEvent::new(Subject::Customer(id), now, actor, body)],
        mutations: vec![Mutation::PutCustomer(Box::new(new.clone()))],
    };
    log.commit(item).await?;
    Ok(new)
}

/// Merges `from` into `into`: contacts, cases, phones, emails and accounts follow.
pub async fn merge(
    db: &Db,
    log: &InteractionLogHandle,
    from: CustomerId,
    into: CustomerId,
    actor: Actor,
    now: Timestamp,
) -> Result<CustomerRecord, CrmError> {
    if from == into {
        return Err(CrmError::Invalid(vec![FieldError {
            field: "into".into(),
            message: "a customer cannot be merged into itself".into(),
        }]));
    }
    db.customer(from)
        .await?
        .filter(|c| c.merged_into.is_none())
        .ok_or(CrmError::NotFound(from))?;
    db.customer(into)
        .await?
        .filter(|c| c.merged_into.is_none())
        .ok_or(CrmError::NotFound(into))?;
    let item = WriteItem {
        events: vec![
            NewEvent::new(
                Subject::Customer(from),
                now,
                actor.clone(),
                EventBody::CustomerMerged { into },
            ),
            NewEvent::new(
                Subject::Customer(into),
                now,
                actor,
                EventBody::CustomerUpdated {
                    fields: vec!["merged_from".into()],
                },
            ),
        ],
        mutations: vec![Mutation::MergeCustomer {
            from,
            into,
            at: now,
        }],
    };
    log.commit(item).await?;
    db.customer(into).await?.ok_or(CrmError::NotFound(into))
}

/// Applies the current tier rules to every customer without a manual tier, recording each
/// change. Returns how many customers changed tier.
pub async fn recompute_tiers(
    db: &Db,
    log: &InteractionLogHandle,
    actor: Actor,
    now: Timestamp,
) -> Result<u64, CrmError> {
    let rules = db.tier_rules().await?;
    let mut changed = 0;
    let mut offset = 0;
    loop {
        let page = crate::store::Page::new(offset, 500);
        let batch = db
            .customers(&crate::store::customers::CustomerQuery::default(), page)
            .await?;
        for c in batch.iter().filter(|c| c.tier_override.is_none()) {
            let tier = tier_for(
                &rules,
                TierFigures {
                    assets: c.assets,
                    turnover: c.turnover,
                    commission: c.commission,
                },
            );
            if tier != c.tier {
                let new = CustomerRecord {
                    tier,
                    updated_at: now,
                    ..c.clone()
                };
                let body = EventBody::TierChanged {
                    from: c.tier,
                    to: tier,
                    cause: TierCause::Rules,
                };
                let item = WriteItem {
                    events: vec![NewEvent::new(
                        Subject::Customer(c.id),
                        now,
                        actor.clone(),
                        body,
                    )],
                    mutations: vec![Mutation::PutCustomer(Box::new(new))],
                };
                log.commit(item).await?;
                changed += 1;
            }
        }
        if (batch.len() as i64) < page.limit {
            return Ok(changed);
        }
        offset += page.limit;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_yuan_become_fen() {
        assert_eq!(parse_yuan("1234567.89"), Ok(123_456_789));
        assert_eq!(parse_yuan("1,234,567.8"), Ok(123_456_780));
        assert_eq!(parse_yuan("500000"), Ok(50_000_000));
        assert!(parse_yuan("-5").is_err());
        assert!(parse_yuan("1.234").is_err());
        assert!(parse_yuan("abc").is_err());
        assert!(parse_yuan("99999999999999999999").is_err());
    }

    #[test]
    fn validation_reports_every_field() {
        let raw = RawCustomer {
            name: Some("  ".into()),
            phones: vec!["138-0013-800x".into(), "138 0013 8000".into()],
            emails: vec!["not-an-email".into()],
            risk_profile: Some("reckless".into()),
            assets: Some("lots".into()),
            ..RawCustomer::default()
        };
        let errors = validate(&raw, &DialPlan::default())
            .err()
            .unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "phones", "emails", "risk_profile", "assets"]
        );
    }

    #[test]
    fn validation_normalises() {
        let raw = RawCustomer {
            name: Some("张伟".into()),
            phones: vec!["+86 138-0013-8000".into(), String::new()],
            emails: vec!["Zhang.Wei@Example.COM".into()],
            assets: Some("600,000".into()),
            preferred_channel: Some("email".into()),
            ..RawCustomer::default()
        };
        let d = validate(&raw, &DialPlan::default()).ok();
        let d = d.as_ref();
        assert_eq!(
            d.map(|d| d.phones.iter().map(|p| p.as_str()).collect::<Vec<_>>()),
            Some(vec!["+8613800138000"])
        );
        assert_eq!(
            d.map(|d| d.emails.clone()),
            Some(vec!["zhang.wei@example.com".to_owned()])
        );
        assert_eq!(d.and_then(|d| d.figures.assets), Some(60_000_000));
        assert_eq!(d.and_then(|d| d.preferred_channel), Some(Channel::Email));
    }
}
