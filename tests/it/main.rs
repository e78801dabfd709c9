//! The integration test binary: the whole platform through its public API.

mod api;
mod cli;
mod server;
mod sip_wire;
