//! The INVITE server transaction (RFC 3261 §17.2.1, figure 7): sends 100 Trying if the
//! transaction user is silent for 200 ms, absorbs INVITE retransmissions by resending the last
//! response, retransmits a non-2xx final response on timer G until the ACK arrives or timer H
//! gives up, then absorbs ACKs during timer I. A 2xx ends the transaction (the transaction user
//! retransmits it). Must not pass retransmissions or the ACK of a non-2xx to the user.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Output, Timers, TransactionError, doubled, response_for};
use crate::sip::message::{Message, Method, Transport};

/// How long the transaction user may stay silent before we send 100 Trying (§17.2.1).
const TRYING_AFTER: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
enum State {
    Proceeding {
        last_provisional: Option<Message>,
        trying_at: Option<Instant>,
    },
    Completed {
        response: Message,
        retransmit_at: Option<Instant>,
        interval: Duration,
        give_up_at: Instant,
    },
    Confirmed {
        until: Instant,
    },
    Terminated,
}

/// An INVITE server transaction. The caller hands the INVITE to the transaction user itself.
#[derive(Debug, Clone)]
pub struct ServerInvite {
    request: Message,
    reliable: bool,
    timers: Timers,
    state: State,
    outputs: VecDeque<Output>,
}

impl ServerInvite {
    /// Creates the transaction for a received INVITE.
    pub fn new(
        now: Instant,
        request: Message,
        transport: Transport,
        timers: Timers,
    ) -> Result<Self, TransactionError> {
        if request.method() != Some(&Method::Invite) {
            return Err(TransactionError::WrongMethod);
        }
        Ok(Self {
            request,
            reliable: transport == Transport::Tcp,
            timers,
            state: State::Proceeding {
                last_provisional: None,
                trying_at: Some(now + TRYING_AFTER),
            },
            outputs: VecDeque::new(),
        })
    }

    /// The INVITE this transaction serves.
    #[must_use]
    pub fn request(&self) -> &Message {
        &self.request
    }

    /// Feeds a retransmitted INVITE or an ACK matched to this transaction.
    pub fn handle_request(
        &mut self,
        now: Instant,
        request: &Message,
    ) -> Result<(), TransactionError> {
        let method = request.method().ok_or(TransactionError::WrongKind)?;
        match (&self.state, method) {
            (
                State::Proceeding {
                    last_provisional: Some(p),
                    ..
                },
                Method::Invite,
            ) => {
                self.outputs.push_back(Output::Transmit(p.clone()));
            }
            (State::Completed { response, .. }, Method::Invite) => {
                self.outputs.push_back(Output::Transmit(response.clone()));
            }
            (State::Completed { .. }, Method::Ack) => {
                if self.reliable {
                    self.terminate();
                } else {
                    self.state = State::Confirmed {
                        until: now + self.timers.t4,
                    };
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Sends a response from the transaction user.
    pub fn respond(&mut self, now: Instant, response: Message) -> Result<(), TransactionError> {
        let status = response.status().ok_or(TransactionError::WrongKind)?;
        if !matches!(self.state, State::Proceeding { .. }) {
            return Err(TransactionError::TooLate);
        }
        self.outputs.push_back(Output::Transmit(response.clone()));
        match status {
            100..=199 => {
                self.state = State::Proceeding {
                    last_provisional: Some(response),
                    trying_at: None,
                };
            }
            200..=299 => self.terminate(),
            _ => {
                self.state = State::Completed {
                    response,
                    retransmit_at: (!self.reliable).then(|| now + self.timers.t1),
                    interval: self.timers.t1,
                    give_up_at: now + self.timers.give_up(),
                };
            }
        }
        Ok(())
    }

    /// Fires the 100 Trying timer and timers G, H and I that are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &self.state {
            State::Proceeding {
                trying_at: Some(at),
                ..
            } if now >= *at => {
                let trying = response_for(&self.request, 100, "Trying");
                self.outputs.push_back(Output::Transmit(trying.clone()));
                self.state = State::Proceeding {
                    last_provisional: Some(trying),
                    trying_at: None,
                };
            }
            State::Completed { give_up_at, .. } if now >= *give_up_at => {
                self.outputs.push_back(Output::Timeout);
                self.terminate();
            }
            State::Completed {
                response,
                retransmit_at: Some(at),
                interval,
                give_up_at,
            } if now >= *at => {
                let interval = doubled(*interval, self.timers.t2);
                self.outputs.push_back(Output::Transmit(response.clone()));
                self.state = State::Completed {
                    response: response.clone(),
                    retransmit_at: Some(now + interval),
                    interval,
                    give_up_at: *give_up_at,
                };
            }
            State::Confirmed { until } if now >= *until => self.terminate(),
            _ => {}
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

    /// When [`ServerInvite::handle_timeout`] must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Proceeding { trying_at, .. } => *trying_at,
            State::Completed {
                retransmit_at,
                give_up_at,
                ..
            } => Some(retransmit_at.map_or(*give_up_at, |r| r.min(*give_up_at))),
            State::Confirmed { until } => Some(*until),
            State::Terminated => None,
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
    use super::*;
    use crate::sip::message::{Limits, parse};
    use crate::sip::transaction::simulation::{INVITE, drain, response};

    fn start(transport: Transport) -> (Instant, Message, ServerInvite) {
        let t0 = Instant::now();
        let req = parse(INVITE.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        let tx = ServerInvite::new(t0, req.clone(), transport, Timers::default()).expect("INVITE");
        (t0, req, tx)
    }

    fn run_timers(
        tx: &mut ServerInvite,
        t0: Instant,
        end: Duration,
        log: &mut Vec<(u128, String)>,
    ) {
        while let Some(at) = tx.poll_timeout().filter(|at| *at <= t0 + end) {
            tx.handle_timeout(at);
            drain(&mut || tx.poll_output(), t0, at, log);
        }
    }

    #[test]
    fn trying_after_200_ms_and_retransmitted_invites_get_the_last_provisional() {
        let (t0, req, mut tx) = start(Transport::Udp);
        let mut log = Vec::new();
        run_timers(&mut tx, t0, Duration::from_millis(300), &mut log);
        tx.handle_request(t0 + Duration::from_millis(500), &req)
            .expect("retransmission");
        tx.respond(
            t0 + Duration::from_millis(600),
            response(&req, 180, Some("s")),
        )
        .expect("180");
        tx.handle_request(t0 + Duration::from_millis(700), &req)
            .expect("retransmission");
        drain(
            &mut || tx.poll_output(),
            t0,
            t0 + Duration::from_millis(700),
            &mut log,
        );
        let kinds: Vec<&str> = log.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(kinds, ["100", "100", "180", "180"]);
        assert_eq!(log[0].0, 200);
    }

    #[test]
    fn timer_g_doubles_to_t2_until_timer_h() {
        let (t0, req, mut tx) = start(Transport::Udp);
        tx.respond(t0, response(&req, 486, Some("s"))).expect("486");
        let mut log = Vec::new();
        drain(&mut || tx.poll_output(), t0, t0, &mut log);
        run_timers(&mut tx, t0, Duration::from_secs(60), &mut log);
        let sends: Vec<u128> = log
            .iter()
            .filter(|(_, k)| k == "486")
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(
            sends,
            [
                0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
            ]
        );
        assert_eq!(
            log[log.len() - 2..],
            [(32_000, "Timeout".into()), (32_000, "Terminated".into())]
        );
        assert_eq!(
            tx.respond(t0, response(&req, 200, None)),
            Err(TransactionError::TooLate)
        );
    }

    #[test]
    fn ack_stops_g_and_timer_i_absorbs_acks() {
        let (t0, req, mut tx) = start(Transport::Udp);
        tx.respond(t0, response(&req, 603, Some("s"))).expect("603");
        let mut ack = req.clone();
        if let crate::sip::message::StartLine::Request { method, .. } = &mut ack.start {
            *method = Method::Ack;
        }
        tx.handle_request(t0 + Duration::from_millis(100), &ack)
            .expect("ACK");
        tx.handle_request(t0 + Duration::from_millis(200), &ack)
            .expect("ACK again");
        tx.handle_request(t0 + Duration::from_millis(300), &req)
            .expect("late INVITE");
        let mut log = Vec::new();
        drain(&mut || tx.poll_output(), t0, t0, &mut log);
        run_timers(&mut tx, t0, Duration::from_secs(60), &mut log);
        assert_eq!(log, [(0, "603".into()), (5100, "Terminated".into())]);
        let (t0, req, mut tx) = start(Transport::Tcp);
        tx.respond(t0, response(&req, 603, Some("s"))).expect("603");
        assert_eq!(
            tx.poll_timeout(),
            Some(t0 + Duration::from_secs(32)),
            "no timer G on TCP"
        );
        tx.handle_request(t0, &ack).expect("ACK");
        assert!(tx.is_terminated(), "timer I is zero on TCP");
    }

    #[test]
    fn two_hundred_terminates() {
        let (t0, req, mut tx) = start(Transport::Udp);
        tx.respond(t0, response(&req, 200, Some("s"))).expect("200");
        assert!(tx.is_terminated());
        assert_eq!(tx.poll_timeout(), None);
    }
}
