//! SIP messages: the typed model (`Message`, `Uri`, typed header values), the parser with its
//! per-transport Content-Length rules and TCP stream framing, the renderer, and the checks that
//! decide what an element answers to a raw datagram.
//!
//! Pure: no I/O, no clock. Bodies are bytes and are never forced through UTF-8; header bytes
//! that are not UTF-8 are a clean parse error. Must not know about transactions or dialogs.

mod access;
mod check;
mod header;
mod model;
mod parse;
mod render;
mod scan;
mod uri;

#[cfg(test)]
mod mutation;
#[cfg(test)]
mod roundtrip;
#[cfg(test)]
mod torture;

pub use check::{UasPolicy, Verdict, check_request, check_response, check_uas, classify_datagram};
pub use header::{
    CSeq, Challenge, Contact, NameAddr, Via, find_param, parse_name_addrs, parse_vias,
};
pub use model::{
    Header, Headers, Message, Method, StartLine, Version, canonical_name, header_name,
};
pub use parse::{Limits, Transport, frame_stream, parse};
pub use uri::{Host, Param, SipUri, TelUri, Uri, unescape};

/// Which part of a URI failed to parse (for error messages and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriPart {
    /// The scheme before `:`.
    Scheme,
    /// The user or password part.
    UserInfo,
    /// The host (name, IPv4 or bracketed IPv6).
    Host,
    /// The port after the host.
    Port,
    /// A `;name=value` parameter.
    Params,
    /// The `?name=value` headers.
    Headers,
}

impl std::fmt::Display for UriPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Scheme => "Scheme",
            Self::UserInfo => "User",
            Self::Host => "Host",
            Self::Port => "Port",
            Self::Params => "Parameter",
            Self::Headers => "Headers",
        })
    }
}

/// Why a message could not be parsed or is not acceptable. `Display` is short enough to be the
/// reason phrase of the answer, and [`MessageError::status`] gives its status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The message is larger than the configured limit.
    #[error("Message Too Large ({size} > {limit} bytes)")]
    TooLarge {
        /// Bytes seen (or declared).
        size: usize,
        /// The configured maximum.
        limit: usize,
    },
    /// More header lines than the configured limit.
    #[error("Too Many Headers (limit {limit})")]
    TooManyHeaders {
        /// The configured maximum.
        limit: usize,
    },
    /// The header section does not end with an empty line.
    #[error("Incomplete Header Section")]
    Incomplete,
    /// A header line is not valid UTF-8.
    #[error("Header Line {line} Not UTF-8")]
    NotUtf8 {
        /// 1-based line number (the start line is line 1).
        line: usize,
    },
    /// The request or status line is malformed.
    #[error("Malformed Start Line")]
    BadStartLine,
    /// The status code is not three digits.
    #[error("Malformed Status Code")]
    BadStatusCode,
    /// A URI failed to parse.
    #[error("Malformed URI {part}")]
    BadUri {
        /// The part that failed.
        part: UriPart,
    },
    /// A header line has no name or no colon.
    #[error("Malformed Header Line {line}")]
    BadHeaderLine {
        /// 1-based line number.
        line: usize,
    },
    /// A header value does not match its grammar.
    #[error("Malformed {name} Header")]
    BadHeader {
        /// The canonical header name.
        name: &'static str,
    },
    /// A mandatory header is missing.
    #[error("Missing {name} Header")]
    MissingHeader {
        /// The canonical header name.
        name: &'static str,
    },
    /// A single-valued header appears more than once.
    #[error("Multiple {name} Values")]
    DuplicateHeader {
        /// The canonical header name.
        name: &'static str,
    },
    /// Content-Length declares more bytes than were received.
    #[error("Content-Length {declared} Exceeds Body ({available} bytes)")]
    BodyTooShort {
        /// The declared length.
        declared: usize,
        /// Bytes present after the header section.
        available: usize,
    },
    /// A stream transport needs Content-Length to find the end of the message.
    #[error("Missing Content-Length On Stream")]
    MissingContentLength,
    /// The CSeq method differs from the request method.
    #[error("CSeq Method Does Not Match Request")]
    CSeqMismatch,
    /// The request names headers inside the Request-URI.
    #[error("Headers Not Allowed In Request-URI")]
    RequestUriHeaders,
    /// Not SIP/2.0.
    #[error("Version Not Supported")]
    UnsupportedVersion,
    /// The Request-URI scheme is not sip, sips or tel.
    #[error("Unsupported URI Scheme")]
    UnsupportedScheme,
    /// The method is not implemented by this element (UAS policy).
    #[error("Not Implemented")]
    NotImplemented,
    /// Require names an option this element does not support (UAS policy); answer with an
    /// Unsupported header listing it.
    #[error("Bad Extension")]
    BadExtension {
        /// The first unsupported option tag.
        option: String,
    },
    /// The body's Content-Type is not one this element understands (UAS policy).
    #[error("Unsupported Media Type")]
    UnsupportedMediaType,
    /// Accept rules out every body type this element can answer with (UAS policy).
    #[error("Not Acceptable")]
    NotAcceptable,
}

impl MessageError {
    /// The status code an element answers with when a request fails this way.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => 513,
            Self::UnsupportedVersion => 505,
            Self::UnsupportedScheme => 416,
            Self::NotImplemented => 501,
            Self::BadExtension { .. } => 420,
            Self::UnsupportedMediaType => 415,
            Self::NotAcceptable => 406,
            _ => 400,
        }
    }
}
