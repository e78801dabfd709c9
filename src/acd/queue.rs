//! Queue configuration (channel, required skills, agent groups, strategy, escalation steps),
//! the tier table (base priority and service-level target per customer tier), the order of
//! waiting contacts, and validation of a whole queue set with every problem reported.
//!
//! Pure data and checks: no I/O, no clock. This file does not match contacts with agents
//! (`acd::routing` does) and holds no live state (`acd::core` does).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::domain::{
    Channel, InteractionId, QueueId, QueueName, SkillName, SkillRequirement, TeamName, Tier,
};

/// How a waiting contact picks among the agents able to take it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The agent idle the longest (default).
    #[default]
    LongestIdle,
    /// The agent with the highest summed proficiency over the queue's skills.
    MostSkilled,
    /// The agent with the least load relative to capacity.
    LeastOccupied,
    /// The next agent after the last one served, in a fixed order.
    RoundRobin,
}

impl Strategy {
    /// The stable lower-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Strategy::LongestIdle => "longest_idle",
            Strategy::MostSkilled => "most_skilled",
            Strategy::LeastOccupied => "least_occupied",
            Strategy::RoundRobin => "round_robin",
        }
    }
}

/// What a tier gets: base priority and service-level target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TierPolicy {
    /// Base priority in the queue (higher is served first).
    pub base_priority: u16,
    /// Answer within this time...
    pub sl_target: Duration,
    /// ...for this share of contacts, in percent.
    pub sl_percent: u8,
}

/// The policy of every tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TierTable(pub [TierPolicy; 4]);

impl Default for TierTable {
    fn default() -> Self {
        let p = |base_priority, secs, sl_percent| TierPolicy {
            base_priority,
            sl_target: Duration::from_secs(secs),
            sl_percent,
        };
        Self([p(40, 10, 90), p(30, 20, 80), p(20, 30, 80), p(10, 60, 80)])
    }
}

impl TierTable {
    /// The policy of one tier.
    #[must_use]
    pub fn get(&self, tier: Tier) -> TierPolicy {
        let i = match tier {
            Tier::Diamond => 0,
            Tier::Gold => 1,
            Tier::WealthCard => 2,
            Tier::Standard => 3,
        };
        self.0[i]
    }
}

/// Where an overflowing contact goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverflowTarget {
    /// Another queue (same channel); the contact keeps its arrival order.
    Queue(QueueId),
    /// The caller leaves a voicemail.
    Voicemail,
    /// The caller is offered a call-back.
    Callback,
}

/// What an escalation step does when a contact has waited long enough.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EscalationAction {
    /// Lower every minimum proficiency by `by` (never below 1).
    RelaxProficiency {
        /// Levels to lower.
        by: u8,
    },
    /// Agents of these groups become eligible too (skills still apply).
    WidenGroups(Vec<TeamName>),
    /// Raise the contact's priority.
    RaisePriority {
        /// Added priority.
        by: u16,
    },
    /// Leave the queue (the last step).
    Overflow(OverflowTarget),
}

/// One escalation step: after `after` of waiting in the queue, apply `action`.
/// Steps are cumulative: step 3 includes the relaxations of steps 1 and 2.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EscalationStep {
    /// Waiting time in this queue that triggers the step.
    pub after: Duration,
    /// What it does.
    pub action: EscalationAction,
}

/// One queue's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// The queue.
    pub id: QueueId,
    /// Its name (flows and the API refer to it).
    pub name: QueueName,
    /// The channel of its contacts.
    pub channel: Channel,
    /// Skills an agent needs (unless an explicit member).
    pub required: Vec<SkillRequirement>,
    /// Agent groups allowed to serve it; empty means any group.
    pub agent_groups: Vec<TeamName>,
    /// How a contact picks an agent.
    pub strategy: Strategy,
    /// Escalation steps, in increasing `after`.
    pub steps: Vec<EscalationStep>,
    /// How long an offer rings before ring-no-answer.
    pub offer_timeout: Duration,
    /// Maximum after-contact work before the slot frees itself.
    pub wrap_up: Duration,
}

/// The position of a waiting contact: priority first (higher first), then arrival order
/// (`seq` is the ACD-wide arrival counter, so the order is also defined across queues).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContactKey {
    /// Priority, reversed so that the smallest key is served first.
    pub rank: Reverse<u16>,
    /// Arrival order at the ACD.
    pub seq: u64,
    /// The contact (unique tie-break; `seq` is already unique).
    pub interaction: InteractionId,
}

impl ContactKey {
    /// The key of a contact with this priority and arrival order.
    #[must_use]
    pub fn new(priority: u16, seq: u64, interaction: InteractionId) -> Self {
        Self {
            rank: Reverse(priority),
            seq,
            interaction,
        }
    }

    /// The priority.
    #[must_use]
    pub fn priority(&self) -> u16 {
        self.rank.0
    }
}

/// A problem in a queue set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueConfigError {
    /// Two queues share an id or a name.
    #[error("queue {name} is defined twice")]
    Duplicate {
        /// The repeated name.
        name: QueueName,
    },
    /// A required skill is not in the skill catalogue.
    #[error("queue {queue} requires unknown skill {skill}")]
    UnknownSkill {
        /// The queue.
        queue: QueueName,
        /// The skill.
        skill: SkillName,
    },
    /// An overflow step names a queue that does not exist.
    #[error("queue {queue} overflows to unknown queue {target}")]
    UnknownOverflowTarget {
        /// The queue.
        queue: QueueName,
        /// The missing target.
        target: QueueId,
    },
    /// An overflow step names a queue on another channel.
    #[error("queue {queue} ({from}) overflows to {target} on another channel ({to})")]
    OverflowChannelMismatch {
        /// The queue.
        queue: QueueName,
        /// Its channel.
        from: Channel,
        /// The target.
        target: QueueName,
        /// The target's channel.
        to: Channel,
    },
    /// Overflow steps form a loop.
    #[error("overflow loop: {}", path.iter().map(QueueName::as_str).collect::<Vec<_>>().join(" -> "))]
    OverflowLoop {
        /// The queues on the loop, the first repeated at the end.
        path: Vec<QueueName>,
    },
    /// Steps are not in increasing waiting time.
    #[error("queue {queue}: escalation step {step} does not come after the previous one")]
    StepsOutOfOrder {
        /// The queue.
        queue: QueueName,
        /// The 1-based step.
        step: usize,
    },
    /// A step follows an overflow step (it could never apply).
    #[error("queue {queue}: escalation step {step} follows an overflow and can never apply")]
    StepAfterOverflow {
        /// The queue.
        queue: QueueName,
        /// The 1-based step.
        step: usize,
    },
}

/// Checks a whole queue set against the skill catalogue; reports every problem found.
pub fn validate_queues(
    queues: &[QueueConfig],
    known_skills: &BTreeSet<SkillName>,
) -> Result<(), Vec<QueueConfigError>> {
    let mut problems = Vec::new();
    let mut by_id: BTreeMap<QueueId, &QueueConfig> = BTreeMap::new();
    let mut names = BTreeSet::new();
    for q in queues {
        if by_id.insert(q.id, q).is_some() || !names.insert(q.name.clone()) {
            problems.push(QueueConfigError::Duplicate {
                name: q.name.clone(),
            });
        }
    }
    for q in queues {
        check_queue(q, &by_id, known_skills, &mut problems);
    }
    problems.extend(find_overflow_loops(queues, &by_id));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn check_queue(
    q: &QueueConfig,
    by_id: &BTreeMap<QueueId, &QueueConfig>,
    known_skills: &BTreeSet<SkillName>,
    problems: &mut Vec<QueueConfigError>,
) {
    for r in &q.required {
        if !known_skills.contains(&r.skill) {
            problems.push(QueueConfigError::UnknownSkill {
                queue: q.name.clone(),
                skill: r.skill.clone(),
            });
        }
    }
    let mut previous = Duration::ZERO;
    let mut overflowed = false;
    for (i, step) in q.steps.iter().enumerate() {
        let n = i + 1;
        if step.after <= previous && i > 0 {
            problems.push(QueueConfigError::StepsOutOfOrder {
                queue: q.name.clone(),
                step: n,
            });
        }
        previous = step.after;
        if overflowed {
            problems.push(QueueConfigError::StepAfterOverflow {
                queue: q.name.clone(),
                step: n,
            });
        }
        if let EscalationAction::Overflow(target) = &step.action {
            overflowed = true;
            if let OverflowTarget::Queue(t) = target {
                match by_id.get(t) {
                    None => problems.push(QueueConfigError::UnknownOverflowTarget {
                        queue: q.name.clone(),
                        target: *t,
                    }),
                    Some(tq) if tq.channel != q.channel => {
                        problems.push(QueueConfigError::OverflowChannelMismatch {
                            queue: q.name.clone(),
                            from: q.channel,
                            target: tq.name.clone(),
                            to: tq.channel,
                        });
                    }
                    Some(_) => {}
                }
            }
        }
    }
}

/// The queue a queue overflows to, if any.
#[must_use]
pub fn overflow_queue(q: &QueueConfig) -> Option<QueueId> {
    q.steps.iter().find_map(|s| match s.action {
        EscalationAction::Overflow(OverflowTarget::Queue(t)) => Some(t),
        _ => None,
    })
}

/// Each queue overflows to at most one queue, so loops are found by walking each chain.
fn find_overflow_loops(
    queues: &[QueueConfig],
    by_id: &BTreeMap<QueueId, &QueueConfig>,
) -> Vec<QueueConfigError> {
    let mut reported: BTreeSet<BTreeSet<QueueId>> = BTreeSet::new();
    let mut out = Vec::new();
    for start in queues {
        let mut path = vec![start.id];
        let mut current = start;
        while let Some(next) = overflow_queue(current).and_then(|t| by_id.get(&t)) {
            if let Some(pos) = path.iter().position(|id| *id == next.id) {
                let cycle: Vec<QueueId> = path[pos..].to_vec();
                if reported.insert(cycle.iter().copied().collect()) {
                    let mut names: Vec<QueueName> =
                        cycle.iter().map(|id| by_id[id].name.clone()).collect();
                    names.push(next.name.clone());
                    out.push(QueueConfigError::OverflowLoop { path: names });
                }
                break;
            }
            path.push(next.id);
            current = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Proficiency;

    fn qid(n: u32) -> QueueId {
        format!("00000000-0000-7000-8000-{n:012x}")
            .parse()
            .expect("well-formed uuid")
    }

    fn queue(n: u32, skills: &[&str], steps: Vec<EscalationStep>) -> QueueConfig {
        QueueConfig {
            id: qid(n),
            name: QueueName::parse(&format!("q{n}")).expect("valid name"),
            channel: Channel::Voice,
            required: skills
                .iter()
                .map(|s| SkillRequirement {
                    skill: SkillName::parse(s).expect("valid skill"),
                    min: Proficiency::new(5).expect("valid level"),
                })
                .collect(),
            agent_groups: Vec::new(),
            strategy: Strategy::LongestIdle,
            steps,
            offer_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(30),
        }
    }

    fn overflow(secs: u64, to: OverflowTarget) -> EscalationStep {
        EscalationStep {
            after: Duration::from_secs(secs),
            action: EscalationAction::Overflow(to),
        }
    }

    fn check(queues: &[QueueConfig], expected: &[&str]) {
        let known: BTreeSet<SkillName> = ["equities", "funds"]
            .iter()
            .map(|s| SkillName::parse(s).expect("valid"))
            .collect();
        let got: Vec<String> = match validate_queues(queues, &known) {
            Ok(()) => Vec::new(),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn validation_reports_every_problem() {
        check(&[queue(1, &["equities"], vec![])], &[]);
        check(
            &[queue(1, &["equities", "forex"], vec![])],
            &["queue q1 requires unknown skill forex"],
        );
        check(
            &[queue(
                1,
                &[],
                vec![overflow(60, OverflowTarget::Queue(qid(7)))],
            )],
            &["queue q1 overflows to unknown queue 00000000-0000-7000-8000-000000000007"],
        );
        check(
            &[
                queue(1, &[], vec![overflow(60, OverflowTarget::Queue(qid(2)))]),
                queue(2, &[], vec![overflow(60, OverflowTarget::Queue(qid(3)))]),
                queue(3, &[], vec![overflow(60, OverflowTarget::Queue(qid(1)))]),
            ],
            &["overflow loop: q1 -> q2 -> q3 -> q1"],
        );
        check(
            &[queue(
                1,
                &[],
                vec![
                    overflow(60, OverflowTarget::Voicemail),
                    EscalationStep {
                        after: Duration::from_secs(30),
                        action: EscalationAction::RaisePriority { by: 5 },
                    },
                ],
            )],
            &[
                "queue q1: escalation step 2 does not come after the previous one",
                "queue q1: escalation step 2 follows an overflow and can never apply",
            ],
        );
    }

    #[test]
    fn contact_order_is_priority_then_arrival() {
        let i: InteractionId = "00000000-0000-7000-8000-000000000001"
            .parse()
            .expect("uuid");
        let mut keys = [
            ContactKey::new(10, 1, i),
            ContactKey::new(40, 3, i),
            ContactKey::new(40, 2, i),
        ];
        keys.sort();
        let got: Vec<(u16, u64)> = keys.iter().map(|k| (k.priority(), k.seq)).collect();
        assert_eq!(got, [(40, 2), (40, 3), (10, 1)]);
        assert_eq!(TierTable::default().get(Tier::Gold).sl_target.as_secs(), 20);
    }
}
