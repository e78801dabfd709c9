//! The parser: bytes to [`Message`], with the Content-Length rules of RFC 3261 §18.3 per
//! transport, and [`frame_stream`] to find message boundaries on a TCP byte stream.
//! Pure and panic-free on any input; must not interpret header values beyond Content-Length
//! (typed views are in `header.rs`, acceptance rules in `check.rs`).

use super::MessageError;
use super::model::{Header, Headers, Message, Method, StartLine, Version, header_name, same_name};
use super::scan::is_token;
use super::uri::Uri;

/// The transport a message arrived on; it decides the Content-Length rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Datagrams: a missing Content-Length means the body runs to the end of the datagram.
    Udp,
    /// A byte stream: Content-Length is mandatory and frames the message.
    Tcp,
}

/// Size limits applied before any allocation grows with the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted, head and body together, in bytes.
    pub max_message_size: usize,
    /// Most header lines accepted (after unfolding).
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_size: 65_535,
            max_headers: 256,
        }
    }
}

/// The header section, split and unfolded.
struct Head<'a> {
    start_line: &'a str,
    headers: Headers,
    body_start: usize,
}

/// Does the buffer hold a whole header section (an empty line after a line end)?
fn has_head_end(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .enumerate()
        .any(|(i, w)| w == b"\n\n" || (w == b"\n\r" && bytes.get(i + 2) == Some(&b'\n')))
}

/// Bytes of leading CRLFs (keep-alives and RFC 3261 §7.5 tolerance).
fn leading_newlines(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count()
}

/// Splits and unfolds the header section. With `datagram`, a datagram that ends right after a
/// header line's line end (no empty line, as RFC 4475 publishes `baddn`) ends the section.
fn parse_head<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    datagram: bool,
) -> Result<Head<'a>, MessageError> {
    let mut pos = 0;
    let mut line_no = 0;
    let mut start_line = None;
    let mut headers: Vec<Header> = Vec::with_capacity(16);
    let body_start = loop {
        let rest = &bytes[pos..];
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            if datagram && rest.is_empty() && pos > 0 {
                break pos;
            }
            return Err(MessageError::Incomplete);
        };
        pos += nl + 1;
        line_no += 1;
        let raw = &rest[..nl];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            break pos;
        }
        let line =
            core::str::from_utf8(raw).map_err(|_| MessageError::NotUtf8 { line: line_no })?;
        if start_line.is_none() {
            start_line = Some(line);
        } else {
            header_line(&mut headers, line, line_no, limits)?;
        }
    };
    Ok(Head {
        start_line: start_line.ok_or(MessageError::BadStartLine)?,
        headers: Headers(headers),
        body_start,
    })
}

/// Adds one header line (or a fold continuing the previous one).
fn header_line(
    headers: &mut Vec<Header>,
    line: &str,
    line_no: usize,
    limits: &Limits,
) -> Result<(), MessageError> {
    let bad = MessageError::BadHeaderLine { line: line_no };
    if line.starts_with([' ', '\t']) {
        let last = headers.last_mut().ok_or(bad)?;
        let piece = line.trim_matches([' ', '\t']);
        if !piece.is_empty() {
            if !last.value.is_empty() {
                last.value.push(' ');
            }
            last.value.push_str(piece);
        }
        return Ok(());
    }
    let (name, value) = line.split_once(':').ok_or(bad.clone())?;
    let name = name.trim_end_matches([' ', '\t']);
    if !is_token(name) {
        return Err(bad);
    }
    if headers.len() == limits.max_headers {
        return Err(MessageError::TooManyHeaders {
            limit: limits.max_headers,
        });
    }
    headers.push(Header {
        name: header_name(name),
        value: value.trim_matches([' ', '\t']).to_owned(),
    });
    Ok(())
}

fn parse_version(s: &str) -> Option<Version> {
    let (name, num) = s.split_once('/')?;
    let (major, minor) = num.split_once('.')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    (name.eq_ignore_ascii_case("SIP") && digits(major) && digits(minor)).then_some(())?;
    Some(Version {
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
    })
}

fn parse_start_line(line: &str) -> Result<StartLine, MessageError> {
    let bad = MessageError::BadStartLine;
    if line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
    {
        let mut parts = line.splitn(3, ' ');
        let version = parts.next().and_then(parse_version).ok_or(bad)?;
        let code = parts.next().unwrap_or("");
        let reason = parts.next().unwrap_or("");
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MessageError::BadStatusCode);
        }
        let status: u16 = code.parse().map_err(|_| MessageError::BadStatusCode)?;
        if !(100..=699).contains(&status) {
            return Err(MessageError::BadStatusCode);
        }
        return Ok(StartLine::Response {
            version,
            status,
            reason: reason.to_owned(),
        });
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad);
    };
    if !is_token(method) {
        return Err(bad);
    }
    Ok(StartLine::Request {
        method: Method::from_token(method),
        uri: Uri::parse(uri)?,
        version: parse_version(version).ok_or(bad)?,
    })
}

/// The declared Content-Length: `None` if absent; an error if repeated or not a number.
fn declared_length(headers: &Headers) -> Result<Option<usize>, MessageError> {
    let name = "Content-Length";
    let mut values = headers.0.iter().filter(|h| same_name(&h.name, name));
    let first = values.next();
    if values.next().is_some() {
        return Err(MessageError::DuplicateHeader { name });
    }
    first
        .map(|h| {
            let v = h.value.as_str();
            (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .then(|| v.parse::<usize>().ok())
                .flatten()
                .ok_or(MessageError::BadHeader { name })
        })
        .transpose()
}

/// Parses one message. On UDP a missing Content-Length means the body is the rest of the
/// datagram and a shorter one truncates it (RFC 3261 §18.3); on TCP Content-Length is
/// required. A Content-Length larger than the data is an error on both.
pub fn parse(bytes: &[u8], transport: Transport, limits: &Limits) -> Result<Message, MessageError> {
    if bytes.len() > limits.max_message_size {
        return Err(MessageError::TooLarge {
            size: bytes.len(),
            limit: limits.max_message_size,
        });
    }
    let bytes = &bytes[leading_newlines(bytes)..];
    let head = parse_head(bytes, limits, transport == Transport::Udp)?;
    let start = parse_start_line(head.start_line)?;
    let rest = &bytes[head.body_start..];
    let body = match (declared_length(&head.headers)?, transport) {
        (None, Transport::Udp) => rest,
        (None, Transport::Tcp) => return Err(MessageError::MissingContentLength),
        (Some(n), _) => rest.get(..n).ok_or(MessageError::BodyTooShort {
            declared: n,
            available: rest.len(),
        })?,
    };
    Ok(Message {
        start,
        headers: head.headers,
        body: body.to_vec(),
    })
}

/// The headers of a message whose start line or framing failed, so that an element can still
/// build a 400 response (Via, From, To, Call-ID, CSeq). `None` if the header section is broken.
#[must_use]
pub(crate) fn salvage_headers(bytes: &[u8], limits: &Limits) -> Option<Headers> {
    let bytes = bytes.get(..limits.max_message_size.min(bytes.len()))?;
    let bytes = &bytes[leading_newlines(bytes)..];
    parse_head(bytes, limits, true).ok().map(|h| h.headers)
}

/// Finds the end of the first message in a TCP receive buffer: `Ok(Some(n))` when the first
/// `n` bytes are one complete message (leading CRLF keep-alives included), `Ok(None)` when more
/// bytes are needed, and an error when the stream can never frame (the caller closes it).
pub fn frame_stream(buf: &[u8], limits: &Limits) -> Result<Option<usize>, MessageError> {
    let skip = leading_newlines(buf);
    let too_large = |size| MessageError::TooLarge {
        size,
        limit: limits.max_message_size,
    };
    let data = &buf[skip..];
    if !has_head_end(data) {
        return if data.len() > limits.max_message_size {
            Err(too_large(data.len()))
        } else {
            Ok(None)
        };
    }
    let head = parse_head(data, limits, false)?;
    let declared = declared_length(&head.headers)?.ok_or(MessageError::MissingContentLength)?;
    let total = head
        .body_start
        .checked_add(declared)
        .filter(|t| *t <= limits.max_message_size)
        .ok_or(too_large(declared))?;
    Ok((data.len() >= total).then_some(skip + total))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
        To: Bob <sip:bob@biloxi.example.com>\r\n\
        From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
        CSeq: 314159 INVITE\r\n\
        Content-Length: 4\r\n\r\nv=0\r\n";

    fn check(input: &[u8], transport: Transport, expected: Result<&[u8], MessageError>) {
        let got = parse(input, transport, &Limits::default()).map(|m| m.body);
        assert_eq!(
            got,
            expected.map(<[u8]>::to_vec),
            "{}",
            String::from_utf8_lossy(input)
        );
    }

    #[test]
    fn content_length_rules_per_transport() {
        let no_cl = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\nbody\x00\xff";
        check(no_cl, Transport::Udp, Ok(b"body\x00\xff"));
        check(
            no_cl,
            Transport::Tcp,
            Err(MessageError::MissingContentLength),
        );
        check(INVITE.as_bytes(), Transport::Udp, Ok(b"v=0\r"));
        let long = INVITE.replace("Length: 4", "Length: 9999");
        check(
            long.as_bytes(),
            Transport::Udp,
            Err(MessageError::BodyTooShort {
                declared: 9999,
                available: 5,
            }),
        );
        let neg = INVITE.replace("Length: 4", "Length: -4");
        check(
            neg.as_bytes(),
            Transport::Udp,
            Err(MessageError::BadHeader {
                name: "Content-Length",
            }),
        );
        let huge = INVITE.replace("Length: 4", "Length: 18446744073709551616");
        check(
            huge.as_bytes(),
            Transport::Udp,
            Err(MessageError::BadHeader {
                name: "Content-Length",
            }),
        );
        let dup = INVITE.replace("Content-Length: 4", "l: 4\r\nContent-Length: 4");
        check(
            dup.as_bytes(),
            Transport::Udp,
            Err(MessageError::DuplicateHeader {
                name: "Content-Length",
            }),
        );
    }

    #[test]
    fn head_errors() {
        check(
            b"INVITE sip:a@b SIP/2.0\r\nVia: x",
            Transport::Udp,
            Err(MessageError::Incomplete),
        );
        check(
            b"INVITE sip:a@b SIP/2.0\r\nl: 0\r\n",
            Transport::Udp,
            Ok(b""),
        );
        check(
            b"INVITE sip:a@b SIP/2.0\r\nl: 0\r\n",
            Transport::Tcp,
            Err(MessageError::Incomplete),
        );
        check(
            b"INVITE sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n",
            Transport::Udp,
            Err(MessageError::NotUtf8 { line: 2 }),
        );
        check(
            b"INVITE sip:a@b SIP/2.0\r\n continued\r\n\r\n",
            Transport::Udp,
            Err(MessageError::BadHeaderLine { line: 2 }),
        );
        check(
            b"INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n",
            Transport::Udp,
            Err(MessageError::BadHeaderLine { line: 2 }),
        );
        check(
            b"INVITE  sip:a@b SIP/2.0\r\n\r\n",
            Transport::Udp,
            Err(MessageError::BadStartLine),
        );
        check(
            b"SIP/2.0 4294967301 Bad\r\n\r\n",
            Transport::Udp,
            Err(MessageError::BadStatusCode),
        );
        check(
            b"\r\n\r\nSIP/2.0 100 \r\nl: 0\r\n\r\n",
            Transport::Udp,
            Ok(b""),
        );
        let many = format!("OPTIONS sip:a@b SIP/2.0\r\n{}\r\n", "X: y\r\n".repeat(300));
        check(
            many.as_bytes(),
            Transport::Udp,
            Err(MessageError::TooManyHeaders { limit: 256 }),
        );
    }

    #[test]
    fn folded_lines_become_one_space() {
        let m = parse(
            b"OPTIONS sip:a@b SIP/2.0\r\nSubject:\r\n  first\r\n\tsecond  \r\nL:0\r\n\r\n",
            Transport::Udp,
            &Limits::default(),
        );
        assert_eq!(
            m.ok().and_then(|m| m.header("s").map(str::to_owned)),
            Some("first second".into())
        );
    }

    #[test]
    fn stream_framing() {
        let l = Limits::default();
        let one = INVITE.as_bytes();
        let mut two = b"\r\n\r\n".to_vec();
        two.extend_from_slice(one);
        two.extend_from_slice(one);
        assert_eq!(frame_stream(one, &l), Ok(Some(one.len() - 1)));
        assert_eq!(frame_stream(&two, &l), Ok(Some(4 + one.len() - 1)));
        assert_eq!(frame_stream(&one[..20], &l), Ok(None));
        assert_eq!(frame_stream(&one[..one.len() - 3], &l), Ok(None));
        let huge = INVITE.replace("Length: 4", "Length: 18446744073709551615");
        assert!(matches!(
            frame_stream(huge.as_bytes(), &l),
            Err(MessageError::TooLarge { .. })
        ));
        let over = INVITE.replace("Length: 4", "Length: 99999999999999999999999");
        assert_eq!(
            frame_stream(over.as_bytes(), &l),
            Err(MessageError::BadHeader {
                name: "Content-Length"
            })
        );
        let big = INVITE.replace("Length: 4", "Length: 9999999");
        assert!(matches!(
            frame_stream(big.as_bytes(), &l),
            Err(MessageError::TooLarge { .. })
        ));
        let no_cl = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n";
        assert_eq!(
            frame_stream(no_cl, &l),
            Err(MessageError::MissingContentLength)
        );
        assert_eq!(
            frame_stream(&vec![b'a'; 70_000], &l),
            Err(MessageError::TooLarge {
                size: 70_000,
                limit: 65_535
            })
        );
    }
}
