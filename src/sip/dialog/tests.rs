//! Dialog unit tests: creation on both sides, route sets, target refresh, CSeq rules and the
//! requests a dialog builds.

use super::*;
use crate::sip::message::{Host, Limits, Transport, parse};

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>\r\nFrom: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710@pc33.atlanta.example.com\r\nCSeq: 314159 INVITE\r\nContact: <sip:alice@pc33.atlanta.example.com>\r\nRecord-Route: <sip:p1.example.com;lr>\r\nRecord-Route: <sip:p2.example.com;lr>\r\nContent-Length: 0\r\n\r\n";

fn msg(text: &str) -> Message {
    parse(text.as_bytes(), Transport::Udp, &Limits::default()).expect("test message parses")
}

fn reply(status: u16, contact: &str) -> Message {
    let req = msg(INVITE);
    let mut r = Message::response_to(&req, status, "X");
    r.set_to_tag("a6c85cf");
    for rr in req.headers.all("Record-Route") {
        r.headers.push("Record-Route", rr);
    }
    r.headers.push("Contact", contact);
    r
}

fn via(branch: &str) -> Via {
    Via {
        transport: "UDP".into(),
        host: Host::Name("pc33.atlanta.example.com".into()),
        port: None,
        params: vec![Param::new("branch", Some(branch))],
    }
}

fn routes(d: &Dialog) -> Vec<String> {
    d.route_set().iter().map(|r| r.uri.to_string()).collect()
}

#[test]
fn uac_early_then_confirmed_with_reversed_route_set_and_refreshed_target() {
    let mut d = Dialog::uac(&msg(INVITE), &reply(180, "<sip:bob@192.0.2.4>")).expect("dialog");
    assert_eq!(d.state(), DialogState::Early);
    assert_eq!(
        d.id(),
        &DialogId {
            call_id: "a84b4c76e66710@pc33.atlanta.example.com".into(),
            local_tag: "1928301774".into(),
            remote_tag: "a6c85cf".into(),
        }
    );
    assert_eq!(
        routes(&d),
        ["sip:p2.example.com;lr", "sip:p1.example.com;lr"]
    );
    assert_eq!(d.remote_target().to_string(), "sip:bob@192.0.2.4");
    d.handle_response(&reply(200, "<sip:bob@192.0.2.5>"))
        .expect("200");
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.remote_target().to_string(), "sip:bob@192.0.2.5");
    assert_eq!(d.local_seq(), Some(314_159));
    assert_eq!(
        DialogId::of_response(&reply(200, "<sip:x@y>")).as_ref(),
        Ok(d.id())
    );
}

#[test]
fn uac_builds_bye_and_ack_with_the_right_headers() {
    let mut d = Dialog::uac(&msg(INVITE), &reply(200, "<sip:bob@192.0.2.4>")).expect("dialog");
    let ack = d.ack(314_159, &via("z9hG4bKack"));
    assert_eq!(ack.method(), Some(&Method::Ack));
    assert_eq!(ack.cseq().map(|c| c.seq), Ok(314_159));
    let bye = d.request(Method::Bye, &via("z9hG4bKbye")).expect("bye");
    assert_eq!(
        bye.request_uri().map(ToString::to_string).as_deref(),
        Some("sip:bob@192.0.2.4")
    );
    assert_eq!(
        bye.cseq().map(|c| (c.seq, c.method)),
        Ok((314_160, Method::Bye))
    );
    assert_eq!(
        bye.from()
            .ok()
            .and_then(|f| f.tag().map(str::to_owned))
            .as_deref(),
        Some("1928301774")
    );
    assert_eq!(
        bye.to()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned))
            .as_deref(),
        Some("a6c85cf")
    );
    assert_eq!(bye.call_id(), Ok("a84b4c76e66710@pc33.atlanta.example.com"));
    let r: Vec<String> = bye
        .routes()
        .unwrap_or_default()
        .iter()
        .map(|r| r.uri.to_string())
        .collect();
    assert_eq!(r, ["sip:p2.example.com;lr", "sip:p1.example.com;lr"]);
    assert_eq!(
        bye.top_via().ok().as_ref().and_then(Via::branch),
        Some("z9hG4bKbye")
    );
    assert!(bye.header("Contact").is_none());
    let reinvite = d
        .request(Method::Invite, &via("z9hG4bKre"))
        .expect("re-INVITE");
    assert_eq!(reinvite.cseq().map(|c| c.seq), Ok(314_161));
    assert_eq!(
        reinvite.header("Contact"),
        Some("<sip:alice@pc33.atlanta.example.com>")
    );
    assert_eq!(crate::sip::message::check_request(&reinvite), Ok(()));
}

#[test]
fn uas_keeps_route_order_checks_cseq_refreshes_target_and_ends_on_bye() {
    let req = msg(INVITE);
    let d = Dialog::uas(&req, &reply(200, "<sip:bob@192.0.2.4>"));
    let mut d = d.expect("dialog");
    assert_eq!(
        routes(&d),
        ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    );
    assert_eq!(
        d.remote_target().to_string(),
        "sip:alice@pc33.atlanta.example.com"
    );
    assert_eq!(d.id().local_tag, "a6c85cf");
    let in_dialog = |method: &str, seq: u32, contact: &str| {
        let text = INVITE
            .replace("INVITE sip:bob", &format!("{method} sip:bob"))
            .replace("314159 INVITE", &format!("{seq} {method}"))
            .replace(
                "To: Bob <sip:bob@biloxi.example.com>",
                "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf",
            )
            .replace("<sip:alice@pc33.atlanta.example.com>", contact);
        msg(&text)
    };
    assert_eq!(
        DialogId::of_request(&in_dialog("BYE", 1, "<sip:a@b>")).as_ref(),
        Ok(d.id())
    );
    let old = in_dialog("INFO", 10, "<sip:a@b>");
    assert_eq!(
        d.handle_request(&old),
        Err(DialogError::OutOfOrder {
            got: 10,
            last: 314_159
        })
    );
    d.handle_request(&in_dialog("INVITE", 314_160, "<sip:alice@192.0.2.9>"))
        .expect("re-INVITE");
    assert_eq!(d.remote_target().to_string(), "sip:alice@192.0.2.9");
    d.handle_request(&in_dialog("ACK", 314_160, "<sip:a@b>"))
        .expect("ACK");
    assert_eq!(d.remote_seq(), Some(314_160));
    let bye = d
        .request(Method::Bye, &via("z9hG4bKx"))
        .expect("uas picks its own CSeq");
    assert_eq!(bye.cseq().map(|c| c.seq), Ok(1));
    d.handle_request(&in_dialog("BYE", 314_161, "<sip:a@b>"))
        .expect("BYE");
    assert_eq!(d.state(), DialogState::Terminated(Termination::Bye));
    assert_eq!(
        d.request(Method::Bye, &via("z9hG4bKy")).err(),
        Some(DialogError::Terminated)
    );
}

#[test]
fn strict_first_route_becomes_the_request_uri() {
    // UAC reverses Record-Route, so the proxy nearest to us (last written) is first.
    let mut r = reply(200, "<sip:bob@192.0.2.4>");
    r.headers.remove("Record-Route");
    r.headers.push(
        "Record-Route",
        "<sip:p1.example.com;lr>, <sip:strict.example.com>",
    );
    let mut d = Dialog::uac(&msg(INVITE), &r).expect("dialog");
    let bye = d.request(Method::Bye, &via("z9hG4bKs")).expect("bye");
    assert_eq!(
        bye.request_uri().map(ToString::to_string).as_deref(),
        Some("sip:strict.example.com")
    );
    let r: Vec<String> = bye
        .routes()
        .unwrap_or_default()
        .iter()
        .map(|r| r.uri.to_string())
        .collect();
    assert_eq!(r, ["sip:p1.example.com;lr", "sip:bob@192.0.2.4"]);
}

#[test]
fn endings_and_refusals() {
    let check = |status: u16, early: bool, expected: DialogState| {
        let first = if early { 180 } else { 200 };
        let mut d = Dialog::uac(&msg(INVITE), &reply(first, "<sip:b@c>")).expect("dialog");
        let mut r = reply(status, "<sip:b@c>");
        if status == 481 {
            r.headers.set("CSeq", "314160 INFO");
        }
        d.handle_response(&r).expect("response");
        assert_eq!(d.state(), expected, "{status} early={early}");
    };
    check(
        486,
        true,
        DialogState::Terminated(Termination::Rejected { status: 486 }),
    );
    check(
        481,
        false,
        DialogState::Terminated(Termination::Lost { status: 481 }),
    );
    check(200, true, DialogState::Confirmed);
    assert_eq!(
        Dialog::uac(&msg(INVITE), &reply(100, "<sip:b@c>")).err(),
        Some(DialogError::NoDialog { status: 100 })
    );
    let untagged =
        Message::response_to(&msg(INVITE), 180, "Ringing").with_header("Contact", "<sip:b@c>");
    assert_eq!(
        Dialog::uac(&msg(INVITE), &untagged).err(),
        Some(DialogError::MissingTag)
    );
}
