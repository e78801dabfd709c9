//! `AcdCore`: the whole pure ACD state (queues, agents, waiting and offered contacts,
//! timers) and its inputs, `handle_*(now, ...)`, each returning the events it caused, plus
//! `poll_timeout()` for the next deadline.
//!
//! Pure: no I/O, no clock, no tasks. Every input first fires the timers due at `now`, so no
//! reservation is ever observed past its deadline (an offer is valid strictly before its
//! deadline). Matching lives in `acd::routing`, offer and timer mechanics in
//! `acd::dispatch` and `acd::lifecycle`, the inputs about one contact's work in `acd::work`;
//! this file owns the state, configuration, presence and arrivals.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::domain::{
    AgentId, AgentLogin, Channel, InteractionId, OfferId, QueueId, QueueName, SkillName, Tier,
    Timestamp,
};

use super::agent::{Agent, AgentError, AgentProfile, Presence, ReasonCode};
use super::event::{AcdEvent, AcdEventKind, Actor, Cause};
use super::queue::{ContactKey, QueueConfig, QueueConfigError, TierTable, validate_queues};
use super::routing::{AgentKey, Eligibility, QueueIndex, eligibility};

/// ACD-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcdConfig {
    /// Base priority and service-level target per tier.
    pub tiers: TierTable,
    /// How long a contact waits for its logged-in account manager alone.
    pub preferred_window: Duration,
    /// The skill catalogue queues are checked against.
    pub known_skills: BTreeSet<SkillName>,
    /// Handle time assumed for estimates until a queue has completed contacts today.
    pub default_aht: Duration,
    /// Not-ready reason codes agents and supervisors may choose; empty allows any. The
    /// ACD's own codes (`missed_offer`, `declined_offer`) are always allowed.
    pub reason_codes: BTreeSet<ReasonCode>,
}

impl Default for AcdConfig {
    fn default() -> Self {
        Self {
            tiers: TierTable::default(),
            preferred_window: Duration::from_secs(20),
            known_skills: BTreeSet::new(),
            default_aht: Duration::from_secs(180),
            reason_codes: BTreeSet::new(),
        }
    }
}

/// A contact arriving at the ACD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// The contact.
    pub interaction: InteractionId,
    /// The queue it joins.
    pub queue: QueueId,
    /// The customer's tier.
    pub tier: Tier,
    /// The customer's account manager, if any.
    pub account_manager: Option<AgentId>,
}

/// A command the ACD refuses; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdError {
    /// The queue set is invalid.
    #[error("invalid queue configuration: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidQueues {
        /// Every problem found.
        problems: Vec<QueueConfigError>,
    },
    /// A queue that still holds contacts would be removed.
    #[error("queue {queue} still holds contacts and cannot be removed")]
    QueueInUse {
        /// The queue.
        queue: QueueId,
    },
    /// No such queue.
    #[error("unknown queue {queue}")]
    UnknownQueue {
        /// The queue.
        queue: QueueId,
    },
    /// No such agent.
    #[error("unknown agent {agent}")]
    UnknownAgent {
        /// The agent.
        agent: AgentId,
    },
    /// The contact is already in the ACD.
    #[error("contact {interaction} is already in the ACD")]
    DuplicateContact {
        /// The contact.
        interaction: InteractionId,
    },
    /// The ACD does not hold this contact.
    #[error("contact {interaction} is not in the ACD")]
    UnknownContact {
        /// The contact.
        interaction: InteractionId,
    },
    /// The contact is not in the state the command needs.
    #[error("contact {interaction} is not {expected}")]
    WrongContactState {
        /// The contact.
        interaction: InteractionId,
        /// The state needed.
        expected: &'static str,
    },
    /// The not-ready reason code is not configured.
    #[error("unknown not-ready reason code {code}")]
    UnknownReasonCode {
        /// The code.
        code: ReasonCode,
    },
    /// The agent refused the transition.
    #[error(transparent)]
    Agent(#[from] AgentError),
}

/// Where a contact stands in the ACD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContactState {
    /// Held for its account manager alone until `until`.
    Reserved { agent: usize, until: Timestamp },
    /// In its queue's pool.
    Waiting,
    /// Reserved for an agent until `deadline`.
    Offered {
        agent: usize,
        offer: OfferId,
        deadline: Timestamp,
    },
    /// Answered (active or wrap-up) by an agent.
    Connected { agent: usize, answered: Timestamp },
}

/// A contact the ACD holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contact {
    pub(crate) interaction: InteractionId,
    pub(crate) queue: usize,
    pub(crate) tier: Tier,
    pub(crate) priority: u16,
    pub(crate) seq: u64,
    /// Arrival at the ACD (wait and service level are measured from here).
    pub(crate) arrived: Timestamp,
    /// Arrival in the current queue (escalation steps are measured from here).
    pub(crate) entered_queue: Timestamp,
    /// Escalation steps reached in the current queue.
    pub(crate) step: usize,
    pub(crate) callback: bool,
    pub(crate) state: ContactState,
}

impl Contact {
    /// The contact's place in the queue order.
    pub(crate) fn key(&self) -> ContactKey {
        ContactKey::new(self.priority, self.seq, self.interaction)
    }
}

/// An agent with its routing bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct AgentEntry {
    pub(crate) agent: Agent,
    /// Queues the agent may serve, and from which step.
    pub(crate) eligible: Vec<Eligibility>,
    /// Where the agent currently sits in queue indexes: (queue, level, key).
    pub(crate) indexed: Vec<(usize, usize, AgentKey)>,
    /// Contacts held for this agent alone (account manager), in queue order.
    pub(crate) reserved: BTreeSet<ContactKey>,
}

/// A queue with its live indexes.
#[derive(Debug, Clone)]
pub(crate) struct QueueState {
    pub(crate) config: QueueConfig,
    pub(crate) index: QueueIndex,
}

/// A deadline the core must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Timer {
    /// Ring-no-answer for this offer.
    Offer(InteractionId, OfferId),
    /// The wrap-up of this contact ends.
    WrapUp(InteractionId),
    /// The account manager's exclusive window ends.
    Reserved(InteractionId),
    /// The contact reaches its next escalation step.
    Escalate(InteractionId),
}

/// The whole ACD state. Feed it inputs with `handle_*`; ask `poll_timeout` when to call
/// [`AcdCore::handle_timeout`] next.
pub struct AcdCore {
    pub(crate) config: AcdConfig,
    pub(crate) offer_ids: Box<dyn FnMut() -> OfferId + Send>,
    pub(crate) queues: Vec<QueueState>,
    pub(crate) queue_ids: HashMap<QueueId, usize>,
    pub(crate) queue_names: HashMap<QueueName, usize>,
    pub(crate) agents: Vec<AgentEntry>,
    pub(crate) agent_ids: HashMap<AgentId, usize>,
    pub(crate) agent_logins: HashMap<AgentLogin, usize>,
    pub(crate) contacts: HashMap<InteractionId, Contact>,
    /// Pending deadlines; entries made stale by other inputs are skipped when they fire.
    pub(crate) timers: BTreeSet<(Timestamp, Timer)>,
    pub(crate) next_seq: u64,
    /// Contacts that became waiting during the current input, routed at its end.
    pub(crate) to_route: Vec<InteractionId>,
    /// Events of fired timers not yet handed out (see [`AcdCore::poll_events`]).
    pub(crate) fired: Vec<AcdEvent>,
}

impl std::fmt::Debug for AcdCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcdCore")
            .field("queues", &self.queues.len())
            .field("agents", &self.agents.len())
            .field("contacts", &self.contacts.len())
            .field("timers", &self.timers.len())
            .finish_non_exhaustive()
    }
}

impl AcdCore {
    /// An empty ACD. `offer_ids` supplies a fresh id per offer (the service passes
    /// `OfferId::generate`; the core itself never reads a clock).
    #[must_use]
    pub fn new(config: AcdConfig, offer_ids: Box<dyn FnMut() -> OfferId + Send>) -> Self {
        Self {
            config,
            offer_ids,
            queues: Vec::new(),
            queue_ids: HashMap::new(),
            queue_names: HashMap::new(),
            agents: Vec::new(),
            agent_ids: HashMap::new(),
            agent_logins: HashMap::new(),
            contacts: HashMap::new(),
            timers: BTreeSet::new(),
            next_seq: 0,
            to_route: Vec::new(),
            fired: Vec::new(),
        }
    }

    /// The ACD-wide settings.
    #[must_use]
    pub fn config(&self) -> &AcdConfig {
        &self.config
    }

    /// Replaces the queue set after validating it (every problem reported). Queues that hold
    /// contacts must stay; their contacts keep their place and escalation step. Agents who
    /// became eligible are then offered waiting contacts.
    pub fn configure_queues(
        &mut self,
        now: Timestamp,
        queues: Vec<QueueConfig>,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        validate_queues(&queues, &self.config.known_skills)
            .map_err(|problems| AcdError::InvalidQueues { problems })?;
        self.fire_due(now);
        let new_ids: HashMap<QueueId, usize> =
            queues.iter().enumerate().map(|(i, q)| (q.id, i)).collect();
        if let Some(c) = self
            .contacts
            .values()
            .find(|c| !new_ids.contains_key(&self.queues[c.queue].config.id))
        {
            return Err(AcdError::QueueInUse {
                queue: self.queues[c.queue].config.id,
            });
        }
        let old: Vec<QueueId> = self.queues.iter().map(|q| q.config.id).collect();
        self.queues = queues
            .into_iter()
            .map(|config| QueueState {
                index: QueueIndex::new(config.steps.len()),
                config,
            })
            .collect();
        self.queue_names = self
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| (q.config.name.clone(), i))
            .collect();
        self.queue_ids = new_ids;
        for c in self.contacts.values_mut() {
            c.queue = self.queue_ids[&old[c.queue]];
            c.step = c.step.min(self.queues[c.queue].config.steps.len());
            if c.state == ContactState::Waiting {
                self.queues[c.queue].index.contacts[c.step].insert(c.key());
            }
        }
        for a in 0..self.agents.len() {
            self.agents[a].indexed.clear();
            self.refresh_eligibility(a);
        }
        let mut events = Vec::new();
        for a in 0..self.agents.len() {
            self.route_agent(now, a, &mut events);
        }
        Ok(self.with_fired(events))
    }

    /// Replaces the skill catalogue that `configure_queues` checks against.
    pub fn set_known_skills(&mut self, skills: BTreeSet<SkillName>) {
        self.config.known_skills = skills;
    }

    /// Adds an agent (logged out) or updates its profile (skills, groups, membership,
    /// capacity); a logged-in agent keeps its presence and contacts.
    pub fn upsert_agent(&mut self, now: Timestamp, profile: AgentProfile) -> Vec<AcdEvent> {
        let a = match self.agent_ids.get(&profile.id) {
            Some(&a) => {
                let old_login = self.agents[a].agent.profile().login.clone();
                self.agent_logins.remove(&old_login);
                self.agent_logins.insert(profile.login.clone(), a);
                self.agents[a].agent.set_profile(profile);
                a
            }
            None => {
                let a = self.agents.len();
                self.agent_ids.insert(profile.id, a);
                self.agent_logins.insert(profile.login.clone(), a);
                self.agents.push(AgentEntry {
                    agent: Agent::new(profile, now),
                    eligible: Vec::new(),
                    indexed: Vec::new(),
                    reserved: BTreeSet::new(),
                });
                a
            }
        };
        self.refresh_eligibility(a);
        let mut events = Vec::new();
        self.route_agent(now, a, &mut events);
        events
    }

    fn refresh_eligibility(&mut self, a: usize) {
        let profile = self.agents[a].agent.profile();
        let eligible = self
            .queues
            .iter()
            .enumerate()
            .filter_map(|(queue, q)| {
                eligibility(profile, &q.config).map(|(level, score)| Eligibility {
                    queue,
                    level,
                    score,
                })
            })
            .collect();
        self.agents[a].eligible = eligible;
        self.reindex_agent(a);
    }

    pub(crate) fn agent_index(&self, agent: AgentId) -> Result<usize, AcdError> {
        self.agent_ids
            .get(&agent)
            .copied()
            .ok_or(AcdError::UnknownAgent { agent })
    }

    /// Changes an agent's presence. Leaving ready withdraws pending offers (their contacts
    /// go back to their place); logging out also releases contacts held for the agent as
    /// account manager. Logging out with active or wrap-up work is refused.
    pub fn handle_presence(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        to: Presence,
        actor: Actor,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let mut events = Vec::new();
        let a = self.agent_index(agent)?;
        if let Presence::NotReady(code) = &to {
            let own = *code == ReasonCode::missed_offer() || *code == ReasonCode::declined_offer();
            let codes = &self.config.reason_codes;
            if !own && !codes.is_empty() && !codes.contains(code) {
                return Err(AcdError::UnknownReasonCode { code: code.clone() });
            }
        }
        let entry = &self.agents[a].agent;
        if *entry.presence() == to {
            return Err(AgentError::SamePresence {
                agent,
                presence: to.as_str(),
            }
            .into());
        }
        let held = entry.slots().len() - entry.pending_offers().len();
        if to == Presence::LoggedOut && held > 0 {
            return Err(AgentError::BusyCannotLogOut {
                agent,
                contacts: held,
            }
            .into());
        }
        if to != Presence::Ready {
            for (interaction, offer) in self.agents[a].agent.pending_offers() {
                self.end_offer(
                    now,
                    interaction,
                    offer,
                    Cause::AgentUnavailable,
                    &mut events,
                );
            }
        }
        let from = self.agents[a].agent.set_presence(now, to.clone())?;
        events.push(AcdEvent {
            at: now,
            actor,
            cause: Cause::PresenceCommand,
            kind: AcdEventKind::PresenceChanged {
                agent,
                from,
                to: to.clone(),
            },
        });
        if to == Presence::LoggedOut {
            self.release_reserved(now, a, &mut events);
        }
        self.reindex_agent(a);
        self.route_agent(now, a, &mut events);
        self.route_pending(now, &mut events);
        Ok(self.with_fired(events))
    }

    /// A contact arrives. It is held for its account manager alone for the preferred window
    /// if that manager is logged in and eligible for the queue; otherwise it joins the pool.
    pub fn handle_enqueue(
        &mut self,
        now: Timestamp,
        contact: NewContact,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.enqueue_at(now, contact, None)
    }

    /// Re-admits a contact after a restart (recovery from the store) with its original
    /// arrival time: restored contacts re-enter in arrival order (call this oldest first)
    /// ahead of anything newer, escalation steps already due apply at once, and the account
    /// manager hold applies only if its window has not ended. Emits `Restored`, which
    /// statistics do not count as a new arrival.
    pub fn handle_restore(
        &mut self,
        now: Timestamp,
        contact: NewContact,
        arrived: Timestamp,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.enqueue_at(now, contact, Some(arrived))
    }

    fn enqueue_at(
        &mut self,
        now: Timestamp,
        contact: NewContact,
        restored: Option<Timestamp>,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let q = *self
            .queue_ids
            .get(&contact.queue)
            .ok_or(AcdError::UnknownQueue {
                queue: contact.queue,
            })?;
        if self.contacts.contains_key(&contact.interaction) {
            return Err(AcdError::DuplicateContact {
                interaction: contact.interaction,
            });
        }
        let arrived = restored.unwrap_or(now);
        let until = arrived.plus(self.config.preferred_window);
        let manager = self.manager_hold(contact.account_manager, q, until > now);
        let seq = self.next_seq;
        self.next_seq += 1;
        let c = Contact {
            interaction: contact.interaction,
            queue: q,
            tier: contact.tier,
            priority: self.config.tiers.get(contact.tier).base_priority,
            seq,
            arrived,
            entered_queue: arrived,
            step: 0,
            callback: false,
            state: match manager {
                Some(agent) => ContactState::Reserved { agent, until },
                None => ContactState::Waiting,
            },
        };
        let reserved_for = manager.map(|m| self.agents[m].agent.id());
        let mut events = vec![self.arrival_event(now, &c, reserved_for, restored)];
        self.admit(now, c, &mut events);
        Ok(self.with_fired(events))
    }

    /// The account manager who holds a new contact in queue `q` alone: known, logged in,
    /// eligible from step 0, and only while the window is still open.
    fn manager_hold(&self, manager: Option<AgentId>, q: usize, window_open: bool) -> Option<usize> {
        let m = *self.agent_ids.get(&manager?)?;
        let e = &self.agents[m];
        let ok = window_open
            && e.agent.presence().is_logged_in()
            && e.eligible.iter().any(|el| el.queue == q && el.level == 0);
        ok.then_some(m)
    }

    /// `Enqueued` for an arrival, `Restored` for a contact re-admitted after a restart.
    fn arrival_event(
        &self,
        now: Timestamp,
        c: &Contact,
        reserved_for: Option<AgentId>,
        restored: Option<Timestamp>,
    ) -> AcdEvent {
        let queue = self.queues[c.queue].config.id;
        let (actor, cause, kind) = match restored {
            None => (
                Actor::Channel,
                Cause::Arrival,
                AcdEventKind::Enqueued {
                    interaction: c.interaction,
                    queue,
                    channel: self.queues[c.queue].config.channel,
                    tier: c.tier,
                    priority: c.priority,
                    reserved_for,
                },
            ),
            Some(arrived) => (
                Actor::System,
                Cause::Recovery,
                AcdEventKind::Restored {
                    interaction: c.interaction,
                    queue,
                    tier: c.tier,
                    priority: c.priority,
                    arrived,
                    reserved_for,
                },
            ),
        };
        AcdEvent {
            at: now,
            actor,
            cause,
            kind,
        }
    }

    /// Fires every deadline at or before `now`: ring-no-answer, wrap-up ends, preferred
    /// windows and escalation steps.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Vec<AcdEvent> {
        self.fire_due(now);
        self.with_fired(Vec::new())
    }

    /// Events caused by timers that fired during an input that was then refused: every
    /// input fires due timers first, and when it fails their events wait here (and are
    /// also prepended to the next input's events). Drivers drain this after an error.
    pub fn poll_events(&mut self) -> Vec<AcdEvent> {
        std::mem::take(&mut self.fired)
    }

    pub(crate) fn with_fired(&mut self, events: Vec<AcdEvent>) -> Vec<AcdEvent> {
        let mut out = std::mem::take(&mut self.fired);
        out.extend(events);
        out
    }

    /// The next deadline, if any (it may turn out stale; `handle_timeout` then does nothing).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// Contacts waiting in a queue's pool (not held for an account manager, not offered).
    #[must_use]
    pub fn pool_len(&self, queue: QueueId) -> Option<usize> {
        self.queue_ids
            .get(&queue)
            .map(|&q| self.queues[q].index.waiting())
    }

    /// Whether the channel of `queue` is `channel` (for drivers checking a request).
    #[must_use]
    pub fn queue_channel(&self, queue: QueueId) -> Option<Channel> {
        self.queue_ids
            .get(&queue)
            .map(|&q| self.queues[q].config.channel)
    }
}
