//! Transaction keys: how a response finds its client transaction (§17.1.3) and how a request
//! finds its server transaction (§17.2.3, with the RFC 2543 fallback when the branch lacks the
//! magic cookie), and which INVITE server transaction a CANCEL refers to (§9.2).

use crate::sip::message::{Host, Message, MessageError, Method};

/// The RFC 3261 magic cookie that starts a branch.
const MAGIC_COOKIE: &str = "z9hG4bK";

/// Does this branch follow RFC 3261 (cookie plus something unique)? A bare cookie does not
/// (RFC 4475 §3.2.1).
fn rfc3261_branch(branch: Option<&str>) -> Option<&str> {
    branch.filter(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE))
}

/// Identifies a client transaction: the top Via branch plus the CSeq method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The branch of the top Via.
    pub branch: String,
    /// The method of the request that created the transaction.
    pub method: Method,
}

impl ClientKey {
    /// The key of a request we send or of a response we receive (same fields both ways).
    pub fn of(message: &Message) -> Result<Self, MessageError> {
        let via = message.top_via()?;
        let branch = via
            .branch()
            .ok_or(MessageError::BadHeader { name: "Via" })?
            .to_owned();
        Ok(Self {
            branch,
            method: message.cseq()?.method,
        })
    }
}

/// Identifies a server transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerKey {
    /// §17.2.3: branch, sent-by and method (ACK is matched as INVITE).
    Rfc3261 {
        /// The top Via branch.
        branch: String,
        /// The top Via sent-by host.
        host: Host,
        /// The top Via sent-by port.
        port: Option<u16>,
        /// The method, with ACK folded into INVITE.
        method: Method,
    },
    /// RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq and top Via (the To tag is left
    /// out so that the ACK, which carries the tag of our response, matches its INVITE).
    Rfc2543 {
        /// The Request-URI as rendered.
        request_uri: String,
        /// The From tag, if any.
        from_tag: Option<String>,
        /// The Call-ID.
        call_id: String,
        /// The CSeq number.
        cseq: u32,
        /// The CSeq method, with ACK folded into INVITE.
        method: Method,
        /// The top Via as rendered.
        via: String,
    },
}

fn fold_ack(method: Method) -> Method {
    if method == Method::Ack {
        Method::Invite
    } else {
        method
    }
}

impl ServerKey {
    /// The key of a received request.
    pub fn of(request: &Message) -> Result<Self, MessageError> {
        Self::with_method(request, None)
    }

    /// The key of the INVITE server transaction a CANCEL refers to (§9.2: same key as the
    /// CANCEL's, with method INVITE).
    pub fn cancel_target(cancel: &Message) -> Result<Self, MessageError> {
        Self::with_method(cancel, Some(Method::Invite))
    }

    fn with_method(request: &Message, method: Option<Method>) -> Result<Self, MessageError> {
        let via = request.top_via()?;
        let request_method = request
            .method()
            .cloned()
            .ok_or(MessageError::BadStartLine)?;
        let method = fold_ack(method.unwrap_or(request_method));
        if let Some(branch) = rfc3261_branch(via.branch()) {
            return Ok(Self::Rfc3261 {
                branch: branch.to_owned(),
                host: via.host.clone(),
                port: via.port,
                method,
            });
        }
        let uri = request.request_uri().ok_or(MessageError::BadStartLine)?;
        Ok(Self::Rfc2543 {
            request_uri: uri.to_string(),
            from_tag: request.from()?.tag().map(str::to_owned),
            call_id: request.call_id()?.to_owned(),
            cseq: request.cseq()?.seq,
            method,
            via: via.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Limits, Transport, parse};

    fn msg(text: &str) -> Message {
        parse(text.as_bytes(), Transport::Udp, &Limits::default()).expect("test message parses")
    }

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";

    fn variant(from: &str, to: &str) -> Message {
        msg(&INVITE.replace(from, to))
    }

    #[test]
    fn ack_and_cancel_find_the_invite_and_others_do_not() {
        let invite = ServerKey::of(&msg(INVITE));
        assert_eq!(ServerKey::of(&msg(INVITE).tap_ack()), invite);
        let cancel = msg(&INVITE
            .replace("INVITE sip", "CANCEL sip")
            .replace("1 INVITE", "1 CANCEL"));
        assert_eq!(ServerKey::cancel_target(&cancel), invite);
        assert_ne!(ServerKey::of(&cancel), invite);
        assert_ne!(ServerKey::of(&variant("z9hG4bK776", "z9hG4bK777")), invite);
        assert_ne!(
            ServerKey::of(&variant("pc33.example.com;", "pc34.example.com;")),
            invite
        );
        assert_eq!(
            ClientKey::of(&msg(INVITE)),
            Ok(ClientKey {
                branch: "z9hG4bK776".into(),
                method: Method::Invite
            })
        );
    }

    #[test]
    fn bare_cookie_and_old_branches_fall_back_to_rfc2543() {
        for branch in ["z9hG4bK", "390skdjuw"] {
            let m = variant("z9hG4bK776", branch);
            assert!(
                matches!(ServerKey::of(&m), Ok(ServerKey::Rfc2543 { .. })),
                "{branch}"
            );
        }
        let inv = variant(";branch=z9hG4bK776", "");
        let mut ack = variant(";branch=z9hG4bK776", "").tap_ack();
        ack.headers.set("To", "<sip:bob@example.com>;tag=server");
        assert_eq!(ServerKey::of(&ack), ServerKey::of(&inv));
        assert_eq!(
            ClientKey::of(&inv),
            Err(MessageError::BadHeader { name: "Via" })
        );
    }

    trait TapAck {
        fn tap_ack(self) -> Message;
    }

    impl TapAck for Message {
        fn tap_ack(mut self) -> Message {
            if let crate::sip::message::StartLine::Request { method, .. } = &mut self.start {
                *method = Method::Ack;
            }
            self.headers.set("CSeq", "1 ACK");
            self
        }
    }
}
