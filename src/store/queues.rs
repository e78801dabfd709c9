//! Queue rows: the configuration of each queue (the ACD holds the live state).

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::skill::parse_skill_list;
use crate::domain::{Channel, Proficiency, QueueId, QueueName, SkillName, TeamId, Timestamp};

use super::interactions::{parse_id, parse_opt_id};
use super::mutation::classify;
use super::{Db, StoreError};

/// A queue's configuration as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRecord {
    /// Its id.
    pub id: QueueId,
    /// The name flows and the configuration use.
    pub name: QueueName,
    /// The name shown on wallboards.
    pub display_name: String,
    /// The channel it serves.
    pub channel: Channel,
    /// The team whose supervisors look after it.
    pub team: Option<TeamId>,
    /// Required skills with minimum proficiency.
    pub required_skills: Vec<(SkillName, Proficiency)>,
    /// Routing strategy name (`longest_idle`, `most_skilled`, `least_occupied`, `round_robin`).
    pub strategy: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

pub(crate) async fn put(
    tx: &mut Transaction<'static, Any>,
    q: &QueueRecord,
) -> Result<(), StoreError> {
    let skills: Vec<String> = q
        .required_skills
        .iter()
        .map(|(s, p)| format!("{s}:{}", p.get()))
        .collect();
    sqlx::query(
        "INSERT INTO queues (id, name, display_name, channel, team_id, required_skills, strategy, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         display_name = excluded.display_name, channel = excluded.channel, team_id = excluded.team_id, \
         required_skills = excluded.required_skills, strategy = excluded.strategy, updated_at = excluded.updated_at",
    )
    .bind(q.id.to_string())
    .bind(q.name.as_str().to_owned())
    .bind(q.display_name.clone())
    .bind(q.channel.as_str())
    .bind(q.team.map(|t| t.to_string()))
    .bind(skills.join(","))
    .bind(q.strategy.clone())
    .bind(q.created_at.as_millis())
    .bind(q.updated_at.as_millis())
    .execute(&mut **tx)
    .await
    .map_err(|e| classify(e, || format!("queue {}", q.name)))?;
    Ok(())
}

const QUEUE_COLUMNS: &str =
    "id, name, display_name, channel, team_id, required_skills, strategy, created_at, updated_at";

impl Db {
    /// Every queue, by name.
    pub async fn queues(&self) -> Result<Vec<QueueRecord>, StoreError> {
        let sql = format!("SELECT {QUEUE_COLUMNS} FROM queues ORDER BY name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(decode_queue).collect()
    }

    /// One queue.
    pub async fn queue(&self, id: QueueId) -> Result<Option<QueueRecord>, StoreError> {
        let sql = format!("SELECT {QUEUE_COLUMNS} FROM queues WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(decode_queue).transpose()
    }

    /// How many queues exist (demo data is seeded while there are none).
    pub async fn count_queues(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM queues")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }
}

fn decode_queue(r: &AnyRow) -> Result<QueueRecord, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("queues", e);
    let name: String = r.try_get("name")?;
    let channel: String = r.try_get("channel")?;
    let skills: String = r.try_get("required_skills")?;
    Ok(QueueRecord {
        id: parse_id(r, "id", "queues")?,
        name: QueueName::parse(&name).map_err(|e| bad(&e))?,
        display_name: r.try_get("display_name")?,
        channel: channel.parse().map_err(|e| bad(&e))?,
        team: parse_opt_id(r, "team_id", "queues")?,
        required_skills: parse_skill_list(&skills).map_err(|e| bad(&e))?,
        strategy: r.try_get("strategy")?,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
        updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
    })
}
