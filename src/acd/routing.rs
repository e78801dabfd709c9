//! Matching: who is eligible for which queue at which escalation step, the per-queue indexes
//! of waiting contacts and available agents, and the two decisions (best agent for a
//! contact by the queue's strategy; best contact for a freed agent across its queues).
//!
//! Pure: no I/O, no clock. Indexes are ordered sets keyed so that the best candidate is the
//! first element, so a decision touches a few set heads per queue and never scans every agent
//! or contact. This file does not change agent or contact state (`acd::core` does).

use std::collections::BTreeSet;

use crate::domain::Timestamp;

use super::agent::{Agent, AgentProfile};
use super::event::Score;
use super::queue::{ContactKey, EscalationAction, QueueConfig, Strategy};

/// An agent's eligibility for one queue: from which escalation step on, and with what
/// summed proficiency over the queue's required skills (the most-skilled score).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Eligibility {
    /// The queue's index in the core.
    pub(crate) queue: usize,
    /// The first escalation step (0 = from arrival) at which the agent may serve the queue.
    pub(crate) level: usize,
    /// Summed proficiency over the required skills.
    pub(crate) score: u32,
}

/// The first step at which `profile` may serve `queue`, and the skill score; `None` if never.
///
/// Explicit members are eligible from step 0. Others must be in one of the queue's agent
/// groups (if any are set; `WidenGroups` steps add groups) and hold every required skill at
/// its minimum lowered by the `RelaxProficiency` steps reached so far (never below 1).
pub(crate) fn eligibility(profile: &AgentProfile, queue: &QueueConfig) -> Option<(usize, u32)> {
    let score: u32 = queue
        .required
        .iter()
        .filter_map(|r| profile.skills.get(&r.skill))
        .map(|p| u32::from(p.get()))
        .sum();
    if profile.member_of.contains(&queue.id) {
        return Some((0, score));
    }
    let mut relax: u8 = 0;
    let mut groups: Vec<_> = queue.agent_groups.iter().collect();
    let any_group = groups.is_empty();
    for level in 0..=queue.steps.len() {
        if level > 0 {
            match &queue.steps[level - 1].action {
                EscalationAction::RelaxProficiency { by } => relax = relax.saturating_add(*by),
                EscalationAction::WidenGroups(extra) => groups.extend(extra.iter()),
                EscalationAction::RaisePriority { .. } | EscalationAction::Overflow(_) => {}
            }
        }
        let group_ok = any_group || profile.groups.iter().any(|g| groups.contains(&g));
        if group_ok && meets_skills(profile, queue, relax) {
            return Some((level, score));
        }
    }
    None
}

/// Whether the profile holds every required skill at `min - relax` (at least 1).
pub(crate) fn meets_skills(profile: &AgentProfile, queue: &QueueConfig, relax: u8) -> bool {
    queue.required.iter().all(|r| {
        let need = r.min.get().saturating_sub(relax).max(1);
        profile
            .skills
            .get(&r.skill)
            .is_some_and(|p| p.get() >= need)
    })
}

/// The sort key of an available agent in a queue's index: the smallest is the best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct AgentKey {
    /// The strategy's main criterion.
    pub(crate) primary: i64,
    /// The tie-break (idle since, in milliseconds).
    pub(crate) secondary: i64,
    /// The agent's index in the core (round robin order, final tie-break).
    pub(crate) agent: u32,
}

/// The key of `agent` (at index `ord`) under `strategy`, with skill `score` for this queue.
pub(crate) fn agent_key(strategy: Strategy, agent: &Agent, score: u32, ord: u32) -> AgentKey {
    let idle = agent.idle_since().as_millis();
    let (primary, secondary) = match strategy {
        Strategy::LongestIdle => (idle, 0),
        Strategy::MostSkilled => (-i64::from(score), idle),
        Strategy::LeastOccupied => (i64::from(agent.occupancy_per_mille()), idle),
        Strategy::RoundRobin => (i64::from(ord), 0),
    };
    AgentKey {
        primary,
        secondary,
        agent: ord,
    }
}

/// The explanation score of an agent key.
pub(crate) fn agent_score(strategy: Strategy, key: AgentKey, now: Timestamp, cursor: u32) -> Score {
    match strategy {
        Strategy::LongestIdle => Score::IdleFor(now.since(Timestamp::from_millis(key.primary))),
        Strategy::MostSkilled => Score::Proficiency(u32::try_from(-key.primary).unwrap_or(0)),
        Strategy::LeastOccupied => {
            Score::OccupancyPerMille(u32::try_from(key.primary).unwrap_or(0))
        }
        Strategy::RoundRobin => Score::Turn(key.agent.wrapping_sub(cursor)),
    }
}

/// A decision's winner, the best loser and how many candidates there were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pick<K> {
    /// The winner.
    pub(crate) best: K,
    /// The best loser.
    pub(crate) runner_up: Option<K>,
    /// Candidates in the eligible set.
    pub(crate) eligible: usize,
}

/// One queue's live indexes. Level `l` holds contacts whose current escalation step is `l`,
/// and available agents whose eligibility starts at step `l`. A contact at step `s` may take
/// agents of levels `0..=s`; an agent of level `l` may take contacts of levels `l..`.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueueIndex {
    /// Waiting contacts in the pool, per escalation step.
    pub(crate) contacts: Vec<BTreeSet<ContactKey>>,
    /// Available agents, per eligibility level.
    pub(crate) agents: Vec<BTreeSet<AgentKey>>,
    /// Round robin: the last agent served.
    pub(crate) cursor: u32,
}

impl QueueIndex {
    /// Empty indexes for a queue with `steps` escalation steps.
    pub(crate) fn new(steps: usize) -> Self {
        Self {
            contacts: vec![BTreeSet::new(); steps + 1],
            agents: vec![BTreeSet::new(); steps + 1],
            cursor: 0,
        }
    }

    /// Contacts waiting in the pool.
    pub(crate) fn waiting(&self) -> usize {
        self.contacts.iter().map(BTreeSet::len).sum()
    }

    /// The best available agent for a contact at step `step`.
    pub(crate) fn best_agent(&self, strategy: Strategy, step: usize) -> Option<Pick<AgentKey>> {
        let top = step.min(self.agents.len().saturating_sub(1));
        let levels = self.agents.get(..=top)?;
        let eligible = levels.iter().map(BTreeSet::len).sum();
        let cursor = self.cursor;
        // Round robin starts after the cursor and wraps; others take the smallest key.
        let order = |k: &AgentKey| match strategy {
            Strategy::RoundRobin => (k.agent <= cursor, *k),
            _ => (false, *k),
        };
        let mut candidates: Vec<AgentKey> = Vec::with_capacity(4 * levels.len());
        for set in levels {
            if strategy == Strategy::RoundRobin {
                let after = AgentKey {
                    primary: i64::from(cursor) + 1,
                    secondary: i64::MIN,
                    agent: 0,
                };
                candidates.extend(set.range(after..).take(2));
            }
            candidates.extend(set.iter().take(2));
        }
        candidates.sort_by_key(order);
        candidates.dedup();
        let best = *candidates.first()?;
        Some(Pick {
            best,
            runner_up: candidates.get(1).copied(),
            eligible,
        })
    }

    /// The first waiting contact an agent eligible from `level` may take.
    pub(crate) fn best_contact(&self, level: usize) -> Option<Pick<ContactKey>> {
        let levels = self.contacts.get(level..)?;
        let mut heads: Vec<ContactKey> = Vec::with_capacity(2 * levels.len());
        let mut eligible = 0;
        for set in levels {
            eligible += set.len();
            heads.extend(set.iter().take(2));
        }
        heads.sort();
        let best = *heads.first()?;
        Some(Pick {
            best,
            runner_up: heads.get(1).copied(),
            eligible,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::acd::agent::ChannelRules;
    use crate::domain::{
        AgentLogin, Channel, Proficiency, QueueName, SkillName, SkillRequirement, TeamName,
    };

    fn profile(skills: &[(&str, u8)], groups: &[&str], member: bool) -> AgentProfile {
        AgentProfile {
            id: "00000000-0000-7000-8000-000000000001"
                .parse()
                .expect("uuid"),
            login: AgentLogin::parse("a").expect("login"),
            skills: skills
                .iter()
                .map(|(s, p)| {
                    (
                        SkillName::parse(s).expect("skill"),
                        Proficiency::new(*p).expect("level"),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            groups: groups
                .iter()
                .map(|g| TeamName::parse(g).expect("team"))
                .collect(),
            member_of: if member { vec![queue().id] } else { vec![] },
            rules: ChannelRules::default(),
        }
    }

    fn queue() -> QueueConfig {
        QueueConfig {
            id: "00000000-0000-7000-8000-000000000009"
                .parse()
                .expect("uuid"),
            name: QueueName::parse("funds").expect("name"),
            channel: Channel::Voice,
            required: vec![SkillRequirement {
                skill: SkillName::parse("funds").expect("skill"),
                min: Proficiency::new(7).expect("level"),
            }],
            agent_groups: vec![TeamName::parse("desk").expect("team")],
            strategy: Strategy::LongestIdle,
            steps: vec![
                EscalationStep {
                    after: Duration::from_secs(20),
                    action: EscalationAction::RelaxProficiency { by: 3 },
                },
                EscalationStep {
                    after: Duration::from_secs(40),
                    action: EscalationAction::WidenGroups(vec![
                        TeamName::parse("overflow").expect("team"),
                    ]),
                },
            ],
            offer_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(30),
        }
    }

    use super::super::queue::EscalationStep;

    fn check(skills: &[(&str, u8)], groups: &[&str], member: bool, expected: Option<usize>) {
        let got = eligibility(&profile(skills, groups, member), &queue()).map(|(l, _)| l);
        assert_eq!(got, expected, "skills {skills:?} groups {groups:?}");
    }

    #[test]
    fn eligibility_levels_follow_escalation_steps() {
        check(&[("funds", 8)], &["desk"], false, Some(0));
        check(&[("funds", 5)], &["desk"], false, Some(1));
        check(&[("funds", 3)], &["desk"], false, None);
        check(&[("funds", 8)], &["overflow"], false, Some(2));
        check(&[("funds", 4)], &["overflow"], false, Some(2));
        check(&[("funds", 8)], &["other"], false, None);
        check(&[], &[], true, Some(0));
    }

    fn key(agent: u32, primary: i64) -> AgentKey {
        AgentKey {
            primary,
            secondary: 0,
            agent,
        }
    }

    #[test]
    fn best_agent_respects_levels_and_round_robin_wraps() {
        let mut q = QueueIndex::new(1);
        q.agents[0].insert(key(3, 300));
        q.agents[1].insert(key(1, 100));
        let at0 = q
            .best_agent(Strategy::LongestIdle, 0)
            .map(|p| (p.best.agent, p.eligible));
        assert_eq!(at0, Some((3, 1)));
        let at1 = q
            .best_agent(Strategy::LongestIdle, 1)
            .map(|p| (p.best.agent, p.eligible));
        assert_eq!(at1, Some((1, 2)));
        let mut rr = QueueIndex::new(0);
        for a in [1, 2, 5] {
            rr.agents[0].insert(key(a, i64::from(a)));
        }
        let mut turns = Vec::new();
        for _ in 0..4 {
            let p = rr.best_agent(Strategy::RoundRobin, 0).expect("agents");
            rr.cursor = p.best.agent;
            turns.push(p.best.agent);
        }
        assert_eq!(turns, [1, 2, 5, 1]);
    }
}
