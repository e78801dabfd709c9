//! `ApiState`: what handlers share. Handles and the read-only store, no business state.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::acd::AcdHandle;
use crate::auth::Throttle;
use crate::config::Config;
use crate::interaction_log::InteractionLogHandle;
use crate::ivr::flow_set::FlowSet;
use crate::ivr::loader::FlowLibrary;
use crate::store::Db;

/// Shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub(super) db: Db,
    pub(super) log: InteractionLogHandle,
    pub(super) config: Arc<Config>,
    /// Sign-in throttling. A plain mutex: held for a few map operations, never across `.await`.
    pub(super) throttle: Arc<Mutex<Throttle>>,
    pub(super) metrics: Option<PrometheusHandle>,
    pub(super) started: Instant,
    /// The IVR flows in force (swapped whole on reload).
    pub(super) flows: FlowLibrary,
    /// The ACD service, when running (tests of other resources may go without it).
    pub(super) acd: Option<AcdHandle>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState").finish_non_exhaustive()
    }
}

impl ApiState {
    /// State over a store and its log writer.
    #[must_use]
    pub fn new(
        db: Db,
        log: InteractionLogHandle,
        config: Arc<Config>,
        metrics: Option<PrometheusHandle>,
    ) -> Self {
        let a = &config.auth;
        let throttle = Throttle::new(
            a.failure_window,
            a.max_failures_per_account,
            a.max_failures_per_source,
        );
        Self {
            db,
            log,
            config: config.clone(),
            throttle: Arc::new(Mutex::new(throttle)),
            metrics,
            started: Instant::now(),
            flows: FlowLibrary::new(config.paths.flows_dir.clone(), FlowSet::default()),
            acd: None,
        }
    }

    /// The same state serving these IVR flows (the start-up set; reloads swap inside it).
    #[must_use]
    pub fn with_flows(mut self, flows: FlowLibrary) -> Self {
        self.flows = flows;
        self
    }

    /// The same state with the ACD service's handle.
    #[must_use]
    pub fn with_acd(mut self, acd: AcdHandle) -> Self {
        self.acd = Some(acd);
        self
    }
}
