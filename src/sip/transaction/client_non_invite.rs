//! The non-INVITE client transaction (RFC 3261 §17.1.2, figure 6): sends the request,
//! retransmits on timer E (doubling to T2, then every T2 once a provisional arrived) over
//! unreliable transports, gives up on timer F and absorbs response retransmissions during
//! timer K. Must not be used for INVITE or ACK.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Output, Timers, TransactionError, doubled};
use crate::sip::message::{Message, Method, Transport};

#[derive(Debug, Clone)]
enum State {
    /// Trying and Proceeding differ only in the retransmission interval.
    Waiting {
        proceeding: bool,
        retransmit_at: Option<Instant>,
        interval: Duration,
        give_up_at: Instant,
    },
    Completed {
        until: Instant,
    },
    Terminated,
}

/// A non-INVITE client transaction.
#[derive(Debug, Clone)]
pub struct ClientNonInvite {
    request: Message,
    reliable: bool,
    timers: Timers,
    state: State,
    outputs: VecDeque<Output>,
}

impl ClientNonInvite {
    /// Starts the transaction: the request is the first output.
    pub fn new(
        now: Instant,
        request: Message,
        transport: Transport,
        timers: Timers,
    ) -> Result<Self, TransactionError> {
        match request.method() {
            None => return Err(TransactionError::WrongKind),
            Some(Method::Invite | Method::Ack) => return Err(TransactionError::WrongMethod),
            Some(_) => {}
        }
        let reliable = transport == Transport::Tcp;
        let state = State::Waiting {
            proceeding: false,
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
        let State::Waiting {
            retransmit_at,
            interval,
            give_up_at,
            ..
        } = self.state
        else {
            return Ok(());
        };
        self.outputs.push_back(Output::Response(response));
        if status < 200 {
            self.state = State::Waiting {
                proceeding: true,
                retransmit_at,
                interval,
                give_up_at,
            };
        } else if self.reliable {
            self.terminate();
        } else {
            self.state = State::Completed {
                until: now + self.timers.t4,
            };
        }
        Ok(())
    }

    /// Fires timers E, F and K that are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Waiting { give_up_at, .. } if now >= give_up_at => {
                self.outputs.push_back(Output::Timeout);
                self.terminate();
            }
            State::Waiting {
                proceeding,
                retransmit_at: Some(at),
                interval,
                give_up_at,
            } if now >= at => {
                let interval = if proceeding {
                    self.timers.t2
                } else {
                    doubled(interval, self.timers.t2)
                };
                self.state = State::Waiting {
                    proceeding,
                    retransmit_at: Some(now + interval),
                    interval,
                    give_up_at,
                };
                self.outputs
                    .push_back(Output::Transmit(self.request.clone()));
            }
            State::Completed { until } if now >= until => self.terminate(),
            _ => {}
        }
    }

    /// The transport could not deliver the request.
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

    /// When [`ClientNonInvite::handle_timeout`] must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Waiting {
                retransmit_at,
                give_up_at,
                ..
            } => Some(retransmit_at.map_or(give_up_at, |r| r.min(give_up_at))),
            State::Completed { until } => Some(until),
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
    use crate::sip::transaction::simulation::{BYE, drain, response};

    fn run(transport: Transport, responses: &[(u64, u16)], end: Duration) -> Vec<(u128, String)> {
        let t0 = Instant::now();
        let req = parse(BYE.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        let mut tx =
            ClientNonInvite::new(t0, req.clone(), transport, Timers::default()).expect("BYE");
        let mut log = Vec::new();
        let mut pending: VecDeque<(Instant, u16)> = responses
            .iter()
            .map(|(ms, s)| (t0 + Duration::from_millis(*ms), *s))
            .collect();
        drain(&mut || tx.poll_output(), t0, t0, &mut log);
        loop {
            let timer = tx.poll_timeout().filter(|at| *at <= t0 + end);
            let next_resp = pending.front().map(|(at, _)| *at);
            match (timer, next_resp) {
                (Some(t), Some(r)) if t < r => tx.handle_timeout(t),
                (_, Some(r)) => {
                    let (_, status) = pending.pop_front().expect("peeked");
                    tx.handle_response(r, response(&req, status, None))
                        .expect("response");
                }
                (Some(t), None) => tx.handle_timeout(t),
                (None, None) => break,
            }
            let now = timer.into_iter().chain(next_resp).min().unwrap_or(t0);
            drain(&mut || tx.poll_output(), t0, now, &mut log);
        }
        log
    }

    fn sends(log: &[(u128, String)]) -> Vec<u128> {
        log.iter()
            .filter(|(_, k)| k == "BYE")
            .map(|(t, _)| *t)
            .collect()
    }

    #[test]
    fn timer_e_doubles_to_t2_and_timer_f_gives_up_at_64_t1() {
        let log = run(Transport::Udp, &[], Duration::from_secs(60));
        assert_eq!(
            sends(&log),
            [
                0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
            ]
        );
        assert_eq!(
            log[log.len() - 2..],
            [(32_000, "Timeout".into()), (32_000, "Terminated".into())]
        );
        let log = run(Transport::Tcp, &[], Duration::from_secs(60));
        assert_eq!(sends(&log), [0]);
    }

    #[test]
    fn proceeding_retransmits_every_t2_and_timer_k_absorbs_retransmitted_finals() {
        let log = run(
            Transport::Udp,
            &[(600, 100), (9000, 200), (9100, 200)],
            Duration::from_secs(60),
        );
        assert_eq!(sends(&log), [0, 500, 1500, 5500]);
        let rest: Vec<(u128, String)> = log.into_iter().filter(|(_, k)| k != "BYE").collect();
        assert_eq!(
            rest,
            [
                (600, "100".into()),
                (9000, "200".into()),
                (14_000, "Terminated".into())
            ]
        );
    }

    #[test]
    fn reliable_final_terminates_at_once() {
        let log = run(Transport::Tcp, &[(10, 404)], Duration::from_secs(60));
        let kinds: Vec<&str> = log.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(kinds, ["BYE", "404", "Terminated"]);
    }
}
