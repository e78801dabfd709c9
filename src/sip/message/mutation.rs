//! Mutation test on the stable toolchain: a deterministic xorshift generator mutates the
//! torture messages and typical INVITE/REGISTER/BYE requests (byte flips, truncation,
//! duplicated ranges, inserted `\r\n`, `:`, `;`, `"`, `[`, huge numbers) and feeds each result
//! to the parser, the framer, the checks and the typed views. Nothing may panic, and whatever
//! parses must render and parse back to the same message. Test-only.

use super::*;

/// xorshift64: small, deterministic, good enough to pick mutations.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }
}

const TYPICAL: [&str; 3] = [
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK776asdhds;rport\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>\r\nFrom: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710@pc33.atlanta.example.com\r\nCSeq: 314159 INVITE\r\nContact: <sip:alice@pc33.atlanta.example.com>\r\nRecord-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\nContent-Type: application/sdp\r\nContent-Length: 31\r\n\r\nv=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n",
    "REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\nv: SIP/2.0/TCP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7\r\nMax-Forwards: 70\r\nt: Bob <sip:bob@biloxi.example.com>\r\nf: Bob <sip:bob@biloxi.example.com>;tag=456248\r\ni: 843817637684230@998sdasdh09\r\nCSeq: 1826 REGISTER\r\nm: <sip:bob@192.0.2.4>;expires=7200\r\nAuthorization: Digest username=\"bob\", realm=\"biloxi.example.com\", nonce=\"dcd98b\", uri=\"sip:biloxi.example.com\", response=\"6629fae4\"\r\nl: 0\r\n\r\n",
    "BYE sip:alice@pc33.atlanta.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10\r\nMax-Forwards: 70\r\nFrom: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\nTo: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710\r\nCSeq: 231 BYE\r\nContent-Length: 0\r\n\r\n",
];

const INSERTS: [&[u8]; 9] = [
    b"\r\n",
    b":",
    b";",
    b"\"",
    b"[",
    b"\r\n ",
    b"18446744073709551615",
    b"99999999999999999999999",
    b"\xff\xfe",
];

fn mutate(rng: &mut XorShift, input: &mut Vec<u8>) {
    let len = input.len();
    match rng.below(6) {
        0 => {
            let i = rng.below(len);
            if let Some(b) = input.get_mut(i) {
                *b ^= 1 << rng.below(8);
            }
        }
        1 => input.truncate(rng.below(len + 1)),
        2 => {
            let start = rng.below(len);
            let end = (start + rng.below(64)).min(len);
            let copy = input[start..end].to_vec();
            let at = rng.below(len + 1);
            input.splice(at..at, copy);
        }
        3 => {
            let start = rng.below(len);
            let end = (start + rng.below(16)).min(len);
            input.drain(start..end);
        }
        _ => {
            let at = rng.below(len + 1);
            let what = INSERTS[rng.below(INSERTS.len())];
            input.splice(at..at, what.iter().copied());
        }
    }
}

fn exercise(bytes: &[u8]) {
    let limits = Limits::default();
    let _ = frame_stream(bytes, &limits);
    let _ = classify_datagram(bytes, Transport::Udp, &limits);
    for transport in [Transport::Udp, Transport::Tcp] {
        if let Ok(m) = parse(bytes, transport, &limits) {
            let _ = (
                m.vias(),
                m.from(),
                m.to(),
                m.call_id(),
                m.cseq(),
                m.contacts(),
            );
            let _ = (m.routes(), m.record_routes(), m.expires(), m.max_forwards());
            let _ = m.challenges("Authorization");
            let again = parse(&m.render(), transport, &limits);
            assert_eq!(again.as_ref(), Ok(&m), "{}", String::from_utf8_lossy(bytes));
        }
    }
}

#[test]
fn thirty_thousand_mutated_messages_never_panic_and_round_trip() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sip-torture");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| {
                let path = e.ok()?.path();
                (path.extension()? == "dat").then(|| std::fs::read(path).ok())?
            })
            .collect()
        })
        .unwrap_or_default();
    assert_eq!(seeds.len(), 49);
    seeds.extend(TYPICAL.iter().map(|s| s.as_bytes().to_vec()));
    let mut rng = XorShift(0x5eed_cafe_f00d_d00d);
    let mut parsed = 0;
    for _ in 0..30_000 {
        let mut bytes = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut bytes);
        }
        exercise(&bytes);
        parsed += usize::from(parse(&bytes, Transport::Udp, &Limits::default()).is_ok());
    }
    assert!(
        parsed > 1_000,
        "mutations too destructive to test much: {parsed}"
    );
}
