//! The INVITE client transaction (RFC 3261 §17.1.1, figure 5): sends the INVITE, retransmits
//! it on timer A over unreliable transports, gives up on timer B, ACKs non-2xx final responses
//! itself and absorbs their retransmissions during timer D. A 2xx ends the transaction (its ACK
//! belongs to the dialog). Must not build any request other than that ACK.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Output, Timers, TransactionError};
use crate::sip::message::{Message, Method, Transport};

#[derive(Debug, Clone)]
enum State {
    Calling {
        retransmit_at: Option<Instant>,
        interval: Duration,
        give_up_at: Instant,
    },
    Proceeding,
    Completed {
        ack: Message,
        until: Instant,
    },
    Terminated,
}

/// An INVITE client transaction.
#[derive(Debug, Clone)]
pub struct ClientInvite {
    request: Message,
    reliable: bool,
    timers: Timers,
    state: State,
    outputs: VecDeque<Output>,
}

impl ClientInvite {
    /// Starts the transaction: the INVITE is the first output.
    pub fn new(
        now: Instant,
        request: Message,
        transport: Transport,
        timers: Timers,
    ) -> Result<Self, TransactionError> {
        if request.method() != Some(&Method::Invite) {
            return Err(TransactionError::WrongMethod);
        }
        request.top_via()?;
        request.cseq()?;
        request.call_id()?;
        let reliable = transport == Transport::Tcp;
        let state = State::Calling {
            retransmit_at: (!reliable).then(|| now + timers.t1),
            interval: timers.t1,
            give_up_at: now + timers.give_up(),
        };
        let outputs = VecDeque::from([Output::Transmit(request.clone())]);
        Ok(Self {
            request,
            reliable,
            timers,
            state,
            outputs,
        })
    }

    /// Feeds a response matched to this transaction.
    pub fn handle_response(
        &mut self,
        now: Instant,
        response: Message,
    ) -> Result<(), TransactionError> {
        let status = response.status().ok_or(TransactionError::WrongKind)?;
        match (&self.state, status) {
            (State::Calling { .. } | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.outputs.push_back(Output::Response(response));
            }
            (State::Calling { .. } | State::Proceeding, 200..=299) => {
                self.outputs.push_back(Output::Response(response));
                self.terminate();
            }
            (State::Calling { .. } | State::Proceeding, _) => {
                let ack = self.ack_for(&response)?;
                self.outputs.push_back(Output::Transmit(ack.clone()));
                self.outputs.push_back(Output::Response(response));
                if self.reliable {
                    self.terminate();
                } else {
                    self.state = State::Completed {
                        ack,
                        until: now + self.timers.d,
                    };
                }
            }
            (State::Completed { ack, .. }, 300..) => {
                self.outputs.push_back(Output::Transmit(ack.clone()));
            }
            _ => {}
        }
        Ok(())
    }

    /// Fires timers A, B and D that are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &self.state {
            State::Calling { give_up_at, .. } if now >= *give_up_at => {
                self.outputs.push_back(Output::Timeout);
                self.terminate();
            }
            State::Calling {
                retransmit_at: Some(at),
                interval,
                give_up_at,
            } if now >= *at => {
                let interval = interval.saturating_mul(2);
                self.state = State::Calling {
                    retransmit_at: Some(now + interval),
                    interval,
                    give_up_at: *give_up_at,
                };
                self.outputs
                    .push_back(Output::Transmit(self.request.clone()));
            }
            State::Completed { until, .. } if now >= *until => self.terminate(),
            _ => {}
        }
    }

    /// The transport could not deliver the INVITE.
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

    /// When [`ClientInvite::handle_timeout`] must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Calling {
                retransmit_at,
                give_up_at,
                ..
            } => Some(retransmit_at.map_or(*give_up_at, |r| r.min(*give_up_at))),
            State::Completed { until, .. } => Some(*until),
            State::Proceeding | State::Terminated => None,
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

    /// The ACK for a non-2xx final response (§17.1.1.3): Request-URI, Call-ID, From, top Via and
    /// Route of the INVITE, To of the response, CSeq number of the INVITE with method ACK.
    fn ack_for(&self, response: &Message) -> Result<Message, TransactionError> {
        let uri = self
            .request
            .request_uri()
            .ok_or(TransactionError::WrongKind)?
            .clone();
        let mut ack = Message::request(Method::Ack, uri);
        ack.headers
            .push("Via", &self.request.top_via()?.to_string());
        ack.headers.push("Max-Forwards", "70");
        let copy = |ack: &mut Message, from: &Message, name: &'static str| {
            from.header(name)
                .map(|v| ack.headers.push(name, v))
                .ok_or(crate::sip::message::MessageError::MissingHeader { name })
        };
        copy(&mut ack, &self.request, "From")?;
        copy(&mut ack, response, "To")?;
        copy(&mut ack, &self.request, "Call-ID")?;
        ack.headers
            .push("CSeq", &format!("{} ACK", self.request.cseq()?.seq));
        for route in self.request.headers.all("Route") {
            ack.headers.push("Route", route);
        }
        ack.headers.push("Content-Length", "0");
        Ok(ack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Limits, parse};
    use crate::sip::transaction::simulation::{INVITE, drain, response};

    fn start(transport: Transport) -> (Instant, ClientInvite) {
        let now = Instant::now();
        let req = parse(INVITE.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        let tx = ClientInvite::new(now, req, transport, Timers::default()).expect("INVITE");
        (now, tx)
    }

    /// Runs timers up to `end` and records (ms since start, output kind) for each output.
    fn run_until(tx: &mut ClientInvite, t0: Instant, end: Duration) -> Vec<(u128, String)> {
        let mut log = Vec::new();
        drain(&mut || tx.poll_output(), t0, t0, &mut log);
        while let Some(at) = tx.poll_timeout().filter(|at| *at <= t0 + end) {
            tx.handle_timeout(at);
            drain(&mut || tx.poll_output(), t0, at, &mut log);
        }
        log
    }

    #[test]
    fn timer_a_doubles_until_timer_b_gives_up_at_64_t1() {
        let (t0, mut tx) = start(Transport::Udp);
        let log = run_until(&mut tx, t0, Duration::from_secs(60));
        let sends: Vec<u128> = log
            .iter()
            .filter(|(_, k)| k == "INVITE")
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(sends, [0, 500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(
            log[log.len() - 2..],
            [(32_000, "Timeout".into()), (32_000, "Terminated".into())]
        );
    }

    #[test]
    fn reliable_transport_never_retransmits() {
        let (t0, mut tx) = start(Transport::Tcp);
        let log = run_until(&mut tx, t0, Duration::from_secs(60));
        let kinds: Vec<&str> = log.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(kinds, ["INVITE", "Timeout", "Terminated"]);
    }

    #[test]
    fn non_2xx_is_acked_once_per_retransmission_and_timer_d_ends_it() {
        let (t0, mut tx) = start(Transport::Udp);
        let req = parse(INVITE.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        let mut log = run_until(&mut tx, t0, Duration::from_millis(100));
        let busy = response(&req, 486, Some("srv"));
        tx.handle_response(t0 + Duration::from_millis(200), busy.clone())
            .expect("response");
        tx.handle_response(t0 + Duration::from_millis(900), busy)
            .expect("retransmission");
        drain(&mut || tx.poll_output(), t0, t0, &mut log);
        let kinds: Vec<&str> = log.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(kinds, ["INVITE", "ACK", "486", "ACK"]);
        assert_eq!(
            tx.poll_timeout(),
            Some(t0 + Duration::from_millis(200) + Duration::from_secs(32))
        );
        let log = run_until(&mut tx, t0, Duration::from_secs(40));
        assert_eq!(log, [(32_200, "Terminated".to_owned())]);
    }

    #[test]
    fn ack_has_the_headers_of_17_1_1_3() {
        let (t0, mut tx) = start(Transport::Udp);
        let req = parse(INVITE.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        tx.handle_response(t0, response(&req, 404, Some("x9")))
            .expect("response");
        tx.poll_output();
        let Some(Output::Transmit(ack)) = tx.poll_output() else {
            panic!("ACK first")
        };
        assert_eq!(ack.method(), Some(&Method::Ack));
        assert_eq!(ack.request_uri(), req.request_uri());
        assert_eq!(
            ack.to()
                .ok()
                .and_then(|t| t.tag().map(str::to_owned))
                .as_deref(),
            Some("x9")
        );
        assert_eq!(ack.cseq().map(|c| (c.seq, c.method)), Ok((1, Method::Ack)));
        assert_eq!(ack.top_via(), req.top_via());
        assert_eq!(ack.vias().map(|v| v.len()), Ok(1));
        assert_eq!(ack.routes(), req.routes());
        assert_eq!(ack.call_id(), req.call_id());
    }

    #[test]
    fn two_hundred_passes_up_and_terminates_and_transport_errors_end_it() {
        let (t0, mut tx) = start(Transport::Udp);
        let req = parse(INVITE.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        tx.handle_response(t0, response(&req, 180, Some("a")))
            .expect("180");
        assert_eq!(tx.poll_timeout(), None, "no timer in Proceeding");
        tx.handle_response(t0, response(&req, 200, Some("a")))
            .expect("200");
        let mut log = Vec::new();
        drain(&mut || tx.poll_output(), t0, t0, &mut log);
        let kinds: Vec<&str> = log.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(kinds, ["INVITE", "180", "200", "Terminated"]);
        let (_, mut tx) = start(Transport::Tcp);
        tx.handle_transport_error();
        assert!(tx.is_terminated());
    }
}
