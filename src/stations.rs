//! Station accounts: creating a station (a desk phone or softphone account with its own SIP
//! password, separate from the agent's web password), setting its password, listing them, and
//! the HA1 values per realm and algorithm that the registrar checks digests against.
//!
//! The password is turned into HA1 values here and then forgotten; nothing stores it. Used by
//! the command line and the demo seed; must not speak SIP beyond `sip::digest`'s hashes.

use crate::domain::{AgentId, AgentLogin, StationName, Timestamp};
use crate::interaction_log::{Actor, EventBody, InteractionLogHandle, LogError, NewEvent, Subject};
use crate::sip::digest::{self, Algorithm};
use crate::sip::registrar::StationCredentials;
use crate::store::stations::{StationCredential, StationRecord};
use crate::store::{Db, Mutation, StoreError, WriteItem};

/// Shortest SIP password accepted (phones keep it on the device; it must resist guessing).
pub const MIN_PASSWORD_LEN: usize = 10;

/// Why a station change was refused.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// The name is taken.
    #[error("a station named {0} already exists")]
    NameTaken(StationName),
    /// No station has this name.
    #[error("no station is named {0}")]
    UnknownStation(StationName),
    /// No agent has this login.
    #[error("no agent has the login {0}")]
    UnknownAgent(AgentLogin),
    /// The password is too short or not printable ASCII.
    #[error("a SIP password needs at least {MIN_PASSWORD_LEN} printable ASCII characters")]
    WeakPassword,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log writer failed.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// HA1 for every supported algorithm, for `realm`.
#[must_use]
pub fn credentials_for(name: &StationName, realm: &str, password: &str) -> Vec<StationCredential> {
    Algorithm::ALL
        .iter()
        .map(|a| StationCredential {
            realm: realm.to_owned(),
            algorithm: a.as_str().to_owned(),
            ha1: digest::ha1(*a, name.as_str(), realm, password),
        })
        .collect()
}

/// The registrar's view of stored stations: the HA1 values for `realm` (stations whose
/// password was set under another realm have none and cannot register until it is reset).
#[must_use]
pub fn directory(stations: &[StationRecord], realm: &str) -> Vec<StationCredentials> {
    stations
        .iter()
        .map(|s| StationCredentials {
            station: s.name.clone(),
            ha1: s
                .credentials
                .iter()
                .filter(|c| c.realm == realm)
                .filter_map(|c| Algorithm::parse(&c.algorithm).map(|a| (a, c.ha1.clone())))
                .collect(),
        })
        .filter(|s| !s.ha1.is_empty())
        .collect()
}

fn check_password(password: &str) -> Result<(), StationError> {
    let printable = password.bytes().all(|b| b.is_ascii_graphic());
    if password.len() < MIN_PASSWORD_LEN || !printable {
        return Err(StationError::WeakPassword);
    }
    Ok(())
}

async fn agent_id(db: &Db, login: Option<&AgentLogin>) -> Result<Option<AgentId>, StationError> {
    match login {
        None => Ok(None),
        Some(l) => db
            .agent_by_login(l)
            .await?
            .map(|a| Some(a.id))
            .ok_or_else(|| StationError::UnknownAgent(l.clone())),
    }
}

fn audit(name: &StationName, detail: &str, actor: Actor, now: Timestamp) -> NewEvent {
    let body = EventBody::ConfigurationChanged {
        what: format!("station {name}"),
        detail: detail.to_owned(),
    };
    NewEvent::new(Subject::Audit, now, actor, body)
}

/// A new station.
#[derive(Debug, Clone)]
pub struct NewStation {
    /// Its name (the SIP user name).
    pub name: StationName,
    /// The agent who sits there by default.
    pub agent: Option<AgentLogin>,
    /// The SIP password (hashed into HA1 values, then forgotten).
    pub password: String,
}

/// Creates a station under `realm`.
pub async fn add_station(
    db: &Db,
    log: &InteractionLogHandle,
    new: NewStation,
    realm: &str,
    actor: Actor,
    now: Timestamp,
) -> Result<StationRecord, StationError> {
    let NewStation {
        name,
        agent,
        password,
    } = new;
    let name = &name;
    check_password(&password)?;
    if db.station(name).await?.is_some() {
        return Err(StationError::NameTaken(name.clone()));
    }
    let record = StationRecord {
        name: name.clone(),
        agent: agent_id(db, agent.as_ref()).await?,
        credentials: credentials_for(name, realm, &password),
        created_at: now,
        updated_at: now,
    };
    let item = WriteItem {
        events: vec![audit(name, "created", actor, now)],
        mutations: vec![Mutation::PutStation(Box::new(record.clone()))],
    };
    log.commit(item).await?;
    Ok(record)
}

/// Replaces a station's password (its HA1 values for `realm`; other realms' are dropped).
pub async fn set_password(
    db: &Db,
    log: &InteractionLogHandle,
    name: &StationName,
    password: &str,
    realm: &str,
    actor: Actor,
    now: Timestamp,
) -> Result<(), StationError> {
    check_password(password)?;
    let mut record = db
        .station(name)
        .await?
        .ok_or_else(|| StationError::UnknownStation(name.clone()))?;
    record.credentials = credentials_for(name, realm, password);
    record.updated_at = now;
    let item = WriteItem {
        events: vec![audit(name, "password set", actor, now)],
        mutations: vec![Mutation::PutStation(Box::new(record))],
    };
    log.commit(item).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str, ok: bool) {
        assert_eq!(check_password(password).is_ok(), ok, "{password:?}");
    }

    #[test]
    fn passwords_must_be_long_printable_ascii() {
        check("0123456789", true);
        check("012345678", false);
        check("0123456789 space", false);
        check("密码密码密码密码密码", false);
    }

    #[test]
    fn the_directory_keeps_only_this_realms_known_algorithms() {
        let name = StationName::parse("li.wei").expect("valid");
        let mut creds = credentials_for(&name, "switchyard", "0123456789");
        creds.extend(credentials_for(&name, "old-realm", "0123456789"));
        creds.push(StationCredential {
            realm: "switchyard".into(),
            algorithm: "SHA-512-256".into(),
            ha1: "x".into(),
        });
        let record = StationRecord {
            name: name.clone(),
            agent: None,
            credentials: creds,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        };
        let dir = directory(&[record], "switchyard");
        let algorithms: Vec<_> = dir[0].ha1.iter().map(|(a, _)| *a).collect();
        assert_eq!(algorithms, [Algorithm::Sha256, Algorithm::Md5]);
        assert_eq!(
            dir[0].ha1[1].1,
            digest::ha1(Algorithm::Md5, "li.wei", "switchyard", "0123456789")
        );
        assert!(directory(&dir_none(), "switchyard").is_empty());
    }

    fn dir_none() -> Vec<StationRecord> {
        vec![StationRecord {
            name: StationName::parse("x").expect("valid"),
            agent: None,
            credentials: Vec::new(),
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }]
    }
}
