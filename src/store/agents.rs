//! Agent, team and skill rows, and who supervises which team.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::role::parse_roles;
use crate::domain::{
    AgentId, AgentLogin, Proficiency, Role, SkillName, TeamId, TeamName, Timestamp,
};

use super::interactions::{parse_id, parse_opt_id};
use super::mutation::classify;
use super::{Db, StoreError};

/// How many contacts of each channel an agent may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Calls (default 1).
    pub voice: i64,
    /// Chats (default 3).
    pub chat: i64,
    /// Emails (default 5).
    pub email: i64,
}

impl Default for Capacity {
    fn default() -> Self {
        Self {
            voice: 1,
            chat: 3,
            email: 5,
        }
    }
}

/// An agent account as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRecord {
    /// Its id.
    pub id: AgentId,
    /// The login name.
    pub login: AgentLogin,
    /// The name shown to colleagues and customers.
    pub display_name: String,
    /// The argon2 hash of the password (never the password).
    pub password_hash: String,
    /// Roles, sorted.
    pub roles: Vec<Role>,
    /// The team the agent belongs to.
    pub team: Option<TeamId>,
    /// Skills with proficiency.
    pub skills: Vec<(SkillName, Proficiency)>,
    /// Per-channel capacity.
    pub capacity: Capacity,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

impl AgentRecord {
    /// Whether the agent holds a role.
    #[must_use]
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A team as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRecord {
    /// Its id.
    pub id: TeamId,
    /// Its name.
    pub name: TeamName,
    /// Creation time.
    pub created_at: Timestamp,
}

pub(crate) async fn put(
    tx: &mut Transaction<'static, Any>,
    a: &AgentRecord,
) -> Result<(), StoreError> {
    let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
    sqlx::query(
        "INSERT INTO agents (id, login, display_name, password_hash, roles, team_id, capacity_voice, capacity_chat, \
         capacity_email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (id) DO UPDATE SET login = excluded.login, display_name = excluded.display_name, \
         password_hash = excluded.password_hash, roles = excluded.roles, team_id = excluded.team_id, \
         capacity_voice = excluded.capacity_voice, capacity_chat = excluded.capacity_chat, \
         capacity_email = excluded.capacity_email, updated_at = excluded.updated_at",
    )
    .bind(a.id.to_string())
    .bind(a.login.as_str().to_owned())
    .bind(a.display_name.clone())
    .bind(a.password_hash.clone())
    .bind(roles.join(","))
    .bind(a.team.map(|t| t.to_string()))
    .bind(a.capacity.voice)
    .bind(a.capacity.chat)
    .bind(a.capacity.email)
    .bind(a.created_at.as_millis())
    .bind(a.updated_at.as_millis())
    .execute(&mut **tx)
    .await
    .map_err(|e| classify(e, || format!("agent {}", a.login)))?;
    sqlx::query("DELETE FROM agent_skills WHERE agent_id = $1")
        .bind(a.id.to_string())
        .execute(&mut **tx)
        .await?;
    for (skill, level) in &a.skills {
        sqlx::query(
            "INSERT INTO skills (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(skill.as_str().to_owned())
        .bind(a.updated_at.as_millis())
        .execute(&mut **tx)
        .await?;
        sqlx::query("INSERT INTO agent_skills (agent_id, skill, proficiency) VALUES ($1, $2, $3)")
            .bind(a.id.to_string())
            .bind(skill.as_str().to_owned())
            .bind(i64::from(level.get()))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub(crate) async fn set_password(
    tx: &mut Transaction<'static, Any>,
    agent: AgentId,
    hash: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE agents SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash.to_owned())
        .bind(at.as_millis())
        .bind(agent.to_string())
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Missing {
            what: format!("agent {agent}"),
        });
    }
    Ok(())
}

pub(crate) async fn put_team(
    tx: &mut Transaction<'static, Any>,
    t: &TeamRecord,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name")
        .bind(t.id.to_string())
        .bind(t.name.as_str().to_owned())
        .bind(t.created_at.as_millis())
        .execute(&mut **tx)
        .await
        .map_err(|e| classify(e, || format!("team {}", t.name)))?;
    Ok(())
}

pub(crate) async fn add_supervisor(
    tx: &mut Transaction<'static, Any>,
    team: TeamId,
    agent: AgentId,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO team_supervisors (team_id, agent_id) VALUES ($1, $2) ON CONFLICT (team_id, agent_id) DO NOTHING")
        .bind(team.to_string())
        .bind(agent.to_string())
        .execute(&mut **tx)
        .await
        .map_err(|e| classify(e, || format!("team {team} or agent {agent}")))?;
    Ok(())
}

const AGENT_COLUMNS: &str = "id, login, display_name, password_hash, roles, team_id, capacity_voice, capacity_chat, capacity_email, created_at, updated_at";

impl Db {
    /// The agent with this login.
    pub async fn agent_by_login(
        &self,
        login: &AgentLogin,
    ) -> Result<Option<AgentRecord>, StoreError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE login = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(login.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(r) => Ok(Some(self.decode_agent(&r).await?)),
            None => Ok(None),
        }
    }

    /// The agent with this id.
    pub async fn agent(&self, id: AgentId) -> Result<Option<AgentRecord>, StoreError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(r) => Ok(Some(self.decode_agent(&r).await?)),
            None => Ok(None),
        }
    }

    /// Every agent, by login.
    pub async fn agents(&self) -> Result<Vec<AgentRecord>, StoreError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY login");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.decode_agent(r).await?);
        }
        Ok(out)
    }

    /// Every team, by name.
    pub async fn teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        let rows = sqlx::query("SELECT id, name, created_at FROM teams ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(decode_team).collect()
    }

    /// The team with this name.
    pub async fn team_by_name(&self, name: &TeamName) -> Result<Option<TeamRecord>, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM teams WHERE name = $1")
            .bind(name.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(decode_team).transpose()
    }

    /// The teams an agent supervises.
    pub async fn supervised_teams(&self, agent: AgentId) -> Result<Vec<TeamId>, StoreError> {
        let rows = sqlx::query(
            "SELECT team_id FROM team_supervisors WHERE agent_id = $1 ORDER BY team_id",
        )
        .bind(agent.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| parse_id(r, "team_id", "team_supervisors"))
            .collect()
    }

    /// The supervisors of a team.
    pub async fn team_supervisors(&self, team: TeamId) -> Result<Vec<AgentId>, StoreError> {
        let rows = sqlx::query(
            "SELECT agent_id FROM team_supervisors WHERE team_id = $1 ORDER BY agent_id",
        )
        .bind(team.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| parse_id(r, "agent_id", "team_supervisors"))
            .collect()
    }

    /// Every skill name known to the store.
    pub async fn skills(&self) -> Result<Vec<SkillName>, StoreError> {
        let rows = sqlx::query("SELECT name FROM skills ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get("name")?;
                SkillName::parse(&name).map_err(|e| StoreError::corrupt("skills", e))
            })
            .collect()
    }

    async fn decode_agent(&self, r: &AnyRow) -> Result<AgentRecord, StoreError> {
        let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("agents", e);
        let id: AgentId = parse_id(r, "id", "agents")?;
        let login: String = r.try_get("login")?;
        let roles: String = r.try_get("roles")?;
        let skill_rows = sqlx::query(
            "SELECT skill, proficiency FROM agent_skills WHERE agent_id = $1 ORDER BY skill",
        )
        .bind(id.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut skills = Vec::with_capacity(skill_rows.len());
        for s in &skill_rows {
            let name: String = s.try_get("skill")?;
            let level: i64 = s.try_get("proficiency")?;
            let level = u8::try_from(level).map_err(|e| bad(&e))?;
            skills.push((
                SkillName::parse(&name).map_err(|e| bad(&e))?,
                Proficiency::new(level).map_err(|e| bad(&e))?,
            ));
        }
        Ok(AgentRecord {
            id,
            login: AgentLogin::parse(&login).map_err(|e| bad(&e))?,
            display_name: r.try_get("display_name")?,
            password_hash: r.try_get("password_hash")?,
            roles: parse_roles(&roles).map_err(|e| bad(&e))?,
            team: parse_opt_id(r, "team_id", "agents")?,
            skills,
            capacity: Capacity {
                voice: r.try_get("capacity_voice")?,
                chat: r.try_get("capacity_chat")?,
                email: r.try_get("capacity_email")?,
            },
            created_at: Timestamp::from_millis(r.try_get("created_at")?),
            updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
        })
    }
}

fn decode_team(r: &AnyRow) -> Result<TeamRecord, StoreError> {
    let name: String = r.try_get("name")?;
    Ok(TeamRecord {
        id: parse_id(r, "id", "teams")?,
        name: TeamName::parse(&name).map_err(|e| StoreError::corrupt("teams", e))?,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
    })
}
