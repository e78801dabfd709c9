//! A byte cursor over one unfolded header value, with the RFC 3261 §25.1 lexical rules
//! (token, quoted-string, SWS). Owns no grammar beyond those; typed headers build on it.

/// Is `b` a `token` character (RFC 3261 §25.1)?
pub(crate) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Is the whole string a non-empty token?
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// A position in a header value.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Starts at the beginning of `s`.
    pub(crate) fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }

    /// The text not yet consumed.
    pub(crate) fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    /// The byte position (for backtracking with [`Cursor::reset`]).
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Goes back to a position returned by [`Cursor::pos`].
    pub(crate) fn reset(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The text between two positions (empty if they are not on char boundaries).
    pub(crate) fn slice(&self, start: usize, end: usize) -> &'a str {
        self.s.get(start..end).unwrap_or("")
    }

    /// True when everything is consumed.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// The next byte, if any.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    /// Skips spaces and tabs (folding is already replaced by a space). Returns whether any.
    pub(crate) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Consumes `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `SWS b SWS`: consumes `b` with optional whitespace around it, or nothing.
    pub(crate) fn eat_sep(&mut self, b: u8) -> bool {
        let start = self.pos;
        self.skip_ws();
        if self.eat(b) {
            self.skip_ws();
            true
        } else {
            self.pos = start;
            false
        }
    }

    /// Consumes the longest run of bytes matching `pred`.
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        // Only ASCII bytes match the predicates used here, so the slice is on char boundaries;
        // fall back to empty rather than panic if a caller passes a non-ASCII predicate.
        self.s.get(start..self.pos).unwrap_or("")
    }

    /// A non-empty token, or `None` (nothing consumed).
    pub(crate) fn token(&mut self) -> Option<&'a str> {
        let t = self.take_while(is_token_char);
        (!t.is_empty()).then_some(t)
    }

    /// A quoted string starting at the cursor; returns the raw text including the quotes.
    pub(crate) fn quoted(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !self.eat(b'"') {
            return None;
        }
        let bytes = self.s.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'"' => return self.s.get(start..self.pos),
                _ => {}
            }
        }
        self.pos = start;
        None
    }
}

/// Removes the quotes and backslash escapes of a raw quoted string (`"a\"b"` -> `a"b`).
pub(crate) fn unquote(raw: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Quotes `s` as a quoted-string, escaping `"` and `\`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_keep_escapes_until_unquoted() {
        let mut c = Cursor::new(r#""J Rosenberg \\\"" <x>"#);
        let raw = c.quoted();
        assert_eq!(raw, Some(r#""J Rosenberg \\\"""#));
        assert_eq!(unquote(raw.unwrap_or_default()), r#"J Rosenberg \""#);
        assert_eq!(quote(r#"J Rosenberg \""#), r#""J Rosenberg \\\"""#);
    }

    #[test]
    fn unterminated_quote_consumes_nothing() {
        let mut c = Cursor::new(r#""Mr Jones <sip:x>"#);
        assert_eq!(c.quoted(), None);
        assert_eq!(c.pos(), 0);
    }

    #[test]
    fn tokens_stop_at_separators() {
        let mut c = Cursor::new("INVITE sip:x");
        assert_eq!(c.token(), Some("INVITE"));
        assert!(c.skip_ws());
        assert_eq!(c.token(), Some("sip"));
        assert!(c.eat(b':'));
        assert!(is_token("!interesting-Method0123456789_*+`.%indeed'~"));
        assert!(!is_token("a b"));
    }
}
