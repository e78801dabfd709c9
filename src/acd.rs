//! The ACD (automatic call distribution): agents (presence and work slots), queues (tiers,
//! skills, strategies, escalation), routing with exactly-once offers and explained
//! decisions, live statistics, and the one service task that owns it all.
//!
//! Everything but `service` is a pure core: it imports only `crate::domain` and its own
//! siblings, does no I/O, reads no clock and spawns nothing; time comes in as `now`. The ACD
//! knows nothing of SIP, media, the IVR or the database. `docs/acd.md` describes the model,
//! the routing order and the statistics formulas.

pub mod agent;
pub mod core;
mod dispatch;
pub mod event;
mod lifecycle;
#[cfg(test)]
mod proptests;
pub mod queue;
pub mod routing;
#[cfg(test)]
mod scenarios;
pub mod service;
pub mod stats;
#[cfg(test)]
mod testkit;
pub mod view;
mod work;

pub use agent::{
    Agent, AgentError, AgentProfile, ChannelRules, Presence, ReasonCode, WorkSlot, WorkState,
};
pub use core::{AcdConfig, AcdCore, AcdError, NewContact};
pub use event::{AcdEvent, AcdEventKind, Actor, Cause, Explanation, OfferOutcome, Rule, Score};
pub use queue::{
    ContactKey, EscalationAction, EscalationStep, OverflowTarget, QueueConfig, QueueConfigError,
    Strategy, TierPolicy, TierTable, validate_queues,
};
pub use service::{AcdHandle, AcdServiceError, QueueReport, spawn};
pub use stats::{Counters, Scope, Stats};
pub use view::{AgentStateCounts, AgentView, QueueLive, TierWaiting, WaitingState, WaitingView};
