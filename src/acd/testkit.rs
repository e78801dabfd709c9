//! Test fixtures shared by the ACD's unit, scenario and property tests: ids from numbers, a
//! small brokerage (queues with skills, escalation and overflow; agents with varied skills)
//! and a `World` that drives an `AcdCore` on a virtual clock and records its events.
//!
//! Test-only (`#[cfg(test)]`); no clock is read: time is a counter advanced by the tests.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use crate::domain::{
    AgentId, AgentLogin, Channel, InteractionId, OfferId, Proficiency, QueueId, QueueName,
    SkillName, SkillRequirement, TeamName, Tier, Timestamp,
};

use super::agent::{AgentProfile, ChannelRules, Presence, WorkState};
use super::core::{AcdConfig, AcdCore, AcdError, NewContact};
use super::event::{AcdEvent, AcdEventKind};
use super::queue::{EscalationAction, EscalationStep, OverflowTarget, QueueConfig, Strategy};

/// A UUID-based id from a small number (`...-000000000007`).
pub(crate) fn id<T: FromStr>(n: u64) -> T
where
    T::Err: std::fmt::Debug,
{
    format!("00000000-0000-7000-8000-{n:012x}")
        .parse()
        .expect("well-formed uuid")
}

/// The id of queue `n`.
pub(crate) fn qid(n: usize) -> QueueId {
    id(1000 + n as u64)
}

/// The id of agent `n`.
pub(crate) fn aid(n: usize) -> AgentId {
    id(2000 + n as u64)
}

/// The id of contact `n`.
pub(crate) fn cid(n: usize) -> InteractionId {
    id(3_000_000 + n as u64)
}

pub(crate) fn skill(name: &str) -> SkillName {
    SkillName::parse(name).expect("valid skill")
}

pub(crate) fn team(name: &str) -> TeamName {
    TeamName::parse(name).expect("valid team")
}

/// A queue with the given channel, skills (name, min) and strategy, no steps.
pub(crate) fn queue(
    n: usize,
    channel: Channel,
    skills: &[(&str, u8)],
    strategy: Strategy,
) -> QueueConfig {
    QueueConfig {
        id: qid(n),
        name: QueueName::parse(&format!("q{n}")).expect("valid name"),
        channel,
        required: skills
            .iter()
            .map(|(s, m)| SkillRequirement {
                skill: skill(s),
                min: Proficiency::new(*m).expect("valid level"),
            })
            .collect(),
        agent_groups: Vec::new(),
        strategy,
        steps: Vec::new(),
        offer_timeout: Duration::from_secs(10),
        wrap_up: Duration::from_secs(5),
    }
}

/// An agent profile with skills (name, level) and groups.
pub(crate) fn profile(n: usize, skills: &[(&str, u8)], groups: &[&str]) -> AgentProfile {
    AgentProfile {
        id: aid(n),
        login: AgentLogin::parse(&format!("agent{n}")).expect("valid login"),
        skills: skills
            .iter()
            .map(|(s, p)| (skill(s), Proficiency::new(*p).expect("valid level")))
            .collect::<BTreeMap<_, _>>(),
        groups: groups.iter().map(|g| team(g)).collect(),
        member_of: Vec::new(),
        rules: ChannelRules::default(),
    }
}

/// A core with the skills catalogue used by the fixtures and numbered offer ids.
pub(crate) fn core() -> AcdCore {
    let config = AcdConfig {
        known_skills: ["equities", "funds", "bonds", "margin", "english"]
            .iter()
            .map(|s| skill(s))
            .collect(),
        preferred_window: Duration::from_secs(15),
        ..AcdConfig::default()
    };
    let mut n = 0u64;
    AcdCore::new(
        config,
        Box::new(move || {
            n += 1;
            id::<OfferId>(9_000_000 + n)
        }),
    )
}

/// The small brokerage of the property tests: three queues, six agents.
pub(crate) fn brokerage() -> (Vec<QueueConfig>, Vec<AgentProfile>) {
    let mut equities = queue(0, Channel::Voice, &[("equities", 6)], Strategy::LongestIdle);
    equities.steps = vec![
        step(10, EscalationAction::RelaxProficiency { by: 3 }),
        step(30, EscalationAction::RaisePriority { by: 5 }),
        step(
            60,
            EscalationAction::Overflow(OverflowTarget::Queue(qid(2))),
        ),
    ];
    let mut funds = queue(1, Channel::Chat, &[("funds", 5)], Strategy::LeastOccupied);
    funds.agent_groups = vec![team("desk")];
    funds.steps = vec![step(
        20,
        EscalationAction::WidenGroups(vec![team("backoffice")]),
    )];
    funds.wrap_up = Duration::ZERO;
    funds.offer_timeout = Duration::from_secs(12);
    let mut general = queue(2, Channel::Voice, &[], Strategy::MostSkilled);
    general.required = Vec::new();
    general.steps = vec![step(
        90,
        EscalationAction::Overflow(OverflowTarget::Voicemail),
    )];
    let mut agents = vec![
        profile(0, &[("equities", 8), ("funds", 6)], &["desk"]),
        profile(1, &[("equities", 4)], &["desk"]),
        profile(2, &[("funds", 9)], &["backoffice"]),
        profile(3, &[("equities", 7), ("funds", 3)], &["desk"]),
        profile(4, &[], &["backoffice"]),
        profile(5, &[("equities", 6), ("funds", 5)], &["desk"]),
    ];
    agents[3].member_of = vec![qid(2)];
    agents[4].member_of = vec![qid(1)];
    agents[5].rules.others_block_voice = false;
    (vec![equities, funds, general], agents)
}

pub(crate) fn step(secs: u64, action: EscalationAction) -> EscalationStep {
    EscalationStep {
        after: Duration::from_secs(secs),
        action,
    }
}

/// A core on a virtual clock with every event recorded.
pub(crate) struct World {
    pub(crate) core: AcdCore,
    pub(crate) now: Timestamp,
    pub(crate) events: Vec<AcdEvent>,
}

impl World {
    /// A world with these queues and agents (all logged out), at t = 1,000,000 ms.
    pub(crate) fn new(queues: Vec<QueueConfig>, agents: Vec<AgentProfile>) -> Self {
        let mut core = core();
        let now = Timestamp::from_millis(1_000_000);
        let mut events = core
            .configure_queues(now, queues)
            .expect("valid fixture queues");
        for p in agents {
            events.extend(core.upsert_agent(now, p));
        }
        Self { core, now, events }
    }

    /// Moves the clock and fires due timers.
    pub(crate) fn advance(&mut self, ms: i64) -> Vec<AcdEvent> {
        self.now = Timestamp::from_millis(self.now.as_millis() + ms);
        let ev = self.core.handle_timeout(self.now);
        self.events.extend(ev.iter().cloned());
        ev
    }

    fn record(&mut self, r: Result<Vec<AcdEvent>, AcdError>) -> Result<Vec<AcdEvent>, AcdError> {
        if let Ok(ev) = &r {
            self.events.extend(ev.iter().cloned());
        }
        r
    }

    pub(crate) fn ready(&mut self, agent: usize) -> Result<Vec<AcdEvent>, AcdError> {
        self.presence(agent, Presence::Ready)
    }

    pub(crate) fn presence(
        &mut self,
        agent: usize,
        to: Presence,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        let r = self.core.handle_presence(
            self.now,
            aid(agent),
            to,
            super::event::Actor::Agent(aid(agent)),
        );
        self.record(r)
    }

    pub(crate) fn enqueue(
        &mut self,
        contact: usize,
        queue: usize,
        tier: Tier,
        manager: Option<usize>,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        let r = self.core.handle_enqueue(
            self.now,
            NewContact {
                interaction: cid(contact),
                queue: qid(queue),
                tier,
                account_manager: manager.map(aid),
            },
        );
        self.record(r)
    }

    pub(crate) fn answer(
        &mut self,
        agent: usize,
        offer: OfferId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        let r = self.core.handle_answer(self.now, aid(agent), offer);
        self.record(r)
    }

    pub(crate) fn hangup(&mut self, contact: usize) -> Result<Vec<AcdEvent>, AcdError> {
        let r = self.core.handle_hangup(self.now, cid(contact));
        self.record(r)
    }

    pub(crate) fn end(
        &mut self,
        agent: usize,
        contact: InteractionId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        let r = self
            .core
            .handle_contact_ended(self.now, aid(agent), contact);
        self.record(r)
    }

    pub(crate) fn wrap_up_done(
        &mut self,
        agent: usize,
        contact: InteractionId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        let r = self.core.handle_wrap_up_done(self.now, aid(agent), contact);
        self.record(r)
    }

    /// The pending offers of an agent (interaction, offer).
    pub(crate) fn offers_of(&self, agent: usize) -> Vec<(InteractionId, OfferId)> {
        self.core.agents[agent].agent.pending_offers()
    }

    /// The contacts an agent holds, with their state name.
    pub(crate) fn slots_of(&self, agent: usize) -> Vec<(InteractionId, &'static str)> {
        self.core.agents[agent]
            .agent
            .slots()
            .iter()
            .map(|s| {
                let state = match s.state {
                    WorkState::Offered { .. } => "offered",
                    WorkState::Active { .. } => "active",
                    WorkState::WrapUp { .. } => "wrap_up",
                };
                (s.interaction, state)
            })
            .collect()
    }

    /// Offers in `events` as (contact, agent).
    pub(crate) fn offered(events: &[AcdEvent]) -> Vec<(InteractionId, AgentId)> {
        events
            .iter()
            .filter_map(|e| match &e.kind {
                AcdEventKind::Offered {
                    interaction, agent, ..
                } => Some((*interaction, *agent)),
                _ => None,
            })
            .collect()
    }

    /// Puts an agent on an answered contact in `queue` (enqueue, offer, answer).
    pub(crate) fn busy(&mut self, agent: usize, contact: usize, queue: usize) {
        self.enqueue(contact, queue, Tier::Standard, None)
            .expect("enqueue");
        let (_, offer) = *self
            .offers_of(agent)
            .iter()
            .find(|(i, _)| *i == cid(contact))
            .expect("offered to the agent");
        self.answer(agent, offer).expect("answer");
    }
}
