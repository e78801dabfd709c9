//! Login session rows: a hash of the bearer token, its owner and its expiry.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::{AgentId, SessionId, Timestamp};

use super::interactions::parse_id;
use super::{Db, StoreError};

/// A login session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Its id.
    pub id: SessionId,
    /// SHA-256 of the bearer token, hex (the token itself is never stored).
    pub token_hash: String,
    /// Who signed in.
    pub agent: AgentId,
    /// The source address at sign-in.
    pub source: String,
    /// Sign-in time.
    pub created_at: Timestamp,
    /// Last use (idle expiry counts from here).
    pub last_seen_at: Timestamp,
    /// Absolute expiry.
    pub expires_at: Timestamp,
    /// When it was revoked (logout), if it was.
    pub revoked_at: Option<Timestamp>,
}

pub(crate) async fn put(
    tx: &mut Transaction<'static, Any>,
    s: &SessionRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, agent_id, source, created_at, last_seen_at, expires_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(s.id.to_string())
    .bind(s.token_hash.clone())
    .bind(s.agent.to_string())
    .bind(s.source.clone())
    .bind(s.created_at.as_millis())
    .bind(s.last_seen_at.as_millis())
    .bind(s.expires_at.as_millis())
    .bind(s.revoked_at.map(Timestamp::as_millis))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn touch(
    tx: &mut Transaction<'static, Any>,
    id: SessionId,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1")
        .bind(at.as_millis())
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn revoke(
    tx: &mut Transaction<'static, Any>,
    id: SessionId,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(at.as_millis())
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Db {
    /// The session whose token hashes to `token_hash`.
    pub async fn session_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, token_hash, agent_id, source, created_at, last_seen_at, expires_at, revoked_at \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(decode).transpose()
    }
}

fn decode(r: &AnyRow) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id: parse_id(r, "id", "sessions")?,
        token_hash: r.try_get("token_hash")?,
        agent: parse_id(r, "agent_id", "sessions")?,
        source: r.try_get("source")?,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
        last_seen_at: Timestamp::from_millis(r.try_get("last_seen_at")?),
        expires_at: Timestamp::from_millis(r.try_get("expires_at")?),
        revoked_at: r
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(Timestamp::from_millis),
    })
}
