//! Phone numbers normalised to E.164, so that a number typed with spaces, dashes, slashes,
//! an international prefix or a national trunk prefix still matches the stored customer.

use std::fmt;

/// A phone number in E.164 form (`+8613800138000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// The dialling plan used to read numbers written without a country code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPlan {
    /// The site's country calling code, digits only (`86` for mainland China).
    pub country_code: String,
    /// The international call prefix (`00`).
    pub international_prefix: String,
    /// The national trunk prefix dropped before the area code (`0`).
    pub trunk_prefix: String,
}

impl Default for DialPlan {
    fn default() -> Self {
        Self {
            country_code: "86".into(),
            international_prefix: "00".into(),
            trunk_prefix: "0".into(),
        }
    }
}

/// Text that is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// A character other than digits, a leading `+`, spaces, `-`, `/`, `.`, `(` and `)`.
    #[error("phone number {0:?} has a character that is not a digit or a separator")]
    BadCharacter(String),
    /// Fewer than 5 or more than 15 digits once normalised.
    #[error("phone number {0:?} has the wrong number of digits for E.164")]
    BadLength(String),
}

impl PhoneNumber {
    /// Normalises `text` under `plan`: `+86 138-0013-8000`, `138 0013 8000`,
    /// `0086 13800138000` all give `+8613800138000`; `021/6888 8888` gives `+862168888888`.
    pub fn parse(text: &str, plan: &DialPlan) -> Result<Self, PhoneError> {
        let trimmed = text.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '/' | '.' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(PhoneError::BadCharacter(text.to_owned())),
            }
        }
        let international = if plus {
            digits
        } else if let Some(after) = digits.strip_prefix(plan.international_prefix.as_str()) {
            after.to_owned()
        } else if !plan.trunk_prefix.is_empty() && digits.starts_with(plan.trunk_prefix.as_str()) {
            format!(
                "{}{}",
                plan.country_code,
                &digits[plan.trunk_prefix.len()..]
            )
        } else {
            format!("{}{}", plan.country_code, digits)
        };
        if !(5..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(PhoneError::BadLength(text.to_owned()));
        }
        Ok(Self(format!("+{international}")))
    }

    /// Wraps a number already stored in E.164 form (from the store).
    #[must_use]
    pub fn from_e164_unchecked(e164: String) -> Self {
        Self(e164)
    }

    /// The E.164 text, with its `+`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, &str>) {
        let got = PhoneNumber::parse(input, &DialPlan::default());
        let got = got
            .as_ref()
            .map(PhoneNumber::as_str)
            .map_err(ToString::to_string);
        assert_eq!(got, expected.map_err(str::to_owned), "input {input:?}");
    }

    #[test]
    fn brokerage_formats_normalise_to_e164() {
        check("+86 138-0013-8000", Ok("+8613800138000"));
        check("138 0013 8000", Ok("+8613800138000"));
        check("0086 13800138000", Ok("+8613800138000"));
        check("13800138000", Ok("+8613800138000"));
        check("+8613800138000", Ok("+8613800138000"));
        check("021/6888 8888", Ok("+862168888888"));
        check("(021) 6888-8888", Ok("+862168888888"));
        check("+86 21 6888 8888", Ok("+862168888888"));
        check("00852 2123 4567", Ok("+85221234567"));
        check("+1 (212) 555-0100", Ok("+12125550100"));
        check(" 138.0013.8000 ", Ok("+8613800138000"));
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        check(
            "138-0013-800x",
            Err(
                "phone number \"138-0013-800x\" has a character that is not a digit or a separator",
            ),
        );
        check(
            "+",
            Err("phone number \"+\" has the wrong number of digits for E.164"),
        );
        check(
            "+86 1380013800012345",
            Err("phone number \"+86 1380013800012345\" has the wrong number of digits for E.164"),
        );
        check(
            "",
            Err("phone number \"\" has the wrong number of digits for E.164"),
        );
    }

    #[test]
    fn other_dial_plans() {
        let hk = DialPlan {
            country_code: "852".into(),
            international_prefix: "001".into(),
            trunk_prefix: String::new(),
        };
        let got = PhoneNumber::parse("2123 4567", &hk).map(|p| p.as_str().to_owned());
        assert_eq!(got.ok().as_deref(), Some("+85221234567"));
    }
}
