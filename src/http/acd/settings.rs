//! `PUT /api/v1/queues/{id}/acd`: a queue's ACD settings (offer timeout, wrap-up, escalation
//! steps with overflow), validated with the ACD's own rules against the whole queue set
//! (unknown skill, unknown overflow target, overflow to another channel, overflow loops,
//! steps out of order) and stored with an audit event in one commit.
//!
//! Admins, and supervisors for their teams' queues; the role is checked before the body.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::acd::{EscalationAction, EscalationStep, OverflowTarget, validate_queues};
use crate::acd_bridge::settings::steps_text;
use crate::domain::{QueueId, QueueName, TeamName, Timestamp};
use crate::interaction_log::{EventBody, NewEvent, Subject};
use crate::store::acd::QueueAcdRecord;
use crate::store::{Mutation, WriteItem};

use super::super::body::{parse_json, path_id};
use super::super::error::ApiError;
use super::super::route::{Access, Route};
use super::super::session::Caller;
use super::super::state::ApiState;
use super::resync;

pub(in crate::http) fn routes() -> Vec<Route> {
    vec![
        Route::put("/api/v1/queues/{id}/acd", put_settings)
            .summary("Set a queue's offer timeout, wrap-up and escalation steps (validated against every queue)")
            .access(Access::Supervisor)
            .body::<AcdSettingsBody>()
            .answers::<AcdSettingsBody>(),
    ]
}

/// One escalation step.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct StepBody {
    /// Waiting time in the queue that triggers the step, seconds.
    after_s: u64,
    /// `relax_proficiency`, `widen_groups`, `raise_priority` or `overflow`.
    action: String,
    /// Levels or priority to add, for `relax_proficiency` and `raise_priority`.
    by: Option<u16>,
    /// Team names, for `widen_groups`.
    groups: Option<Vec<String>>,
    /// A queue name, `voicemail` or `callback`, for `overflow`.
    target: Option<String>,
}

/// A queue's ACD settings.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct AcdSettingsBody {
    /// How long an offer rings before ring-no-answer, seconds (1-300).
    offer_timeout_s: u64,
    /// Maximum after-contact work, seconds (0-3600).
    wrap_up_s: u64,
    /// Escalation steps in increasing `after_s`.
    #[serde(default)]
    steps: Vec<StepBody>,
}

async fn step(state: &ApiState, i: usize, s: &StepBody) -> Result<EscalationStep, ApiError> {
    let at = |f: &str| format!("steps[{i}].{f}");
    let by = || {
        s.by.ok_or_else(|| ApiError::invalid(at("by"), "this action needs `by`"))
    };
    let action = match s.action.as_str() {
        "relax_proficiency" => EscalationAction::RelaxProficiency {
            by: u8::try_from(by()?).map_err(|_| ApiError::invalid(at("by"), "at most 9 levels"))?,
        },
        "raise_priority" => EscalationAction::RaisePriority { by: by()? },
        "widen_groups" => {
            let names = s.groups.as_deref().unwrap_or_default();
            if names.is_empty() {
                return Err(ApiError::invalid(at("groups"), "name at least one team"));
            }
            let mut groups = Vec::new();
            for n in names {
                let t = TeamName::parse(n)
                    .map_err(|e| ApiError::invalid(at("groups"), e.to_string()))?;
                if state.db.team_by_name(&t).await?.is_none() {
                    return Err(ApiError::invalid(
                        at("groups"),
                        format!("no team is named {t}"),
                    ));
                }
                groups.push(t);
            }
            EscalationAction::WidenGroups(groups)
        }
        "overflow" => {
            let target = s
                .target
                .as_deref()
                .ok_or_else(|| ApiError::invalid(at("target"), "overflow needs a target"))?;
            EscalationAction::Overflow(match target {
                "voicemail" => OverflowTarget::Voicemail,
                "callback" => OverflowTarget::Callback,
                name => {
                    let n = QueueName::parse(name)
                        .map_err(|e| ApiError::invalid(at("target"), e.to_string()))?;
                    let q = state.db.queues().await?.into_iter().find(|q| q.name == n);
                    OverflowTarget::Queue(
                        q.ok_or_else(|| {
                            ApiError::invalid(
                                at("target"),
                                format!("unknown overflow target: no queue is named {n}"),
                            )
                        })?
                        .id,
                    )
                }
            })
        }
        other => {
            return Err(ApiError::invalid(
                at("action"),
                format!(
                    "unknown action {other:?}: use relax_proficiency, widen_groups, raise_priority or overflow"
                ),
            ));
        }
    };
    Ok(EscalationStep {
        after: Duration::from_secs(s.after_s),
        action,
    })
}

async fn put_settings(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<AcdSettingsBody>, ApiError> {
    // The role is checked before the body; the team scope needs the queue, looked up after
    // the body is known to be well formed (as for `PUT /api/v1/queues/{id}`).
    caller.require_supervisor()?;
    let id: QueueId = path_id(&id, "queue")?;
    let b: AcdSettingsBody = parse_json(&body)?;
    let queue = state
        .db
        .queue(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("queue {id}")))?;
    if !caller.oversees(queue.team) {
        return Err(ApiError::Forbidden(format!(
            "queue {} belongs to a team you do not supervise",
            queue.name
        )));
    }
    if !(1..=300).contains(&b.offer_timeout_s) {
        return Err(ApiError::invalid(
            "offer_timeout_s",
            "from 1 to 300 seconds",
        ));
    }
    if b.wrap_up_s > 3600 {
        return Err(ApiError::invalid("wrap_up_s", "at most 3600 seconds"));
    }
    let mut steps = Vec::new();
    for (i, s) in b.steps.iter().enumerate() {
        steps.push(step(&state, i, s).await?);
    }
    let mut all = crate::acd_bridge::queue_configs(&state.db)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(c) = all.iter_mut().find(|c| c.id == id) {
        c.steps = steps.clone();
    }
    let known = state.db.skills().await?.into_iter().collect();
    validate_queues(&all, &known).map_err(|problems| {
        ApiError::invalid(
            "steps",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let now = Timestamp::now();
    let secs = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
    let record = QueueAcdRecord {
        queue: id,
        offer_timeout_ms: secs(b.offer_timeout_s),
        wrap_up_ms: secs(b.wrap_up_s),
        steps: steps_text(&steps),
        updated_at: now,
    };
    let audit = EventBody::ConfigurationChanged {
        what: format!("queue {} acd settings", queue.name),
        detail: format!(
            "offer timeout {} s, wrap-up {} s, steps: {}",
            b.offer_timeout_s, b.wrap_up_s, record.steps
        ),
    };
    state
        .log
        .commit(WriteItem {
            events: vec![NewEvent::new(Subject::Audit, now, caller.actor(), audit)],
            mutations: vec![Mutation::PutQueueAcd(Box::new(record))],
        })
        .await?;
    resync(&state).await?;
    Ok(Json(b))
}
