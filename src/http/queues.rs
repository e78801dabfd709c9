//! `/api/v1/queues` (configuration; live statistics come with the ACD) and
//! `/api/v1/tier-rules`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::crm::parse_yuan;
use crate::domain::skill::parse_skill_list;
use crate::domain::{Channel, QueueId, QueueName, TeamName, Tier, TierRule, Timestamp};
use crate::interaction_log::{EventBody, NewEvent, Subject};
use crate::store::queues::QueueRecord;
use crate::store::{Mutation, WriteItem};

use super::acd::{QueueWithLive, all_queues_live, queue_live, resync, with_live};
use super::body::{ApiJson, path_id};
use super::error::ApiError;
use super::route::{Access, Route};
use super::session::Caller;
use super::state::ApiState;
use super::view::{QueueView, queue_view, yuan};

/// Routing strategies a queue may use.
pub(super) const STRATEGIES: [&str; 4] = [
    "longest_idle",
    "most_skilled",
    "least_occupied",
    "round_robin",
];

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/queues", list)
            .summary("Every queue's configuration and live statistics")
            .answers::<Vec<QueueWithLive>>(),
        Route::post("/api/v1/queues", create)
            .summary("Create a queue")
            .access(Access::Admin)
            .body::<QueueBody>()
            .answers::<QueueView>()
            .status(201),
        Route::get("/api/v1/queues/{id}", get_one)
            .summary("One queue's configuration, live statistics and waiting contacts (position, estimated wait)")
            .answers::<QueueWithLive>(),
        Route::put("/api/v1/queues/{id}", replace)
            .summary("Change a queue (admins; supervisors for their teams' queues)")
            .access(Access::Supervisor)
            .body::<QueueBody>()
            .answers::<QueueView>(),
        Route::get("/api/v1/tier-rules", tier_rules)
            .summary("The tier rules, highest tier first")
            .answers::<Vec<TierRuleView>>(),
        Route::put("/api/v1/tier-rules", put_tier_rules)
            .summary(
                "Replace the tier rules and recompute every customer's tier (manual tiers stay)",
            )
            .access(Access::Admin)
            .body::<Vec<TierRuleView>>()
            .answers::<Vec<TierRuleView>>(),
    ]
}

/// A queue's configuration.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct QueueBody {
    name: String,
    display_name: Option<String>,
    /// `voice` (default), `email`, `chat` or `form`.
    channel: Option<String>,
    /// The owning team's name.
    team: Option<String>,
    /// `equities:5,mandarin:6`.
    #[serde(default)]
    required_skills: String,
    /// `longest_idle` (default), `most_skilled`, `least_occupied`, `round_robin`.
    strategy: Option<String>,
}

/// One tier's thresholds (yuan); a customer qualifies when any given threshold is met.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TierRuleView {
    tier: String,
    min_assets: Option<String>,
    min_turnover: Option<String>,
    min_commission: Option<String>,
}

async fn build(
    state: &ApiState,
    caller: &Caller,
    b: QueueBody,
    existing: Option<&QueueRecord>,
) -> Result<QueueRecord, ApiError> {
    let name = QueueName::parse(&b.name).map_err(|e| ApiError::invalid("name", e.to_string()))?;
    let channel: Channel = b.channel.as_deref().unwrap_or("voice").parse().map_err(
        |e: crate::domain::channel::UnknownChannel| ApiError::invalid("channel", e.to_string()),
    )?;
    let required_skills = parse_skill_list(&b.required_skills)
        .map_err(|e| ApiError::invalid("required_skills", e.to_string()))?;
    let known = state.db.skills().await?;
    if let Some((s, _)) = required_skills.iter().find(|(s, _)| !known.contains(s)) {
        return Err(ApiError::invalid(
            "required_skills",
            format!("unknown skill {s}: no agent has it yet"),
        ));
    }
    let strategy = b.strategy.unwrap_or_else(|| "longest_idle".into());
    if !STRATEGIES.contains(&strategy.as_str()) {
        return Err(ApiError::invalid(
            "strategy",
            format!(
                "unknown strategy {strategy:?}: use one of {}",
                STRATEGIES.join(", ")
            ),
        ));
    }
    let team = match b.team.as_deref() {
        Some(t) => {
            let name = TeamName::parse(t).map_err(|e| ApiError::invalid("team", e.to_string()))?;
            Some(
                state
                    .db
                    .team_by_name(&name)
                    .await?
                    .ok_or_else(|| ApiError::invalid("team", format!("no team is named {name}")))?
                    .id,
            )
        }
        None => None,
    };
    if existing.is_some() && !caller.oversees(team) {
        return Err(ApiError::Forbidden(
            "the queue would move to a team you do not supervise".into(),
        ));
    }
    let now = Timestamp::now();
    Ok(QueueRecord {
        id: existing.map_or_else(QueueId::generate, |q| q.id),
        display_name: b.display_name.unwrap_or_else(|| name.to_string()),
        name,
        channel,
        team,
        required_skills,
        strategy,
        created_at: existing.map_or(now, |q| q.created_at),
        updated_at: now,
    })
}

async fn save(
    state: &ApiState,
    caller: &Caller,
    q: &QueueRecord,
    detail: &str,
) -> Result<(), ApiError> {
    let body = EventBody::ConfigurationChanged {
        what: format!("queue {}", q.name),
        detail: detail.to_owned(),
    };
    let item = WriteItem {
        events: vec![NewEvent::new(
            Subject::Audit,
            q.updated_at,
            caller.actor(),
            body,
        )],
        mutations: vec![Mutation::PutQueue(Box::new(q.clone()))],
    };
    state.log.commit(item).await?;
    resync(state).await
}

async fn list(
    State(state): State<ApiState>,
    _caller: Caller,
) -> Result<Json<Vec<QueueWithLive>>, ApiError> {
    let mut live = all_queues_live(&state).await?;
    Ok(Json(
        state
            .db
            .queues()
            .await?
            .iter()
            .map(|q| with_live(queue_view(q), live.remove(&q.id)))
            .collect(),
    ))
}

async fn load(state: &ApiState, id: &str) -> Result<QueueRecord, ApiError> {
    let id: QueueId = path_id(id, "queue")?;
    state
        .db
        .queue(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("queue {id}")))
}

async fn get_one(
    State(state): State<ApiState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<QueueWithLive>, ApiError> {
    let q = load(&state, &id).await?;
    let live = queue_live(&state, q.id).await?;
    Ok(Json(with_live(queue_view(&q), live)))
}

async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(b): ApiJson<QueueBody>,
) -> Result<(StatusCode, Json<QueueView>), ApiError> {
    caller.require_admin()?;
    let q = build(&state, &caller, b, None).await?;
    save(&state, &caller, &q, "created").await?;
    Ok((StatusCode::CREATED, Json(queue_view(&q))))
}

async fn replace(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<QueueBody>,
) -> Result<Json<QueueView>, ApiError> {
    caller.require_supervisor()?;
    let old = load(&state, &id).await?;
    if !caller.oversees(old.team) {
        return Err(ApiError::Forbidden(format!(
            "queue {} belongs to a team you do not supervise",
            old.name
        )));
    }
    let q = build(&state, &caller, b, Some(&old)).await?;
    save(&state, &caller, &q, "changed").await?;
    Ok(Json(queue_view(&q)))
}

fn rule_view(r: &TierRule) -> TierRuleView {
    TierRuleView {
        tier: r.tier.to_string(),
        min_assets: r.min_assets.map(yuan),
        min_turnover: r.min_turnover.map(yuan),
        min_commission: r.min_commission.map(yuan),
    }
}

async fn tier_rules(
    State(state): State<ApiState>,
    _caller: Caller,
) -> Result<Json<Vec<TierRuleView>>, ApiError> {
    Ok(Json(
        state.db.tier_rules().await?.iter().map(rule_view).collect(),
    ))
}

async fn put_tier_rules(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<Vec<TierRuleView>>,
) -> Result<Json<Vec<TierRuleView>>, ApiError> {
    caller.require_admin()?;
    let mut rules = Vec::with_capacity(body.len());
    for (i, r) in body.iter().enumerate() {
        let at = |f: &str| format!("[{i}].{f}");
        let tier: Tier = r
            .tier
            .parse()
            .map_err(|e: crate::domain::customer::UnknownTier| {
                ApiError::invalid(at("tier"), e.to_string())
            })?;
        if tier == Tier::Standard || rules.iter().any(|x: &TierRule| x.tier == tier) {
            return Err(ApiError::invalid(
                at("tier"),
                "each tier above standard may have one rule",
            ));
        }
        let money = |v: &Option<String>, f: &str| {
            v.as_deref()
                .map(parse_yuan)
                .transpose()
                .map_err(|m| ApiError::invalid(at(f), m))
        };
        rules.push(TierRule {
            tier,
            min_assets: money(&r.min_assets, "min_assets")?,
            min_turnover: money(&r.min_turnover, "min_turnover")?,
            min_commission: money(&r.min_commission, "min_commission")?,
        });
    }
    rules.sort_by_key(|r| r.tier);
    let now = Timestamp::now();
    let body = EventBody::ConfigurationChanged {
        what: "tier rules".into(),
        detail: format!("{} rules", rules.len()),
    };
    let item = WriteItem {
        events: vec![NewEvent::new(Subject::Audit, now, caller.actor(), body)],
        mutations: vec![Mutation::PutTierRules(rules.clone())],
    };
    state.log.commit(item).await?;
    crate::crm::recompute_tiers(&state.db, &state.log, caller.actor(), now).await?;
    Ok(Json(rules.iter().map(rule_view).collect()))
}
