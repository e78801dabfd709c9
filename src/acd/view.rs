//! Read models over the core's live state: a queue's waiting contacts with position and
//! estimated wait, agents by state, one agent's view, and the answer to the IVR's
//! `QueueStatsRequest`. Formulas are in `docs/acd.md`.
//!
//! Pure and read-only: takes `&AcdCore`, `now` and today's `Stats`; changes nothing and
//! reads no clock.

use std::time::Duration;

use crate::domain::queue_stats::{QueueStatsAnswer, QueueStatsRequest};
use crate::domain::{
    AgentId, AgentLogin, Channel, InteractionId, QueueId, QueueName, Tier, Timestamp,
};

use super::agent::{Presence, WorkSlot, WorkState};
use super::core::{AcdCore, ContactState};
use super::queue::QueueConfig;
use super::stats::{Scope, Stats};

/// Where a contact that is not yet answered stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitingState {
    /// Held for the customer's account manager alone.
    HeldForManager,
    /// Waiting in the pool.
    Waiting,
    /// Offered to an agent (ringing).
    Offered,
}

/// One unanswered contact in a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingView {
    /// The contact.
    pub interaction: InteractionId,
    /// The customer's tier.
    pub tier: Tier,
    /// Its current priority.
    pub priority: u16,
    /// 1-based place in the queue order (priority, then arrival).
    pub position: usize,
    /// Time since arrival at the ACD.
    pub waited: Duration,
    /// Estimated further wait.
    pub estimated_wait: Duration,
    /// Escalation steps reached.
    pub step: usize,
    /// Whether the customer asked for a call-back.
    pub callback: bool,
    /// Where it stands.
    pub state: WaitingState,
}

/// Logged-in agents eligible for a queue, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentStateCounts {
    /// Ready with no contact.
    pub available: u32,
    /// Ready or not, holding an offered or active contact.
    pub busy: u32,
    /// Holding only after-contact work.
    pub wrap_up: u32,
    /// Not ready and holding nothing.
    pub not_ready: u32,
    /// Ready and able to take one more contact on the queue's channel.
    pub can_take: u32,
}

impl AgentStateCounts {
    /// All logged-in eligible agents.
    #[must_use]
    pub fn logged_in(&self) -> u32 {
        self.available + self.busy + self.wrap_up + self.not_ready
    }
}

/// Unanswered contacts of one tier in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierWaiting {
    /// The tier.
    pub tier: Tier,
    /// Contacts of this tier not yet answered.
    pub waiting: u32,
    /// Their longest current wait.
    pub longest_wait: Duration,
}

/// A queue's live picture.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueLive {
    /// The configuration.
    pub config: QueueConfig,
    /// Unanswered contacts in queue order.
    pub waiting: Vec<WaitingView>,
    /// The longest current wait.
    pub longest_wait: Duration,
    /// Waiting now and longest wait per tier (every tier, highest first).
    pub by_tier: Vec<TierWaiting>,
    /// Eligible agents by state.
    pub agents: AgentStateCounts,
    /// The handle time used for estimates (today's AHT, or the configured default).
    pub aht: Duration,
}

/// One agent's live picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    /// The agent.
    pub id: AgentId,
    /// The login.
    pub login: AgentLogin,
    /// Presence.
    pub presence: Presence,
    /// Since when.
    pub since: Timestamp,
    /// The contacts held.
    pub slots: Vec<WorkSlot>,
    /// Channels the agent could take a new contact on now.
    pub can_take: Vec<Channel>,
}

/// Estimated wait at `position` (1-based) with `available` free agents, `staffed` agents
/// serving and average handle time `aht`: `ceil(max(0, position - available) / max(1, staffed)) * aht`.
#[must_use]
pub fn estimated_wait(position: usize, available: u32, staffed: u32, aht: Duration) -> Duration {
    let ahead = position.saturating_sub(available as usize);
    let rounds = ahead.div_ceil(staffed.max(1) as usize);
    aht.saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX))
}

impl AcdCore {
    /// The queues, in configuration order.
    pub fn queue_configs(&self) -> impl Iterator<Item = &QueueConfig> {
        self.queues.iter().map(|q| &q.config)
    }

    /// The id of a queue by name.
    #[must_use]
    pub fn queue_by_name(&self, name: &QueueName) -> Option<QueueId> {
        self.queue_names
            .get(name)
            .map(|&q| self.queues[q].config.id)
    }

    /// Eligible logged-in agents of queue index `q`, by state.
    fn agent_counts(&self, q: usize) -> AgentStateCounts {
        let channel = self.queues[q].config.channel;
        let mut counts = AgentStateCounts::default();
        for entry in self
            .agents
            .iter()
            .filter(|e| e.eligible.iter().any(|el| el.queue == q))
        {
            let a = &entry.agent;
            if !a.presence().is_logged_in() {
                continue;
            }
            let working = a
                .slots()
                .iter()
                .any(|s| !matches!(s.state, WorkState::WrapUp { .. }));
            if working {
                counts.busy += 1;
            } else if !a.slots().is_empty() {
                counts.wrap_up += 1;
            } else if *a.presence() == Presence::Ready {
                counts.available += 1;
            } else {
                counts.not_ready += 1;
            }
            counts.can_take += u32::from(a.can_take(channel));
        }
        counts
    }

    fn aht(&self, queue: QueueId, stats: &Stats) -> Duration {
        stats
            .today(Scope::Queue(queue))
            .aht()
            .unwrap_or(self.config.default_aht)
    }

    /// A queue's live picture: unanswered contacts with position and estimated wait, the
    /// longest wait, and eligible agents by state.
    #[must_use]
    pub fn queue_live(&self, queue: QueueId, now: Timestamp, stats: &Stats) -> Option<QueueLive> {
        let &q = self.queue_ids.get(&queue)?;
        let agents = self.agent_counts(q);
        let aht = self.aht(queue, stats);
        let mut contacts: Vec<_> = self
            .contacts
            .values()
            .filter(|c| c.queue == q && !matches!(c.state, ContactState::Connected { .. }))
            .collect();
        contacts.sort_by_key(|c| c.key());
        let staffed = agents.logged_in() - agents.not_ready;
        let waiting: Vec<WaitingView> = contacts
            .iter()
            .enumerate()
            .map(|(i, c)| WaitingView {
                interaction: c.interaction,
                tier: c.tier,
                priority: c.priority,
                position: i + 1,
                waited: now.since(c.arrived),
                estimated_wait: estimated_wait(i + 1, agents.can_take, staffed, aht),
                step: c.step,
                callback: c.callback,
                state: match c.state {
                    ContactState::Reserved { .. } => WaitingState::HeldForManager,
                    ContactState::Offered { .. } => WaitingState::Offered,
                    _ => WaitingState::Waiting,
                },
            })
            .collect();
        let longest_wait = waiting.iter().map(|w| w.waited).max().unwrap_or_default();
        let by_tier = Tier::ALL
            .into_iter()
            .map(|tier| {
                let of_tier = waiting.iter().filter(|w| w.tier == tier);
                TierWaiting {
                    tier,
                    waiting: u32::try_from(of_tier.clone().count()).unwrap_or(u32::MAX),
                    longest_wait: of_tier.map(|w| w.waited).max().unwrap_or_default(),
                }
            })
            .collect();
        Some(QueueLive {
            config: self.queues[q].config.clone(),
            waiting,
            longest_wait,
            by_tier,
            agents,
            aht,
        })
    }

    /// One agent's live picture, by login.
    #[must_use]
    pub fn agent_view(&self, login: &AgentLogin) -> Option<AgentView> {
        let a = &self.agents[*self.agent_logins.get(login)?].agent;
        Some(AgentView {
            id: a.id(),
            login: a.profile().login.clone(),
            presence: a.presence().clone(),
            since: a.presence_since(),
            slots: a.slots().to_vec(),
            can_take: Channel::ALL
                .into_iter()
                .filter(|c| a.can_take(*c))
                .collect(),
        })
    }

    /// The IVR's question: how busy is this queue? The estimated wait is for a contact
    /// joining now at the standard tier's priority.
    #[must_use]
    pub fn answer_queue_stats(
        &self,
        request: &QueueStatsRequest,
        now: Timestamp,
        stats: &Stats,
    ) -> QueueStatsAnswer {
        let unknown = QueueStatsAnswer {
            queue: request.queue.clone(),
            known: false,
            agents_ready: 0,
            agents_logged_in: 0,
            waiting: 0,
            estimated_wait: Duration::ZERO,
        };
        let Some(id) = self.queue_by_name(&request.queue) else {
            return unknown;
        };
        let Some(live) = self.queue_live(id, now, stats) else {
            return unknown;
        };
        let standard = self.config.tiers.get(Tier::Standard).base_priority;
        let ahead = live
            .waiting
            .iter()
            .filter(|w| w.priority >= standard)
            .count();
        let staffed = live.agents.logged_in() - live.agents.not_ready;
        QueueStatsAnswer {
            queue: request.queue.clone(),
            known: true,
            agents_ready: live.agents.can_take,
            agents_logged_in: live.agents.logged_in(),
            waiting: u32::try_from(live.waiting.len()).unwrap_or(u32::MAX),
            estimated_wait: estimated_wait(ahead + 1, live.agents.can_take, staffed, live.aht),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::queue::Strategy;
    use crate::acd::testkit::{World, cid, profile, qid, queue};

    fn check(position: usize, available: u32, staffed: u32, expected_secs: u64) {
        let got = estimated_wait(position, available, staffed, Duration::from_secs(100));
        assert_eq!(
            got,
            Duration::from_secs(expected_secs),
            "p={position} a={available} n={staffed}"
        );
    }

    #[test]
    fn estimated_wait_formula() {
        check(1, 1, 1, 0);
        check(1, 0, 1, 100);
        check(3, 0, 2, 200);
        check(4, 0, 2, 200);
        check(5, 1, 2, 200);
        check(2, 0, 0, 200);
    }

    #[test]
    fn queue_live_positions_and_ivr_answer() {
        let q = queue(0, Channel::Voice, &[("equities", 5)], Strategy::LongestIdle);
        let agents = vec![
            profile(0, &[("equities", 7)], &[]),
            profile(1, &[("equities", 7)], &[]),
        ];
        let mut w = World::new(vec![q], agents);
        w.ready(0).expect("ready");
        w.busy(0, 1, 0);
        w.ready(1).expect("ready");
        w.busy(1, 2, 0);
        w.enqueue(3, 0, Tier::Standard, None).expect("enqueue");
        w.advance(1_000);
        w.enqueue(4, 0, Tier::Diamond, None).expect("enqueue");
        w.advance(2_000);
        let stats = Stats::new(Timestamp::from_millis(0));
        let live = w.core.queue_live(qid(0), w.now, &stats).expect("queue");
        let got: Vec<_> = live
            .waiting
            .iter()
            .map(|v| {
                (
                    v.interaction,
                    v.position,
                    v.waited.as_millis(),
                    v.estimated_wait.as_secs(),
                )
            })
            .collect();
        // Default AHT 180 s, two agents busy: positions 1 and 2 both wait one round.
        assert_eq!(got, [(cid(4), 1, 2_000, 180), (cid(3), 2, 3_000, 180)]);
        assert_eq!(live.longest_wait, Duration::from_secs(3));
        let diamond = live.by_tier[0];
        assert_eq!((diamond.tier, diamond.waiting), (Tier::Diamond, 1));
        assert_eq!(diamond.longest_wait, Duration::from_secs(2));
        assert_eq!((live.agents.busy, live.agents.available), (2, 0));
        let answer = w.core.answer_queue_stats(
            &QueueStatsRequest {
                queue: QueueName::parse("q0").expect("name"),
            },
            w.now,
            &stats,
        );
        assert_eq!(
            (answer.known, answer.waiting, answer.agents_logged_in),
            (true, 2, 2)
        );
        assert_eq!(answer.estimated_wait, Duration::from_secs(360));
        let view = w
            .core
            .agent_view(&AgentLogin::parse("agent0").expect("login"))
            .expect("agent");
        assert_eq!(view.slots.len(), 1);
        assert!(view.can_take.is_empty());
    }
}
