//! The life of a contact after routing and around timers: admission (held for the account
//! manager or into the pool), wrap-up and completion, and firing deadlines in time order.
//!
//! Pure: no I/O, no clock. Private steps of `AcdCore`; inputs were validated by `acd::core`.

use crate::domain::{InteractionId, Timestamp};

use super::agent::{ReasonCode, WorkState};
use super::core::{AcdCore, AcdError, Contact, ContactState, Timer};
use super::event::{AcdEvent, AcdEventKind, Actor, Cause};

impl AcdCore {
    /// Takes in a new contact: held for its account manager (offered at once if the manager
    /// is free) or put in the pool and routed.
    pub(crate) fn admit(&mut self, now: Timestamp, c: Contact, events: &mut Vec<AcdEvent>) {
        let interaction = c.interaction;
        let key = c.key();
        let state = c.state;
        self.contacts.insert(interaction, c);
        match state {
            ContactState::Reserved { agent, until } => {
                self.agents[agent].reserved.insert(key);
                self.timers.insert((until, Timer::Reserved(interaction)));
                self.route_agent(now, agent, events);
            }
            _ => {
                self.enter_pool(now, interaction, events);
                self.route_pending(now, events);
            }
        }
    }

    /// The conversation on `interaction` (held by agent `a`) ended: wrap-up until the queue's
    /// limit, or completion at once when the queue has no wrap-up.
    pub(crate) fn start_wrap_up(
        &mut self,
        now: Timestamp,
        a: usize,
        interaction: InteractionId,
        actor: Actor,
        events: &mut Vec<AcdEvent>,
    ) -> Result<(), AcdError> {
        let c = self
            .contacts
            .get(&interaction)
            .ok_or(AcdError::UnknownContact { interaction })?;
        let wrap_up = self.queues[c.queue].config.wrap_up;
        let until = now.plus(wrap_up);
        self.agents[a].agent.start_wrap_up(interaction, until)?;
        events.push(AcdEvent {
            at: now,
            actor,
            cause: Cause::ContactEnded,
            kind: AcdEventKind::WrapUpStarted {
                interaction,
                agent: self.agents[a].agent.id(),
                until,
            },
        });
        if wrap_up.is_zero() {
            self.complete(
                now,
                a,
                interaction,
                Actor::System,
                Cause::WrapUpTimer,
                events,
            )?;
        } else {
            self.timers.insert((until, Timer::WrapUp(interaction)));
        }
        Ok(())
    }

    /// Agent `a` is done with `interaction`: the slot frees, the contact leaves the ACD and
    /// the agent is offered more work.
    pub(crate) fn complete(
        &mut self,
        now: Timestamp,
        a: usize,
        interaction: InteractionId,
        actor: Actor,
        cause: Cause,
        events: &mut Vec<AcdEvent>,
    ) -> Result<(), AcdError> {
        let c = self
            .contacts
            .get(&interaction)
            .ok_or(AcdError::UnknownContact { interaction })?;
        let ContactState::Connected { answered, .. } = c.state else {
            return Err(AcdError::WrongContactState {
                interaction,
                expected: "answered",
            });
        };
        self.agents[a].agent.finish(now, interaction)?;
        let c = self.contacts.remove(&interaction).expect("checked above");
        events.push(AcdEvent {
            at: now,
            actor,
            cause,
            kind: AcdEventKind::Completed {
                interaction,
                queue: self.queues[c.queue].config.id,
                tier: c.tier,
                agent: self.agents[a].agent.id(),
                handle_time: now.since(answered),
            },
        });
        self.reindex_agent(a);
        self.route_agent(now, a, events);
        Ok(())
    }

    /// Fires every timer due at or before `now`, each at its own time and followed by the
    /// routing it enables, so that time-ordered causes have time-ordered effects. The events
    /// wait in `fired` until the input hands them out.
    pub(crate) fn fire_due(&mut self, now: Timestamp) {
        let mut events = std::mem::take(&mut self.fired);
        while let Some(&(at, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            self.fire(at, timer, &mut events);
            self.route_pending(at, &mut events);
        }
        self.fired = events;
    }

    fn fire(&mut self, at: Timestamp, timer: Timer, events: &mut Vec<AcdEvent>) {
        let state = |i: &InteractionId| self.contacts.get(i).map(|c| c.state);
        match timer {
            Timer::Offer(interaction, offer) => {
                if let Some(ContactState::Offered {
                    agent,
                    offer: current,
                    ..
                }) = state(&interaction)
                    && current == offer
                {
                    self.end_offer(at, interaction, offer, Cause::OfferTimeout, events);
                    let missed = ReasonCode::missed_offer();
                    self.force_not_ready(at, agent, missed, Cause::OfferTimeout, events);
                }
            }
            Timer::WrapUp(interaction) => {
                if let Some(ContactState::Connected { agent, .. }) = state(&interaction) {
                    self.fire_wrap_up(at, agent, interaction, events);
                }
            }
            Timer::Reserved(interaction) => {
                if let Some(ContactState::Reserved { agent, until }) = state(&interaction)
                    && until == at
                {
                    self.end_hold(at, agent, interaction, events);
                }
            }
            Timer::Escalate(interaction) => self.advance_steps(at, interaction, events),
        }
    }

    /// Completes `interaction` on `agent` if its wrap-up ends exactly now (not a stale timer).
    fn fire_wrap_up(
        &mut self,
        at: Timestamp,
        agent: usize,
        interaction: InteractionId,
        events: &mut Vec<AcdEvent>,
    ) {
        let due = self.agents[agent].agent.slots().iter().any(|s| {
            s.interaction == interaction
                && matches!(s.state, WorkState::WrapUp { until, .. } if until == at)
        });
        if due {
            self.complete(
                at,
                agent,
                interaction,
                Actor::System,
                Cause::WrapUpTimer,
                events,
            )
            .expect("a due wrap-up completes");
        }
    }

    /// The account manager's window for `interaction` ended: the contact joins the pool.
    fn end_hold(
        &mut self,
        at: Timestamp,
        agent: usize,
        interaction: InteractionId,
        events: &mut Vec<AcdEvent>,
    ) {
        let c = &self.contacts[&interaction];
        self.agents[agent].reserved.remove(&c.key());
        let queue = self.queues[c.queue].config.id;
        events.push(AcdEvent {
            at,
            actor: Actor::System,
            cause: Cause::PreferredWindowEnded,
            kind: AcdEventKind::Requeued { interaction, queue },
        });
        self.enter_pool(at, interaction, events);
    }
}
