//! Station names: the SIP user name of a device account (a desk phone or a softphone).
//!
//! Pure vocabulary: no I/O. Stricter than agent logins (ASCII only), because the name is the
//! user part of a SIP URI and the digest `username`, both written unescaped by phones.

use std::fmt;
use std::str::FromStr;

use super::InvalidName;

/// A station's SIP user name (`li.wei`, `desk-12`): 1-64 ASCII letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StationName(String);

impl StationName {
    /// Validates a station name.
    pub fn parse(text: &str) -> Result<Self, InvalidName> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidName {
                kind: "station name",
                text: text.to_owned(),
            })
        }
    }

    /// The name as typed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for StationName {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, ok: bool) {
        assert_eq!(StationName::parse(input).is_ok(), ok, "{input:?}");
    }

    #[test]
    fn station_names_are_ascii_sip_users() {
        check("li.wei", true);
        check("desk-12_b", true);
        check("", false);
        check("a b", false);
        check("李伟", false);
        check("a@b", false);
        check(&"x".repeat(64), true);
        check(&"x".repeat(65), false);
    }
}
