//! SIP dialogs (RFC 3261 §12): the dialog id, its typed state (early, confirmed, terminated),
//! local and remote CSeq, the route set from Record-Route (reversed on the UAC side), remote
//! target refresh from Contact, and building in-dialog requests (BYE, re-INVITE, ACK for 2xx).
//!
//! Pure: no I/O, no clock, no randomness. Branches and Via values come from the caller; the
//! dialog never sends anything itself and knows nothing of transactions.

use crate::sip::message::{Message, MessageError, Method, NameAddr, Param, Uri, Via};

/// Call-ID plus local and remote tag (§12).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The id an incoming in-dialog request belongs to (local = To tag, remote = From tag).
    pub fn of_request(request: &Message) -> Result<Self, DialogError> {
        Ok(Self {
            call_id: request.call_id()?.to_owned(),
            local_tag: tag_of(&request.to()?)?,
            remote_tag: tag_of(&request.from()?)?,
        })
    }

    /// The id a response to our request belongs to (local = From tag, remote = To tag).
    pub fn of_response(response: &Message) -> Result<Self, DialogError> {
        Ok(Self {
            call_id: response.call_id()?.to_owned(),
            local_tag: tag_of(&response.from()?)?,
            remote_tag: tag_of(&response.to()?)?,
        })
    }
}

/// Where a dialog stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    /// A 2xx was sent or received.
    Confirmed,
    /// Ended, with the reason.
    Terminated(Termination),
}

/// Why a dialog ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// A BYE was sent or received.
    Bye,
    /// The INVITE got a non-2xx final response while the dialog was early.
    Rejected {
        /// The final status.
        status: u16,
    },
    /// An in-dialog request got 481 or 408 (§12.2.1.2).
    Lost {
        /// The status that ended it.
        status: u16,
    },
}

/// Misuse of a dialog or a message it cannot belong to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// From or To has no tag, so no dialog can be formed or matched.
    #[error("missing tag")]
    MissingTag,
    /// A header the dialog needs is missing or malformed.
    #[error("malformed message: {0}")]
    Message(#[from] MessageError),
    /// The response does not establish a dialog (100, or not a 1xx/2xx).
    #[error("status {status} does not create a dialog")]
    NoDialog {
        /// The status received.
        status: u16,
    },
    /// An in-dialog request with a CSeq lower than the last one (answer 500, §12.2.2).
    #[error("CSeq {got} is lower than {last}")]
    OutOfOrder {
        /// The CSeq received.
        got: u32,
        /// The highest CSeq seen.
        last: u32,
    },
    /// The dialog has ended.
    #[error("dialog terminated")]
    Terminated,
}

fn tag_of(addr: &NameAddr) -> Result<String, DialogError> {
    addr.tag().map(str::to_owned).ok_or(DialogError::MissingTag)
}

fn with_tag(addr: &NameAddr, tag: &str) -> NameAddr {
    let mut a = addr.clone();
    a.params.retain(|p| !p.name.eq_ignore_ascii_case("tag"));
    a.params.push(Param::new("tag", Some(tag)));
    a
}

fn contact_uri(m: &Message) -> Result<Option<Uri>, DialogError> {
    Ok(match m.contacts()? {
        Some(crate::sip::message::Contact::Addresses(a)) => a.into_iter().next().map(|a| a.uri),
        _ => None,
    })
}

/// One dialog, UAC or UAS side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    uac: bool,
    local_seq: Option<u32>,
    remote_seq: Option<u32>,
    local: NameAddr,
    remote: NameAddr,
    local_target: Option<Uri>,
    remote_target: Uri,
    route_set: Vec<NameAddr>,
}

fn state_for(status: u16) -> Result<DialogState, DialogError> {
    match status {
        101..=199 => Ok(DialogState::Early),
        200..=299 => Ok(DialogState::Confirmed),
        _ => Err(DialogError::NoDialog { status }),
    }
}

impl Dialog {
    /// The UAC side (§12.1.2): from the INVITE we sent and a 101-199 (with To tag) or 2xx.
    /// The route set is the response's Record-Route reversed; the target its Contact.
    pub fn uac(request: &Message, response: &Message) -> Result<Self, DialogError> {
        let status = response
            .status()
            .ok_or(DialogError::NoDialog { status: 0 })?;
        let state = state_for(status)?;
        let mut route_set = response.record_routes()?;
        route_set.reverse();
        let remote_target = contact_uri(response)?
            .or_else(|| request.request_uri().cloned())
            .ok_or(MessageError::MissingHeader { name: "Contact" })?;
        Ok(Self {
            id: DialogId::of_response(response)?,
            state,
            uac: true,
            local_seq: Some(request.cseq()?.seq),
            remote_seq: None,
            local: request.from()?,
            remote: response.to()?,
            local_target: contact_uri(request)?,
            remote_target,
            route_set,
        })
    }

    /// The UAS side (§12.1.1): from the request received and the 101-199 or 2xx we send (whose
    /// To carries our tag). The route set is the request's Record-Route in order.
    pub fn uas(request: &Message, response: &Message) -> Result<Self, DialogError> {
        let status = response
            .status()
            .ok_or(DialogError::NoDialog { status: 0 })?;
        let state = state_for(status)?;
        let remote_target =
            contact_uri(request)?.ok_or(MessageError::MissingHeader { name: "Contact" })?;
        Ok(Self {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag: tag_of(&response.to()?)?,
                remote_tag: tag_of(&request.from()?)?,
            },
            state,
            uac: false,
            local_seq: None,
            remote_seq: Some(request.cseq()?.seq),
            local: response.to()?,
            remote: request.from()?,
            local_target: contact_uri(response)?,
            remote_target,
            route_set: request.record_routes()?,
        })
    }

    /// The dialog id.
    #[must_use]
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// The current state.
    #[must_use]
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// The last CSeq we used, if any.
    #[must_use]
    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    /// The highest CSeq received from the peer, if any.
    #[must_use]
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// Where in-dialog requests go (the peer's Contact).
    #[must_use]
    pub fn remote_target(&self) -> &Uri {
        &self.remote_target
    }

    /// The route set, in the order Route headers are written.
    #[must_use]
    pub fn route_set(&self) -> &[NameAddr] {
        &self.route_set
    }

    /// Feeds a response to a request we sent in (or to create) this dialog.
    pub fn handle_response(&mut self, response: &Message) -> Result<(), DialogError> {
        if matches!(self.state, DialogState::Terminated(_)) {
            return Err(DialogError::Terminated);
        }
        let status = response
            .status()
            .ok_or(DialogError::NoDialog { status: 0 })?;
        let method = response.cseq()?.method;
        match status {
            200..=299 => {
                if self.state == DialogState::Early && self.uac && method == Method::Invite {
                    let mut routes = response.record_routes()?;
                    routes.reverse();
                    self.route_set = routes;
                }
                if self.state == DialogState::Early {
                    self.state = DialogState::Confirmed;
                }
                if matches!(method, Method::Invite | Method::Update) {
                    self.refresh_target(response)?;
                }
                if method == Method::Bye {
                    self.state = DialogState::Terminated(Termination::Bye);
                }
            }
            300.. if self.state == DialogState::Early && method == Method::Invite => {
                self.state = DialogState::Terminated(Termination::Rejected { status });
            }
            408 | 481 => self.state = DialogState::Terminated(Termination::Lost { status }),
            _ => {}
        }
        Ok(())
    }

    /// Feeds an in-dialog request from the peer: checks CSeq order (§12.2.2), refreshes the
    /// target on INVITE/UPDATE, and ends the dialog on BYE.
    pub fn handle_request(&mut self, request: &Message) -> Result<(), DialogError> {
        if matches!(self.state, DialogState::Terminated(_)) {
            return Err(DialogError::Terminated);
        }
        let cseq = request.cseq()?;
        if !matches!(cseq.method, Method::Ack | Method::Cancel) {
            if let Some(last) = self.remote_seq.filter(|last| cseq.seq < *last) {
                return Err(DialogError::OutOfOrder {
                    got: cseq.seq,
                    last,
                });
            }
            self.remote_seq = Some(cseq.seq);
        }
        match cseq.method {
            Method::Invite | Method::Update => self.refresh_target(request)?,
            Method::Bye => self.state = DialogState::Terminated(Termination::Bye),
            _ => {}
        }
        Ok(())
    }

    fn refresh_target(&mut self, m: &Message) -> Result<(), DialogError> {
        if let Some(uri) = contact_uri(m)? {
            self.remote_target = uri;
        }
        Ok(())
    }

    /// A new in-dialog request (§12.2.1.1) with the next local CSeq and `via` as its only Via:
    /// BYE, re-INVITE, UPDATE, INFO, ... Loose routing; a strict first route (no `lr`) becomes
    /// the Request-URI with the remote target appended as the last Route.
    pub fn request(&mut self, method: Method, via: &Via) -> Result<Message, DialogError> {
        if matches!(self.state, DialogState::Terminated(_)) {
            return Err(DialogError::Terminated);
        }
        let seq = self.local_seq.map_or(1, |s| s.wrapping_add(1));
        self.local_seq = Some(seq);
        Ok(self.build(method, seq, via))
    }

    /// The ACK for a 2xx to the INVITE with CSeq number `invite_seq` (§13.2.2.4): same CSeq
    /// number, method ACK; built like any in-dialog request.
    #[must_use]
    pub fn ack(&self, invite_seq: u32, via: &Via) -> Message {
        self.build(Method::Ack, invite_seq, via)
    }

    fn build(&self, method: Method, seq: u32, via: &Via) -> Message {
        let strict = self
            .route_set
            .first()
            .is_some_and(|r| r.uri.as_sip().is_some_and(|u| u.param("lr").is_none()));
        let (uri, routes): (Uri, Vec<String>) = if strict {
            let mut routes: Vec<String> = self.route_set[1..]
                .iter()
                .map(ToString::to_string)
                .collect();
            routes.push(format!("<{}>", self.remote_target));
            (self.route_set[0].uri.clone(), routes)
        } else {
            let routes = self.route_set.iter().map(ToString::to_string).collect();
            (self.remote_target.clone(), routes)
        };
        let wants_contact = matches!(method, Method::Invite | Method::Update | Method::Subscribe);
        let mut m = Message::request(method.clone(), uri);
        m.headers.push("Via", &via.to_string());
        m.headers.push("Max-Forwards", "70");
        m.headers.push(
            "From",
            &with_tag(&self.local, &self.id.local_tag).to_string(),
        );
        m.headers.push(
            "To",
            &with_tag(&self.remote, &self.id.remote_tag).to_string(),
        );
        m.headers.push("Call-ID", &self.id.call_id);
        m.headers.push("CSeq", &format!("{seq} {method}"));
        for r in routes {
            m.headers.push("Route", &r);
        }
        if let Some(contact) = self.local_target.as_ref().filter(|_| wants_contact) {
            m.headers.push("Contact", &format!("<{contact}>"));
        }
        m.headers.push("Content-Length", "0");
        m
    }
}

#[cfg(test)]
mod tests;
