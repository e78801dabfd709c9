//! The JSON API under `/api/v1`, plus `/metrics`.
//!
//! One `routes()` per resource module; every route is declared once in a `Route` table that
//! both builds the axum router and generates the OpenAPI document, so the two cannot drift.
//! Handlers call services and read the store; they hold no business rules. Every error goes
//! through `ApiError`.

mod acd;
mod agents;
mod body;
mod customers;
mod error;
mod flows;
mod interactions;
mod meta;
mod openapi;
mod queues;
mod route;
mod session;
mod state;
mod view;

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::MethodRouter;

pub use error::ApiError;
pub use route::{Access, Route};
pub use state::ApiState;

/// Every route of the API, in documentation order.
#[must_use]
pub fn routes() -> Vec<Route> {
    let mut all = Vec::new();
    all.extend(meta::routes());
    all.extend(session::routes());
    all.extend(customers::routes());
    all.extend(agents::routes());
    all.extend(queues::routes());
    all.extend(interactions::routes());
    all.extend(flows::routes());
    all.extend(acd::routes());
    all
}

/// The OpenAPI 3 document of `routes()`.
#[must_use]
pub fn openapi_document() -> serde_json::Value {
    openapi::document(&routes())
}

/// The HTTP application: every route of the table, and a JSON 404 for anything else.
pub fn router(state: ApiState) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<ApiState>> = BTreeMap::new();
    for r in routes() {
        let (path, handler) = r.into_parts();
        let merged = match by_path.remove(path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        by_path.insert(path, merged);
    }
    let mut app = Router::new();
    for (path, handler) in by_path {
        app = app.route(path, handler);
    }
    app.fallback(error::not_found_fallback)
        .layer(axum::middleware::from_fn(meta::track))
        .with_state(state)
}

/// The peer address of a connection, plain or TLS (what `ConnectInfo` carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub std::net::SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, crate::tls::TlsListener>>
    for PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}
