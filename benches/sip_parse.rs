//! Benchmark: parse + render of a typical INVITE with an SDP body, in messages per second on
//! one core, beside a baseline measured in the same run (splitting the same bytes into lines
//! and copying them), reported as a ratio. Run with `cargo bench --bench sip_parse`.
//! A plain `Instant` loop, no framework, best of five rounds each; set `SIP_BENCH_ITERATIONS`
//! to change the run length.

use std::hint::black_box;
use std::time::{Duration, Instant};

use switchyard::sip::message::{Limits, Transport, parse};

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n\
Supported: replaces, timer\r\n\
User-Agent: Switchyard-bench/1.0\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 149\r\n\
\r\n\
v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

/// Messages per second: the best of five rounds (the machine is shared, so the best round is
/// the one least disturbed by other work).
fn rate(iterations: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 {
        f();
    }
    let round = (iterations / 5).max(1);
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..round {
                f();
            }
            let elapsed = start.elapsed().max(Duration::from_nanos(1));
            f64::from(round) / elapsed.as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    let iterations: u32 = std::env::var("SIP_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let limits = Limits::default();
    let parsed = parse(INVITE, Transport::Udp, &limits).expect("the benchmark INVITE parses");
    assert_eq!(parsed.body.len(), 149, "Content-Length matches the SDP");
    assert_eq!(
        parse(&parsed.render(), Transport::Udp, &limits).as_ref(),
        Ok(&parsed)
    );

    let parse_render = rate(iterations, || {
        let m = parse(black_box(INVITE), Transport::Udp, &limits).expect("parses");
        black_box(m.render());
    });
    let parse_only = rate(iterations, || {
        black_box(parse(black_box(INVITE), Transport::Udp, &limits).expect("parses"));
    });
    let baseline = rate(iterations, || {
        let bytes = black_box(INVITE).to_vec();
        let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        black_box(lines);
    });
    println!("sip_parse: {} bytes, {iterations} iterations", INVITE.len());
    println!("  parse+render  {parse_render:>12.0} msg/s");
    println!("  parse only    {parse_only:>12.0} msg/s");
    println!("  baseline      {baseline:>12.0} msg/s (copy + line split of the same bytes)");
    println!(
        "  ratio         {:>12.2} (baseline / parse+render)",
        baseline / parse_render
    );
}
