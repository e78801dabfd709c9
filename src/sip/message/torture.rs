//! The RFC 4475 torture messages (tests/fixtures/sip-torture/) against what their README says
//! an element does with each. Test-only; reads the fixtures at compile time.

use super::*;

/// What the fixture's README expects, and for accepted messages what must be true of them.
enum Expect {
    /// Parses and passes the checks; the function asserts what is notable.
    Request(fn(&Message)),
    /// A response that parses and passes the checks.
    Response(fn(&Message)),
    /// A request answered with this status.
    Reject(u16),
    /// Dropped silently (broken responses).
    Discard,
}

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!(
                "../../../tests/fixtures/sip-torture/",
                $name,
                ".dat"
            ))
            .as_slice(),
        )
    };
}

fn user_bytes(uri: &Uri) -> Vec<u8> {
    uri.as_sip()
        .and_then(|u| u.user.as_deref())
        .map(unescape)
        .unwrap_or_default()
}

fn vias(m: &Message) -> Vec<Via> {
    m.vias().unwrap_or_default()
}

fn contacts(m: &Message) -> Vec<NameAddr> {
    match m.contacts() {
        Ok(Some(Contact::Addresses(a))) => a,
        _ => Vec::new(),
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one row per RFC 4475 message reads best as one table"
)]
fn table() -> Vec<((&'static str, &'static [u8]), Expect)> {
    use Expect::*;
    vec![
        (
            fixture!("wsinv"),
            Request(|m| {
                let v = vias(m);
                assert_eq!(v.len(), 3, "Via line + two comma-joined v: values");
                assert_eq!(v[1].branch(), Some("z9hG4bK9ikj8"));
                assert_eq!(
                    v[2].host,
                    Host::V4(core::net::Ipv4Addr::new(192, 168, 255, 111))
                );
                assert_eq!(
                    m.header("newfangledheader"),
                    Some("newfangled value continued newfangled value")
                );
                assert_eq!(m.header("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
                assert_eq!(m.max_forwards(), Ok(Some(68)));
                assert_eq!(m.cseq().map(|c| (c.seq, c.method)), Ok((9, Method::Invite)));
                assert_eq!(
                    m.to()
                        .ok()
                        .and_then(|t| t.tag().map(str::to_owned))
                        .as_deref(),
                    Some("1918181833n")
                );
                assert_eq!(
                    m.from().ok().and_then(|f| f.display),
                    Some(r#"J Rosenberg \""#.to_owned())
                );
                assert_eq!(
                    contacts(m)[0].display.as_deref(),
                    Some(r#"Quoted string """#)
                );
                assert_eq!(contacts(m)[0].param("q"), Some(Some("0.33")));
                assert_eq!(m.body.len(), 150);
            }),
        ),
        (
            fixture!("intmeth"),
            Request(|m| {
                assert_eq!(
                    m.method(),
                    Some(&Method::Other(
                        "!interesting-Method0123456789_*+`.%indeed'~".into()
                    ))
                );
                assert_eq!(
                    m.to().ok().and_then(|t| t.display),
                    Some("BEL:\x07 NUL:\0 DEL:\x7f".to_owned())
                );
                assert_eq!(
                    m.header("extensionHeader-!.%*+_`'~"),
                    Some("\u{feff}大停電")
                );
                assert_eq!(
                    m.call_id(),
                    Ok("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
                );
            }),
        ),
        (
            fixture!("esc01"),
            Request(|m| {
                assert_eq!(
                    m.request_uri().map(user_bytes),
                    Some(b"sips:user@example.com".to_vec())
                );
                assert_eq!(m.to().map(|t| user_bytes(&t.uri)), Ok(b"user".to_vec()));
                assert_eq!(
                    m.from().map(|f| user_bytes(&f.uri)),
                    Ok(b"I have spaces".to_vec())
                );
            }),
        ),
        (
            fixture!("escnull"),
            Request(|m| {
                assert_eq!(
                    m.to().map(|t| user_bytes(&t.uri)),
                    Ok(b"null-\0-null".to_vec())
                );
                assert_eq!(contacts(m).len(), 2);
                assert_eq!(user_bytes(&contacts(m)[1].uri), b"\0\0".to_vec());
            }),
        ),
        (
            fixture!("esc02"),
            Request(|m| {
                assert_eq!(m.method(), Some(&Method::Other("RE%47IST%45R".into())));
                assert_eq!(
                    contacts(m).len(),
                    2,
                    "C%6Fntact is an unknown header, not Contact"
                );
                assert!(m.header("C%6Fntact").is_some());
            }),
        ),
        (
            fixture!("lwsdisp"),
            Request(|m| {
                assert_eq!(
                    m.from().ok().and_then(|f| f.display).as_deref(),
                    Some("caller")
                )
            }),
        ),
        (
            fixture!("longreq"),
            Request(|m| {
                assert!(
                    m.to()
                        .map(|t| t.display.unwrap_or_default().len() > 80)
                        .unwrap_or(false)
                );
                assert!(vias(m).len() >= 10);
            }),
        ),
        (
            fixture!("dblreq"),
            Request(|m| {
                assert_eq!(m.method(), Some(&Method::Register));
                assert!(m.body.is_empty(), "the INVITE-looking junk is not a body");
            }),
        ),
        (
            fixture!("semiuri"),
            Request(|m| {
                let user = m
                    .request_uri()
                    .and_then(Uri::as_sip)
                    .and_then(|u| u.user.clone());
                assert_eq!(user.as_deref(), Some("user;par=u%40example.net"));
            }),
        ),
        (
            fixture!("transports"),
            Request(|m| {
                let t: Vec<String> = vias(m).into_iter().map(|v| v.transport).collect();
                assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
            }),
        ),
        (
            fixture!("mpart01"),
            Request(|m| {
                assert_eq!(m.content_length(), Ok(Some(m.body.len())));
                assert!(m.body.contains(&0), "binary body kept byte for byte");
            }),
        ),
        (
            fixture!("unreason"),
            Response(|m| {
                let StartLine::Response { status, reason, .. } = &m.start else {
                    panic!("response")
                };
                assert_eq!(*status, 200);
                assert!(!reason.is_ascii());
            }),
        ),
        (
            fixture!("noreason"),
            Response(|m| {
                assert!(
                    matches!(&m.start, StartLine::Response { status: 100, reason, .. } if reason.is_empty())
                );
            }),
        ),
        (fixture!("badinv01"), Reject(400)),
        (fixture!("clerr"), Reject(400)),
        (fixture!("ncl"), Reject(400)),
        (fixture!("scalar02"), Reject(400)),
        (fixture!("scalarlg"), Discard),
        (fixture!("quotbal"), Reject(400)),
        (fixture!("ltgtruri"), Reject(400)),
        (fixture!("lwsruri"), Reject(400)),
        (fixture!("lwsstart"), Reject(400)),
        (fixture!("trws"), Reject(400)),
        (fixture!("escruri"), Reject(400)),
        (
            fixture!("baddate"),
            Request(|m| assert!(m.header("Date").is_some())),
        ),
        (fixture!("regbadct"), Reject(400)),
        (fixture!("badaspec"), Reject(400)),
        (fixture!("baddn"), Reject(400)),
        (fixture!("badvers"), Reject(505)),
        (fixture!("mismatch01"), Reject(400)),
        (fixture!("mismatch02"), Reject(400)),
        (fixture!("bigcode"), Discard),
        (
            fixture!("badbranch"),
            Request(|m| {
                assert_eq!(
                    m.top_via().ok().as_ref().and_then(Via::branch),
                    Some("z9hG4bK")
                )
            }),
        ),
        (fixture!("insuf"), Reject(400)),
        (fixture!("unkscm"), Reject(416)),
        (fixture!("novelsc"), Reject(416)),
        (
            fixture!("unksm2"),
            Request(|m| {
                assert!(
                    matches!(m.to().map(|t| t.uri), Ok(Uri::Other { .. })),
                    "registrar decides 400"
                );
            }),
        ),
        (
            fixture!("bext01"),
            Request(|m| {
                assert!(
                    m.header("Require")
                        .is_some_and(|r| r.contains("nothingSupportsThis"))
                )
            }),
        ),
        (
            fixture!("invut"),
            Request(|m| assert!(m.content_type().is_some_and(|c| c != "application/sdp"))),
        ),
        (
            fixture!("regaut01"),
            Request(|m| {
                let c = m.challenges("Authorization").unwrap_or_default();
                assert_eq!(
                    c.first().map(|c| c.scheme.as_str()),
                    Some("NoOneKnowsThisScheme")
                );
            }),
        ),
        (fixture!("multi01"), Reject(400)),
        (fixture!("mcl01"), Reject(400)),
        (
            fixture!("bcast"),
            Response(|m| {
                assert_eq!(vias(m)[1].host, Host::V4(core::net::Ipv4Addr::BROADCAST));
            }),
        ),
        (
            fixture!("zeromf"),
            Request(|m| assert_eq!(m.max_forwards(), Ok(Some(0)))),
        ),
        (
            fixture!("cparam01"),
            Request(|m| {
                assert_eq!(
                    contacts(m)[0].param("unknownparam"),
                    Some(None),
                    "header param outside <>"
                );
            }),
        ),
        (
            fixture!("cparam02"),
            Request(|m| {
                let c = contacts(m);
                let uri_param = c[0].uri.as_sip().and_then(|u| u.param("unknownparam"));
                assert_eq!(uri_param, Some(None), "URI param inside <>");
            }),
        ),
        (
            fixture!("regescrt"),
            Request(|m| {
                let headers = contacts(m)[0]
                    .uri
                    .as_sip()
                    .map(|u| u.headers.clone())
                    .unwrap_or_default();
                assert_eq!(
                    headers,
                    [("Route".to_owned(), "%3Csip:sip.example.com%3E".to_owned())]
                );
            }),
        ),
        (
            fixture!("sdp01"),
            Request(|m| assert_eq!(m.header("Accept"), Some("text/nobodyKnowsThis"))),
        ),
        (
            fixture!("inv2543"),
            Request(|m| {
                assert_eq!(m.top_via().map(|v| v.branch().is_none()), Ok(true));
                assert_eq!(m.to().map(|t| t.tag().is_none()), Ok(true));
            }),
        ),
    ]
}

#[test]
fn every_torture_message_gets_the_answer_its_readme_lists() {
    let table = table();
    assert_eq!(table.len(), 49);
    for ((name, bytes), expect) in table {
        let verdict = classify_datagram(bytes, Transport::Udp, &Limits::default());
        match (expect, verdict) {
            (Expect::Request(f), Verdict::Request(m))
            | (Expect::Response(f), Verdict::Response(m)) => {
                f(&m);
                let again = parse(&m.render(), Transport::Udp, &Limits::default());
                assert_eq!(again.as_ref(), Ok(&m), "{name}: parse(render(m)) == m");
            }
            (Expect::Reject(status), Verdict::Reject { error, headers }) => {
                assert_eq!(error.status(), status, "{name}: {error}");
                assert!(headers.get("Via").is_some(), "{name}");
            }
            (Expect::Discard, Verdict::Discard(_)) => {}
            (_, got) => panic!("{name}: unexpected {got:?}"),
        }
    }
}

/// A contact-center user agent: the usual methods, two extensions, SDP, plain text and multipart/mixed.
const POLICY: UasPolicy<'static> = UasPolicy {
    methods: &[
        Method::Invite,
        Method::Ack,
        Method::Bye,
        Method::Cancel,
        Method::Options,
        Method::Register,
        Method::Message,
        Method::Info,
        Method::Update,
    ],
    extensions: &["replaces", "timer"],
    content_types: &["application/sdp", "multipart/mixed", "text/plain"],
};

#[test]
fn a_user_agent_answers_501_420_415_406_where_the_readme_says() {
    let special = [
        ("intmeth", 501),
        ("esc02", 501),
        ("bext01", 420),
        ("invut", 415),
        ("sdp01", 406),
    ];
    for ((name, bytes), _) in table() {
        let Verdict::Request(m) = classify_datagram(bytes, Transport::Udp, &Limits::default())
        else {
            continue;
        };
        let expected = special.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
        let got = check_uas(&m, &POLICY).err();
        assert_eq!(
            got.as_ref().map(MessageError::status),
            expected,
            "{name}: {got:?}"
        );
    }
    let bext = table()
        .into_iter()
        .find(|((n, _), _)| *n == "bext01")
        .map(|((_, b), _)| b);
    let m = parse(bext.unwrap_or_default(), Transport::Udp, &Limits::default());
    assert_eq!(
        m.map(|m| check_uas(&m, &POLICY)),
        Ok(Err(MessageError::BadExtension {
            option: "nothingSupportsThis".into()
        }))
    );
}

#[test]
fn every_fixture_file_is_in_the_table() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sip-torture");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    files.retain(|f| f.ends_with(".dat"));
    files.sort();
    let mut names: Vec<String> = table()
        .iter()
        .map(|((n, _), _)| format!("{n}.dat"))
        .collect();
    names.sort();
    assert_eq!(files, names);
}

/// RFC 5118 (IPv6 torture messages), the cases that concern parsing.
#[test]
fn rfc5118_ipv6_messages() {
    let register = "REGISTER sip:[2001:db8::10] SIP/2.0\r\nTo: sip:user@example.com\r\nFrom: sip:user@example.com;tag=81x2\r\nVia: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\r\nCall-ID: SSG9559905523997077@hlau_4100\r\nMax-Forwards: 70\r\nContact: \"Caller\" <sip:caller@[2001:db8::1]>\r\nCSeq: 98176 REGISTER\r\nContent-Length: 0\r\n\r\n";
    let v6 = |s: &str| Host::V6(s.parse().unwrap_or(core::net::Ipv6Addr::UNSPECIFIED));
    let Verdict::Request(m) =
        classify_datagram(register.as_bytes(), Transport::Udp, &Limits::default())
    else {
        panic!("RFC 5118 §4.1 is valid");
    };
    assert_eq!(
        m.request_uri()
            .and_then(Uri::as_sip)
            .map(|u| u.host.clone()),
        Some(v6("2001:db8::10"))
    );
    assert_eq!(m.top_via().map(|v| v.host), Ok(v6("2001:db8::9:1")));
    let bad = register.replace("REGISTER sip:[2001:db8::10]", "REGISTER sip:2001:db8::10");
    assert!(
        matches!(
            classify_datagram(bad.as_bytes(), Transport::Udp, &Limits::default()),
            Verdict::Reject {
                error: MessageError::BadUri { .. },
                ..
            }
        ),
        "§4.2: IPv6 without brackets is rejected"
    );
    for received in ["received=[2001:db8::9:255]", "received=2001:db8::9:255"] {
        let text = register.replace(
            "branch=z9hG4bKas3-111",
            &format!("branch=z9hG4bKas3-111;{received}"),
        );
        let m = parse(text.as_bytes(), Transport::Udp, &Limits::default());
        let got = m
            .and_then(|m| m.top_via())
            .map(|v| v.param("received").flatten().map(str::to_owned));
        assert_eq!(
            got,
            Ok(Some(received.trim_start_matches("received=").to_owned())),
            "§4.5"
        );
    }
}
