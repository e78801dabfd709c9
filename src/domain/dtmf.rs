//! DTMF digits as the IVR and the media layer exchange them.

use std::fmt;

/// One DTMF key: 0-9, `*`, `#`, A-D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfDigit {
    /// A digit key 0-9 (the value is always below 10).
    Digit(u8),
    /// `*`.
    Star,
    /// `#`.
    Pound,
    /// A, B, C or D (the value is 0-3).
    Letter(u8),
}

impl DtmfDigit {
    /// Parses one key character (`'0'..='9'`, `*`, `#`, `A`-`D` in either case).
    #[must_use]
    pub fn from_char(c: char) -> Option<Self> {
        match c {
            '0'..='9' => Some(DtmfDigit::Digit(c as u8 - b'0')),
            '*' => Some(DtmfDigit::Star),
            '#' => Some(DtmfDigit::Pound),
            'A'..='D' => Some(DtmfDigit::Letter(c as u8 - b'A')),
            'a'..='d' => Some(DtmfDigit::Letter(c as u8 - b'a')),
            _ => None,
        }
    }

    /// The RFC 4733 event code (0-9 digits, 10 `*`, 11 `#`, 12-15 A-D).
    #[must_use]
    pub const fn event_code(self) -> u8 {
        match self {
            DtmfDigit::Digit(d) => d,
            DtmfDigit::Star => 10,
            DtmfDigit::Pound => 11,
            DtmfDigit::Letter(l) => 12 + l,
        }
    }

    /// The digit for an RFC 4733 event code, if it is one of the 16 DTMF events.
    #[must_use]
    pub const fn from_event_code(code: u8) -> Option<Self> {
        match code {
            0..=9 => Some(DtmfDigit::Digit(code)),
            10 => Some(DtmfDigit::Star),
            11 => Some(DtmfDigit::Pound),
            12..=15 => Some(DtmfDigit::Letter(code - 12)),
            _ => None,
        }
    }

    /// The key as a character.
    #[must_use]
    pub const fn as_char(self) -> char {
        match self {
            DtmfDigit::Digit(d) => (b'0' + d) as char,
            DtmfDigit::Star => '*',
            DtmfDigit::Pound => '#',
            DtmfDigit::Letter(l) => (b'A' + l) as char,
        }
    }
}

impl fmt::Display for DtmfDigit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_round_trips_through_char_and_event_code() {
        for c in "0123456789*#ABCD".chars() {
            let d = DtmfDigit::from_char(c);
            assert_eq!(d.map(DtmfDigit::as_char), Some(c));
            let code = d.map(DtmfDigit::event_code);
            assert_eq!(code.and_then(DtmfDigit::from_event_code), d);
        }
        assert_eq!(DtmfDigit::from_char('x'), None);
        assert_eq!(DtmfDigit::from_event_code(16), None);
    }
}
