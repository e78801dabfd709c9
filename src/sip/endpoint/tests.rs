//! Endpoint tests: raw datagrams in, answers out, on a virtual clock.

use super::*;
use crate::domain::StationName;
use crate::sip::digest::{self, Algorithm};
use crate::sip::message::{Limits, parse};
use crate::sip::registrar::{RegistrarConfig, StationCredentials};

const WALL: Timestamp = Timestamp::from_millis(1_800_000_000_000);

fn endpoint() -> Endpoint {
    let mut registrar = Registrar::new(RegistrarConfig::default(), [1; 32]);
    registrar.set_directory(vec![StationCredentials {
        station: StationName::parse("alice").expect("valid"),
        ha1: vec![(
            Algorithm::Md5,
            digest::ha1(Algorithm::Md5, "alice", "switchyard", "pw"),
        )],
    }]);
    Endpoint::new(EndpointConfig::default(), registrar, 0xabc)
}

fn udp() -> Flow {
    Flow::Udp(SocketAddr::from(([127, 0, 0, 1], 5070)))
}

fn request(method: &str, branch: &str, extra: &str) -> Vec<u8> {
    format!(
        "{method} sip:alice@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{branch}\r\n\
         From: <sip:alice@127.0.0.1>;tag=f\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: {branch}\r\n\
         CSeq: 1 {method}\r\nMax-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// Every output, with transmitted bytes parsed back into responses.
fn drain(e: &mut Endpoint) -> (Vec<(Flow, Message)>, Vec<Output>) {
    let mut sent = Vec::new();
    let mut other = Vec::new();
    while let Some(out) = e.poll_output() {
        match out {
            Output::Transmit { to, bytes } => {
                let m = parse(&bytes, Transport::Udp, &Limits::default())
                    .expect("the endpoint renders parseable messages");
                sent.push((to, m));
            }
            o => other.push(o),
        }
    }
    (sent, other)
}

fn statuses(sent: &[(Flow, Message)]) -> Vec<u16> {
    sent.iter().filter_map(|(_, m)| m.status()).collect()
}

fn check(input: &[u8], expected: &[u16]) {
    let mut e = endpoint();
    e.handle_message(Instant::now(), WALL, udp(), input);
    let (sent, _) = drain(&mut e);
    assert_eq!(
        statuses(&sent),
        expected,
        "{}",
        String::from_utf8_lossy(input)
    );
}

#[test]
fn answers_per_method_and_defect() {
    check(&request("OPTIONS", "1", ""), &[200]);
    check(&request("REGISTER", "2", ""), &[401]);
    check(&request("INVITE", "3", ""), &[480]);
    check(&request("BYE", "4", ""), &[481]);
    check(&request("CANCEL", "5", ""), &[481]);
    check(&request("SUBSCRIBE", "6", ""), &[501]);
    check(&request("OPTIONS", "7", "Require: foo\r\n"), &[420]);
    check(&request("ACK", "8", ""), &[]);
    check(
        b"OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\r\n\r\n",
        &[400],
    );
    check(b"SIP/2.0 200 OK\r\n\r\n", &[]);
    check(b"\x00\xff garbage", &[]);
}

#[test]
fn options_is_answered_with_allow_and_a_to_tag_back_to_the_source() {
    let mut e = endpoint();
    e.handle_message(Instant::now(), WALL, udp(), &request("OPTIONS", "1", ""));
    let (sent, _) = drain(&mut e);
    let (to, m) = &sent[0];
    assert_eq!(to, &udp());
    assert_eq!(m.header("Allow"), Some(reply::ALLOW));
    assert!(m.to().is_ok_and(|t| t.tag().is_some()));
}

#[test]
fn a_retransmitted_register_gets_the_same_answer_without_a_second_challenge() {
    let mut e = endpoint();
    let t0 = Instant::now();
    let reg = request("REGISTER", "r1", "");
    e.handle_message(t0, WALL, udp(), &reg);
    let (first, _) = drain(&mut e);
    e.handle_message(t0 + Duration::from_millis(500), WALL, udp(), &reg);
    let (second, _) = drain(&mut e);
    assert_eq!(first, second, "the remembered bytes, same nonce and tag");
    assert_eq!(e.remembered(), 1);
    e.handle_timeout(t0 + Duration::from_secs(32), WALL);
    assert_eq!(e.remembered(), 0, "timer J");
}

#[test]
fn over_tcp_nothing_is_remembered() {
    let mut e = endpoint();
    let flow = Flow::Stream {
        id: ConnectionId(7),
        peer: SocketAddr::from(([127, 0, 0, 1], 40000)),
    };
    let text = String::from_utf8(request("OPTIONS", "t", "")).unwrap_or_default();
    let text = text.replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    e.handle_message(Instant::now(), WALL, flow.clone(), text.as_bytes());
    let (sent, _) = drain(&mut e);
    assert_eq!(sent[0].0, flow);
    assert_eq!(e.remembered(), 0);
}

#[test]
fn an_invite_final_is_retransmitted_until_the_ack() {
    let mut e = endpoint();
    let t0 = Instant::now();
    e.handle_message(t0, WALL, udp(), &request("INVITE", "i1", ""));
    assert_eq!(statuses(&drain(&mut e).0), [480]);
    let g = e.poll_timeout().expect("timer G");
    assert_eq!(g, t0 + Duration::from_millis(500));
    e.handle_timeout(g, WALL);
    assert_eq!(statuses(&drain(&mut e).0), [480]);
    let ack = String::from_utf8(request("ACK", "i1", "")).unwrap_or_default();
    let ack = ack.replace(
        "To: <sip:alice@127.0.0.1>",
        "To: <sip:alice@127.0.0.1>;tag=x",
    );
    e.handle_message(g, WALL, udp(), ack.as_bytes());
    e.handle_timeout(g + Duration::from_secs(1), WALL);
    assert_eq!(statuses(&drain(&mut e).0), Vec::<u16>::new());
    let cancel = request("CANCEL", "i1", "");
    e.handle_message(g, WALL, udp(), &cancel);
    assert_eq!(
        statuses(&drain(&mut e).0),
        [200],
        "CANCEL matches the INVITE"
    );
}

#[test]
fn remembered_answers_are_bounded() {
    let mut registrar = Registrar::new(RegistrarConfig::default(), [1; 32]);
    registrar.set_directory(Vec::new());
    let config = EndpointConfig {
        max_transactions: 10,
        ..EndpointConfig::default()
    };
    let mut e = Endpoint::new(config, registrar, 1);
    let t0 = Instant::now();
    for i in 0..50 {
        e.handle_message(t0, WALL, udp(), &request("OPTIONS", &format!("b{i}"), ""));
    }
    assert_eq!(e.remembered(), 10);
}

#[test]
fn a_guesser_is_answered_late_and_retransmissions_meanwhile_are_absorbed() {
    let mut e = endpoint();
    let t0 = Instant::now();
    let guesser = Flow::Udp(SocketAddr::from(([127, 0, 0, 2], 5070)));
    let mut slowed = None;
    for i in 0..8 {
        let challenge_req = request("REGISTER", &format!("c{i}"), "");
        e.handle_message(t0, WALL, guesser.clone(), &challenge_req);
        let (sent, _) = drain(&mut e);
        let nonce = sent[0]
            .1
            .challenges("WWW-Authenticate")
            .ok()
            .and_then(|c| c.last().and_then(|c| c.param("nonce")).map(str::to_owned))
            .unwrap_or_default();
        let auth = format!(
            "Authorization: Digest username=\"alice\", realm=\"switchyard\", nonce=\"{nonce}\", \
             uri=\"sip:127.0.0.1\", response=\"00\", cnonce=\"c\", nc=00000001, qop=auth\r\n"
        );
        let guess = request("REGISTER", &format!("g{i}"), &auth);
        e.handle_message(t0, WALL, guesser.clone(), &guess);
        let (sent, events) = drain(&mut e);
        if sent.is_empty() {
            slowed = Some(guess);
            assert!(events.is_empty(), "refused without checking: {events:?}");
            break;
        }
    }
    let guess = slowed.expect("the sixth guess is held back");
    e.handle_message(t0, WALL, guesser.clone(), &guess);
    assert!(drain(&mut e).0.is_empty(), "absorbed while held");
    let due = e.poll_timeout().expect("a held answer");
    assert!(due >= t0 + Duration::from_secs(1));
    e.handle_timeout(due, WALL);
    assert_eq!(statuses(&drain(&mut e).0), [403]);
    e.handle_message(due, WALL, guesser, &guess);
    assert_eq!(
        statuses(&drain(&mut e).0),
        [403],
        "then resent on retransmission"
    );
}

proptest::proptest! {
    /// Any bytes: no panic, and everything sent parses as a response.
    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let mut e = endpoint();
        e.handle_message(Instant::now(), WALL, udp(), &bytes);
        let mut base = request("OPTIONS", "p", "");
        let cut = bytes.len() % base.len();
        base.splice(cut..cut, bytes);
        e.handle_message(Instant::now(), WALL, udp(), &base);
        drain(&mut e);
    }
}

/// 20,000 mutated messages (bit flips, truncations, duplicated ranges, inserted separators)
/// through the whole endpoint, over both transports: no panic, and every answer parses.
#[test]
fn mutated_messages_never_break_the_endpoint() {
    let seeds: [&[u8]; 4] = [
        include_bytes!("../../../tests/fixtures/sip-torture/wsinv.dat"),
        include_bytes!("../../../tests/fixtures/sip-torture/regaut01.dat"),
        include_bytes!("../../../tests/fixtures/sip-torture/mpart01.dat"),
        include_bytes!("../../../tests/fixtures/sip-torture/unreason.dat"),
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut e = endpoint();
    let t0 = Instant::now();
    let inserts: [&[u8]; 6] = [
        b"\r\n",
        b":",
        b";",
        b"\"",
        b"\r\n ",
        b"99999999999999999999",
    ];
    for i in 0..20_000u64 {
        let seed = seeds[usize::try_from(next() % 4).unwrap_or(0)];
        let mut m = seed.to_vec();
        for _ in 0..=next() % 4 {
            let len = m.len().max(1);
            let at = usize::try_from(next()).unwrap_or(0) % len;
            match next() % 4 {
                0 => {
                    if let Some(b) = m.get_mut(at) {
                        *b ^= 1 << (next() % 8);
                    }
                }
                1 => m.truncate(at),
                2 => {
                    let piece: Vec<u8> = m[at..].iter().take(16).copied().collect();
                    m.splice(at..at, piece);
                }
                _ => {
                    let ins = inserts[usize::try_from(next() % 6).unwrap_or(0)];
                    m.splice(at.min(m.len())..at.min(m.len()), ins.iter().copied());
                }
            }
        }
        let flow = if i % 2 == 0 {
            udp()
        } else {
            Flow::Stream {
                id: ConnectionId(i),
                peer: SocketAddr::from(([127, 0, 0, 1], 6000)),
            }
        };
        let now = t0 + Duration::from_millis(i);
        e.handle_message(now, WALL, flow, &m);
        e.handle_timeout(now, WALL);
        drain(&mut e);
    }
}
