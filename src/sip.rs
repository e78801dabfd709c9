//! SIP (RFC 3261): a pure, sans-IO core (the message model with its parser and renderer in
//! `message`, the four transaction state machines of §17 in `transaction`, dialog state of §12
//! in `dialog`, digest authentication in `digest`, the authenticating registrar in `registrar`
//! and the demultiplexing endpoint in `endpoint`) and its one tokio driver (`service`, with
//! the TCP/TLS connections in `transport`).
//!
//! The core must not touch sockets, files, tasks or the clock: `service` feeds bytes and `now`
//! in and carries out what comes back (messages to send, the next deadline). Only `service`
//! and `transport` do I/O.

pub mod dialog;
pub mod digest;
pub mod endpoint;
pub mod message;
pub mod registrar;
pub mod service;
pub mod transaction;
mod transport;
