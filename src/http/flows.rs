//! `/api/v1/flows`: the IVR flows in force, their reload (admins) and the simulator
//! (supervisors and admins).
//!
//! Thin: loading, checking and simulating are `ivr_host`'s; this maps requests and answers and
//! records the reload in the audit trail. It holds no flow state of its own.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{FlowName, PhoneNumber, Timestamp};
use crate::interaction_log::{EventBody, NewEvent, Subject};
use crate::ivr::flow::Flow;
use crate::ivr::flow_set::FlowSet;
use crate::ivr::loader::LoadError;
use crate::ivr::simulate::{Outcome, parse_inputs};
use crate::ivr_host::{self, HostError, SimulationRequest};
use crate::store::WriteItem;

use super::body::ApiJson;
use super::error::ApiError;
use super::route::{Access, Route};
use super::session::Caller;
use super::state::ApiState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/flows", list)
            .summary("The IVR flows in force")
            .answers::<Vec<FlowView>>(),
        Route::post("/api/v1/flows/reload", reload)
            .summary(
                "Read and check the flows directory again; the new flows replace the old only \
                 when every one is valid (422 lists every problem)",
            )
            .access(Access::Admin)
            .answers::<ReloadView>(),
        Route::post("/api/v1/flows/{name}/simulate", simulate)
            .summary("Run a flow without telephony against the customer database")
            .access(Access::Supervisor)
            .body::<SimulateBody>()
            .answers::<SimulationView>(),
    ]
}

/// A flow in force.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct FlowView {
    /// The flow's name (its file stem).
    name: String,
    /// What it is for.
    description: String,
    /// The dialled numbers it answers.
    numbers: Vec<String>,
    /// Prompt languages, the default first.
    languages: Vec<String>,
    /// The first node.
    start: String,
    /// How many nodes it has.
    nodes: usize,
}

fn flow_view(f: &Flow) -> FlowView {
    FlowView {
        name: f.name.to_string(),
        description: f.description.clone(),
        numbers: f.numbers.iter().map(|(n, _)| n.clone()).collect(),
        languages: f.languages.iter().map(|l| l.code().to_owned()).collect(),
        start: f.start.target.to_string(),
        nodes: f.nodes.len(),
    }
}

fn set_view(set: &FlowSet) -> Vec<FlowView> {
    set.names()
        .filter_map(|n| set.get(n))
        .map(|f| flow_view(&f))
        .collect()
}

/// The answer to a reload.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct ReloadView {
    /// Whether the new flows are now in force.
    reloaded: bool,
    /// The flows in force after the request.
    flows: Vec<FlowView>,
    /// Every problem found (`file:line:column: node "id": ...`); empty when reloaded.
    problems: Vec<String>,
}

/// A simulated call.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SimulateBody {
    /// The calling number (`+8613800000000`); absent for a withheld number.
    caller: Option<String>,
    /// Keys pressed when the flow waits for input: `1,#,2`, `123456#`, `-` to stay silent.
    #[serde(default)]
    digits: String,
    /// The number dialled (default: the flow's first number).
    dialled: Option<String>,
    /// When the call arrives, RFC 3339 (default: now); read in the site's time zone.
    at: Option<String>,
}

/// What a simulated call did.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct SimulationView {
    /// Every node entered, in order.
    path: Vec<String>,
    /// Every prompt file played, in order.
    prompts: Vec<String>,
    /// The final action (`enqueue queue=trading priority=3`), or how the call ended.
    #[serde(rename = "final")]
    final_action: String,
    /// Whether the flow reached a final action (not the caller hanging up or a stop).
    ended: bool,
    /// Keys given that the flow never asked for.
    unused_inputs: usize,
    /// The whole report as `switchyard flows simulate` prints it.
    report: String,
    /// The interaction-log events a live call would record (`{"kind", "data"}`), in order;
    /// keys of a sensitive collect show as `*` and secrets as `***`.
    events: Vec<serde_json::Value>,
}

fn host_error(e: HostError) -> ApiError {
    match e {
        HostError::Store(s) => s.into(),
        HostError::UnknownFlow(name) => ApiError::NotFound(format!("flow {name}")),
        other => ApiError::Internal(other.to_string()),
    }
}

async fn list(State(state): State<ApiState>, _caller: Caller) -> Json<Vec<FlowView>> {
    Json(set_view(&state.flows.current()))
}

async fn reload(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<(StatusCode, Json<ReloadView>), ApiError> {
    caller.require_admin()?;
    match ivr_host::reload(&state.flows, &state.config, &state.db).await {
        Ok(set) => {
            let names: Vec<String> = set.names().map(ToString::to_string).collect();
            let body = EventBody::ConfigurationChanged {
                what: "ivr flows".into(),
                detail: format!("reloaded: {}", names.join(", ")),
            };
            let item = WriteItem {
                events: vec![NewEvent::new(
                    Subject::Audit,
                    Timestamp::now(),
                    caller.actor(),
                    body,
                )],
                mutations: Vec::new(),
            };
            state.log.commit(item).await?;
            let view = ReloadView {
                reloaded: true,
                flows: set_view(&set),
                problems: Vec::new(),
            };
            Ok((StatusCode::OK, Json(view)))
        }
        Err(HostError::Load(e)) => {
            let problems = match e {
                LoadError::Invalid { errors, .. } => {
                    errors.iter().map(ToString::to_string).collect()
                }
                other => vec![other.to_string()],
            };
            let view = ReloadView {
                reloaded: false,
                flows: set_view(&state.flows.current()),
                problems,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(view)))
        }
        Err(e) => Err(host_error(e)),
    }
}

fn read_request(b: SimulateBody, state: &ApiState) -> Result<SimulationRequest, ApiError> {
    let caller = b
        .caller
        .as_deref()
        .map(|c| PhoneNumber::parse(c, &state.config.site.dial_plan))
        .transpose()
        .map_err(|e| ApiError::invalid("caller", e.to_string()))?;
    let inputs = parse_inputs(&b.digits).map_err(|e| ApiError::invalid("digits", e.to_string()))?;
    let at =
        b.at.as_deref()
            .map(|t| {
                t.parse::<jiff::Timestamp>()
                    .map(|ts| Timestamp::from_millis(ts.as_millisecond()))
                    .map_err(|e| ApiError::invalid("at", format!("not an RFC 3339 time: {e}")))
            })
            .transpose()?;
    Ok(SimulationRequest {
        caller,
        dialled: b.dialled,
        at,
        inputs,
    })
}

async fn simulate(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(b): ApiJson<SimulateBody>,
) -> Result<Json<SimulationView>, ApiError> {
    caller.require_supervisor()?;
    let name = FlowName::parse(&name).map_err(|e| ApiError::invalid("name", e.to_string()))?;
    let flow = ivr_host::flow(&state.flows, &name).map_err(host_error)?;
    let request = read_request(b, &state)?;
    let sim = ivr_host::simulate(flow, request, &state.config, &state.db)
        .await
        .map_err(host_error)?;
    let report = sim.to_string();
    let final_action = report
        .lines()
        .find_map(|l| l.strip_prefix("final:"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    Ok(Json(SimulationView {
        path: sim.path.iter().map(ToString::to_string).collect(),
        prompts: sim.prompts.iter().map(ToString::to_string).collect(),
        final_action,
        ended: matches!(sim.outcome, Outcome::Ended(_)),
        unused_inputs: sim.unused_inputs,
        report,
        events: sim
            .log
            .iter()
            .map(|e| serde_json::to_value(ivr_host::log_event(e)).unwrap_or_default())
            .collect(),
    }))
}
