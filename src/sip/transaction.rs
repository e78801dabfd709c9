//! SIP transactions (RFC 3261 §17) as pure state machines: one type per kind
//! ([`ClientInvite`], [`ClientNonInvite`], [`ServerInvite`], [`ServerNonInvite`]), each with a
//! private state enum whose variants carry their timers, plus transaction keys and CANCEL
//! matching (`key`).
//!
//! Every type has the same shape: `handle_*(now, input)` feeds a message or a timeout,
//! [`Output`]s are drained with `poll_output()`, and `poll_timeout()` gives the next deadline.
//! Pure: no sockets, no clock, no tasks; the caller owns time and carries out the outputs.

mod client_invite;
mod client_non_invite;
mod key;
mod server_invite;
mod server_non_invite;

#[cfg(test)]
mod simulation;

use std::time::Duration;

pub use client_invite::ClientInvite;
pub use client_non_invite::ClientNonInvite;
pub use key::{ClientKey, ServerKey};
pub use server_invite::ServerInvite;
pub use server_non_invite::ServerNonInvite;

use super::message::{Message, MessageError};

/// The RFC 3261 timer base values (Table 4). Timers A-K derive from these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// RTT estimate (default 500 ms): first retransmission interval; 64*T1 is the give-up time.
    pub t1: Duration,
    /// Cap of non-INVITE and INVITE-response retransmission intervals (default 4 s).
    pub t2: Duration,
    /// How long the network may hold a message (default 5 s): timers I and K.
    pub t4: Duration,
    /// Timer D, the client INVITE wait for final-response retransmissions (default 32 s).
    pub d: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            d: Duration::from_secs(32),
        }
    }
}

impl Timers {
    /// 64*T1: timers B, F, H and J.
    #[must_use]
    pub fn give_up(&self) -> Duration {
        self.t1.saturating_mul(64)
    }
}

/// What a transaction asks its caller to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this message to the transaction's peer (a request, retransmission, ACK or response).
    Transmit(Message),
    /// A response for the transaction user (client transactions only).
    Response(Message),
    /// No final response (timers B, F) or no ACK (timer H) arrived in time.
    Timeout,
    /// The transport failed; the transaction is over.
    TransportError,
    /// The transaction is over: remove it from the table.
    Terminated,
}

/// Misuse of a transaction or a message it cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// The request's method does not fit this kind of transaction.
    #[error("request method does not fit this transaction kind")]
    WrongMethod,
    /// A request was given where a response was expected, or the other way round.
    #[error("wrong kind of message (request vs response)")]
    WrongKind,
    /// The transaction user sent a response after the final one (or after termination).
    #[error("response after the final response")]
    TooLate,
    /// A header the transaction needs is missing or malformed.
    #[error("malformed message: {0}")]
    Message(#[from] MessageError),
}

/// A 100 Trying (or any status) for `request`, per RFC 3261 §8.2.6.
pub(crate) fn response_for(request: &Message, status: u16, reason: &str) -> Message {
    Message::response_to(request, status, reason)
}

/// Doubles an interval, capped at `cap`.
pub(crate) fn doubled(interval: Duration, cap: Duration) -> Duration {
    interval.saturating_mul(2).min(cap)
}
