//! The SIP endpoint as a pure demultiplexer: raw datagrams and framed stream messages in,
//! bytes to send (with their destination) and events out, and the next deadline. It classifies
//! each message (`message::classify_datagram`), absorbs retransmissions (server transactions),
//! answers REGISTER through the `registrar`, OPTIONS itself, and everything else per RFC 3261
//! §8.2; malformed requests get a 400 with a reason phrase, stray or broken responses are
//! dropped with a reason for the driver's `debug` log.
//!
//! Pure: no sockets, no clock, no tasks. Must not do I/O; the driver (`sip::service`) reads
//! sockets, calls `handle_message`/`handle_timeout`, sends what `poll_output` returns and sleeps
//! until `poll_timeout`.

mod reply;

#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use core::net::SocketAddr;

use crate::domain::Timestamp;
use crate::sip::message::{
    Limits, Message, MessageError, Method, Transport, UasPolicy, Verdict, check_uas,
    classify_datagram,
};
use crate::sip::registrar::{Registrar, RegistrarEvent};
use crate::sip::transaction::{Output as TxOutput, ServerInvite, ServerKey, Timers};

/// A stream connection, numbered by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// Where a message came from or goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flow {
    /// A UDP peer.
    Udp(SocketAddr),
    /// A TCP or TLS connection and its peer.
    Stream {
        /// The connection.
        id: ConnectionId,
        /// The peer's address.
        peer: SocketAddr,
    },
}

impl Flow {
    /// The peer's address.
    #[must_use]
    pub fn peer(&self) -> SocketAddr {
        match self {
            Flow::Udp(a) | Flow::Stream { peer: a, .. } => *a,
        }
    }

    fn transport(&self) -> Transport {
        match self {
            Flow::Udp(_) => Transport::Udp,
            Flow::Stream { .. } => Transport::Tcp,
        }
    }
}

/// Why a message was dropped without an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// Unparseable, or a broken response, or a broken request without a Via.
    Malformed(MessageError),
    /// A response that matches no client transaction.
    StrayResponse,
    /// An ACK or CANCEL that matches nothing, or a response that would go to broadcast.
    Unroutable,
}

/// What the endpoint asks of its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes.
    Transmit {
        /// Where.
        to: Flow,
        /// The rendered message.
        bytes: Vec<u8>,
    },
    /// A message was dropped (log at `debug`).
    Dropped {
        /// Who sent it.
        from: SocketAddr,
        /// Why.
        reason: DropReason,
    },
    /// Something the registrar reports (persist bindings, log guessing).
    Registrar(RegistrarEvent),
}

/// Endpoint settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// Size limits for every message.
    pub limits: Limits,
    /// Transaction timers.
    pub timers: Timers,
    /// Answered non-INVITE transactions remembered at most (for absorbing retransmissions);
    /// beyond it the oldest are forgotten early.
    pub max_transactions: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            timers: Timers::default(),
            max_transactions: 200_000,
        }
    }
}

/// A non-INVITE server transaction over UDP, reduced to what absorbing retransmissions needs
/// (RFC 3261 §17.2.2): nothing while the answer is held back, then the rendered final response
/// until timer J. Keeping bytes instead of two parsed messages makes it about a third of the
/// size of a `ServerNonInvite`, which matters at thousands of REGISTERs per second.
#[derive(Debug)]
enum Answered {
    Pending,
    Final { to: Flow, bytes: Vec<u8> },
}

/// A server transaction key (§17.2.3) plus the peer's address: a request from elsewhere that
/// happens to reuse a branch (RFC 4475 messages do) is a new request, not a retransmission.
type TxKey = (ServerKey, SocketAddr);

#[derive(Debug)]
struct Held {
    key: Option<TxKey>,
    to: Flow,
    bytes: Vec<u8>,
}

const POLICY: UasPolicy<'static> = UasPolicy {
    methods: &[
        Method::Invite,
        Method::Ack,
        Method::Cancel,
        Method::Bye,
        Method::Options,
        Method::Register,
    ],
    extensions: &[],
    content_types: &["application/sdp"],
};

/// The endpoint: registrar, transactions, held answers and outputs.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    registrar: Registrar,
    answered: HashMap<TxKey, Answered>,
    expiry: VecDeque<(Instant, TxKey)>,
    invites: HashMap<TxKey, (ServerInvite, Flow)>,
    held: BinaryHeap<Reverse<(Instant, u64)>>,
    held_items: HashMap<u64, Held>,
    next_sweep: Option<Instant>,
    tag_seed: u64,
    counter: u64,
    outputs: VecDeque<Output>,
}

impl Endpoint {
    /// An endpoint around a registrar; `tag_seed` (random, from the driver) makes To tags
    /// unique across restarts.
    #[must_use]
    pub fn new(config: EndpointConfig, registrar: Registrar, tag_seed: u64) -> Self {
        Self {
            config,
            registrar,
            answered: HashMap::new(),
            expiry: VecDeque::new(),
            invites: HashMap::new(),
            held: BinaryHeap::new(),
            held_items: HashMap::new(),
            next_sweep: None,
            tag_seed,
            counter: 0,
            outputs: VecDeque::new(),
        }
    }

    /// The registrar (to load the directory and bindings, and look bindings up).
    pub fn registrar_mut(&mut self) -> &mut Registrar {
        &mut self.registrar
    }

    /// The registrar, read-only.
    #[must_use]
    pub fn registrar(&self) -> &Registrar {
        &self.registrar
    }

    /// Non-INVITE answers remembered for retransmissions (for tests and metrics).
    #[must_use]
    pub fn remembered(&self) -> usize {
        self.answered.len()
    }

    fn next_tag(&mut self) -> String {
        self.counter += 1;
        format!("{:x}{:x}", self.tag_seed, self.counter)
    }

    /// Feeds one datagram, or one message framed from a stream, received from `from`.
    pub fn handle_message(&mut self, now: Instant, wall: Timestamp, from: Flow, bytes: &[u8]) {
        if self.next_sweep.is_none() {
            self.next_sweep = Some(now + Duration::from_secs(1));
        }
        match classify_datagram(bytes, from.transport(), &self.config.limits) {
            Verdict::Request(mut m) => {
                reply::stamp_via(&mut m.headers, from.peer());
                self.handle_request(now, wall, from, m);
            }
            Verdict::Reject { error, mut headers } => {
                reply::stamp_via(&mut headers, from.peer());
                let mut response = reply::reject(headers, &error);
                let tag = self.next_tag();
                reply::tag_response(&mut response, &tag);
                self.send(&from, &response);
            }
            Verdict::Response(_) => self.drop_message(from.peer(), DropReason::StrayResponse),
            Verdict::Discard(error) => {
                self.drop_message(from.peer(), DropReason::Malformed(error));
            }
        }
    }

    fn drop_message(&mut self, from: SocketAddr, reason: DropReason) {
        self.outputs.push_back(Output::Dropped { from, reason });
    }

    fn send(&mut self, flow: &Flow, response: &Message) -> Option<(Flow, Vec<u8>)> {
        match reply::destination(&response.headers, flow) {
            Some(to) => {
                let bytes = response.render();
                self.outputs.push_back(Output::Transmit {
                    to: to.clone(),
                    bytes: bytes.clone(),
                });
                Some((to, bytes))
            }
            None => {
                self.drop_message(flow.peer(), DropReason::Unroutable);
                None
            }
        }
    }

    fn handle_request(&mut self, now: Instant, wall: Timestamp, from: Flow, m: Message) {
        let Ok(key) = ServerKey::of(&m) else {
            return self.drop_message(from.peer(), DropReason::Unroutable);
        };
        let key = (key, from.peer());
        match m.method() {
            Some(Method::Ack) => return self.handle_ack(now, &from, key, &m),
            Some(Method::Cancel) => return self.handle_cancel(&from, &m),
            Some(Method::Invite) => return self.handle_invite(now, from, key, m),
            _ => {}
        }
        if let Some(seen) = self.answered.get(&key) {
            if let Answered::Final { to, bytes } = seen {
                self.outputs.push_back(Output::Transmit {
                    to: to.clone(),
                    bytes: bytes.clone(),
                });
            }
            return;
        }
        let (mut response, delay) = match check_uas(&m, &POLICY) {
            Err(e) => (reply::refusal(&m, &e), Duration::ZERO),
            Ok(()) => match m.method() {
                Some(Method::Register) => {
                    let r = self.registrar.handle_register(&m, from.peer(), wall);
                    while let Some(e) = self.registrar.poll_event() {
                        self.outputs.push_back(Output::Registrar(e));
                    }
                    (r.response, r.delay)
                }
                Some(Method::Options) => (reply::options_ok(&m), Duration::ZERO),
                _ => (
                    Message::response_to(&m, 481, "Call/Transaction Does Not Exist"),
                    Duration::ZERO,
                ),
            },
        };
        let tag = self.next_tag();
        reply::tag_response(&mut response, &tag);
        let remember = matches!(from, Flow::Udp(_));
        if delay > Duration::ZERO {
            let Some(to) = reply::destination(&response.headers, &from) else {
                return self.drop_message(from.peer(), DropReason::Unroutable);
            };
            self.counter += 1;
            let id = self.counter;
            self.held.push(Reverse((now + delay, id)));
            let key = remember.then(|| {
                self.remember(now, key.clone(), Answered::Pending);
                key
            });
            self.held_items.insert(
                id,
                Held {
                    key,
                    to,
                    bytes: response.render(),
                },
            );
            return;
        }
        if let Some((to, bytes)) = self.send(&from, &response)
            && remember
        {
            self.remember(now, key, Answered::Final { to, bytes });
        }
    }

    fn remember(&mut self, now: Instant, key: TxKey, answer: Answered) {
        while self.answered.len() >= self.config.max_transactions {
            match self.expiry.pop_front() {
                Some((_, old)) => {
                    self.answered.remove(&old);
                }
                None => break,
            }
        }
        let fresh = self.answered.insert(key.clone(), answer).is_none();
        if fresh {
            self.expiry
                .push_back((now + self.config.timers.give_up(), key));
        }
    }

    fn handle_invite(&mut self, now: Instant, from: Flow, key: TxKey, m: Message) {
        if let Some((tx, _)) = self.invites.get_mut(&key) {
            let _ = tx.handle_request(now, &m);
            return self.drain_invite(&key);
        }
        let mut response = match check_uas(&m, &POLICY) {
            Err(e) => reply::refusal(&m, &e),
            Ok(()) => Message::response_to(&m, 480, "Temporarily Unavailable"),
        };
        let tag = self.next_tag();
        reply::tag_response(&mut response, &tag);
        let Ok(mut tx) = ServerInvite::new(now, m, from.transport(), self.config.timers) else {
            return;
        };
        if tx.respond(now, response).is_ok() {
            self.invites.insert(key.clone(), (tx, from));
            self.drain_invite(&key);
        }
    }

    fn handle_ack(&mut self, now: Instant, from: &Flow, key: TxKey, m: &Message) {
        match self.invites.get_mut(&key) {
            Some((tx, _)) => {
                let _ = tx.handle_request(now, m);
                self.drain_invite(&key);
            }
            None => self.drop_message(from.peer(), DropReason::Unroutable),
        }
    }

    fn handle_cancel(&mut self, from: &Flow, m: &Message) {
        let found = ServerKey::cancel_target(m)
            .is_ok_and(|target| self.invites.contains_key(&(target, from.peer())));
        let mut response = if found {
            Message::response_to(m, 200, "OK")
        } else {
            Message::response_to(m, 481, "Call/Transaction Does Not Exist")
        };
        let tag = self.next_tag();
        reply::tag_response(&mut response, &tag);
        self.send(from, &response);
    }

    fn drain_invite(&mut self, key: &TxKey) {
        let Some((tx, flow)) = self.invites.get_mut(key) else {
            return;
        };
        let flow = flow.clone();
        let mut done = false;
        let mut sends = Vec::new();
        while let Some(out) = tx.poll_output() {
            match out {
                TxOutput::Transmit(m) => sends.push(m),
                TxOutput::Terminated | TxOutput::Timeout | TxOutput::TransportError => {
                    done = true;
                }
                TxOutput::Response(_) => {}
            }
        }
        if done {
            self.invites.remove(key);
        }
        for m in sends {
            self.send(&flow, &m);
        }
    }

    /// Releases held answers, retransmits INVITE responses, forgets old transactions and lets
    /// the registrar drop lapsed bindings; call when `poll_timeout` is reached.
    pub fn handle_timeout(&mut self, now: Instant, wall: Timestamp) {
        while let Some(Reverse((at, id))) = self.held.peek().copied() {
            if at > now {
                break;
            }
            self.held.pop();
            if let Some(h) = self.held_items.remove(&id) {
                if let Some(key) = h.key
                    && let Some(slot) = self.answered.get_mut(&key)
                {
                    *slot = Answered::Final {
                        to: h.to.clone(),
                        bytes: h.bytes.clone(),
                    };
                }
                self.outputs.push_back(Output::Transmit {
                    to: h.to,
                    bytes: h.bytes,
                });
            }
        }
        while let Some((at, _)) = self.expiry.front() {
            if *at > now {
                break;
            }
            if let Some((_, key)) = self.expiry.pop_front() {
                self.answered.remove(&key);
            }
        }
        let due: Vec<TxKey> = self
            .invites
            .iter()
            .filter(|(_, (tx, _))| tx.poll_timeout().is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            if let Some((tx, _)) = self.invites.get_mut(&key) {
                tx.handle_timeout(now);
            }
            self.drain_invite(&key);
        }
        if self.next_sweep.is_some_and(|t| t <= now) {
            self.next_sweep = Some(now + Duration::from_secs(1));
            self.registrar.handle_timeout(wall);
            while let Some(e) = self.registrar.poll_event() {
                self.outputs.push_back(Output::Registrar(e));
            }
        }
    }

    /// The next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When `handle_timeout` is next needed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let held = self.held.peek().map(|Reverse((at, _))| *at);
        let expiry = self.expiry.front().map(|(at, _)| *at);
        let invites = self
            .invites
            .values()
            .filter_map(|(tx, _)| tx.poll_timeout())
            .min();
        [held, expiry, invites, self.next_sweep]
            .into_iter()
            .flatten()
            .min()
    }
}
