//! Building the endpoint's answers: stamping the top Via with `received`/`rport` (RFC 3261
//! §18.2.1, RFC 3581), where a response goes (§18.2.2), the To tag, and the stateless answers
//! (OPTIONS, 400 to broken requests, the §8.2 refusals with their Allow/Unsupported/Accept).
//!
//! Pure helpers of `endpoint`; no state.

use core::net::{IpAddr, SocketAddr};

use crate::sip::message::{
    Headers, Message, MessageError, Method, Param, StartLine, Uri, Version, canonical_name,
    parse_vias,
};

use super::Flow;

/// Methods this endpoint implements (the Allow header).
pub(super) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER";

/// Adds `received` when the top Via's host is not the source address, and fills in `rport`
/// when the client asked for it (RFC 3581). Leaves a malformed Via alone.
pub(super) fn stamp_via(headers: &mut Headers, source: SocketAddr) {
    let Some(line) = headers
        .0
        .iter_mut()
        .find(|h| canonical_name(&h.name).eq_ignore_ascii_case("Via"))
    else {
        return;
    };
    let Ok(mut vias) = parse_vias(&line.value) else {
        return;
    };
    let Some(top) = vias.first_mut() else {
        return;
    };
    let ip = source.ip().to_string();
    let same_host = top.host.to_string().trim_matches(['[', ']']) == ip;
    let wants_rport = top.param("rport").is_some();
    if same_host && !wants_rport {
        return;
    }
    top.params.retain(|p| {
        !p.name.eq_ignore_ascii_case("received") && !p.name.eq_ignore_ascii_case("rport")
    });
    if !same_host || wants_rport {
        top.params.push(Param::new("received", Some(&ip)));
    }
    if wants_rport {
        top.params
            .push(Param::new("rport", Some(&source.port().to_string())));
    }
    line.value = vias
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
}

/// Where a response to a request that arrived on `flow` goes: back on the same connection for
/// streams; for UDP to the source address (`received`) and the `rport`, else the Via port, else
/// 5060. `None` when that would be a broadcast, multicast or unspecified address (RFC 4475
/// `bcast`): such a response is dropped.
pub(super) fn destination(headers: &Headers, flow: &Flow) -> Option<Flow> {
    let Flow::Udp(source) = flow else {
        return Some(flow.clone());
    };
    let port = headers
        .get("Via")
        .and_then(|v| parse_vias(v).ok())
        .and_then(|v| v.into_iter().next())
        .map_or(source.port(), |via| {
            match via.param("rport").flatten().and_then(|p| p.parse().ok()) {
                Some(p) => p,
                None => via.port.unwrap_or(5060),
            }
        });
    let to = SocketAddr::new(source.ip(), port);
    sendable(to).then_some(Flow::Udp(to))
}

fn sendable(addr: SocketAddr) -> bool {
    let ip_ok = match addr.ip() {
        IpAddr::V4(v4) => !(v4.is_broadcast() || v4.is_multicast() || v4.is_unspecified()),
        IpAddr::V6(v6) => !(v6.is_multicast() || v6.is_unspecified()),
    };
    ip_ok && addr.port() != 0
}

/// A response to a request we could not accept, from its salvaged headers.
pub(super) fn reject(headers: Headers, error: &MessageError) -> Message {
    let stand_in = Message {
        start: StartLine::Request {
            method: Method::Options,
            uri: Uri::Other {
                scheme: "x".into(),
                rest: String::new(),
            },
            version: Version::SIP_2_0,
        },
        headers,
        body: Vec::new(),
    };
    refusal(&stand_in, error)
}

/// A refusal with the reason phrase from `error` and the header §8.2 asks for with it.
pub(super) fn refusal(request: &Message, error: &MessageError) -> Message {
    let mut m = Message::response_to(request, error.status(), &error.to_string());
    match error {
        MessageError::NotImplemented => m.headers.push("Allow", ALLOW),
        MessageError::BadExtension { option } => m.headers.push("Unsupported", option),
        MessageError::UnsupportedMediaType | MessageError::NotAcceptable => {
            m.headers.push("Accept", "application/sdp");
        }
        _ => {}
    }
    m
}

/// The 200 answer to OPTIONS (RFC 3261 §11.2).
pub(super) fn options_ok(request: &Message) -> Message {
    Message::response_to(request, 200, "OK")
        .with_header("Allow", ALLOW)
        .with_header("Accept", "application/sdp")
        .with_header("Accept-Encoding", "identity")
        .with_header("Accept-Language", "en")
}

/// Adds a To tag to a final response whose request had none (§8.2.6.2).
pub(super) fn tag_response(response: &mut Message, tag: &str) {
    if response.status().is_some_and(|s| s > 100) && response.to().is_ok_and(|t| t.tag().is_none())
    {
        response.set_to_tag(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Limits, Transport, parse};

    fn via_after_stamp(via: &str, source: &str) -> (String, Option<Flow>) {
        let text = format!(
            "OPTIONS sip:a@b SIP/2.0\r\nVia: {via}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n\
             Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        let mut m = parse(text.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        let source: SocketAddr = source.parse().expect("address");
        stamp_via(&mut m.headers, source);
        let value = m.headers.get("Via").unwrap_or_default().to_owned();
        (value, destination(&m.headers, &Flow::Udp(source)))
    }

    fn check(via: &str, source: &str, stamped: &str, to: Option<&str>) {
        let (got, dest) = via_after_stamp(via, source);
        assert_eq!(got, stamped, "{via}");
        let want = to.map(|t| Flow::Udp(t.parse().expect("address")));
        assert_eq!(dest, want, "{via}");
    }

    #[test]
    fn via_stamping_and_response_routing() {
        check(
            "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1",
            "127.0.0.1:5070",
            "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1",
            Some("127.0.0.1:5070"),
        );
        check(
            "SIP/2.0/UDP phone.example.com;branch=z9hG4bK1",
            "10.0.0.7:5060",
            "SIP/2.0/UDP phone.example.com;branch=z9hG4bK1;received=10.0.0.7",
            Some("10.0.0.7:5060"),
        );
        check(
            "SIP/2.0/UDP 192.168.1.2:5062;rport;branch=z9hG4bK1",
            "203.0.113.9:40000",
            "SIP/2.0/UDP 192.168.1.2:5062;branch=z9hG4bK1;received=203.0.113.9;rport=40000",
            Some("203.0.113.9:40000"),
        );
        check(
            "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2",
            "[2001:db8::9]:5070",
            "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2",
            Some("[2001:db8::9]:5070"),
        );
        check(
            "SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1",
            "255.255.255.255:5060",
            "SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1",
            None,
        );
    }

    #[test]
    fn refusals_carry_the_header_that_explains_them() {
        let text = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
                    From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\
                    Content-Length: 0\r\n\r\n";
        let m = parse(text.as_bytes(), Transport::Udp, &Limits::default()).expect("parses");
        let r = refusal(
            &m,
            &MessageError::BadExtension {
                option: "foo".into(),
            },
        );
        assert_eq!(
            (r.status(), r.header("Unsupported")),
            (Some(420), Some("foo"))
        );
        assert_eq!(
            refusal(&m, &MessageError::NotImplemented).header("Allow"),
            Some(ALLOW)
        );
        let mut ok = options_ok(&m);
        tag_response(&mut ok, "t1");
        assert_eq!(
            ok.to().ok().and_then(|t| t.tag().map(str::to_owned)),
            Some("t1".into())
        );
    }
}
