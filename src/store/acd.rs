//! The ACD's per-queue routing settings as stored (`queue_acd`): offer timeout, wrap-up and
//! escalation steps in their text form (`acd_bridge` reads and writes that form).
//!
//! Rows only: no validation (the admin API validates the whole queue set with the ACD's
//! rules before anything is written) and no routing.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::{QueueId, Timestamp};

use super::interactions::parse_id;
use super::mutation::classify;
use super::{Db, StoreError};

/// One queue's ACD settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAcdRecord {
    /// The queue.
    pub queue: QueueId,
    /// How long an offer rings, ms.
    pub offer_timeout_ms: i64,
    /// Maximum wrap-up, ms.
    pub wrap_up_ms: i64,
    /// Escalation steps, `<after ms> <action>` separated by `;`.
    pub steps: String,
    /// Last change.
    pub updated_at: Timestamp,
}

pub(crate) async fn put(
    tx: &mut Transaction<'static, Any>,
    r: &QueueAcdRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO queue_acd (queue_id, offer_timeout_ms, wrap_up_ms, steps, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (queue_id) DO UPDATE SET \
         offer_timeout_ms = excluded.offer_timeout_ms, wrap_up_ms = excluded.wrap_up_ms, \
         steps = excluded.steps, updated_at = excluded.updated_at",
    )
    .bind(r.queue.to_string())
    .bind(r.offer_timeout_ms)
    .bind(r.wrap_up_ms)
    .bind(r.steps.clone())
    .bind(r.updated_at.as_millis())
    .execute(&mut **tx)
    .await
    .map_err(|e| classify(e, || format!("queue {}", r.queue)))?;
    Ok(())
}

impl Db {
    /// Every queue's stored ACD settings.
    pub async fn queue_acd_settings(&self) -> Result<Vec<QueueAcdRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT queue_id, offer_timeout_ms, wrap_up_ms, steps, updated_at FROM queue_acd",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(decode).collect()
    }
}

fn decode(r: &AnyRow) -> Result<QueueAcdRecord, StoreError> {
    Ok(QueueAcdRecord {
        queue: parse_id(r, "queue_id", "queue_acd")?,
        offer_timeout_ms: r.try_get("offer_timeout_ms")?,
        wrap_up_ms: r.try_get("wrap_up_ms")?,
        steps: r.try_get("steps")?,
        updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
    })
}
