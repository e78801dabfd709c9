//! The integration test binary: the whole platform through its public API.

mod api;
mod cli;
mod flows;
mod server;
