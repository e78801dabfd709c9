//! Typed header accessors on [`Message`] (`vias()`, `from()`, `cseq()`, `contacts()`, ...):
//! find the header lines by name (compact forms and any case), enforce single-valued headers
//! and parse with the grammar in `header.rs`. Read-only views, except `set_to_tag`, the one
//! edit a UAS makes to a copied To header.

use super::MessageError;
use super::header::{
    CSeq, Challenge, Contact, NameAddr, Via, list, name_addr_item, parse_challenge,
    parse_name_addrs, parse_vias,
};
use super::model::{Message, Method};
use super::scan::Cursor;

/// A decimal number without sign; `None` on overflow or any other character.
fn number<T: core::str::FromStr>(value: &str) -> Option<T> {
    let v = value.trim();
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .then(|| v.parse().ok())
        .flatten()
}

impl Message {
    /// The single line of a single-valued header, or an error if it is repeated.
    fn single(&self, name: &'static str) -> Result<Option<&str>, MessageError> {
        let mut it = self.headers.all(name);
        let first = it.next();
        match it.next() {
            Some(_) => Err(MessageError::DuplicateHeader { name }),
            None => Ok(first),
        }
    }

    fn required(&self, name: &'static str) -> Result<&str, MessageError> {
        self.single(name)?
            .ok_or(MessageError::MissingHeader { name })
    }

    /// Every Via value in order, across header lines and comma-joined values.
    pub fn vias(&self) -> Result<Vec<Via>, MessageError> {
        let mut out = Vec::new();
        for v in self.headers.all("Via") {
            out.extend(parse_vias(v)?);
        }
        if out.is_empty() {
            return Err(MessageError::MissingHeader { name: "Via" });
        }
        Ok(out)
    }

    /// The topmost Via value.
    pub fn top_via(&self) -> Result<Via, MessageError> {
        let line = self
            .headers
            .get("Via")
            .ok_or(MessageError::MissingHeader { name: "Via" })?;
        parse_vias(line)?
            .into_iter()
            .next()
            .ok_or(MessageError::BadHeader { name: "Via" })
    }

    fn name_addr(&self, name: &'static str) -> Result<NameAddr, MessageError> {
        let mut all =
            list(self.required(name)?, name_addr_item).ok_or(MessageError::BadHeader { name })?;
        if all.len() > 1 {
            return Err(MessageError::DuplicateHeader { name });
        }
        all.pop().ok_or(MessageError::BadHeader { name })
    }

    /// The From header.
    pub fn from(&self) -> Result<NameAddr, MessageError> {
        self.name_addr("From")
    }

    /// The To header.
    pub fn to(&self) -> Result<NameAddr, MessageError> {
        self.name_addr("To")
    }

    /// The Call-ID (`word [@ word]`, no whitespace).
    pub fn call_id(&self) -> Result<&str, MessageError> {
        let v = self.required("Call-ID")?;
        if v.is_empty() || v.contains([' ', '\t', ',']) {
            return Err(MessageError::BadHeader { name: "Call-ID" });
        }
        Ok(v)
    }

    /// Adds `;tag=` to the To header if it has none (a UAS answering outside a dialog).
    pub fn set_to_tag(&mut self, tag: &str) {
        if self.to().is_ok_and(|t| t.tag().is_none())
            && let Some(h) = self
                .headers
                .0
                .iter_mut()
                .find(|h| super::model::canonical_name(&h.name).eq_ignore_ascii_case("To"))
        {
            h.value.push_str(";tag=");
            h.value.push_str(tag);
        }
    }

    /// The CSeq header.
    pub fn cseq(&self) -> Result<CSeq, MessageError> {
        let bad = MessageError::BadHeader { name: "CSeq" };
        let v = self.required("CSeq")?;
        let mut c = Cursor::new(v);
        let seq = number(c.take_while(|b| b.is_ascii_digit())).ok_or(bad.clone())?;
        c.skip_ws().then_some(()).ok_or(bad.clone())?;
        let method = c.token().filter(|_| c.at_end()).ok_or(bad)?;
        Ok(CSeq {
            seq,
            method: Method::from_token(method),
        })
    }

    /// Max-Forwards (0-255), if present.
    pub fn max_forwards(&self) -> Result<Option<u8>, MessageError> {
        self.number_header("Max-Forwards")
    }

    /// Content-Length, if present.
    pub fn content_length(&self) -> Result<Option<usize>, MessageError> {
        self.number_header("Content-Length")
    }

    /// Expires (seconds), if present.
    pub fn expires(&self) -> Result<Option<u32>, MessageError> {
        self.number_header("Expires")
    }

    fn number_header<T: core::str::FromStr>(
        &self,
        name: &'static str,
    ) -> Result<Option<T>, MessageError> {
        self.single(name)?
            .map(|v| number(v).ok_or(MessageError::BadHeader { name }))
            .transpose()
    }

    /// Content-Type as written, if present.
    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }

    /// Every Contact address across lines, or `*`; `None` when there is no Contact.
    pub fn contacts(&self) -> Result<Option<Contact>, MessageError> {
        let lines: Vec<&str> = self.headers.all("Contact").collect();
        match lines.as_slice() {
            [] => Ok(None),
            [star] if star.trim() == "*" => Ok(Some(Contact::Any)),
            _ => {
                let mut out = Vec::new();
                for l in lines {
                    out.extend(parse_name_addrs(l)?);
                }
                Ok(Some(Contact::Addresses(out)))
            }
        }
    }

    fn addr_list(&self, name: &'static str) -> Result<Vec<NameAddr>, MessageError> {
        let mut out = Vec::new();
        for l in self.headers.all(name) {
            out.extend(list(l, name_addr_item).ok_or(MessageError::BadHeader { name })?);
        }
        Ok(out)
    }

    /// Route values in order.
    pub fn routes(&self) -> Result<Vec<NameAddr>, MessageError> {
        self.addr_list("Route")
    }

    /// Record-Route values in order.
    pub fn record_routes(&self) -> Result<Vec<NameAddr>, MessageError> {
        self.addr_list("Record-Route")
    }

    /// Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-Authenticate values
    /// (pass the header name; each line is one challenge or credentials).
    pub fn challenges(&self, name: &'static str) -> Result<Vec<Challenge>, MessageError> {
        self.headers
            .all(name)
            .map(|v| parse_challenge(v).ok_or(MessageError::BadHeader { name }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Limits, Transport, parse};

    const BASE: &str = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\nv: SIP/2.0/TCP b.example.com;branch=z9hG4bK2, SIP/2.0/UDP c.example.com;branch=z9hG4bK3\r\nFrom: <sip:u@example.com>;tag=f\r\nTo: <sip:u@example.com>\r\nCall-ID: c@h\r\nCSeq: 7 REGISTER\r\n";

    fn msg(extra: &str) -> Message {
        let text = format!("{BASE}{extra}l: 0\r\n\r\n");
        parse(text.as_bytes(), Transport::Udp, &Limits::default()).expect("test message parses")
    }

    fn check<T: PartialEq + core::fmt::Debug>(
        extra: &str,
        view: impl Fn(&Message) -> Result<T, MessageError>,
        expected: Result<T, MessageError>,
    ) {
        assert_eq!(view(&msg(extra)), expected, "{extra}");
    }

    #[test]
    fn numeric_and_single_valued_headers() {
        check(
            "Max-Forwards: 255\r\n",
            Message::max_forwards,
            Ok(Some(255)),
        );
        check(
            "Max-Forwards: 256\r\n",
            Message::max_forwards,
            Err(MessageError::BadHeader {
                name: "Max-Forwards",
            }),
        );
        check("", Message::max_forwards, Ok(None));
        check("Expires: 3600\r\n", Message::expires, Ok(Some(3600)));
        check(
            "Expires: -1\r\n",
            Message::expires,
            Err(MessageError::BadHeader { name: "Expires" }),
        );
        check("", |m| m.cseq().map(|c| c.seq), Ok(7));
        check(
            "From: <sip:x@y>;tag=2\r\n",
            |m| m.from().map(|_| ()),
            Err(MessageError::DuplicateHeader { name: "From" }),
        );
        check("", |m| m.call_id().map(str::to_owned), Ok("c@h".to_owned()));
    }

    #[test]
    fn contact_star_lists_and_vias_in_order() {
        check("Contact: *\r\n", Message::contacts, Ok(Some(Contact::Any)));
        check("", Message::contacts, Ok(None));
        check(
            "m: <sip:a@h1>;expires=60, sip:b@h2\r\nContact: \"C\" <sip:c@h3>\r\n",
            |m| {
                m.contacts().map(|c| match c {
                    Some(Contact::Addresses(a)) => a.iter().map(|a| a.uri.to_string()).collect(),
                    _ => Vec::new(),
                })
            },
            Ok(vec![
                "sip:a@h1".to_owned(),
                "sip:b@h2".to_owned(),
                "sip:c@h3".to_owned(),
            ]),
        );
        check(
            "",
            |m| {
                m.vias().map(|v| {
                    v.iter()
                        .filter_map(|v| v.branch().map(str::to_owned))
                        .collect()
                })
            },
            Ok(vec![
                "z9hG4bK1".to_owned(),
                "z9hG4bK2".to_owned(),
                "z9hG4bK3".to_owned(),
            ]),
        );
    }

    #[test]
    fn responses_copy_the_right_headers_and_get_a_to_tag() {
        let req = msg("Contact: <sip:a@h1>\r\n");
        let mut resp = Message::response_to(&req, 200, "OK");
        resp.set_to_tag("t1");
        resp.set_to_tag("t2");
        let names: Vec<&str> = resp.headers.0.iter().map(|h| h.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "Via",
                "v",
                "From",
                "To",
                "Call-ID",
                "CSeq",
                "Content-Length"
            ]
        );
        assert_eq!(
            resp.to()
                .ok()
                .and_then(|t| t.tag().map(str::to_owned))
                .as_deref(),
            Some("t1")
        );
        assert_eq!(resp.vias().map(|v| v.len()), Ok(3));
        resp.set_body("application/sdp", b"v=0\r\n".to_vec());
        assert_eq!(resp.content_length(), Ok(Some(5)));
        let again = parse(&resp.render(), Transport::Tcp, &Limits::default());
        assert_eq!(again, Ok(resp));
    }
}
