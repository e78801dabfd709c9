//! The non-INVITE server transaction (RFC 3261 §17.2.2, figure 8): absorbs request
//! retransmissions (silently while Trying, by resending the last response afterwards) and
//! keeps the final response for timer J. Must not retransmit on its own: only a retransmitted
//! request triggers a resend.

use std::collections::VecDeque;
use std::time::Instant;

use super::{Output, Timers, TransactionError};
use crate::sip::message::{Message, Method, Transport};

#[derive(Debug, Clone)]
enum State {
    Trying,
    Proceeding { last: Message },
    Completed { response: Message, until: Instant },
    Terminated,
}

/// A non-INVITE server transaction. The caller hands the request to the transaction user.
#[derive(Debug, Clone)]
pub struct ServerNonInvite {
    request: Message,
    reliable: bool,
    timers: Timers,
    state: State,
    outputs: VecDeque<Output>,
}

impl ServerNonInvite {
    /// Creates the transaction for a received non-INVITE, non-ACK request.
    pub fn new(
        request: Message,
        transport: Transport,
        timers: Timers,
    ) -> Result<Self, TransactionError> {
        match request.method() {
            None => return Err(TransactionError::WrongKind),
            Some(Method::Invite | Method::Ack) => return Err(TransactionError::WrongMethod),
            Some(_) => {}
        }
        Ok(Self {
            request,
            reliable: transport == Transport::Tcp,
            timers,
            state: State::Trying,
            outputs: VecDeque::new(),
        })
    }

    /// The request this transaction serves.
    #[must_use]
    pub fn request(&self) -> &Message {
        &self.request
    }

    /// Feeds a retransmission of the request.
    pub fn handle_request(
        &mut self,
        _now: Instant,
        request: &Message,
    ) -> Result<(), TransactionError> {
        if !request.is_request() {
            return Err(TransactionError::WrongKind);
        }
        match &self.state {
            State::Proceeding { last } | State::Completed { response: last, .. } => {
                self.outputs.push_back(Output::Transmit(last.clone()));
            }
            State::Trying | State::Terminated => {}
        }
        Ok(())
    }

    /// Sends a response from the transaction user.
    pub fn respond(&mut self, now: Instant, response: Message) -> Result<(), TransactionError> {
        let status = response.status().ok_or(TransactionError::WrongKind)?;
        if !matches!(self.state, State::Trying | State::Proceeding { .. }) {
            return Err(TransactionError::TooLate);
        }
        self.outputs.push_back(Output::Transmit(response.clone()));
        if status < 200 {
            self.state = State::Proceeding { last: response };
        } else if self.reliable {
            self.terminate();
        } else {
            self.state = State::Completed {
                response,
                until: now + self.timers.give_up(),
            };
        }
        Ok(())
    }

    /// Fires timer J when due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let State::Completed { until, .. } = self.state
            && now >= until
        {
            self.terminate();
        }
    }

    /// The transport could not deliver a response.
    pub fn handle_transport_error(&mut self) {
        if !matches!(self.state, State::Terminated) {
            self.outputs.push_back(Output::TransportError);
            self.terminate();
        }
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`ServerNonInvite::handle_timeout`] must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Completed { until, .. } => Some(*until),
            _ => None,
        }
    }

    /// True once the transaction is over.
    #[must_use]
    pub fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.outputs.push_back(Output::Terminated);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sip::message::{Limits, parse};
    use crate::sip::transaction::simulation::{BYE, drain, response};

    #[test]
    fn retransmissions_are_absorbed_and_timer_j_ends_it() {
        let t0 = Instant::now();
        let req = parse(BYE.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        let mut tx =
            ServerNonInvite::new(req.clone(), Transport::Udp, Timers::default()).expect("BYE");
        let mut log = Vec::new();
        tx.handle_request(t0, &req).expect("silent while Trying");
        tx.respond(t0, response(&req, 100, None)).expect("100");
        tx.handle_request(t0, &req).expect("resend 100");
        tx.respond(t0 + Duration::from_secs(1), response(&req, 200, Some("t")))
            .expect("200");
        tx.handle_request(t0 + Duration::from_secs(2), &req)
            .expect("resend 200");
        drain(&mut || tx.poll_output(), t0, t0, &mut log);
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(33)));
        tx.handle_timeout(t0 + Duration::from_secs(32));
        assert!(!tx.is_terminated());
        tx.handle_timeout(t0 + Duration::from_secs(33));
        drain(
            &mut || tx.poll_output(),
            t0,
            t0 + Duration::from_secs(33),
            &mut log,
        );
        let kinds: Vec<&str> = log.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(kinds, ["100", "100", "200", "200", "Terminated"]);
        assert_eq!(
            tx.respond(t0, response(&req, 200, None)),
            Err(TransactionError::TooLate)
        );
    }

    #[test]
    fn reliable_final_terminates_and_invite_is_refused() {
        let req = parse(BYE.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        let mut tx =
            ServerNonInvite::new(req.clone(), Transport::Tcp, Timers::default()).expect("BYE");
        tx.respond(Instant::now(), response(&req, 200, None))
            .expect("200");
        assert!(tx.is_terminated());
        let invite = parse(
            crate::sip::transaction::simulation::INVITE.as_bytes(),
            Transport::Udp,
            &Limits::default(),
        )
        .expect("parses");
        assert_eq!(
            ServerNonInvite::new(invite, Transport::Tcp, Timers::default()).err(),
            Some(TransactionError::WrongMethod)
        );
    }
}
