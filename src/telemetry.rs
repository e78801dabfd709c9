//! Logging and metrics set-up, and the field names spans use everywhere.
//!
//! Logs are human-readable by default and JSON when configured; `RUST_LOG` overrides the
//! configured filter. Metrics are kept by a Prometheus recorder rendered at `/metrics`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// The span field naming a call.
pub const CALL_ID: &str = "call_id";
/// The span field naming an agent.
pub const AGENT_ID: &str = "agent_id";
/// The span field naming an interaction.
pub const INTERACTION_ID: &str = "interaction_id";

/// Installs the global log subscriber (once; later calls are ignored).
pub fn init_logging(config: &LogConfig) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match config.format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A subscriber installed earlier (tests, embedding) keeps working.
    drop(result);
}

/// The process's Prometheus recorder handle, installing the recorder on first use; `None`
/// only when another recorder was installed by someone else.
#[must_use]
pub fn init_metrics() -> Option<PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
}
