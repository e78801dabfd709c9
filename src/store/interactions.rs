//! Interaction, segment and case rows: the projections of interaction events, and the reads
//! behind "one interaction" and "one customer's timeline".

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::{AgentId, CaseId, CustomerId, InteractionId, QueueId, SegmentId, Timestamp};
use crate::interaction_log::{EventBody, StoredEvent, Subject};

use super::{Db, Page, StoreError};

/// An interaction as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionRecord {
    /// Its id.
    pub id: InteractionId,
    /// `voice`, `email`, `chat` or `form`.
    pub channel: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The customer, when known.
    pub customer: Option<CustomerId>,
    /// `unknown`, `matched` or `verified`.
    pub identification: String,
    /// `open`, `active`, `ended` or `wrapped_up`.
    pub state: String,
    /// The customer's address (caller number, email address).
    pub remote_address: Option<String>,
    /// Our address that was reached.
    pub local_address: Option<String>,
    /// Subject or topic.
    pub subject: Option<String>,
    /// Arrival.
    pub started_at: Timestamp,
    /// First answer by an agent.
    pub answered_at: Option<Timestamp>,
    /// End.
    pub ended_at: Option<Timestamp>,
    /// How it ended.
    pub outcome: Option<String>,
    /// The agent's disposition code.
    pub disposition: Option<String>,
    /// The agent's notes.
    pub notes: Option<String>,
}

/// A segment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRecord {
    /// Its id.
    pub id: SegmentId,
    /// `ivr`, `queue`, `offer`, `agent`, `transfer`, `consult`, `wrap_up`.
    pub kind: String,
    /// The queue, if any.
    pub queue: Option<QueueId>,
    /// The agent, if any.
    pub agent: Option<AgentId>,
    /// Start.
    pub started_at: Timestamp,
    /// End.
    pub ended_at: Option<Timestamp>,
    /// How it ended.
    pub outcome: Option<String>,
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    /// Its id.
    pub id: CaseId,
    /// Whose request.
    pub customer: CustomerId,
    /// What about.
    pub title: String,
    /// `open`, `pending` or `closed`.
    pub status: String,
    /// When to follow up.
    pub follow_up_at: Option<Timestamp>,
    /// When opened.
    pub opened_at: Timestamp,
    /// When closed.
    pub closed_at: Option<Timestamp>,
    /// The interactions linked to it.
    pub interactions: Vec<InteractionId>,
}

/// Filters for listing interactions.
#[derive(Debug, Clone, Default)]
pub struct InteractionFilter {
    /// Only this customer's.
    pub customer: Option<CustomerId>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only those started at or after.
    pub from: Option<Timestamp>,
    /// Only those started before.
    pub to: Option<Timestamp>,
}

/// Applies the row change an interaction or case event implies (inside the writer's
/// transaction). Events of other kinds change no row here.
pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    e: &StoredEvent,
) -> Result<(), StoreError> {
    let at = e.occurred_at.as_millis();
    let sid = e.subject.id_text();
    let q = match (&e.subject, &e.body) {
        (
            Subject::Interaction(_),
            EventBody::InteractionCreated {
                channel,
                direction,
                customer,
                identification,
                remote_address,
                local_address,
                subject,
            },
        ) => sqlx::query(
            "INSERT INTO interactions (id, channel, direction, customer_id, identification, state, \
             remote_address, local_address, subject, started_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9)",
        )
        .bind(sid)
        .bind(channel.as_str())
        .bind(direction.as_str())
        .bind(customer.map(|c| c.to_string()))
        .bind(identification.as_str())
        .bind(remote_address.clone())
        .bind(local_address.clone())
        .bind(subject.clone())
        .bind(at),
        (Subject::Interaction(_), EventBody::CustomerIdentified { customer, level }) => {
            sqlx::query("UPDATE interactions SET customer_id = $1, identification = $2 WHERE id = $3")
                .bind(customer.to_string())
                .bind(level.as_str())
                .bind(sid)
        }
        (Subject::Interaction(_), EventBody::InteractionRelinked { to, .. }) => {
            sqlx::query("UPDATE interactions SET customer_id = $1 WHERE id = $2").bind(to.to_string()).bind(sid)
        }
        (Subject::Interaction(_), EventBody::SegmentStarted { segment, segment_kind, queue, agent }) => {
            sqlx::query(
                "INSERT INTO segments (id, interaction_id, kind, queue_id, agent_id, started_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(segment.to_string())
            .bind(sid)
            .bind(segment_kind.as_str())
            .bind(queue.map(|q| q.to_string()))
            .bind(agent.map(|a| a.to_string()))
            .bind(at)
        }
        (Subject::Interaction(_), EventBody::SegmentEnded { segment, outcome }) => {
            sqlx::query("UPDATE segments SET ended_at = $1, outcome = $2 WHERE id = $3 AND interaction_id = $4")
                .bind(at)
                .bind(outcome.clone())
                .bind(segment.to_string())
                .bind(sid)
        }
        (Subject::Interaction(_), EventBody::InteractionAnswered { .. }) => sqlx::query(
            "UPDATE interactions SET answered_at = COALESCE(answered_at, $1), state = 'active' WHERE id = $2",
        )
        .bind(at)
        .bind(sid),
        (Subject::Interaction(_), EventBody::InteractionEnded { outcome, .. }) => {
            sqlx::query("UPDATE interactions SET ended_at = $1, outcome = $2, state = 'ended' WHERE id = $3")
                .bind(at)
                .bind(outcome.clone())
                .bind(sid)
        }
        (Subject::Interaction(_), EventBody::WrapUpRecorded { disposition, notes }) => {
            sqlx::query("UPDATE interactions SET disposition = $1, notes = $2, state = 'wrapped_up' WHERE id = $3")
                .bind(disposition.clone())
                .bind(notes.clone())
                .bind(sid)
        }
        (Subject::Interaction(_), EventBody::CaseLinked { case }) => {
            sqlx::query("INSERT INTO case_interactions (case_id, interaction_id) VALUES ($1, $2)")
                .bind(case.to_string())
                .bind(sid)
        }
        (Subject::Customer(_), EventBody::CaseOpened { case, title, follow_up_at }) => sqlx::query(
            "INSERT INTO cases (id, customer_id, title, status, follow_up_at, opened_by, opened_at) \
             VALUES ($1, $2, $3, 'open', $4, $5, $6)",
        )
        .bind(case.to_string())
        .bind(sid)
        .bind(title.clone())
        .bind(*follow_up_at)
        .bind(e.actor.to_string())
        .bind(at),
        (Subject::Customer(_), EventBody::CaseUpdated { case, status, follow_up_at }) => sqlx::query(
            "UPDATE cases SET status = $1, follow_up_at = $2, \
             closed_at = CASE WHEN $1 = 'closed' THEN $3 ELSE NULL END WHERE id = $4 AND customer_id = $5",
        )
        .bind(status.clone())
        .bind(*follow_up_at)
        .bind(at)
        .bind(case.to_string())
        .bind(sid),
        _ => return Ok(()),
    };
    q.execute(&mut **tx).await.map_err(|err| {
        super::mutation::classify(err, || {
            format!("{} of {}", e.body.kind(), e.subject.id_text())
        })
    })?;
    Ok(())
}

const INTERACTION_COLUMNS: &str = "id, channel, direction, customer_id, identification, state, remote_address, \
     local_address, subject, started_at, answered_at, ended_at, outcome, disposition, notes";

impl Db {
    /// One interaction.
    pub async fn interaction(
        &self,
        id: InteractionId,
    ) -> Result<Option<InteractionRecord>, StoreError> {
        let sql = format!("SELECT {INTERACTION_COLUMNS} FROM interactions WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(decode_interaction).transpose()
    }

    /// Interactions, newest first.
    pub async fn interactions(
        &self,
        filter: &InteractionFilter,
        page: Page,
    ) -> Result<Vec<InteractionRecord>, StoreError> {
        let sql = format!(
            "SELECT {INTERACTION_COLUMNS} FROM interactions WHERE ($1 = '' OR customer_id = $1) \
             AND ($2 = '' OR channel = $2) AND started_at >= $3 AND started_at < $4 \
             ORDER BY started_at DESC, id DESC LIMIT $5 OFFSET $6"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(filter.customer.map(|c| c.to_string()).unwrap_or_default())
            .bind(filter.channel.clone().unwrap_or_default())
            .bind(filter.from.map_or(i64::MIN, Timestamp::as_millis))
            .bind(filter.to.map_or(i64::MAX, Timestamp::as_millis))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(decode_interaction).collect()
    }

    /// The segments of one interaction, in order.
    pub async fn segments(&self, id: InteractionId) -> Result<Vec<SegmentRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, queue_id, agent_id, started_at, ended_at, outcome FROM segments \
             WHERE interaction_id = $1 ORDER BY started_at, id",
        )
        .bind(id.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SegmentRecord {
                    id: parse_id(r, "id", "segments")?,
                    kind: r.try_get("kind")?,
                    queue: parse_opt_id(r, "queue_id", "segments")?,
                    agent: parse_opt_id(r, "agent_id", "segments")?,
                    started_at: Timestamp::from_millis(r.try_get("started_at")?),
                    ended_at: r
                        .try_get::<Option<i64>, _>("ended_at")?
                        .map(Timestamp::from_millis),
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect()
    }

    /// One case with its linked interactions.
    pub async fn case(&self, id: CaseId) -> Result<Option<CaseRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, customer_id, title, status, follow_up_at, opened_at, closed_at FROM cases WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(r) => Ok(Some(self.decode_case(&r).await?)),
            None => Ok(None),
        }
    }

    /// A customer's cases, newest first.
    pub async fn cases_of(
        &self,
        customer: CustomerId,
        page: Page,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, customer_id, title, status, follow_up_at, opened_at, closed_at FROM cases \
             WHERE customer_id = $1 ORDER BY opened_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(customer.to_string())
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.decode_case(r).await?);
        }
        Ok(out)
    }

    async fn decode_case(&self, r: &AnyRow) -> Result<CaseRecord, StoreError> {
        let id: CaseId = parse_id(r, "id", "cases")?;
        let links = sqlx::query("SELECT interaction_id FROM case_interactions WHERE case_id = $1 ORDER BY interaction_id")
            .bind(id.to_string())
            .fetch_all(self.pool())
            .await?;
        Ok(CaseRecord {
            id,
            customer: parse_id(r, "customer_id", "cases")?,
            title: r.try_get("title")?,
            status: r.try_get("status")?,
            follow_up_at: r
                .try_get::<Option<i64>, _>("follow_up_at")?
                .map(Timestamp::from_millis),
            opened_at: Timestamp::from_millis(r.try_get("opened_at")?),
            closed_at: r
                .try_get::<Option<i64>, _>("closed_at")?
                .map(Timestamp::from_millis),
            interactions: links
                .iter()
                .map(|l| parse_id(l, "interaction_id", "case_interactions"))
                .collect::<Result<_, _>>()?,
        })
    }
}

fn decode_interaction(r: &AnyRow) -> Result<InteractionRecord, StoreError> {
    Ok(InteractionRecord {
        id: parse_id(r, "id", "interactions")?,
        channel: r.try_get("channel")?,
        direction: r.try_get("direction")?,
        customer: parse_opt_id(r, "customer_id", "interactions")?,
        identification: r.try_get("identification")?,
        state: r.try_get("state")?,
        remote_address: r.try_get("remote_address")?,
        local_address: r.try_get("local_address")?,
        subject: r.try_get("subject")?,
        started_at: Timestamp::from_millis(r.try_get("started_at")?),
        answered_at: r
            .try_get::<Option<i64>, _>("answered_at")?
            .map(Timestamp::from_millis),
        ended_at: r
            .try_get::<Option<i64>, _>("ended_at")?
            .map(Timestamp::from_millis),
        outcome: r.try_get("outcome")?,
        disposition: r.try_get("disposition")?,
        notes: r.try_get("notes")?,
    })
}

/// Reads a text id column.
pub(crate) fn parse_id<T: std::str::FromStr>(
    r: &AnyRow,
    col: &str,
    table: &'static str,
) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    let text: String = r.try_get(col)?;
    text.parse()
        .map_err(|e: T::Err| StoreError::corrupt(table, format!("{col}: {e}")))
}

/// Reads a nullable text id column.
pub(crate) fn parse_opt_id<T: std::str::FromStr>(
    r: &AnyRow,
    col: &str,
    table: &'static str,
) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    let text: Option<String> = r.try_get(col)?;
    text.map(|t| {
        t.parse()
            .map_err(|e: T::Err| StoreError::corrupt(table, format!("{col}: {e}")))
    })
    .transpose()
}
