//! The ACD over HTTP: live queue statistics with waiting contacts (added to the queue routes),
//! an agent's live state (added to `GET /api/v1/agents/{login}`), `PUT
//! /api/v1/agents/{login}/state`, and `GET /api/v1/acd/events`, the live event stream for
//! supervisors (server-sent events).
//!
//! Handlers ask `AcdHandle` and carry out nothing themselves: every rule (reason codes,
//! capacity, who may log out) is the ACD's. Authorization is checked before a body is read,
//! and every supervisor action on another agent is an audit event.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use crate::acd::{
    AcdError, AcdEvent, AcdHandle, AcdServiceError, AgentError, Counters, Presence, QueueReport,
    ReasonCode, WorkState,
};
use crate::domain::{AgentLogin, Timestamp};
use crate::interaction_log::{EventBody, NewEvent, Subject};

use super::body::{parse_json, path_id};
use super::error::ApiError;
use super::route::{Access, Route};
use super::session::Caller;
use super::state::ApiState;
use super::view::time;

mod settings;

pub(super) fn routes() -> Vec<Route> {
    let mut all = settings::routes();
    all.extend([
        Route::put("/api/v1/agents/{login}/state", put_state)
            .summary("Set an agent's presence (itself, or a supervisor for their teams' agents)")
            .body::<StateBody>()
            .answers::<AgentLiveView>(),
        Route::get("/api/v1/acd/events", events)
            .summary("Live ACD events for supervisors (server-sent events, one JSON object each)")
            .access(Access::Supervisor),
    ]);
    all
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Today's counters and the formulas' results (see docs/acd.md).
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct CountersView {
    offered: u64,
    answered: u64,
    abandoned: u64,
    overflowed: u64,
    handled: u64,
    /// Answered in target / (answered + abandoned after target), 0 to 1.
    service_level: Option<f64>,
    /// Average speed of answer, ms.
    asa_ms: Option<u64>,
    /// Average handle time, ms.
    aht_ms: Option<u64>,
    /// Abandoned / (answered + abandoned), 0 to 1.
    abandon_rate: Option<f64>,
}

fn counters(c: &Counters) -> CountersView {
    CountersView {
        offered: c.offered,
        answered: c.answered,
        abandoned: c.abandoned,
        overflowed: c.overflowed,
        handled: c.handled,
        service_level: c.service_level(),
        asa_ms: c.asa().map(ms),
        aht_ms: c.aht().map(ms),
        abandon_rate: c.abandon_rate(),
    }
}

/// One tier in a queue.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct TierLiveView {
    tier: String,
    waiting: u32,
    longest_wait_ms: u64,
    today: CountersView,
    rolling_service_level: Option<f64>,
}

/// One contact not yet answered.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct WaitingContactView {
    interaction: String,
    tier: String,
    priority: u16,
    /// 1-based place in the queue order (priority, then arrival).
    position: usize,
    waited_ms: u64,
    estimated_wait_ms: u64,
    /// Escalation steps reached.
    step: usize,
    callback: bool,
    /// `held_for_manager`, `waiting` or `offered`.
    state: &'static str,
}

/// Eligible logged-in agents by state.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct AgentCountsView {
    available: u32,
    busy: u32,
    wrap_up: u32,
    not_ready: u32,
    can_take: u32,
    logged_in: u32,
}

/// A queue's live picture and statistics.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct QueueLiveView {
    waiting_now: usize,
    longest_wait_ms: u64,
    agents: AgentCountsView,
    /// The handle time used for estimates, ms.
    estimate_aht_ms: u64,
    today: CountersView,
    /// Service level over the last 15 minutes.
    rolling_service_level: Option<f64>,
    by_tier: Vec<TierLiveView>,
    waiting: Vec<WaitingContactView>,
}

pub(super) fn queue_live_view(r: &QueueReport) -> QueueLiveView {
    let l = &r.live;
    let a = &l.agents;
    let by_tier = l
        .by_tier
        .iter()
        .map(|t| TierLiveView {
            tier: t.tier.to_string(),
            waiting: t.waiting,
            longest_wait_ms: ms(t.longest_wait),
            today: r
                .today_by_tier
                .iter()
                .find(|(x, _)| *x == t.tier)
                .map_or_else(|| counters(&Counters::default()), |(_, c)| counters(c)),
            rolling_service_level: r
                .rolling_by_tier
                .iter()
                .find(|(x, _)| *x == t.tier)
                .and_then(|(_, s)| *s),
        })
        .collect();
    QueueLiveView {
        waiting_now: l.waiting.len(),
        longest_wait_ms: ms(l.longest_wait),
        agents: AgentCountsView {
            available: a.available,
            busy: a.busy,
            wrap_up: a.wrap_up,
            not_ready: a.not_ready,
            can_take: a.can_take,
            logged_in: a.logged_in(),
        },
        estimate_aht_ms: ms(l.aht),
        today: counters(&r.today),
        rolling_service_level: r.rolling_service_level,
        by_tier,
        waiting: l
            .waiting
            .iter()
            .map(|w| WaitingContactView {
                interaction: w.interaction.to_string(),
                tier: w.tier.to_string(),
                priority: w.priority,
                position: w.position,
                waited_ms: ms(w.waited),
                estimated_wait_ms: ms(w.estimated_wait),
                step: w.step,
                callback: w.callback,
                state: match w.state {
                    crate::acd::WaitingState::HeldForManager => "held_for_manager",
                    crate::acd::WaitingState::Waiting => "waiting",
                    crate::acd::WaitingState::Offered => "offered",
                },
            })
            .collect(),
    }
}

/// One contact an agent holds.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct ContactSlotView {
    interaction: String,
    channel: String,
    queue: String,
    /// `offered`, `active` or `wrap_up`.
    state: &'static str,
    /// Since when (answer time for active and wrap-up), RFC 3339.
    since: Option<String>,
    /// When an offer lapses or wrap-up ends by itself, RFC 3339.
    until: Option<String>,
}

/// An agent's live ACD state.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct AgentLiveView {
    /// `logged_out`, `ready` or `not_ready`.
    state: &'static str,
    /// The not-ready reason code.
    reason: Option<String>,
    /// Since when, RFC 3339.
    since: String,
    contacts: Vec<ContactSlotView>,
    /// Channels the agent could take a new contact on now.
    can_take: Vec<String>,
}

fn agent_live_view(v: &crate::acd::AgentView) -> AgentLiveView {
    AgentLiveView {
        state: v.presence.as_str(),
        reason: match &v.presence {
            Presence::NotReady(r) => Some(r.as_str().to_owned()),
            Presence::Ready | Presence::LoggedOut => None,
        },
        since: time(v.since),
        contacts: v
            .slots
            .iter()
            .map(|s| {
                let (state, since, until) = match s.state {
                    WorkState::Offered { deadline, .. } => ("offered", None, Some(deadline)),
                    WorkState::Active { since } => ("active", Some(since), None),
                    WorkState::WrapUp { answered, until } => {
                        ("wrap_up", Some(answered), Some(until))
                    }
                };
                ContactSlotView {
                    interaction: s.interaction.to_string(),
                    channel: s.channel.to_string(),
                    queue: s.queue.to_string(),
                    state,
                    since: since.map(time),
                    until: until.map(time),
                }
            })
            .collect(),
        can_take: v.can_take.iter().map(ToString::to_string).collect(),
    }
}

fn acd(state: &ApiState) -> Result<&AcdHandle, ApiError> {
    state
        .acd
        .as_ref()
        .ok_or_else(|| ApiError::Internal("the ACD is not running".into()))
}

fn service_error(e: AcdServiceError) -> ApiError {
    match e {
        AcdServiceError::Stopped => ApiError::Internal("the ACD service has stopped".into()),
        AcdServiceError::Refused(AcdError::UnknownReasonCode { code }) => ApiError::invalid(
            "reason",
            format!("unknown not-ready reason code {code}: use a configured one"),
        ),
        AcdServiceError::Refused(AcdError::Agent(AgentError::BadReasonCode { text })) => {
            ApiError::invalid("reason", format!("invalid reason code {text:?}"))
        }
        AcdServiceError::Refused(e) => ApiError::Conflict(e.to_string()),
    }
}

/// A queue's live picture, when the ACD runs and knows the queue.
pub(super) async fn queue_live(
    state: &ApiState,
    queue: crate::domain::QueueId,
) -> Result<Option<QueueLiveView>, ApiError> {
    let Some(acd) = state.acd.as_ref() else {
        return Ok(None);
    };
    let report = acd.queue(queue).await.map_err(service_error)?;
    Ok(report.as_ref().map(queue_live_view))
}

/// An agent's live state, when the ACD runs and knows the agent.
pub(super) async fn agent_live(
    state: &ApiState,
    login: &AgentLogin,
) -> Result<Option<AgentLiveView>, ApiError> {
    let Some(acd) = state.acd.as_ref() else {
        return Ok(None);
    };
    let v = acd.agent(login.clone()).await.map_err(service_error)?;
    Ok(v.as_ref().map(agent_live_view))
}

/// A presence change.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct StateBody {
    /// `ready`, `not_ready` or `logged_out`.
    state: String,
    /// A configured reason code for `not_ready` (`break`, `training`, ...); free text is
    /// accepted (and ignored) for the other states.
    reason: Option<String>,
}

fn presence(b: &StateBody) -> Result<Presence, ApiError> {
    match b.state.as_str() {
        "ready" => Ok(Presence::Ready),
        "logged_out" => Ok(Presence::LoggedOut),
        "not_ready" => {
            let text = b.reason.as_deref().ok_or_else(|| {
                ApiError::invalid("reason", "not_ready needs a configured reason code")
            })?;
            ReasonCode::parse(text)
                .map(Presence::NotReady)
                .map_err(|e| ApiError::invalid("reason", e.to_string()))
        }
        other => Err(ApiError::invalid(
            "state",
            format!("unknown state {other:?}: use ready, not_ready or logged_out"),
        )),
    }
}

async fn put_state(
    State(state): State<ApiState>,
    caller: Caller,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<Json<AgentLiveView>, ApiError> {
    let login: AgentLogin = path_id(&login, "agent")?;
    let target = state
        .db
        .agent_by_login(&login)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("agent {login}")))?;
    let for_self = caller.agent.id == target.id;
    if !for_self && !caller.oversees(target.team) {
        return Err(ApiError::Forbidden(format!(
            "agent {login} is not in a team you supervise"
        )));
    }
    // Authorization passed: only now is the body read.
    let b: StateBody = parse_json(&body)?;
    let to = presence(&b)?;
    let acd = acd(&state)?;
    let actor = if for_self {
        crate::acd::Actor::Agent(caller.agent.id)
    } else {
        crate::acd::Actor::Supervisor(caller.agent.id)
    };
    acd.set_presence(target.id, to.clone(), actor)
        .await
        .map_err(service_error)?;
    if !for_self {
        let detail = match &to {
            Presence::NotReady(r) => format!("set {login} to not_ready ({r})", r = r.as_str()),
            p => format!("set {login} to {}", p.as_str()),
        };
        let event = NewEvent::new(
            Subject::Audit,
            Timestamp::now(),
            caller.actor(),
            EventBody::ConfigurationChanged {
                what: format!("agent {login} presence"),
                detail,
            },
        );
        state.log.append(event).await?;
    }
    let v = agent_live(&state, &login)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("agent {login} in the ACD")))?;
    Ok(Json(v))
}

/// One event on the stream.
#[derive(Debug, Serialize)]
struct StreamEvent {
    at: String,
    subject: String,
    actor: String,
    body: serde_json::Value,
}

fn stream_event(e: &AcdEvent) -> StreamEvent {
    let log = crate::acd_bridge::log::to_log_event(e);
    StreamEvent {
        at: time(log.occurred_at),
        subject: format!("{}:{}", log.subject.kind(), log.subject.id_text()),
        actor: log.actor.to_string(),
        body: serde_json::from_str(&log.body.to_json()).unwrap_or(serde_json::Value::Null),
    }
}

async fn events(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require_supervisor()?;
    let rx = acd(&state)?.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(e) => {
                let data =
                    serde_json::to_string(&stream_event(&e)).unwrap_or_else(|_| "{}".to_owned());
                Event::default().event("acd").data(data)
            }
            Err(RecvError::Lagged(n)) => Event::default()
                .event("lagged")
                .data(format!("{{\"missed\":{n}}}")),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// A queue's configuration with its live picture (absent when the ACD is not running).
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct QueueWithLive {
    #[serde(flatten)]
    config: super::view::QueueView,
    live: Option<QueueLiveView>,
}

pub(super) fn with_live(
    config: super::view::QueueView,
    live: Option<QueueLiveView>,
) -> QueueWithLive {
    QueueWithLive { config, live }
}

/// Every queue's live picture, by queue id.
pub(super) async fn all_queues_live(
    state: &ApiState,
) -> Result<std::collections::HashMap<crate::domain::QueueId, QueueLiveView>, ApiError> {
    let Some(acd) = state.acd.as_ref() else {
        return Ok(std::collections::HashMap::new());
    };
    let reports = acd.snapshot().await.map_err(service_error)?;
    Ok(reports
        .iter()
        .map(|r| (r.live.config.id, queue_live_view(r)))
        .collect())
}

/// An agent's account with its live ACD state (absent when the ACD is not running).
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct AgentWithLive {
    #[serde(flatten)]
    account: super::view::AgentView,
    live: Option<AgentLiveView>,
}

pub(super) fn agent_with_live(
    account: super::view::AgentView,
    live: Option<AgentLiveView>,
) -> AgentWithLive {
    AgentWithLive { account, live }
}

/// Pushes the store's agents and queues into the running ACD after an admin change.
pub(super) async fn resync(state: &ApiState) -> Result<(), ApiError> {
    let Some(acd) = state.acd.as_ref() else {
        return Ok(());
    };
    crate::acd_bridge::sync(&state.db, acd)
        .await
        .map_err(|e| match e {
            crate::acd_bridge::AcdBridgeError::Acd(AcdServiceError::Refused(
                AcdError::InvalidQueues { problems },
            )) => ApiError::invalid(
                "queue",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => ApiError::Internal(other.to_string()),
        })
}
