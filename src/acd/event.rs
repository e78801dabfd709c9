//! What the ACD says happened: `AcdEvent` (every transition with its time, cause and actor)
//! and the `Explanation` carried by every offer.
//!
//! Pure data: no I/O, no clock. The service forwards these events to the interaction log
//! writer and to live views; `acd::stats` folds them into statistics. Events are facts, not
//! commands: nothing here decides anything.

use std::time::Duration;

use crate::domain::{AgentId, Channel, InteractionId, OfferId, QueueId, Tier, Timestamp};

use super::agent::Presence;
use super::queue::{EscalationAction, OverflowTarget, Strategy};

/// Who made a transition happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The ACD itself (routing, timers).
    System,
    /// An agent acting for themselves.
    Agent(AgentId),
    /// A supervisor acting on one of their agents.
    Supervisor(AgentId),
    /// The customer (hanging up, asking for a call-back).
    Customer,
    /// The channel driver (a call task, the email or chat adapter) reporting on its contact.
    Channel,
}

/// Why a transition happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// An explicit presence command (ready, not ready, log out).
    PresenceCommand,
    /// A contact arrived at the ACD.
    Arrival,
    /// The router matched a contact and an agent.
    Routing,
    /// The agent accepted an offer.
    OfferAccepted,
    /// The offer deadline passed without an answer (ring-no-answer).
    OfferTimeout,
    /// The agent declined the offer.
    OfferDeclined,
    /// The offered agent left ready (not ready or logged out) before answering.
    AgentUnavailable,
    /// The customer hung up or closed the session.
    CustomerLeft,
    /// The customer asked to be called back instead of waiting on the line.
    CallbackRequested,
    /// The conversation ended (agent or customer hung up after answer).
    ContactEnded,
    /// The agent finished after-contact work.
    WrapUpDone,
    /// The wrap-up timer ran out.
    WrapUpTimer,
    /// Waiting time reached an escalation step (1-based index into the queue's steps).
    Escalation {
        /// The step reached, 1-based.
        step: usize,
    },
    /// The preferred agent's exclusive window ended (or the agent left) without an offer.
    PreferredWindowEnded,
    /// The ACD restarted and rebuilt its state from the store.
    Recovery,
}

/// One thing that happened in the ACD, with when, who and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcdEvent {
    /// When it happened (the `now` the core was given).
    pub at: Timestamp,
    /// Who made it happen.
    pub actor: Actor,
    /// Why it happened.
    pub cause: Cause,
    /// What happened.
    pub kind: AcdEventKind,
}

/// How an offer ended without being answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferOutcome {
    /// Ring-no-answer: the deadline passed.
    Missed,
    /// The agent declined.
    Declined,
    /// Withdrawn: the customer left or the agent became unavailable.
    Withdrawn,
}

/// The facts the ACD reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcdEventKind {
    /// An agent's presence changed.
    PresenceChanged {
        /// The agent.
        agent: AgentId,
        /// The presence before.
        from: Presence,
        /// The presence after.
        to: Presence,
    },
    /// A contact joined a queue.
    Enqueued {
        /// The contact.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
        /// The queue's channel.
        channel: Channel,
        /// The customer's tier.
        tier: Tier,
        /// Its priority (higher is served first).
        priority: u16,
        /// The account manager holding it alone for the preferred window, if any.
        reserved_for: Option<AgentId>,
    },
    /// A contact was re-admitted after a restart with its original arrival time (not a new
    /// arrival for statistics).
    Restored {
        /// The contact.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
        /// The customer's tier.
        tier: Tier,
        /// Its priority.
        priority: u16,
        /// When it first arrived.
        arrived: Timestamp,
        /// The account manager holding it alone for the rest of the window, if any.
        reserved_for: Option<AgentId>,
    },
    /// A contact was reserved for an agent until a deadline.
    Offered {
        /// The offer (reservation) id.
        offer: OfferId,
        /// The contact.
        interaction: InteractionId,
        /// The queue it waited in.
        queue: QueueId,
        /// The agent it is reserved for.
        agent: AgentId,
        /// When the reservation ends unless answered.
        deadline: Timestamp,
        /// Whether the agent must call the customer back (the customer is not on the line).
        callback: bool,
        /// Why this agent and this contact.
        explanation: Box<Explanation>,
    },
    /// The agent accepted the offer; the conversation starts.
    Answered {
        /// The offer.
        offer: OfferId,
        /// The contact.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
        /// The customer's tier.
        tier: Tier,
        /// The agent.
        agent: AgentId,
        /// Time from arrival at the ACD to answer.
        waited: Duration,
        /// The service-level target that applied to this contact.
        sl_target: Duration,
    },
    /// An offer ended without an answer; the agent's slot is free again.
    OfferEnded {
        /// The offer.
        offer: OfferId,
        /// The contact.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
        /// How it ended.
        outcome: OfferOutcome,
    },
    /// A contact went back to its original place in its queue (after a missed or withdrawn
    /// offer) or, after the preferred window, from its account manager to the pool.
    Requeued {
        /// The contact.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
    },
    /// Waiting time reached an escalation step.
    Escalated {
        /// The contact.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
        /// The step reached (1-based).
        step: usize,
        /// What the step does.
        action: EscalationAction,
    },
    /// The contact left its queue for another queue, voicemail or a call-back.
    Overflowed {
        /// The contact.
        interaction: InteractionId,
        /// The queue it left.
        from: QueueId,
        /// Where it went.
        to: OverflowTarget,
        /// The customer's tier.
        tier: Tier,
        /// Time waited so far.
        waited: Duration,
    },
    /// The customer left before being answered (while waiting or during an offer).
    Abandoned {
        /// The contact.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
        /// The customer's tier.
        tier: Tier,
        /// Time waited.
        waited: Duration,
        /// The service-level target that applied.
        sl_target: Duration,
    },
    /// The customer asked for a call-back; the contact keeps its place.
    CallbackRequested {
        /// The contact.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
    },
    /// The conversation ended; after-contact work runs until `until` at the latest.
    WrapUpStarted {
        /// The contact.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
        /// When wrap-up ends by itself.
        until: Timestamp,
    },
    /// The agent is done with the contact; the slot is free.
    Completed {
        /// The contact.
        interaction: InteractionId,
        /// The queue it was answered from.
        queue: QueueId,
        /// The customer's tier.
        tier: Tier,
        /// The agent.
        agent: AgentId,
        /// Answer to end of wrap-up (talk plus after-contact work).
        handle_time: Duration,
    },
}

/// Which rule picked the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The customer's account manager, alone during the preferred window.
    PreferredAgent,
    /// A waiting contact picked an agent with the queue's strategy.
    Strategy(Strategy),
    /// A freed agent picked the first contact in the cross-queue order
    /// (priority, then arrival).
    CrossQueueOrder,
}

/// A candidate's deciding score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Score {
    /// Longest idle: how long the agent had been idle.
    IdleFor(Duration),
    /// Most skilled: the sum of the agent's proficiency over the queue's skills.
    Proficiency(u32),
    /// Least occupied: the agent's load in thousandths of capacity.
    OccupancyPerMille(u32),
    /// Round robin: the agent's turn position after the queue's cursor.
    Turn(u32),
    /// A contact: its priority and time waited.
    Contact {
        /// Priority (higher first).
        priority: u16,
        /// Time waited since arrival.
        waited: Duration,
    },
}

/// Why this agent got this contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The rule that applied.
    pub rule: Rule,
    /// The contact's escalation step when matched (0 = none reached).
    pub step: usize,
    /// Agents able to take the contact at that moment.
    pub eligible_agents: usize,
    /// Contacts the agent could have taken at that moment (1 when a contact picked an agent).
    pub eligible_contacts: usize,
    /// The winner's score.
    pub winner: Score,
    /// The best loser's score, if there was a competitor.
    pub runner_up: Option<Score>,
}
