//! Health, version, the OpenAPI document, Prometheus metrics, and the per-request span and
//! counters.

use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use tracing::Instrument;

use super::error::ApiError;
use super::route::{Access, Route};
use super::state::ApiState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/health", health)
            .summary("Liveness and store reachability")
            .access(Access::Public)
            .answers::<Health>(),
        Route::get("/api/v1/version", version)
            .summary("The running version")
            .access(Access::Public)
            .answers::<Version>(),
        Route::get("/api/v1/openapi.json", openapi)
            .summary("This document")
            .access(Access::Public),
        Route::get("/metrics", metrics)
            .summary("Prometheus metrics (text format)")
            .access(Access::Public),
    ]
}

/// Health.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct Health {
    /// `ok` when the store answers.
    status: String,
    /// The running version.
    version: String,
    /// Seconds since start.
    uptime_seconds: u64,
}

/// Version.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct Version {
    /// The running version.
    version: String,
}

async fn health(State(state): State<ApiState>) -> Result<Json<Health>, ApiError> {
    state.db.count_queues().await?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_seconds: state.started.elapsed().as_secs(),
    }))
}

async fn version() -> Json<Version> {
    Json(Version {
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

async fn openapi() -> Json<serde_json::Value> {
    Json(super::openapi_document())
}

async fn metrics(State(state): State<ApiState>) -> Response {
    let text = state
        .metrics
        .as_ref()
        .map(|m| m.render())
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// One span per request; request counts and durations by route template and status class
/// (low-cardinality labels).
pub(super) async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = req.method().clone();
    let span = tracing::info_span!("http", method = %method, route = %route);
    let started = Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status();
    let class = format!("{}xx", status.as_u16() / 100);
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", class),
    ];
    metrics::counter!("switchyard_http_requests_total", &labels).increment(1);
    metrics::histogram!("switchyard_http_request_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    span.in_scope(|| tracing::debug!(status = status.as_u16(), "answered"));
    response
}
