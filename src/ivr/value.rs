//! Typed flow variables: names, values, value types and the variable map an IVR run carries.
//!
//! Owns the rule that sensitive digits (PINs, trading passwords) never print: a
//! [`Value::Secret`] shows as `***` in `Debug`, `Display` and every log line. Pure: no I/O.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;

use crate::domain::{IdentificationLevel, RiskProfile, Tier};

/// A variable's name: 1-48 lower-case letters, digits, `_` and `.` (`customer.tier`, `account`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarName(String);

impl VarName {
    /// Validates a variable name.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let ok = !text.is_empty()
            && text.len() <= 48
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(ValueError::BadVarName(text.to_owned()))
        }
    }

    /// The name as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A built-in variable name (`language`, `customer.tier`).
    pub(crate) fn builtin(name: &'static str) -> Self {
        Self::parse(name).expect("built-in variable names are valid lower-case literals")
    }
}

impl fmt::Display for VarName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount of money in fen (1/100 yuan); negative for debts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount {
    /// The amount in fen.
    pub fen: i64,
}

impl Amount {
    /// Reads `12345.67`, `-3.5` or `100` (yuan, at most two decimals).
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let bad = || ValueError::BadAmount(text.to_owned());
        let t = text.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty()
            || frac.len() > 2
            || !(whole.chars().chain(frac.chars())).all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac_fen: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let fen = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac_fen))
            .ok_or_else(bad)?;
        Ok(Self {
            fen: if neg { -fen } else { fen },
        })
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.fen < 0 { "-" } else { "" };
        let abs = self.fen.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Digits a caller typed into a `sensitive` collect. They print as `***` everywhere; only the
/// driver that sends them to the verifying service calls [`SecretDigits::expose`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretDigits(String);

impl SecretDigits {
    /// Wraps typed digits.
    #[must_use]
    pub fn new(digits: String) -> Self {
        Self(digits)
    }

    /// The digits themselves, for the one request that needs them.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretDigits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Free text (a name, a language code, a phone number).
    Text(String),
    /// Digits typed by the caller (not sensitive).
    Digits(String),
    /// Digits typed into a sensitive collect (masked everywhere).
    Secret(SecretDigits),
    /// A whole number.
    Integer(i64),
    /// Money.
    Amount(Amount),
    /// A truth value.
    Bool(bool),
    /// A calendar date.
    Date(Date),
    /// A customer tier.
    Tier(Tier),
    /// An identification level.
    Level(IdentificationLevel),
    /// A risk profile.
    Risk(RiskProfile),
}

impl Value {
    /// The value's type.
    #[must_use]
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Text(_) => ValueType::Text,
            Value::Digits(_) => ValueType::Digits,
            Value::Secret(_) => ValueType::Secret,
            Value::Integer(_) => ValueType::Integer,
            Value::Amount(_) => ValueType::Amount,
            Value::Bool(_) => ValueType::Bool,
            Value::Date(_) => ValueType::Date,
            Value::Tier(_) => ValueType::Tier,
            Value::Level(_) => ValueType::Level,
            Value::Risk(_) => ValueType::Risk,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(t) | Value::Digits(t) => f.write_str(t),
            Value::Secret(_) => f.write_str("***"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Amount(a) => write!(f, "{a}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Tier(t) => f.write_str(t.as_str()),
            Value::Level(l) => f.write_str(l.as_str()),
            Value::Risk(r) => f.write_str(r.as_str()),
        }
    }
}

/// The type of a variable, checked statically by the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    /// [`Value::Text`].
    Text,
    /// [`Value::Digits`].
    Digits,
    /// [`Value::Secret`].
    Secret,
    /// [`Value::Integer`].
    Integer,
    /// [`Value::Amount`].
    Amount,
    /// [`Value::Bool`].
    Bool,
    /// [`Value::Date`].
    Date,
    /// [`Value::Tier`].
    Tier,
    /// [`Value::Level`].
    Level,
    /// [`Value::Risk`].
    Risk,
}

impl ValueType {
    /// The name used in flow files (`type = "amount"`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Digits => "digits",
            ValueType::Secret => "secret",
            ValueType::Integer => "integer",
            ValueType::Amount => "amount",
            ValueType::Bool => "bool",
            ValueType::Date => "date",
            ValueType::Tier => "tier",
            ValueType::Level => "identification",
            ValueType::Risk => "risk",
        }
    }

    /// Reads a type name as written in flow files.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ValueType::Text,
            ValueType::Digits,
            ValueType::Integer,
            ValueType::Amount,
            ValueType::Bool,
            ValueType::Date,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }

    /// Whether `<`, `<=`, `>`, `>=` make sense on this type.
    #[must_use]
    pub const fn is_ordered(self) -> bool {
        matches!(
            self,
            ValueType::Integer | ValueType::Amount | ValueType::Date | ValueType::Level
        )
    }

    /// Reads text (an HTTP field, a literal) as a value of this type.
    pub fn read(self, text: &str) -> Result<Value, ValueError> {
        let bad = || ValueError::BadLiteral {
            expected: self,
            text: text.to_owned(),
        };
        Ok(match self {
            ValueType::Text => Value::Text(text.to_owned()),
            ValueType::Digits => {
                if !text
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                {
                    return Err(bad());
                }
                Value::Digits(text.to_owned())
            }
            ValueType::Secret => Value::Secret(SecretDigits::new(text.to_owned())),
            ValueType::Integer => Value::Integer(text.trim().parse().map_err(|_| bad())?),
            ValueType::Amount => Value::Amount(Amount::parse(text)?),
            ValueType::Bool => Value::Bool(text.trim().parse().map_err(|_| bad())?),
            ValueType::Date => Value::Date(text.trim().parse().map_err(|_| bad())?),
            ValueType::Tier => Value::Tier(text.parse().map_err(|_| bad())?),
            ValueType::Level => Value::Level(text.parse().map_err(|_| bad())?),
            ValueType::Risk => Value::Risk(text.parse().map_err(|_| bad())?),
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The variables of one IVR run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(BTreeMap<VarName, Value>);

impl Vars {
    /// The value of a variable, if set.
    #[must_use]
    pub fn get(&self, name: &VarName) -> Option<&Value> {
        self.0.get(name)
    }

    /// Sets a variable, returning the old value.
    pub fn set(&mut self, name: VarName, value: Value) -> Option<Value> {
        self.0.insert(name, value)
    }

    /// Every variable in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&VarName, &Value)> {
        self.0.iter()
    }
}

/// Text that cannot be read as a name or a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// A variable name with characters other than lower-case letters, digits, `_` and `.`.
    #[error(
        "invalid variable name {0:?}: use lower-case letters, digits, '_' and '.', starting with a letter"
    )]
    BadVarName(String),
    /// Money that is not `123` or `123.45`.
    #[error("{0:?} is not an amount (write 123 or 123.45)")]
    BadAmount(String),
    /// Text that does not read as the expected type.
    #[error("{text:?} is not a valid {expected}")]
    BadLiteral {
        /// The type expected.
        expected: ValueType,
        /// The text given.
        text: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_amount(input: &str, expected: Option<i64>) {
        assert_eq!(
            Amount::parse(input).ok().map(|a| a.fen),
            expected,
            "{input:?}"
        );
    }

    #[test]
    fn amounts_read_yuan_with_up_to_two_decimals() {
        check_amount("12345.67", Some(1_234_567));
        check_amount("105", Some(10_500));
        check_amount("0.5", Some(50));
        check_amount("-3.05", Some(-305));
        check_amount("1.234", None);
        check_amount("abc", None);
        check_amount(".5", None);
        assert_eq!(Amount { fen: -305 }.to_string(), "-3.05");
    }

    #[test]
    fn secrets_never_print() {
        let v = Value::Secret(SecretDigits::new("123456".into()));
        assert_eq!(v.to_string(), "***");
        assert!(!format!("{v:?}").contains("123456"));
    }

    #[test]
    fn var_names_are_checked() {
        assert!(VarName::parse("customer.tier").is_ok());
        assert!(VarName::parse("Account").is_err());
        assert!(VarName::parse("1x").is_err());
        assert!(VarName::parse("").is_err());
    }
}
