//! Registrar tests: raw REGISTER text in, responses and events out, on a virtual clock.

use super::*;
use crate::sip::message::{Limits, Transport, parse};

const T0: Timestamp = Timestamp::from_millis(1_800_000_000_000);
const REALM: &str = "switchyard";

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

fn phone() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5070))
}

fn guesser() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 2], 5070))
}

fn registrar() -> Registrar {
    let mut r = Registrar::new(RegistrarConfig::default(), [9; 32]);
    let creds = |name: &str, pw: &str| StationCredentials {
        station: StationName::parse(name).expect("valid name"),
        ha1: Algorithm::ALL
            .iter()
            .map(|a| (*a, digest::ha1(*a, name, REALM, pw)))
            .collect(),
    };
    r.set_directory(vec![creds("alice", "secret-a"), creds("bob", "secret-b")]);
    r
}

/// A REGISTER for `user` with the given extra header lines.
fn register(user: &str, cseq: u32, extra: &str) -> Message {
    let text = format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{cseq}\r\n\
         From: <sip:{user}@127.0.0.1>;tag=f1\r\nTo: <sip:{user}@127.0.0.1>\r\n\
         Call-ID: call-{user}\r\nCSeq: {cseq} REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
    );
    parse(text.as_bytes(), Transport::Udp, &Limits::default()).expect("test REGISTER parses")
}

fn nonce_of(challenge: &Message) -> String {
    challenge
        .challenges("WWW-Authenticate")
        .ok()
        .and_then(|c| c.first().and_then(|c| c.param("nonce")).map(str::to_owned))
        .unwrap_or_default()
}

fn authorization(user: &str, password: &str, nonce: &str, algorithm: Algorithm) -> String {
    let uri = "sip:127.0.0.1";
    let ha1 = digest::ha1(algorithm, user, REALM, password);
    let c = crate::sip::message::Challenge {
        scheme: "Digest".into(),
        params: [
            ("username", user),
            ("realm", REALM),
            ("nonce", nonce),
            ("uri", uri),
            ("cnonce", "abc"),
            ("nc", "00000001"),
            ("qop", "auth"),
            ("response", "x"),
            ("algorithm", algorithm.as_str()),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect(),
    };
    let response = Credentials::from_challenge(&c)
        .map(|cr| cr.expected_response(&ha1, "REGISTER"))
        .unwrap_or_default();
    format!(
        "Authorization: Digest username=\"{user}\", realm=\"{REALM}\", nonce=\"{nonce}\", \
         uri=\"{uri}\", response=\"{response}\", algorithm={algorithm}, cnonce=\"abc\", \
         nc=00000001, qop=auth\r\n"
    )
}

/// Runs the challenge/response exchange and returns the final reply.
fn login(r: &mut Registrar, user: &str, pw: &str, cseq: u32, extra: &str, now: Timestamp) -> Reply {
    let challenge = r.handle_register(&register(user, cseq, extra), phone(), now);
    let nonce = nonce_of(&challenge.response);
    let auth = authorization(user, pw, &nonce, Algorithm::Md5);
    r.handle_register(
        &register(user, cseq + 1, &format!("{auth}{extra}")),
        phone(),
        now,
    )
}

fn contacts(m: &Message) -> Vec<String> {
    m.headers.all("Contact").map(str::to_owned).collect()
}

fn check(reply: &Reply, status: u16, expected_contacts: &[&str]) {
    assert_eq!(reply.response.status(), Some(status), "{reply:?}");
    assert_eq!(contacts(&reply.response), expected_contacts, "{reply:?}");
}

#[test]
fn a_register_without_credentials_is_challenged_for_md5_and_sha256_in_configured_order() {
    let mut r = registrar();
    let reply = r.handle_register(&register("alice", 1, ""), phone(), T0);
    assert_eq!(reply.response.status(), Some(401));
    let challenges = reply
        .response
        .challenges("WWW-Authenticate")
        .unwrap_or_default();
    let algorithms: Vec<_> = challenges
        .iter()
        .map(|c| c.param("algorithm").unwrap_or(""))
        .collect();
    assert_eq!(
        algorithms,
        ["MD5"],
        "the default suits phones that know only MD5"
    );
    assert!(challenges.iter().all(|c| c.param("qop") == Some("auth")));
    let config = RegistrarConfig {
        algorithms: vec![Algorithm::Sha256],
        ..RegistrarConfig::default()
    };
    let mut r = Registrar::new(config, [9; 32]);
    let reply = r.handle_register(&register("alice", 1, ""), phone(), T0);
    let challenges = reply
        .response
        .challenges("WWW-Authenticate")
        .unwrap_or_default();
    assert_eq!(challenges.len(), 1);
    assert_eq!(challenges[0].param("algorithm"), Some("SHA-256"));
}

#[test]
fn the_right_password_registers_with_md5_and_sha256() {
    for algorithm in Algorithm::ALL {
        let mut r = registrar();
        let challenge = r.handle_register(&register("alice", 1, ""), phone(), T0);
        let auth = authorization(
            "alice",
            "secret-a",
            &nonce_of(&challenge.response),
            algorithm,
        );
        let extra = format!("{auth}Contact: <sip:alice@127.0.0.1:5070>\r\n");
        let reply = r.handle_register(&register("alice", 2, &extra), phone(), T0);
        check(&reply, 200, &["<sip:alice@127.0.0.1:5070>;expires=3600"]);
        let alice = StationName::parse("alice").expect("valid");
        let authenticated = RegistrarEvent::Authenticated {
            station: alice.clone(),
            algorithm,
            source: phone().ip(),
        };
        assert_eq!(r.poll_event(), Some(authenticated));
        assert_eq!(r.poll_event(), Some(RegistrarEvent::BindingsChanged(alice)));
    }
}

#[test]
fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let mut r = registrar();
    let wrong = login(&mut r, "alice", "nope", 1, "", T0);
    let unknown = login(&mut r, "mallory", "nope", 1, "", T0);
    let shape = |m: &Message| {
        (
            m.status(),
            m.headers
                .0
                .iter()
                .map(|h| h.name.to_string())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(shape(&wrong.response), shape(&unknown.response));
    assert_eq!(wrong.response.status(), Some(401));
}

#[test]
fn a_stale_nonce_is_rechallenged_with_stale_true() {
    let mut r = registrar();
    let challenge = r.handle_register(&register("alice", 1, ""), phone(), T0);
    let auth = authorization(
        "alice",
        "secret-a",
        &nonce_of(&challenge.response),
        Algorithm::Md5,
    );
    let reply = r.handle_register(&register("alice", 2, &auth), phone(), at(301));
    let stale: Vec<_> = reply
        .response
        .challenges("WWW-Authenticate")
        .unwrap_or_default()
        .iter()
        .map(|c| c.param("stale").map(str::to_owned))
        .collect();
    assert_eq!(stale, [Some("true".to_owned())]);
    assert_eq!(r.poll_event(), None, "a stale nonce is not a failure");
}

#[test]
fn a_station_may_register_only_its_own_address_of_record() {
    let mut r = registrar();
    let challenge = r.handle_register(&register("alice", 1, ""), phone(), T0);
    let auth = authorization(
        "bob",
        "secret-b",
        &nonce_of(&challenge.response),
        Algorithm::Md5,
    );
    let reply = r.handle_register(&register("alice", 2, &auth), phone(), T0);
    assert_eq!(reply.response.status(), Some(403));
}

#[test]
fn expires_rules_several_contacts_zero_and_star() {
    let mut r = registrar();
    let two = "Contact: <sip:alice@10.0.0.1>, <sip:alice@10.0.0.2>;expires=120\r\n";
    check(
        &login(&mut r, "alice", "secret-a", 1, two, T0),
        200,
        &[
            "<sip:alice@10.0.0.1>;expires=3600",
            "<sip:alice@10.0.0.2>;expires=120",
        ],
    );
    let long = "Contact: <sip:alice@10.0.0.3>\r\nExpires: 99999\r\n";
    let reply = login(&mut r, "alice", "secret-a", 3, long, at(10));
    check(
        &reply,
        200,
        &[
            "<sip:alice@10.0.0.1>;expires=3590",
            "<sip:alice@10.0.0.2>;expires=110",
            "<sip:alice@10.0.0.3>;expires=3600",
        ],
    );
    let brief = login(
        &mut r,
        "alice",
        "secret-a",
        5,
        "Contact: <sip:alice@10.0.0.4>;expires=5\r\n",
        at(10),
    );
    assert_eq!(brief.response.status(), Some(423));
    assert_eq!(brief.response.header("Min-Expires"), Some("60"));
    let remove = "Contact: <sip:alice@10.0.0.1>;expires=0\r\n";
    check(
        &login(&mut r, "alice", "secret-a", 7, remove, at(20)),
        200,
        &[
            "<sip:alice@10.0.0.2>;expires=100",
            "<sip:alice@10.0.0.3>;expires=3590",
        ],
    );
    let query = login(&mut r, "alice", "secret-a", 9, "", at(130));
    check(&query, 200, &["<sip:alice@10.0.0.3>;expires=3480"]);
    let bad_star = login(&mut r, "alice", "secret-a", 11, "Contact: *\r\n", at(130));
    assert_eq!(bad_star.response.status(), Some(400));
    let star = login(
        &mut r,
        "alice",
        "secret-a",
        13,
        "Contact: *\r\nExpires: 0\r\n",
        at(130),
    );
    check(&star, 200, &[]);
    let alice = StationName::parse("alice").expect("valid");
    assert!(r.bindings(&alice, at(130)).is_empty());
}

#[test]
fn an_older_cseq_on_the_same_call_id_is_refused() {
    let mut r = registrar();
    let c = "Contact: <sip:alice@10.0.0.1>\r\n";
    check(
        &login(&mut r, "alice", "secret-a", 10, c, T0),
        200,
        &["<sip:alice@10.0.0.1>;expires=3600"],
    );
    let old = login(&mut r, "alice", "secret-a", 5, c, T0);
    assert_eq!(old.response.status(), Some(500));
}

#[test]
fn the_contact_limit_holds() {
    let mut r = registrar();
    let many: String = (0..11)
        .map(|i| format!("Contact: <sip:alice@10.0.1.{i}>\r\n"))
        .collect();
    let reply = login(&mut r, "alice", "secret-a", 1, &many, T0);
    assert_eq!(reply.response.status(), Some(403));
    let alice = StationName::parse("alice").expect("valid");
    assert!(r.bindings(&alice, T0).is_empty(), "nothing half-applied");
}

#[test]
fn bindings_lapse_restore_drops_expired_ones() {
    let mut r = registrar();
    login(
        &mut r,
        "alice",
        "secret-a",
        1,
        "Contact: <sip:alice@10.0.0.1>;expires=60\r\n",
        T0,
    );
    while r.poll_event().is_some() {}
    r.handle_timeout(at(61));
    let alice = StationName::parse("alice").expect("valid");
    assert_eq!(
        r.poll_event(),
        Some(RegistrarEvent::BindingsChanged(alice.clone()))
    );
    let b = |contact: &str, secs| Binding {
        contact: contact.into(),
        expires_at: at(secs),
        call_id: "c".into(),
        cseq: 1,
        source: phone(),
    };
    r.restore(
        alice.clone(),
        vec![b("sip:old@h", 5), b("sip:new@h", 500)],
        at(10),
    );
    let live: Vec<_> = r
        .bindings(&alice, at(10))
        .iter()
        .map(|b| b.contact.clone())
        .collect();
    assert_eq!(live, ["sip:new@h"]);
}

#[test]
fn aor_must_be_sip_and_unknown_schemes_are_rechallenged() {
    let mut r = registrar();
    let text = "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
                From: <http://example.com>;tag=1\r\nTo: <http://example.com>\r\nCall-ID: x\r\n\
                CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
    let m = parse(text.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
    assert_eq!(
        r.handle_register(&m, phone(), T0).response.status(),
        Some(400)
    );
    let other = register(
        "alice",
        1,
        "Authorization: NewAuth realm=\"switchyard\"\r\n",
    );
    assert_eq!(
        r.handle_register(&other, phone(), T0).response.status(),
        Some(401)
    );
}

#[test]
fn a_guesser_is_slowed_while_a_phone_behind_the_same_address_registers() {
    let mut r = registrar();
    let guess = |r: &mut Registrar, i: u32, now| {
        let challenge = r.handle_register(&register("alice", i, ""), guesser(), now);
        let auth = authorization(
            "alice",
            &format!("guess{i}"),
            &nonce_of(&challenge.response),
            Algorithm::Md5,
        );
        r.handle_register(&register("alice", i + 1, &auth), guesser(), now)
    };
    for i in 0..5 {
        let reply = guess(&mut r, i * 2, T0);
        assert_eq!(
            (reply.response.status(), reply.delay),
            (Some(401), Duration::ZERO)
        );
    }
    let events: Vec<_> = std::iter::from_fn(|| r.poll_event()).collect();
    assert!(events.contains(&RegistrarEvent::GuessingSuspected {
        source: guesser().ip(),
        user: "alice".into(),
        failures: 5
    }));
    let slowed = guess(&mut r, 20, T0);
    assert_eq!(slowed.response.status(), Some(403));
    assert!(slowed.delay >= Duration::from_secs(1));
    let phone_reply = login(
        &mut r,
        "alice",
        "secret-a",
        40,
        "Contact: <sip:alice@10.0.0.1>\r\n",
        T0,
    );
    assert_eq!(
        (phone_reply.response.status(), phone_reply.delay),
        (Some(200), Duration::ZERO)
    );
}
