//! The mechanics behind `AcdCore`'s inputs: keeping agents in the queue indexes, making and
//! ending offers (exactly one holder per contact), returning contacts to their place,
//! escalation and overflow, wrap-up, and firing timers in time order.
//!
//! Pure: no I/O, no clock. These are private steps of `AcdCore`; they assume the input was
//! validated by `acd::core` and never decide policy beyond what `acd::routing` ranks.

use crate::domain::{InteractionId, OfferId, Timestamp};

use super::agent::{Presence, ReasonCode, WorkSlot, WorkState};
use super::core::{AcdCore, Contact, ContactState, Timer};
use super::event::{AcdEvent, AcdEventKind, Actor, Cause, Explanation, OfferOutcome, Rule, Score};
use super::queue::{EscalationAction, OverflowTarget, Strategy};
use super::routing::{agent_key, agent_score};

impl AcdCore {
    /// Puts agent `a` into the indexes of every queue it is eligible for and can take now
    /// (ready, with capacity on the queue's channel), under its current key.
    pub(crate) fn reindex_agent(&mut self, a: usize) {
        let entry = &mut self.agents[a];
        for (q, level, key) in entry.indexed.drain(..) {
            self.queues[q].index.agents[level].remove(&key);
        }
        if *entry.agent.presence() != Presence::Ready {
            return;
        }
        let ord = u32::try_from(a).expect("fewer than 4 billion agents");
        for el in &entry.eligible {
            let q = &mut self.queues[el.queue];
            if entry.agent.can_take(q.config.channel) {
                let key = agent_key(q.config.strategy, &entry.agent, el.score, ord);
                q.index.agents[el.level].insert(key);
                entry.indexed.push((el.queue, el.level, key));
            }
        }
    }

    fn contact_score(&self, interaction: InteractionId, now: Timestamp) -> Score {
        let c = &self.contacts[&interaction];
        Score::Contact {
            priority: c.priority,
            waited: now.since(c.arrived),
        }
    }

    /// Offers agent `a` the best contacts it can take, one at a time, until it is full or
    /// nothing fits: first contacts held for it as account manager, then the cross-queue
    /// order (highest priority, then earliest arrival at the ACD) over its queues.
    pub(crate) fn route_agent(&mut self, now: Timestamp, a: usize, events: &mut Vec<AcdEvent>) {
        while let Some((interaction, explanation)) = self.best_contact_for(now, a) {
            self.make_offer(now, a, interaction, explanation, events);
        }
    }

    fn best_contact_for(&self, now: Timestamp, a: usize) -> Option<(InteractionId, Explanation)> {
        let entry = &self.agents[a];
        if *entry.agent.presence() != Presence::Ready {
            return None;
        }
        for key in &entry.reserved {
            let c = &self.contacts[&key.interaction];
            if entry.agent.can_take(self.queues[c.queue].config.channel) {
                let explanation = Explanation {
                    rule: Rule::PreferredAgent,
                    step: c.step,
                    eligible_agents: 1,
                    eligible_contacts: entry.reserved.len(),
                    winner: self.contact_score(key.interaction, now),
                    runner_up: None,
                };
                return Some((key.interaction, explanation));
            }
        }
        let mut heads = Vec::new();
        let mut eligible = 0;
        for el in &entry.eligible {
            let q = &self.queues[el.queue];
            if !entry.agent.can_take(q.config.channel) {
                continue;
            }
            if let Some(pick) = q.index.best_contact(el.level) {
                eligible += pick.eligible;
                heads.push(pick.best);
                heads.extend(pick.runner_up);
            }
        }
        heads.sort();
        let best = *heads.first()?;
        let c = &self.contacts[&best.interaction];
        let eligible_agents = self.queues[c.queue]
            .index
            .best_agent(Strategy::LongestIdle, c.step)
            .map_or(0, |p| p.eligible);
        let explanation = Explanation {
            rule: Rule::CrossQueueOrder,
            step: c.step,
            eligible_agents,
            eligible_contacts: eligible,
            winner: self.contact_score(best.interaction, now),
            runner_up: heads.get(1).map(|k| self.contact_score(k.interaction, now)),
        };
        Some((best.interaction, explanation))
    }

    /// Offers a waiting contact to the best available agent by its queue's strategy.
    fn route_contact(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
        events: &mut Vec<AcdEvent>,
    ) {
        let Some(c) = self.contacts.get(&interaction) else {
            return;
        };
        if c.state != ContactState::Waiting {
            return;
        }
        let q = &self.queues[c.queue];
        let strategy = q.config.strategy;
        let Some(pick) = q.index.best_agent(strategy, c.step) else {
            return;
        };
        let cursor = q.index.cursor;
        let explanation = Explanation {
            rule: Rule::Strategy(strategy),
            step: c.step,
            eligible_agents: pick.eligible,
            eligible_contacts: 1,
            winner: agent_score(strategy, pick.best, now, cursor),
            runner_up: pick
                .runner_up
                .map(|k| agent_score(strategy, k, now, cursor)),
        };
        let a = usize::try_from(pick.best.agent).expect("agent index fits usize");
        self.make_offer(now, a, interaction, explanation, events);
    }

    /// Routes the contacts that became waiting during this input, best first.
    pub(crate) fn route_pending(&mut self, now: Timestamp, events: &mut Vec<AcdEvent>) {
        let mut pending: Vec<_> = std::mem::take(&mut self.to_route)
            .into_iter()
            .filter_map(|i| self.contacts.get(&i).map(|c| c.key()))
            .collect();
        pending.sort();
        pending.dedup();
        for key in pending {
            self.route_contact(now, key.interaction, events);
        }
    }

    /// Reserves contact `interaction` for agent `a` until the queue's offer timeout.
    fn make_offer(
        &mut self,
        now: Timestamp,
        a: usize,
        interaction: InteractionId,
        explanation: Explanation,
        events: &mut Vec<AcdEvent>,
    ) {
        let offer = (self.offer_ids)();
        let c = self
            .contacts
            .get_mut(&interaction)
            .expect("routing picks held contacts");
        let key = c.key();
        match c.state {
            ContactState::Waiting => {
                self.queues[c.queue].index.contacts[c.step].remove(&key);
            }
            ContactState::Reserved { agent, .. } => {
                self.agents[agent].reserved.remove(&key);
            }
            ContactState::Offered { .. } | ContactState::Connected { .. } => {
                unreachable!("routing only offers waiting or reserved contacts")
            }
        }
        let q = &mut self.queues[c.queue];
        let deadline = now.plus(q.config.offer_timeout);
        if q.config.strategy == Strategy::RoundRobin
            && matches!(explanation.rule, Rule::Strategy(_))
        {
            q.index.cursor = u32::try_from(a).expect("agent index fits u32");
        }
        let slot = WorkSlot {
            interaction,
            channel: q.config.channel,
            queue: q.config.id,
            state: WorkState::Offered { offer, deadline },
        };
        self.agents[a]
            .agent
            .offer(now, slot)
            .expect("routing only picks agents that can take the channel");
        c.state = ContactState::Offered {
            agent: a,
            offer,
            deadline,
        };
        self.timers
            .insert((deadline, Timer::Offer(interaction, offer)));
        events.push(AcdEvent {
            at: now,
            actor: Actor::System,
            cause: Cause::Routing,
            kind: AcdEventKind::Offered {
                offer,
                interaction,
                queue: q.config.id,
                agent: self.agents[a].agent.id(),
                deadline,
                callback: c.callback,
                explanation: Box::new(explanation),
            },
        });
        self.reindex_agent(a);
    }

    /// Ends a pending offer without an answer: the agent's slot frees and the contact goes
    /// back to its original place in the pool (it is queued for routing at the end of the
    /// input, once the agent's own state has settled).
    pub(crate) fn end_offer(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
        offer: OfferId,
        cause: Cause,
        events: &mut Vec<AcdEvent>,
    ) {
        let c = self
            .contacts
            .get_mut(&interaction)
            .expect("an offer always has its contact");
        let ContactState::Offered { agent: a, .. } = c.state else {
            unreachable!("end_offer is only called for a pending offer")
        };
        self.agents[a]
            .agent
            .release_offer(offer)
            .expect("the contact's offer is on its agent");
        let outcome = match cause {
            Cause::OfferTimeout => OfferOutcome::Missed,
            Cause::OfferDeclined => OfferOutcome::Declined,
            _ => OfferOutcome::Withdrawn,
        };
        let agent = self.agents[a].agent.id();
        let queue = self.queues[c.queue].config.id;
        events.push(AcdEvent {
            at: now,
            actor: Actor::System,
            cause,
            kind: AcdEventKind::OfferEnded {
                offer,
                interaction,
                agent,
                outcome,
            },
        });
        events.push(AcdEvent {
            at: now,
            actor: Actor::System,
            cause,
            kind: AcdEventKind::Requeued { interaction, queue },
        });
        self.enter_pool(now, interaction, events);
        self.reindex_agent(a);
    }

    /// Makes a held contact wait in its queue's pool (applying any escalation steps already
    /// due) and queues it for routing.
    pub(crate) fn enter_pool(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
        events: &mut Vec<AcdEvent>,
    ) {
        let c = self
            .contacts
            .get_mut(&interaction)
            .expect("caller holds the contact");
        c.state = ContactState::Waiting;
        let key = c.key();
        self.queues[c.queue].index.contacts[c.step].insert(key);
        self.advance_steps(now, interaction, events);
        self.to_route.push(interaction);
    }

    /// Applies every escalation step due for a waiting contact, moving it between levels,
    /// raising its priority or overflowing it; then schedules the next step.
    pub(crate) fn advance_steps(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
        events: &mut Vec<AcdEvent>,
    ) {
        let Some(c) = self.contacts.get_mut(&interaction) else {
            return;
        };
        if c.state != ContactState::Waiting {
            return;
        }
        let old_key = c.key();
        self.queues[c.queue].index.contacts[c.step].remove(&old_key);
        loop {
            let steps = &self.queues[c.queue].config.steps;
            let Some(step) = steps.get(c.step) else {
                break;
            };
            if now < c.entered_queue.plus(step.after) {
                break;
            }
            let action = step.action.clone();
            c.step += 1;
            let queue = self.queues[c.queue].config.id;
            events.push(escalation_event(
                now,
                c,
                AcdEventKind::Escalated {
                    interaction,
                    queue,
                    step: c.step,
                    action: action.clone(),
                },
            ));
            match action {
                EscalationAction::RaisePriority { by } => {
                    c.priority = c.priority.saturating_add(by)
                }
                EscalationAction::RelaxProficiency { .. } | EscalationAction::WidenGroups(_) => {}
                EscalationAction::Overflow(to) => {
                    let kind = AcdEventKind::Overflowed {
                        interaction,
                        from: queue,
                        to,
                        tier: c.tier,
                        waited: now.since(c.arrived),
                    };
                    events.push(escalation_event(now, c, kind));
                    let OverflowTarget::Queue(target) = to else {
                        self.contacts.remove(&interaction);
                        return;
                    };
                    c.queue = self.queue_ids[&target];
                    c.step = 0;
                    c.entered_queue = now;
                }
            }
        }
        let key = c.key();
        self.queues[c.queue].index.contacts[c.step].insert(key);
        if let Some(step) = self.queues[c.queue].config.steps.get(c.step) {
            self.timers.insert((
                c.entered_queue.plus(step.after),
                Timer::Escalate(interaction),
            ));
        }
        self.to_route.push(interaction);
    }

    /// The customer left before an answer: releases whatever holds the contact, at once.
    pub(crate) fn abandon(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
        events: &mut Vec<AcdEvent>,
    ) {
        let Some(c) = self.contacts.remove(&interaction) else {
            return;
        };
        let key = c.key();
        let queue = self.queues[c.queue].config.id;
        let mut freed = None;
        match c.state {
            ContactState::Waiting => {
                self.queues[c.queue].index.contacts[c.step].remove(&key);
            }
            ContactState::Reserved { agent, .. } => {
                self.agents[agent].reserved.remove(&key);
            }
            ContactState::Offered {
                agent: a, offer, ..
            } => {
                self.agents[a]
                    .agent
                    .release_offer(offer)
                    .expect("the contact's offer is on its agent");
                events.push(AcdEvent {
                    at: now,
                    actor: Actor::Customer,
                    cause: Cause::CustomerLeft,
                    kind: AcdEventKind::OfferEnded {
                        offer,
                        interaction,
                        agent: self.agents[a].agent.id(),
                        outcome: OfferOutcome::Withdrawn,
                    },
                });
                freed = Some(a);
            }
            ContactState::Connected { .. } => unreachable!("answered contacts end, not abandon"),
        }
        events.push(AcdEvent {
            at: now,
            actor: Actor::Customer,
            cause: Cause::CustomerLeft,
            kind: AcdEventKind::Abandoned {
                interaction,
                queue,
                tier: c.tier,
                waited: now.since(c.arrived),
                sl_target: self.config.tiers.get(c.tier).sl_target,
            },
        });
        if let Some(a) = freed {
            self.reindex_agent(a);
            self.route_agent(now, a, events);
        }
    }

    /// Sends every contact held for agent `a` as account manager to the pool.
    pub(crate) fn release_reserved(
        &mut self,
        now: Timestamp,
        a: usize,
        events: &mut Vec<AcdEvent>,
    ) {
        let reserved = std::mem::take(&mut self.agents[a].reserved);
        for key in reserved {
            let queue = self.queues[self.contacts[&key.interaction].queue].config.id;
            events.push(AcdEvent {
                at: now,
                actor: Actor::System,
                cause: Cause::PreferredWindowEnded,
                kind: AcdEventKind::Requeued {
                    interaction: key.interaction,
                    queue,
                },
            });
            self.enter_pool(now, key.interaction, events);
        }
    }

    /// Puts a ready agent not ready with `reason` (after a missed or declined offer),
    /// withdrawing its other pending offers.
    pub(crate) fn force_not_ready(
        &mut self,
        now: Timestamp,
        a: usize,
        reason: ReasonCode,
        cause: Cause,
        events: &mut Vec<AcdEvent>,
    ) {
        if *self.agents[a].agent.presence() != Presence::Ready {
            return;
        }
        for (interaction, offer) in self.agents[a].agent.pending_offers() {
            self.end_offer(now, interaction, offer, Cause::AgentUnavailable, events);
        }
        let to = Presence::NotReady(reason);
        let from = self.agents[a]
            .agent
            .set_presence(now, to.clone())
            .expect("ready to not ready is always allowed");
        events.push(AcdEvent {
            at: now,
            actor: Actor::System,
            cause,
            kind: AcdEventKind::PresenceChanged {
                agent: self.agents[a].agent.id(),
                from,
                to,
            },
        });
        self.reindex_agent(a);
    }
}

/// An event caused by contact `c` reaching its current escalation step.
fn escalation_event(now: Timestamp, c: &Contact, kind: AcdEventKind) -> AcdEvent {
    AcdEvent {
        at: now,
        actor: Actor::System,
        cause: Cause::Escalation { step: c.step },
        kind,
    }
}
