//! Customer rows (with phones, emails and accounts), merges, and the tier rules.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::{
    AgentId, Channel, CustomerId, PhoneNumber, RiskProfile, Tier, TierRule, Timestamp,
};

use super::interactions::{parse_id, parse_opt_id};
use super::mutation::classify;
use super::{Db, Page, StoreError};

/// A manual tier set by someone, with their reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierOverride {
    /// The tier set.
    pub tier: Tier,
    /// Who set it (an actor text: `agent:<id>` or `cli`).
    pub by: String,
    /// Why.
    pub reason: String,
}

/// A customer as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRecord {
    /// Its id.
    pub id: CustomerId,
    /// The brokerage's own customer number, if any (unique).
    pub external_id: Option<String>,
    /// Full name.
    pub name: String,
    /// The tier in force (the override when there is one, else the rules' answer).
    pub tier: Tier,
    /// A manual override, if any.
    pub tier_override: Option<TierOverride>,
    /// The owning account manager.
    pub account_manager: Option<AgentId>,
    /// Risk appetite.
    pub risk_profile: Option<RiskProfile>,
    /// The channel the customer prefers.
    pub preferred_channel: Option<Channel>,
    /// Assets, in fen.
    pub assets: Option<i64>,
    /// Trading turnover, in fen.
    pub turnover: Option<i64>,
    /// Commission contributed, in fen.
    pub commission: Option<i64>,
    /// Free attributes.
    pub attributes: BTreeMap<String, String>,
    /// Phone numbers, E.164.
    pub phones: Vec<PhoneNumber>,
    /// Email addresses, lower-case.
    pub emails: Vec<String>,
    /// Securities or bank account numbers.
    pub accounts: Vec<String>,
    /// The record this one was merged into, if any.
    pub merged_into: Option<CustomerId>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// How to search customers; every given field must match.
#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// An E.164 number.
    pub phone: Option<PhoneNumber>,
    /// An email address (any case).
    pub email: Option<String>,
    /// Part of the name (any case).
    pub name: Option<String>,
    /// An account number.
    pub account: Option<String>,
    /// Only customers of this account manager.
    pub account_manager: Option<AgentId>,
    /// Only this tier.
    pub tier: Option<Tier>,
}

pub(crate) async fn put(
    tx: &mut Transaction<'static, Any>,
    c: &CustomerRecord,
) -> Result<(), StoreError> {
    let what = || {
        format!(
            "customer with external id {:?}",
            c.external_id.as_deref().unwrap_or("")
        )
    };
    let attributes = serde_json::to_string(&c.attributes).expect("a string map always serialises");
    sqlx::query(
        "INSERT INTO customers (id, external_id, name, tier, tier_override, tier_override_by, tier_override_reason, \
         account_manager_id, risk_profile, preferred_channel, assets, turnover, commission, attributes, merged_into, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (id) DO UPDATE SET external_id = excluded.external_id, name = excluded.name, tier = excluded.tier, \
         tier_override = excluded.tier_override, tier_override_by = excluded.tier_override_by, \
         tier_override_reason = excluded.tier_override_reason, account_manager_id = excluded.account_manager_id, \
         risk_profile = excluded.risk_profile, preferred_channel = excluded.preferred_channel, assets = excluded.assets, \
         turnover = excluded.turnover, commission = excluded.commission, attributes = excluded.attributes, \
         merged_into = excluded.merged_into, updated_at = excluded.updated_at",
    )
    .bind(c.id.to_string())
    .bind(c.external_id.clone())
    .bind(c.name.clone())
    .bind(c.tier.as_str())
    .bind(c.tier_override.as_ref().map(|o| o.tier.as_str()))
    .bind(c.tier_override.as_ref().map(|o| o.by.clone()))
    .bind(c.tier_override.as_ref().map(|o| o.reason.clone()))
    .bind(c.account_manager.map(|a| a.to_string()))
    .bind(c.risk_profile.map(RiskProfile::as_str))
    .bind(c.preferred_channel.map(Channel::as_str))
    .bind(c.assets)
    .bind(c.turnover)
    .bind(c.commission)
    .bind(attributes)
    .bind(c.merged_into.map(|m| m.to_string()))
    .bind(c.created_at.as_millis())
    .bind(c.updated_at.as_millis())
    .execute(&mut **tx)
    .await
    .map_err(|e| classify(e, what))?;
    let id = c.id.to_string();
    for table in ["customer_phones", "customer_emails", "customer_accounts"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE customer_id = $1"
        )))
        .bind(id.clone())
        .execute(&mut **tx)
        .await?;
    }
    let mut phones: Vec<&str> = c.phones.iter().map(PhoneNumber::as_str).collect();
    phones.sort_unstable();
    phones.dedup();
    for p in phones {
        sqlx::query("INSERT INTO customer_phones (customer_id, e164) VALUES ($1, $2)")
            .bind(id.clone())
            .bind(p)
            .execute(&mut **tx)
            .await?;
    }
    let mut emails: Vec<String> = c.emails.iter().map(|e| e.to_lowercase()).collect();
    emails.sort_unstable();
    emails.dedup();
    for e in emails {
        sqlx::query("INSERT INTO customer_emails (customer_id, address) VALUES ($1, $2)")
            .bind(id.clone())
            .bind(e)
            .execute(&mut **tx)
            .await?;
    }
    let mut accounts = c.accounts.clone();
    accounts.sort_unstable();
    accounts.dedup();
    for a in accounts {
        sqlx::query("INSERT INTO customer_accounts (customer_id, account_number) VALUES ($1, $2)")
            .bind(id.clone())
            .bind(a)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub(crate) async fn merge(
    tx: &mut Transaction<'static, Any>,
    from: CustomerId,
    into: CustomerId,
    at: Timestamp,
) -> Result<(), StoreError> {
    let (f, i) = (from.to_string(), into.to_string());
    let statements = [
        "UPDATE interactions SET customer_id = $2 WHERE customer_id = $1",
        "UPDATE cases SET customer_id = $2 WHERE customer_id = $1",
        "INSERT INTO customer_phones (customer_id, e164) SELECT $2, e164 FROM customer_phones WHERE customer_id = $1 \
         AND e164 NOT IN (SELECT e164 FROM customer_phones WHERE customer_id = $2)",
        "INSERT INTO customer_emails (customer_id, address) SELECT $2, address FROM customer_emails WHERE customer_id = $1 \
         AND address NOT IN (SELECT address FROM customer_emails WHERE customer_id = $2)",
        "INSERT INTO customer_accounts (customer_id, account_number) SELECT $2, account_number FROM customer_accounts \
         WHERE customer_id = $1 AND account_number NOT IN (SELECT account_number FROM customer_accounts WHERE customer_id = $2)",
    ];
    for sql in statements {
        sqlx::query(sql)
            .bind(f.clone())
            .bind(i.clone())
            .execute(&mut **tx)
            .await?;
    }
    // One parameter only: PostgreSQL rejects a statement bound with more than it uses.
    for table in ["customer_phones", "customer_emails", "customer_accounts"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE customer_id = $1"
        )))
        .bind(f.clone())
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "UPDATE customers SET merged_into = $1, external_id = NULL, updated_at = $2 WHERE id = $3",
    )
    .bind(i)
    .bind(at.as_millis())
    .bind(f)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn put_tier_rules(
    tx: &mut Transaction<'static, Any>,
    rules: &[TierRule],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM tier_rules")
        .execute(&mut **tx)
        .await?;
    for (rank, r) in rules.iter().enumerate() {
        sqlx::query("INSERT INTO tier_rules (tier, rank, min_assets, min_turnover, min_commission) VALUES ($1, $2, $3, $4, $5)")
            .bind(r.tier.as_str())
            .bind(i64::try_from(rank).unwrap_or(i64::MAX))
            .bind(r.min_assets)
            .bind(r.min_turnover)
            .bind(r.min_commission)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

const CUSTOMER_COLUMNS: &str = "id, external_id, name, tier, tier_override, tier_override_by, tier_override_reason, \
     account_manager_id, risk_profile, preferred_channel, assets, turnover, commission, attributes, merged_into, \
     created_at, updated_at";

impl Db {
    /// One customer (a merged record still reads, with `merged_into` set).
    pub async fn customer(&self, id: CustomerId) -> Result<Option<CustomerRecord>, StoreError> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(r) => Ok(Some(self.decode_customer(&r).await?)),
            None => Ok(None),
        }
    }

    /// The customer with this external id.
    pub async fn customer_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<CustomerRecord>, StoreError> {
        let row = sqlx::query("SELECT id FROM customers WHERE external_id = $1")
            .bind(external_id)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(r) => self.customer(parse_id(&r, "id", "customers")?).await,
            None => Ok(None),
        }
    }

    /// Customers matching every given field, by name; merged records are left out.
    pub async fn customers(
        &self,
        q: &CustomerQuery,
        page: Page,
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE merged_into IS NULL \
             AND ($1 = '' OR id IN (SELECT customer_id FROM customer_phones WHERE e164 = $1)) \
             AND ($2 = '' OR id IN (SELECT customer_id FROM customer_emails WHERE address = $2)) \
             AND ($3 = '' OR LOWER(name) LIKE $3) \
             AND ($4 = '' OR id IN (SELECT customer_id FROM customer_accounts WHERE account_number = $4)) \
             AND ($5 = '' OR account_manager_id = $5) AND ($6 = '' OR tier = $6) \
             ORDER BY name, id LIMIT $7 OFFSET $8"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(
                q.phone
                    .as_ref()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
            )
            .bind(
                q.email
                    .as_ref()
                    .map(|e| e.trim().to_lowercase())
                    .unwrap_or_default(),
            )
            .bind(
                q.name
                    .as_ref()
                    .map(|n| format!("%{}%", n.to_lowercase()))
                    .unwrap_or_default(),
            )
            .bind(q.account.clone().unwrap_or_default())
            .bind(q.account_manager.map(|a| a.to_string()).unwrap_or_default())
            .bind(q.tier.map(|t| t.as_str().to_owned()).unwrap_or_default())
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.decode_customer(r).await?);
        }
        Ok(out)
    }

    /// The tier rules, highest tier first (the defaults when none are stored).
    pub async fn tier_rules(&self) -> Result<Vec<TierRule>, StoreError> {
        let rows = sqlx::query(
            "SELECT tier, min_assets, min_turnover, min_commission FROM tier_rules ORDER BY rank",
        )
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(TierRule::defaults());
        }
        rows.iter()
            .map(|r| {
                let tier: String = r.try_get("tier")?;
                Ok(TierRule {
                    tier: tier
                        .parse()
                        .map_err(|e| StoreError::corrupt("tier_rules", e))?,
                    min_assets: r.try_get("min_assets")?,
                    min_turnover: r.try_get("min_turnover")?,
                    min_commission: r.try_get("min_commission")?,
                })
            })
            .collect()
    }

    async fn decode_customer(&self, r: &AnyRow) -> Result<CustomerRecord, StoreError> {
        let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("customers", e);
        let id: CustomerId = parse_id(r, "id", "customers")?;
        let tier: String = r.try_get("tier")?;
        let over: Option<String> = r.try_get("tier_override")?;
        let risk: Option<String> = r.try_get("risk_profile")?;
        let channel: Option<String> = r.try_get("preferred_channel")?;
        let attributes: String = r.try_get("attributes")?;
        let tier_override = match over {
            Some(t) => Some(TierOverride {
                tier: t.parse().map_err(|e| bad(&e))?,
                by: r
                    .try_get::<Option<String>, _>("tier_override_by")?
                    .unwrap_or_default(),
                reason: r
                    .try_get::<Option<String>, _>("tier_override_reason")?
                    .unwrap_or_default(),
            }),
            None => None,
        };
        let key = id.to_string();
        let strings = |sql: &'static str| {
            let key = key.clone();
            async move {
                let rows = sqlx::query(sql).bind(key).fetch_all(self.pool()).await?;
                rows.iter()
                    .map(|r| r.try_get::<String, _>(0).map_err(StoreError::from))
                    .collect::<Result<Vec<_>, _>>()
            }
        };
        let phones =
            strings("SELECT e164 FROM customer_phones WHERE customer_id = $1 ORDER BY e164")
                .await?;
        Ok(CustomerRecord {
            id,
            external_id: r.try_get("external_id")?,
            name: r.try_get("name")?,
            tier: tier.parse().map_err(|e| bad(&e))?,
            tier_override,
            account_manager: parse_opt_id(r, "account_manager_id", "customers")?,
            risk_profile: risk.map(|s| s.parse()).transpose().map_err(|e| bad(&e))?,
            preferred_channel: channel.map(|s| s.parse()).transpose().map_err(|e| bad(&e))?,
            assets: r.try_get("assets")?,
            turnover: r.try_get("turnover")?,
            commission: r.try_get("commission")?,
            attributes: serde_json::from_str(&attributes).map_err(|e| bad(&e))?,
            phones: phones.into_iter().map(PhoneNumber::from_e164_unchecked).collect(),
            emails: strings("SELECT address FROM customer_emails WHERE customer_id = $1 ORDER BY address").await?,
            accounts: strings("SELECT account_number FROM customer_accounts WHERE customer_id = $1 ORDER BY account_number").await?,
            merged_into: parse_opt_id(r, "merged_into", "customers")?,
            created_at: Timestamp::from_millis(r.try_get("created_at")?),
            updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
        })
    }
}
