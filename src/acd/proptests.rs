//! State-machine property tests of the ACD core: random sequences of arrivals, presence
//! changes, answers, declines, hang-ups, call-back requests, wrap-ups and time steps over a
//! small brokerage, checking after every step that no agent is over capacity, no contact is
//! held twice, no reservation outlives its deadline, no free eligible agent leaves a contact
//! waiting, and (replaying the events through a model) that every offer respects skills,
//! queue order (FIFO within a priority, and across queues) and the account manager's
//! exclusive window; statistics folded from the same events must balance with the core.
//!
//! Test-only.

use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;

use crate::domain::{AgentId, Channel, InteractionId, QueueId, Tier, Timestamp};

use super::agent::{Presence, ReasonCode, WorkSlot, WorkState};
use super::core::ContactState;
use super::event::{AcdEvent, AcdEventKind, Rule};
use super::queue::{ContactKey, EscalationAction, OverflowTarget};
use super::routing::eligibility;
use super::stats::{Scope, Stats};
use super::testkit::{World, aid, brokerage, cid};

#[derive(Debug, Clone)]
enum Op {
    Cancel {
        contact: usize,
    },
    Enqueue {
        queue: usize,
        tier: usize,
        manager: Option<usize>,
    },
    Presence {
        agent: usize,
        to: u8,
    },
    Answer {
        agent: usize,
        n: usize,
    },
    Reject {
        agent: usize,
        n: usize,
    },
    Hangup {
        contact: usize,
    },
    Callback {
        contact: usize,
    },
    End {
        agent: usize,
        n: usize,
    },
    WrapUpDone {
        agent: usize,
        n: usize,
    },
    Advance {
        ms: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..4usize, proptest::option::weighted(0.3, 0..6usize))
            .prop_map(|(queue, tier, manager)| Op::Enqueue { queue, tier, manager }),
        3 => (0..6usize, 0..4u8).prop_map(|(agent, to)| Op::Presence { agent, to }),
        4 => (0..6usize, 0..3usize).prop_map(|(agent, n)| Op::Answer { agent, n }),
        1 => (0..6usize, 0..3usize).prop_map(|(agent, n)| Op::Reject { agent, n }),
        2 => (0..40usize).prop_map(|contact| Op::Hangup { contact }),
        1 => (0..40usize).prop_map(|contact| Op::Callback { contact }),
        1 => (0..40usize).prop_map(|contact| Op::Cancel { contact }),
        2 => (0..6usize, 0..3usize).prop_map(|(agent, n)| Op::End { agent, n }),
        1 => (0..6usize, 0..3usize).prop_map(|(agent, n)| Op::WrapUpDone { agent, n }),
        2 => (0..3_000i64).prop_map(|ms| Op::Advance { ms }),
        1 => (0..40_000i64).prop_map(|ms| Op::Advance { ms }),
    ]
}

/// What the model knows of a contact from the event stream.
#[derive(Debug, Clone)]
struct Known {
    queue: QueueId,
    priority: u16,
    seq: u64,
    step: usize,
    in_pool: bool,
    reserved_for: Option<AgentId>,
}

/// Replays events and checks every offer against the state just before it.
#[derive(Debug, Default)]
struct Model {
    contacts: BTreeMap<InteractionId, Known>,
    next_seq: u64,
}

impl Model {
    fn level(w: &World, agent: AgentId, queue: QueueId) -> Option<usize> {
        let a = w.core.agent_ids[&agent];
        let q = w.core.queue_ids[&queue];
        eligibility(w.core.agents[a].agent.profile(), &w.core.queues[q].config).map(|(l, _)| l)
    }

    fn apply(&mut self, w: &World, e: &AcdEvent) -> Result<(), TestCaseError> {
        match &e.kind {
            AcdEventKind::Enqueued {
                interaction,
                queue,
                priority,
                reserved_for,
                ..
            } => {
                let known = Known {
                    queue: *queue,
                    priority: *priority,
                    seq: self.next_seq,
                    step: 0,
                    in_pool: reserved_for.is_none(),
                    reserved_for: *reserved_for,
                };
                self.next_seq += 1;
                self.contacts.insert(*interaction, known);
            }
            AcdEventKind::Requeued { interaction, .. } => {
                let k = self.contacts.get_mut(interaction).expect("known contact");
                k.in_pool = true;
                k.reserved_for = None;
            }
            AcdEventKind::Offered {
                interaction,
                agent,
                queue,
                explanation,
                ..
            } => {
                let x = self.contacts[interaction].clone();
                prop_assert_eq!(x.queue, *queue);
                if let Some(m) = x.reserved_for {
                    prop_assert_eq!(m, *agent, "a held contact goes to its manager first");
                    prop_assert_eq!(explanation.rule, Rule::PreferredAgent);
                } else {
                    prop_assert!(x.in_pool, "offered from the pool");
                    let level = Self::level(w, *agent, *queue);
                    prop_assert!(level.is_some_and(|l| l <= x.step), "skills met");
                    // FIFO within the queue, and the cross-queue order over queues of the
                    // same channel (the agent could take that channel at that moment).
                    let xk = ContactKey::new(x.priority, x.seq, *interaction);
                    let channel = |q: QueueId| w.core.queue_channel(q);
                    for (i, y) in &self.contacts {
                        let yk = ContactKey::new(y.priority, y.seq, *i);
                        let comparable = y.queue == x.queue || channel(y.queue) == channel(x.queue);
                        let ahead = y.in_pool && comparable && yk < xk;
                        let y_level = Self::level(w, *agent, y.queue);
                        prop_assert!(
                            !(ahead && y_level.is_some_and(|l| l <= y.step)),
                            "{} offered ahead of {} (queue order)",
                            interaction,
                            i
                        );
                    }
                }
                let k = self.contacts.get_mut(interaction).expect("known");
                k.in_pool = false;
                k.reserved_for = None;
            }
            AcdEventKind::Escalated {
                interaction,
                step,
                action,
                ..
            } => {
                let k = self.contacts.get_mut(interaction).expect("known");
                k.step = *step;
                if let EscalationAction::RaisePriority { by } = action {
                    k.priority += by;
                }
            }
            AcdEventKind::Overflowed {
                interaction, to, ..
            } => match to {
                OverflowTarget::Queue(q) => {
                    let k = self.contacts.get_mut(interaction).expect("known");
                    k.queue = *q;
                    k.step = 0;
                }
                _ => {
                    self.contacts.remove(interaction);
                }
            },
            AcdEventKind::Abandoned { interaction, .. }
            | AcdEventKind::Completed { interaction, .. } => {
                self.contacts.remove(interaction);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Invariants on the core's state after a step.
fn check_state(w: &World) -> Result<(), TestCaseError> {
    let core = &w.core;
    let mut held = HashSet::new();
    for (a, entry) in core.agents.iter().enumerate() {
        let agent = &entry.agent;
        let rules = agent.profile().rules;
        for ch in Channel::ALL {
            prop_assert!(
                agent.load(ch) <= rules.capacity(ch),
                "agent {} over capacity on {}",
                a,
                ch
            );
        }
        let voice = agent.load(Channel::Voice);
        let others = agent.slots().len() - usize::from(voice);
        if rules.voice_blocks_others && rules.others_block_voice {
            prop_assert!(
                voice == 0 || others == 0,
                "voice mixed with other work on agent {}",
                a
            );
        }
        for s in agent.slots() {
            prop_assert!(
                held.insert(s.interaction),
                "contact {} held twice",
                s.interaction
            );
            let c = &core.contacts[&s.interaction];
            match (s.state, c.state) {
                (
                    WorkState::Offered { deadline, offer },
                    ContactState::Offered {
                        agent: ca,
                        offer: co,
                        ..
                    },
                ) => {
                    prop_assert!(deadline > w.now, "reservation past its deadline");
                    prop_assert_eq!((ca, co), (a, offer));
                }
                (
                    WorkState::Active { .. } | WorkState::WrapUp { .. },
                    ContactState::Connected { agent: ca, .. },
                ) => {
                    prop_assert_eq!(ca, a);
                }
                (s, c) => prop_assert!(false, "slot {:?} vs contact {:?}", s, c),
            }
        }
    }
    for c in core.contacts.values() {
        match c.state {
            ContactState::Waiting => {
                let q = &core.queues[c.queue];
                prop_assert!(q.index.contacts[c.step].contains(&c.key()));
                for entry in &core.agents {
                    let free = entry.agent.can_take(q.config.channel);
                    let eligible = entry
                        .eligible
                        .iter()
                        .any(|e| e.queue == c.queue && e.level <= c.step);
                    prop_assert!(
                        !(free && eligible),
                        "a free eligible agent leaves {} waiting",
                        c.interaction
                    );
                }
            }
            ContactState::Reserved { agent, until } => {
                prop_assert!(core.agents[agent].agent.presence().is_logged_in());
                prop_assert!(until > w.now, "held for a manager past the window");
            }
            ContactState::Offered { .. } | ContactState::Connected { .. } => {
                prop_assert!(
                    held.contains(&c.interaction),
                    "contact {} has no holder",
                    c.interaction
                );
            }
        }
    }
    Ok(())
}

/// The `n`-th slot in `state` of the first agent from `agent` on (wrapping) that has one,
/// so that commands mostly hit a contact that exists.
fn pick(w: &World, agent: usize, n: usize, state: &str) -> Option<(usize, WorkSlot)> {
    let agents = w.core.agents.len();
    (0..agents).map(|k| (agent + k) % agents).find_map(|a| {
        let slots: Vec<WorkSlot> = w.core.agents[a]
            .agent
            .slots()
            .iter()
            .filter(|s| {
                let name = match s.state {
                    WorkState::Offered { .. } => "offered",
                    WorkState::Active { .. } => "active",
                    WorkState::WrapUp { .. } => "wrap_up",
                };
                name == state
            })
            .copied()
            .collect();
        (!slots.is_empty()).then(|| (a, slots[n % slots.len()]))
    })
}

/// Statistics folded from the events agree with the core: every contact that entered a queue
/// was answered, abandoned or overflowed from it, or is still unanswered there; tiers sum to
/// the queue.
fn check_stats(w: &World, stats: &Stats) -> Result<(), TestCaseError> {
    for (q, queue) in w.core.queues.iter().enumerate() {
        let id = queue.config.id;
        let c = stats.today(Scope::Queue(id));
        let open = w
            .core
            .contacts
            .values()
            .filter(|k| k.queue == q && !matches!(k.state, ContactState::Connected { .. }))
            .count() as u64;
        prop_assert_eq!(
            c.offered,
            c.answered + c.abandoned + c.overflowed + open,
            "queue {}",
            q
        );
        prop_assert!(c.handled <= c.answered && c.answered_in_target <= c.answered);
        let by_tier: u64 = Tier::ALL
            .iter()
            .map(|t| stats.today(Scope::QueueTier(id, *t)).offered)
            .sum();
        prop_assert_eq!(by_tier, c.offered);
    }
    Ok(())
}

fn run(w: &mut World, op: &Op, contacts: &mut usize) {
    let tiers = [Tier::Diamond, Tier::Gold, Tier::WealthCard, Tier::Standard];
    let nth =
        |w: &World, agent: usize, n: usize| w.core.agents[agent].agent.slots().get(n).copied();
    // Errors are expected outcomes here (a wrong state for the command); the state checks
    // after the step prove nothing was half-applied.
    let _ = match *op {
        Op::Enqueue {
            queue,
            tier,
            manager,
        } => {
            *contacts += 1;
            w.enqueue(*contacts, queue, tiers[tier], manager)
        }
        Op::Presence { agent, to } => {
            let to = match to {
                0 | 1 => Presence::Ready,
                2 => Presence::NotReady(ReasonCode::parse("break").expect("code")),
                _ => Presence::LoggedOut,
            };
            w.presence(agent, to)
        }
        Op::Answer { agent, n } => match pick(w, agent, n, "offered") {
            Some((a, s)) => match s.state {
                WorkState::Offered { offer, .. } => w.answer(a, offer),
                _ => Ok(Vec::new()),
            },
            None => Ok(Vec::new()),
        },
        Op::Reject { agent, n } => match nth(w, agent, n).map(|s| s.state) {
            Some(WorkState::Offered { offer, .. }) => {
                let r = w.core.handle_reject(w.now, aid(agent), offer);
                if let Ok(ev) = &r {
                    w.events.extend(ev.iter().cloned());
                }
                r
            }
            _ => Ok(Vec::new()),
        },
        Op::Hangup { contact } => w.hangup(contact % (*contacts + 1)),
        Op::Callback { contact } => {
            let r = w
                .core
                .handle_callback_request(w.now, cid(contact % (*contacts + 1)));
            if let Ok(ev) = &r {
                w.events.extend(ev.iter().cloned());
            }
            r
        }
        Op::Cancel { contact } => {
            let r = w.core.handle_cancel(w.now, cid(contact % (*contacts + 1)));
            if let Ok(ev) = &r {
                w.events.extend(ev.iter().cloned());
            }
            r
        }
        Op::End { agent, n } => match pick(w, agent, n, "active") {
            Some((a, s)) => w.end(a, s.interaction),
            None => Ok(Vec::new()),
        },
        Op::WrapUpDone { agent, n } => match pick(w, agent, n, "wrap_up") {
            Some((a, s)) => w.wrap_up_done(a, s.interaction),
            None => Ok(Vec::new()),
        },
        Op::Advance { ms } => Ok(w.advance(ms)),
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn acd_invariants_hold_after_every_step(ops in proptest::collection::vec(op(), 1..80)) {
        let (queues, agents) = brokerage();
        let mut w = World::new(queues, agents);
        let mut model = Model::default();
        let mut stats = Stats::new(Timestamp::from_millis(0));
        let mut contacts = 0;
        let mut seen = 0;
        for op in &ops {
            let manager_free = match *op {
                Op::Enqueue { queue, manager: Some(m), .. } => {
                    let logged_in = w.core.agents[m].agent.presence().is_logged_in();
                    let level0 = Model::level(&w, aid(m), super::testkit::qid(queue)) == Some(0);
                    Some((m, logged_in && level0))
                }
                _ => None,
            };
            run(&mut w, op, &mut contacts);
            // Timer events of a refused command come out here.
            let late = w.core.poll_events();
            w.events.extend(late);
            if let Some((m, expected)) = manager_free {
                let reserved = w.events[seen..].iter().find_map(|e| match &e.kind {
                    AcdEventKind::Enqueued { reserved_for, .. } => Some(*reserved_for),
                    _ => None,
                });
                if let Some(reserved) = reserved {
                    prop_assert_eq!(reserved == Some(aid(m)), expected, "manager hold at arrival");
                }
            }
            for e in &w.events[seen..] {
                model.apply(&w, e)?;
                stats.handle_event(e);
            }
            seen = w.events.len();
            check_state(&w)?;
            check_stats(&w, &stats)?;
        }
    }
}
