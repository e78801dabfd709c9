//! Fuzz target: any bytes through the SIP datagram parser, the stream framer and the
//! datagram classifier must never panic, and whatever parses must render and parse again to
//! the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard::sip::message::{Limits, Transport, classify_datagram, frame_stream, parse};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    for transport in [Transport::Udp, Transport::Tcp] {
        let _ = classify_datagram(data, transport, &limits);
        if let Ok(message) = parse(data, transport, &limits) {
            let again = parse(&message.render(), transport, &limits);
            assert_eq!(again.as_ref().ok(), Some(&message), "render/parse round trip");
        }
    }
    let _ = frame_stream(data, &limits);
});
