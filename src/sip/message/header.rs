//! Typed header values (RFC 3261 §20, §25): Via, name-addr (From/To/Contact/Route/Record-Route),
//! CSeq and authentication challenges, with their grammar. Comma-joined values are split with
//! the grammar, never by a blind `split(',')`. Must not change the stored header text: parsing
//! here is a read-only view. The accessors on `Message` that use them are in `access.rs`.

use core::fmt;

use super::MessageError;
use super::model::Method;
use super::scan::{Cursor, quote, unquote};
use super::uri::{Host, Param, Uri, find_in};

/// One Via value: `SIP/2.0/transport host[:port];params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The transport token as written (`UDP`, `TCP`, `SCTP`, `NOTATRANSPORT`).
    pub transport: String,
    /// The sent-by host.
    pub host: Host,
    /// The sent-by port, if written.
    pub port: Option<u16>,
    /// Parameters in order (`branch`, `received`, `rport`, ...).
    pub params: Vec<Param>,
}

impl Via {
    /// The `branch` parameter, if present with a value.
    #[must_use]
    pub fn branch(&self) -> Option<&str> {
        find_in(&self.params, "branch").flatten()
    }

    /// A parameter by name: `Some(None)` for a flag such as `rport`.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_in(&self.params, name)
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        self.params.iter().try_for_each(|p| write!(f, "{p}"))
    }
}

/// `[display-name] <uri> ;params` (or a bare addr-spec with params).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name with quotes and escapes removed.
    pub display: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters (`tag`, `expires`, `q`, ...).
    pub params: Vec<Param>,
}

impl NameAddr {
    /// A name-addr with no display name and no parameters.
    #[must_use]
    pub fn new(uri: Uri) -> Self {
        Self {
            display: None,
            uri,
            params: Vec::new(),
        }
    }

    /// The `tag` parameter.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        find_in(&self.params, "tag").flatten()
    }

    /// A parameter by name: `Some(None)` for a flag such as `lr`.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_in(&self.params, name)
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "{} ", quote(d))?;
        }
        write!(f, "<{}>", self.uri)?;
        self.params.iter().try_for_each(|p| write!(f, "{p}"))
    }
}

/// The Contact header set: `*` or addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// `Contact: *` (REGISTER: remove all bindings).
    Any,
    /// Every address in order, across all Contact lines.
    Addresses(Vec<NameAddr>),
}

/// `CSeq: number METHOD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number (at most 2^32-1).
    pub seq: u32,
    /// The method.
    pub method: Method,
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// An Authorization / WWW-Authenticate / Proxy-* value: scheme and `name=value` params with
/// quotes removed. Unknown schemes parse too; what to do with them is the registrar's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme (`Digest`).
    pub scheme: String,
    /// Parameters in order, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter value by name (case-insensitive).
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Finds a parameter by name (case-insensitive): `Some(None)` for a flag.
#[must_use]
pub fn find_param<'a>(params: &'a [Param], name: &str) -> Option<Option<&'a str>> {
    find_in(params, name)
}

/// `*( SWS ";" SWS name [ SWS "=" SWS value ] )`.
fn header_params(c: &mut Cursor<'_>) -> Option<Vec<Param>> {
    let mut params = Vec::new();
    while c.eat_sep(b';') {
        let name = c.token()?;
        let value = if c.eat_sep(b'=') {
            let v = match c.peek() {
                Some(b'"') => c.quoted()?,
                _ => c.take_while(|b| super::scan::is_token_char(b) || b"[]:".contains(&b)),
            };
            if v.is_empty() {
                return None;
            }
            Some(v)
        } else {
            None
        };
        params.push(Param::new(name, value));
    }
    Some(params)
}

/// Parses a comma-separated list with `item`, requiring at least one item and no empty ones.
pub(super) fn list<'a, T>(
    value: &'a str,
    item: impl Fn(&mut Cursor<'a>) -> Option<T>,
) -> Option<Vec<T>> {
    let mut c = Cursor::new(value);
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        out.push(item(&mut c)?);
        c.skip_ws();
        if c.at_end() {
            return Some(out);
        }
        if !c.eat(b',') {
            return None;
        }
    }
}

fn via_item(c: &mut Cursor<'_>) -> Option<Via> {
    let name = c.token()?;
    let version = c.eat_sep(b'/').then(|| c.token()).flatten()?;
    let transport = c.eat_sep(b'/').then(|| c.token()).flatten()?;
    if !name.eq_ignore_ascii_case("SIP") || version != "2.0" || !c.skip_ws() {
        return None;
    }
    let start = c.pos();
    if c.eat(b'[') {
        c.take_while(|b| b != b']');
        c.eat(b']').then_some(())?;
    } else {
        c.take_while(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    }
    let host = c.slice(start, c.pos());
    let host = Host::parse(host).ok()?;
    let port = if c.eat_sep(b':') {
        Some(c.take_while(|b| b.is_ascii_digit()).parse().ok()?)
    } else {
        None
    };
    Some(Via {
        transport: transport.to_owned(),
        host,
        port,
        params: header_params(c)?,
    })
}

pub(super) fn name_addr_item(c: &mut Cursor<'_>) -> Option<NameAddr> {
    let start = c.pos();
    let display = if c.peek() == Some(b'"') {
        let d = unquote(c.quoted()?);
        c.skip_ws();
        (c.peek() == Some(b'<')).then_some(Some(d))?
    } else {
        while c.token().is_some() {
            c.skip_ws();
        }
        if c.peek() == Some(b'<') {
            let d = c.slice(start, c.pos()).trim();
            (!d.is_empty()).then(|| d.to_owned())
        } else {
            c.reset(start);
            None
        }
    };
    let uri = if c.eat(b'<') {
        let inner = c.take_while(|b| b != b'>');
        c.eat(b'>').then_some(())?;
        Uri::parse(inner).ok()?
    } else {
        let spec = c.take_while(|b| !b" \t;,".contains(&b));
        if spec.contains('?') {
            return None;
        }
        Uri::parse(spec).ok()?
    };
    Some(NameAddr {
        display,
        uri,
        params: header_params(c)?,
    })
}

/// Parses every Via value in one header line (comma-joined values in order).
pub fn parse_vias(value: &str) -> Result<Vec<Via>, MessageError> {
    list(value, via_item).ok_or(MessageError::BadHeader { name: "Via" })
}

/// Parses every name-addr in one header line (Contact, Route, Record-Route).
pub fn parse_name_addrs(value: &str) -> Result<Vec<NameAddr>, MessageError> {
    list(value, name_addr_item).ok_or(MessageError::BadHeader { name: "Contact" })
}

pub(super) fn parse_challenge(value: &str) -> Option<Challenge> {
    let mut c = Cursor::new(value.trim());
    let scheme = c.token()?.to_owned();
    if !c.skip_ws() {
        return c.at_end().then(|| Challenge {
            scheme,
            params: Vec::new(),
        });
    }
    let params = list(c.rest(), |c| {
        let name = c.token()?.to_owned();
        c.eat_sep(b'=').then_some(())?;
        let v = match c.peek() {
            Some(b'"') => unquote(c.quoted()?),
            _ => c.token()?.to_owned(),
        };
        Some((name, v))
    })?;
    Some(Challenge { scheme, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_via(input: &str, expected: Option<&[&str]>) {
        let got = parse_vias(input).ok();
        let got: Option<Vec<String>> = got.map(|v| v.iter().map(ToString::to_string).collect());
        let expected: Option<Vec<String>> =
            expected.map(|e| e.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(got, expected, "{input}");
    }

    #[test]
    fn via_values() {
        check_via(
            "SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239",
            Some(&[
                "SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8",
                "SIP/2.0/UDP 192.168.255.111;branch=z9hG4bK30239",
            ]),
        );
        check_via(
            "SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3;received=2001:db8::9:255;rport",
            Some(&[
                "SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3;received=2001:db8::9:255;rport",
            ]),
        );
        check_via("SIP/2.0/UDP 192.0.2.15;;,;,,", None);
        check_via("SIP/2.0/UDP", None);
        check_via("SIP/3.0/UDP a", None);
        check_via("SIP/2.0/UDP a:99999", None);
    }

    fn check_addr(input: &str, expected: Option<(Option<&str>, &str, Option<&str>)>) {
        let got = list(input, name_addr_item).and_then(|mut v| v.pop());
        let got = got.map(|n| {
            (
                n.display.clone(),
                n.uri.to_string(),
                n.tag().map(str::to_owned),
            )
        });
        let expected =
            expected.map(|(d, u, t)| (d.map(str::to_owned), u.to_owned(), t.map(str::to_owned)));
        assert_eq!(got, expected, "{input}");
    }

    #[test]
    fn name_addrs() {
        check_addr(
            r#""J Rosenberg \\\""       <sip:jdrosen@example.com> ; tag = 98asjd8"#,
            Some((
                Some(r#"J Rosenberg \""#),
                "sip:jdrosen@example.com",
                Some("98asjd8"),
            )),
        );
        check_addr(
            "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
            Some((
                None,
                "sip:vivekg@chair-dnrc.example.com",
                Some("1918181833n"),
            )),
        );
        check_addr(
            r#""caller"<sip:caller@example.com>;tag=323"#,
            Some((Some("caller"), "sip:caller@example.com", Some("323"))),
        );
        check_addr(
            "Bob Smith <sip:bob@b.example>",
            Some((Some("Bob Smith"), "sip:bob@b.example", None)),
        );
        check_addr(r#""Watson, Thomas" < sip:t.watson@example.org >"#, None);
        check_addr("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", None);
        check_addr(r#""Mr. J. User <sip:j.user@example.com>"#, None);
        check_addr("sip:user@example.com?Route=%3Csip:sip.example.com%3E", None);
        check_addr(r#""Joe" <sip:joe@example.org>;;;;"#, None);
    }

    #[test]
    fn challenges_unquote_values() {
        let c = parse_challenge(
            r#"Digest username="bob", realm="atlanta.example.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", algorithm=MD5"#,
        );
        assert_eq!(c.as_ref().map(|c| c.scheme.as_str()), Some("Digest"));
        assert_eq!(
            c.as_ref().and_then(|c| c.param("REALM")),
            Some("atlanta.example.com")
        );
        assert_eq!(c.as_ref().and_then(|c| c.param("algorithm")), Some("MD5"));
        let c = parse_challenge("NoOneKnowsThisScheme opaque-data=here");
        assert_eq!(
            c.and_then(|c| c.param("opaque-data").map(str::to_owned)),
            Some("here".into())
        );
        assert_eq!(parse_challenge("Digest realm="), None);
    }
}
