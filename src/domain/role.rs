//! Roles of an account: what a signed-in person may do.

use std::fmt;
use std::str::FromStr;

/// A role. An account may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Handles contacts.
    Agent,
    /// Watches and acts on the agents and queues of their teams.
    Supervisor,
    /// Configures everything and sees everything.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Agent, Role::Supervisor, Role::Admin];

    /// The stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected agent, supervisor or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// Parses `agent,supervisor` into a sorted, de-duplicated role list (empty text = no roles).
pub fn parse_roles(text: &str) -> Result<Vec<Role>, UnknownRole> {
    let mut roles: Vec<Role> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    roles.sort();
    roles.dedup();
    Ok(roles)
}
