//! The message model: start line, ordered headers (names kept as written, compared
//! case-insensitively with compact forms expanded) and a byte body. Typed header accessors
//! live in `header.rs`; this file owns only the container and its builders.

use core::fmt;
use std::borrow::Cow;

use super::uri::Uri;

/// A SIP method; unknown methods are preserved exactly as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE.
    Invite,
    /// ACK.
    Ack,
    /// BYE.
    Bye,
    /// CANCEL.
    Cancel,
    /// REGISTER.
    Register,
    /// OPTIONS.
    Options,
    /// INFO.
    Info,
    /// UPDATE.
    Update,
    /// PRACK.
    Prack,
    /// SUBSCRIBE.
    Subscribe,
    /// NOTIFY.
    Notify,
    /// REFER.
    Refer,
    /// MESSAGE.
    Message,
    /// PUBLISH.
    Publish,
    /// Any other token (methods are case-sensitive, so `invite` lands here).
    Other(String),
}

const KNOWN_METHODS: [(&str, Method); 14] = [
    ("INVITE", Method::Invite),
    ("ACK", Method::Ack),
    ("BYE", Method::Bye),
    ("CANCEL", Method::Cancel),
    ("REGISTER", Method::Register),
    ("OPTIONS", Method::Options),
    ("INFO", Method::Info),
    ("UPDATE", Method::Update),
    ("PRACK", Method::Prack),
    ("SUBSCRIBE", Method::Subscribe),
    ("NOTIFY", Method::Notify),
    ("REFER", Method::Refer),
    ("MESSAGE", Method::Message),
    ("PUBLISH", Method::Publish),
];

impl Method {
    /// The method for a token (the caller checks token syntax).
    #[must_use]
    pub fn from_token(s: &str) -> Self {
        KNOWN_METHODS
            .iter()
            .find(|(name, _)| *name == s)
            .map_or_else(|| Method::Other(s.to_owned()), |(_, m)| m.clone())
    }

    /// The method as written on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(s) => s,
            known => KNOWN_METHODS
                .iter()
                .find(|(_, m)| m == known)
                .map_or("", |(name, _)| name),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `SIP/major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// Major version (2 for SIP/2.0).
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl Version {
    /// SIP/2.0, the only version this stack speaks.
    pub const SIP_2_0: Version = Version { major: 2, minor: 0 };
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/{}.{}", self.major, self.minor)
    }
}

/// The first line: a request line or a status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// `METHOD Request-URI SIP/2.0`.
    Request {
        /// The method.
        method: Method,
        /// The Request-URI.
        uri: Uri,
        /// The version.
        version: Version,
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// The version.
        version: Version,
        /// The status code (100-699).
        status: u16,
        /// The reason phrase (UTF-8, possibly empty).
        reason: String,
    },
}

/// One header line: the name as written and the value with folding replaced by one space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name as written (`MaX-fOrWaRdS`, `v`); common spellings share a static string.
    pub name: Cow<'static, str>,
    /// The value, trimmed, with each fold (CRLF + whitespace) replaced by a single space.
    pub value: String,
}

/// Header names as usually written, shared instead of allocated per message.
const COMMON_NAMES: [&str; 40] = [
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Allow",
    "Supported",
    "User-Agent",
    "Route",
    "Record-Route",
    "Expires",
    "Authorization",
    "WWW-Authenticate",
    "Proxy-Authorization",
    "Proxy-Authenticate",
    "Require",
    "Accept",
    "Server",
    "Date",
    "Event",
    "Allow-Events",
    "Session-Expires",
    "Reason",
    "Unsupported",
    "Warning",
    "Min-Expires",
    "P-Asserted-Identity",
    "Privacy",
    "v",
    "f",
    "t",
    "i",
    "m",
    "l",
    "c",
    "k",
];

/// A header name as written: a shared static string for common spellings, else owned.
#[must_use]
pub fn header_name(name: &str) -> Cow<'static, str> {
    COMMON_NAMES
        .iter()
        .find(|n| **n == name)
        .map_or_else(|| Cow::Owned(name.to_owned()), |n| Cow::Borrowed(*n))
}

/// The full name of a compact header form (`v` -> `Via`); other names are returned unchanged.
#[must_use]
pub fn canonical_name(name: &str) -> &str {
    let [b] = name.as_bytes() else {
        return name;
    };
    match b.to_ascii_lowercase() {
        b'a' => "Accept-Contact",
        b'b' => "Referred-By",
        b'c' => "Content-Type",
        b'd' => "Request-Disposition",
        b'e' => "Content-Encoding",
        b'f' => "From",
        b'i' => "Call-ID",
        b'j' => "Reject-Contact",
        b'k' => "Supported",
        b'l' => "Content-Length",
        b'm' => "Contact",
        b'n' => "Identity-Info",
        b'o' => "Event",
        b'r' => "Refer-To",
        b's' => "Subject",
        b't' => "To",
        b'u' => "Allow-Events",
        b'v' => "Via",
        b'x' => "Session-Expires",
        b'y' => "Identity",
        _ => name,
    }
}

/// Do two header names denote the same header (case-insensitive, compact forms expanded)?
#[must_use]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    canonical_name(a).eq_ignore_ascii_case(canonical_name(b))
}

/// Headers in wire order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    /// The first value of header `name` (any case, compact or full form).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|h| same_name(&h.name, name))
            .map(|h| h.value.as_str())
    }

    /// Every value of header `name`, in order (one per header line).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |h| same_name(&h.name, name))
            .map(|h| h.value.as_str())
    }

    /// Appends a header line.
    pub fn push(&mut self, name: &str, value: &str) {
        self.0.push(Header {
            name: header_name(name),
            value: value.to_owned(),
        });
    }

    /// Removes every line of header `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|h| !same_name(&h.name, name));
    }

    /// Replaces every line of `name` with one line (placed where the first one was, or last).
    pub fn set(&mut self, name: &str, value: &str) {
        match self.0.iter().position(|h| same_name(&h.name, name)) {
            Some(i) => {
                self.0[i].value = value.to_owned();
                let mut seen = 0;
                self.0.retain(|h| {
                    let keep = !same_name(&h.name, name) || seen == 0;
                    seen += usize::from(same_name(&h.name, name));
                    keep
                });
            }
            None => self.push(name, value),
        }
    }

    /// Number of header lines.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no headers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A SIP request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The request or status line.
    pub start: StartLine,
    /// Headers in wire order.
    pub headers: Headers,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// Headers a response copies from its request (RFC 3261 §8.2.6.2).
const RESPONSE_COPIES: [&str; 5] = ["Via", "From", "To", "Call-ID", "CSeq"];

impl Message {
    /// A request with no headers and no body.
    #[must_use]
    pub fn request(method: Method, uri: Uri) -> Self {
        Self {
            start: StartLine::Request {
                method,
                uri,
                version: Version::SIP_2_0,
            },
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    /// A response to `request` copying Via (all, in order), From, To, Call-ID and CSeq, with
    /// `Content-Length: 0`. Add a To tag with [`Message::set_to_tag`] where §8.2.6.2 needs one.
    #[must_use]
    pub fn response_to(request: &Message, status: u16, reason: &str) -> Self {
        let mut headers = Headers::default();
        for h in &request.headers.0 {
            if RESPONSE_COPIES.iter().any(|n| same_name(&h.name, n)) {
                headers.0.push(h.clone());
            }
        }
        headers.push("Content-Length", "0");
        Self {
            start: StartLine::Response {
                version: Version::SIP_2_0,
                status,
                reason: reason.to_owned(),
            },
            headers,
            body: Vec::new(),
        }
    }

    /// Adds a header line (builder style).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Sets the body with its Content-Type and a matching Content-Length.
    pub fn set_body(&mut self, content_type: &str, body: Vec<u8>) {
        self.headers.set("Content-Type", content_type);
        self.headers.set("Content-Length", &body.len().to_string());
        self.body = body;
    }

    /// The first value of header `name` (any case, compact or full form).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The method of a request.
    #[must_use]
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI of a request.
    #[must_use]
    pub fn request_uri(&self) -> Option<&Uri> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { status, .. } => Some(*status),
            StartLine::Request { .. } => None,
        }
    }

    /// True for a request.
    #[must_use]
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case_insensitive_lookup() {
        let mut h = Headers::default();
        h.push("v", "SIP/2.0/UDP a");
        h.push("VIA", "SIP/2.0/UDP b");
        h.push("l", "0");
        assert_eq!(
            h.all("Via").collect::<Vec<_>>(),
            ["SIP/2.0/UDP a", "SIP/2.0/UDP b"]
        );
        assert_eq!(h.get("content-length"), Some("0"));
        assert_eq!(h.get("L"), Some("0"));
        h.set("Via", "SIP/2.0/TCP c");
        assert_eq!(h.all("v").collect::<Vec<_>>(), ["SIP/2.0/TCP c"]);
        assert_eq!(h.0[0].name, "v");
        h.remove("Content-Length");
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn methods_round_trip_and_unknown_are_kept() {
        for m in ["INVITE", "PUBLISH", "RE%47IST%45R", "invite"] {
            assert_eq!(Method::from_token(m).as_str(), m);
        }
        assert_eq!(Method::from_token("invite"), Method::Other("invite".into()));
    }
}
