//! The inputs about one contact's work once it is in the ACD: hang-up, cancel, call-back
//! request, answer, decline, end of conversation and end of wrap-up.
//!
//! Pure: no I/O, no clock. Part of `AcdCore`'s input surface (the rest is in `acd::core`);
//! each input fires due timers first and refuses with a typed error, changing nothing.

use crate::domain::{AgentId, InteractionId, OfferId, Timestamp};

use super::agent::{AgentError, ReasonCode, WorkState};
use super::core::{AcdCore, AcdError, ContactState};
use super::event::{AcdEvent, AcdEventKind, Actor, Cause};

impl AcdCore {
    /// The customer left (hung up, closed the chat). Waiting or offered: the contact is
    /// abandoned and any reservation released at once, unless it is a call-back (the
    /// customer hanging up is expected then; use [`AcdCore::handle_cancel`] to withdraw it).
    /// Answered: the conversation ends and wrap-up starts.
    pub fn handle_hangup(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let mut events = Vec::new();
        let c = self
            .contacts
            .get(&interaction)
            .ok_or(AcdError::UnknownContact { interaction })?;
        if let ContactState::Connected { agent, .. } = c.state {
            let active = self.agents[agent].agent.slots().iter().any(|s| {
                s.interaction == interaction && matches!(s.state, WorkState::Active { .. })
            });
            if active {
                self.start_wrap_up(now, agent, interaction, Actor::Customer, &mut events)?;
            }
            return Ok(self.with_fired(events));
        }
        if !c.callback {
            self.abandon(now, interaction, &mut events);
        }
        Ok(self.with_fired(events))
    }

    /// Withdraws a contact not yet answered (a cancelled call-back, a session closed by the
    /// channel): released at once and counted as abandoned.
    pub fn handle_cancel(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let mut events = Vec::new();
        let c = self
            .contacts
            .get(&interaction)
            .ok_or(AcdError::UnknownContact { interaction })?;
        if matches!(c.state, ContactState::Connected { .. }) {
            return Err(AcdError::WrongContactState {
                interaction,
                expected: "unanswered",
            });
        }
        self.abandon(now, interaction, &mut events);
        Ok(self.with_fired(events))
    }

    /// The customer asked for a call-back: the contact keeps its place and, when an agent is
    /// found, is offered as usual with `callback: true` (the agent's side dials out).
    pub fn handle_callback_request(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let mut events = Vec::new();
        let c = self
            .contacts
            .get_mut(&interaction)
            .ok_or(AcdError::UnknownContact { interaction })?;
        if matches!(c.state, ContactState::Connected { .. }) {
            return Err(AcdError::WrongContactState {
                interaction,
                expected: "waiting",
            });
        }
        c.callback = true;
        events.push(AcdEvent {
            at: now,
            actor: Actor::Customer,
            cause: Cause::CallbackRequested,
            kind: AcdEventKind::CallbackRequested {
                interaction,
                queue: self.queues[c.queue].config.id,
            },
        });
        Ok(self.with_fired(events))
    }

    /// The agent accepts an offer. An offer whose deadline is `now` or earlier has already
    /// lapsed (ring-no-answer) and is refused.
    pub fn handle_answer(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        offer: OfferId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let mut events = Vec::new();
        let a = self.agent_index(agent)?;
        let slot = self.agents[a].agent.answer(now, offer)?;
        let c = self
            .contacts
            .get_mut(&slot.interaction)
            .expect("an offered slot always has its contact");
        c.state = ContactState::Connected {
            agent: a,
            answered: now,
        };
        let tier = c.tier;
        events.push(AcdEvent {
            at: now,
            actor: Actor::Agent(agent),
            cause: Cause::OfferAccepted,
            kind: AcdEventKind::Answered {
                offer,
                interaction: slot.interaction,
                queue: slot.queue,
                tier,
                agent,
                waited: now.since(c.arrived),
                sl_target: self.config.tiers.get(tier).sl_target,
            },
        });
        Ok(self.with_fired(events))
    }

    /// The agent declines an offer: it goes not ready (`declined_offer`) and the contact
    /// goes back to its place.
    pub fn handle_reject(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        offer: OfferId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let mut events = Vec::new();
        let a = self.agent_index(agent)?;
        let interaction = self.agents[a]
            .agent
            .pending_offers()
            .into_iter()
            .find(|(_, o)| *o == offer)
            .map(|(i, _)| i)
            .ok_or(AgentError::NoSuchOffer { agent, offer })?;
        self.end_offer(now, interaction, offer, Cause::OfferDeclined, &mut events);
        self.force_not_ready(
            now,
            a,
            ReasonCode::declined_offer(),
            Cause::OfferDeclined,
            &mut events,
        );
        self.route_pending(now, &mut events);
        Ok(self.with_fired(events))
    }

    /// The conversation ended (the agent hung up, closed the chat, sent the email): wrap-up.
    pub fn handle_contact_ended(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        interaction: InteractionId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let mut events = Vec::new();
        let a = self.agent_index(agent)?;
        self.start_wrap_up(now, a, interaction, Actor::Agent(agent), &mut events)?;
        Ok(self.with_fired(events))
    }

    /// The agent finished after-contact work; the slot frees and routing may offer more.
    pub fn handle_wrap_up_done(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        interaction: InteractionId,
    ) -> Result<Vec<AcdEvent>, AcdError> {
        self.fire_due(now);
        let mut events = Vec::new();
        let a = self.agent_index(agent)?;
        self.complete(
            now,
            a,
            interaction,
            Actor::Agent(agent),
            Cause::WrapUpDone,
            &mut events,
        )?;
        Ok(self.with_fired(events))
    }
}
