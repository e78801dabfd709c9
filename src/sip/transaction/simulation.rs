//! Test-only: shared fixtures for the transaction tests and a property test that runs a client
//! and a server transaction against each other over an in-memory network that loses,
//! duplicates and reorders datagrams, on a virtual clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::sip::message::{Limits, Method, Transport, parse};

pub(crate) const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\nRoute: <sip:p1.example.com;lr>\r\nTo: Bob <sip:bob@biloxi.example.com>\r\nFrom: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710@pc33.atlanta.example.com\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@pc33.atlanta.example.com>\r\nContent-Length: 0\r\n\r\n";

pub(crate) const BYE: &str = "BYE sip:alice@pc33.atlanta.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10\r\nMax-Forwards: 70\r\nFrom: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\nTo: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710\r\nCSeq: 231 BYE\r\nContent-Length: 0\r\n\r\n";

/// A response to `req` with an optional To tag.
pub(crate) fn response(req: &Message, status: u16, tag: Option<&str>) -> Message {
    let mut r = Message::response_to(req, status, "Test");
    if let Some(tag) = tag {
        r.set_to_tag(tag);
    }
    r
}

fn kind(o: &Output) -> String {
    match o {
        Output::Transmit(m) | Output::Response(m) => m
            .method()
            .map_or_else(|| m.status().unwrap_or(0).to_string(), ToString::to_string),
        Output::Timeout => "Timeout".into(),
        Output::TransportError => "TransportError".into(),
        Output::Terminated => "Terminated".into(),
    }
}

/// Drains outputs into `log` as (ms since `t0`, kind).
pub(crate) fn drain(
    poll: &mut dyn FnMut() -> Option<Output>,
    t0: Instant,
    at: Instant,
    log: &mut Vec<(u128, String)>,
) {
    while let Some(o) = poll() {
        log.push((at.saturating_duration_since(t0).as_millis(), kind(&o)));
    }
}

enum Client {
    Invite(ClientInvite),
    Other(ClientNonInvite),
}

enum Server {
    Invite(ServerInvite),
    Other(ServerNonInvite),
}

macro_rules! both {
    ($e:expr, $t:ident => $body:expr) => {
        match $e {
            Client::Invite($t) => $body,
            Client::Other($t) => $body,
        }
    };
}

macro_rules! both_server {
    ($e:expr, $t:ident => $body:expr) => {
        match $e {
            Server::Invite($t) => $body,
            Server::Other($t) => $body,
        }
    };
}

/// What the network does with the n-th datagram: (0 lose | 1 deliver | 2 duplicate, delay ms).
type Fate = (u8, u16);

#[derive(Default)]
struct Seen {
    client: Vec<String>,
    server: Vec<String>,
}

#[allow(
    clippy::too_many_lines,
    reason = "one event loop reads best in one piece"
)]
fn simulate(invite: bool, final_status: u16, fates: &[Fate], tu_delay: u64) -> Seen {
    let t0 = Instant::now();
    let text = if invite { INVITE } else { BYE };
    let req = parse(text.as_bytes(), Transport::Udp, &Limits::default()).expect("fixture parses");
    let timers = Timers::default();
    let mut client = if invite {
        Client::Invite(ClientInvite::new(t0, req.clone(), Transport::Udp, timers).expect("INVITE"))
    } else {
        Client::Other(ClientNonInvite::new(t0, req.clone(), Transport::Udp, timers).expect("BYE"))
    };
    let mut server: Option<Server> = None;
    let mut tu: VecDeque<(Instant, u16)> = VecDeque::new();
    let mut wire: Vec<(Instant, bool, Message)> = Vec::new();
    let mut fates = fates.iter().copied();
    let mut seen = Seen::default();
    let mut now = t0;
    let mut send = |now: Instant, to_server: bool, m: Message, wire: &mut Vec<_>| {
        let (fate, delay) = fates.next().unwrap_or((1, 10));
        let at = now + Duration::from_millis(u64::from(delay));
        match fate {
            0 => {}
            1 => wire.push((at, to_server, m)),
            _ => {
                wire.push((at, to_server, m.clone()));
                wire.push((at + Duration::from_millis(7), to_server, m));
            }
        }
    };
    for _ in 0..10_000 {
        while let Some(o) = both!(&mut client, c => c.poll_output()) {
            match o {
                Output::Transmit(m) => send(now, true, m, &mut wire),
                other => seen.client.push(kind(&other)),
            }
        }
        while let Some(o) = server
            .as_mut()
            .and_then(|s| both_server!(s, s => s.poll_output()))
        {
            match o {
                Output::Transmit(m) => send(now, false, m, &mut wire),
                other => seen.server.push(kind(&other)),
            }
        }
        let next = [
            wire.iter().map(|(at, ..)| *at).min(),
            both!(&client, c => c.poll_timeout()),
            server
                .as_ref()
                .and_then(|s| both_server!(s, s => s.poll_timeout())),
            tu.front().map(|(at, _)| *at),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { break };
        now = next;
        if let Some(i) = wire.iter().position(|(at, ..)| *at <= now) {
            let (_, to_server, m) = wire.remove(i);
            if !to_server {
                if !both!(&client, c => c.is_terminated()) {
                    match &mut client {
                        Client::Invite(c) => c.handle_response(now, m).expect("response"),
                        Client::Other(c) => c.handle_response(now, m).expect("response"),
                    }
                }
                continue;
            }
            match &mut server {
                None if m.method() != Some(&Method::Ack) => {
                    server = Some(if invite {
                        Server::Invite(
                            ServerInvite::new(now, m, Transport::Udp, timers).expect("INVITE"),
                        )
                    } else {
                        Server::Other(ServerNonInvite::new(m, Transport::Udp, timers).expect("BYE"))
                    });
                    if invite {
                        tu.push_back((now + Duration::from_millis(tu_delay / 2), 180));
                    }
                    tu.push_back((now + Duration::from_millis(tu_delay), final_status));
                }
                Some(s) if !both_server!(&*s, s => s.is_terminated()) => {
                    both_server!(s, s => s.handle_request(now, &m)).expect("request");
                }
                _ => {}
            }
        } else if tu.front().is_some_and(|(at, _)| *at <= now) {
            let (_, status) = tu.pop_front().expect("peeked");
            if let Some(s) = server.as_mut() {
                let tag = Some("srv");
                match s {
                    Server::Invite(s) => s.respond(now, response(s.request(), status, tag)),
                    Server::Other(s) => s.respond(now, response(s.request(), status, tag)),
                }
                .expect("respond while proceeding");
            }
        } else {
            both!(&mut client, c => c.handle_timeout(now));
            if let Some(s) = server.as_mut() {
                both_server!(s, s => s.handle_timeout(now));
            }
        }
    }
    seen
}

fn finals(seen: &[String]) -> Vec<&str> {
    seen.iter()
        .map(String::as_str)
        .filter(|k| k.parse::<u16>().is_ok_and(|s| s >= 200))
        .collect()
}

proptest! {
    #[test]
    fn lossy_network_both_sides_finish_and_the_user_sees_one_final(
        invite in any::<bool>(),
        status in prop::sample::select(vec![200u16, 404, 486, 503, 603]),
        fates in prop::collection::vec((0u8..3, 0u16..900), 0..5),
        tu_delay in 0u64..3000,
    ) {
        // An INVITE 2xx ends both transactions at once; its retransmission is the dialog's job.
        let status = if invite && status == 200 { 486 } else { status };
        let seen = simulate(invite, status, &fates, tu_delay);
        let expected = status.to_string();
        prop_assert_eq!(finals(&seen.client), vec![expected.as_str()]);
        prop_assert_eq!(seen.client.last().map(String::as_str), Some("Terminated"));
        prop_assert_eq!(seen.server.clone(), vec!["Terminated".to_owned()]);
        prop_assert_eq!(seen.client.iter().filter(|k| *k == "Terminated").count(), 1);
    }
}

#[test]
fn invite_2xx_without_loss_ends_both_sides() {
    let seen = simulate(true, 200, &[], 100);
    assert_eq!(finals(&seen.client), ["200"]);
    assert_eq!(seen.server, ["Terminated"]);
}
