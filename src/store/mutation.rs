//! Row changes that travel with events through the one writer, so that a fact and the row it
//! changes commit together (or not at all).

use sqlx::{Any, Transaction};

use crate::domain::{AgentId, CustomerId, SessionId, StationName, TeamId, TierRule, Timestamp};
use crate::interaction_log::NewEvent;

use super::StoreError;
use super::agents::{AgentRecord, TeamRecord};
use super::customers::CustomerRecord;
use super::queues::QueueRecord;
use super::sessions::SessionRecord;
use super::stations::{BindingRecord, StationRecord};

/// One unit of the log writer's work: events and the row changes they imply, committed
/// atomically. An item whose event carries an idempotency key already stored is skipped whole.
#[derive(Debug, Clone, Default)]
pub struct WriteItem {
    /// The events to append, in order.
    pub events: Vec<NewEvent>,
    /// The row changes to apply before the events.
    pub mutations: Vec<Mutation>,
}

impl WriteItem {
    /// An item of one event and no row change.
    #[must_use]
    pub fn event(event: NewEvent) -> Self {
        Self {
            events: vec![event],
            mutations: Vec::new(),
        }
    }
}

/// A change to master data or sessions.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Insert or replace a customer with its phones, emails and accounts.
    PutCustomer(Box<CustomerRecord>),
    /// Merge customer `from` into `into`: contacts, cases, phones, emails and accounts follow.
    MergeCustomer {
        /// The record that goes away.
        from: CustomerId,
        /// The surviving record.
        into: CustomerId,
        /// When.
        at: Timestamp,
    },
    /// Insert or replace an agent with its skills (unknown skills are created).
    PutAgent(Box<AgentRecord>),
    /// Replace an agent's password hash.
    SetPassword {
        /// The agent.
        agent: AgentId,
        /// The new argon2 hash.
        hash: String,
        /// When.
        at: Timestamp,
    },
    /// Insert or rename a team.
    PutTeam(TeamRecord),
    /// Make an agent a supervisor of a team.
    AddSupervisor {
        /// The team.
        team: TeamId,
        /// The supervisor.
        agent: AgentId,
    },
    /// Insert or replace a queue.
    PutQueue(Box<QueueRecord>),
    /// Replace the tier rules.
    PutTierRules(Vec<TierRule>),
    /// Insert or replace a queue's ACD settings.
    PutQueueAcd(Box<super::acd::QueueAcdRecord>),
    /// Open a session.
    PutSession(SessionRecord),
    /// Note activity on a session (for idle expiry).
    TouchSession {
        /// The session.
        id: SessionId,
        /// When it was last used.
        at: Timestamp,
    },
    /// End a session.
    RevokeSession {
        /// The session.
        id: SessionId,
        /// When.
        at: Timestamp,
    },
    /// Insert or update a station and replace its HA1 values.
    PutStation(Box<StationRecord>),
    /// Replace a station's registered contacts.
    PutBindings {
        /// The station.
        station: StationName,
        /// Its live bindings (empty removes all).
        bindings: Vec<BindingRecord>,
    },
}

impl Mutation {
    /// Applies the change inside the writer's transaction.
    pub(crate) async fn apply(&self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        match self {
            Mutation::PutCustomer(c) => super::customers::put(tx, c).await,
            Mutation::MergeCustomer { from, into, at } => {
                super::customers::merge(tx, *from, *into, *at).await
            }
            Mutation::PutAgent(a) => super::agents::put(tx, a).await,
            Mutation::SetPassword { agent, hash, at } => {
                super::agents::set_password(tx, *agent, hash, *at).await
            }
            Mutation::PutTeam(t) => super::agents::put_team(tx, t).await,
            Mutation::AddSupervisor { team, agent } => {
                super::agents::add_supervisor(tx, *team, *agent).await
            }
            Mutation::PutQueue(q) => super::queues::put(tx, q).await,
            Mutation::PutTierRules(rules) => super::customers::put_tier_rules(tx, rules).await,
            Mutation::PutQueueAcd(r) => super::acd::put(tx, r).await,
            Mutation::PutSession(s) => super::sessions::put(tx, s).await,
            Mutation::TouchSession { id, at } => super::sessions::touch(tx, *id, *at).await,
            Mutation::RevokeSession { id, at } => super::sessions::revoke(tx, *id, *at).await,
            Mutation::PutStation(s) => super::stations::put(tx, s).await,
            Mutation::PutBindings { station, bindings } => {
                super::stations::put_bindings(tx, station, bindings).await
            }
        }
    }
}

/// Maps a database error to `Conflict` / `Missing` where the database says so.
pub(crate) fn classify(err: sqlx::Error, what: impl Fn() -> String) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
                return StoreError::Conflict { what: what() };
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                return StoreError::Missing { what: what() };
            }
            _ => {}
        }
    }
    StoreError::Database(err)
}
