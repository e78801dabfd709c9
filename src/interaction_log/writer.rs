//! The one task that appends to the interaction log, with group commit.
//!
//! Callers send write items over a bounded channel (a full channel makes them wait; nothing
//! is ever dropped). The task takes everything waiting (up to `MAX_BATCH_EVENTS` events) and
//! commits it in one transaction, so one fsync covers many appends without adding latency to a
//! lone one. A caller that needs durability awaits its acknowledgement, sent only after the
//! commit. If a batch fails, its items are retried one by one so that one bad item only fails
//! its own caller.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::domain::Timestamp;
use crate::store::events::{ItemOutcome, SeqCache};
use crate::store::{Db, StoreError, WriteItem};

use super::event::{NewEvent, StoredEvent};

/// Events committed in one transaction at most.
pub const MAX_BATCH_EVENTS: usize = 1_000;
/// Write requests that may wait in the channel before senders wait.
pub const CHANNEL_CAPACITY: usize = 16_384;

/// Why an append was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The writer has stopped (the process is shutting down).
    #[error("the interaction log writer has stopped")]
    Closed,
    /// The store refused the item (a conflict, a missing row) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Request {
    item: WriteItem,
    ack: Option<oneshot::Sender<Result<ItemOutcome, LogError>>>,
}

/// A cheap handle on the writer. The writer stops once every handle is dropped and the
/// channel is drained.
#[derive(Debug, Clone)]
pub struct InteractionLogHandle {
    tx: mpsc::Sender<Request>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("events", &self.item.events.len())
            .finish()
    }
}

impl InteractionLogHandle {
    /// Starts the writer task on `db`.
    #[must_use]
    pub fn spawn(db: Db) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let task = tokio::spawn(run(db, rx));
        (Self { tx }, task)
    }

    /// Appends one event and waits until it is durable. A retried event (same idempotency key)
    /// returns the event stored the first time.
    pub async fn append(&self, event: NewEvent) -> Result<StoredEvent, LogError> {
        match self.commit(WriteItem::event(event)).await? {
            ItemOutcome::Stored(mut v) | ItemOutcome::Duplicate(mut v) => {
                v.pop().ok_or(LogError::Closed)
            }
        }
    }

    /// Commits events with the row changes they imply, atomically, and waits until durable.
    pub async fn commit(&self, item: WriteItem) -> Result<ItemOutcome, LogError> {
        let (ack, rx) = oneshot::channel();
        self.tx
            .send(Request {
                item,
                ack: Some(ack),
            })
            .await
            .map_err(|_| LogError::Closed)?;
        rx.await.map_err(|_| LogError::Closed)?
    }

    /// Queues an event without waiting for the commit (waits only for room in the channel).
    /// Failures are logged by the writer; use `append` when the caller must know.
    pub async fn send(&self, event: NewEvent) -> Result<(), LogError> {
        self.tx
            .send(Request {
                item: WriteItem::event(event),
                ack: None,
            })
            .await
            .map_err(|_| LogError::Closed)
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Request>) {
    let mut cache = SeqCache::default();
    while let Some(first) = rx.recv().await {
        let mut events = first.item.events.len();
        let mut batch = vec![first];
        while events < MAX_BATCH_EVENTS {
            match rx.try_recv() {
                Ok(req) => {
                    events += req.item.events.len();
                    batch.push(req);
                }
                Err(_) => break,
            }
        }
        commit_batch(&db, &mut cache, batch, events).await;
    }
}

async fn commit_batch(db: &Db, cache: &mut SeqCache, batch: Vec<Request>, events: usize) {
    let (items, acks): (Vec<WriteItem>, Vec<_>) =
        batch.into_iter().map(|r| (r.item, r.ack)).unzip();
    match db.commit_items(&items, cache, Timestamp::now()).await {
        Ok(outcomes) => {
            metrics::counter!("switchyard_log_events_committed_total").increment(events as u64);
            metrics::counter!("switchyard_log_commits_total").increment(1);
            for (ack, outcome) in acks.into_iter().zip(outcomes) {
                deliver(ack, Ok(outcome));
            }
        }
        Err(err) if items.len() == 1 => {
            if let Some(ack) = acks.into_iter().next() {
                deliver(ack, Err(LogError::Store(err)));
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, items = items.len(), "group commit failed; retrying items one by one");
            for (item, ack) in items.iter().zip(acks) {
                let one = db
                    .commit_items(std::slice::from_ref(item), cache, Timestamp::now())
                    .await;
                let result = one
                    .map_err(LogError::Store)
                    .and_then(|mut v| v.pop().ok_or(LogError::Closed));
                deliver(ack, result);
            }
        }
    }
}

fn deliver(
    ack: Option<oneshot::Sender<Result<ItemOutcome, LogError>>>,
    result: Result<ItemOutcome, LogError>,
) {
    match ack {
        Some(ack) => {
            // The caller may have given up waiting; the outcome is durable either way.
            let _ = ack.send(result);
        }
        None => {
            if let Err(err) = result {
                tracing::error!(error = %err, "an unacknowledged interaction event could not be stored");
            }
        }
    }
}
