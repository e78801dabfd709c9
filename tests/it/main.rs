//! The integration test binary: the HTTP API through the real router (`api`), the command line
//! (`cli`), a real listener with TLS and metrics (`server`), the architecture rules (`tidy`),
//! the store on SQLite and PostgreSQL (`store`) and the log's durability across a killed
//! process (`durability`). Shared helpers live in `support`.

mod acd_api;
mod acd_crash;
mod api;
mod cli;
mod durability;
mod flows;
mod server;
mod sip_client;
mod sip_peers;
mod sip_wire;
mod store;
mod support;
mod tidy;
