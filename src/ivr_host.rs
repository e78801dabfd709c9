//! The IVR inside the running platform: loads the flows directory against what exists (queue
//! names from the store, or from the configuration and the demo data; the site calendar),
//! reloads it, runs the simulator against the real customer database and data-dip service, and
//! turns the IVR's log entries into interaction-log events.
//!
//! Owns the glue between the pure `ivr` core and the store; it must not hold call state, speak
//! SIP or decide routing. The edges (`cli`, `http`, `app`) call it; it calls none of them.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::domain::queue_stats::{QueueStatsAnswer, QueueStatsRequest};
use crate::domain::{FlowName, PhoneNumber, QueueName, Timestamp};
use crate::interaction_log::EventBody;
use crate::ivr::flow::Flow;
use crate::ivr::interpreter::{CustomerProfile, HttpOutcome, IvrLog, LookupKey, LookupOutcome};
use crate::ivr::loader::{self, FlowLibrary, LoadError, Surroundings};
use crate::ivr::simulate::{self, Input, Script, Services, Simulation};
use crate::ivr::value::{Value, VarName};
use crate::store::customers::CustomerQuery;
use crate::store::{Db, Page, StoreError};

/// Why flows could not be loaded or simulated.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The flows directory is unreadable or a flow has problems.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The store could not say which queues exist.
    #[error("cannot read the queues from the store: {0}")]
    Store(#[from] StoreError),
    /// The blocking task reading files or simulating died.
    #[error("the {what} task stopped before finishing")]
    TaskLost {
        /// Which task.
        what: &'static str,
    },
    /// No flow has this name.
    #[error("no flow is named {0}")]
    UnknownFlow(FlowName),
}

/// The queue names flows may use: the store's when it has queues, else the configuration's
/// seed queues (and the demo data's when the demo is enabled and nothing else is seeded).
pub async fn queue_names(
    config: &Config,
    db: Option<&Db>,
) -> Result<BTreeSet<QueueName>, HostError> {
    if let Some(db) = db {
        let stored: BTreeSet<QueueName> = db.queues().await?.into_iter().map(|q| q.name).collect();
        if !stored.is_empty() {
            return Ok(stored);
        }
    }
    Ok(seeded_queue_names(config))
}

/// The queues an empty store would be seeded with (what `serve` seeds on first start).
#[must_use]
pub fn seeded_queue_names(config: &Config) -> BTreeSet<QueueName> {
    let mut out: BTreeSet<QueueName> = config.seed_queues.iter().map(|q| q.name.clone()).collect();
    if config.demo && config.seed_queues.is_empty() {
        out.extend(crate::demo::queue_names());
    }
    out
}

/// What the flows of this site may refer to.
pub async fn surroundings(config: &Config, db: Option<&Db>) -> Result<Surroundings, HostError> {
    Ok(Surroundings {
        queues: queue_names(config, db).await?,
        holidays: config.site.holidays.clone(),
        schedules: site_schedules(config),
        dial_plan: config.site.dial_plan.clone(),
    })
}

/// The configuration's `[site.schedules.NAME]` as IVR schedules (the configuration has
/// already checked names, days and times, so nothing is dropped here in practice).
#[must_use]
pub fn site_schedules(
    config: &Config,
) -> std::collections::BTreeMap<crate::ivr::schedule::ScheduleName, crate::ivr::schedule::Schedule>
{
    use crate::ivr::schedule::{DayOfWeek, Schedule, ScheduleName, WeeklyHours};
    config
        .site
        .schedules
        .iter()
        .filter_map(|s| {
            let name = ScheduleName::parse(&s.name).ok()?;
            let weekly = s
                .weekly
                .iter()
                .map(|w| WeeklyHours {
                    days: w
                        .days
                        .iter()
                        .filter_map(|d| DayOfWeek::parse(d).ok())
                        .collect(),
                    open: w.open,
                    close: w.close,
                })
                .collect();
            let schedule = Schedule {
                always_open: s.always_open,
                weekly,
                holidays: s.holidays.iter().copied().collect(),
            };
            Some((name, schedule))
        })
        .collect()
}

/// Reads and checks `dir` (off the async threads).
pub async fn load_dir(
    dir: &Path,
    around: Surroundings,
) -> Result<crate::ivr::flow_set::FlowSet, HostError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || loader::load(&dir, &around))
        .await
        .map_err(|_| HostError::TaskLost {
            what: "flow loading",
        })?
        .map_err(HostError::from)
}

/// Loads the configured flows directory for start-up: any problem refuses the start.
pub async fn start(config: &Config, db: &Db) -> Result<FlowLibrary, HostError> {
    let around = surroundings(config, Some(db)).await?;
    let set = load_dir(&config.paths.flows_dir, around).await?;
    Ok(FlowLibrary::new(config.paths.flows_dir.clone(), set))
}

/// Reloads the library (SIGHUP or the admin API); the set in force stays on any problem.
pub async fn reload(
    library: &FlowLibrary,
    config: &Config,
    db: &Db,
) -> Result<Arc<crate::ivr::flow_set::FlowSet>, HostError> {
    let around = surroundings(config, Some(db)).await?;
    let library = library.clone();
    let result = tokio::task::spawn_blocking(move || library.reload(&around))
        .await
        .map_err(|_| HostError::TaskLost {
            what: "flow reload",
        })?;
    match &result {
        Ok(set) => tracing::info!(flows = set.names().count(), "flows reloaded"),
        Err(e) => tracing::warn!(error = %e, "flow reload refused; the flows in force stay"),
    }
    Ok(result?)
}

/// Reloads the flows on every `SIGHUP` until `stop` is cancelled (Unix only). The signal is
/// registered before this returns, so a `SIGHUP` sent once start-up is over is never missed.
pub fn reload_on_sighup(
    library: FlowLibrary,
    config: Arc<Config>,
    db: Db,
    stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let hup = signal(SignalKind::hangup());
        tokio::spawn(async move {
            let Ok(mut hup) = hup else {
                tracing::warn!("cannot listen for SIGHUP; reload flows through the API");
                return;
            };
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    got = hup.recv() => {
                        if got.is_none() {
                            return;
                        }
                        // A refused reload is logged by `reload`; the old flows keep serving.
                        let _ = reload(&library, &config, &db).await;
                    }
                }
            }
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (library, config, db);
        tokio::spawn(async move { stop.cancelled().await })
    }
}

/// The simulator's services backed by the store and the real data-dip client. Its methods
/// block on the runtime, so it runs only inside `spawn_blocking` (see [`simulate`]).
struct StoreServices {
    db: Db,
    runtime: tokio::runtime::Handle,
}

impl StoreServices {
    async fn find(&self, key: &LookupKey) -> Result<LookupOutcome, StoreError> {
        let query = match key {
            LookupKey::CallerNumber(n) => CustomerQuery {
                phone: Some(n.clone()),
                ..CustomerQuery::default()
            },
            LookupKey::Account(a) => CustomerQuery {
                account: Some(a.clone()),
                ..CustomerQuery::default()
            },
        };
        let mut found = self.db.customers(&query, Page::new(0, 2)).await?;
        // Two customers sharing a number or an account identify nobody.
        if found.len() != 1 {
            return Ok(LookupOutcome::NotFound);
        }
        let Some(c) = found.pop() else {
            return Ok(LookupOutcome::NotFound);
        };
        let account_manager = match c.account_manager {
            Some(id) => self.db.agent(id).await?.map(|a| a.login),
            None => None,
        };
        Ok(LookupOutcome::Found(CustomerProfile {
            id: c.id,
            name: c.name,
            tier: c.tier,
            account_manager,
            risk: c.risk_profile,
        }))
    }
}

impl Services for StoreServices {
    fn lookup(&mut self, key: &LookupKey) -> LookupOutcome {
        match self.runtime.block_on(self.find(key)) {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::warn!(error = %e, "customer lookup failed");
                LookupOutcome::Failed
            }
        }
    }

    fn http(
        &mut self,
        url: &str,
        params: &[(VarName, Value)],
        timeout: std::time::Duration,
    ) -> HttpOutcome {
        self.runtime
            .block_on(crate::ivr::data_dip::dip(url, params, timeout))
    }

    fn queue_stats(&mut self, request: &QueueStatsRequest) -> QueueStatsAnswer {
        // No ACD runs beside the simulator: the queue is known when the store has it, and
        // nobody is logged in or waiting.
        let known = self
            .runtime
            .block_on(self.db.queues())
            .map(|qs| qs.iter().any(|q| q.name == request.queue))
            .unwrap_or(false);
        QueueStatsAnswer {
            queue: request.queue.clone(),
            known,
            agents_ready: 0,
            agents_logged_in: 0,
            waiting: 0,
            estimated_wait: std::time::Duration::ZERO,
        }
    }
}

/// A simulated call: who calls, when, and what they press.
#[derive(Debug, Clone)]
pub struct SimulationRequest {
    /// The calling number (E.164 or as the site dials it), if presented.
    pub caller: Option<PhoneNumber>,
    /// The number dialled (the flow's first number when `None`).
    pub dialled: Option<String>,
    /// When the call arrives (now when `None`); converted to the site's local time.
    pub at: Option<Timestamp>,
    /// What the caller presses.
    pub inputs: Vec<Input>,
}

/// Runs `flow` for `request` against the store (customer lookups) and the real data-dip
/// services, on a virtual clock.
pub async fn simulate(
    flow: Arc<Flow>,
    request: SimulationRequest,
    config: &Config,
    db: &Db,
) -> Result<Simulation, HostError> {
    let at = request.at.unwrap_or_else(Timestamp::now);
    let local_time = jiff::Timestamp::from_millisecond(at.as_millis())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(config.site.time_zone.clone())
        .datetime();
    let dialled = request
        .dialled
        .or_else(|| flow.numbers.first().map(|(n, _)| n.clone()))
        .unwrap_or_default();
    let script = Script {
        caller: request.caller,
        dialled,
        local_time,
        inputs: request.inputs,
    };
    let mut services = StoreServices {
        db: db.clone(),
        runtime: tokio::runtime::Handle::current(),
    };
    tokio::task::spawn_blocking(move || {
        simulate::simulate(&flow, &script, &mut services, Instant::now())
    })
    .await
    .map_err(|_| HostError::TaskLost { what: "simulation" })
}

/// The flow of this name in `library`.
pub fn flow(library: &FlowLibrary, name: &FlowName) -> Result<Arc<Flow>, HostError> {
    library
        .flow(name)
        .ok_or_else(|| HostError::UnknownFlow(name.clone()))
}

/// The interaction-log event of an IVR log entry (the call task appends it to the call's
/// interaction). Masked keys stay `*`, secrets stay `***`, typed-ahead keys carry no value.
#[must_use]
pub fn log_event(entry: &IvrLog) -> EventBody {
    let text = |n: &Option<crate::ivr::flow::NodeId>| n.as_ref().map(ToString::to_string);
    match entry {
        IvrLog::Started { flow } => EventBody::IvrStarted {
            flow: flow.to_string(),
        },
        IvrLog::NodeEntered { node, kind } => EventBody::IvrNodeEntered {
            node: node.to_string(),
            node_kind: (*kind).to_owned(),
        },
        IvrLog::Key { node, key } => EventBody::IvrInput {
            node: text(node),
            input: format!("key {key}"),
        },
        IvrLog::KeyTypedAhead { node } => EventBody::IvrInput {
            node: text(node),
            input: "typed_ahead".into(),
        },
        IvrLog::NoInput { node } => EventBody::IvrInput {
            node: Some(node.to_string()),
            input: "no_input".into(),
        },
        IvrLog::InvalidInput { node } => EventBody::IvrInput {
            node: Some(node.to_string()),
            input: "invalid".into(),
        },
        IvrLog::VarSet { var, value } => EventBody::IvrVariableSet {
            var: var.to_string(),
            value: value.to_string(),
        },
        IvrLog::Identified { level } => EventBody::IvrVariableSet {
            var: "identification".into(),
            value: level.as_str().to_owned(),
        },
        IvrLog::HttpDone { node, outcome } => EventBody::IvrDataDip {
            node: node.to_string(),
            outcome: (*outcome).to_owned(),
        },
        IvrLog::Ended { how } => EventBody::IvrEnded {
            how: (*how).to_owned(),
            node: None,
        },
        IvrLog::Aborted { node } => EventBody::IvrEnded {
            how: "aborted".into(),
            node: text(node),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DtmfDigit, IdentificationLevel};
    use crate::ivr::flow::NodeId;
    use crate::ivr::interpreter::LoggedKey;
    use crate::ivr::value::SecretDigits;

    fn check(entry: IvrLog, expected_json: &str) {
        assert_eq!(log_event(&entry).to_json(), expected_json, "{entry:?}");
    }

    #[test]
    fn ivr_log_entries_become_interaction_events_without_secrets() {
        let node = || NodeId::parse("enter_pin").expect("node id");
        let key = |c| DtmfDigit::from_char(c).expect("a key");
        check(
            IvrLog::NodeEntered {
                node: node(),
                kind: "collect",
            },
            r#"{"kind":"ivr_node_entered","data":{"node":"enter_pin","node_kind":"collect"}}"#,
        );
        check(
            IvrLog::Key {
                node: Some(node()),
                key: LoggedKey::Masked,
            },
            r#"{"kind":"ivr_input","data":{"node":"enter_pin","input":"key *"}}"#,
        );
        check(
            IvrLog::Key {
                node: None,
                key: LoggedKey::Key(key('#')),
            },
            r#"{"kind":"ivr_input","data":{"node":null,"input":"key #"}}"#,
        );
        check(
            IvrLog::KeyTypedAhead { node: Some(node()) },
            r#"{"kind":"ivr_input","data":{"node":"enter_pin","input":"typed_ahead"}}"#,
        );
        check(
            IvrLog::VarSet {
                var: VarName::parse("pin").expect("var"),
                value: Value::Secret(SecretDigits::new("123456".into())),
            },
            r#"{"kind":"ivr_variable_set","data":{"var":"pin","value":"***"}}"#,
        );
        check(
            IvrLog::Identified {
                level: IdentificationLevel::Verified,
            },
            r#"{"kind":"ivr_variable_set","data":{"var":"identification","value":"verified"}}"#,
        );
        check(
            IvrLog::HttpDone {
                node: node(),
                outcome: "timed_out",
            },
            r#"{"kind":"ivr_data_dip","data":{"node":"enter_pin","outcome":"timed_out"}}"#,
        );
        check(
            IvrLog::Aborted { node: None },
            r#"{"kind":"ivr_ended","data":{"how":"aborted","node":null}}"#,
        );
    }
}
