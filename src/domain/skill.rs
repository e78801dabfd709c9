//! Skills (product knowledge and languages) with proficiency 1-10.

use std::fmt;

/// A skill's name (`equities`, `funds`, `mandarin`): lower-case letters, digits, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SkillName(String);

impl SkillName {
    /// Validates and lower-cases a skill name (1-32 characters).
    pub fn parse(text: &str) -> Result<Self, SkillError> {
        let lower = text.trim().to_ascii_lowercase();
        let ok = !lower.is_empty()
            && lower.len() <= 32
            && lower
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            Ok(Self(lower))
        } else {
            Err(SkillError::BadName(text.to_owned()))
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SkillName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How well an agent masters a skill, 1 (basic) to 10 (expert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Proficiency(u8);

impl Proficiency {
    /// The lowest proficiency.
    pub const MIN: Proficiency = Proficiency(1);
    /// The highest proficiency.
    pub const MAX: Proficiency = Proficiency(10);

    /// A proficiency from 1 to 10.
    pub fn new(level: u8) -> Result<Self, SkillError> {
        if (1..=10).contains(&level) {
            Ok(Self(level))
        } else {
            Err(SkillError::BadLevel(level.into()))
        }
    }

    /// The level, 1-10.
    #[must_use]
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// A queue's need: a skill with a minimum proficiency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SkillRequirement {
    /// The skill needed.
    pub skill: SkillName,
    /// The lowest proficiency that qualifies.
    pub min: Proficiency,
}

/// A skill list that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkillError {
    /// The name has characters other than letters, digits, `_` and `-`, or is empty or too long.
    #[error("invalid skill name {0:?}: use 1-32 letters, digits, '_' or '-'")]
    BadName(String),
    /// The proficiency is outside 1-10.
    #[error("proficiency {0} is outside 1-10")]
    BadLevel(i64),
    /// An entry is not `name:level`.
    #[error("skill {0:?} is not written as name:level (e.g. funds:8)")]
    BadEntry(String),
    /// A skill appears twice.
    #[error("skill {0:?} is listed twice")]
    Duplicate(String),
}

/// Parses `equities:8,funds:5,mandarin:9` (spaces allowed; an empty string is no skills).
pub fn parse_skill_list(text: &str) -> Result<Vec<(SkillName, Proficiency)>, SkillError> {
    let mut out: Vec<(SkillName, Proficiency)> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, level) = entry
            .split_once(':')
            .ok_or_else(|| SkillError::BadEntry(entry.to_owned()))?;
        let name = SkillName::parse(name)?;
        let level: i64 = level
            .trim()
            .parse()
            .map_err(|_| SkillError::BadEntry(entry.to_owned()))?;
        let level = u8::try_from(level).map_err(|_| SkillError::BadLevel(level))?;
        let prof = Proficiency::new(level)?;
        if out.iter().any(|(n, _)| *n == name) {
            return Err(SkillError::Duplicate(name.as_str().to_owned()));
        }
        out.push((name, prof));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<Vec<(&str, u8)>, &str>) {
        let got = parse_skill_list(input)
            .map(|v| {
                v.into_iter()
                    .map(|(n, p)| (n.as_str().to_owned(), p.get()))
                    .collect::<Vec<_>>()
            })
            .map_err(|e| e.to_string());
        let expected = expected
            .map(|v| {
                v.into_iter()
                    .map(|(n, p)| (n.to_owned(), p))
                    .collect::<Vec<_>>()
            })
            .map_err(str::to_owned);
        assert_eq!(got, expected, "input {input:?}");
    }

    #[test]
    fn skill_lists() {
        check(
            "equities:8,funds:5,mandarin:9",
            Ok(vec![("equities", 8), ("funds", 5), ("mandarin", 9)]),
        );
        check(" Funds : 10 ", Ok(vec![("funds", 10)]));
        check("", Ok(vec![]));
        check(
            "funds",
            Err("skill \"funds\" is not written as name:level (e.g. funds:8)"),
        );
        check("funds:11", Err("proficiency 11 is outside 1-10"));
        check("funds:0", Err("proficiency 0 is outside 1-10"));
        check("funds:-3", Err("proficiency -3 is outside 1-10"));
        check("funds:3,funds:4", Err("skill \"funds\" is listed twice"));
        check(
            "fu nds:3",
            Err("invalid skill name \"fu nds\": use 1-32 letters, digits, '_' or '-'"),
        );
    }
}
