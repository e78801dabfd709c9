//! What an element answers to a raw datagram: the acceptance checks of RFC 3261 §8.2 and §16.3
//! that every element applies (version, URI scheme, mandatory headers and their syntax) and
//! [`classify_datagram`], which the UDP/TCP endpoint reuses; and [`check_uas`], the answers of
//! RFC 3261 §8.2.1-§8.2.3 that depend on what a user agent supports ([`UasPolicy`]). Registrar
//! rules (AOR schemes, authentication) are not decided here.

use super::MessageError;
use super::model::{Headers, Message, Method, Version};
use super::parse::{Limits, Transport, parse, salvage_headers};
use super::uri::Uri;

/// The outcome for one received datagram (or one framed stream message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A well-formed request for the transaction layer.
    Request(Message),
    /// A well-formed response for the transaction layer.
    Response(Message),
    /// A broken request to answer with `error.status()` and `error` as the reason phrase;
    /// `headers` are the request's headers to copy into the response.
    Reject {
        /// Why the request is refused.
        error: MessageError,
        /// The request's headers (at least one Via is present).
        headers: Headers,
    },
    /// Broken responses and requests that cannot be answered (no Via): drop silently.
    Discard(MessageError),
}

/// Checks a parsed request: SIP/2.0, a sip/sips/tel Request-URI without headers, and well-formed
/// Via, From, To, Call-ID, CSeq (matching the method), Max-Forwards, Contact and Route sets.
pub fn check_request(m: &Message) -> Result<(), MessageError> {
    let super::model::StartLine::Request {
        method,
        uri,
        version,
    } = &m.start
    else {
        return Err(MessageError::BadStartLine);
    };
    if *version != Version::SIP_2_0 {
        return Err(MessageError::UnsupportedVersion);
    }
    match uri {
        Uri::Other { .. } => return Err(MessageError::UnsupportedScheme),
        Uri::Sip(u) if !u.headers.is_empty() => return Err(MessageError::RequestUriHeaders),
        Uri::Sip(_) | Uri::Tel(_) => {}
    }
    check_common(m)?;
    if m.cseq()?.method != *method {
        return Err(MessageError::CSeqMismatch);
    }
    m.max_forwards()?;
    m.contacts()?;
    m.routes()?;
    m.record_routes()?;
    Ok(())
}

/// Checks a parsed response: SIP/2.0 and well-formed Via, From, To, Call-ID and CSeq.
pub fn check_response(m: &Message) -> Result<(), MessageError> {
    let super::model::StartLine::Response { version, .. } = &m.start else {
        return Err(MessageError::BadStartLine);
    };
    if *version != Version::SIP_2_0 {
        return Err(MessageError::UnsupportedVersion);
    }
    check_common(m)
}

fn check_common(m: &Message) -> Result<(), MessageError> {
    m.vias()?;
    m.from()?;
    m.to()?;
    m.call_id()?;
    m.cseq()?;
    m.content_length()?;
    Ok(())
}

/// What a user agent server implements: methods, option tags and body types (media types
/// without parameters, lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UasPolicy<'a> {
    /// Methods implemented (ACK and CANCEL are never refused).
    pub methods: &'a [Method],
    /// Option tags supported in Require.
    pub extensions: &'a [&'a str],
    /// Body types understood and produced (`application/sdp`).
    pub content_types: &'a [&'a str],
}

fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or("").trim()
}

fn media_matches(accepted: &str, ours: &str) -> bool {
    let accepted = media_type(accepted);
    accepted == "*/*"
        || accepted.eq_ignore_ascii_case(ours)
        || accepted.strip_suffix("/*").is_some_and(|t| {
            ours.split('/')
                .next()
                .is_some_and(|o| o.eq_ignore_ascii_case(t))
        })
}

/// The user agent checks of §8.2 in their order: method (501), Require (420), Content-Type of
/// a non-empty body (415) and Accept (406). Run after [`check_request`].
pub fn check_uas(m: &Message, policy: &UasPolicy<'_>) -> Result<(), MessageError> {
    let method = m.method().ok_or(MessageError::BadStartLine)?;
    if matches!(method, Method::Ack | Method::Cancel) {
        return Ok(());
    }
    if !policy.methods.contains(method) {
        return Err(MessageError::NotImplemented);
    }
    for line in m.headers.all("Require") {
        for option in line.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            if !policy
                .extensions
                .iter()
                .any(|e| e.eq_ignore_ascii_case(option))
            {
                return Err(MessageError::BadExtension {
                    option: option.to_owned(),
                });
            }
        }
    }
    if !m.body.is_empty() {
        let ct = m.content_type().map(media_type).unwrap_or("");
        if !policy
            .content_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(ct))
        {
            return Err(MessageError::UnsupportedMediaType);
        }
    }
    let accepts: Vec<&str> = m.headers.all("Accept").flat_map(|l| l.split(',')).collect();
    if !accepts.is_empty()
        && !accepts.iter().any(|a| {
            policy
                .content_types
                .iter()
                .any(|ours| media_matches(a, ours))
        })
    {
        return Err(MessageError::NotAcceptable);
    }
    Ok(())
}

/// Parses and checks one datagram and says what to do with it.
#[must_use]
pub fn classify_datagram(bytes: &[u8], transport: Transport, limits: &Limits) -> Verdict {
    let reject = |error: MessageError, headers: Headers| {
        if headers.get("Via").is_some() {
            Verdict::Reject { error, headers }
        } else {
            Verdict::Discard(error)
        }
    };
    match parse(bytes, transport, limits) {
        Ok(m) if m.is_request() => match check_request(&m) {
            Ok(()) => Verdict::Request(m),
            Err(e) => reject(e, m.headers),
        },
        Ok(m) => match check_response(&m) {
            Ok(()) => Verdict::Response(m),
            Err(e) => Verdict::Discard(e),
        },
        Err(e) => {
            let start = bytes.trim_ascii_start();
            if start.len() >= 4 && start[..4].eq_ignore_ascii_case(b"SIP/") {
                return Verdict::Discard(e);
            }
            match salvage_headers(bytes, limits) {
                Some(headers) => reject(e, headers),
                None => Verdict::Discard(e),
            }
        }
    }
}
