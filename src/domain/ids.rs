//! Typed identifiers. Entity ids are UUIDv7 (globally unique, time-ordered) so that several
//! nodes can share one store later; names people type (logins, queue names) are separate types.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Defines a UUIDv7 newtype id with parsing, display and generation.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id (UUIDv7). Reads the wall clock: callers at the edges
            /// generate ids; pure cores receive them.
            #[must_use]
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (from the store or the wire).
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// One contact with a customer on one channel, from arrival to wrap-up.
    InteractionId
);
uuid_id!(
    /// One part of an interaction: a queue visit, an offer, an agent leg, a transfer, a consult.
    SegmentId
);
uuid_id!(
    /// A customer's request that may span several interactions.
    CaseId
);
uuid_id!(
    /// One event in the unified interaction log.
    EventId
);
uuid_id!(
    /// A customer (or a prospect not yet known).
    CustomerId
);
uuid_id!(
    /// An agent account (agents, supervisors and admins are all agents with roles).
    AgentId
);
uuid_id!(
    /// A team of agents, led by supervisors.
    TeamId
);
uuid_id!(
    /// An ACD queue.
    QueueId
);
uuid_id!(
    /// One SIP call handled by the platform (a leg pair owned by one call task).
    CallId
);
uuid_id!(
    /// One recording file.
    RecordingId
);
uuid_id!(
    /// One offer of a contact to an agent (a reservation with a deadline).
    OfferId
);
uuid_id!(
    /// A login session of the HTTP API or the console.
    SessionId
);

/// Defines a validated, human-typed name newtype.
macro_rules! name_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates a name: 1-64 characters of letters, digits, `.`, `_` and `-`.
            pub fn parse(text: &str) -> Result<Self, InvalidName> {
                let ok = !text.is_empty()
                    && text.len() <= 64
                    && text.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
                if ok {
                    Ok(Self(text.to_owned()))
                } else {
                    Err(InvalidName { kind: $what, text: text.to_owned() })
                }
            }

            /// The name as typed.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

name_id!(
    /// An agent's login name (`li.wei`).
    AgentLogin,
    "agent login"
);
name_id!(
    /// A queue's name as flows and the configuration refer to it (`trading`).
    QueueName,
    "queue name"
);
name_id!(
    /// A team's name (`equities-desk`).
    TeamName,
    "team name"
);
name_id!(
    /// A prompt's name: the stem of a WAV file under `ivr_flows/prompts/`.
    PromptName,
    "prompt name"
);
name_id!(
    /// An IVR flow's name: the stem of its TOML file under `ivr_flows/`.
    FlowName,
    "flow name"
);

/// A name that is empty, too long or holds characters other than letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {text:?}: use 1-64 letters, digits, '.', '_' or '-'")]
pub struct InvalidName {
    /// What kind of name was expected.
    pub kind: &'static str,
    /// The rejected text.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_order_by_time() {
        let a = InteractionId::generate();
        let b = InteractionId::generate();
        assert!(a < b, "UUIDv7 ids are time-ordered");
        assert_eq!(a.to_string().parse::<InteractionId>().ok(), Some(a));
    }

    #[test]
    fn names_are_validated() {
        assert!(AgentLogin::parse("li.wei").is_ok());
        assert!(QueueName::parse("trading-support_2").is_ok());
        assert!(AgentLogin::parse("").is_err());
        assert!(AgentLogin::parse("a b").is_err());
        assert!(QueueName::parse(&"x".repeat(65)).is_err());
        let err = AgentLogin::parse("x/y").err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid agent login \"x/y\": use 1-64 letters, digits, '.', '_' or '-'")
        );
    }
}
