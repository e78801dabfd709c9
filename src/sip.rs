//! SIP (RFC 3261) as a pure, sans-IO core: the message model with its parser and renderer
//! (`message`), the four transaction state machines of §17 (`transaction`) and dialog state of
//! §12 (`dialog`).
//!
//! Everything here is pure: it must not touch sockets, files, tasks or the clock. Drivers feed
//! bytes and `now` in and carry out what comes back (messages to send, the next deadline).

pub mod dialog;
pub mod digest;
pub mod endpoint;
pub mod message;
pub mod registrar;
pub mod transaction;
