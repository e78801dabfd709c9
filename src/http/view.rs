//! The JSON shapes the API answers with, and their conversion from store records. Times are
//! RFC 3339 UTC strings; amounts are yuan as decimal strings (`"1234567.89"`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::Timestamp;
use crate::interaction_log::StoredEvent;
use crate::store::agents::{AgentRecord, TeamRecord};
use crate::store::customers::CustomerRecord;
use crate::store::interactions::{CaseRecord, InteractionRecord, SegmentRecord};
use crate::store::queues::QueueRecord;

/// RFC 3339 text of a stored time.
pub(super) fn time(t: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.as_millis())
        .map_or_else(|_| t.as_millis().to_string(), |ts| ts.to_string())
}

/// Fen as a yuan decimal string.
pub(super) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A page of a listing.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct PageView<T> {
    /// The rows.
    pub(super) items: Vec<T>,
    /// Rows skipped.
    pub(super) offset: i64,
    /// Rows asked for.
    pub(super) limit: i64,
    /// The offset of the next page, when this one was full.
    pub(super) next_offset: Option<i64>,
}

impl<T> PageView<T> {
    pub(super) fn new(items: Vec<T>, page: crate::store::Page) -> Self {
        let next_offset = (items.len() as i64 >= page.limit).then_some(page.offset + page.limit);
        Self {
            items,
            offset: page.offset,
            limit: page.limit,
            next_offset,
        }
    }
}

/// A manual tier.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct TierOverrideView {
    tier: String,
    by: String,
    reason: String,
}

/// A customer.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct CustomerView {
    id: String,
    external_id: Option<String>,
    name: String,
    /// `diamond`, `gold`, `wealth_card` or `standard`.
    tier: String,
    tier_override: Option<TierOverrideView>,
    /// The account manager's login.
    account_manager: Option<String>,
    risk_profile: Option<String>,
    preferred_channel: Option<String>,
    /// Yuan.
    assets: Option<String>,
    /// Yuan.
    turnover: Option<String>,
    /// Yuan.
    commission: Option<String>,
    attributes: BTreeMap<String, String>,
    /// E.164.
    phones: Vec<String>,
    emails: Vec<String>,
    accounts: Vec<String>,
    merged_into: Option<String>,
    created_at: String,
    updated_at: String,
}

pub(super) fn customer_view(c: &CustomerRecord, manager_login: Option<String>) -> CustomerView {
    CustomerView {
        id: c.id.to_string(),
        external_id: c.external_id.clone(),
        name: c.name.clone(),
        tier: c.tier.to_string(),
        tier_override: c.tier_override.as_ref().map(|o| TierOverrideView {
            tier: o.tier.to_string(),
            by: o.by.clone(),
            reason: o.reason.clone(),
        }),
        account_manager: manager_login,
        risk_profile: c.risk_profile.map(|r| r.to_string()),
        preferred_channel: c.preferred_channel.map(|p| p.to_string()),
        assets: c.assets.map(yuan),
        turnover: c.turnover.map(yuan),
        commission: c.commission.map(yuan),
        attributes: c.attributes.clone(),
        phones: c.phones.iter().map(ToString::to_string).collect(),
        emails: c.emails.clone(),
        accounts: c.accounts.clone(),
        merged_into: c.merged_into.map(|m| m.to_string()),
        created_at: time(c.created_at),
        updated_at: time(c.updated_at),
    }
}

/// A skill with proficiency.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct SkillView {
    name: String,
    /// 1-10.
    proficiency: u8,
}

/// An agent account (never its password hash).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct AgentView {
    id: String,
    login: String,
    display_name: String,
    roles: Vec<String>,
    team: Option<String>,
    skills: Vec<SkillView>,
    /// Contacts at once per channel.
    capacity: BTreeMap<String, i64>,
}

pub(super) fn agent_view(a: &AgentRecord) -> AgentView {
    AgentView {
        id: a.id.to_string(),
        login: a.login.to_string(),
        display_name: a.display_name.clone(),
        roles: a.roles.iter().map(ToString::to_string).collect(),
        team: a.team.map(|t| t.to_string()),
        skills: a
            .skills
            .iter()
            .map(|(s, p)| SkillView {
                name: s.to_string(),
                proficiency: p.get(),
            })
            .collect(),
        capacity: BTreeMap::from([
            ("voice".to_owned(), a.capacity.voice),
            ("chat".to_owned(), a.capacity.chat),
            ("email".to_owned(), a.capacity.email),
        ]),
    }
}

/// A team.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct TeamView {
    id: String,
    name: String,
    /// Logins of its supervisors.
    supervisors: Vec<String>,
}

pub(super) fn team_view(t: &TeamRecord, supervisors: Vec<String>) -> TeamView {
    TeamView {
        id: t.id.to_string(),
        name: t.name.to_string(),
        supervisors,
    }
}

/// A queue's configuration.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct QueueView {
    id: String,
    name: String,
    display_name: String,
    channel: String,
    team: Option<String>,
    required_skills: Vec<SkillView>,
    strategy: String,
}

pub(super) fn queue_view(q: &QueueRecord) -> QueueView {
    QueueView {
        id: q.id.to_string(),
        name: q.name.to_string(),
        display_name: q.display_name.clone(),
        channel: q.channel.to_string(),
        team: q.team.map(|t| t.to_string()),
        required_skills: q
            .required_skills
            .iter()
            .map(|(s, p)| SkillView {
                name: s.to_string(),
                proficiency: p.get(),
            })
            .collect(),
        strategy: q.strategy.clone(),
    }
}

/// An interaction.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct InteractionView {
    id: String,
    channel: String,
    direction: String,
    customer: Option<String>,
    identification: String,
    state: String,
    remote_address: Option<String>,
    local_address: Option<String>,
    subject: Option<String>,
    started_at: String,
    answered_at: Option<String>,
    ended_at: Option<String>,
    outcome: Option<String>,
    disposition: Option<String>,
    notes: Option<String>,
}

pub(super) fn interaction_view(i: &InteractionRecord) -> InteractionView {
    InteractionView {
        id: i.id.to_string(),
        channel: i.channel.clone(),
        direction: i.direction.clone(),
        customer: i.customer.map(|c| c.to_string()),
        identification: i.identification.clone(),
        state: i.state.clone(),
        remote_address: i.remote_address.clone(),
        local_address: i.local_address.clone(),
        subject: i.subject.clone(),
        started_at: time(i.started_at),
        answered_at: i.answered_at.map(time),
        ended_at: i.ended_at.map(time),
        outcome: i.outcome.clone(),
        disposition: i.disposition.clone(),
        notes: i.notes.clone(),
    }
}

/// A segment of an interaction.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct SegmentView {
    id: String,
    kind: String,
    queue: Option<String>,
    agent: Option<String>,
    started_at: String,
    ended_at: Option<String>,
    outcome: Option<String>,
}

pub(super) fn segment_view(s: &SegmentRecord) -> SegmentView {
    SegmentView {
        id: s.id.to_string(),
        kind: s.kind.clone(),
        queue: s.queue.map(|q| q.to_string()),
        agent: s.agent.map(|a| a.to_string()),
        started_at: time(s.started_at),
        ended_at: s.ended_at.map(time),
        outcome: s.outcome.clone(),
    }
}

/// A case.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct CaseView {
    id: String,
    customer: String,
    title: String,
    status: String,
    follow_up_at: Option<String>,
    opened_at: String,
    closed_at: Option<String>,
    interactions: Vec<String>,
}

pub(super) fn case_view(c: &CaseRecord) -> CaseView {
    CaseView {
        id: c.id.to_string(),
        customer: c.customer.to_string(),
        title: c.title.clone(),
        status: c.status.clone(),
        follow_up_at: c.follow_up_at.map(time),
        opened_at: time(c.opened_at),
        closed_at: c.closed_at.map(time),
        interactions: c.interactions.iter().map(ToString::to_string).collect(),
    }
}

/// An event of the interaction log.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct EventView {
    id: String,
    /// `interaction`, `agent`, `customer` or `audit`.
    subject_kind: String,
    subject_id: String,
    seq: i64,
    /// The event kind (`interaction_created`, `segment_started`, ...).
    kind: String,
    occurred_at: String,
    recorded_at: String,
    actor: String,
    schema_version: i64,
    idempotency_key: Option<String>,
    /// The event's own fields.
    data: serde_json::Value,
}

pub(super) fn event_view(e: &StoredEvent) -> EventView {
    let payload: serde_json::Value = serde_json::from_str(&e.body.to_json()).unwrap_or_default();
    EventView {
        id: e.id.to_string(),
        subject_kind: e.subject.kind().to_owned(),
        subject_id: e.subject.id_text(),
        seq: e.seq,
        kind: e.body.kind().to_owned(),
        occurred_at: time(e.occurred_at),
        recorded_at: time(e.recorded_at),
        actor: e.actor.to_string(),
        schema_version: e.schema_version,
        idempotency_key: e.idempotency_key.clone(),
        data: payload
            .get("data")
            .cloned()
            .unwrap_or(serde_json::Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_times_render() {
        assert_eq!(yuan(123_456_789), "1234567.89");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(time(Timestamp::from_millis(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            time(Timestamp::from_millis(1_795_000_000_123)),
            "2026-11-18T11:06:40.123Z"
        );
    }
}
