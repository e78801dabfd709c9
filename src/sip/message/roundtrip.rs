//! Property test: `parse(render(m)) == m` for generated requests and responses (IPv6 hosts,
//! compact header names, comma-joined Via values, quoted display names, binary bodies), and the
//! typed views read back what was generated. Test-only.

use proptest::prelude::*;

use super::*;

fn host() -> impl Strategy<Value = Host> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z]{2,6}){0,2}".prop_map(Host::Name),
        any::<[u8; 4]>().prop_map(|o| Host::V4(o.into())),
        any::<[u16; 8]>().prop_map(|s| Host::V6(s.into())),
    ]
}

fn params(prefix: &'static str) -> impl Strategy<Value = Vec<Param>> {
    prop::collection::vec(
        (
            "[a-z][a-z0-9-]{0,6}",
            prop::option::of("[a-zA-Z0-9.!~*'-]{1,8}"),
        ),
        0..3,
    )
    .prop_map(move |ps| {
        ps.into_iter()
            .map(|(n, v)| Param::new(&format!("{prefix}{n}"), v.as_deref()))
            .collect()
    })
}

fn sip_uri() -> impl Strategy<Value = Uri> {
    (
        any::<bool>(),
        prop::option::of("([a-zA-Z0-9_.!~*'()-]|%[0-9A-F]{2}){1,10}"),
        host(),
        prop::option::of(any::<u16>()),
        params("u"),
    )
        .prop_map(|(secure, user, host, port, params)| {
            let mut u = SipUri::new(user.as_deref(), host);
            u.secure = secure;
            u.port = port;
            u.params = params;
            Uri::Sip(u)
        })
}

fn via() -> impl Strategy<Value = Via> {
    (
        prop::sample::select(vec!["UDP", "TCP", "TLS", "SCTP", "WS"]),
        host(),
        prop::option::of(1u16..),
        "[a-zA-Z0-9]{1,12}",
        params("x"),
    )
        .prop_map(|(t, host, port, branch, mut params)| {
            params.insert(0, Param::new("branch", Some(&format!("z9hG4bK{branch}"))));
            Via {
                transport: t.to_owned(),
                host,
                port,
                params,
            }
        })
}

fn name_addr() -> impl Strategy<Value = NameAddr> {
    (
        prop::option::of("[ -~]{0,12}"),
        sip_uri(),
        prop::option::of("[a-z0-9]{1,10}"),
    )
        .prop_map(|(display, uri, tag)| NameAddr {
            display,
            uri,
            params: tag
                .map(|t| Param::new("tag", Some(&t)))
                .into_iter()
                .collect(),
        })
}

#[derive(Debug, Clone)]
struct Case {
    message: Message,
    vias: Vec<Via>,
    from: NameAddr,
    to: NameAddr,
}

fn case() -> impl Strategy<Value = Case> {
    let start = prop_oneof![
        (
            prop::sample::select(vec!["INVITE", "ACK", "BYE", "REGISTER", "X-FOO.bar~"]),
            sip_uri()
        )
            .prop_map(|(m, uri)| StartLine::Request {
                method: Method::from_token(m),
                uri,
                version: Version::SIP_2_0,
            }),
        (100u16..700, "[ -~]{0,16}").prop_map(|(status, reason)| StartLine::Response {
            version: Version::SIP_2_0,
            status,
            reason,
        }),
    ];
    (
        start,
        prop::collection::vec(via(), 1..4),
        any::<bool>(),
        name_addr(),
        name_addr(),
        "[!-~]{1,20}",
        prop::collection::vec(("[A-Za-z][A-Za-z0-9-]{1,12}", "[!-~]( ?[!-~]){0,10}"), 0..4),
        prop::collection::vec(any::<u8>(), 0..128),
    )
        .prop_map(|(start, vias, compact, from, to, call_id, extra, body)| {
            let n = |full: &'static str, short: &'static str| if compact { short } else { full };
            let joined: Vec<String> = vias.iter().map(ToString::to_string).collect();
            let mut m = Message {
                start,
                headers: Headers::default(),
                body: Vec::new(),
            };
            m.headers.push(n("Via", "v"), &joined.join(" , "));
            m.headers.push(n("From", "f"), &from.to_string());
            m.headers.push(n("To", "t"), &to.to_string());
            m.headers.push(n("Call-ID", "i"), &call_id);
            m.headers.push("CSeq", "1 INVITE");
            for (name, value) in extra {
                m.headers.push(&format!("X-{name}"), &value);
            }
            m.headers
                .push(n("Content-Length", "l"), &body.len().to_string());
            m.body = body;
            Case {
                message: m,
                vias,
                from,
                to,
            }
        })
}

proptest! {
    #[test]
    fn parse_render_round_trip(c in case()) {
        let bytes = c.message.render();
        let tcp = frame_stream(&bytes, &Limits::default());
        prop_assert_eq!(tcp, Ok(Some(bytes.len())));
        for transport in [Transport::Udp, Transport::Tcp] {
            let parsed = parse(&bytes, transport, &Limits::default());
            prop_assert_eq!(parsed.as_ref(), Ok(&c.message));
        }
        prop_assert_eq!(c.message.vias(), Ok(c.vias.clone()));
        prop_assert_eq!(c.message.from(), Ok(c.from.clone()));
        prop_assert_eq!(c.message.to(), Ok(c.to.clone()));
    }
}
