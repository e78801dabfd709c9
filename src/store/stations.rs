//! Station rows: SIP device accounts with their digest HA1 per realm and algorithm (never a
//! password), and their registered contacts (bindings). Knows nothing of SIP: algorithms are
//! the tokens the registrar uses (`MD5`, `SHA-256`), contacts and sources are text.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::{AgentId, StationName, Timestamp};

use super::mutation::classify;
use super::{Db, StoreError};

/// One stored HA1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationCredential {
    /// The digest realm it was computed for.
    pub realm: String,
    /// The algorithm token (`MD5`, `SHA-256`).
    pub algorithm: String,
    /// H(user:realm:password), lower-case hex.
    pub ha1: String,
}

/// A station as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationRecord {
    /// Its name (the SIP user name).
    pub name: StationName,
    /// The agent who sits there by default.
    pub agent: Option<AgentId>,
    /// Its HA1 values (all of them; a put replaces the set).
    pub credentials: Vec<StationCredential>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change (password).
    pub updated_at: Timestamp,
}

/// One registered contact as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRecord {
    /// The contact URI.
    pub contact: String,
    /// When it lapses.
    pub expires_at: Timestamp,
    /// The Call-ID of the REGISTER that set it.
    pub call_id: String,
    /// Its CSeq.
    pub cseq: u32,
    /// The source address (`ip:port`) it came from.
    pub source: String,
}

pub(crate) async fn put(
    tx: &mut Transaction<'static, Any>,
    s: &StationRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO stations (name, agent_id, created_at, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET agent_id = excluded.agent_id, updated_at = excluded.updated_at",
    )
    .bind(s.name.to_string())
    .bind(s.agent.map(|a| a.to_string()))
    .bind(s.created_at.as_millis())
    .bind(s.updated_at.as_millis())
    .execute(&mut **tx)
    .await
    .map_err(|e| classify(e, || format!("station {} or its agent", s.name)))?;
    sqlx::query("DELETE FROM station_credentials WHERE station = $1")
        .bind(s.name.to_string())
        .execute(&mut **tx)
        .await?;
    for c in &s.credentials {
        sqlx::query(
            "INSERT INTO station_credentials (station, realm, algorithm, ha1) VALUES ($1, $2, $3, $4)",
        )
        .bind(s.name.to_string())
        .bind(c.realm.clone())
        .bind(c.algorithm.clone())
        .bind(c.ha1.clone())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(crate) async fn put_bindings(
    tx: &mut Transaction<'static, Any>,
    station: &StationName,
    bindings: &[BindingRecord],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM station_bindings WHERE station = $1")
        .bind(station.to_string())
        .execute(&mut **tx)
        .await?;
    for b in bindings {
        sqlx::query(
            "INSERT INTO station_bindings (station, contact, expires_at, call_id, cseq, source) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(station.to_string())
        .bind(b.contact.clone())
        .bind(b.expires_at.as_millis())
        .bind(b.call_id.clone())
        .bind(i64::from(b.cseq))
        .bind(b.source.clone())
        .execute(&mut **tx)
        .await
        .map_err(|e| classify(e, || format!("station {station}")))?;
    }
    Ok(())
}

impl Db {
    /// Every station with its credentials, by name.
    pub async fn stations(&self) -> Result<Vec<StationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, agent_id, created_at, updated_at FROM stations ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<StationRecord> = rows.iter().map(decode).collect::<Result<_, _>>()?;
        let creds = sqlx::query(
            "SELECT station, realm, algorithm, ha1 FROM station_credentials ORDER BY station, realm, algorithm",
        )
        .fetch_all(self.pool())
        .await?;
        for r in &creds {
            let station: String = r.try_get("station")?;
            if let Some(s) = out.iter_mut().find(|s| s.name.as_str() == station) {
                s.credentials.push(StationCredential {
                    realm: r.try_get("realm")?,
                    algorithm: r.try_get("algorithm")?,
                    ha1: r.try_get("ha1")?,
                });
            }
        }
        Ok(out)
    }

    /// One station by name.
    pub async fn station(&self, name: &StationName) -> Result<Option<StationRecord>, StoreError> {
        Ok(self.stations().await?.into_iter().find(|s| &s.name == name))
    }

    /// Every stored binding that has not lapsed at `now`, by station.
    pub async fn station_bindings(
        &self,
        now: Timestamp,
    ) -> Result<Vec<(StationName, BindingRecord)>, StoreError> {
        let rows = sqlx::query(
            "SELECT station, contact, expires_at, call_id, cseq, source FROM station_bindings \
             WHERE expires_at > $1 ORDER BY station, contact",
        )
        .bind(now.as_millis())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let station: String = r.try_get("station")?;
                let cseq: i64 = r.try_get("cseq")?;
                Ok((
                    StationName::parse(&station)
                        .map_err(|e| StoreError::corrupt("station_bindings", e))?,
                    BindingRecord {
                        contact: r.try_get("contact")?,
                        expires_at: Timestamp::from_millis(r.try_get("expires_at")?),
                        call_id: r.try_get("call_id")?,
                        cseq: u32::try_from(cseq)
                            .map_err(|e| StoreError::corrupt("station_bindings", e))?,
                        source: r.try_get("source")?,
                    },
                ))
            })
            .collect()
    }
}

fn decode(r: &AnyRow) -> Result<StationRecord, StoreError> {
    let name: String = r.try_get("name")?;
    let agent: Option<String> = r.try_get("agent_id")?;
    Ok(StationRecord {
        name: StationName::parse(&name).map_err(|e| StoreError::corrupt("stations", e))?,
        agent: agent
            .map(|a| a.parse())
            .transpose()
            .map_err(|e: uuid::Error| StoreError::corrupt("stations", e))?,
        credentials: Vec::new(),
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
        updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
    })
}
