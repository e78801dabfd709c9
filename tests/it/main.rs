//! The integration test binary: the whole platform through its public API.

mod api;
mod cli;
mod server;
mod sip_client;
mod sip_peers;
mod sip_wire;
