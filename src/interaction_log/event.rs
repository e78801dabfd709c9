//! The event envelope and the typed event kinds of the interaction log.
//!
//! Pure. Payloads are serialised as JSON for the store (the one place serde meets these
//! types); ids and domain words travel as their text form through `as_text`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::{
    AgentId, CaseId, Channel, CustomerId, Direction, EventId, IdentificationLevel, InteractionId,
    QueueId, SegmentId, Tier, Timestamp,
};

/// The schema version written with every new event.
pub const SCHEMA_VERSION: i64 = 1;

/// What an event is about; events are numbered per subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// One interaction.
    Interaction(InteractionId),
    /// One agent.
    Agent(AgentId),
    /// One customer (including their cases).
    Customer(CustomerId),
    /// The audit trail: logins, supervisor actions, configuration changes, recording access.
    Audit,
}

impl Subject {
    /// The stored kind word.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Subject::Interaction(_) => "interaction",
            Subject::Agent(_) => "agent",
            Subject::Customer(_) => "customer",
            Subject::Audit => "audit",
        }
    }

    /// The stored id text (`audit` for the audit trail).
    #[must_use]
    pub fn id_text(&self) -> String {
        match self {
            Subject::Interaction(id) => id.to_string(),
            Subject::Agent(id) => id.to_string(),
            Subject::Customer(id) => id.to_string(),
            Subject::Audit => "audit".to_owned(),
        }
    }

    /// Rebuilds a subject from its stored kind and id.
    pub fn from_parts(kind: &str, id: &str) -> Result<Self, EventDecodeError> {
        let bad = || EventDecodeError::Subject(format!("{kind}:{id}"));
        Ok(match kind {
            "interaction" => Subject::Interaction(id.parse().map_err(|_| bad())?),
            "agent" => Subject::Agent(id.parse().map_err(|_| bad())?),
            "customer" => Subject::Customer(id.parse().map_err(|_| bad())?),
            "audit" => Subject::Audit,
            _ => return Err(bad()),
        })
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The platform itself (timers, routing, recovery).
    System,
    /// A signed-in agent, supervisor or admin.
    Agent(AgentId),
    /// The customer (a caller, a sender, a chat visitor).
    Customer,
    /// An operator at the command line.
    Cli,
    /// Someone not signed in, by source address.
    Anonymous(String),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::System => f.write_str("system"),
            Actor::Agent(id) => write!(f, "agent:{id}"),
            Actor::Customer => f.write_str("customer"),
            Actor::Cli => f.write_str("cli"),
            Actor::Anonymous(source) => write!(f, "anonymous:{source}"),
        }
    }
}

impl FromStr for Actor {
    type Err = EventDecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "system" => Ok(Actor::System),
            "customer" => Ok(Actor::Customer),
            "cli" => Ok(Actor::Cli),
            _ => {
                if let Some(id) = s.strip_prefix("agent:") {
                    id.parse()
                        .map(Actor::Agent)
                        .map_err(|_| EventDecodeError::Actor(s.to_owned()))
                } else if let Some(source) = s.strip_prefix("anonymous:") {
                    Ok(Actor::Anonymous(source.to_owned()))
                } else {
                    Err(EventDecodeError::Actor(s.to_owned()))
                }
            }
        }
    }
}

/// What kind of part of an interaction a segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// Self-service in the IVR.
    Ivr,
    /// Waiting in a queue.
    Queue,
    /// Offered (reserved) to one agent.
    Offer,
    /// Handled by an agent.
    Agent,
    /// A transfer to another queue, agent or number.
    Transfer,
    /// A consultation with another agent while the customer holds.
    Consult,
    /// After-contact work.
    WrapUp,
}

impl SegmentKind {
    /// The stored word.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            SegmentKind::Ivr => "ivr",
            SegmentKind::Queue => "queue",
            SegmentKind::Offer => "offer",
            SegmentKind::Agent => "agent",
            SegmentKind::Transfer => "transfer",
            SegmentKind::Consult => "consult",
            SegmentKind::WrapUp => "wrap_up",
        }
    }
}

/// Why a customer's tier changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "cause")]
pub enum TierCause {
    /// The tier rules were applied to the customer's figures.
    Rules,
    /// Someone set the tier by hand.
    Override {
        /// Why they did.
        reason: String,
    },
    /// A manual override was removed; the rules apply again.
    OverrideCleared,
}

/// Every kind of event, with its payload. Adjacently tagged in the stored JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EventBody {
    /// A contact arrived (or an outbound contact started).
    InteractionCreated {
        /// The channel.
        #[serde(with = "as_text")]
        channel: Channel,
        /// Inbound or outbound.
        #[serde(with = "as_text")]
        direction: Direction,
        /// The customer, when already known.
        #[serde(with = "as_text_opt", default)]
        customer: Option<CustomerId>,
        /// How the customer was identified.
        #[serde(with = "as_text")]
        identification: IdentificationLevel,
        /// The customer's address: caller number, email address, chat visitor.
        remote_address: Option<String>,
        /// Our address that was reached: dialled number, mailbox, chat entry point.
        local_address: Option<String>,
        /// A subject line or topic, when the channel has one.
        subject: Option<String>,
    },
    /// The customer was identified (or re-identified) during the contact.
    CustomerIdentified {
        /// Who the customer is.
        #[serde(with = "as_text")]
        customer: CustomerId,
        /// How sure we are.
        #[serde(with = "as_text")]
        level: IdentificationLevel,
    },
    /// The contact was linked to another customer; its history follows.
    InteractionRelinked {
        /// The customer it was linked to before.
        #[serde(with = "as_text_opt", default)]
        from: Option<CustomerId>,
        /// The customer it belongs to now.
        #[serde(with = "as_text")]
        to: CustomerId,
    },
    /// A segment began.
    SegmentStarted {
        /// The segment.
        #[serde(with = "as_text")]
        segment: SegmentId,
        /// What kind of segment.
        segment_kind: SegmentKind,
        /// The queue, for queue visits and offers.
        #[serde(with = "as_text_opt", default)]
        queue: Option<QueueId>,
        /// The agent, for offers and agent legs.
        #[serde(with = "as_text_opt", default)]
        agent: Option<AgentId>,
    },
    /// A segment ended.
    SegmentEnded {
        /// The segment.
        #[serde(with = "as_text")]
        segment: SegmentId,
        /// How it ended (`answered`, `abandoned`, `rona`, `transferred`, ...).
        outcome: String,
    },
    /// An agent answered the contact.
    InteractionAnswered {
        /// The agent who answered.
        #[serde(with = "as_text_opt", default)]
        agent: Option<AgentId>,
    },
    /// The contact ended.
    InteractionEnded {
        /// How it ended (`completed`, `abandoned`, `failed`, ...).
        outcome: String,
        /// Who ended it (`customer`, `agent`, `system`).
        ended_by: String,
    },
    /// The agent recorded the outcome of the contact.
    WrapUpRecorded {
        /// The disposition code.
        disposition: String,
        /// Free notes.
        notes: String,
    },
    /// A note was added.
    NoteAdded {
        /// The note.
        text: String,
    },
    /// The interaction was linked to a case.
    CaseLinked {
        /// The case.
        #[serde(with = "as_text")]
        case: CaseId,
    },
    /// A customer record was created.
    CustomerCreated {
        /// Name at creation.
        name: String,
        /// The brokerage's own id, if any.
        external_id: Option<String>,
        /// Tier at creation.
        #[serde(with = "as_text")]
        tier: Tier,
    },
    /// Fields of a customer record changed.
    CustomerUpdated {
        /// The names of the fields that changed.
        fields: Vec<String>,
    },
    /// This customer record was merged into another; its contacts follow.
    CustomerMerged {
        /// The surviving record.
        #[serde(with = "as_text")]
        into: CustomerId,
    },
    /// The customer's tier changed.
    TierChanged {
        /// The tier before.
        #[serde(with = "as_text")]
        from: Tier,
        /// The tier now.
        #[serde(with = "as_text")]
        to: Tier,
        /// Why.
        #[serde(flatten)]
        cause: TierCause,
    },
    /// A case was opened for the customer.
    CaseOpened {
        /// The case.
        #[serde(with = "as_text")]
        case: CaseId,
        /// What it is about.
        title: String,
        /// When to follow up.
        follow_up_at: Option<i64>,
    },
    /// A case changed status or follow-up date.
    CaseUpdated {
        /// The case.
        #[serde(with = "as_text")]
        case: CaseId,
        /// The new status (`open`, `pending`, `closed`).
        status: String,
        /// When to follow up.
        follow_up_at: Option<i64>,
    },
    /// An agent account was created.
    AgentCreated {
        /// The login.
        login: String,
        /// The roles.
        roles: Vec<String>,
    },
    /// An agent account changed (name, roles, team, skills, capacity).
    AgentUpdated {
        /// The names of the fields that changed.
        fields: Vec<String>,
    },
    /// An agent's password was set.
    AgentPasswordChanged,
    /// A sign-in succeeded.
    LoginSucceeded {
        /// The login used.
        login: String,
        /// The source address.
        source: String,
    },
    /// A sign-in failed.
    LoginFailed {
        /// The login tried.
        login: String,
        /// The source address.
        source: String,
    },
    /// A sign-in was refused because of too many failures.
    LoginThrottled {
        /// The login tried.
        login: String,
        /// The source address.
        source: String,
    },
    /// A session ended by logout.
    LoggedOut {
        /// The login.
        login: String,
    },
    /// Configuration or business data changed (queues, teams, tier rules, ...).
    ConfigurationChanged {
        /// What was changed (`queue trading`, `tier rules`).
        what: String,
        /// A short description of the change.
        detail: String,
    },
    /// A call entered an IVR flow.
    IvrStarted {
        /// The flow's name.
        flow: String,
    },
    /// The IVR entered a node.
    IvrNodeEntered {
        /// The node's id.
        node: String,
        /// Its kind (`menu`, `collect`, ...).
        node_kind: String,
    },
    /// The caller's input as the IVR saw it: `key 1`, `key *` (a masked key of a sensitive
    /// collect shows `*`), `typed_ahead` (value withheld until taken), `no_input`, `invalid`.
    IvrInput {
        /// The node that took or waited for it, if any.
        node: Option<String>,
        /// What happened.
        input: String,
    },
    /// The IVR set a variable; secret values are stored as `***`, never their digits.
    IvrVariableSet {
        /// The variable.
        var: String,
        /// Its value as text.
        value: String,
    },
    /// An `http` node's data dip finished.
    IvrDataDip {
        /// The node.
        node: String,
        /// `ok`, `failed`, `timed_out` or `bad_field`.
        outcome: String,
    },
    /// The IVR run ended.
    IvrEnded {
        /// How (`enqueue`, `transfer`, `hangup`, `caller_hung_up`, `aborted`, ...).
        how: String,
        /// The node it stopped at, for an aborted run.
        node: Option<String>,
    },
    /// ACD: an agent's presence changed (subject: the agent).
    AcdPresenceChanged {
        /// `logged_out`, `ready` or `not_ready` before.
        from: String,
        /// `logged_out`, `ready` or `not_ready` after.
        to: String,
        /// The not-ready reason code after, if any.
        reason: Option<String>,
        /// Why (`presence_command`, `offer_timeout`, ...).
        cause: String,
    },
    /// ACD: a contact joined a queue, or was restored into it after a restart.
    AcdQueued {
        /// The queue.
        #[serde(with = "as_text")]
        queue: QueueId,
        /// The customer's tier.
        #[serde(with = "as_text")]
        tier: Tier,
        /// Its priority (higher first).
        priority: u16,
        /// The account manager holding it alone, if any.
        #[serde(with = "as_text_opt", default)]
        reserved_for: Option<AgentId>,
        /// First arrival (UTC ms) when restored after a restart; absent for a new arrival.
        restored_from: Option<i64>,
    },
    /// ACD: a contact was reserved for an agent, with why.
    AcdOffered {
        /// The queue.
        #[serde(with = "as_text")]
        queue: QueueId,
        /// The agent.
        #[serde(with = "as_text")]
        agent: AgentId,
        /// The offer id.
        offer: String,
        /// The reservation's deadline (UTC ms).
        deadline: i64,
        /// Whether the agent must call the customer back.
        callback: bool,
        /// Why this agent and this contact: rule, step, eligible counts, deciding scores.
        explanation: String,
    },
    /// ACD: the agent accepted the offer.
    AcdAnswered {
        /// The queue.
        #[serde(with = "as_text")]
        queue: QueueId,
        /// The customer's tier.
        #[serde(with = "as_text")]
        tier: Tier,
        /// The agent.
        #[serde(with = "as_text")]
        agent: AgentId,
        /// Arrival to answer, ms.
        waited_ms: u64,
        /// The service-level target, ms.
        sl_target_ms: u64,
    },
    /// ACD: an offer ended unanswered (`missed`, `declined`, `withdrawn`).
    AcdOfferEnded {
        /// The agent.
        #[serde(with = "as_text")]
        agent: AgentId,
        /// The offer id.
        offer: String,
        /// How it ended.
        outcome: String,
    },
    /// ACD: the contact went back to its original place.
    AcdRequeued {
        /// The queue.
        #[serde(with = "as_text")]
        queue: QueueId,
    },
    /// ACD: the contact reached an escalation step.
    AcdEscalated {
        /// The queue.
        #[serde(with = "as_text")]
        queue: QueueId,
        /// The step (1-based).
        step: usize,
        /// What it does.
        action: String,
    },
    /// ACD: the contact left its queue for another queue (`queue:<id>`), `voicemail` or `callback`.
    AcdOverflowed {
        /// The queue it left.
        #[serde(with = "as_text")]
        from: QueueId,
        /// Where it went.
        to: String,
        /// The customer's tier.
        #[serde(with = "as_text")]
        tier: Tier,
        /// Time waited so far, ms.
        waited_ms: u64,
    },
    /// ACD: the customer left before being answered.
    AcdAbandoned {
        /// The queue.
        #[serde(with = "as_text")]
        queue: QueueId,
        /// The customer's tier.
        #[serde(with = "as_text")]
        tier: Tier,
        /// Time waited, ms.
        waited_ms: u64,
        /// The service-level target, ms.
        sl_target_ms: u64,
    },
    /// ACD: the customer asked for a call-back and keeps their place.
    AcdCallbackRequested {
        /// The queue.
        #[serde(with = "as_text")]
        queue: QueueId,
    },
    /// ACD: the conversation ended; wrap-up runs.
    AcdWrapUpStarted {
        /// The agent.
        #[serde(with = "as_text")]
        agent: AgentId,
        /// When wrap-up ends by itself (UTC ms).
        until: i64,
    },
    /// ACD: the agent is done with the contact.
    AcdCompleted {
        /// The queue it was answered from.
        #[serde(with = "as_text")]
        queue: QueueId,
        /// The customer's tier.
        #[serde(with = "as_text")]
        tier: Tier,
        /// The agent.
        #[serde(with = "as_text")]
        agent: AgentId,
        /// Answer to end of wrap-up, ms.
        handle_time_ms: u64,
    },
    /// ACD: at a restart the contact's call or session was gone, so it was closed.
    AcdClosedAtRecovery {
        /// The queue it waited in.
        #[serde(with = "as_text")]
        queue: QueueId,
        /// Why it was closed.
        reason: String,
    },
}

impl EventBody {
    /// The stored kind word, the same as the JSON tag.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::InteractionCreated { .. } => "interaction_created",
            EventBody::CustomerIdentified { .. } => "customer_identified",
            EventBody::InteractionRelinked { .. } => "interaction_relinked",
            EventBody::SegmentStarted { .. } => "segment_started",
            EventBody::SegmentEnded { .. } => "segment_ended",
            EventBody::InteractionAnswered { .. } => "interaction_answered",
            EventBody::InteractionEnded { .. } => "interaction_ended",
            EventBody::WrapUpRecorded { .. } => "wrap_up_recorded",
            EventBody::NoteAdded { .. } => "note_added",
            EventBody::CaseLinked { .. } => "case_linked",
            EventBody::CustomerCreated { .. } => "customer_created",
            EventBody::CustomerUpdated { .. } => "customer_updated",
            EventBody::CustomerMerged { .. } => "customer_merged",
            EventBody::TierChanged { .. } => "tier_changed",
            EventBody::CaseOpened { .. } => "case_opened",
            EventBody::CaseUpdated { .. } => "case_updated",
            EventBody::AgentCreated { .. } => "agent_created",
            EventBody::AgentUpdated { .. } => "agent_updated",
            EventBody::AgentPasswordChanged => "agent_password_changed",
            EventBody::LoginSucceeded { .. } => "login_succeeded",
            EventBody::LoginFailed { .. } => "login_failed",
            EventBody::LoginThrottled { .. } => "login_throttled",
            EventBody::LoggedOut { .. } => "logged_out",
            EventBody::ConfigurationChanged { .. } => "configuration_changed",
            EventBody::IvrStarted { .. } => "ivr_started",
            EventBody::IvrNodeEntered { .. } => "ivr_node_entered",
            EventBody::IvrInput { .. } => "ivr_input",
            EventBody::IvrVariableSet { .. } => "ivr_variable_set",
            EventBody::IvrDataDip { .. } => "ivr_data_dip",
            EventBody::IvrEnded { .. } => "ivr_ended",
            EventBody::AcdPresenceChanged { .. } => "acd_presence_changed",
            EventBody::AcdQueued { .. } => "acd_queued",
            EventBody::AcdOffered { .. } => "acd_offered",
            EventBody::AcdAnswered { .. } => "acd_answered",
            EventBody::AcdOfferEnded { .. } => "acd_offer_ended",
            EventBody::AcdRequeued { .. } => "acd_requeued",
            EventBody::AcdEscalated { .. } => "acd_escalated",
            EventBody::AcdOverflowed { .. } => "acd_overflowed",
            EventBody::AcdAbandoned { .. } => "acd_abandoned",
            EventBody::AcdCallbackRequested { .. } => "acd_callback_requested",
            EventBody::AcdWrapUpStarted { .. } => "acd_wrap_up_started",
            EventBody::AcdCompleted { .. } => "acd_completed",
            EventBody::AcdClosedAtRecovery { .. } => "acd_closed_at_recovery",
        }
    }

    /// The stored JSON payload.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("event bodies hold only strings, numbers and ids")
    }

    /// Reads a stored JSON payload.
    pub fn from_json(json: &str) -> Result<Self, EventDecodeError> {
        serde_json::from_str(json).map_err(|e| EventDecodeError::Payload(e.to_string()))
    }
}

/// An event to append; the writer gives it its sequence number and `recorded_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The event's id (UUIDv7).
    pub id: EventId,
    /// What it is about.
    pub subject: Subject,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Who caused it.
    pub actor: Actor,
    /// A key from the input (a command id, a mail UID) so that a retried input is stored once.
    pub idempotency_key: Option<String>,
    /// What happened.
    pub body: EventBody,
}

impl NewEvent {
    /// An event with a fresh id and no idempotency key.
    #[must_use]
    pub fn new(subject: Subject, occurred_at: Timestamp, actor: Actor, body: EventBody) -> Self {
        Self {
            id: EventId::generate(),
            subject,
            occurred_at,
            actor,
            idempotency_key: None,
            body,
        }
    }

    /// The same event carrying an idempotency key.
    #[must_use]
    pub fn with_idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The event's id.
    pub id: EventId,
    /// What it is about.
    pub subject: Subject,
    /// Its number within the subject, from 1.
    pub seq: i64,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When it was committed.
    pub recorded_at: Timestamp,
    /// Who caused it.
    pub actor: Actor,
    /// The payload's schema version.
    pub schema_version: i64,
    /// The input's idempotency key, if any.
    pub idempotency_key: Option<String>,
    /// What happened.
    pub body: EventBody,
}

/// A stored event that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventDecodeError {
    /// The subject kind or id is not valid.
    #[error("stored event has an invalid subject {0:?}")]
    Subject(String),
    /// The actor text is not valid.
    #[error("stored event has an invalid actor {0:?}")]
    Actor(String),
    /// The JSON payload does not match any event kind.
    #[error("stored event payload cannot be read: {0}")]
    Payload(String),
}

/// Serde through `Display` / `FromStr`, for ids and domain words inside payloads.
mod as_text {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Serde through `Display` / `FromStr` for optional values.
mod as_text_opt {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<T: Display, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| t.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests;
