//! One agent as the ACD sees it: presence (logged out, ready, not ready with a reason code),
//! one work slot per contact (offered with a deadline, active, wrap-up with a timer) and the
//! per-channel capacity rules.
//!
//! Pure: no I/O, no clock (`now` is passed in). Whether an agent can take a contact on a
//! channel is *derived* from presence and the slots ([`Agent::can_take`]), never stored.
//! This file does not route: it only checks and applies one agent's transitions.

use std::collections::BTreeMap;
use std::fmt;

use crate::domain::{
    AgentId, AgentLogin, Channel, InteractionId, OfferId, Proficiency, QueueId, SkillName,
    TeamName, Timestamp,
};

/// A not-ready reason code (`break`, `training`, `meeting`, `missed_offer`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReasonCode(String);

impl ReasonCode {
    /// Validates a reason code: 1-32 lower-case letters, digits, `_` or `-`.
    pub fn parse(text: &str) -> Result<Self, AgentError> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(AgentError::BadReasonCode {
                text: text.to_owned(),
            })
        }
    }

    /// The code the ACD sets after a ring-no-answer.
    #[must_use]
    pub fn missed_offer() -> Self {
        Self("missed_offer".to_owned())
    }

    /// The code the ACD sets after the agent declines an offer.
    #[must_use]
    pub fn declined_offer() -> Self {
        Self("declined_offer".to_owned())
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An agent's presence: one state machine per agent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Presence {
    /// Not signed in.
    LoggedOut,
    /// Available for new contacts.
    Ready,
    /// Signed in but not taking new contacts, for a reason.
    NotReady(ReasonCode),
}

impl Presence {
    /// Whether the agent is signed in (ready or not ready).
    #[must_use]
    pub fn is_logged_in(&self) -> bool {
        !matches!(self, Presence::LoggedOut)
    }

    /// The stable lower-case name (`logged_out`, `ready`, `not_ready`).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Presence::LoggedOut => "logged_out",
            Presence::Ready => "ready",
            Presence::NotReady(_) => "not_ready",
        }
    }
}

/// Where one contact stands on an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkState {
    /// Reserved for the agent until `deadline` (exclusive).
    Offered {
        /// The offer.
        offer: OfferId,
        /// When the reservation lapses.
        deadline: Timestamp,
    },
    /// In conversation since `since`.
    Active {
        /// When the agent answered.
        since: Timestamp,
    },
    /// After-contact work until `until` at the latest.
    WrapUp {
        /// When the agent answered.
        answered: Timestamp,
        /// When wrap-up ends by itself.
        until: Timestamp,
    },
}

/// One contact held by an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorkSlot {
    /// The contact.
    pub interaction: InteractionId,
    /// Its channel.
    pub channel: Channel,
    /// The queue it came from.
    pub queue: QueueId,
    /// Where it stands.
    pub state: WorkState,
}

/// Per-channel capacity and blocking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelRules {
    /// Contacts at once on each channel, indexed as [`Channel::ALL`] (voice, email, chat, form).
    pub capacity: [u8; 4],
    /// A voice contact blocks every other channel.
    pub voice_blocks_others: bool,
    /// An open chat, email or form blocks voice.
    pub others_block_voice: bool,
}

impl Default for ChannelRules {
    fn default() -> Self {
        Self {
            capacity: [1, 5, 3, 5],
            voice_blocks_others: true,
            others_block_voice: true,
        }
    }
}

/// Index of a channel in [`Channel::ALL`] and in [`ChannelRules::capacity`].
#[must_use]
pub const fn channel_index(channel: Channel) -> usize {
    match channel {
        Channel::Voice => 0,
        Channel::Email => 1,
        Channel::Chat => 2,
        Channel::Form => 3,
    }
}

impl ChannelRules {
    /// The capacity on one channel.
    #[must_use]
    pub const fn capacity(&self, channel: Channel) -> u8 {
        self.capacity[channel_index(channel)]
    }
}

/// What the ACD knows about an agent's abilities (from the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentProfile {
    /// The agent.
    pub id: AgentId,
    /// The login.
    pub login: AgentLogin,
    /// Skills (languages are skills) with proficiency.
    pub skills: BTreeMap<SkillName, Proficiency>,
    /// Agent groups (teams) the agent belongs to.
    pub groups: Vec<TeamName>,
    /// Queues the agent is an explicit member of (eligible regardless of skills).
    pub member_of: Vec<QueueId>,
    /// Capacity per channel and blocking rules.
    pub rules: ChannelRules,
}

/// A transition that is not allowed from the agent's current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The reason code is not well formed.
    #[error("invalid reason code {text:?}: use 1-32 lower-case letters, digits, '_' or '-'")]
    BadReasonCode {
        /// The rejected text.
        text: String,
    },
    /// The agent is already in the requested presence.
    #[error("agent {agent} is already {presence}")]
    SamePresence {
        /// The agent.
        agent: AgentId,
        /// The presence.
        presence: &'static str,
    },
    /// Logging out while holding active or wrap-up work.
    #[error("agent {agent} still holds {contacts} contact(s) and cannot log out")]
    BusyCannotLogOut {
        /// The agent.
        agent: AgentId,
        /// Contacts still held.
        contacts: usize,
    },
    /// The agent cannot take a contact on this channel now (presence or capacity).
    #[error("agent {agent} cannot take a {channel} contact now")]
    NoCapacity {
        /// The agent.
        agent: AgentId,
        /// The channel.
        channel: Channel,
    },
    /// No slot of this agent matches the offer (never made, expired, or withdrawn).
    #[error("agent {agent} holds no pending offer {offer}")]
    NoSuchOffer {
        /// The agent.
        agent: AgentId,
        /// The offer.
        offer: OfferId,
    },
    /// The agent holds this contact, but not in the state the command needs.
    #[error("agent {agent} holds contact {interaction} but not in {expected}")]
    WrongWorkState {
        /// The agent.
        agent: AgentId,
        /// The contact.
        interaction: InteractionId,
        /// The state the command needs.
        expected: &'static str,
    },
    /// The agent holds no slot for this contact.
    #[error("agent {agent} holds no contact {interaction}")]
    NoSuchContact {
        /// The agent.
        agent: AgentId,
        /// The contact.
        interaction: InteractionId,
    },
}

/// One agent: profile, presence and work slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    profile: AgentProfile,
    presence: Presence,
    presence_since: Timestamp,
    idle_since: Timestamp,
    slots: Vec<WorkSlot>,
}

impl Agent {
    /// A logged-out agent.
    #[must_use]
    pub fn new(profile: AgentProfile, now: Timestamp) -> Self {
        Self {
            profile,
            presence: Presence::LoggedOut,
            presence_since: now,
            idle_since: now,
            slots: Vec::new(),
        }
    }

    /// The agent's id.
    #[must_use]
    pub fn id(&self) -> AgentId {
        self.profile.id
    }

    /// The profile.
    #[must_use]
    pub fn profile(&self) -> &AgentProfile {
        &self.profile
    }

    /// Replaces the profile (skills, groups, capacity); presence and slots stay.
    pub fn set_profile(&mut self, profile: AgentProfile) {
        self.profile = profile;
    }

    /// The presence.
    #[must_use]
    pub fn presence(&self) -> &Presence {
        &self.presence
    }

    /// Since when the presence holds.
    #[must_use]
    pub fn presence_since(&self) -> Timestamp {
        self.presence_since
    }

    /// When the agent last went ready, received an offer or finished a contact
    /// (the longest-idle key).
    #[must_use]
    pub fn idle_since(&self) -> Timestamp {
        self.idle_since
    }

    /// The contacts held.
    #[must_use]
    pub fn slots(&self) -> &[WorkSlot] {
        &self.slots
    }

    /// Contacts held on one channel (offered, active and wrap-up all count).
    #[must_use]
    pub fn load(&self, channel: Channel) -> u8 {
        let n = self.slots.iter().filter(|s| s.channel == channel).count();
        u8::try_from(n).unwrap_or(u8::MAX)
    }

    /// Load as thousandths of capacity, summed over channels (least-occupied key).
    #[must_use]
    pub fn occupancy_per_mille(&self) -> u32 {
        Channel::ALL
            .into_iter()
            .map(|c| {
                let cap = u32::from(self.profile.rules.capacity(c).max(1));
                u32::from(self.load(c)) * 1000 / cap
            })
            .sum()
    }

    /// Whether the agent can take one more contact on `channel` now: ready, under capacity
    /// on that channel, and not blocked by work on another channel. Derived, never stored.
    #[must_use]
    pub fn can_take(&self, channel: Channel) -> bool {
        if self.presence != Presence::Ready {
            return false;
        }
        let rules = &self.profile.rules;
        if self.load(channel) >= rules.capacity(channel) {
            return false;
        }
        let voice = self.load(Channel::Voice);
        let other = self.slots.len() - usize::from(voice);
        match channel {
            Channel::Voice => !(rules.others_block_voice && other > 0),
            _ => !(rules.voice_blocks_others && voice > 0),
        }
    }

    /// Changes presence; returns the previous presence. Logging out with active or wrap-up
    /// work is refused; offered slots must have been released by the caller first.
    pub fn set_presence(&mut self, now: Timestamp, to: Presence) -> Result<Presence, AgentError> {
        if self.presence == to {
            return Err(AgentError::SamePresence {
                agent: self.id(),
                presence: to.as_str(),
            });
        }
        if to == Presence::LoggedOut && !self.slots.is_empty() {
            return Err(AgentError::BusyCannotLogOut {
                agent: self.id(),
                contacts: self.slots.len(),
            });
        }
        if to == Presence::Ready {
            self.idle_since = now;
        }
        self.presence_since = now;
        Ok(std::mem::replace(&mut self.presence, to))
    }

    /// Reserves a slot for an offer; fails when the agent cannot take the channel. An offer
    /// counts as activity: the agent is idle since `now` for longest-idle routing.
    pub fn offer(&mut self, now: Timestamp, slot: WorkSlot) -> Result<(), AgentError> {
        if !self.can_take(slot.channel) {
            return Err(AgentError::NoCapacity {
                agent: self.id(),
                channel: slot.channel,
            });
        }
        self.idle_since = now;
        self.slots.push(slot);
        Ok(())
    }

    /// The pending offers (interaction, offer), for release when leaving ready.
    #[must_use]
    pub fn pending_offers(&self) -> Vec<(InteractionId, OfferId)> {
        self.slots
            .iter()
            .filter_map(|s| match s.state {
                WorkState::Offered { offer, .. } => Some((s.interaction, offer)),
                _ => None,
            })
            .collect()
    }

    /// Accepts a pending offer: the slot becomes active. Returns the slot.
    pub fn answer(&mut self, now: Timestamp, offer: OfferId) -> Result<WorkSlot, AgentError> {
        let agent = self.id();
        let slot = self
            .slots
            .iter_mut()
            .find(|s| matches!(s.state, WorkState::Offered { offer: o, .. } if o == offer))
            .ok_or(AgentError::NoSuchOffer { agent, offer })?;
        slot.state = WorkState::Active { since: now };
        Ok(*slot)
    }

    /// Removes a pending offer's slot (missed, declined or withdrawn).
    pub fn release_offer(&mut self, offer: OfferId) -> Result<WorkSlot, AgentError> {
        let agent = self.id();
        let pos = self
            .slots
            .iter()
            .position(|s| matches!(s.state, WorkState::Offered { offer: o, .. } if o == offer))
            .ok_or(AgentError::NoSuchOffer { agent, offer })?;
        Ok(self.slots.remove(pos))
    }

    /// Ends the conversation: the active slot goes to wrap-up until `until`.
    pub fn start_wrap_up(
        &mut self,
        interaction: InteractionId,
        until: Timestamp,
    ) -> Result<WorkSlot, AgentError> {
        let agent = self.id();
        let slot = self.slot_mut(interaction)?;
        let WorkState::Active { since } = slot.state else {
            return Err(AgentError::WrongWorkState {
                agent,
                interaction,
                expected: "active",
            });
        };
        slot.state = WorkState::WrapUp {
            answered: since,
            until,
        };
        Ok(*slot)
    }

    /// Finishes wrap-up: the slot is freed and the agent counts as idle from `now`.
    pub fn finish(
        &mut self,
        now: Timestamp,
        interaction: InteractionId,
    ) -> Result<WorkSlot, AgentError> {
        let agent = self.id();
        let pos = self
            .slots
            .iter()
            .position(|s| s.interaction == interaction)
            .ok_or(AgentError::NoSuchContact { agent, interaction })?;
        if !matches!(self.slots[pos].state, WorkState::WrapUp { .. }) {
            return Err(AgentError::WrongWorkState {
                agent,
                interaction,
                expected: "wrap-up",
            });
        }
        self.idle_since = now;
        Ok(self.slots.remove(pos))
    }

    fn slot_mut(&mut self, interaction: InteractionId) -> Result<&mut WorkSlot, AgentError> {
        let agent = self.profile.id;
        self.slots
            .iter_mut()
            .find(|s| s.interaction == interaction)
            .ok_or(AgentError::NoSuchContact { agent, interaction })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id<T: std::str::FromStr>(n: u32) -> T
    where
        T::Err: fmt::Debug,
    {
        format!("00000000-0000-7000-8000-{n:012x}")
            .parse()
            .expect("well-formed uuid")
    }

    fn agent() -> Agent {
        let profile = AgentProfile {
            id: id(1),
            login: AgentLogin::parse("li.wei").expect("valid login"),
            skills: BTreeMap::new(),
            groups: Vec::new(),
            member_of: Vec::new(),
            rules: ChannelRules::default(),
        };
        Agent::new(profile, Timestamp::from_millis(0))
    }

    fn slot(n: u32, channel: Channel) -> WorkSlot {
        WorkSlot {
            interaction: id(100 + n),
            channel,
            queue: id(9),
            state: WorkState::Offered {
                offer: id(200 + n),
                deadline: Timestamp::from_millis(10_000),
            },
        }
    }

    /// Loads the agent with `held` contacts, then asks which channels it can still take.
    fn check(held: &[Channel], expected: [bool; 4]) {
        let mut a = agent();
        a.set_presence(Timestamp::from_millis(1), Presence::Ready)
            .expect("logged out -> ready");
        for (n, c) in held.iter().enumerate() {
            a.offer(
                Timestamp::from_millis(1),
                slot(u32::try_from(n).expect("small"), *c),
            )
            .expect("within capacity");
        }
        let got = Channel::ALL.map(|c| a.can_take(c));
        assert_eq!(got, expected, "holding {held:?}");
    }

    #[test]
    fn capacity_and_blocking_are_derived_from_slots() {
        use Channel::{Chat, Email, Voice};
        // voice, email, chat, form
        check(&[], [true, true, true, true]);
        check(&[Voice], [false, false, false, false]);
        check(&[Chat], [false, true, true, true]);
        check(&[Chat, Chat], [false, true, true, true]);
        check(&[Chat, Chat, Chat], [false, true, false, true]);
        check(&[Email; 5], [false, false, true, true]);
    }

    #[test]
    fn blocking_rules_are_configurable() {
        let mut a = agent();
        a.profile.rules.voice_blocks_others = false;
        a.profile.rules.others_block_voice = false;
        a.set_presence(Timestamp::from_millis(1), Presence::Ready)
            .expect("ready");
        a.offer(Timestamp::from_millis(1), slot(1, Channel::Chat))
            .expect("chat");
        assert!(a.can_take(Channel::Voice));
        a.offer(Timestamp::from_millis(1), slot(2, Channel::Voice))
            .expect("voice");
        assert!(a.can_take(Channel::Chat));
        assert!(!a.can_take(Channel::Voice));
    }

    #[test]
    fn presence_transitions() {
        let mut a = agent();
        assert!(!a.can_take(Channel::Voice), "logged out takes nothing");
        let t = Timestamp::from_millis(5);
        assert_eq!(a.set_presence(t, Presence::Ready), Ok(Presence::LoggedOut));
        assert_eq!(a.idle_since(), t);
        assert!(matches!(
            a.set_presence(t, Presence::Ready),
            Err(AgentError::SamePresence { .. })
        ));
        let brk = Presence::NotReady(ReasonCode::parse("break").expect("valid"));
        assert_eq!(a.set_presence(t, brk.clone()), Ok(Presence::Ready));
        assert!(!a.can_take(Channel::Chat), "not ready takes nothing");
        a.slots.push(slot(1, Channel::Chat));
        assert!(matches!(
            a.set_presence(t, Presence::LoggedOut),
            Err(AgentError::BusyCannotLogOut { contacts: 1, .. })
        ));
        assert!(ReasonCode::parse("Coffee Break").is_err());
    }

    #[test]
    fn work_slot_lifecycle() {
        let mut a = agent();
        a.set_presence(Timestamp::from_millis(1), Presence::Ready)
            .expect("ready");
        let s = slot(1, Channel::Voice);
        a.offer(Timestamp::from_millis(1), s).expect("free");
        assert!(matches!(
            a.offer(Timestamp::from_millis(1), slot(2, Channel::Voice)),
            Err(AgentError::NoCapacity { .. })
        ));
        let offer: OfferId = id(201);
        let wrong: OfferId = id(999);
        assert!(matches!(
            a.answer(Timestamp::from_millis(2), wrong),
            Err(AgentError::NoSuchOffer { .. })
        ));
        assert!(matches!(
            a.finish(Timestamp::from_millis(2), s.interaction),
            Err(AgentError::WrongWorkState { .. })
        ));
        a.answer(Timestamp::from_millis(2), offer).expect("pending");
        a.start_wrap_up(s.interaction, Timestamp::from_millis(9))
            .expect("active");
        assert!(!a.can_take(Channel::Voice), "wrap-up holds the slot");
        a.finish(Timestamp::from_millis(7), s.interaction)
            .expect("wrap-up");
        assert_eq!(a.idle_since(), Timestamp::from_millis(7));
        assert!(a.can_take(Channel::Voice));
    }
}
