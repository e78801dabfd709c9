//! The unified interaction log: every contact on every channel, everything that happens to it,
//! agent state changes and audited actions, as typed append-only events.
//!
//! `event` defines the envelope and the event kinds (pure); `writer` is the one task that
//! batches appends into the store with group commit. Nobody scrapes tracing output for business
//! facts: they are events here.

pub mod event;
pub mod writer;

pub use event::{Actor, EventBody, NewEvent, SegmentKind, StoredEvent, Subject};
pub use writer::{InteractionLogHandle, LogError};
