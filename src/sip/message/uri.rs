//! URIs as SIP carries them (RFC 3261 §19.1, RFC 3966 `tel:`, RFC 5118 IPv6 references):
//! parsing, rendering and `%HH` unescaping. Parts keep their escaped text as written so that
//! rendering is faithful; [`unescape`] decodes exactly once when a caller needs the bytes.
//! Must not know about headers beyond the `?name=value` part of a URI.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use super::{MessageError, UriPart};

/// A `;name[=value]` parameter of a URI or header; the value is kept as written (a quoted
/// value keeps its quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name as written.
    pub name: String,
    /// The value as written, if any.
    pub value: Option<String>,
}

impl Param {
    /// A parameter with a value.
    #[must_use]
    pub fn new(name: &str, value: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, ";{}={}", self.name, v),
            None => write!(f, ";{}", self.name),
        }
    }
}

/// The host part of a URI or Via.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, as written.
    Name(String),
    /// A dotted IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 reference, written `[..]`.
    V6(Ipv6Addr),
}

impl Host {
    /// Parses a host: `[v6]`, dotted IPv4 or a host name.
    pub fn parse(s: &str) -> Result<Self, MessageError> {
        let bad = MessageError::BadUri {
            part: UriPart::Host,
        };
        if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            return inner.parse().map(Host::V6).map_err(|_| bad);
        }
        if s.is_empty()
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(bad);
        }
        Ok(s.parse()
            .map_or_else(|_| Host::Name(s.to_owned()), Host::V4))
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(n) => f.write_str(n),
            Self::V4(a) => write!(f, "{a}"),
            Self::V6(a) => write!(f, "[{a}]"),
        }
    }
}

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// `sips:` rather than `sip:`.
    pub secure: bool,
    /// The user part, escaped as written (may contain `;`, see RFC 4475 §3.1.1.9).
    pub user: Option<String>,
    /// The password after `user:`, escaped as written.
    pub password: Option<String>,
    /// The host.
    pub host: Host,
    /// The port, if written.
    pub port: Option<u16>,
    /// URI parameters in order.
    pub params: Vec<Param>,
    /// `?name=value` headers in order (escaped as written).
    pub headers: Vec<(String, String)>,
}

impl SipUri {
    /// A plain `sip:user@host` URI.
    #[must_use]
    pub fn new(user: Option<&str>, host: Host) -> Self {
        Self {
            secure: false,
            user: user.map(str::to_owned),
            password: None,
            host,
            port: None,
            params: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The value of URI parameter `name` (case-insensitive); `Some(None)` for a flag.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_in(&self.params, name)
    }
}

/// A `tel:` URI (RFC 3966).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri {
    /// The number as written (`+1-201-555-0123`).
    pub number: String,
    /// Parameters in order.
    pub params: Vec<Param>,
}

/// Any URI a SIP message may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `sip:` / `sips:`.
    Sip(SipUri),
    /// `tel:`.
    Tel(TelUri),
    /// Any other absolute URI, kept as text (`isbn:`, `soap.beep:`, `http:`).
    Other {
        /// The scheme as written.
        scheme: String,
        /// Everything after the first `:`.
        rest: String,
    },
}

impl Uri {
    /// Parses one URI with no surrounding whitespace or angle brackets.
    pub fn parse(s: &str) -> Result<Self, MessageError> {
        let bad = |part| MessageError::BadUri { part };
        let (scheme, rest) = s.split_once(':').ok_or(bad(UriPart::Scheme))?;
        let scheme_ok = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !scheme_ok || rest.is_empty() {
            return Err(bad(UriPart::Scheme));
        }
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            parse_sip(scheme.len() == 4, rest).map(Uri::Sip)
        } else if scheme.eq_ignore_ascii_case("tel") {
            let (number, params) = rest.split_once(';').map_or((rest, ""), |(n, p)| (n, p));
            if number.is_empty() || !number.bytes().all(is_uric) {
                return Err(bad(UriPart::UserInfo));
            }
            Ok(Uri::Tel(TelUri {
                number: number.to_owned(),
                params: parse_params(params)?,
            }))
        } else if rest.bytes().all(|b| is_uric(b) || b == b';' || b == b'?') {
            Ok(Uri::Other {
                scheme: scheme.to_owned(),
                rest: rest.to_owned(),
            })
        } else {
            Err(bad(UriPart::Scheme))
        }
    }

    /// The SIP URI inside, if this is one.
    #[must_use]
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Self::Sip(u) => Some(u),
            _ => None,
        }
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sip(u) => {
                f.write_str(if u.secure { "sips:" } else { "sip:" })?;
                if let Some(user) = &u.user {
                    f.write_str(user)?;
                    if let Some(pw) = &u.password {
                        write!(f, ":{pw}")?;
                    }
                    f.write_str("@")?;
                }
                write!(f, "{}", u.host)?;
                if let Some(port) = u.port {
                    write!(f, ":{port}")?;
                }
                for p in &u.params {
                    write!(f, "{p}")?;
                }
                for (i, (name, value)) in u.headers.iter().enumerate() {
                    write!(f, "{}{name}={value}", if i == 0 { '?' } else { '&' })?;
                }
                Ok(())
            }
            Self::Tel(t) => {
                write!(f, "tel:{}", t.number)?;
                t.params.iter().try_for_each(|p| write!(f, "{p}"))
            }
            Self::Other { scheme, rest } => write!(f, "{scheme}:{rest}"),
        }
    }
}

/// Finds a parameter by name (case-insensitive): `Some(None)` for a flag parameter.
pub(crate) fn find_in<'a>(params: &'a [Param], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_deref())
}

/// Decodes `%HH` escapes exactly once. Malformed escapes are kept literally.
#[must_use]
pub fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| {
            let h = core::str::from_utf8(h).ok()?;
            u8::from_str_radix(h, 16).ok()
        });
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Characters allowed unescaped somewhere in a URI (no space, quotes, angle brackets).
fn is_uric(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()%&=+$,/:@[]#".contains(&b)
}

/// Every `%` starts a valid `%HH` escape, and all bytes are in `allowed`.
fn valid_escaped(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        if c == b'%' {
            b.get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        } else {
            allowed(c)
        }
    })
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)
}

fn parse_sip(secure: bool, rest: &str) -> Result<SipUri, MessageError> {
    let bad = |part| MessageError::BadUri { part };
    // No '@' may appear unescaped after the userinfo, while the user part may contain '?' and
    // ';' (RFC 4475 §3.1.1.2, §3.1.1.9): split the userinfo off first.
    let (userinfo, after_user) = rest
        .split_once('@')
        .map_or((None, rest), |(u, h)| (Some(u), h));
    let (hostpart, headers) = after_user
        .split_once('?')
        .map_or((after_user, None), |(m, h)| (m, Some(h)));
    let (user, password) = match userinfo {
        None => (None, None),
        Some(ui) => {
            let (u, p) = ui.split_once(':').map_or((ui, None), |(u, p)| (u, Some(p)));
            let user_ok = |b| is_unreserved(b) || b"&=+$,;?/".contains(&b);
            let pw_ok = |b| is_unreserved(b) || b"&=+$,".contains(&b);
            if u.is_empty()
                || !valid_escaped(u, user_ok)
                || p.is_some_and(|p| !valid_escaped(p, pw_ok))
            {
                return Err(bad(UriPart::UserInfo));
            }
            (Some(u.to_owned()), p.map(str::to_owned))
        }
    };
    let host_end = if hostpart.starts_with('[') {
        hostpart.find(']').map_or(hostpart.len(), |i| i + 1)
    } else {
        hostpart.find([':', ';']).unwrap_or(hostpart.len())
    };
    let (host_text, after) = hostpart.split_at(host_end);
    let host = Host::parse(host_text)?;
    let (port_text, params) = match after.strip_prefix(':') {
        Some(p) => p
            .split_once(';')
            .map_or((Some(p), ""), |(a, b)| (Some(a), b)),
        None if after.is_empty() => (None, ""),
        None => (None, after.strip_prefix(';').ok_or(bad(UriPart::Host))?),
    };
    let port = match port_text {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| bad(UriPart::Port))?)
        }
        Some(_) => return Err(bad(UriPart::Port)),
        None => None,
    };
    let headers = match headers {
        None => Vec::new(),
        Some(h) => parse_uri_headers(h)?,
    };
    Ok(SipUri {
        secure,
        user,
        password,
        host,
        port,
        params: parse_params(params)?,
        headers,
    })
}

/// Parses `a=b;c;d=e` (the text after the first `;`, empty for none).
fn parse_params(s: &str) -> Result<Vec<Param>, MessageError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let ok = |b| is_unreserved(b) || b"[]/:&+$".contains(&b);
    s.split(';')
        .map(|p| {
            let (name, value) = p.split_once('=').map_or((p, None), |(n, v)| (n, Some(v)));
            if name.is_empty()
                || !valid_escaped(name, ok)
                || value.is_some_and(|v| v.is_empty() || !valid_escaped(v, ok))
            {
                return Err(MessageError::BadUri {
                    part: UriPart::Params,
                });
            }
            Ok(Param::new(name, value))
        })
        .collect()
}

fn parse_uri_headers(s: &str) -> Result<Vec<(String, String)>, MessageError> {
    let ok = |b| is_unreserved(b) || b"[]/?:+$".contains(&b);
    s.split('&')
        .map(|h| {
            let (n, v) = h.split_once('=').ok_or(MessageError::BadUri {
                part: UriPart::Headers,
            })?;
            if n.is_empty() || !valid_escaped(n, ok) || !valid_escaped(v, ok) {
                return Err(MessageError::BadUri {
                    part: UriPart::Headers,
                });
            }
            Ok((n.to_owned(), v.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, UriPart>) {
        let got = Uri::parse(input).map(|u| u.to_string());
        match expected {
            Ok(text) => assert_eq!(got, Ok(text.to_owned()), "{input}"),
            Err(part) => assert_eq!(got, Err(MessageError::BadUri { part }), "{input}"),
        }
    }

    #[test]
    fn uris_parse_and_render_as_written() {
        for (input, expected) in [
            ("sip:alice@example.com", Ok("sip:alice@example.com")),
            (
                "sips:a:pw@[2001:db8::10]:5061;transport=tcp",
                Ok("sips:a:pw@[2001:db8::10]:5061;transport=tcp"),
            ),
            (
                "sip:user;par=u%40example.net@example.com",
                Ok("sip:user;par=u%40example.net@example.com"),
            ),
            ("sip:192.0.2.1:5060;lr", Ok("sip:192.0.2.1:5060;lr")),
            (
                "sip:example.com?Route=%3Csip:x%3E",
                Ok("sip:example.com?Route=%3Csip:x%3E"),
            ),
            (
                "tel:+1-201-555-0123;phone-context=x",
                Ok("tel:+1-201-555-0123;phone-context=x"),
            ),
            ("isbn:2983792873", Ok("isbn:2983792873")),
            // RFC 5118: brackets are required; an address ending in what looks like a port
            // is all address inside them; IPv4-mapped addresses are valid.
            ("sip:user@2001:db8::10", Err(UriPart::Port)),
            (
                "sip:user@[2001:db8::10:5070]",
                Ok("sip:user@[2001:db8::10:5070]"),
            ),
            (
                "sip:user@[2001:db8::10]:5070",
                Ok("sip:user@[2001:db8::10]:5070"),
            ),
            (
                "sip:user@[::ffff:192.0.2.1]",
                Ok("sip:user@[::ffff:192.0.2.1]"),
            ),
            ("sip:user@[2001:db8:::192.0.2.1]", Err(UriPart::Host)),
            ("sip:user@example.com:99999", Err(UriPart::Port)),
            ("sip:user@[2001:db8::10", Err(UriPart::Host)),
            ("sip:us er@example.com", Err(UriPart::UserInfo)),
            ("sip:a%4@example.com", Err(UriPart::UserInfo)),
            ("<sip:x@example.com>", Err(UriPart::Scheme)),
            ("sip:", Err(UriPart::Scheme)),
            ("sip:x@host;;", Err(UriPart::Params)),
            ("sip:x@ho st", Err(UriPart::Host)),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn hosts_are_typed() {
        let u = Uri::parse("sip:[2001:db8::9:1]").ok();
        let host = u.as_ref().and_then(Uri::as_sip).map(|s| s.host.clone());
        assert_eq!(
            host,
            Some(Host::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 9, 1)))
        );
        assert_eq!(
            Host::parse("192.0.2.1"),
            Ok(Host::V4(Ipv4Addr::new(192, 0, 2, 1)))
        );
        assert_eq!(
            Host::parse("Example.COM"),
            Ok(Host::Name("Example.COM".into()))
        );
    }

    #[test]
    fn unescape_decodes_once_and_keeps_nul() {
        assert_eq!(unescape("null-%00-null"), b"null-\0-null".to_vec());
        assert_eq!(unescape("v%61lue%25%34%31"), b"value%41".to_vec());
        assert_eq!(unescape("%Z%45"), b"%ZE".to_vec());
    }
}
