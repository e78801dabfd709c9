//! Agent accounts and teams: creating agents (with team and skills), setting passwords, and
//! the built-in `admin` account. Used by the command line, the HTTP API and the demo seed.

use crate::auth::{self, AuthError};
use crate::domain::{
    AgentId, AgentLogin, Proficiency, Role, SkillName, TeamId, TeamName, Timestamp,
};
use crate::interaction_log::{Actor, EventBody, InteractionLogHandle, LogError, NewEvent, Subject};
use crate::store::agents::{AgentRecord, Capacity, TeamRecord};
use crate::store::{Db, Mutation, StoreError, WriteItem};

/// The login of the built-in administrator account.
pub const ADMIN_LOGIN: &str = "admin";

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The login is taken.
    #[error("an agent with login {0} already exists")]
    LoginTaken(AgentLogin),
    /// No agent has this login.
    #[error("no agent has the login {0}")]
    UnknownAgent(AgentLogin),
    /// The password is unacceptable or could not be hashed.
    #[error(transparent)]
    Password(#[from] AuthError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log writer failed.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// A new agent account.
#[derive(Debug, Clone)]
pub struct NewAgent {
    /// Login name.
    pub login: AgentLogin,
    /// Display name.
    pub display_name: String,
    /// Roles (empty means `agent`).
    pub roles: Vec<Role>,
    /// Team (created when new); a supervisor also supervises it.
    pub team: Option<TeamName>,
    /// Skills (created when new).
    pub skills: Vec<(SkillName, Proficiency)>,
    /// Per-channel capacity.
    pub capacity: Capacity,
    /// The initial password.
    pub password: String,
}

/// Finds a team by name or creates it (with its event), returning its id.
pub async fn ensure_team(
    db: &Db,
    log: &InteractionLogHandle,
    name: &TeamName,
    actor: Actor,
    now: Timestamp,
) -> Result<TeamId, AccountError> {
    if let Some(t) = db.team_by_name(name).await? {
        return Ok(t.id);
    }
    let team = TeamRecord {
        id: TeamId::generate(),
        name: name.clone(),
        created_at: now,
    };
    let body = EventBody::ConfigurationChanged {
        what: format!("team {name}"),
        detail: "created".into(),
    };
    let item = WriteItem {
        events: vec![NewEvent::new(Subject::Audit, now, actor, body)],
        mutations: vec![Mutation::PutTeam(team.clone())],
    };
    log.commit(item).await?;
    Ok(team.id)
}

/// Creates an agent account.
pub async fn add_agent(
    db: &Db,
    log: &InteractionLogHandle,
    new: NewAgent,
    actor: Actor,
    now: Timestamp,
) -> Result<AgentRecord, AccountError> {
    if db.agent_by_login(&new.login).await?.is_some() {
        return Err(AccountError::LoginTaken(new.login));
    }
    let hash = auth::hash_password(&new.password)?;
    let team = match &new.team {
        Some(name) => Some(ensure_team(db, log, name, actor.clone(), now).await?),
        None => None,
    };
    let mut roles = if new.roles.is_empty() {
        vec![Role::Agent]
    } else {
        new.roles
    };
    roles.sort();
    roles.dedup();
    let record = AgentRecord {
        id: AgentId::generate(),
        login: new.login,
        display_name: new.display_name,
        password_hash: hash,
        roles,
        team,
        skills: new.skills,
        capacity: new.capacity,
        created_at: now,
        updated_at: now,
    };
    let mut mutations = vec![Mutation::PutAgent(Box::new(record.clone()))];
    if let (Some(team), true) = (team, record.has_role(Role::Supervisor)) {
        mutations.push(Mutation::AddSupervisor {
            team,
            agent: record.id,
        });
    }
    let body = EventBody::AgentCreated {
        login: record.login.to_string(),
        roles: record.roles.iter().map(ToString::to_string).collect(),
    };
    let item = WriteItem {
        events: vec![NewEvent::new(Subject::Agent(record.id), now, actor, body)],
        mutations,
    };
    match log.commit(item).await {
        Ok(_) => Ok(record),
        Err(LogError::Store(StoreError::Conflict { .. })) => {
            Err(AccountError::LoginTaken(record.login))
        }
        Err(e) => Err(e.into()),
    }
}

/// Sets an agent's password.
pub async fn set_password(
    db: &Db,
    log: &InteractionLogHandle,
    login: &AgentLogin,
    password: &str,
    actor: Actor,
    now: Timestamp,
) -> Result<(), AccountError> {
    let agent = db
        .agent_by_login(login)
        .await?
        .ok_or_else(|| AccountError::UnknownAgent(login.clone()))?;
    let hash = auth::hash_password(password)?;
    let item = WriteItem {
        events: vec![NewEvent::new(
            Subject::Agent(agent.id),
            now,
            actor,
            EventBody::AgentPasswordChanged,
        )],
        mutations: vec![Mutation::SetPassword {
            agent: agent.id,
            hash,
            at: now,
        }],
    };
    log.commit(item).await?;
    Ok(())
}

/// Makes sure the built-in `admin` account exists. With `password` (from
/// `SWITCHYARD_ADMIN_PASSWORD`) its password is set to it; without one, a new account gets a
/// generated password, returned so that it can be shown once.
pub async fn ensure_admin(
    db: &Db,
    log: &InteractionLogHandle,
    password: Option<&str>,
    now: Timestamp,
) -> Result<Option<String>, AccountError> {
    let login = AgentLogin::parse(ADMIN_LOGIN).expect("the admin login is a valid name");
    match db.agent_by_login(&login).await? {
        Some(admin) => {
            if let Some(p) = password.filter(|p| !auth::verify_password(p, &admin.password_hash)) {
                set_password(db, log, &login, p, Actor::System, now).await?;
            }
            Ok(None)
        }
        None => {
            let (password, generated) = match password {
                Some(p) => (p.to_owned(), None),
                None => {
                    let p = auth::generate_password()?;
                    (p.clone(), Some(p))
                }
            };
            let new = NewAgent {
                login,
                display_name: "Administrator".into(),
                roles: vec![Role::Admin, Role::Supervisor],
                team: None,
                skills: Vec::new(),
                capacity: Capacity::default(),
                password,
            };
            add_agent(db, log, new, Actor::System, now).await?;
            Ok(generated)
        }
    }
}
