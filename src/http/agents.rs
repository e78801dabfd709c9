//! `/api/v1/agents` and `/api/v1/teams`: accounts, skills, teams and passwords.
//!
//! Scope: admins see and change everyone; supervisors see and change the agents of the teams
//! they supervise (never roles); an agent sees itself and changes its own password.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::accounts::{self, NewAgent};
use crate::domain::role::parse_roles;
use crate::domain::skill::parse_skill_list;
use crate::domain::{AgentLogin, Role, TeamName, Timestamp};
use crate::interaction_log::{EventBody, NewEvent, Subject};
use crate::store::agents::{AgentRecord, Capacity};
use crate::store::{Mutation, WriteItem};

use super::acd::{AgentWithLive, agent_live, agent_with_live, resync};
use super::body::{ApiJson, path_id};
use super::error::ApiError;
use super::route::{Access, Route};
use super::session::Caller;
use super::state::ApiState;
use super::view::{AgentView, TeamView, agent_view, team_view};

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/agents", list).summary("Agents the caller may see (admins: all; supervisors: their teams; agents: themselves)").answers::<Vec<AgentView>>(),
        Route::post("/api/v1/agents", create).summary("Create an agent account").access(Access::Admin).body::<AgentBody>().answers::<AgentView>().status(201),
        Route::get("/api/v1/agents/{login}", get_one).summary("One agent, with its live ACD state: presence, since when, current contacts").answers::<AgentWithLive>(),
        Route::patch("/api/v1/agents/{login}", update)
            .summary("Change an agent's name, team, skills, capacity (roles: admins only)")
            .access(Access::Supervisor)
            .body::<AgentPatch>()
            .answers::<AgentView>(),
        Route::put("/api/v1/agents/{login}/password", set_password).summary("Set a password (one's own, or anyone's as admin)").body::<PasswordBody>().status(204),
        Route::get("/api/v1/teams", teams).summary("Every team with its supervisors").answers::<Vec<TeamView>>(),
        Route::post("/api/v1/teams", create_team).summary("Create a team").access(Access::Admin).body::<TeamBody>().answers::<TeamView>().status(201),
    ]
}

/// A new agent.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AgentBody {
    login: String,
    display_name: String,
    password: String,
    /// `agent,supervisor` (default `agent`).
    #[serde(default)]
    roles: String,
    /// A team name (created when new).
    team: Option<String>,
    /// `equities:8,funds:5,mandarin:9`.
    #[serde(default)]
    skills: String,
}

/// Changes to an agent.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AgentPatch {
    display_name: Option<String>,
    /// `agent,supervisor` (admins only).
    roles: Option<String>,
    /// A team name the caller oversees.
    team: Option<String>,
    /// `equities:8,funds:5` (replaces the list).
    skills: Option<String>,
    capacity_voice: Option<i64>,
    capacity_chat: Option<i64>,
    capacity_email: Option<i64>,
}

/// A new password.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordBody {
    /// 8 to 128 characters.
    password: String,
}

/// A new team.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TeamBody {
    name: String,
}

fn may_see(caller: &Caller, a: &AgentRecord) -> bool {
    caller.agent.id == a.id || caller.oversees(a.team)
}

async fn load(state: &ApiState, login: &str) -> Result<AgentRecord, ApiError> {
    let login: AgentLogin = path_id(login, "agent")?;
    state
        .db
        .agent_by_login(&login)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("agent {login}")))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<Vec<AgentView>>, ApiError> {
    let all = state.db.agents().await?;
    Ok(Json(
        all.iter()
            .filter(|a| may_see(&caller, a))
            .map(agent_view)
            .collect(),
    ))
}

async fn get_one(
    State(state): State<ApiState>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Json<AgentWithLive>, ApiError> {
    let a = load(&state, &login).await?;
    if !may_see(&caller, &a) {
        return Err(ApiError::Forbidden(format!(
            "agent {} is not in a team you supervise",
            a.login
        )));
    }
    let live = agent_live(&state, &a.login).await?;
    Ok(Json(agent_with_live(agent_view(&a), live)))
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(b): ApiJson<AgentBody>,
) -> Result<(StatusCode, Json<AgentView>), ApiError> {
    caller.require_admin()?;
    let login =
        AgentLogin::parse(&b.login).map_err(|e| ApiError::invalid("login", e.to_string()))?;
    let display_name = b.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "display_name",
            "a display name of 1 to 100 characters is required",
        ));
    }
    let roles = parse_roles(&b.roles).map_err(|e| ApiError::invalid("roles", e.to_string()))?;
    let team = b
        .team
        .as_deref()
        .map(TeamName::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("team", e.to_string()))?;
    let skills =
        parse_skill_list(&b.skills).map_err(|e| ApiError::invalid("skills", e.to_string()))?;
    let new = NewAgent {
        login,
        display_name,
        roles,
        team,
        skills,
        capacity: Capacity::default(),
        password: b.password,
    };
    let a =
        accounts::add_agent(&state.db, &state.log, new, caller.actor(), Timestamp::now()).await?;
    resync(&state).await?;
    Ok((StatusCode::CREATED, Json(agent_view(&a))))
}

async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(login): Path<String>,
    ApiJson(p): ApiJson<AgentPatch>,
) -> Result<Json<AgentView>, ApiError> {
    caller.require_supervisor()?;
    let old = load(&state, &login).await?;
    if !caller.oversees(old.team) {
        return Err(ApiError::Forbidden(format!(
            "agent {} is not in a team you supervise",
            old.login
        )));
    }
    let mut new = old.clone();
    let mut fields = Vec::new();
    if let Some(name) = p.display_name {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid(
                "display_name",
                "a display name of 1 to 100 characters is required",
            ));
        }
        new.display_name = name;
        fields.push("display_name");
    }
    if let Some(roles) = p.roles {
        caller.require_admin()?;
        new.roles = parse_roles(&roles).map_err(|e| ApiError::invalid("roles", e.to_string()))?;
        if new.roles.is_empty() {
            new.roles = vec![Role::Agent];
        }
        fields.push("roles");
    }
    if let Some(team) = p.team {
        let name = TeamName::parse(&team).map_err(|e| ApiError::invalid("team", e.to_string()))?;
        let t = state
            .db
            .team_by_name(&name)
            .await?
            .ok_or_else(|| ApiError::invalid("team", format!("no team is named {name}")))?;
        if !caller.oversees(Some(t.id)) {
            return Err(ApiError::Forbidden(format!(
                "team {name} is not one you supervise"
            )));
        }
        new.team = Some(t.id);
        fields.push("team");
    }
    if let Some(skills) = p.skills {
        new.skills =
            parse_skill_list(&skills).map_err(|e| ApiError::invalid("skills", e.to_string()))?;
        fields.push("skills");
    }
    for (field, value, slot) in [
        ("capacity_voice", p.capacity_voice, &mut new.capacity.voice),
        ("capacity_chat", p.capacity_chat, &mut new.capacity.chat),
        ("capacity_email", p.capacity_email, &mut new.capacity.email),
    ] {
        if let Some(v) = value {
            if !(0..=20).contains(&v) {
                return Err(ApiError::invalid(field, "capacity must be from 0 to 20"));
            }
            *slot = v;
            fields.push(field);
        }
    }
    if fields.is_empty() {
        return Ok(Json(agent_view(&old)));
    }
    let now = Timestamp::now();
    new.updated_at = now;
    let body = EventBody::AgentUpdated {
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
    };
    let item = WriteItem {
        events: vec![NewEvent::new(
            Subject::Agent(new.id),
            now,
            caller.actor(),
            body,
        )],
        mutations: vec![Mutation::PutAgent(Box::new(new.clone()))],
    };
    state.log.commit(item).await?;
    resync(&state).await?;
    Ok(Json(agent_view(&new)))
}

async fn set_password(
    State(state): State<ApiState>,
    caller: Caller,
    Path(login): Path<String>,
    ApiJson(b): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    let a = load(&state, &login).await?;
    if a.id != caller.agent.id && !caller.is(Role::Admin) {
        return Err(ApiError::Forbidden(
            "only admins set other accounts' passwords".into(),
        ));
    }
    accounts::set_password(
        &state.db,
        &state.log,
        &a.login,
        &b.password,
        caller.actor(),
        Timestamp::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn teams(
    State(state): State<ApiState>,
    _caller: Caller,
) -> Result<Json<Vec<TeamView>>, ApiError> {
    let agents = state.db.agents().await?;
    let mut out = Vec::new();
    for t in state.db.teams().await? {
        let sups = state.db.team_supervisors(t.id).await?;
        let logins = agents
            .iter()
            .filter(|a| sups.contains(&a.id))
            .map(|a| a.login.to_string())
            .collect();
        out.push(team_view(&t, logins));
    }
    Ok(Json(out))
}

async fn create_team(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(b): ApiJson<TeamBody>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    caller.require_admin()?;
    let name = TeamName::parse(&b.name).map_err(|e| ApiError::invalid("name", e.to_string()))?;
    if state.db.team_by_name(&name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "a team named {name} already exists"
        )));
    }
    accounts::ensure_team(
        &state.db,
        &state.log,
        &name,
        caller.actor(),
        Timestamp::now(),
    )
    .await?;
    let t = state
        .db
        .team_by_name(&name)
        .await?
        .ok_or_else(|| ApiError::Internal("team vanished after creation".into()))?;
    Ok((StatusCode::CREATED, Json(team_view(&t, Vec::new()))))
}
